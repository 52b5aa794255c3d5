/* tree_test.c — the in-memory tree, trimming rules and relation parsing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "builder/core/alloc.h"
#include "builder/core/util.h"
#include "builder/debian/deb.h"
#include "builder/debian/deb_version.h"
#include "builder/core/err.h"
#include "builder/core/tree.h"
#include "builder/appliance/trim.h"
#include "tests/harness.h"

static struct tree_node *mk(struct tree *t, const char *path, enum tree_type type,
                            const char *target)
{
    struct tree_node *parent;
    const char *base;
    if (tree_resolve_parent(t, path, true, 7, &parent, &base) != 0)
        return NULL;
    struct tree_inode *ino = tree_inode_new(type, type == TREE_DIR ? 0755 : 0644, 0, 0, 100);
    if (target)
        ino->target = xstrdup(target);
    return tree_link(t, parent, base, ino);
}

static int collect(struct tree_node *n, const char *path, void *arg)
{
    (void)n;
    sbuf_printf(arg, "%s\n", path);
    return 0;
}

static void test_sorted_walk_and_paths(void)
{
    struct tree *t = tree_new(0);
    mk(t, "b/z", TREE_FILE, NULL);
    mk(t, "a", TREE_FILE, NULL);
    mk(t, "b/c", TREE_FILE, NULL);
    mk(t, "./b//d/e", TREE_FILE, NULL); /* missing parent made on the way */
    struct sbuf s = {0};
    tree_walk(t, collect, &s);
    T_EQ_STR(s.s, "/\n/a\n/b\n/b/c\n/b/d\n/b/d/e\n/b/z\n");
    T_EQ_INT(t->nnodes, 7);
    struct tree_node *e = tree_lookup(t, "/b/d/e", 0, NULL);
    T_CHECK(e != NULL);
    char *p = tree_path(e);
    T_EQ_STR(p, "/b/d/e");
    free(p);
    T_EQ_INT(tree_lookup(t, "/b/d", 0, NULL)->ino->mtime, 7);
    sbuf_free(&s);
    tree_free(t);
}

static void test_symlinks_followed_in_parents(void)
{
    struct tree *t = tree_new(0);
    mk(t, "usr/bin", TREE_DIR, NULL);
    mk(t, "bin", TREE_SYMLINK, "usr/bin");
    mk(t, "etc/alt", TREE_SYMLINK, "/usr/bin/../bin");
    struct tree_node *f = mk(t, "bin/ls", TREE_FILE, NULL); /* lands in /usr/bin */
    T_CHECK(f != NULL);
    T_CHECK(tree_lookup(t, "/usr/bin/ls", 0, NULL) == f);
    T_CHECK(tree_lookup(t, "/etc/alt/ls", 0, NULL) == f);
    T_CHECK(tree_child(t->root, "ls") == NULL);
    /* the last component is not followed unless asked */
    T_EQ_INT(tree_lookup(t, "/bin", 0, NULL)->ino->type, TREE_SYMLINK);
    T_EQ_INT(tree_lookup(t, "/bin", TREE_FOLLOW_LAST, NULL)->ino->type, TREE_DIR);
    tree_free(t);
}

static void test_escape_and_loops(void)
{
    struct tree *t = tree_new(0);
    mk(t, "up", TREE_SYMLINK, "../../..");
    mk(t, "loop1", TREE_SYMLINK, "loop2");
    mk(t, "loop2", TREE_SYMLINK, "loop1");
    mk(t, "file", TREE_FILE, NULL);
    struct tree_node *parent;
    const char *base;
    T_EQ_INT(tree_resolve_parent(t, "up/x", true, 0, &parent, &base), -ELOOP);
    T_EQ_INT(tree_resolve_parent(t, "loop1/x", true, 0, &parent, &base), -ELOOP);
    T_EQ_INT(tree_resolve_parent(t, "a/../x", true, 0, &parent, &base), -EPERM);
    T_EQ_INT(tree_resolve_parent(t, "file/x", true, 0, &parent, &base), -ENOTDIR);
    T_EQ_INT(tree_resolve_parent(t, "missing/x", false, 0, &parent, &base), -ENOENT);
    bool escape = false;
    T_CHECK(tree_lookup(t, "/up/etc", 0, &escape) == NULL);
    T_CHECK(escape);
    tree_free(t);
}

static void test_hardlinks_and_remove(void)
{
    struct tree *t = tree_new(0);
    struct tree_node *a = mk(t, "d/a", TREE_FILE, NULL);
    tree_inode_set_buf(a->ino, "hello", 5);
    struct tree_node *d = tree_lookup(t, "/d", 0, NULL);
    tree_link(t, t->root, "b", a->ino);
    T_EQ_INT(a->ino->nlink, 2);
    struct tree_inode *ino = a->ino;
    tree_remove(t, d); /* the folder and its link go; the inode lives on through /b */
    T_EQ_INT(ino->nlink, 1);
    struct tree_node *b = tree_lookup(t, "/b", 0, NULL);
    T_CHECK(b && b->ino == ino && b->ino->size == 5);
    T_EQ_INT(t->nnodes, 2);
    /* replacing an entry by name frees the old one */
    mk(t, "b", TREE_DIR, NULL);
    T_EQ_INT(tree_lookup(t, "/b", 0, NULL)->ino->type, TREE_DIR);
    T_EQ_INT(t->nnodes, 2);
    tree_free(t);
}

static void test_xattrs_sorted(void)
{
    struct tree_inode *ino = tree_inode_new(TREE_FILE, 0644, 0, 0, 0);
    tree_inode_set_xattr(ino, "user.b", "2", 1);
    tree_inode_set_xattr(ino, "security.capability", "cap", 3);
    tree_inode_set_xattr(ino, "user.b", "22", 2);
    T_EQ_INT(ino->nxattrs, 2);
    T_EQ_STR(ino->xattrs[0].name, "security.capability");
    T_EQ_INT(ino->xattrs[1].len, 2);
    tree_inode_unref(ino);
}

static void test_ref_content(void)
{
    char path[] = "/tmp/jeos-tree-test-XXXXXX";
    int fd = mkstemp(path);
    T_CHECK(fd >= 0);
    T_EQ_INT(jeos_write_all(fd, "0123456789", 10), 0);
    struct tree_inode *ino = tree_inode_new(TREE_FILE, 0644, 0, 0, 0);
    tree_inode_set_ref(ino, path, 3, 4);
    unsigned char *data;
    struct jeos_err err = {0};
    T_EQ_INT(tree_inode_read(ino, &data, &err), 0);
    T_CHECK(data && memcmp(data, "3456", 4) == 0);
    free(data);
    tree_inode_set_ref(ino, path, 8, 4); /* past the end: an error naming the file */
    T_CHECK(tree_inode_read(ino, &data, &err) < 0);
    T_CHECK(err.n == 1 && strstr(err.msgs[0], path) && strstr(err.msgs[0], "short read"));
    jeos_err_free(&err);
    tree_inode_unref(ino);
    close(fd);
    unlink(path);
}

static void test_trim_rules(void)
{
    struct tree *t = tree_new(0);
    struct tree_node *n = mk(t, "usr/share/doc/p/README", TREE_FILE, NULL);
    tree_inode_set_buf(n->ino, "12345", 5);
    mk(t, "usr/share/doc/p/copyright", TREE_FILE, NULL);
    mk(t, "usr/share/locale/de/LC_MESSAGES/p.mo", TREE_FILE, NULL);
    mk(t, "usr/share/locale/pt_BR/LC_MESSAGES/p.mo", TREE_FILE, NULL);
    mk(t, "usr/share/locale/pt/LC_MESSAGES/p.mo", TREE_FILE, NULL);
    mk(t, "usr/share/locale/locale.alias", TREE_FILE, NULL);
    mk(t, "usr/bin/keep", TREE_FILE, NULL);
    mk(t, "opt/x.debug", TREE_FILE, NULL);
    struct trim_rules r = {0};
    trim_rules_defaults(&r);
    trim_rules_add(&r, "/opt/*.debug", false);
    trim_rules_keep_locale(&r, "pt_BR.UTF-8");
    trim_apply(t, &r);
    T_CHECK(tree_lookup(t, "/usr/share/doc", 0, NULL) != NULL);
    T_CHECK(tree_lookup(t, "/usr/share/doc/p", 0, NULL) == NULL);
    T_EQ_INT(r.v[0].files, 3); /* p/, README, copyright */
    T_EQ_INT(r.v[0].bytes, 5);
    T_CHECK(tree_lookup(t, "/usr/share/locale/pt_BR/LC_MESSAGES/p.mo", 0, NULL) != NULL);
    T_CHECK(tree_lookup(t, "/usr/share/locale/pt/LC_MESSAGES/p.mo", 0, NULL) != NULL);
    T_CHECK(tree_lookup(t, "/usr/share/locale/de", 0, NULL) == NULL);
    T_CHECK(tree_lookup(t, "/usr/bin/keep", 0, NULL) != NULL);
    T_CHECK(tree_lookup(t, "/opt/x.debug", 0, NULL) == NULL);
    T_EQ_INT(r.v[r.n - 1].files, 1);
    trim_rules_free(&r);
    tree_free(t);
}

static void test_relation_names(void)
{
    struct deb_strs s = {0};
    deb_parse_relation_names("foo (<< 1.2), bar:any | baz [amd64],\n qux", &s);
    T_EQ_INT(s.n, 4);
    if (s.n == 4) {
        T_EQ_STR(s.v[0], "foo");
        T_EQ_STR(s.v[1], "bar");
        T_EQ_STR(s.v[2], "baz");
        T_EQ_STR(s.v[3], "qux");
    }
    deb_strs_free(&s);
}

static void test_versions(void)
{
    T_CHECK(deb_ver_cmp("1.0", "1.0") == 0);
    T_CHECK(deb_ver_cmp("1.0~rc1", "1.0") < 0);
    T_CHECK(deb_ver_cmp("1.0", "1.0+b1") < 0);
    T_CHECK(deb_ver_cmp("1:0.9", "2.0") > 0);
    T_CHECK(deb_ver_cmp("1.10", "1.9") > 0);
    T_CHECK(deb_ver_cmp("1.0-2", "1.0-10") < 0);
    T_CHECK(deb_ver_cmp("2.36-9+deb12u4", "2.36-9+deb12u14") < 0);
    T_CHECK(deb_ver_cmp("1.0a", "1.0") > 0);
    T_CHECK(deb_ver_cmp("1.0~", "1.0~~") > 0);
    T_CHECK(deb_version_satisfies("1.0", "<< 2.0"));
    T_CHECK(!deb_version_satisfies("2.0", "<< 2.0"));
    T_CHECK(deb_version_satisfies("2.0", ">= 2.0"));
    T_CHECK(deb_version_satisfies("2.0", "= 2.0"));
    T_CHECK(!deb_version_satisfies("2.0", ">> 2.0"));
    T_CHECK(deb_version_satisfies("2.0", ""));
    struct deb_strs n = {0}, c = {0};
    deb_parse_relations("foo (<< 1.2), bar:any (>=2:3.0-1) | baz [amd64]", &n, &c);
    T_EQ_INT(c.n, 3);
    if (c.n == 3) {
        T_EQ_STR(c.v[0], "<< 1.2");
        T_EQ_STR(c.v[1], ">= 2:3.0-1");
        T_EQ_STR(c.v[2], "");
    }
    deb_strs_free(&n);
    deb_strs_free(&c);
}

static void test_bad_debs(void)
{
    struct tree *t = tree_new(0);
    struct deb_info info;
    struct jeos_err err = {0};
    T_CHECK(deb_extract_buffer(t, "x.deb", "!<arch>\n", 8, NULL, 0, &info, &err) < 0);
    T_CHECK(err.n == 1 && strstr(err.msgs[0], "x.deb: not a Debian package (missing "
                                              "debian-binary)"));
    deb_info_free(&info);
    jeos_err_free(&err);
    T_CHECK(deb_extract_buffer(t, "y.deb", "garbage", 7, NULL, 0, &info, &err) < 0);
    T_CHECK(err.n == 1 && strncmp(err.msgs[0], "y.deb: ", 7) == 0);
    deb_info_free(&info);
    jeos_err_free(&err);
    tree_free(t);
}

/* 40 packages' worth of entries (≈ 20000) go in and are walked in well under a second. */
static void test_speed(void)
{
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    struct tree *t = tree_new(0);
    char path[128];
    for (int i = 0; i < 20000; i++) {
        snprintf(path, sizeof(path), "usr/lib/pkg%d/sub%d/file%d", i % 40, i % 13, i);
        mk(t, path, TREE_FILE, NULL);
    }
    for (int i = 0; i < 20000; i++) {
        snprintf(path, sizeof(path), "/usr/lib/pkg%d/sub%d/file%d", i % 40, i % 13, i);
        if (!tree_lookup(t, path, 0, NULL)) {
            T_FAILF("lookup %s", path);
            break;
        }
    }
    struct sbuf s = {0};
    tree_walk(t, collect, &s);
    sbuf_free(&s);
    tree_free(t);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double sec = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    printf("# 20000 entries added, looked up and walked in %.3f s\n", sec);
    T_CHECK(sec < 1.0);
}

int main(void)
{
    T_RUN(test_sorted_walk_and_paths);
    T_RUN(test_symlinks_followed_in_parents);
    T_RUN(test_escape_and_loops);
    T_RUN(test_hardlinks_and_remove);
    T_RUN(test_xattrs_sorted);
    T_RUN(test_ref_content);
    T_RUN(test_trim_rules);
    T_RUN(test_relation_names);
    T_RUN(test_versions);
    T_RUN(test_bad_debs);
    T_RUN(test_speed);
    return T_DONE();
}

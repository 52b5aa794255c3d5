/* axes_test.c — every row of every axis table (axis.h) is whole, and each probe recognises what
 * its own writer made and refuses what another made. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/boot.h"
#include "builder/core/alloc.h"
#include "builder/core/ctx.h"
#include "builder/core/err.h"
#include "builder/core/tree.h"
#include "builder/core/util.h"
#include "builder/recipe/axis.h"
#include "images/format.h"
#include "images/fs.h"
#include "images/ptable.h"
#include "tests/harness.h"

static char *tmp;

static const struct jeos_axis *const axes[] = {
    &jeos_axis_fs, &jeos_axis_compression, &jeos_axis_ptable, &jeos_axis_boot, &jeos_axis_format};

static bool name_ok(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
            return false;
    return true;
}

/* Names, kinds, titles, lookups, unique names; brought keys and needs point at real choices. */
static void rows_whole(void)
{
    for (size_t a = 0; a < sizeof(axes) / sizeof(axes[0]); a++) {
        const struct jeos_axis *x = axes[a];
        const struct jeos_choice *c;
        size_t n = 0;
        T_CHECK(x->key && x->what && x->choice);
        for (size_t i = 0; (c = x->choice(i)); i++, n++) {
            if (!name_ok(c->name) || !c->kinds || !c->title || !c->probe)
                T_FAILF("%s: row %zu (%s): name, kinds, title and probe are required", x->key, i,
                        c->name ? c->name : "?");
            T_CHECK(jeos_axis_find(x, c->name) == c);
            for (size_t k = 0; k < i; k++)
                if (strcmp(x->choice(k)->name, c->name) == 0)
                    T_FAILF("%s: %s listed twice", x->key, c->name);
            for (const struct jeos_key *key = c->keys; key && key->name; key++)
                if (!key->axis || !key->def || !jeos_axis_find(key->axis, key->def))
                    T_FAILF("%s: %s brings %s with a default that is not a choice", x->key, c->name,
                            key->name);
            if (c->needs[0]) {
                const struct jeos_axis *other = NULL;
                for (size_t k = 0; k < sizeof(axes) / sizeof(axes[0]); k++)
                    if (strcmp(axes[k]->key, c->needs[0]) == 0)
                        other = axes[k];
                if (!other || !jeos_axis_find(other, c->needs[1]))
                    T_FAILF("%s: %s needs %s: %s, not a choice", x->key, c->name, c->needs[0],
                            c->needs[1] ? c->needs[1] : "?");
            }
        }
        T_CHECK(n > 0);
        for (int kind = 0; kind < 2; kind++)
            for (const char *d = x->def[kind]; d && *d;) {
                size_t len = strcspn(d, " ");
                char *one = xstrndup(d, len);
                if (!jeos_axis_find(x, one))
                    T_FAILF("%s: default %s is not a choice", x->key, one);
                free(one);
                d += len + (d[len] == ' ');
            }
        T_CHECK(jeos_axis_find(x, "no-such-choice") == NULL);
    }
    /* formats: the suffix is the first output; `from` names another format */
    for (size_t i = 0; jeos_formats[i]; i++) {
        const struct jeos_format_ops *f = jeos_formats[i];
        T_CHECK(f->outputs && f->outputs[0] && f->c.suffix && !strcmp(f->outputs[0], f->c.suffix));
        T_CHECK(!f->from || (jeos_format_find(f->from) && jeos_format_find(f->from) != f));
        T_CHECK(f == jeos_format_find(f->c.name));
    }
    for (size_t i = 0; jeos_filesystems[i]; i++)
        T_CHECK(jeos_filesystems[i]->write && jeos_filesystems[i]->c.suffix);
    for (size_t i = 0; jeos_bootloaders[i]; i++)
        T_CHECK(jeos_bootloaders[i]->install);
}

static int open_ro(const char *path, uint64_t *size)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    *size = fd >= 0 && fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
    return fd;
}

/* The choices of `x` whose probe accepts `path`, space-separated. */
static char *accepted(const struct jeos_axis *x, const char *path)
{
    uint64_t size;
    int fd = open_ro(path, &size);
    struct sbuf b = {0};
    const struct jeos_choice *c;
    for (size_t i = 0; fd >= 0 && (c = x->choice(i)); i++)
        if (!c->probe(c, fd, size))
            sbuf_printf(&b, "%s%s", b.len ? " " : "", c->name);
    if (fd >= 0)
        close(fd);
    return sbuf_take(&b);
}

/* An empty file is nothing: every probe refuses it, each with a reason. */
static void empty_file(void)
{
    char *p = xasprintf("%s/empty", tmp);
    struct jeos_err err = {0};
    T_EQ_INT(jeos_write_file_atomic(p, "", 0, 0644, &err), 0);
    for (size_t a = 0; a < sizeof(axes) / sizeof(axes[0]); a++) {
        uint64_t size;
        int fd = open_ro(p, &size);
        const struct jeos_choice *c;
        for (size_t i = 0; (c = axes[a]->choice(i)); i++) {
            const char *why = c->probe(c, fd, size);
            if (!why || !*why)
                T_FAILF("%s: %s's probe accepts an empty file", axes[a]->key, c->name);
        }
        close(fd);
    }
    free(p);
    jeos_err_free(&err);
}

/* Partition tables: each kind's probe recognises its own table and not the other's. */
static void ptable_probes(void)
{
    for (size_t i = 0; jeos_ptables[i]; i++) {
        const struct jeos_ptable_ops *ops = jeos_ptables[i];
        struct jeos_layout l;
        struct jeos_err err = {0};
        struct jeos_layout_req req = {
            .ops = ops, .seed = "axes", .esp_size = JEOS_MIB, .root_size = JEOS_MIB};
        T_EQ_INT(jeos_layout_plan(&req, &l, &err), 0);
        char *p = xasprintf("%s/%s.img", tmp, ops->c.name);
        int fd = open(p, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        T_CHECK(fd >= 0 && ftruncate(fd, (off_t)l.disk_size) == 0);
        T_EQ_INT(ops->write(&l, fd, &err), 0);
        close(fd);
        char *got = accepted(&jeos_axis_ptable, p);
        T_EQ_STR(got, ops->c.name);
        /* a bare table boots nothing: neither boot method is recognised, except that UEFI
           looks for an ESP, which the GPT layout has */
        char *boots = accepted(&jeos_axis_boot, p);
        T_EQ_STR(boots, strcmp(ops->c.name, "gpt") == 0 ? "uefi" : "");
        free(got), free(boots), free(p);
        jeos_err_free(&err);
    }
}

/* Root filesystems: a tiny tree written by each writer is recognised by its own probe only; a
   squashfs image's compression is recognised by that compression's probe only. */
static void fs_probes(void)
{
    struct jeos_ctx ctx;
    struct jeos_err err = {0};
    T_EQ_INT(jeos_ctx_init(&ctx, &err), 0);
    for (size_t i = 0; jeos_filesystems[i]; i++) {
        const struct fs_ops *fs = jeos_filesystems[i];
        if (!strcmp(fs->c.name, "squashfs") && access("/usr/bin/sqfstar", X_OK) != 0) {
            T_SKIP("sqfstar not installed (squashfs-tools)");
            continue;
        }
        struct tree *t = tree_new(0);
        struct tree_node *parent;
        const char *base;
        T_EQ_INT(tree_resolve_parent(t, "etc/hostname", true, 0, &parent, &base), 0);
        struct tree_inode *ino = tree_inode_new(TREE_FILE, 0644, 0, 0, 0);
        tree_inode_set_buf(ino, "axes\n", 5);
        tree_link(t, parent, base, ino);
        struct fs_opts o = {.epoch = 1700000000, .headroom = 1 << 20, .compression = "zstd"};
        char *p = xasprintf("%s/root%s", tmp, fs->c.suffix);
        if (fs->write(t, &o, p, &ctx, &err) != 0)
            T_FAILF("%s: %s", fs->c.name, err.n ? err.msgs[0] : "?");
        char *got = accepted(&jeos_axis_fs, p);
        T_EQ_STR(got, fs->c.name);
        if (!strcmp(fs->c.name, "squashfs")) {
            char *comp = accepted(&jeos_axis_compression, p);
            T_EQ_STR(comp, "zstd");
            free(comp);
        }
        free(got), free(p);
        tree_free(t);
    }
    jeos_err_free(&err);
    jeos_ctx_free(&ctx);
}

/* Formats: each converter's output is recognised by its own probe; raw by raw's and, since a
   fixed VHD begins with the raw disk it holds, the VHD by both raw's and vhd's. */
static void format_probes(void)
{
    if (access("/usr/bin/qemu-img", X_OK) != 0) {
        T_SKIP("qemu-img not installed");
        return;
    }
    struct jeos_ctx ctx;
    struct jeos_err err = {0};
    T_EQ_INT(jeos_ctx_init(&ctx, &err), 0);
    char *raw = xasprintf("%s/d.raw", tmp);
    char *buf = xcalloc(1, 2 << 20);
    buf[510] = 0x55, buf[511] = (char)0xaa;
    T_EQ_INT(jeos_write_file_atomic(raw, buf, 2 << 20, 0644, &err), 0);
    free(buf);
    /* xen copies a kernel and an initramfs beside its xl.cfg: any two files will do here */
    char *kern = xasprintf("%s/d.kernel", tmp);
    T_EQ_INT(jeos_write_file_atomic(kern, "kernel", 6, 0644, &err), 0);
    struct jeos_format_opts o = {.name = "axes",
                                 .seed = "axes",
                                 .kernel = kern,
                                 .initramfs = kern,
                                 .cmdline = "root=PARTUUID=x console=hvc0"};
    for (size_t i = 0; jeos_formats[i]; i++) {
        const struct jeos_format_ops *f = jeos_formats[i];
        if (!f->convert || !strcmp(f->c.name, "raw"))
            continue;
        /* one made from another (ova, openstack) reuses its output, made earlier in the list */
        char *from = f->from ? xasprintf("%s/d%s", tmp, jeos_format_find(f->from)->c.suffix) : NULL;
        o.from = from;
        int rc = jeos_format_write(&ctx, f, raw, tmp, "d", &o, &err);
        free(from);
        if (rc != 0) {
            T_FAILF("%s: %s", f->c.name, err.n ? err.msgs[0] : "?");
            continue;
        }
        char *p = xasprintf("%s/d%s", tmp, f->c.suffix);
        char *got = accepted(&jeos_axis_format, p);
        T_EQ_STR(got, strcmp(f->c.name, "vhd") ? f->c.name : "raw vhd");
        free(got), free(p);
    }
    char *got = accepted(&jeos_axis_format, raw);
    T_EQ_STR(got, "raw");
    /* jeos run's choice for a fixed VHD under another name: not raw */
    uint64_t size;
    char *vhd = xasprintf("%s/d.vhd", tmp);
    int fd = open_ro(vhd, &size);
    const struct jeos_choice *c =
        jeos_axis_probe(&jeos_axis_format, fd, size, &jeos_format_find("raw")->c);
    T_EQ_STR(c ? c->name : NULL, "vhd");
    close(fd);
    free(got), free(vhd), free(raw), free(kern);
    jeos_err_free(&err);
    jeos_ctx_free(&ctx);
}

int main(void)
{
    const char *t = getenv("T_TMP");
    tmp = xstrdup(t && *t ? t : "/tmp");
    T_RUN(rows_whole);
    T_RUN(empty_file);
    T_RUN(ptable_probes);
    T_RUN(fs_probes);
    T_RUN(format_probes);
    free(tmp);
    return T_DONE();
}

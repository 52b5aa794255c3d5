/* ukfiles_test.c — recipe files: → cpio newc for the unikernel runtime, listed by GNU cpio. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/core/alloc.h"
#include "builder/core/ctx.h"
#include "builder/core/err.h"
#include "builder/core/spawn.h"
#include "builder/core/util.h"
#include "builder/recipe/recipe.h"
#include "tests/harness.h"
#include "builder/unikernel/files.h"

static char dir[] = "/tmp/ukfiles_test.XXXXXX";

static void put(const char *rel, const char *text)
{
    char *p = xasprintf("%s/%s", dir, rel);
    struct jeos_err err = {0};
    jeos_write_file_atomic(p, text, strlen(text), 0644, &err);
    jeos_err_free(&err);
    free(p);
}

static struct recipe *load(const char *yaml)
{
    char *path = xasprintf("%s/r.yaml", dir);
    struct recipe *r = NULL;
    struct jeos_err err = {0};
    struct recipe_load_opts opts = {.check_files = true};
    if (recipe_load_buffer(path, yaml, strlen(yaml), &opts, &r, &err) < 0)
        for (size_t i = 0; i < err.n; i++)
            fprintf(stderr, "  recipe: %s\n", err.msgs[i]);
    jeos_err_free(&err);
    free(path);
    return r;
}

static void test_listing(void)
{
    char *sub = xasprintf("%s/site/css", dir);
    struct jeos_err err = {0};
    jeos_mkdir_p(sub, 0755, &err);
    put("site/index.html", "<p>hi</p>\n");
    put("site/css/a.css", "p{}\n");
    put("one.txt", "1\n");
    put("m.c", "int main(void) { return 0; }\n");
    char *ln = xasprintf("%s/site/link", dir);
    T_CHECK(symlink("index.html", ln) == 0);
    struct recipe *r = load("name: t\nkind: unikernel\nsources: [m.c]\nfiles:\n"
                            "  - {src: site/, dst: /srv/www/}\n"
                            "  - {src: one.txt, dst: /etc/one, mode: \"0600\"}\n");
    T_CHECK(r != NULL);
    if (!r)
        return;
    struct jeos_ctx ctx = {.have_epoch = true, .epoch = 1700000000};
    char *out = xasprintf("%s/f.cpio", dir), *out2 = xasprintf("%s/g.cpio", dir);
    T_EQ_INT(uk_files_cpio(&ctx, r, out, &err), 0);
    T_EQ_INT(uk_files_cpio(&ctx, r, out2, &err), 0);
    struct sbuf list = {0};
    char *argv[] = {"cpio", "-it", "--quiet", "-F", out, NULL};
    if (jeos_spawn(argv, &list, &err) == 0)
        T_EQ_STR(list.s, "etc\netc/one\nsrv\nsrv/www\nsrv/www/css\nsrv/www/css/a.css\n"
                         "srv/www/index.html\nsrv/www/link\n");
    else
        T_FAILF("cpio -it failed");
    char *a = NULL, *b = NULL;
    size_t al = 0, bl = 0;
    jeos_read_file(out, &a, &al, &err);
    jeos_read_file(out2, &b, &bl, &err);
    T_CHECK(a && b && al == bl && memcmp(a, b, al) == 0); /* same input, same bytes */
    struct sbuf v = {0};
    char *argv2[] = {"cpio", "-itv", "--quiet", "-F", out, NULL};
    if (jeos_spawn(argv2, &v, &err) == 0) {
        T_CHECK(strstr(v.s, "-rw-------   1 root     root            2 Nov 14  2023 etc/one"));
        T_CHECK(strstr(v.s, "srv/www/link -> index.html"));
    }
    sbuf_free(&list);
    sbuf_free(&v);
    free(a);
    free(b);
    free(out);
    free(out2);
    free(sub);
    free(ln);
    recipe_free(r);
    jeos_err_free(&err);
}

static void test_empty(void)
{
    struct recipe *r = load("name: t\nkind: unikernel\nsources: [m.c]\n");
    T_CHECK(r != NULL);
    if (!r)
        return;
    struct jeos_ctx ctx = {0};
    struct jeos_err err = {0};
    char *out = xasprintf("%s/e.cpio", dir);
    T_EQ_INT(uk_files_cpio(&ctx, r, out, &err), 0);
    struct stat st;
    T_CHECK(stat(out, &st) == 0 && st.st_size > 0 && st.st_size <= 512); /* the trailer alone */
    free(out);
    recipe_free(r);
    jeos_err_free(&err);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    put("m.c", "int main(void) { return 0; }\n");
    T_RUN(test_listing);
    T_RUN(test_empty);
    char *argv[] = {"rm", "-rf", dir, NULL};
    struct jeos_err err = {0};
    jeos_spawn(argv, NULL, &err);
    jeos_err_free(&err);
    return T_DONE();
}

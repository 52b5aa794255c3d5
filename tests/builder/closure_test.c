/* closure_test.c — the closure check's exact errors, warnings and needs on a tree made here (a
 * service program not in the image, a missing interpreter, a missing user or folder, a missing
 * library), and the service user sysconf makes with a warning. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/appliance/closure.h"
#include "builder/appliance/sysconf.h"
#include "builder/core/alloc.h"
#include "builder/core/err.h"
#include "builder/core/tree.h"
#include "builder/recipe/recipe.h"
#include "tests/harness.h"

static void put(struct tree *t, const char *path, const void *data, size_t len, unsigned mode,
                const char *pkg)
{
    struct tree_node *parent;
    const char *base;
    if (tree_resolve_parent(t, path, true, 0, &parent, &base) < 0)
        return;
    struct tree_inode *ino = tree_inode_new(TREE_FILE, mode, 0, 0, 0);
    tree_inode_set_buf(ino, data, len);
    free(ino->pkg);
    ino->pkg = xstrdup(pkg);
    tree_link(t, parent, base, ino);
}

static void put_text(struct tree *t, const char *path, const char *text, unsigned mode)
{
    put(t, path, text, strlen(text), mode, "pkg");
}

static void w16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void w64(unsigned char *p, unsigned long long v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* A 64-bit ELF with one DT_NEEDED, and `extra` in its bytes. Returns its length. */
static size_t make_elf(unsigned char *b, const char *needed, const char *extra)
{
    memset(b, 0, 512);
    memcpy(b, "\177ELF\2\1\1", 7);
    w16(b + 16, 3);  /* ET_DYN */
    w64(b + 32, 64); /* e_phoff */
    w16(b + 54, 56); /* e_phentsize */
    w16(b + 56, 2);  /* e_phnum */
    unsigned char *ph = b + 64;
    ph[0] = 1; /* PT_LOAD */
    w64(ph + 8, 0);
    w64(ph + 16, 0x400000);
    w64(ph + 32, 400);
    w64(ph + 40, 400);
    ph += 56;
    ph[0] = 2; /* PT_DYNAMIC at 176, three entries */
    w64(ph + 8, 176);
    w64(ph + 32, 48);
    unsigned char *d = b + 176;
    w64(d, 1); /* DT_NEEDED: strtab offset 1 */
    w64(d + 8, 1);
    w64(d + 16, 5); /* DT_STRTAB */
    w64(d + 24, 0x400000 + 224);
    /* DT_NULL follows (zeros) */
    strcpy((char *)b + 225, needed);
    size_t n = 225 + strlen(needed) + 1;
    if (extra) {
        memcpy(b + n, extra, strlen(extra) + 1);
        n += strlen(extra) + 1;
    }
    return n < 400 ? 400 : n;
}

static struct svc_spec *spec(struct svc_plan *p, const char *unit, const char *prog)
{
    struct svc_spec *s = svc_plan_add(p);
    s->name = xstrdup("svc");
    s->unit = unit ? xstrdup(unit) : NULL;
    s->where = (struct recipe_pos){4, 10};
    deb_strs_add(&s->start.argv, prog);
    return s;
}

static struct tree *base_tree(void)
{
    struct tree *t = tree_new(0);
    put_text(t, "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nwww:x:33:33::/var/www:/x\n", 0644);
    put_text(t, "/etc/group", "root:x:0:\nwww:x:33:\n", 0644);
    return t;
}

/* Runs the check on one plan; returns the messages, one a line (errors then warnings). */
static char *run(struct tree *t, struct svc_plan *p, struct closure_result *cr)
{
    struct recipe r;
    memset(&r, 0, sizeof(r));
    r.path = "t.yaml";
    struct jeos_err err = {0};
    memset(cr, 0, sizeof(*cr));
    closure_check(t, &r, p, cr, &err);
    struct sbuf o = {0};
    sbuf_puts(&o, "");
    for (size_t i = 0; i < err.n; i++)
        sbuf_printf(&o, "error: %s\n", err.msgs[i]);
    for (size_t i = 0; i < cr->warnings.n; i++)
        sbuf_printf(&o, "warning: %s\n", cr->warnings.v[i]);
    for (size_t i = 0; i < cr->nneeds; i++)
        sbuf_printf(&o, "need: %s (%s; %s)\n", cr->needs[i].pkg, cr->needs[i].why,
                    cr->needs[i].parent ? cr->needs[i].parent : "-");
    jeos_err_free(&err);
    return sbuf_take(&o);
}

/* ---- the cases: each makes its files and services ---- */

static void c_exec_missing(struct tree *t, struct svc_plan *p)
{
    (void)t;
    spec(p, NULL, "/usr/sbin/nginxx");
}

static void c_unit_exec_missing(struct tree *t, struct svc_plan *p)
{
    (void)t;
    spec(p, "/lib/systemd/system/x.service", "/usr/bin/x");
}

static void c_not_executable(struct tree *t, struct svc_plan *p)
{
    put_text(t, "/usr/bin/y", "#!/bin/sh\n", 0644);
    spec(p, NULL, "/usr/bin/y");
}

static void c_interpreter_unknown(struct tree *t, struct svc_plan *p)
{
    put_text(t, "/usr/local/bin/run", "#!/usr/bin/python3 -u\nprint(1)\n", 0755);
    spec(p, NULL, "/usr/local/bin/run");
}

static void c_interpreter_sh(struct tree *t, struct svc_plan *p)
{
    put(t, "/usr/local/bin/start", "#! /bin/sh\nexec x\n", 19, 0755, "app");
    spec(p, "/lib/systemd/system/app.service", "/usr/local/bin/start");
}

static void c_interpreter_env(struct tree *t, struct svc_plan *p)
{
    put_text(t, "/usr/bin/env", "\177ELF", 0755);
    put_text(t, "/usr/local/bin/tool", "#!/usr/bin/env perl\n", 0755);
    spec(p, NULL, "/usr/local/bin/tool");
}

static void c_not_run(struct tree *t, struct svc_plan *p)
{
    put_text(t, "/usr/bin/debconf", "#!/usr/bin/perl -w\n", 0755);
    put_text(t, "/etc/init.d/x", "#!/bin/sh\n", 0755);
    put_text(t, "/usr/bin/a.py", "#!/usr/bin/python3\n", 0755);
    put_text(t, "/usr/bin/ok", "#!/bin/sh\n", 0755);
    put_text(t, "/bin/sh", "\177ELF", 0755);
    spec(p, NULL, "/usr/bin/ok");
}

static void c_user_missing(struct tree *t, struct svc_plan *p)
{
    put_text(t, "/usr/bin/ok", "#!/bin/ok\n", 0755);
    put_text(t, "/bin/ok", "\177ELF", 0755);
    struct svc_spec *s = spec(p, NULL, "/usr/bin/ok");
    s->user = xstrdup("nosuch");
    s->group = xstrdup("www");
    s = spec(p, "/lib/systemd/system/u.service", "/usr/bin/ok");
    s->user = xstrdup("www");
    s->group = xstrdup("nogroup");
    s->workdir = xstrdup("/var/lib/u");
    s = spec(p, "/lib/systemd/system/v.service", "/usr/bin/ok");
    s->workdir = xstrdup("-/var/lib/v");
}

static unsigned char elf_buf[512];

static void c_library_missing(struct tree *t, struct svc_plan *p)
{
    size_t n = make_elf(elf_buf, "libmissing.so.1", NULL);
    put(t, "/usr/sbin/svc", elf_buf, n, 0755, "svc");
    put(t, "/usr/lib/x86_64-linux-gnu/libplugin.so", elf_buf, n, 0644, "svc");
    spec(p, NULL, "/usr/sbin/svc");
}

static void c_library_found(struct tree *t, struct svc_plan *p)
{
    size_t n = make_elf(elf_buf, "libthere.so.2", NULL);
    put(t, "/usr/sbin/svc", elf_buf, n, 0755, "svc");
    n = make_elf(elf_buf, "libc.so.6", NULL);
    put(t, "/usr/lib/x86_64-linux-gnu/libthere.so.2", elf_buf, n, 0644, "libthere2");
    put_text(t, "/usr/lib/x86_64-linux-gnu/libc.so.6", "\177ELF", 0644);
    spec(p, NULL, "/usr/sbin/svc");
}

static void c_runs_sh(struct tree *t, struct svc_plan *p)
{
    size_t n = make_elf(elf_buf, "libc.so.6", "/bin/sh");
    put(t, "/usr/sbin/sshd", elf_buf, n, 0755, "openssh-server");
    put_text(t, "/usr/lib/x86_64-linux-gnu/libc.so.6", "\177ELF", 0644);
    spec(p, "/lib/systemd/system/ssh.service", "/usr/sbin/sshd");
}

static void messages(void)
{
    struct {
        const char *name;
        void (*setup)(struct tree *t, struct svc_plan *p);
        const char *expect;
    } cases[] = {
        {"recipe exec not in the image", c_exec_missing,
         "error: t.yaml:4:10: service.exec[0]: /usr/sbin/nginxx is not in the image\n"},
        {"unit exec not in the image", c_unit_exec_missing,
         "error: /lib/systemd/system/x.service: ExecStart: /usr/bin/x is not in the image\n"},
        {"not executable", c_not_executable,
         "error: t.yaml:4:10: service.exec[0]: /usr/bin/y is not an executable file (mode "
         "0644)\n"},
        {"missing interpreter, no package known", c_interpreter_unknown,
         "error: /usr/local/bin/run: interpreter /usr/bin/python3 is not in the image (a service "
         "runs it; add the package that provides it to packages:)\n"},
        {"missing /bin/sh: dash", c_interpreter_sh,
         "need: dash (interpreter /bin/sh of /usr/local/bin/start; app)\n"},
        {"#!/usr/bin/env NAME", c_interpreter_env,
         "need: perl-base (interpreter /usr/bin/perl of /usr/local/bin/tool; pkg)\n"},
        {"no service runs them", c_not_run,
         "warning: /usr/bin/a.py: interpreter /usr/bin/python3 is not in the image (no service "
         "runs it)\n"
         "warning: /usr/bin/debconf: interpreter /usr/bin/perl is not in the image (perl-base "
         "provides it; no service runs it)\n"},
        {"missing user, group, folder", c_user_missing,
         "error: t.yaml:4:10: service.user: nosuch is not a user of the image\n"
         "error: /lib/systemd/system/u.service: Group: nogroup is not a group of the image\n"
         "error: /lib/systemd/system/u.service: WorkingDirectory: /var/lib/u is not a folder of "
         "the image\n"},
        {"missing library", c_library_missing,
         "error: /usr/sbin/svc: needs libmissing.so.1, which is not in the image (a service runs "
         "it)\n"
         "warning: /usr/lib/x86_64-linux-gnu/libplugin.so: needs libmissing.so.1, which is not in "
         "the image (no service runs it)\n"},
        {"libraries found", c_library_found, ""},
        {"a program naming /bin/sh", c_runs_sh,
         "need: dash (/bin/sh, which /usr/sbin/sshd runs commands with; openssh-server)\n"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct tree *t = base_tree();
        struct svc_plan p = {0};
        cases[i].setup(t, &p);
        struct closure_result cr;
        char *got = run(t, &p, &cr);
        if (strcmp(got, cases[i].expect) != 0)
            T_FAILF("%s:\n--- expected\n%s--- got\n%s---", cases[i].name, cases[i].expect, got);
        free(got);
        closure_result_free(&cr);
        svc_plan_free(&p);
        tree_free(t);
    }
}

/* sysconf: the recipe's service user made with a warning; a unit's, an error. */
static void service_users(void)
{
    const char *y = "name: t\nkind: appliance\npackages: [xy]\n"
                    "service: {exec: [/usr/bin/x], user: nosuch}\n";
    struct recipe *r = NULL;
    struct jeos_err err = {0};
    struct recipe_load_opts o = {.check_files = false};
    T_EQ_INT(recipe_load_buffer("t.yaml", y, strlen(y), &o, &r, &err), 0);
    struct tree *t = tree_new(0);
    struct sysconf_report rep = {0};
    T_EQ_INT(sysconf_apply(t, r, NULL, 0, 0, &rep, &err), 0);
    T_EQ_INT(rep.warnings.n, 1);
    T_EQ_STR(rep.warnings.n ? rep.warnings.v[0] : NULL,
             "t.yaml:4:37: service.user: no user nosuch in the image; made a system user of that "
             "name (list it under users: to choose its ids)");
    sysconf_report_free(&rep);
    tree_free(t);
    recipe_free(r);

    y = "name: t\nkind: appliance\npackages: [xy]\nservice: {unit: x}\n";
    T_EQ_INT(recipe_load_buffer("t.yaml", y, strlen(y), &o, &r, &err), 0);
    t = tree_new(0);
    put_text(t, "/usr/lib/systemd/system/x.service",
             "[Service]\nExecStart=/usr/bin/x\nUser=ghost\n", 0644);
    memset(&rep, 0, sizeof(rep));
    T_CHECK(sysconf_apply(t, r, NULL, 0, 0, &rep, &err) < 0);
    T_EQ_STR(err.n ? err.msgs[0] : NULL,
             "/usr/lib/systemd/system/x.service: User=ghost: no such user in the image (no "
             "package makes it; add it under users:)");
    jeos_err_free(&err);
    sysconf_report_free(&rep);
    tree_free(t);
    recipe_free(r);

    y = "name: t\nkind: appliance\npackages: [xy]\nservice: {unit: nosuch}\n";
    T_EQ_INT(recipe_load_buffer("t.yaml", y, strlen(y), &o, &r, &err), 0);
    t = tree_new(0);
    memset(&rep, 0, sizeof(rep));
    T_CHECK(sysconf_apply(t, r, NULL, 0, 0, &rep, &err) < 0);
    T_EQ_STR(err.n ? err.msgs[0] : NULL,
             "t.yaml:4:10: service.unit: nosuch is not a unit of the image (no such file in "
             "/etc/systemd/system or /lib/systemd/system)");
    jeos_err_free(&err);
    sysconf_report_free(&rep);
    tree_free(t);
    recipe_free(r);
}

int main(void)
{
    T_RUN(messages);
    T_RUN(service_users);
    return T_DONE();
}

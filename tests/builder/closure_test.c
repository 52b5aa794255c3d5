/* closure_test.c — the closure check's exact errors, warnings and needs on a tree made here (a
 * service program not in the image, a missing interpreter, a missing user or folder, a missing
 * library, the commands of a script a service runs, a program its configuration names), and the
 * service user sysconf makes with a warning. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/appliance/closure.h"
#include "builder/appliance/sysconf.h"
#include "builder/core/alloc.h"
#include "builder/core/err.h"
#include "builder/core/tree.h"
#include "builder/debian/deb.h"
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

/* A shell script a service runs: the commands it (and a file it sources) would run, looked for */
static void c_script_commands(struct tree *t, struct svc_plan *p)
{
    const char *ctl = "#!/bin/sh\nset -e\nif [ \"$(id -u)\" != 0 ]; then echo no; fi\n"
                      "for d in /run/web /var/log/web; do mkdir -p $d; done\n"
                      "command -v lynx >/dev/null && lynx -dump\n"
                      ". /etc/web/envvars\n"
                      "case \"$1\" in start) exec /usr/sbin/webd \"$@\";; *) exit 1;; esac\n";
    put(t, "/usr/sbin/ctl", ctl, strlen(ctl), 0755, "web");
    put(t, "/etc/web/envvars", "umask 022\nlogger -t web up\n", 26, 0644, "web");
    put_text(t, "/bin/sh", "\177ELF", 0755);
    put_text(t, "/usr/sbin/webd", "\177ELF", 0755);
    spec(p, "/lib/systemd/system/web.service", "/usr/sbin/ctl");
}

/* A perl script a service runs: the programs it starts by a literal name (also in a module it
   uses from /usr/share/perl5), a command line (/bin/sh), not those in variables, comments or pod */
static void c_perl_programs(struct tree *t, struct svc_plan *p)
{
    const char *pl = "#!/usr/bin/perl\nuse strict;\nuse Pg::Common;\n"
                     "system 'install', '-d', $dir;\n"
                     "system \"chattr +C '$dir' 2>/dev/null\";\n"
                     "system $prog, 'x'; # system 'rm'\n"
                     "=pod\nsystem 'mkdir'\n=cut\n"
                     "exec('/usr/sbin/webd', '-f');\n";
    put(t, "/usr/bin/pgc", pl, strlen(pl), 0755, "pgc");
    const char *pm = "package Pg::Common;\nsub f { system('id', '-G') }\n1;\n";
    put(t, "/usr/share/perl5/Pg/Common.pm", pm, strlen(pm), 0644, "pgc");
    put_text(t, "/usr/bin/perl", "\177ELF", 0755);
    put_text(t, "/usr/sbin/webd", "\177ELF", 0755);
    spec(p, "/lib/systemd/system/pgc.service", "/usr/bin/pgc");
}

/* A program the service's configuration names runs: its interpreter is needed */
static void c_config_names(struct tree *t, struct svc_plan *p)
{
    const char *conf = "server.port = 80\ninclude_shell \"/usr/share/lt/gen.pl\"\n"
                       "# include_shell \"/usr/share/lt/other.pl\"\n";
    put(t, "/usr/sbin/lt", "\177ELF", 4, 0755, "lt");
    put(t, "/etc/lt/lt.conf", conf, strlen(conf), 0644, "lt");
    put(t, "/usr/share/lt/gen.pl", "#!/usr/bin/perl\n", 16, 0755, "lt");
    put(t, "/usr/share/lt/other.pl", "#!/usr/bin/perl\n", 16, 0755, "lt");
    spec(p, "/lib/systemd/system/lt.service", "/usr/sbin/lt");
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
         "warning: /usr/local/bin/start: line 2: command x is not in the image and no package is "
         "known to provide it (/usr/local/bin/start, which a service runs)\n"
         "need: dash (interpreter /bin/sh of /usr/local/bin/start; app)\n"},
        {"a script's commands", c_script_commands,
         "warning: /usr/sbin/ctl: line 5: command lynx is not in the image and no package is "
         "known to provide it (/usr/sbin/ctl, which a service runs)\n"
         "need: coreutils (command id on line 3 of /usr/sbin/ctl, which a service runs; web)\n"
         "need: bsdutils (command logger on line 2 of /etc/web/envvars, which /usr/sbin/ctl (a "
         "service runs it) sources; web)\n"},
        {"a perl script's programs", c_perl_programs,
         "warning: /usr/bin/pgc: line 5: command chattr is not in the image and no package is "
         "known to provide it (/usr/bin/pgc, which a service runs)\n"
         "need: coreutils (command id on line 2 of /usr/share/perl5/Pg/Common.pm, which "
         "/usr/bin/pgc (a service runs it) uses; pgc)\n"
         "need: dash (command /bin/sh on line 5 of /usr/bin/pgc, which a service runs; pgc)\n"},
        {"a program the configuration names", c_config_names,
         "warning: /usr/share/lt/other.pl: interpreter /usr/bin/perl is not in the image "
         "(perl-base provides it; no service runs it)\n"
         "need: perl-base (interpreter /usr/bin/perl of /usr/share/lt/gen.pl; lt)\n"},
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

/* A template instance as the service (%i, %I, the template's drop-in), its AssertPathExists= met by
   a first-boot command a postinst asks for through a sourced file's function (pg_createcluster:
   the VERSION from ${DPKG_MAINTSCRIPT_PACKAGE##*-}); a unit that runs nothing itself refused with
   the templates that are PartOf= it, and passed over without service:. */
static void instances(void)
{
    static const char *const units[][2] = {
        {"/usr/lib/systemd/system/pg@.service",
         "[Unit]\nPartOf=pg.service\nAssertPathExists=/etc/pg/%I/pg.conf\n"
         "[Service]\nType=forking\nExecStart=-/usr/bin/pgctl %i start\nPIDFile=/run/pg/%i.pid\n"},
        {"/usr/lib/systemd/system/pg@.service.d/jeos.conf", "[Service]\nEnvironment=P=%p\n"},
        {"/usr/lib/systemd/system/pg.service",
         "[Service]\nType=oneshot\nExecStart=/bin/true\nRemainAfterExit=yes\n"
         "[Install]\nWantedBy=multi-user.target\n"},
        {"/usr/share/pg-common/functions",
         "configure_version() {\n  if [ ! -d /etc/pg/$1 ]; then\n"
         "    pg_createcluster -u postgres --no-status $1 main || echo failed\n  fi\n}\n"},
    };
    char *postinst =
        xstrdup("#!/bin/sh\nset -e\nVERSION=${DPKG_MAINTSCRIPT_PACKAGE##*-}\n"
                "if [ \"$1\" = configure ]; then\n"
                "  . /usr/share/pg-common/functions\n  configure_version $VERSION\nfi\n");
    struct deb_info pkg = {.name = xstrdup("pg-15"), .postinst = postinst};
    deb_strs_add(&pkg.depends, "pg-common"); /* the units are pg-common's */
    const char *recipes[] = {
        "name: t\nkind: appliance\npackages: [pg-15]\nservice: {unit: pg@15-main}\n",
        "name: t\nkind: appliance\npackages: [pg-15]\nservice: {unit: pg}\n",
        "name: t\nkind: appliance\npackages: [pg-15]\n",
    };
    const char *want_err[] = {
        NULL,
        "t.yaml:4:10: service.unit: pg.service runs nothing itself (Type=oneshot, ExecStart=true: "
        "it only groups other units); give service: {unit: NAME@INSTANCE} for one of its "
        "instances, from pg@.service (see recipes/README.md, service)",
        "t.yaml: service: none given, and pg.service runs nothing itself (Type=oneshot, "
        "ExecStart=true: it only groups other units); give service: {unit: NAME@INSTANCE} for one "
        "of its instances, from pg@.service (see recipes/README.md, service)",
    };
    for (size_t k = 0; k < 3; k++) {
        struct recipe *r = NULL;
        struct jeos_err err = {0};
        struct recipe_load_opts o = {.check_files = false};
        T_EQ_INT(recipe_load_buffer("t.yaml", recipes[k], strlen(recipes[k]), &o, &r, &err), 0);
        struct tree *t = tree_new(0);
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
            put(t, units[i][0], units[i][1], strlen(units[i][1]), 0644, "pg-common");
        put_text(t, "/usr/bin/pgctl", "\177ELF", 0755);
        put_text(t, "/usr/bin/pg_createcluster", "#!/usr/bin/perl\n", 0755);
        struct sysconf_report rep = {0};
        int rc = sysconf_apply(t, r, &pkg, 1, 0, &rep, &err);
        if (!want_err[k]) {
            T_EQ_INT(rc, 0);
            T_EQ_INT(rep.plan.nboot, 1);
            if (rep.plan.nboot == 1) {
                const struct svc_cmd *b = &rep.plan.boot[0];
                T_EQ_INT(b->argv.n, 6);
                T_EQ_STR(b->argv.v[0], "/usr/bin/pg_createcluster");
                T_EQ_STR(b->argv.n == 6 ? b->argv.v[4] : NULL, "15");
                T_EQ_STR(b->unless, "/etc/postgresql/15/main/postgresql.conf");
            }
            T_EQ_INT(rep.plan.n, 0); /* /etc/pg/15/main/pg.conf: no first-boot command makes it */
        } else {
            T_CHECK(rc < 0);
            T_EQ_STR(err.n ? err.msgs[0] : NULL, want_err[k]);
        }
        jeos_err_free(&err);
        sysconf_report_free(&rep);
        tree_free(t);
        recipe_free(r);
    }
    /* the instance runs once its assertion names what the first-boot command makes */
    {
        const char *y =
            "name: t\nkind: appliance\npackages: [pg-15]\nservice: {unit: pg@15-main}\n";
        struct recipe *r = NULL;
        struct jeos_err err = {0};
        struct recipe_load_opts o = {.check_files = false};
        T_EQ_INT(recipe_load_buffer("t.yaml", y, strlen(y), &o, &r, &err), 0);
        struct tree *t = tree_new(0);
        const char *u = "[Unit]\nAssertPathExists=/etc/postgresql/%I/postgresql.conf\n"
                        "[Service]\nType=forking\nExecStart=-/usr/bin/pgctl %i start\n"
                        "PIDFile=/run/pg/%i.pid\n";
        put(t, "/usr/lib/systemd/system/pg@.service", u, strlen(u), 0644, "pg-common");
        put(t, units[1][0], units[1][1], strlen(units[1][1]), 0644, "pg-common");
        put(t, units[3][0], units[3][1], strlen(units[3][1]), 0644, "pg-common");
        put_text(t, "/usr/bin/pgctl", "\177ELF", 0755);
        put_text(t, "/usr/bin/pg_createcluster", "#!/usr/bin/perl\n", 0755);
        struct sysconf_report rep = {0};
        T_EQ_INT(sysconf_apply(t, r, &pkg, 1, 0, &rep, &err), 0);
        T_EQ_INT(rep.plan.n, 1);
        if (rep.plan.n == 1) {
            const struct svc_spec *sp = &rep.plan.v[0];
            T_EQ_STR(sp->name, "pg@15-main");
            T_EQ_INT(sp->start.argv.n, 3);
            T_EQ_STR(sp->start.argv.n == 3 ? sp->start.argv.v[1] : NULL, "15-main");
            T_EQ_STR(sp->pidfile, "/run/pg/15-main.pid");
            T_EQ_INT(sp->env.n, 1);
            T_EQ_STR(sp->env.n ? sp->env.v[0] : NULL, "P=pg");
        }
        T_CHECK(strstr(rep.actions.s ? rep.actions.s : "",
                       "AssertPathExists=/etc/postgresql/%I/postgresql.conf: made at first boot by "
                       "/usr/bin/pg_createcluster") != NULL);
        jeos_err_free(&err);
        sysconf_report_free(&rep);
        tree_free(t);
        recipe_free(r);
    }
    free(pkg.name);
    deb_strs_free(&pkg.depends);
    free(postinst);
}

/* Two packages' units: the one After= the other starts after it (and comes second in the plan),
   also when the other says Before=; a cycle is refused. */
static void ordering(void)
{
    static const char *const cases[][3] = {
        {"[Unit]\nAfter=network.target db.service\n[Service]\nExecStart=/usr/bin/web\n",
         "[Service]\nExecStart=/usr/bin/db\n", NULL},
        {"[Service]\nExecStart=/usr/bin/web\n",
         "[Unit]\nBefore=web.service\n[Service]\nExecStart=/usr/bin/db\n", NULL},
        {"[Unit]\nAfter=db.service\n[Service]\nExecStart=/usr/bin/web\n",
         "[Unit]\nAfter=web\n[Service]\nExecStart=/usr/bin/db\n",
         "t.yaml: services web, db wait for each other (their units' After=/Before= make a cycle): "
         "give service: {unit: NAME} for the one to run"},
    };
    for (size_t k = 0; k < 3; k++) {
        const char *y = "name: t\nkind: appliance\npackages: [web, db]\n";
        struct recipe *r = NULL;
        struct jeos_err err = {0};
        struct recipe_load_opts o = {.check_files = false};
        T_EQ_INT(recipe_load_buffer("t.yaml", y, strlen(y), &o, &r, &err), 0);
        struct tree *t = tree_new(0);
        char *u0 = xasprintf("%s[Install]\nWantedBy=multi-user.target\n", cases[k][0]);
        char *u1 = xasprintf("%s[Install]\nWantedBy=multi-user.target\n", cases[k][1]);
        put(t, "/usr/lib/systemd/system/web.service", u0, strlen(u0), 0644, "web");
        put(t, "/usr/lib/systemd/system/db.service", u1, strlen(u1), 0644, "db");
        put(t, "/usr/bin/web", "\177ELF", 4, 0755, "web");
        put(t, "/usr/bin/db", "\177ELF", 4, 0755, "db");
        struct sysconf_report rep = {0};
        int rc = sysconf_apply(t, r, NULL, 0, 0, &rep, &err);
        if (cases[k][2]) {
            T_CHECK(rc < 0);
            T_EQ_STR(err.n ? err.msgs[0] : NULL, cases[k][2]);
        } else {
            T_EQ_INT(rc, 0);
            T_EQ_INT(rep.plan.n, 2);
            if (rep.plan.n == 2) {
                T_EQ_STR(rep.plan.v[0].name, "db");
                T_EQ_STR(rep.plan.v[1].name, "web");
                T_EQ_INT(rep.plan.v[1].after.n, 1);
                T_EQ_STR(rep.plan.v[1].after.n ? rep.plan.v[1].after.v[0] : NULL, "db");
                T_EQ_INT(rep.plan.v[0].after.n, 0);
            }
        }
        free(u0);
        free(u1);
        jeos_err_free(&err);
        sysconf_report_free(&rep);
        tree_free(t);
        recipe_free(r);
    }
}

int main(void)
{
    T_RUN(messages);
    T_RUN(service_users);
    T_RUN(instances);
    T_RUN(ordering);
    return T_DONE();
}

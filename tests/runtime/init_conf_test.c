/* init_conf_test.c — the builder's init.conf writer against init's own parser, and the parser's
 * errors. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "builder/core/alloc.h"
#include "builder/core/err.h"
#include "builder/recipe/recipe.h"
#include "builder/appliance/init_conf.h"
#include "builder/appliance/units.h"
#include "builder/core/tree.h"
#include "tests/harness.h"

/* init's parser is compiled in here as it is into the guest binary. */
#include "runtime/init/conf.c"

static void round_trip(void)
{
    char *dns[] = {"1.1.1.1"};
    char *ek[] = {"LANG"}, *ev[] = {"C.UTF-8"};
    struct recipe r;
    memset(&r, 0, sizeof(r));
    r.path = "web.yaml";
    r.name = "web";
    r.hostname = "web-1";
    r.network.mode = RECIPE_NET_STATIC;
    r.network.address = "10.0.2.15";
    r.network.prefix = 24;
    r.network.gateway = "10.0.2.2";
    r.network.dns = (struct recipe_strlist){.n = 1, .v = dns};
    r.env = (struct recipe_env){.n = 1, .keys = ek, .values = ev};

    struct svc_plan p = {0};
    svc_dir_add(&p.dirs, &p.ndirs, 'd', "/run/haproxy", 02775, "haproxy", "haproxy", NULL);
    svc_dir_add(&p.dirs, &p.ndirs, 'L', "/run/lock/x", -1, NULL, NULL, "/run/x");
    p.boot = xcalloc(1, sizeof(*p.boot));
    p.nboot = 1;
    deb_strs_add(&p.boot[0].argv, "/usr/bin/ssh-keygen");
    deb_strs_add(&p.boot[0].argv, "-N");
    deb_strs_add(&p.boot[0].argv, "");
    p.boot[0].unless = xstrdup("/etc/ssh/k");
    struct svc_spec *s = svc_plan_add(&p);
    s->name = xstrdup("nginx");
    s->where = (struct recipe_pos){4, 10};
    deb_strs_add(&s->start.argv, "/usr/sbin/nginx");
    deb_strs_add(&s->start.argv, "-g");
    deb_strs_add(&s->start.argv, "daemon off;");
    deb_strs_add(&s->start.argv, "");
    s->user = xstrdup("www-data");
    s->workdir = xstrdup("/var/www");
    deb_strs_add(&s->env, "MODE=prod");
    s->restart = RECIPE_RESTART_ON_FAILURE;
    struct svc_spec *u = svc_plan_add(&p);
    u->name = xstrdup("ssh");
    u->unit = xstrdup("/lib/systemd/system/ssh.service");
    u->type = SVC_NOTIFY;
    u->pre = xcalloc(1, sizeof(*u->pre));
    u->npre = 1;
    deb_strs_add(&u->pre[0].argv, "/usr/sbin/sshd");
    deb_strs_add(&u->pre[0].argv, "-t");
    u->pre[0].ignore_failure = true;
    u->pre[0].privileged = true;
    deb_strs_add(&u->start.argv, "/usr/sbin/sshd");
    deb_strs_add(&u->start.argv, "$SSHD_OPTS");
    u->start.expand = true;
    deb_strs_add(&u->groups, "adm");
    deb_strs_add(&u->groups, "ssl-cert");
    deb_strs_add(&u->envfiles, "-/etc/default/ssh");
    u->umask = 027;
    u->nofile = xstrdup("1024:4096");
    u->pidfile = xstrdup("/run/sshd.pid");
    svc_dir_add(&u->dirs, &u->ndirs, 'd', "/run/sshd", 0755, "root", NULL, NULL);
    deb_strs_add(&u->robinds, "/dev/log:/var/lib/x/dev/log");
    u->restart = RECIPE_RESTART_NO;
    u->ready = RECIPE_READY_PORT;
    u->ready_port = 22;
    s = &p.v[0]; /* svc_plan_add may have moved it */

    struct sbuf out = {0};
    struct jeos_err err = {0};
    T_EQ_INT(jeos_init_conf_write(&r, &p, &out, &err), 0);
    T_EQ_STR(out.s, "jeos-init 1\n"
                    "hostname web-1\n"
                    "net static 10.0.2.15/24 10.0.2.2\n"
                    "dns 1.1.1.1\n"
                    "dir 2775 haproxy haproxy /run/haproxy\n"
                    "symlink /run/lock/x /run/x\n"
                    "boot /usr/bin/ssh-keygen\n"
                    "arg -N\n"
                    "arg \n"
                    "unless /etc/ssh/k\n"
                    "service nginx\n"
                    "type simple\n"
                    "exec /usr/sbin/nginx\n"
                    "arg -g\n"
                    "arg daemon off;\n"
                    "arg \n"
                    "user www-data\n"
                    "workdir /var/www\n"
                    "env LANG=C.UTF-8\n"
                    "env MODE=prod\n"
                    "restart on-failure\n"
                    "ready auto\n"
                    "service ssh\n"
                    "type notify\n"
                    "pre /usr/sbin/sshd\n"
                    "arg -t\n"
                    "flags -+\n"
                    "exec /usr/sbin/sshd\n"
                    "arg $SSHD_OPTS\n"
                    "flags $\n"
                    "groups adm ssl-cert\n"
                    "env LANG=C.UTF-8\n"
                    "envfile -/etc/default/ssh\n"
                    "umask 0027\n"
                    "nofile 1024:4096\n"
                    "pidfile /run/sshd.pid\n"
                    "dir 0755 root - /run/sshd\n"
                    "bind-ro /dev/log:/var/lib/x/dev/log\n"
                    "restart no\n"
                    "ready port 22\n");
    struct init_conf c;
    char msg[200] = "";
    T_EQ_INT(init_conf_parse(out.s, out.len, &c, msg, sizeof(msg)), 0);
    T_EQ_STR(msg, "");
    T_EQ_STR(c.hostname, "web-1");
    T_EQ_INT(c.net, INIT_NET_STATIC);
    T_EQ_STR(c.address, "10.0.2.15");
    T_EQ_INT(c.prefix, 24);
    T_EQ_STR(c.gateway, "10.0.2.2");
    T_EQ_INT(c.ndns, 1);
    T_EQ_INT(c.ndirs, 2);
    T_EQ_INT(c.dirs[0].mode, 02775);
    T_EQ_STR(c.dirs[0].user, "haproxy");
    T_EQ_STR(c.dirs[0].path, "/run/haproxy");
    T_EQ_INT(c.dirs[1].kind, 'L');
    T_EQ_STR(c.dirs[1].target, "/run/x");
    T_EQ_INT(c.nboot, 1);
    T_EQ_INT(c.boot[0].argc, 3);
    T_EQ_STR(c.boot[0].argv[2], "");
    T_EQ_STR(c.boot[0].unless, "/etc/ssh/k");
    T_EQ_INT(c.nsvc, 2);
    struct init_svc *a = &c.svc[0], *b = &c.svc[1];
    T_EQ_STR(a->name, "nginx");
    T_EQ_INT(a->type, INIT_SIMPLE);
    T_EQ_INT(a->start.argc, 4);
    T_EQ_STR(a->start.argv[2], "daemon off;");
    T_EQ_STR(a->start.argv[3], "");
    T_CHECK(a->start.argv[4] == NULL);
    T_EQ_STR(a->user, "www-data");
    T_EQ_STR(a->workdir, "/var/www");
    T_EQ_INT(a->nenv, 2);
    T_EQ_STR(a->env[1], "MODE=prod");
    T_EQ_INT(a->restart, INIT_RESTART_ON_FAILURE);
    T_EQ_INT(a->ready, INIT_READY_AUTO);
    T_EQ_STR(b->name, "ssh");
    T_EQ_INT(b->type, INIT_NOTIFY);
    T_EQ_INT(b->npre, 1);
    T_EQ_INT(b->pre[0].flags, INIT_CMD_IGNORE | INIT_CMD_ROOT);
    T_EQ_INT(b->start.flags, INIT_CMD_EXPAND);
    T_EQ_INT(b->ngroups, 2);
    T_EQ_STR(b->groups[1], "ssl-cert");
    T_EQ_STR(b->envfiles[0], "-/etc/default/ssh");
    T_EQ_INT(b->umask, 027);
    T_EQ_STR(b->nofile, "1024:4096");
    T_EQ_STR(b->pidfile, "/run/sshd.pid");
    T_EQ_INT(b->ndirs, 1);
    T_CHECK(b->dirs[0].group == NULL);
    T_EQ_INT(b->nbinds, 1);
    T_CHECK(b->bind_ro[0]);
    T_EQ_INT(b->restart, INIT_RESTART_NO);
    T_EQ_INT(b->ready, INIT_READY_PORT);
    T_EQ_INT(b->ready_port, 22);
    init_conf_free(&c);
    sbuf_free(&out);

    /* A newline in an argument cannot be represented: the writer says which field. */
    free(s->start.argv.v[1]);
    s->start.argv.v[1] = xstrdup("a\nb");
    T_EQ_INT(jeos_init_conf_write(&r, &p, &out, &err), -EINVAL);
    T_EQ_STR(err.n ? err.msgs[0] : NULL,
             "web.yaml:4:10: service.exec[0]: a line break cannot be passed to the service");
    sbuf_free(&out);
    jeos_err_free(&err);
    svc_plan_free(&p);
}

static void parse_errors(void)
{
    struct {
        const char *text, *msg;
    } cases[] = {
        {"", "init.conf:0: empty file (expected the header \"jeos-init 1\") (got \"\")"},
        {"jeos-init 2\n", "init.conf:1: expected the header \"jeos-init 1\" (got \"jeos-init\")"},
        {"jeos-init 1\nnet ppp\n",
         "init.conf:2: net: expected none, dhcp or static ADDRESS/PREFIX [GATEWAY] (got \"ppp\")"},
        {"jeos-init 1\nnet static 10.0.2.300/24\n",
         "init.conf:2: net: expected none, dhcp or static ADDRESS/PREFIX [GATEWAY] (got \"static "
         "10.0.2.300/24\")"},
        {"jeos-init 1\nservice x\n\nexec bin/x\n",
         "init.conf:4: expected an absolute path of a program (got \"bin/x\")"},
        {"jeos-init 1\nexec /x\n", "init.conf:2: before the first \"service\" line (got \"exec\")"},
        {"jeos-init 1\narg x\n", "init.conf:2: before exec, pre, post or boot (got \"arg\")"},
        {"jeos-init 1\nservice x\nenv =x\n", "init.conf:3: env: expected NAME=value (got \"=x\")"},
        {"jeos-init 1\nservice x\nrestart sometimes\n",
         "init.conf:3: restart: expected always, on-failure or no (got \"sometimes\")"},
        {"jeos-init 1\nfoo bar\n", "init.conf:2: before the first \"service\" line (got \"foo\")"},
        {"jeos-init 1\nservice x\nexec /x\nfoo bar\n", "init.conf:4: unknown key (got \"foo\")"},
        {"jeos-init 1\nservice x\n", "init.conf:2: service without exec (got \"x\")"},
        {"jeos-init 1\nservice x\nservice y\n", "init.conf:3: service without exec (got \"x\")"},
        {"jeos-init 1\nservice x\nexec /x\nready soon\n",
         "init.conf:4: ready: expected auto, started, listen, notify or port N (got \"soon\")"},
        {"jeos-init 1\ndir 0755 root /run/x\n",
         "init.conf:2: expected MODE USER GROUP PATH (- for as it is) (got \"0755 root /run/x\")"},
        {"jeos-init 1\nservice x\nexec /x\nflags -!\n",
         "init.conf:4: flags: expected some of - + $ (got \"-!\")"},
        {"jeos-init 1\nservice x\nboot /x\n",
         "init.conf:3: boot: only before the first service (got \"/x\")"},
        {"jeos-init 1\nservice x\nexec /x\nbind /a\n",
         "init.conf:4: bind: expected SRC:DST, both absolute (got \"/a\")"},
        {"jeos-init 1\nservice x\nexec /x\nafter y\nservice y\nexec /y\n",
         "init.conf:4: after: not the name of a service given before this one (got \"y\")"},
        {"jeos-init 1\nservice x\nexec /x\nafter x\n",
         "init.conf:4: after: not the name of a service given before this one (got \"x\")"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct init_conf c;
        char msg[200] = "";
        T_EQ_INT(init_conf_parse(cases[i].text, strlen(cases[i].text), &c, msg, sizeof(msg)), -1);
        T_EQ_STR(msg, cases[i].msg);
    }
    struct init_conf c;
    char msg[200];
    const char *ok = "jeos-init 1\nnet dhcp\n";
    T_EQ_INT(init_conf_parse(ok, strlen(ok), &c, msg, sizeof(msg)), 0);
    T_EQ_INT(c.net, INIT_NET_DHCP);
    T_EQ_STR(c.hostname, "jeos");
    T_EQ_INT(c.nsvc, 0);
    init_conf_free(&c);
    const char *two = "jeos-init 1\nservice db\nexec /db\nservice web\nexec /web\nafter db\n";
    T_EQ_INT(init_conf_parse(two, strlen(two), &c, msg, sizeof(msg)), 0);
    T_EQ_INT(c.svc[1].nafter, 1);
    T_EQ_INT(c.svc[1].after[0], 0);
    T_EQ_INT(c.svc[0].nafter, 0);
    init_conf_free(&c);
}

/* A recipe as the loader makes it (defaults filled in) gives what init expects. */
static void from_loaded_recipe(void)
{
    const char *y = "name: web_app\n"
                    "kind: appliance\n"
                    "packages: [nginx-light]\n"
                    "service: {exec: [/usr/sbin/nginx, -g, \"daemon off;\"]}\n";
    struct recipe *r = NULL;
    struct jeos_err err = {0};
    struct recipe_load_opts o = {.check_files = false};
    T_EQ_INT(recipe_load_buffer("web.yaml", y, strlen(y), &o, &r, &err), 0);
    if (!r) {
        jeos_err_print(&err, stdout, "  ");
        jeos_err_free(&err);
        return;
    }
    struct sbuf out = {0}, log = {0};
    struct svc_plan p = {0};
    struct tree *t = tree_new(0);
    struct deb_strs warnings = {0};
    struct units_ctx uc = {t, NULL, NULL, 0, 0, &log, &warnings};
    T_EQ_INT(units_plan(&uc, r, &p, &err), 0);
    T_EQ_INT(jeos_init_conf_write(r, &p, &out, &err), 0);
    struct init_conf c;
    char msg[200] = "";
    T_EQ_INT(init_conf_parse(out.s, out.len, &c, msg, sizeof(msg)), 0);
    T_EQ_STR(msg, "");
    T_EQ_STR(c.hostname, "web-app"); /* the loader's default: name with '_' as '-' */
    T_EQ_INT(c.net, INIT_NET_DHCP);
    T_EQ_INT(c.nsvc, 1);
    T_EQ_STR(c.svc[0].name, "nginx");
    T_EQ_INT(c.svc[0].start.argc, 3);
    T_EQ_STR(c.svc[0].start.argv[2], "daemon off;");
    T_EQ_STR(c.svc[0].user, "root");
    T_EQ_INT(c.svc[0].restart, INIT_RESTART_ALWAYS);
    init_conf_free(&c);
    sbuf_free(&out);
    sbuf_free(&log);
    svc_plan_free(&p);
    tree_free(t);
    deb_strs_free(&warnings);
    recipe_free(r);
    jeos_err_free(&err);
}

/* image.cloud_init and image.cloud_ssh_user reach init; without them init.conf says nothing of
   the cloud, so init never looks for metadata; bad values are refused by both readers. */
static void cloud_keys(void)
{
    const char *base = "name: c\nkind: appliance\npackages: [xy]\nservice: {exec: [/x]}\n";
    const char *tails[] = {"image: {cloud_init: nocloud, cloud_ssh_user: admin}\n", "",
                           "image: {cloud_init: ec3}\n"};
    for (int i = 0; i < 3; i++) {
        char *y = xasprintf("%s%s", base, tails[i]);
        struct recipe *r = NULL;
        struct jeos_err err = {0};
        struct recipe_load_opts o = {.check_files = false};
        int rc = recipe_load_buffer("c.yaml", y, strlen(y), &o, &r, &err);
        free(y);
        if (i == 2) {
            T_EQ_INT(rc, -EINVAL);
            T_EQ_STR(err.n ? err.msgs[0] : NULL,
                     "c.yaml:5:21: image.cloud_init: unknown metadata source \"ec3\" (expected "
                     "one of: none, nocloud)");
            jeos_err_free(&err);
            recipe_free(r);
            continue;
        }
        T_EQ_INT(rc, 0);
        struct sbuf out = {0};
        struct svc_plan p = {0};
        T_EQ_INT(jeos_init_conf_write(r, &p, &out, &err), 0);
        T_EQ_INT(strstr(out.s, "cloud") != NULL, i == 0);
        struct init_conf c;
        char msg[200] = "";
        T_EQ_INT(init_conf_parse(out.s, out.len, &c, msg, sizeof(msg)), 0);
        T_EQ_INT(c.cloud, i == 0 ? INIT_CLOUD_NOCLOUD : INIT_CLOUD_NONE);
        T_EQ_STR(c.cloud_ssh_user, i == 0 ? "admin" : "");
        init_conf_free(&c);
        sbuf_free(&out);
        recipe_free(r);
        jeos_err_free(&err);
    }
    struct init_conf c;
    char msg[200] = "";
    const char *bad = "jeos-init 1\ncloud maybe\n";
    T_EQ_INT(init_conf_parse(bad, strlen(bad), &c, msg, sizeof(msg)), -1);
    T_EQ_STR(msg, "init.conf:2: cloud: expected none or nocloud (got \"maybe\")");
}

int main(void)
{
    T_RUN(round_trip);
    T_RUN(cloud_keys);
    T_RUN(from_loaded_recipe);
    T_RUN(parse_errors);
    return T_DONE();
}

/* init_conf_test.c — the builder's init.conf writer against init's own parser, and the parser's
 * errors. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "builder/core/alloc.h"
#include "builder/core/err.h"
#include "builder/recipe/recipe.h"
#include "builder/appliance/init_conf.h"
#include "tests/harness.h"

/* init's parser is compiled in here as it is into the guest binary. */
#include "runtime/init/conf.c"

static void round_trip(void)
{
    char *exec[] = {"/usr/sbin/nginx", "-g", "daemon off;", ""};
    char *ek[] = {"LANG"}, *ev[] = {"C.UTF-8"};
    char *sk[] = {"MODE", "LANG"}, *sv[] = {"prod", "en_US.UTF-8"};
    char *dns[] = {"1.1.1.1"};
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
    r.service.exec = (struct recipe_strlist){.n = 4, .v = exec};
    r.service.user = "www-data";
    r.service.workdir = "/var/www";
    r.service.env = (struct recipe_env){.n = 2, .keys = sk, .values = sv};
    r.service.restart = RECIPE_RESTART_ON_FAILURE;

    struct sbuf out = {0};
    struct jeos_err err = {0};
    T_EQ_INT(jeos_init_conf_write(&r, &out, &err), 0);
    T_EQ_STR(out.s, "jeos-init 1\n"
                    "hostname web-1\n"
                    "net static 10.0.2.15/24 10.0.2.2\n"
                    "dns 1.1.1.1\n"
                    "service nginx\n"
                    "exec /usr/sbin/nginx\n"
                    "arg -g\n"
                    "arg daemon off;\n"
                    "arg \n"
                    "user www-data\n"
                    "workdir /var/www\n"
                    "env LANG=C.UTF-8\n"
                    "env MODE=prod\n"
                    "env LANG=en_US.UTF-8\n"
                    "restart on-failure\n");
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
    T_EQ_STR(c.service, "nginx");
    T_EQ_INT(c.argc, 4);
    T_EQ_STR(c.argv[2], "daemon off;");
    T_EQ_STR(c.argv[3], "");
    T_CHECK(c.argv[4] == NULL);
    T_EQ_STR(c.user, "www-data");
    T_EQ_STR(c.workdir, "/var/www");
    T_EQ_INT(c.nenv, 3);
    T_EQ_STR(c.env[1], "MODE=prod");
    T_EQ_INT(c.restart, INIT_RESTART_ON_FAILURE);
    init_conf_free(&c);
    sbuf_free(&out);

    /* A newline in an argument cannot be represented: the writer says which field. */
    exec[1] = "a\nb";
    T_EQ_INT(jeos_init_conf_write(&r, &out, &err), -EINVAL);
    T_EQ_STR(err.n ? err.msgs[0] : NULL,
             "web.yaml: service.exec: a line break cannot be passed to the service");
    sbuf_free(&out);
    jeos_err_free(&err);
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
        {"jeos-init 1\n\nexec bin/x\n",
         "init.conf:3: exec: expected an absolute path (got \"bin/x\")"},
        {"jeos-init 1\narg x\n", "init.conf:2: arg: before exec (got \"x\")"},
        {"jeos-init 1\nenv =x\n", "init.conf:2: env: expected NAME=value (got \"=x\")"},
        {"jeos-init 1\nrestart sometimes\n",
         "init.conf:2: restart: expected always, on-failure or no (got \"sometimes\")"},
        {"jeos-init 1\nfoo bar\n", "init.conf:2: unknown key (got \"foo\")"},
        {"jeos-init 1\nservice x\n", "init.conf:2: service without exec (got \"x\")"},
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
    T_EQ_INT(c.argc, 0);
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
    struct sbuf out = {0};
    T_EQ_INT(jeos_init_conf_write(r, &out, &err), 0);
    struct init_conf c;
    char msg[200] = "";
    T_EQ_INT(init_conf_parse(out.s, out.len, &c, msg, sizeof(msg)), 0);
    T_EQ_STR(msg, "");
    T_EQ_STR(c.hostname, "web-app"); /* the loader's default: name with '_' as '-' */
    T_EQ_INT(c.net, INIT_NET_DHCP);
    T_EQ_STR(c.service, "nginx");
    T_EQ_INT(c.argc, 3);
    T_EQ_STR(c.argv[2], "daemon off;");
    T_EQ_INT(c.restart, INIT_RESTART_ALWAYS);
    init_conf_free(&c);
    sbuf_free(&out);
    recipe_free(r);
    jeos_err_free(&err);
}

int main(void)
{
    T_RUN(round_trip);
    T_RUN(from_loaded_recipe);
    T_RUN(parse_errors);
    return T_DONE();
}

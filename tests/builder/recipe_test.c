/* recipe_test.c — the recipe loader: good recipes load with the right values; a table of bad ones
 * gives exact messages. */
#include <stdlib.h>
#include <string.h>

#include "builder/core/alloc.h"
#include "builder/core/err.h"
#include "builder/recipe/recipe.h"
#include "tests/harness.h"

/* Loads `yaml` as "t.yaml" (no file checks) and returns every message, one per line. */
static char *load_errors(const char *yaml, struct recipe **out)
{
    struct jeos_err err;
    jeos_err_init(&err);
    struct recipe_load_opts opts = {.check_files = false};
    struct recipe *r = NULL;
    int rc = recipe_load_buffer("t.yaml", yaml, strlen(yaml), &opts, &r, &err);
    struct sbuf b = {0};
    for (size_t i = 0; i < err.n; i++)
        sbuf_printf(&b, "%s\n", err.msgs[i]);
    if (rc == 0 && err.n)
        sbuf_puts(&b, "(returned 0 with messages)\n");
    if (rc != 0 && !err.n)
        sbuf_puts(&b, "(failed without a message)\n");
    if (rc != 0 && r)
        sbuf_puts(&b, "(failed but returned a recipe)\n");
    jeos_err_free(&err);
    if (out)
        *out = r;
    else
        recipe_free(r);
    return sbuf_take(&b);
}

#define APP                                                                                        \
    "name: web\nkind: appliance\npackages: [nginx-light]\nservice: {exec: [/usr/sbin/nginx]}\n"
#define UNI "name: hello\nkind: unikernel\nsources: [hello.c]\n"

static const struct bad_case {
    const char *yaml;
    const char *expect; /* every message, each ending in \n */
} bad[] = {
    /* 1: the issue's own example */
    {APP "image:\n  formats: [raw, qcow2, vmdkk]\n",
     "t.yaml:6:25: image.formats[2]: unknown format \"vmdkk\" (expected one of: raw, qcow2, vmdk, "
     "vhd, ova, gce, oci, xen, openstack)\n"},
    /* 2: unknown key with a suggestion */
    {APP "imagee: {formats: [raw]}\n",
     "t.yaml:5:1: imagee: unknown key (did you mean \"image\"?)\n"},
    /* 3: unknown key without one */
    {APP "colour: blue\n", "t.yaml:5:1: colour: unknown key\n"},
    /* 4: duplicate key */
    {APP "name: other\n", "t.yaml:5:1: name: duplicate key (first given at line 1)\n"},
    /* 5: wrong type: list expected */
    {"name: web\nkind: appliance\npackages: nginx\nservice: {exec: [/usr/sbin/nginx]}\n",
     "t.yaml:3:11: packages: expected a list, got a single value (write [nginx])\n"},
    /* 6: empty list where one is required */
    {"name: web\nkind: appliance\npackages: []\nservice: {exec: [/usr/sbin/nginx]}\n",
     "t.yaml:3:11: packages: the list is empty (at least one entry is needed)\n"},
    /* 7: size with a bad unit */
    {UNI "memory: 16Q\n",
     "t.yaml:4:9: memory: not a size (expected a whole number with an optional unit K, M, G or T, "
     "e.g. 512M; got \"16Q\")\n"},
    /* 8: size below the range */
    {UNI "memory: 1M\n", "t.yaml:4:9: memory: 1M is too small (at least 2M)\n"},
    /* 9: size above the range */
    {UNI "memory: 65G\n", "t.yaml:4:9: memory: 65G is too large (at most 64G)\n"},
    /* 10: size overflowing 64 bits */
    {APP "image: {size: 99999999999999999999G}\n",
     "t.yaml:5:15: image.size: not a size (expected a whole number with an optional unit K, M, G "
     "or T, e.g. 512M; got \"99999999999999999999G\")\n"},
    /* 11: missing required keys of the kind (service: the packages' units when absent) */
    {"name: web\nkind: appliance\n",
     "t.yaml:1:1: packages: missing (required for kind appliance recipes)\n"},
    /* 12: unknown kind */
    {"name: web\nkind: applience\n",
     "t.yaml:2:7: kind: unknown kind \"applience\" (expected one of: appliance, unikernel)\n"},
    /* 13: missing name and kind */
    {"description: x\n",
     "t.yaml:1:1: name: missing (required)\nt.yaml:1:1: kind: missing (required)\n"},
    /* 14: a key of the other kind */
    {UNI "packages: [nginx]\n",
     "t.yaml:4:1: packages: only for kind appliance recipes (this one is kind unikernel)\n"},
    /* 15: bad name */
    {"name: My App\nkind: unikernel\nsources: [a.c]\n",
     "t.yaml:1:7: name: not a valid name (expected up to 64 lowercase letters, digits, '.', '_' or "
     "'-', starting with a letter or digit; got \"My App\")\n"},
    /* 16: several errors in one file, all reported, in order */
    {"name: web\nkind: unikernel\nsources: [main.py]\nmemory: lots\ncpus: 0\n",
     "t.yaml:3:11: sources[0]: expected a C source file ending in .c or .S (got \"main.py\")\n"
     "t.yaml:4:9: memory: not a size (expected a whole number with an optional unit K, M, G or T, "
     "e.g. 512M; got \"lots\")\n"
     "t.yaml:5:7: cpus: 0 is out of range (expected 1 to 64)\n"},
    /* 17: YAML syntax error */
    {"name: [web\n",
     "t.yaml:2:1: YAML syntax error: did not find expected ',' or ']' while parsing a flow "
     "sequence\n"},
    /* 18: aliases refused */
    {"name: &n web\nkind: unikernel\nsources: [a.c]\nhostname: *n\n",
     "t.yaml:4:11: YAML aliases (*n) are not supported in recipes (write the value out)\n"},
    /* 19: empty file */
    {"", "t.yaml:1:1: the recipe is empty (expected a mapping with at least name and kind)\n"},
    /* 20: not a mapping */
    {"- a\n- b\n", "t.yaml:1:1: a recipe is a mapping of keys (name, kind, ...), got a list\n"},
    /* 21: two documents */
    {UNI "---\nname: x\n",
     "t.yaml:4:1: a second YAML document (a recipe is one document; remove the \"---\")\n"},
    /* 22: relative service program */
    {"name: web\nkind: appliance\npackages: [nginx]\nservice: {exec: [nginx, -g]}\n",
     "t.yaml:4:18: service.exec[0]: the program must be an absolute path (got \"nginx\")\n"},
    /* 23: files leaving the recipe folder, relative destination */
    {APP "files: [{src: ../etc/passwd, dst: etc/passwd}]\n",
     "t.yaml:5:15: files[0].src: expected a path relative to the recipe's folder, not leaving it "
     "(got \"../etc/passwd\")\n"
     "t.yaml:5:35: files[0].dst: expected an absolute path in the image, without . or .. (got "
     "\"etc/passwd\")\n"},
    /* 24: files entry without dst, bad mode */
    {APP "files:\n  - src: site/\n    mode: 0999\n",
     "t.yaml:7:11: files[0].mode: not a file mode (expected octal digits up to 7777, e.g. 0644; "
     "got "
     "\"0999\")\n"
     "t.yaml:6:5: files[0].dst: missing (required)\n"},
    /* 25: static network without a prefix, gateway outside */
    {UNI "network: {address: 10.0.2.15, gateway: 10.0.2.2}\n",
     "t.yaml:4:20: network.address: not an IPv4 address with a prefix length (expected e.g. "
     "10.0.2.15/24; got \"10.0.2.15\")\n"},
    /* 26 */
    {UNI "network: {address: 10.0.2.15/24, gateway: 10.0.3.1}\n",
     "t.yaml:4:10: network.gateway: 10.0.3.1 is not in the network 10.0.2.15/24\n"},
    /* 27: unknown network mode */
    {APP "network: static\n",
     "t.yaml:5:10: network: unknown network mode \"static\" (expected one of: none, dhcp)\n"},
    /* 28: elf for an appliance */
    {APP "image: {formats: [elf]}\n",
     "t.yaml:5:19: image.formats[0]: format \"elf\" is only for kind unikernel recipes\n"},
    /* 29: duplicate format */
    {UNI "image: {formats: [elf, raw, elf]}\n",
     "t.yaml:4:29: image.formats[2]: format \"elf\" is listed twice\n"},
    /* 30: root filesystem for a unikernel */
    {UNI "image: {root: ext4}\n",
     "t.yaml:4:9: image.root: only for kind appliance recipes (this one is kind unikernel)\n"},
    /* 31: bad boot method */
    {APP "image: {boot: [bios, efi]}\n",
     "t.yaml:5:22: image.boot[1]: unknown boot method \"efi\" (expected one of: bios, uefi)\n"},
    /* 32: bad package names */
    {"name: web\nkind: appliance\npackages: [Nginx, nginx=, a]\nservice: {exec: [/x]}\n",
     "t.yaml:3:12: packages[0]: not a package name (a package name starts with a lowercase "
     "letter or digit; got \"Nginx\")\n"
     "t.yaml:3:19: packages[1]: not a package name (a version follows \"=\"; got \"nginx=\")\n"
     "t.yaml:3:27: packages[2]: not a package name (a package name has at least two characters; "
     "got \"a\")\n"},
    /* 33: duplicate package */
    {"name: web\nkind: appliance\npackages: [nginx, nginx]\nservice: {exec: [/x]}\n",
     "t.yaml:3:19: packages[1]: \"nginx\" is listed twice\n"},
    /* 34: users: duplicate, uid out of range, bad group */
    {APP "users:\n  - {name: app, uid: 70000}\n  - {name: app, groups: [Bad]}\n",
     "t.yaml:6:22: users[0].uid: 70000 is out of range (expected 0 to 65533)\n"
     "t.yaml:7:26: users[1].groups[0]: not a valid group name (got \"Bad\")\n"
     "t.yaml:7:5: users[1].name: user \"app\" is defined twice\n"},
    /* 35: environment */
    {UNI "env: {1X: a, B: , C: [x]}\n",
     "t.yaml:4:7: env.1X: not a valid variable name (expected letters, digits and '_', not "
     "starting with a digit)\n"
     "t.yaml:4:17: env.B: expected a string, got nothing (write \"\" for an empty value)\n"
     "t.yaml:4:22: env.C: expected a string, got a list (write \"\" for an empty value)\n"},
    /* 36: debian source without suites, bad uri */
    {APP "debian:\n  sources:\n    - {uri: ftp://x}\n",
     "t.yaml:7:13: debian.sources[0].uri: expected an http://, https:// or file:/ address (got "
     "\"ftp://x\")\n"
     "t.yaml:7:7: debian.sources[0].suites: missing (required)\n"},
    /* 37: a mapping where a string goes */
    {"name: {a: b}\nkind: unikernel\nsources: [a.c]\n",
     "t.yaml:1:7: name: expected a string, got a mapping\n"},
    /* 38: boolean */
    {APP "exclude_defaults: maybe\n",
     "t.yaml:5:19: exclude_defaults: expected true or false (got \"maybe\")\n"},
    /* 39: exclude globs must be absolute */
    {APP "exclude: [usr/share/doc/*]\n",
     "t.yaml:5:11: exclude[0]: expected an absolute glob such as /usr/share/doc/* (got "
     "\"usr/share/doc/*\")\n"},
    /* 40: restart policy, service key typo */
    {"name: web\nkind: appliance\npackages: [nginx]\nservice: {exec: [/x], restart: sometimes, "
     "usr: www-data}\n",
     "t.yaml:4:32: service.restart: unknown restart policy \"sometimes\" (expected one of: always, "
     "on-failure, no)\n"
     "t.yaml:4:43: service.usr: unknown key (did you mean \"user\"?)\n"},
    /* 41: hostname */
    {UNI "hostname: -bad-\n",
     "t.yaml:4:11: hostname: not a valid host name (expected labels of letters, digits and '-', "
     "separated by dots; got \"-bad-\")\n"},
    /* 43: defines and libs */
    {UNI "defines: [LUA_USE_POSIX, 9X=1]\nlibs: [m, \"z lib\"]\n",
     "t.yaml:4:26: defines[1]: expected NAME or NAME=VALUE with a C identifier as NAME (got "
     "\"9X=1\")\n"
     "t.yaml:5:11: libs[1]: expected a library name such as m or z, linked as -lNAME, or a .a or "
     ".o file (got \"z lib\")\n"},
    /* libs: archives and objects of the recipe's folder */
    {UNI "libs: [lib/libx.a, ../y.o]\n",
     "t.yaml:4:20: libs[1]: expected an archive or object relative to the recipe's folder, not "
     "leaving it (got \"../y.o\")\n"},
    /* cflags_for: a mapping of globs to option lists */
    {UNI "cflags_for: {\"src/*.c\": [-O1, O2], /abs.c: [-g]}\n",
     "t.yaml:4:31: cflags_for.src/*.c[1]: expected a compiler option starting with '-' (got "
     "\"O2\")\n"
     "t.yaml:4:36: cflags_for./abs.c: expected a glob of source paths as sources: or "
     "source.sources give them, relative and not leaving the folder (got \"/abs.c\")\n"},
    /* workdir: absolute, normalised */
    {UNI "workdir: data/../x\n",
     "t.yaml:4:10: workdir: expected the program's working folder as an absolute path without . "
     "or .., such as /srv/data (got \"data/../x\")\n"},
    /* 44: squashfs compression */
    {APP "image: {compression: brotli}\n",
     "t.yaml:5:22: image.compression: unknown compression \"brotli\" (expected one of: lz4, zstd, "
     "xz, gzip, lzo)\n"},
    /* 42: timeout range */
    {APP "image: {timeout: 301}\n",
     "t.yaml:5:18: image.timeout: 301 is out of range (expected 0 to 300)\n"},
    /* a key a root filesystem brings, given with another root */
    {APP "image: {root: ext4, compression: xz}\n",
     "t.yaml:5:34: image.compression: only with image.root: squashfs (this recipe's root is "
     "ext4)\n"},
    /* a boot method whose partition table is not the recipe's */
    {APP "image: {partition_table: mbr, boot: [bios, uefi]}\n",
     "t.yaml:5:44: image.boot[1]: uefi needs image.partition_table: gpt (got mbr)\n"},
    /* a boot method listed twice, and not a list */
    {APP "image: {boot: [bios, bios]}\n",
     "t.yaml:5:22: image.boot[1]: boot method \"bios\" is listed twice\n"},
    {APP "image: {boot: bios}\n",
     "t.yaml:5:15: image.boot: expected a list of boot methods, got a value\n"},
    {APP "image: {formats: []}\n",
     "t.yaml:5:18: image.formats: the list is empty (expected one or more of: raw, qcow2, vmdk, "
     "vhd, ova, gce, oci, xen, openstack)\n"},
    /* service: a unit of the packages, or a program of the recipe's own, not both */
    {"name: web\nkind: appliance\npackages: [nginx]\nservice: {exec: [/x], unit: nginx}\n",
     "t.yaml:4:10: service: give exec (a program of your own) or unit (one the packages ship), "
     "not both\n"},
    {"name: web\nkind: appliance\npackages: [nginx]\nservice: {unit: \"ng inx\"}\n",
     "t.yaml:4:17: service.unit: not a unit name (expected e.g. ssh or ssh.service: letters, "
     "digits and : _ . @ - \\; got \"ng inx\")\n"},
    {"name: web\nkind: appliance\npackages: [nginx]\nservice: {unit: nginx, ready: soon}\n",
     "t.yaml:4:31: service.ready: unknown readiness check \"soon\" (expected one of: auto, "
     "started, listen, notify)\n"},
    {"name: web\nkind: appliance\npackages: [nginx]\nservice: {unit: nginx, ready: {port: 0}}\n",
     "t.yaml:4:38: service.ready.port: 0 is out of range (expected 1 to 65535)\n"},
    {"name: web\nkind: appliance\npackages: [nginx]\nservice: {unit: nginx, ready: [80]}\n",
     "t.yaml:4:31: service.ready: expected auto, started, listen, notify or {port: N}, got a "
     "list\n"},
    /* folders: a path, an owner, a mode */
    {APP
     "folders: [{path: var/x}, {path: /srv/a, mode: \"0899\", owner: \"a b\"}, {mode: \"0700\"}]\n",
     "t.yaml:5:18: folders[0].path: expected an absolute path in the image, without . or .. (got "
     "\"var/x\")\n"
     "t.yaml:5:47: folders[1].mode: not a file mode (expected octal digits up to 7777, e.g. 0644; "
     "got \"0899\")\n"
     "t.yaml:5:62: folders[1].owner: not a user or group name or number (got \"a b\")\n"
     "t.yaml:5:70: folders[2].path: missing (required)\n"},
    {UNI "folders: [{path: /x}]\n",
     "t.yaml:4:1: folders: only for kind appliance recipes (this one is kind unikernel)\n"},
    /* a unikernel with neither sources nor source */
    {"name: u\nkind: unikernel\n",
     "t.yaml:1:1: sources: missing (required for kind unikernel recipes, unless source: names a "
     "Debian source package)\n"},
    /* source: its package, globs inside the tree, its keys */
    {"name: u\nkind: unikernel\nsource: {debian: \"Redis\", sources: [../x.c], inclde: [a]}\n",
     "t.yaml:3:18: source.debian: a package name starts with a lowercase letter or digit (got "
     "\"Redis\")\n"
     "t.yaml:3:37: source.sources[0]: expected a path relative to the source package's tree, not "
     "leaving it (got \"../x.c\")\n"
     "t.yaml:3:46: source.inclde: unknown key (did you mean \"include\"?)\n"},
    {"name: u\nkind: unikernel\nsource: {debian: redis}\ninclude: [/usr]\n",
     "t.yaml:3:9: source.sources: missing (required)\n"
     "t.yaml:4:11: include[0]: expected a folder relative to the recipe's folder, not leaving it "
     "(got \"/usr\")\n"},
    /* source: is a unikernel key */
    {APP "source: {debian: redis, sources: [a.c]}\n",
     "t.yaml:5:1: source: only for kind unikernel recipes (this one is kind appliance)\n"},
};

static void test_bad_table(void)
{
    size_t n = sizeof(bad) / sizeof(bad[0]);
    T_CHECK(n >= 25);
    for (size_t i = 0; i < n; i++) {
        char *got = load_errors(bad[i].yaml, NULL);
        if (strcmp(got, bad[i].expect) != 0)
            T_FAILF("case %zu:\n--- expected\n%s--- got\n%s---", i + 1, bad[i].expect, got);
        free(got);
    }
}

static void test_appliance_values(void)
{
    struct recipe *r;
    char *e = load_errors("name: my_app.v2\nkind: appliance\npackages: [nginx-light, "
                          "libc6=2.36-9+deb12u4]\nservice:\n  exec: [/usr/sbin/nginx, -g, "
                          "\"daemon off;\"]\n  user: www-data\n  env: {A: \"1\", B: \"\"}\n"
                          "image: {formats: [qcow2, raw], size: 2G, root: ext4, boot: [uefi]}\n"
                          "users: [{name: app, uid: 1000, groups: [adm]}]\n"
                          "files: [{src: site/, dst: /srv/, mode: \"0750\", owner: app}]\n",
                          &r);
    T_EQ_STR(e, "");
    free(e);
    if (!r)
        return;
    T_EQ_STR(r->name, "my_app.v2");
    T_EQ_STR(r->hostname, "my-app-v2");
    T_EQ_INT(r->kind, RECIPE_APPLIANCE);
    T_EQ_INT(r->packages.n, 2);
    T_EQ_STR(r->packages.v[1], "libc6=2.36-9+deb12u4");
    T_EQ_INT(r->packages.pos[1].line, 3);
    T_EQ_INT(r->packages.pos[1].col, 25);
    T_EQ_INT(r->service.exec.n, 3);
    T_EQ_STR(r->service.exec.v[2], "daemon off;");
    T_EQ_STR(r->service.user, "www-data");
    T_EQ_INT(r->service.env.n, 2);
    T_EQ_STR(r->service.env.values[1], "");
    T_EQ_INT(r->service.restart, RECIPE_RESTART_ALWAYS);
    T_EQ_INT(r->image.nformats, 2);
    T_EQ_STR(r->image.formats[0], "qcow2");
    T_EQ_STR(r->image.formats[1], "raw");
    T_EQ_INT(r->image.size, 2ULL << 30);
    T_EQ_STR(r->image.root, "ext4");
    T_CHECK(r->image.compression == NULL); /* ext4 brings no compression */
    T_EQ_INT(r->image.nboot, 1);
    T_EQ_STR(r->image.boot[0], "uefi");
    T_EQ_INT(r->nusers, 1);
    T_EQ_INT(r->users[0].uid, 1000);
    T_EQ_INT(r->nfiles, 1);
    T_EQ_INT(r->files[0].mode, 0750);
    T_EQ_STR(r->files[0].owner, "app");
    /* defaults */
    T_EQ_STR(r->kernel, "linux-image-cloud-amd64");
    T_EQ_STR(r->debian.suite, "bookworm");
    T_EQ_INT(r->debian.components.n, 1);
    T_EQ_STR(r->debian.components.v[0], "main");
    T_EQ_INT(r->memory, 512ULL << 20);
    T_EQ_INT(r->network.mode, RECIPE_NET_DHCP);
    T_EQ_INT(r->exclude_defaults, 1);
    recipe_free(r);
}

/* The image axes' defaults come from their tables (images/, boot/; axis.h), by kind. */
static void test_image_defaults(void)
{
    struct recipe *r;
    char *e = load_errors(APP, &r);
    T_EQ_STR(e, "");
    free(e);
    if (r) {
        T_EQ_STR(r->image.root, "squashfs");
        T_EQ_STR(r->image.compression, "lz4"); /* squashfs brings it, with this default */
        T_EQ_STR(r->image.ptable, "gpt");
        T_EQ_INT(r->image.nboot, 2);
        T_EQ_STR(r->image.boot[0], "bios");
        T_EQ_STR(r->image.boot[1], "uefi");
        T_EQ_INT(r->image.nformats, 1);
        T_EQ_STR(r->image.formats[0], "raw");
        recipe_free(r);
    }
    /* mbr: the default boot methods are those that work on it (UEFI needs gpt) */
    e = load_errors(APP "image: {partition_table: mbr}\n", &r);
    T_EQ_STR(e, "");
    free(e);
    if (r) {
        T_EQ_INT(r->image.nboot, 1);
        T_EQ_STR(r->image.boot[0], "bios");
        recipe_free(r);
    }
    e = load_errors(UNI, &r);
    T_EQ_STR(e, "");
    free(e);
    if (r) {
        T_CHECK(r->image.root == NULL && r->image.compression == NULL);
        T_EQ_STR(r->image.formats[0], "elf");
        T_EQ_STR(r->image.ptable, "gpt");
        T_EQ_INT(r->image.nboot, 2);
        recipe_free(r);
    }
}

static void test_unikernel_values(void)
{
    struct recipe *r;
    char *e = load_errors("name: httpd\nkind: unikernel\nsources: [httpd.c]\nmemory: 16M\n"
                          "network: {address: 10.0.2.15/24, gateway: 10.0.2.2, dns: [1.1.1.1]}\n"
                          "args: [\"8080\"]\ndefines: [A, B=2]\nlibs: [m]\nworkdir: /srv/data\n"
                          "cflags_for: {cli.c: [-Dmain=cli_main, -O1]}\n",
                          &r);
    T_EQ_STR(e, "");
    free(e);
    if (!r)
        return;
    T_EQ_INT(r->kind, RECIPE_UNIKERNEL);
    T_EQ_INT(r->memory, 16ULL << 20);
    T_EQ_INT(r->network.mode, RECIPE_NET_STATIC);
    T_EQ_STR(r->network.address, "10.0.2.15");
    T_EQ_INT(r->network.prefix, 24);
    T_EQ_STR(r->network.gateway, "10.0.2.2");
    T_EQ_INT(r->network.dns.n, 1);
    T_EQ_INT(r->image.nformats, 1);
    T_EQ_STR(r->image.formats[0], "elf");
    T_EQ_STR(r->args.v[0], "8080");
    T_EQ_INT(r->defines.n, 2);
    T_EQ_STR(r->defines.v[1], "B=2");
    T_EQ_STR(r->libs.v[0], "m");
    T_EQ_STR(r->workdir, "/srv/data");
    T_EQ_INT(r->ncflags_for, 1);
    if (r->ncflags_for == 1) {
        T_EQ_STR(r->cflags_for[0].glob, "cli.c");
        T_EQ_INT(r->cflags_for[0].flags.n, 2);
        T_EQ_STR(r->cflags_for[0].flags.v[0], "-Dmain=cli_main");
    }
    T_CHECK(r->kernel == NULL);
    recipe_free(r);

    e = load_errors(UNI, &r);
    T_EQ_STR(e, "");
    free(e);
    if (r) {
        T_EQ_INT(r->network.mode, RECIPE_NET_NONE); /* no network unless asked */
        T_EQ_INT(r->memory, 32ULL << 20);
        recipe_free(r);
    }
}

static void test_sizes(void)
{
    static const struct {
        const char *s;
        int ok;
        unsigned long long v;
    } t[] = {
        {"0", 1, 0},
        {"512", 1, 512},
        {"16K", 1, 16384},
        {"16k", 1, 16384},
        {"16M", 1, 16 << 20},
        {"16MiB", 1, 16 << 20},
        {"16MB", 1, 16 << 20},
        {"2G", 1, 2ULL << 30},
        {"1T", 1, 1ULL << 40},
        {"16m", 0, 0},
        {"1.5G", 0, 0},
        {"-1", 0, 0},
        {"", 0, 0},
        {"G", 0, 0},
        {"16 M", 0, 0},
        {"16Mi", 0, 0},
        {"18446744073709551615", 1, 18446744073709551615ULL},
        {"18446744073709551616", 0, 0},
        {"16777216T", 0, 0},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        uint64_t v = 0;
        bool ok = recipe_parse_size(t[i].s, &v);
        if (ok != (bool)t[i].ok || (ok && v != t[i].v))
            T_FAILF("size \"%s\": ok=%d v=%llu", t[i].s, ok, (unsigned long long)v);
    }
}

static void test_error_cap(void)
{
    /* 5000 bad packages: every one counted, a bounded number kept. */
    struct sbuf b = {0};
    sbuf_puts(&b, "name: web\nkind: appliance\nservice: {exec: [/x]}\npackages:\n");
    for (int i = 0; i < 5000; i++)
        sbuf_puts(&b, "  - BAD\n");
    struct jeos_err err;
    jeos_err_init(&err);
    struct recipe *r;
    struct recipe_load_opts opts = {0};
    T_CHECK(recipe_load_buffer("t.yaml", b.s, b.len, &opts, &r, &err) < 0);
    T_EQ_INT(jeos_err_count(&err), 5000);
    T_EQ_INT(err.n, JEOS_ERR_MAX_KEPT);
    jeos_err_free(&err);
    sbuf_free(&b);
}

int main(void)
{
    T_RUN(test_bad_table);
    T_RUN(test_appliance_values);
    T_RUN(test_image_defaults);
    T_RUN(test_unikernel_values);
    T_RUN(test_sizes);
    T_RUN(test_error_cap);
    return T_DONE();
}

/* recipe.c — the recipe loader: libyaml events → a small node tree → a schema walk into struct
 * recipe. */
#include "builder/recipe/recipe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "builder/core/alloc.h"
#include "builder/core/err.h"
#include "builder/core/util.h"
#include "builder/recipe/axis.h"
#include "builder/recipe/recipe_parse.h"

/* ---- field handlers: top level ---- */

static void f_name(struct loader *L, const struct node *v, void *o)
{
    struct recipe *r = o;
    const char *s;
    if (!rl_get_str(L, v, &s))
        return;
    if (!rl_valid_name(s)) {
        rl_lerr(L, v,
                "not a valid name (expected up to 64 lowercase letters, digits, '.', '_' or '-', "
                "starting with a letter or digit; got \"%s\")",
                s);
        return;
    }
    rl_set_str(&r->name, s);
}

static void f_kind(struct loader *L, const struct node *v, void *o)
{
    (void)o; /* read before the walk; here only to accept the key */
    (void)L;
    (void)v;
}

static void f_description(struct loader *L, const struct node *v, void *o)
{
    const char *s;
    if (rl_get_str(L, v, &s))
        rl_set_str(&((struct recipe *)o)->description, s);
}

static void f_version(struct loader *L, const struct node *v, void *o)
{
    const char *s;
    if (!rl_get_str(L, v, &s))
        return;
    if (!rl_all_chars(s, ".+~:_-", false) || strlen(s) > 64) {
        rl_lerr(L, v, "not a valid version (expected letters, digits and . + ~ : _ -; got \"%s\")",
                s);
        return;
    }
    rl_set_str(&((struct recipe *)o)->version, s);
}

static void f_hostname(struct loader *L, const struct node *v, void *o)
{
    const char *s;
    if (!rl_get_str(L, v, &s))
        return;
    if (!rl_valid_hostname(s)) {
        rl_lerr(L, v,
                "not a valid host name (expected labels of letters, digits and '-', separated by "
                "dots; got \"%s\")",
                s);
        return;
    }
    rl_set_str(&((struct recipe *)o)->hostname, s);
}

static void f_memory(struct loader *L, const struct node *v, void *o)
{
    struct recipe *r = o;
    if (L->kind == RECIPE_UNIKERNEL)
        rl_get_size(L, v, 2 * MIB, 64 * GIB, &r->memory);
    else
        rl_get_size(L, v, 64 * MIB, 1 * TIB, &r->memory);
}

static void f_cpus(struct loader *L, const struct node *v, void *o)
{
    int64_t x;
    if (rl_get_int(L, v, 1, 64, &x))
        ((struct recipe *)o)->cpus = (int)x;
}

static void f_cmdline(struct loader *L, const struct node *v, void *o)
{
    const char *s;
    if (!rl_get_str(L, v, &s))
        return;
    if (strlen(s) > 2048 || strchr(s, '\n')) {
        rl_lerr(L, v, "a command line is one line of at most 2048 characters");
        return;
    }
    rl_set_str(&((struct recipe *)o)->cmdline, s);
}

static void f_env(struct loader *L, const struct node *v, void *o)
{
    rl_get_env(L, v, &((struct recipe *)o)->env);
}

/* network: dhcp | none | {address: A/N, gateway: G, dns: [..]} */

static bool check_ipv4(struct loader *L, const struct node *v, const char *s)
{
    if (rl_valid_ipv4(s))
        return true;
    rl_lerr(L, v, "not an IPv4 address (got \"%s\")", s);
    return false;
}

static void net_address(struct loader *L, const struct node *v, void *o)
{
    struct recipe_network *n = o;
    const char *s;
    if (!rl_get_str(L, v, &s))
        return;
    const char *slash = strchr(s, '/');
    char *addr = xstrndup(s, slash ? (size_t)(slash - s) : strlen(s));
    int64_t prefix;
    if (!slash || !rl_valid_ipv4(addr) || !jeos_parse_i64(slash + 1, 0, 32, &prefix)) {
        rl_lerr(L, v,
                "not an IPv4 address with a prefix length (expected e.g. 10.0.2.15/24; got "
                "\"%s\")",
                s);
        free(addr);
        return;
    }
    free(n->address);
    n->address = addr;
    n->prefix = (int)prefix;
}

static void net_gateway(struct loader *L, const struct node *v, void *o)
{
    const char *s;
    if (rl_get_str(L, v, &s) && check_ipv4(L, v, s))
        rl_set_str(&((struct recipe_network *)o)->gateway, s);
}

static void net_dns(struct loader *L, const struct node *v, void *o)
{
    rl_get_strlist(L, v, &((struct recipe_network *)o)->dns, false, true, check_ipv4);
}

static const struct field network_fields[] = {
    {"address", net_address, K_ANY, true},
    {"gateway", net_gateway, K_ANY, false},
    {"dns", net_dns, K_ANY, false},
};

static void f_network(struct loader *L, const struct node *v, void *o)
{
    struct recipe_network *n = &((struct recipe *)o)->network;
    if (v->type == N_SCALAR && !rl_is_null(v)) {
        static const char *const modes[] = {"none", "dhcp"};
        int m;
        if (rl_get_enum(L, v, "network mode", modes, 2, &m))
            n->mode = m == 0 ? RECIPE_NET_NONE : RECIPE_NET_DHCP;
        return;
    }
    if (v->type != N_MAP) {
        rl_lerr(L, v, "expected dhcp, none, or a mapping with address, got %s", rl_what_is(v));
        return;
    }
    n->mode = RECIPE_NET_STATIC;
    rl_walk_map(L, v, network_fields, sizeof(network_fields) / sizeof(network_fields[0]), n);
    if (n->address && n->gateway) {
        struct in_addr a, g;
        inet_pton(AF_INET, n->address, &a);
        inet_pton(AF_INET, n->gateway, &g);
        uint32_t mask = n->prefix ? htonl(~0u << (32 - n->prefix)) : 0;
        if ((a.s_addr & mask) != (g.s_addr & mask)) {
            size_t old = rl_path_push_key(L, "gateway");
            rl_lerr(L, v, "%s is not in the network %s/%d", n->gateway, n->address, n->prefix);
            rl_path_pop(L, old);
        }
    }
}

/* image: the variable axes (axis.h), then the plain keys */

const char *recipe_kind_name(enum recipe_kind k)
{
    return k == RECIPE_UNIKERNEL ? "unikernel" : "appliance";
}

bool recipe_has_format(const struct recipe *r, const char *format)
{
    for (size_t i = 0; i < r->image.nformats; i++)
        if (strcmp(r->image.formats[i], format) == 0)
            return true;
    return false;
}

/* The kind bits (JEOS_FOR_*) of the recipe being loaded; both while the kind is unknown. */
static unsigned kind_bits(const struct loader *L)
{
    return L->kind == KIND_UNKNOWN ? JEOS_FOR_BOTH : 1u << L->kind;
}

/* The choice named `def` of `a`, as the table spells it (NULL when there is none). */
static const char *default_one(const struct jeos_axis *a, const char *def)
{
    const struct jeos_choice *c = def ? jeos_axis_find(a, def) : NULL;
    return c ? c->name : NULL;
}

/* One value of axis `a`: *out gets the choice's own name. */
static bool get_choice(struct loader *L, const struct node *v, const struct jeos_axis *a,
                       const char **out)
{
    const char *s;
    if (!rl_get_str(L, v, &s))
        return false;
    const struct jeos_choice *c = jeos_axis_find(a, s);
    if (c && !(c->kinds & kind_bits(L))) {
        rl_lerr(
            L, v, "%s \"%s\" is only for kind %s recipes", a->what, s,
            recipe_kind_name(c->kinds & JEOS_FOR_UNIKERNEL ? RECIPE_UNIKERNEL : RECIPE_APPLIANCE));
        return false;
    }
    if (!c) {
        struct sbuf list = {0};
        jeos_axis_names(a, kind_bits(L), &list);
        rl_lerr(L, v, "unknown %s \"%s\" (expected one of: %s)", a->what, s, list.s);
        sbuf_free(&list);
        return false;
    }
    *out = c->name;
    return true;
}

/* A list of axis `a`'s values, in the order written, none twice. */
static void get_choice_list(struct loader *L, const struct node *v, const struct jeos_axis *a,
                            const char **out, size_t *n)
{
    if (v->type != N_SEQ) {
        rl_lerr(L, v, "expected a list of %ss, got %s", a->what, rl_what_is(v));
        return;
    }
    if (v->n == 0) {
        struct sbuf list = {0};
        jeos_axis_names(a, kind_bits(L), &list);
        rl_lerr(L, v, "the list is empty (expected one or more of: %s)", list.s);
        sbuf_free(&list);
        return;
    }
    *n = 0;
    for (size_t i = 0; i < v->n; i++) {
        const struct node *it = v->kids[i];
        size_t old = rl_path_push_index(L, i);
        const char *c;
        if (get_choice(L, it, a, &c)) {
            bool dup = false;
            for (size_t k = 0; k < *n; k++)
                dup |= strcmp(out[k], c) == 0;
            if (dup)
                rl_lerr(L, it, "%s \"%s\" is listed twice", a->what, c);
            else if (*n < RECIPE_MAX_CHOICES)
                out[(*n)++] = c;
        }
        rl_path_pop(L, old);
    }
}

static void img_formats(struct loader *L, const struct node *v, void *o)
{
    struct recipe_image *im = o;
    get_choice_list(L, v, &jeos_axis_format, im->formats, &im->nformats);
}

static void img_boot(struct loader *L, const struct node *v, void *o)
{
    struct recipe_image *im = o;
    get_choice_list(L, v, &jeos_axis_boot, im->boot, &im->nboot);
}

static void img_root(struct loader *L, const struct node *v, void *o)
{
    get_choice(L, v, &jeos_axis_fs, &((struct recipe_image *)o)->root);
}

static void img_ptable(struct loader *L, const struct node *v, void *o)
{
    get_choice(L, v, &jeos_axis_ptable, &((struct recipe_image *)o)->ptable);
}

/* A key a choice brings (image.compression, brought by squashfs): read here, checked against
   the chosen root filesystem once the whole image mapping is read (image_keys). */
static void img_compression(struct loader *L, const struct node *v, void *o)
{
    get_choice(L, v, &jeos_axis_compression, &((struct recipe_image *)o)->compression);
}

static void img_size(struct loader *L, const struct node *v, void *o)
{
    rl_get_size(L, v, 16 * MIB, 16 * TIB, &((struct recipe_image *)o)->size);
}

static void img_data(struct loader *L, const struct node *v, void *o)
{
    rl_get_size(L, v, 1 * MIB, 16 * TIB, &((struct recipe_image *)o)->data_size);
}

static void img_timeout(struct loader *L, const struct node *v, void *o)
{
    int64_t x;
    if (rl_get_int(L, v, 0, 300, &x))
        ((struct recipe_image *)o)->timeout = (int)x;
}

static void img_secure_boot(struct loader *L, const struct node *v, void *o)
{
    rl_get_bool(L, v, &((struct recipe_image *)o)->secure_boot);
}

/* image.cloud_init: where jeos init reads instance metadata at boot (runtime/init/cloud.c) */
static void img_cloud(struct loader *L, const struct node *v, void *o)
{
    /* in enum recipe_cloud's order */
    static const char *const names[] = {"none", "nocloud", "configdrive", "ec2", "gce", "auto"};
    int x;
    if (rl_get_enum(L, v, "metadata source", names, 6, &x))
        ((struct recipe_image *)o)->cloud_init = (enum recipe_cloud)x;
}

static void img_cloud_user(struct loader *L, const struct node *v, void *o)
{
    const char *s;
    if (!rl_get_str(L, v, &s))
        return;
    if (!rl_all_chars(s, "_-", false) || strlen(s) > 32) {
        rl_lerr(L, v, "not a user name (got \"%s\")", s);
        return;
    }
    rl_set_str(&((struct recipe_image *)o)->cloud_ssh_user, s);
}

static const struct field image_fields[] = {
    {"formats", img_formats, K_ANY, false},
    {"size", img_size, K_ANY, false},
    {"data", img_data, K_APPLIANCE, false},
    {"root", img_root, K_APPLIANCE, false},
    {"compression", img_compression, K_APPLIANCE, false},
    {"boot", img_boot, K_ANY, false},
    {"partition_table", img_ptable, K_ANY, false},
    {"timeout", img_timeout, K_ANY, false},
    {"secure_boot", img_secure_boot, K_APPLIANCE, false},
    {"cloud_init", img_cloud, K_APPLIANCE, false},
    {"cloud_ssh_user", img_cloud_user, K_APPLIANCE, false},
};

/* The recipe_image member a brought key fills (axis.h: a choice's keys). */
static const char **brought_key(struct recipe_image *im, const char *key)
{
    return strcmp(key, "compression") == 0 ? &im->compression : NULL;
}

/* A key some root filesystem brings is allowed only with a root that brings it. */
static void check_brought_keys(struct loader *L, const struct node *v, struct recipe_image *im)
{
    const struct jeos_choice *root = im->root ? jeos_axis_find(&jeos_axis_fs, im->root) : NULL, *c;
    for (size_t i = 0; (c = jeos_axis_fs.choice(i)); i++)
        for (const struct jeos_key *k = c->keys; k && k->name; k++) {
            const char **slot = brought_key(im, k->name);
            bool ours = false;
            for (const struct jeos_key *rk = root ? root->keys : NULL; rk && rk->name; rk++)
                ours |= strcmp(rk->name, k->name) == 0;
            if (!slot || !*slot || ours)
                continue;
            for (size_t j = 0; j + 1 < v->n; j += 2)
                if (v->kids[j]->type == N_SCALAR && strcmp(v->kids[j]->str, k->name) == 0) {
                    size_t old = rl_path_push_key(L, k->name);
                    rl_lerr(L, v->kids[j + 1],
                            "only with image.root: %s (this recipe's root is %s)", c->name,
                            im->root ? im->root : "none");
                    rl_path_pop(L, old);
                }
            *slot = NULL;
        }
}

/* The value `choice` has for axis key `key` in `im` (single-valued axes). */
static const char *image_value(const struct recipe_image *im, const char *key)
{
    if (strcmp(key, jeos_axis_ptable.key) == 0)
        return im->ptable ? im->ptable : jeos_axis_ptable.def[RECIPE_APPLIANCE];
    if (strcmp(key, jeos_axis_fs.key) == 0)
        return im->root;
    return NULL;
}

/* A chosen value whose needs (axis.h) the rest of the image does not meet. */
static void check_needs(struct loader *L, const struct node *v, const struct recipe_image *im)
{
    for (size_t j = 0; j + 1 < v->n; j += 2) {
        const struct node *k = v->kids[j], *val = v->kids[j + 1];
        if (k->type != N_SCALAR || strcmp(k->str, jeos_axis_boot.key) || val->type != N_SEQ)
            continue;
        for (size_t i = 0; i < val->n; i++) {
            const struct jeos_choice *c = val->kids[i]->type == N_SCALAR
                                              ? jeos_axis_find(&jeos_axis_boot, val->kids[i]->str)
                                              : NULL;
            const char *have = c && c->needs[0] ? image_value(im, c->needs[0]) : NULL;
            if (!have || strcmp(have, c->needs[1]) == 0)
                continue;
            size_t old = rl_path_push_key(L, k->str), old2 = rl_path_push_index(L, i);
            rl_lerr(L, val->kids[i], "%s needs image.%s: %s (got %s)", c->name, c->needs[0],
                    c->needs[1], have);
            rl_path_pop(L, old2);
            rl_path_pop(L, old);
        }
    }
}

/* Secure Boot is UEFI's: the boot methods must hold uefi (the default ones do, on GPT). */
static void check_secure_boot(struct loader *L, const struct node *v, const struct recipe_image *im)
{
    bool uefi = !im->nboot && (!im->ptable || strcmp(im->ptable, "mbr") != 0);
    for (size_t i = 0; i < im->nboot; i++)
        uefi |= strcmp(im->boot[i], RECIPE_SECURE_BOOT_METHOD) == 0;
    for (size_t j = 0; j + 1 < v->n && !uefi; j += 2)
        if (v->kids[j]->type == N_SCALAR && strcmp(v->kids[j]->str, "secure_boot") == 0) {
            size_t old = rl_path_push_key(L, "secure_boot");
            rl_lerr(L, v->kids[j + 1], "needs %s in image.boot (Secure Boot is UEFI's)",
                    RECIPE_SECURE_BOOT_METHOD);
            rl_path_pop(L, old);
        }
}

static void f_image(struct loader *L, const struct node *v, void *o)
{
    struct recipe_image *im = &((struct recipe *)o)->image;
    rl_walk_map(L, v, image_fields, sizeof(image_fields) / sizeof(image_fields[0]), im);
    if (v->type == N_MAP)
        check_needs(L, v, im);
    if (v->type == N_MAP && im->secure_boot)
        check_secure_boot(L, v, im);
    if (v->type == N_MAP && L->kind == RECIPE_APPLIANCE) {
        if (!im->root)
            im->root = default_one(&jeos_axis_fs, jeos_axis_fs.def[RECIPE_APPLIANCE]);
        check_brought_keys(L, v, im);
    }
}

/* files: [{src, dst, mode, owner, group}] */

static void file_src(struct loader *L, const struct node *v, void *o)
{
    struct recipe_file *f = o;
    const char *s;
    if (!rl_get_str(L, v, &s))
        return;
    if (!rl_valid_rel_path(s)) {
        rl_lerr(L, v,
                "expected a path relative to the recipe's folder, not leaving it (got \"%s\")", s);
        return;
    }
    if (L->opts && L->opts->check_files) {
        char *full = xasprintf("%s/%s", L->r->dir, s);
        struct stat st;
        if (stat(full, &st) < 0)
            rl_lerr(L, v, "\"%s\" not found in %s/ (paths are relative to the recipe's folder)", s,
                    L->r->dir);
        else if (s[strlen(s) - 1] == '/' && !S_ISDIR(st.st_mode))
            rl_lerr(L, v, "\"%s\" ends with '/' but is not a folder", s);
        free(full);
    }
    rl_set_str(&f->src, s);
}

static void file_dst(struct loader *L, const struct node *v, void *o)
{
    const char *s;
    if (!rl_get_str(L, v, &s))
        return;
    if (!rl_valid_abs_path(s)) {
        rl_lerr(L, v, "expected an absolute path in the image, without . or .. (got \"%s\")", s);
        return;
    }
    rl_set_str(&((struct recipe_file *)o)->dst, s);
}

static void get_mode(struct loader *L, const struct node *v, int *out)
{
    const char *s;
    if (!rl_get_str(L, v, &s))
        return;
    char *end;
    errno = 0;
    long m = strtol(s, &end, 8);
    if (!*s || *end || errno || m < 0 || m > 07777) {
        rl_lerr(L, v, "not a file mode (expected octal digits up to 7777, e.g. 0644; got \"%s\")",
                s);
        return;
    }
    *out = (int)m;
}

static void file_mode(struct loader *L, const struct node *v, void *o)
{
    get_mode(L, v, &((struct recipe_file *)o)->mode);
}

static bool get_owner(struct loader *L, const struct node *v, char **dst)
{
    const char *s;
    if (!rl_get_str(L, v, &s))
        return false;
    if (!rl_valid_owner(s)) {
        rl_lerr(L, v, "not a user or group name or number (got \"%s\")", s);
        return false;
    }
    rl_set_str(dst, s);
    return true;
}

static void file_owner(struct loader *L, const struct node *v, void *o)
{
    get_owner(L, v, &((struct recipe_file *)o)->owner);
}

static void file_group(struct loader *L, const struct node *v, void *o)
{
    get_owner(L, v, &((struct recipe_file *)o)->group);
}

static const struct field file_fields[] = {
    {"src", file_src, K_ANY, true},      {"dst", file_dst, K_ANY, true},
    {"mode", file_mode, K_ANY, false},   {"owner", file_owner, K_ANY, false},
    {"group", file_group, K_ANY, false},
};

/* A files: list (the top-level one, or a volume's initial content) appended to *files. */
static void read_files(struct loader *L, const struct node *v, struct recipe_file **files,
                       size_t *nfiles)
{
    if (v->type != N_SEQ) {
        rl_lerr(L, v, "expected a list of {src, dst} mappings, got %s", rl_what_is(v));
        return;
    }
    for (size_t i = 0; i < v->n; i++) {
        size_t old = rl_path_push_index(L, i);
        struct recipe_file f = {.mode = -1, .pos = {v->kids[i]->line, v->kids[i]->col}};
        rl_walk_map(L, v->kids[i], file_fields, sizeof(file_fields) / sizeof(file_fields[0]), &f);
        *files = xrealloc(*files, (*nfiles + 1) * sizeof(**files));
        (*files)[(*nfiles)++] = f;
        rl_path_pop(L, old);
    }
}

static void f_files(struct loader *L, const struct node *v, void *o)
{
    struct recipe *r = o;
    read_files(L, v, &r->files, &r->nfiles);
}

/* users: [{name, uid, group, groups, home, shell}] */

static void user_name(struct loader *L, const struct node *v, void *o)
{
    const char *s;
    if (!rl_get_str(L, v, &s))
        return;
    if (!rl_valid_account(s)) {
        rl_lerr(L, v,
                "not a valid user name (expected up to 32 lowercase letters, digits, '_' or '-', "
                "starting with a letter or '_'; got \"%s\")",
                s);
        return;
    }
    rl_set_str(&((struct recipe_user *)o)->name, s);
}

static void user_uid(struct loader *L, const struct node *v, void *o)
{
    int64_t x;
    if (rl_get_int(L, v, 0, 65533, &x))
        ((struct recipe_user *)o)->uid = x;
}

static void user_group(struct loader *L, const struct node *v, void *o)
{
    get_owner(L, v, &((struct recipe_user *)o)->group);
}

static bool check_account(struct loader *L, const struct node *v, const char *s)
{
    if (rl_valid_account(s))
        return true;
    rl_lerr(L, v, "not a valid group name (got \"%s\")", s);
    return false;
}

static void user_groups(struct loader *L, const struct node *v, void *o)
{
    rl_get_strlist(L, v, &((struct recipe_user *)o)->groups, false, true, check_account);
}

static void get_abs_path(struct loader *L, const struct node *v, char **dst)
{
    const char *s;
    if (!rl_get_str(L, v, &s))
        return;
    if (!rl_valid_abs_path(s)) {
        rl_lerr(L, v, "expected an absolute path, without . or .. (got \"%s\")", s);
        return;
    }
    rl_set_str(dst, s);
}

static void user_home(struct loader *L, const struct node *v, void *o)
{
    get_abs_path(L, v, &((struct recipe_user *)o)->home);
}

static void user_shell(struct loader *L, const struct node *v, void *o)
{
    get_abs_path(L, v, &((struct recipe_user *)o)->shell);
}

static const struct field user_fields[] = {
    {"name", user_name, K_ANY, true},    {"uid", user_uid, K_ANY, false},
    {"group", user_group, K_ANY, false}, {"groups", user_groups, K_ANY, false},
    {"home", user_home, K_ANY, false},   {"shell", user_shell, K_ANY, false},
};

static void f_users(struct loader *L, const struct node *v, void *o)
{
    struct recipe *r = o;
    if (v->type != N_SEQ) {
        rl_lerr(L, v, "expected a list of {name, ...} mappings, got %s", rl_what_is(v));
        return;
    }
    for (size_t i = 0; i < v->n; i++) {
        size_t old = rl_path_push_index(L, i);
        struct recipe_user u = {.uid = -1, .pos = {v->kids[i]->line, v->kids[i]->col}};
        rl_walk_map(L, v->kids[i], user_fields, sizeof(user_fields) / sizeof(user_fields[0]), &u);
        for (size_t k = 0; u.name && k < r->nusers; k++) {
            if (r->users[k].name && strcmp(r->users[k].name, u.name) == 0) {
                size_t o2 = rl_path_push_key(L, "name");
                rl_lerr(L, v->kids[i], "user \"%s\" is defined twice", u.name);
                rl_path_pop(L, o2);
                break;
            }
        }
        r->users = xrealloc(r->users, (r->nusers + 1) * sizeof(*r->users));
        r->users[r->nusers++] = u;
        rl_path_pop(L, old);
    }
}

/* folders: [{path, owner, group, mode}] */

static void folder_path(struct loader *L, const struct node *v, void *o)
{
    const char *s;
    if (!rl_get_str(L, v, &s))
        return;
    if (!rl_valid_abs_path(s) || strcmp(s, "/") == 0) {
        rl_lerr(L, v, "expected an absolute path in the image, without . or .. (got \"%s\")", s);
        return;
    }
    rl_set_str(&((struct recipe_folder *)o)->path, s);
}

static void folder_mode(struct loader *L, const struct node *v, void *o)
{
    get_mode(L, v, &((struct recipe_folder *)o)->mode);
}

static void folder_owner(struct loader *L, const struct node *v, void *o)
{
    get_owner(L, v, &((struct recipe_folder *)o)->owner);
}

static void folder_group(struct loader *L, const struct node *v, void *o)
{
    get_owner(L, v, &((struct recipe_folder *)o)->group);
}

static const struct field folder_fields[] = {
    {"path", folder_path, K_ANY, true},
    {"mode", folder_mode, K_ANY, false},
    {"owner", folder_owner, K_ANY, false},
    {"group", folder_group, K_ANY, false},
};

static void f_folders(struct loader *L, const struct node *v, void *o)
{
    struct recipe *r = o;
    if (v->type != N_SEQ) {
        rl_lerr(L, v, "expected a list of {path, owner, group, mode} mappings, got %s",
                rl_what_is(v));
        return;
    }
    for (size_t i = 0; i < v->n; i++) {
        size_t old = rl_path_push_index(L, i);
        struct recipe_folder f = {.mode = -1, .pos = {v->kids[i]->line, v->kids[i]->col}};
        rl_walk_map(L, v->kids[i], folder_fields, sizeof(folder_fields) / sizeof(folder_fields[0]),
                    &f);
        r->folders = xrealloc(r->folders, (r->nfolders + 1) * sizeof(*r->folders));
        r->folders[r->nfolders++] = f;
        rl_path_pop(L, old);
    }
}

/* ---- appliance keys ---- */

static bool check_suite(struct loader *L, const struct node *v, const char *s)
{
    if (rl_valid_suite(s))
        return true;
    rl_lerr(L, v, "not a valid suite or component name (got \"%s\")", s);
    return false;
}

static void get_keyring(struct loader *L, const struct node *v, char **dst)
{
    const char *s;
    if (!rl_get_str(L, v, &s))
        return;
    if (L->opts && L->opts->check_files) {
        char *full = s[0] == '/' ? xstrdup(s) : xasprintf("%s/%s", L->r->dir, s);
        struct stat st;
        if (stat(full, &st) < 0 || !S_ISREG(st.st_mode))
            rl_lerr(L, v, "keyring \"%s\" not found", full);
        free(full);
    }
    rl_set_str(dst, s);
}

static void get_url(struct loader *L, const struct node *v, char **dst)
{
    const char *s;
    if (!rl_get_str(L, v, &s))
        return;
    if (!rl_valid_url(s)) {
        rl_lerr(L, v, "expected an http://, https:// or file:/ address (got \"%s\")", s);
        return;
    }
    rl_set_str(dst, s);
}

static void src_uri(struct loader *L, const struct node *v, void *o)
{
    get_url(L, v, &((struct recipe_source *)o)->uri);
}

static void src_suites(struct loader *L, const struct node *v, void *o)
{
    rl_get_strlist(L, v, &((struct recipe_source *)o)->suites, true, true, check_suite);
}

static void src_components(struct loader *L, const struct node *v, void *o)
{
    rl_get_strlist(L, v, &((struct recipe_source *)o)->components, true, true, check_suite);
}

static void src_keyring(struct loader *L, const struct node *v, void *o)
{
    get_keyring(L, v, &((struct recipe_source *)o)->keyring);
}

static const struct field source_fields[] = {
    {"uri", src_uri, K_ANY, true},
    {"suites", src_suites, K_ANY, true},
    {"components", src_components, K_ANY, false},
    {"keyring", src_keyring, K_ANY, false},
};

static void deb_suite(struct loader *L, const struct node *v, void *o)
{
    const char *s;
    if (rl_get_str(L, v, &s) && check_suite(L, v, s))
        rl_set_str(&((struct recipe_debian *)o)->suite, s);
}

static void deb_mirror(struct loader *L, const struct node *v, void *o)
{
    get_url(L, v, &((struct recipe_debian *)o)->mirror);
}

static void deb_components(struct loader *L, const struct node *v, void *o)
{
    rl_get_strlist(L, v, &((struct recipe_debian *)o)->components, true, true, check_suite);
}

static void deb_keyring(struct loader *L, const struct node *v, void *o)
{
    get_keyring(L, v, &((struct recipe_debian *)o)->keyring);
}

static void deb_sources(struct loader *L, const struct node *v, void *o)
{
    struct recipe_debian *d = o;
    if (v->type != N_SEQ) {
        rl_lerr(L, v, "expected a list of {uri, suites, components} mappings, got %s",
                rl_what_is(v));
        return;
    }
    if (v->n == 0) {
        rl_lerr(L, v, "the list is empty (leave sources out to use the host's apt sources)");
        return;
    }
    for (size_t i = 0; i < v->n; i++) {
        size_t old = rl_path_push_index(L, i);
        struct recipe_source s = {.pos = {v->kids[i]->line, v->kids[i]->col}};
        rl_walk_map(L, v->kids[i], source_fields, sizeof(source_fields) / sizeof(source_fields[0]),
                    &s);
        if (s.components.n == 0)
            rl_strlist_push(&s.components, "main", NULL);
        d->sources = xrealloc(d->sources, (d->nsources + 1) * sizeof(*d->sources));
        d->sources[d->nsources++] = s;
        rl_path_pop(L, old);
    }
}

static const struct field debian_fields[] = {
    {"suite", deb_suite, K_ANY, false},           {"mirror", deb_mirror, K_ANY, false},
    {"components", deb_components, K_ANY, false}, {"keyring", deb_keyring, K_ANY, false},
    {"sources", deb_sources, K_ANY, false},
};

static void f_debian(struct loader *L, const struct node *v, void *o)
{
    rl_walk_map(L, v, debian_fields, sizeof(debian_fields) / sizeof(debian_fields[0]),
                &((struct recipe *)o)->debian);
}

static bool check_package(struct loader *L, const struct node *v, const char *s)
{
    const char *why = rl_package_problem(s);
    if (!why)
        return true;
    rl_lerr(L, v, "not a package name (%s; got \"%s\")", why, s);
    return false;
}

static void f_packages(struct loader *L, const struct node *v, void *o)
{
    rl_get_strlist(L, v, &((struct recipe *)o)->packages, true, true, check_package);
}

static void f_kernel(struct loader *L, const struct node *v, void *o)
{
    const char *s;
    if (rl_get_str(L, v, &s) && check_package(L, v, s))
        rl_set_str(&((struct recipe *)o)->kernel, s);
}

static bool check_glob(struct loader *L, const struct node *v, const char *s)
{
    if (s[0] == '/')
        return true;
    rl_lerr(L, v, "expected an absolute glob such as /usr/share/doc/* (got \"%s\")", s);
    return false;
}

static void f_exclude(struct loader *L, const struct node *v, void *o)
{
    rl_get_strlist(L, v, &((struct recipe *)o)->exclude, false, true, check_glob);
}

static void f_exclude_defaults(struct loader *L, const struct node *v, void *o)
{
    rl_get_bool(L, v, &((struct recipe *)o)->exclude_defaults);
}

static bool check_locale(struct loader *L, const struct node *v, const char *s)
{
    if (rl_all_chars(s, "_.@-", false))
        return true;
    rl_lerr(L, v, "not a locale name such as en_US.UTF-8 (got \"%s\")", s);
    return false;
}

static void f_locales(struct loader *L, const struct node *v, void *o)
{
    rl_get_strlist(L, v, &((struct recipe *)o)->locales, false, true, check_locale);
}

static bool check_module(struct loader *L, const struct node *v, const char *s)
{
    if (rl_all_chars(s, "_-", false))
        return true;
    rl_lerr(L, v, "not a kernel module name (got \"%s\")", s);
    return false;
}

static void f_modules(struct loader *L, const struct node *v, void *o)
{
    rl_get_strlist(L, v, &((struct recipe *)o)->modules, false, true, check_module);
}

/* service: */

static bool check_nothing(struct loader *L, const struct node *v, const char *s)
{
    (void)L;
    (void)v;
    (void)s;
    return true;
}

static void svc_exec(struct loader *L, const struct node *v, void *o)
{
    struct recipe_service *s = o;
    rl_get_strlist(L, v, &s->exec, true, false, check_nothing);
    if (s->exec.n && s->exec.v[0][0] != '/') {
        size_t old = rl_path_push_index(L, 0);
        rl_lerr(L, v->kids[0], "the program must be an absolute path (got \"%s\")", s->exec.v[0]);
        rl_path_pop(L, old);
    }
}

static void svc_unit(struct loader *L, const struct node *v, void *o)
{
    const char *s;
    if (!rl_get_str(L, v, &s))
        return;
    size_t n = strlen(s);
    if (!n || n > 200 || !rl_all_chars(s, ":_.@-\\", false) || s[0] == '.' || s[0] == '-') {
        rl_lerr(L, v,
                "not a unit name (expected e.g. ssh or ssh.service: letters, digits and : _ . @ "
                "- \\; got \"%s\")",
                s);
        return;
    }
    rl_set_str(&((struct recipe_service *)o)->unit, s);
}

static void svc_user(struct loader *L, const struct node *v, void *o)
{
    struct recipe_service *s = o;
    if (get_owner(L, v, &s->user))
        s->upos = (struct recipe_pos){v->line, v->col};
}

static void svc_group(struct loader *L, const struct node *v, void *o)
{
    get_owner(L, v, &((struct recipe_service *)o)->group);
}

static void svc_workdir(struct loader *L, const struct node *v, void *o)
{
    get_abs_path(L, v, &((struct recipe_service *)o)->workdir);
}

static void svc_env(struct loader *L, const struct node *v, void *o)
{
    rl_get_env(L, v, &((struct recipe_service *)o)->env);
}

static void svc_restart(struct loader *L, const struct node *v, void *o)
{
    static const char *const modes[] = {"always", "on-failure", "no"};
    int x;
    if (rl_get_enum(L, v, "restart policy", modes, 3, &x)) {
        ((struct recipe_service *)o)->restart = x;
        ((struct recipe_service *)o)->restart_given = true;
    }
}

static void ready_port(struct loader *L, const struct node *v, void *o)
{
    int64_t x;
    if (rl_get_int(L, v, 1, 65535, &x)) {
        ((struct recipe_service *)o)->ready = RECIPE_READY_PORT;
        ((struct recipe_service *)o)->ready_port = (int)x;
    }
}

static const struct field ready_fields[] = {{"port", ready_port, K_ANY, true}};

/* ready: auto | started | listen | notify | {port: N} */
static void svc_ready(struct loader *L, const struct node *v, void *o)
{
    if (v->type == N_MAP) {
        rl_walk_map(L, v, ready_fields, 1, o);
        return;
    }
    static const char *const modes[] = {"auto", "started", "listen", "notify"};
    int x;
    if (v->type == N_SCALAR) {
        if (rl_get_enum(L, v, "readiness check", modes, 4, &x))
            ((struct recipe_service *)o)->ready = x;
        return;
    }
    rl_lerr(L, v, "expected auto, started, listen, notify or {port: N}, got %s", rl_what_is(v));
}

static const struct field service_fields[] = {
    {"exec", svc_exec, K_ANY, false},       {"unit", svc_unit, K_ANY, false},
    {"user", svc_user, K_ANY, false},       {"group", svc_group, K_ANY, false},
    {"workdir", svc_workdir, K_ANY, false}, {"env", svc_env, K_ANY, false},
    {"restart", svc_restart, K_ANY, false}, {"ready", svc_ready, K_ANY, false},
};

static void f_service(struct loader *L, const struct node *v, void *o)
{
    struct recipe_service *s = &((struct recipe *)o)->service;
    s->pos = (struct recipe_pos){v->line, v->col};
    rl_walk_map(L, v, service_fields, sizeof(service_fields) / sizeof(service_fields[0]), s);
    if (v->type == N_MAP && s->exec.n && s->unit)
        rl_lerr(L, v,
                "give exec (a program of your own) or unit (one the packages ship), not both");
}

/* ---- unikernel keys ---- */

static bool check_source(struct loader *L, const struct node *v, const char *s)
{
    size_t n = strlen(s);
    if (!rl_valid_rel_path(s)) {
        rl_lerr(L, v,
                "expected a path relative to the recipe's folder, not leaving it (got \"%s\")", s);
        return false;
    }
    if (!(n > 2 && s[n - 2] == '.' && (s[n - 1] == 'c' || s[n - 1] == 'S'))) {
        rl_lerr(L, v, "expected a C source file ending in .c or .S (got \"%s\")", s);
        return false;
    }
    if (L->opts && L->opts->check_files && !strpbrk(s, "*?[")) { /* a glob: at build time */
        char *full = xasprintf("%s/%s", L->r->dir, s);
        struct stat st;
        bool ok = stat(full, &st) == 0 && S_ISREG(st.st_mode);
        free(full);
        if (!ok) {
            rl_lerr(L, v, "\"%s\" not found in %s/ (paths are relative to the recipe's folder)", s,
                    L->r->dir);
            return false;
        }
    }
    return true;
}

static void f_sources(struct loader *L, const struct node *v, void *o)
{
    rl_get_strlist(L, v, &((struct recipe *)o)->sources, true, true, check_source);
}

static bool check_rel_dir(struct loader *L, const struct node *v, const char *s)
{
    if (rl_valid_rel_path(s))
        return true;
    rl_lerr(L, v, "expected a folder relative to the recipe's folder, not leaving it (got \"%s\")",
            s);
    return false;
}

static void f_include(struct loader *L, const struct node *v, void *o)
{
    rl_get_strlist(L, v, &((struct recipe *)o)->include, false, true, check_rel_dir);
}

/* A glob or folder of source:, relative to the unpacked tree (checked at build time). */
static bool check_tree_path(struct loader *L, const struct node *v, const char *s)
{
    if (rl_valid_rel_path(s))
        return true;
    rl_lerr(L, v,
            "expected a path relative to the source package's tree, not leaving it (got \"%s\")",
            s);
    return false;
}

static void src_debian(struct loader *L, const struct node *v, void *o)
{
    const char *s;
    if (!rl_get_str(L, v, &s))
        return;
    char *name = xstrdup(s), *eq = strchr(name, '=');
    if (eq)
        *eq = '\0';
    const char *why = rl_package_problem(name);
    if (why)
        rl_lerr(L, v, "%s (got \"%s\")", why, s);
    else
        rl_set_str(&((struct recipe_srcpkg *)o)->debian, s);
    free(name);
}

static void src_sources(struct loader *L, const struct node *v, void *o)
{
    rl_get_strlist(L, v, &((struct recipe_srcpkg *)o)->sources, true, true, check_tree_path);
}

static void src_exclude(struct loader *L, const struct node *v, void *o)
{
    rl_get_strlist(L, v, &((struct recipe_srcpkg *)o)->exclude, false, true, check_tree_path);
}

static void src_include(struct loader *L, const struct node *v, void *o)
{
    rl_get_strlist(L, v, &((struct recipe_srcpkg *)o)->include, false, true, check_tree_path);
}

static const struct field srcpkg_fields[] = {
    {"debian", src_debian, K_ANY, true},
    {"sources", src_sources, K_ANY, true},
    {"exclude", src_exclude, K_ANY, false},
    {"include", src_include, K_ANY, false},
};

static void f_source(struct loader *L, const struct node *v, void *o)
{
    struct recipe_srcpkg *sp = &((struct recipe *)o)->source;
    sp->pos = (struct recipe_pos){v->line, v->col};
    rl_walk_map(L, v, srcpkg_fields, sizeof(srcpkg_fields) / sizeof(srcpkg_fields[0]), sp);
}

static bool check_cflag(struct loader *L, const struct node *v, const char *s)
{
    if (s[0] == '-' && s[1])
        return true;
    rl_lerr(L, v, "expected a compiler option starting with '-' (got \"%s\")", s);
    return false;
}

static void f_cflags(struct loader *L, const struct node *v, void *o)
{
    rl_get_strlist(L, v, &((struct recipe *)o)->cflags, false, false, check_cflag);
}

/* cflags_for: {GLOB: [options]}: the options of the sources the glob matches. */
static void f_cflags_for(struct loader *L, const struct node *v, void *o)
{
    struct recipe *r = o;
    if (v->type != N_MAP) {
        rl_lerr(L, v, "expected a mapping of source glob: [compiler options], got %s",
                rl_what_is(v));
        return;
    }
    for (size_t i = 0; i + 1 < v->n; i += 2) {
        const struct node *k = v->kids[i], *val = v->kids[i + 1];
        if (k->type != N_SCALAR || !k->str[0]) {
            rl_lerr(L, k, "a source glob must be a string, got %s", rl_what_is(k));
            continue;
        }
        size_t old = rl_path_push_key(L, k->str);
        bool dup = false;
        for (size_t j = 0; j < r->ncflags_for; j++)
            dup |= strcmp(r->cflags_for[j].glob, k->str) == 0;
        if (dup) {
            rl_lerr(L, k, "duplicate key");
        } else if (!rl_valid_rel_path(k->str)) {
            rl_lerr(L, k,
                    "expected a glob of source paths as sources: or source.sources give them, "
                    "relative and not leaving the folder (got \"%s\")",
                    k->str);
        } else {
            struct recipe_srcflags sf = {.glob = xstrdup(k->str)};
            rl_get_strlist(L, val, &sf.flags, true, false, check_cflag);
            r->cflags_for = xrealloc(r->cflags_for, (r->ncflags_for + 1) * sizeof(sf));
            r->cflags_for[r->ncflags_for++] = sf;
        }
        rl_path_pop(L, old);
    }
}

static bool check_define(struct loader *L, const struct node *v, const char *s)
{
    const char *eq = strchr(s, '=');
    char *name = xstrndup(s, eq ? (size_t)(eq - s) : strlen(s));
    bool ok = name[0] && rl_valid_env_name(name);
    free(name);
    if (!ok)
        rl_lerr(L, v, "expected NAME or NAME=VALUE with a C identifier as NAME (got \"%s\")", s);
    return ok;
}

static void f_defines(struct loader *L, const struct node *v, void *o)
{
    rl_get_strlist(L, v, &((struct recipe *)o)->defines, false, true, check_define);
}

static bool check_lib(struct loader *L, const struct node *v, const char *s)
{
    size_t n = strlen(s);
    if (n > 2 && s[n - 2] == '.' && (s[n - 1] == 'a' || s[n - 1] == 'o')) {
        if (rl_valid_rel_path(s))
            return true;
        rl_lerr(L, v,
                "expected an archive or object relative to the recipe's folder, not leaving it "
                "(got \"%s\")",
                s);
        return false;
    }
    if (s[0] && rl_all_chars(s, "_+.-", false))
        return true;
    rl_lerr(L, v,
            "expected a library name such as m or z, linked as -lNAME, or a .a or .o file (got "
            "\"%s\")",
            s);
    return false;
}

static void f_libs(struct loader *L, const struct node *v, void *o)
{
    rl_get_strlist(L, v, &((struct recipe *)o)->libs, false, true, check_lib);
}

static void f_args(struct loader *L, const struct node *v, void *o)
{
    rl_get_strlist(L, v, &((struct recipe *)o)->args, false, false, check_nothing);
}

/* volumes: [{name, size, mount, files}] */

#define VOLUME_NAME_MAX 20 /* what a virtio-blk serial holds */

static void vol_name(struct loader *L, const struct node *v, void *o)
{
    const char *s;
    if (!rl_get_str(L, v, &s))
        return;
    if (!s[0] || strlen(s) > VOLUME_NAME_MAX || !rl_all_chars(s, "_-", true) || s[0] == '-' ||
        s[0] == '_') {
        rl_lerr(L, v,
                "expected a volume name of 1 to %d lower-case letters, digits, '-' and '_', "
                "starting with a letter or digit (got \"%s\")",
                VOLUME_NAME_MAX, s);
        return;
    }
    rl_set_str(&((struct recipe_volume *)o)->name, s);
}

static void vol_size(struct loader *L, const struct node *v, void *o)
{
    struct recipe_volume *vol = o;
    if (rl_get_size(L, v, 1 * MIB, 16 * TIB, &vol->size) && vol->size % 512) {
        rl_lerr(L, v, "a volume's size is whole 512-byte sectors");
        vol->size = 0;
    }
}

static void vol_mount(struct loader *L, const struct node *v, void *o)
{
    const char *s;
    if (!rl_get_str(L, v, &s))
        return;
    if (!rl_valid_abs_path(s) || strcmp(s, "/") == 0) {
        rl_lerr(L, v, "expected an absolute path other than /, without . or .. (got \"%s\")", s);
        return;
    }
    rl_set_str(&((struct recipe_volume *)o)->mount, s);
}

/* files: as the top-level key, dst a path on the volume ("/" its root, the mount point) */
static void vol_files(struct loader *L, const struct node *v, void *o)
{
    struct recipe_volume *vol = o;
    read_files(L, v, &vol->files, &vol->nfiles);
}

static const struct field volume_fields[] = {
    {"name", vol_name, K_ANY, true},
    {"size", vol_size, K_ANY, true},
    {"mount", vol_mount, K_ANY, true},
    {"files", vol_files, K_ANY, false},
};

static void f_volumes(struct loader *L, const struct node *v, void *o)
{
    struct recipe *r = o;
    if (v->type != N_SEQ) {
        rl_lerr(L, v, "expected a list of {name, size, mount} mappings, got %s", rl_what_is(v));
        return;
    }
    for (size_t i = 0; i < v->n; i++) {
        size_t old = rl_path_push_index(L, i);
        struct recipe_volume vol = {.pos = {v->kids[i]->line, v->kids[i]->col}};
        rl_walk_map(L, v->kids[i], volume_fields, sizeof(volume_fields) / sizeof(volume_fields[0]),
                    &vol);
        for (size_t k = 0; k < r->nvolumes; k++) {
            const struct recipe_volume *w = &r->volumes[k];
            const char *key = vol.name && w->name && !strcmp(w->name, vol.name)       ? "name"
                              : vol.mount && w->mount && !strcmp(w->mount, vol.mount) ? "mount"
                                                                                      : NULL;
            if (key) {
                size_t o2 = rl_path_push_key(L, key);
                rl_lerr(L, v->kids[i], "volume %s \"%s\" is given twice", key,
                        !strcmp(key, "name") ? vol.name : vol.mount);
                rl_path_pop(L, o2);
                break;
            }
        }
        r->volumes = xrealloc(r->volumes, (r->nvolumes + 1) * sizeof(*r->volumes));
        r->volumes[r->nvolumes++] = vol;
        rl_path_pop(L, old);
    }
}

static void f_workdir(struct loader *L, const struct node *v, void *o)
{
    const char *s;
    if (!rl_get_str(L, v, &s))
        return;
    if (!rl_valid_abs_path(s) || strlen(s) >= 4096) {
        rl_lerr(L, v,
                "expected the program's working folder as an absolute path without . or .., "
                "such as /srv/data (got \"%s\")",
                s);
        return;
    }
    rl_set_str(&((struct recipe *)o)->workdir, s);
}

static const struct field top_fields[] = {
    {"name", f_name, K_ANY, true},
    {"kind", f_kind, K_ANY, true},
    {"description", f_description, K_ANY, false},
    {"version", f_version, K_ANY, false},
    {"hostname", f_hostname, K_ANY, false},
    {"memory", f_memory, K_ANY, false},
    {"cpus", f_cpus, K_ANY, false},
    {"cmdline", f_cmdline, K_ANY, false},
    {"env", f_env, K_ANY, false},
    {"network", f_network, K_ANY, false},
    {"image", f_image, K_ANY, false},
    {"files", f_files, K_ANY, false},
    {"users", f_users, K_ANY, false},
    {"folders", f_folders, K_APPLIANCE, false},
    {"debian", f_debian, K_ANY, false},
    {"packages", f_packages, K_APPLIANCE, true},
    {"kernel", f_kernel, K_APPLIANCE, false},
    {"exclude", f_exclude, K_APPLIANCE, false},
    {"exclude_defaults", f_exclude_defaults, K_APPLIANCE, false},
    {"locales", f_locales, K_APPLIANCE, false},
    {"modules", f_modules, K_APPLIANCE, false},
    {"service", f_service, K_APPLIANCE, false},
    {"sources", f_sources, K_UNIKERNEL, false}, /* required unless source: (load) */
    {"source", f_source, K_UNIKERNEL, false},
    {"include", f_include, K_UNIKERNEL, false},
    {"cflags", f_cflags, K_UNIKERNEL, false},
    {"cflags_for", f_cflags_for, K_UNIKERNEL, false},
    {"defines", f_defines, K_UNIKERNEL, false},
    {"libs", f_libs, K_UNIKERNEL, false},
    {"args", f_args, K_UNIKERNEL, false},
    {"volumes", f_volumes, K_UNIKERNEL, false},
    {"workdir", f_workdir, K_UNIKERNEL, false},
};

/* Finds `kind` first: which keys are allowed depends on it. */
static void read_kind(struct loader *L, const struct node *root)
{
    L->kind = KIND_UNKNOWN;
    for (size_t i = 0; i + 1 < root->n; i += 2) {
        const struct node *k = root->kids[i], *v = root->kids[i + 1];
        if (k->type != N_SCALAR || strcmp(k->str, "kind") != 0)
            continue;
        static const char *const kinds[] = {"appliance", "unikernel"};
        size_t old = rl_path_push_key(L, "kind");
        int x;
        if (rl_get_enum(L, v, "kind", kinds, 2, &x))
            L->kind = x;
        rl_path_pop(L, old);
        return; /* a duplicate is reported by walk_map */
    }
}

static void set_defaults(struct recipe *r)
{
    r->memory = 0;
    r->cpus = 1;
    r->exclude_defaults = true;
    r->network.mode = RECIPE_NET_DHCP;
}

/* Splits `def` (space-separated choice names of `a`) into out[], as the tables spell them. */
static void default_list(const struct jeos_axis *a, const char *def, const char **out, size_t *n)
{
    *n = 0;
    for (const char *p = def; p && *p && *n < RECIPE_MAX_CHOICES;) {
        size_t len = strcspn(p, " ");
        const struct jeos_choice *c;
        for (size_t i = 0; (c = a->choice(i)); i++)
            if (strlen(c->name) == len && strncmp(c->name, p, len) == 0)
                out[(*n)++] = c->name;
        p += len + (p[len] == ' ');
    }
}

/* The image axes a recipe left out take their defaults: the axes' own, by kind, and the keys
   the chosen root filesystem brings (axis.h). */
static void image_defaults(struct recipe *r)
{
    struct recipe_image *im = &r->image;
    if (!im->nformats)
        default_list(&jeos_axis_format, jeos_axis_format.def[r->kind], im->formats, &im->nformats);
    if (!im->ptable)
        im->ptable = default_one(&jeos_axis_ptable, jeos_axis_ptable.def[r->kind]);
    if (!im->nboot) {
        /* the default methods that work with the rest of the image (mbr: bios alone) */
        const char *all[RECIPE_MAX_CHOICES];
        size_t n;
        default_list(&jeos_axis_boot, jeos_axis_boot.def[r->kind], all, &n);
        for (size_t i = 0; i < n; i++) {
            const struct jeos_choice *c = jeos_axis_find(&jeos_axis_boot, all[i]);
            const char *have = c->needs[0] ? image_value(im, c->needs[0]) : NULL;
            if (!have || strcmp(have, c->needs[1]) == 0)
                im->boot[im->nboot++] = all[i];
        }
    }
    if (r->kind != RECIPE_APPLIANCE)
        return;
    if (!im->root)
        im->root = default_one(&jeos_axis_fs, jeos_axis_fs.def[r->kind]);
    const struct jeos_choice *root = jeos_axis_find(&jeos_axis_fs, im->root);
    for (const struct jeos_key *k = root ? root->keys : NULL; k && k->name; k++) {
        const char **slot = brought_key(im, k->name);
        if (slot && !*slot)
            *slot = default_one(k->axis, k->def);
    }
}

static void finish_defaults(struct recipe *r)
{
    if (!r->memory)
        r->memory = r->kind == RECIPE_UNIKERNEL ? 32 * MIB : 512 * MIB;
    image_defaults(r);
    if (!r->version)
        r->version = xstrdup("1");
    if (!r->hostname && r->name) {
        r->hostname = xstrdup(r->name);
        for (char *p = r->hostname; *p; p++)
            if (*p == '_' || *p == '.')
                *p = '-';
    }
    if (r->kind == RECIPE_APPLIANCE) {
        if (!r->kernel)
            r->kernel = xstrdup(RECIPE_DEFAULT_KERNEL);
        if (!r->debian.suite)
            r->debian.suite = xstrdup("bookworm");
        if (!r->debian.components.n)
            rl_strlist_push(&r->debian.components, "main", NULL);
        if (!r->service.user && r->service.exec.n)
            r->service.user = xstrdup("root");
    }
}

/* Was a network key given? Unikernels default to no network, appliances to DHCP. */
static bool has_key(const struct node *root, const char *key)
{
    for (size_t i = 0; i + 1 < root->n; i += 2)
        if (root->kids[i]->type == N_SCALAR && strcmp(root->kids[i]->str, key) == 0)
            return true;
    return false;
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return xstrdup(".");
    if (slash == path)
        return xstrdup("/");
    return xstrndup(path, (size_t)(slash - path));
}

int recipe_load_buffer(const char *path, const char *buf, size_t len,
                       const struct recipe_load_opts *opts, struct recipe **out,
                       struct jeos_err *err)
{
    struct loader L = {.file = path, .opts = opts, .err = err};
    struct jeos_err local;
    jeos_err_init(&local);
    L.err = &local;
    struct recipe *r = xcalloc(1, sizeof(*r));
    r->path = xstrdup(path);
    r->dir = dir_of(path);
    L.r = r;
    *out = NULL;
    set_defaults(r);

    struct node *root = rl_parse_yaml(&L, buf, len);
    if (root) {
        if (root->type != N_MAP) {
            rl_lerr(&L, root, "a recipe is a mapping of keys (name, kind, ...), got %s",
                    rl_what_is(root));
        } else {
            read_kind(&L, root);
            if (L.kind != KIND_UNKNOWN)
                r->kind = L.kind;
            if (L.kind == RECIPE_UNIKERNEL && !has_key(root, "network"))
                r->network.mode = RECIPE_NET_NONE;
            rl_walk_map(&L, root, top_fields, sizeof(top_fields) / sizeof(top_fields[0]), r);
            if (L.kind == RECIPE_UNIKERNEL && r->image.data_size)
                rl_lerr(&L, root, "image.data: only for kind appliance recipes");
            if (L.kind == RECIPE_UNIKERNEL && !has_key(root, "sources") && !has_key(root, "source"))
                rl_lerr(&L, root,
                        "sources: missing (required for kind unikernel recipes, unless source: "
                        "names a Debian source package)");
            finish_defaults(r);
        }
    }

    for (size_t i = 0; i < L.nkid_arrays; i++)
        free(L.kid_arrays[i]->kids);
    free(L.kid_arrays);
    rl_arena_free(&L.arena);
    sbuf_free(&L.path);

    int rc = 0;
    if (jeos_err_count(&local)) {
        rc = local.code ? local.code : -EINVAL;
        jeos_err_move(err ? err : &local, &local);
        jeos_err_free(&local);
        recipe_free(r);
        return rc;
    }
    jeos_err_free(&local);
    *out = r;
    return 0;
}

int recipe_load_file(const char *path, struct recipe **out, struct jeos_err *err)
{
    char *buf;
    size_t len;
    *out = NULL;
    int rc = jeos_read_file(path, &buf, &len, err);
    if (rc < 0)
        return rc;
    struct recipe_load_opts opts = {.check_files = true};
    rc = recipe_load_buffer(path, buf, len, &opts, out, err);
    free(buf);
    return rc;
}

static void free_files(struct recipe_file *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(f[i].src);
        free(f[i].dst);
        free(f[i].owner);
        free(f[i].group);
    }
    free(f);
}

void recipe_free(struct recipe *r)
{
    if (!r)
        return;
    free(r->path);
    free(r->dir);
    free(r->name);
    free(r->description);
    free(r->version);
    free(r->hostname);
    free(r->image.cloud_ssh_user);
    free(r->cmdline);
    free(r->network.address);
    free(r->network.gateway);
    rl_strlist_free(&r->network.dns);
    rl_env_free(&r->env);
    free_files(r->files, r->nfiles);
    for (size_t i = 0; i < r->nusers; i++) {
        struct recipe_user *u = &r->users[i];
        free(u->name);
        free(u->group);
        free(u->home);
        free(u->shell);
        rl_strlist_free(&u->groups);
    }
    free(r->users);
    for (size_t i = 0; i < r->nfolders; i++) {
        free(r->folders[i].path);
        free(r->folders[i].owner);
        free(r->folders[i].group);
    }
    free(r->folders);
    free(r->debian.suite);
    free(r->debian.mirror);
    free(r->debian.keyring);
    rl_strlist_free(&r->debian.components);
    for (size_t i = 0; i < r->debian.nsources; i++) {
        struct recipe_source *s = &r->debian.sources[i];
        free(s->uri);
        free(s->keyring);
        rl_strlist_free(&s->suites);
        rl_strlist_free(&s->components);
    }
    free(r->debian.sources);
    rl_strlist_free(&r->packages);
    free(r->kernel);
    rl_strlist_free(&r->exclude);
    rl_strlist_free(&r->locales);
    rl_strlist_free(&r->modules);
    rl_strlist_free(&r->service.exec);
    free(r->service.unit);
    free(r->service.user);
    free(r->service.group);
    free(r->service.workdir);
    rl_env_free(&r->service.env);
    rl_strlist_free(&r->sources);
    rl_strlist_free(&r->include);
    for (size_t i = 0; i < r->nvolumes; i++) {
        free(r->volumes[i].name);
        free(r->volumes[i].mount);
        free_files(r->volumes[i].files, r->volumes[i].nfiles);
    }
    free(r->volumes);
    free(r->source.debian);
    rl_strlist_free(&r->source.sources);
    rl_strlist_free(&r->source.exclude);
    rl_strlist_free(&r->source.include);
    rl_strlist_free(&r->cflags);
    rl_strlist_free(&r->defines);
    rl_strlist_free(&r->libs);
    for (size_t i = 0; i < r->ncflags_for; i++) {
        free(r->cflags_for[i].glob);
        rl_strlist_free(&r->cflags_for[i].flags);
    }
    free(r->cflags_for);
    rl_strlist_free(&r->args);
    free(r->workdir);
    free(r);
}

/* cmd_diff.c — jeos diff [--json] A B: packages added, removed and changed between two images or
 * lock files, and the root's files, for reviewing an update. */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>

#include "builder/cli/cli.h"
#include "builder/core/err.h"
#include "builder/inspect/diff.h"

const char cmd_diff_usage[] =
    "usage: jeos diff [--json] A B\n"
    "\n"
    "Compares A with B, each an image (any format jeos inspect reads) or a lock file\n"
    "(RECIPE.yaml.lock): the packages B adds (+), removes (-) and changes (~, with both\n"
    "versions) — an image's are those in it, a lock's all it pins — and, between two images,\n"
    "the files of the root filesystem added, removed and changed (type, mode, owner, size,\n"
    "link target, sha256 of the bytes). --json prints one JSON object.\n"
    "\n"
    "Exit status: 0 compared (whether or not they differ), 1 failure, 2 usage error.\n";

static json_object *changes_json(const struct jeos_change *v, size_t n, bool pkgs)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        json_object *o = json_object_new_object();
        char k[2] = {v[i].kind, 0};
        json_object_object_add(o, "change", json_object_new_string(k));
        json_object_object_add(o, pkgs ? "package" : "path", json_object_new_string(v[i].name));
        if (v[i].a)
            json_object_object_add(o, pkgs ? "from" : "what", json_object_new_string(v[i].a));
        if (v[i].b)
            json_object_object_add(o, "to", json_object_new_string(v[i].b));
        json_object_array_add(a, o);
    }
    return a;
}

static void count(const struct jeos_change *v, size_t n, size_t c[3])
{
    c[0] = c[1] = c[2] = 0;
    for (size_t i = 0; i < n; i++)
        c[v[i].kind == '+' ? 0 : v[i].kind == '-' ? 1 : 2]++;
}

int cmd_diff(struct jeos_ctx *ctx, int argc, char **argv, struct jeos_err *err)
{
    static const struct option longopts[] = {{"json", no_argument, 0, 'j'}, {0, 0, 0, 0}};
    bool json = false;
    int c;
    while ((c = getopt_long(argc, argv, "j", longopts, NULL)) != -1) {
        if (c != 'j') {
            fputs(cmd_diff_usage, stderr);
            return JEOS_EXIT_USAGE;
        }
        json = true;
    }
    if (optind + 2 != argc) {
        fputs(cmd_diff_usage, stderr);
        return JEOS_EXIT_USAGE;
    }
    struct jeos_diff d;
    int rc = jeos_diff(ctx, argv[optind], argv[optind + 1], &d, err);
    if (rc < 0) {
        jeos_diff_free(&d);
        return JEOS_EXIT_FAIL;
    }
    size_t p[3], f[3];
    count(d.pkgs, d.npkgs, p);
    count(d.files, d.nfiles, f);
    if (json) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "a", json_object_new_string(d.a_from));
        json_object_object_add(o, "b", json_object_new_string(d.b_from));
        json_object_object_add(o, "packages", changes_json(d.pkgs, d.npkgs, true));
        json_object_object_add(o, "files",
                               d.files_compared ? changes_json(d.files, d.nfiles, false) : NULL);
        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                                   JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
    } else {
        printf("a: %s\nb: %s\n", d.a_from, d.b_from);
        printf("packages: %zu added, %zu removed, %zu changed\n", p[0], p[1], p[2]);
        for (size_t i = 0; i < d.npkgs; i++) {
            const struct jeos_change *x = &d.pkgs[i];
            if (x->kind == '~')
                printf("~ %s %s -> %s\n", x->name, x->a, x->b);
            else
                printf("%c %s %s\n", x->kind, x->name, x->kind == '+' ? x->b : x->a);
        }
        if (d.files_compared) {
            printf("files in the root: %zu added, %zu removed, %zu changed\n", f[0], f[1], f[2]);
            for (size_t i = 0; i < d.nfiles; i++)
                printf("%c %s%s%s\n", d.files[i].kind, d.files[i].name, d.files[i].a ? ": " : "",
                       d.files[i].a ? d.files[i].a : "");
        } else {
            printf("files in the root: not compared (only between two images)\n");
        }
    }
    jeos_diff_free(&d);
    return JEOS_EXIT_OK;
}

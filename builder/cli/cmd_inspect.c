/* cmd_inspect.c — jeos inspect [--json] IMAGE: what a disk image holds, read without mounting it.
 */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/cli/cli.h"
#include "builder/core/alloc.h"
#include "builder/core/err.h"
#include "builder/inspect/inspect.h"

const char cmd_inspect_usage[] =
    "usage: jeos inspect [--json] [--largest N] IMAGE\n"
    "\n"
    "Reads a disk image — raw, qcow2, vmdk, vhd, ova, gce (tar.gz), oci (the NAME.oci folder\n"
    "or NAME.oci.tar: the containerDisk's qcow2) or a unikernel ELF; qemu-img converts those\n"
    "that need it into a temporary file — and says: its partition table, the\n"
    "boot loaders for BIOS and UEFI and whether Secure Boot firmware would run them, the kernel\n"
    "and its command line (from GRUB's configuration), the root filesystem's kind and size, the\n"
    "packages with their versions (from the SBOM jeos keeps in the root, or dpkg's status file),\n"
    "and the largest files (N, default 10). What it cannot tell is listed as a note.\n"
    "--json prints the same as one JSON object.\n"
    "\n"
    "Exit status: 0 read, 1 the image cannot be read as what it claims to be (the error says\n"
    "where), 2 usage error.\n";

static double mib(uint64_t b)
{
    return (double)b / 1048576.0;
}

static int by_size(const void *a, const void *b)
{
    const struct jeos_fsentry *x = *(const struct jeos_fsentry *const *)a;
    const struct jeos_fsentry *y = *(const struct jeos_fsentry *const *)b;
    return x->size < y->size ? 1 : x->size > y->size ? -1 : strcmp(x->path, y->path);
}

/* The root's regular files, largest first (the array only). */
static const struct jeos_fsentry **largest(const struct jeos_inspect *in, size_t *n)
{
    const struct jeos_fsentry **v = xcalloc(in->files.n + 1, sizeof(*v));
    *n = 0;
    for (size_t i = 0; i < in->files.n; i++)
        if (in->files.v[i].type == 'f')
            v[(*n)++] = &in->files.v[i];
    qsort(v, *n, sizeof(*v), by_size);
    return v;
}

static json_object *jstr(const char *s)
{
    return s ? json_object_new_string(s) : NULL;
}

static void print_json(const struct jeos_inspect *in, size_t top)
{
    json_object *o = json_object_new_object(), *a;
    json_object_object_add(o, "image", jstr(in->path));
    json_object_object_add(o, "format", jstr(in->format));
    json_object_object_add(o, "file_bytes", json_object_new_int64((int64_t)in->file_size));
    json_object_object_add(o, "disk_bytes", json_object_new_int64((int64_t)in->disk_size));
    json_object *pt = json_object_new_object();
    json_object_object_add(pt, "kind", jstr(in->pt.table));
    json_object_object_add(pt, "disk_guid", in->pt.disk_uuid[0] ? jstr(in->pt.disk_uuid) : NULL);
    json_object_object_add(pt, "boot_code", jstr(in->pt.boot_code));
    a = json_object_new_array();
    for (size_t i = 0; i < in->pt.nparts; i++) {
        const struct jeos_ptread_part *p = &in->pt.parts[i];
        json_object *e = json_object_new_object();
        json_object_object_add(e, "number", json_object_new_int(p->number));
        json_object_object_add(e, "kind", jstr(p->kind));
        json_object_object_add(e, "type", jstr(p->type));
        json_object_object_add(e, "start", json_object_new_int64((int64_t)p->start));
        json_object_object_add(e, "bytes", json_object_new_int64((int64_t)p->size));
        if (p->uuid[0])
            json_object_object_add(e, "guid", jstr(p->uuid));
        if (p->name[0])
            json_object_object_add(e, "name", jstr(p->name));
        json_object_object_add(e, "filesystem", jstr(in->fs[i].kind));
        json_object_object_add(e, "detail", jstr(in->fs[i].detail));
        json_object_array_add(a, e);
    }
    json_object_object_add(pt, "partitions", a);
    json_object_object_add(o, "partition_table", pt);
    json_object *boot = json_object_new_object();
    json_object_object_add(boot, "bios", jstr(in->bios));
    json_object_object_add(boot, "uefi", jstr(in->uefi));
    json_object_object_add(boot, "secure_boot", jstr(in->secure_boot));
    json_object_object_add(boot, "grub_cfg", jstr(in->grub_cfg));
    json_object_object_add(o, "boot", boot);
    json_object *k = json_object_new_object();
    json_object_object_add(k, "loader", jstr(in->loader));
    json_object_object_add(k, "path", jstr(in->kernel));
    json_object_object_add(k, "version", jstr(in->kernel_version));
    json_object_object_add(k, "cmdline", jstr(in->cmdline));
    json_object_object_add(k, "initrd", jstr(in->initrd));
    json_object_object_add(o, "kernel", k);
    json_object *root = json_object_new_object();
    json_object_object_add(root, "filesystem", jstr(in->root_kind));
    json_object_object_add(root, "partition_bytes", json_object_new_int64((int64_t)in->root_size));
    json_object_object_add(root, "entries", json_object_new_int64((int64_t)in->files.n));
    json_object_object_add(o, "root", root);
    json_object_object_add(o, "packages_from", jstr(in->pkgs_from));
    a = json_object_new_array();
    for (size_t i = 0; i < in->npkgs; i++) {
        if (!in->pkgs[i].in_image)
            continue;
        json_object *e = json_object_new_object();
        json_object_object_add(e, "name", jstr(in->pkgs[i].name));
        json_object_object_add(e, "version", jstr(in->pkgs[i].version));
        json_object_object_add(e, "architecture", jstr(in->pkgs[i].arch));
        if (in->pkgs[i].license)
            json_object_object_add(e, "license", jstr(in->pkgs[i].license));
        json_object_array_add(a, e);
    }
    json_object_object_add(o, "packages", a);
    size_t n;
    const struct jeos_fsentry **v = largest(in, &n);
    a = json_object_new_array();
    for (size_t i = 0; i < n && i < top; i++) {
        json_object *e = json_object_new_object();
        json_object_object_add(e, "path", jstr(v[i]->path));
        json_object_object_add(e, "bytes", json_object_new_int64((int64_t)v[i]->size));
        json_object_array_add(a, e);
    }
    free(v);
    json_object_object_add(o, "largest_files", a);
    a = json_object_new_array();
    for (size_t i = 0; i < in->nnotes; i++)
        json_object_array_add(a, jstr(in->notes[i]));
    json_object_object_add(o, "notes", a);
    puts(json_object_to_json_string_ext(o,
                                        JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
}

static void print_text(const struct jeos_inspect *in, size_t top)
{
    printf("image: %s (%s, %.1f MiB", in->path, in->format, mib(in->file_size));
    if (in->disk_size && in->disk_size != in->file_size)
        printf("; the disk %.1f MiB", mib(in->disk_size));
    printf(")\n");
    if (in->pt.table) {
        printf("partition table: %s%s%s; boot code in LBA 0: %s\n", in->pt.table,
               in->pt.disk_uuid[0] ? ", disk GUID " : "", in->pt.disk_uuid, in->pt.boot_code);
        for (size_t i = 0; i < in->pt.nparts; i++) {
            const struct jeos_ptread_part *p = &in->pt.parts[i];
            printf("  %-2d %-18s %8.1f MiB at %8.1f MiB  %s\n", p->number, p->kind, mib(p->size),
                   mib(p->start), in->fs[i].detail[0] ? in->fs[i].detail : "-");
        }
    } else if (in->disk_size) {
        printf("partition table: none%s%s\n",
               in->whole.kind ? "; the disk is one filesystem: " : "",
               in->whole.kind ? in->whole.detail : "");
    }
    if (in->disk_size) {
        printf("boot: BIOS: %s\n", in->bios ? in->bios : "none");
        printf("      UEFI: %s\n", in->uefi ? in->uefi : "none");
        printf("      Secure Boot: %s\n", in->secure_boot ? in->secure_boot : "no UEFI boot");
    }
    if (in->loader) {
        printf("kernel: %s (%s, from %s)\n", in->kernel, in->loader, in->grub_cfg);
        printf("  version: %s\n", in->kernel_version ? in->kernel_version : "not known");
        printf("  command line: %s\n", in->cmdline);
    }
    if (in->root_kind) {
        uint64_t bytes = 0, nf = 0;
        for (size_t i = 0; i < in->files.n; i++)
            if (in->files.v[i].type == 'f')
                bytes += in->files.v[i].size, nf++;
        printf("root filesystem: %s, %.1f MiB partition; %zu entries, %llu files, %.1f MiB in "
               "files\n",
               in->root_kind, mib(in->root_size), in->files.n, (unsigned long long)nf, mib(bytes));
    }
    if (in->pkgs_from) {
        size_t n = 0;
        for (size_t i = 0; i < in->npkgs; i++)
            n += in->pkgs[i].in_image;
        printf("packages: %zu, from %s\n", n, in->pkgs_from);
        for (size_t i = 0; i < in->npkgs; i++)
            if (in->pkgs[i].in_image)
                printf("  %-32s %-28s %s\n", in->pkgs[i].name,
                       in->pkgs[i].version ? in->pkgs[i].version : "?",
                       in->pkgs[i].arch ? in->pkgs[i].arch : "");
    }
    size_t n;
    const struct jeos_fsentry **v = largest(in, &n);
    if (n)
        printf("largest files:\n");
    for (size_t i = 0; i < n && i < top; i++)
        printf("  %9.1f KiB  %s\n", (double)v[i]->size / 1024.0, v[i]->path);
    free(v);
    if (in->nnotes)
        printf("not known or odd:\n");
    for (size_t i = 0; i < in->nnotes; i++)
        printf("  %s\n", in->notes[i]);
}

int cmd_inspect(struct jeos_ctx *ctx, int argc, char **argv, struct jeos_err *err)
{
    static const struct option longopts[] = {
        {"json", no_argument, 0, 'j'}, {"largest", required_argument, 0, 'n'}, {0, 0, 0, 0}};
    bool json = false;
    long top = 10;
    int c;
    while ((c = getopt_long(argc, argv, "jn:", longopts, NULL)) != -1) {
        char *end;
        if (c == 'j') {
            json = true;
        } else if (c == 'n' && (top = strtol(optarg, &end, 10)) >= 0 && !*end && end != optarg) {
            ;
        } else {
            fputs(cmd_inspect_usage, stderr);
            return JEOS_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc) {
        fputs(cmd_inspect_usage, stderr);
        return JEOS_EXIT_USAGE;
    }
    struct jeos_inspect in;
    int rc = jeos_inspect_image(ctx, argv[optind], false, &in, err);
    if (rc == 0 && json)
        print_json(&in, (size_t)top);
    else if (rc == 0)
        print_text(&in, (size_t)top);
    jeos_inspect_free(&in);
    return rc < 0 ? JEOS_EXIT_FAIL : JEOS_EXIT_OK;
}

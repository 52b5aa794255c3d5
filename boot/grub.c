/* grub.c — grub.cfg, grub-mkimage for BIOS/UEFI, and the rootless BIOS embedding (see grub.h,
 * README.md). */
#include "boot/grub.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builder/core/alloc.h"
#include "builder/core/err.h"
#include "builder/core/spawn.h"
#include "builder/core/util.h"

/* boot.img (LBA 0) fields, from GRUB's include/grub/i386/pc/boot.h. */
#define BOOT_BPB_START     0x03
#define BOOT_BPB_END       0x5a
#define BOOT_KERNEL_SECTOR 0x5c  /* u64 LE: LBA of core.img's first sector */
#define BOOT_BOOT_DRIVE    0x64  /* u8: 0xff = use the drive the BIOS passed in DL */
#define BOOT_DRIVE_CHECK   0x66  /* 2 bytes: a jmp; two NOPs force "hard disk" */
#define BOOT_NT_MAGIC      0x1b8 /* from here to 0x1fd: disk signature and partition table */
#define BOOT_PART_END      0x1fe
/* diskboot.img (core.img's first sector): block lists grow down from its end. */
#define DISKBOOT_LIST_SIZE  12                                 /* u64 start, u16 len, u16 segment */
#define DISKBOOT_FIRST_LIST (JEOS_SECTOR - DISKBOOT_LIST_SIZE) /* 0x1f4 */
#define KERNEL_SEG          0x800 /* where diskboot loads the rest: segment 0x800 + 0x20 */
/* core.img must fit below 0x78000 when loaded at 0x9000 (GRUB's own limit). */
#define CORE_MAX_SECTORS ((0x78000 - 0x9000) / JEOS_SECTOR)

static int cfg_value_ok(const char *what, const char *v, struct jeos_err *err)
{
    for (const char *p = v; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '"' || *p == '\'' || *p == '\\' || *p == '$' ||
            *p == ';' || *p == '{' || *p == '}' || (unsigned char)*p < 0x20)
            return jeos_errf(err, -EINVAL,
                             "grub.cfg: %s: character 0x%02x is not allowed (got \"%s\")", what,
                             (unsigned char)*p, v);
    return 0;
}

/* What every grub.cfg starts with: the serial port and the screen for GRUB itself, the timeout. */
static void cfg_head(const struct jeos_grub_cfg *cfg, struct sbuf *out)
{
    sbuf_puts(out, "# grub.cfg — written by jeos; read by both the BIOS and the UEFI GRUB.\n"
                   "serial --unit=0 --speed=115200 --word=8 --parity=no --stop=1\n"
                   "terminal_input serial console\n"
                   "terminal_output serial console\n");
    sbuf_printf(out, "set timeout=%d\n", cfg->timeout);
    sbuf_puts(out, "set default=0\n");
}

/* A multiboot2 kernel (a unikernel ELF): one loader on both platforms, no initrd, no root. */
static int multiboot2_cfg_write(const struct jeos_grub_cfg *cfg, struct sbuf *out,
                                struct jeos_err *err)
{
    int rc;
    if ((rc = cfg_value_ok("multiboot2", cfg->multiboot2, err)))
        return rc;
    if (cfg->multiboot2[0] != '/' || strchr(cfg->multiboot2, ' '))
        return jeos_errf(err, -EINVAL,
                         "grub.cfg: multiboot2: \"%s\" is not an absolute path without spaces",
                         cfg->multiboot2);
    cfg_head(cfg, out);
    sbuf_printf(out, "menuentry \"%s\" {\n", cfg->title);
    sbuf_printf(out, "    multiboot2 %s%s%s\n}\n", cfg->multiboot2,
                cfg->extra && *cfg->extra ? " " : "", cfg->extra ? cfg->extra : "");
    return 0;
}

int jeos_grub_cfg_write(const struct jeos_grub_cfg *cfg, struct sbuf *out, struct jeos_err *err)
{
    int rc = 0;
    if (!cfg->title)
        return jeos_errf(err, -EINVAL, "grub.cfg: a title is required");
    if ((rc = cfg_value_ok("title", cfg->title, err)) ||
        (cfg->extra && (rc = cfg_value_ok("cmdline", cfg->extra, err))))
        return rc;
    if (cfg->timeout < 0 || cfg->timeout > 3600)
        return jeos_errf(err, -EINVAL, "grub.cfg: timeout %d out of range (expected 0-3600)",
                         cfg->timeout);
    if (cfg->multiboot2)
        return multiboot2_cfg_write(cfg, out, err);
    if (!cfg->partuuid || !cfg->rootfstype)
        return jeos_errf(err, -EINVAL, "grub.cfg: the root PARTUUID and its type are required");
    if ((rc = cfg_value_ok("root", cfg->partuuid, err)) ||
        (rc = cfg_value_ok("rootfstype", cfg->rootfstype, err)) ||
        (cfg->data_partuuid && (rc = cfg_value_ok("data", cfg->data_partuuid, err))))
        return rc;
    cfg_head(cfg, out);
    /* One kernel command line, written for both loaders. */
    struct sbuf cmd = {0};
    sbuf_printf(&cmd, "root=PARTUUID=%s rootfstype=%s", cfg->partuuid, cfg->rootfstype);
    if (cfg->data_partuuid)
        sbuf_printf(&cmd, " jeos.data=PARTUUID=%s", cfg->data_partuuid);
    /* no_timer_check: the kernel's IO-APIC timer check counts ticks in a short window, and on a
       busy host (or under emulation) it panics with "IO-APIC + timer doesn't work" */
    sbuf_puts(&cmd, " ro no_timer_check console=ttyS0,115200 console=tty0");
    if (cfg->extra && *cfg->extra)
        sbuf_printf(&cmd, " %s", cfg->extra);
    /* The BIOS GRUB uses linux16: its 32-bit `linux` loader reserves the kernel's whole
       init_size (about 50 MiB) at 16 MiB, finds it busy, loads below and has its relocator
       move all of it at boot, a byte-wise copy that alone took 3.4 s under QEMU TCG.
       linux16 loads the bzImage at 1 MiB where it runs, as the 16-bit boot protocol asks.
       UEFI keeps `linux` (no linux16 there). See README.md. */
    sbuf_printf(out, "menuentry \"%s\" {\n", cfg->title);
    sbuf_printf(out,
                "    if [ \"$grub_platform\" = pc ]; then\n"
                "        linux16 %s %s\n"
                "        initrd16 %s\n"
                "    else\n"
                "        linux %s %s\n"
                "        initrd %s\n"
                "    fi\n"
                "}\n",
                JEOS_GRUB_KERNEL, cmd.s, JEOS_GRUB_INITRD, JEOS_GRUB_KERNEL, cmd.s,
                JEOS_GRUB_INITRD);
    sbuf_free(&cmd);
    return 0;
}

void jeos_grub_early_cfg(uint32_t volid, struct sbuf *out)
{
    sbuf_printf(out,
                "search --no-floppy --fs-uuid --set=root %04X-%04X\n"
                "set prefix=($root)/boot/grub\n"
                "configfile $prefix/grub.cfg\n",
                (unsigned)(volid >> 16), (unsigned)(volid & 0xffff));
}

int jeos_grub_mkimage(const char *target, const struct jeos_layout *l, uint32_t volid,
                      bool multiboot2, const char *moddir, const char *tmpdir, const char *out_path,
                      struct jeos_err *err)
{
    bool bios = strcmp(target, "i386-pc") == 0;
    if (!bios && strcmp(target, "x86_64-efi") != 0)
        return jeos_errf(err, -EINVAL,
                         "grub: unknown target \"%s\" (expected i386-pc or "
                         "x86_64-efi)",
                         target);
    char *dir = moddir ? xstrdup(moddir) : xasprintf("/usr/lib/grub/%s", target);
    char *early = xasprintf("%s/early-%s.cfg", tmpdir, target);
    struct sbuf cfg = {0};
    jeos_grub_early_cfg(volid, &cfg);
    int rc = jeos_write_file_atomic(early, cfg.s, cfg.len, 0644, err);
    sbuf_free(&cfg);
    if (rc)
        goto out;
    if (access(dir, R_OK) != 0) {
        rc = jeos_errf(err, -ENOENT, "%s: GRUB modules for %s are not installed (package %s)", dir,
                       target, bios ? "grub-pc-bin" : "grub-efi-amd64-bin");
        goto out;
    }
    /* The modules the layout needs: its partition map, FAT (the boot partition holds
       grub.cfg, the kernel and the initramfs), the search for that FAT, and what
       grub.cfg uses. */
    const char *ptmod = l->ops->grub_module;
    char *argv[32];
    int n = 0;
    argv[n++] = "grub-mkimage";
    argv[n++] = "-O";
    argv[n++] = (char *)target;
    argv[n++] = "-d";
    argv[n++] = dir;
    argv[n++] = "-o";
    argv[n++] = (char *)out_path;
    argv[n++] = "-c";
    argv[n++] = early;
    argv[n++] = "-p";
    argv[n++] = "/boot/grub";
    argv[n++] = (char *)ptmod;
    /* One loader, where `linux` always stood (so an appliance's core images keep their bytes):
       multiboot2 for a unikernel ELF (it adds about 9 KiB to the BIOS core image, 40 KiB to
       BOOTX64.EFI), linux (and linux16 on BIOS) for a Linux kernel. */
    const char *loader = multiboot2 ? "multiboot2" : "linux";
    const char *common[] = {"fat",  "search", "search_fs_uuid", "configfile", "normal",
                            loader, "serial", "terminal",       "echo",       "test"};
    for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
        argv[n++] = (char *)common[i];
    if (bios) {
        argv[n++] = "biosdisk";
        if (!multiboot2)
            argv[n++] = "linux16";
    } else {
        argv[n++] = "efi_gop";
        argv[n++] = "all_video";
    }
    argv[n] = NULL;
    rc = jeos_spawn(argv, NULL, err);
out:
    unlink(early);
    free(early);
    free(dir);
    return rc;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
}
static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

int jeos_grub_install_bios(int fd, const struct jeos_layout *l, const uint8_t *boot_img,
                           const uint8_t *core, size_t core_len, struct jeos_err *err)
{
    /* Where core.img goes: the BIOS boot partition, or LBA 1 up to the first partition. */
    uint64_t first, room;
    int bb = jeos_layout_find(l, JEOS_PART_BIOS_BOOT);
    if (bb >= 0) {
        first = l->parts[bb].start / JEOS_SECTOR;
        room = l->parts[bb].size / JEOS_SECTOR;
    } else if (l->ops->bios_boot_part) {
        return jeos_errf(err, -EINVAL, "grub: %s layout has no BIOS boot partition",
                         l->ops->c.name);
    } else {
        first = 1;
        room = l->nparts ? l->parts[0].start / JEOS_SECTOR - 1 : 0;
    }
    size_t nsec = (core_len + JEOS_SECTOR - 1) / JEOS_SECTOR;
    if (core_len < 2 * JEOS_SECTOR)
        return jeos_errf(err, -EINVAL, "grub: core.img of %zu bytes is too small", core_len);
    if (nsec > room || nsec > CORE_MAX_SECTORS)
        return jeos_errf(err, -ENOSPC,
                         "grub: core.img needs %zu sectors; the embedding area has %llu (GRUB "
                         "loads at most %d)",
                         nsec, (unsigned long long)room, (int)CORE_MAX_SECTORS);

    uint8_t *img = xcalloc(nsec, JEOS_SECTOR);
    memcpy(img, core, core_len);
    /* The first block list must be the one grub-mkimage left for us: diskboot's
       terminator list below it must be empty, or this is not an i386-pc core image. */
    uint8_t *list = img + DISKBOOT_FIRST_LIST;
    uint8_t *below = list - DISKBOOT_LIST_SIZE;
    for (int i = 0; i < DISKBOOT_LIST_SIZE; i++)
        if (below[i]) {
            free(img);
            return jeos_errf(err, -EINVAL,
                             "grub: core.img: its first sector is not GRUB's "
                             "diskboot.img (block list area not empty)");
        }
    put64(list, first + 1);                            /* the rest follows the first sector */
    put16(list + 8, (uint16_t)(nsec - 1));             /* sectors to load */
    put16(list + 10, KERNEL_SEG + (JEOS_SECTOR >> 4)); /* at 0x8200 */

    uint8_t mbr[JEOS_SECTOR];
    ssize_t got = pread(fd, mbr, sizeof(mbr), 0);
    if (got != (ssize_t)sizeof(mbr)) {
        free(img);
        return jeos_errf(err, got < 0 ? -errno : -EIO, "grub: cannot read the disk's LBA 0");
    }
    uint8_t boot[JEOS_SECTOR];
    memcpy(boot, boot_img, JEOS_SECTOR);
    memcpy(boot + BOOT_BPB_START, mbr + BOOT_BPB_START, BOOT_BPB_END - BOOT_BPB_START);
    put64(boot + BOOT_KERNEL_SECTOR, first);
    boot[BOOT_BOOT_DRIVE] = 0xff;
    boot[BOOT_DRIVE_CHECK] = 0x90, boot[BOOT_DRIVE_CHECK + 1] = 0x90;
    memcpy(boot + BOOT_NT_MAGIC, mbr + BOOT_NT_MAGIC, BOOT_PART_END - BOOT_NT_MAGIC);
    boot[0x1fe] = 0x55, boot[0x1ff] = 0xaa;

    int rc =
        jeos_pwrite_all(fd, img, nsec * JEOS_SECTOR, first * JEOS_SECTOR, "grub: core.img", err);
    if (!rc)
        rc = jeos_pwrite_all(fd, boot, sizeof(boot), 0, "grub: boot.img", err);
    free(img);
    return rc;
}

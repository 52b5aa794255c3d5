/*
 * vol_ext4_fuzz.c — libFuzzer: the guest's ext4 volumes (runtime/ext4: vol.c's mount and file
 * calls, blkio.c's I/O manager, libext2fs from Debian's e2fsprogs source) over a damaged image. A
 * volume is input from outside the guest: a user may attach any disk image. The input is a list
 * of patches (3-byte offset, length, bytes) laid over a small valid ext4 image (mke2fs at build
 * time, without metadata_csum so that the damage reaches the parsers, as an attacker who writes
 * the checksums would), served by a RAM disk through the real blkdev layer. Then what a program
 * does: mount, list the root and one folder down, stat and read every file and symlink, create,
 * write, truncate, rename, make a folder, hard and symbolic links, set times, remove a file,
 * fsync, unmount. It must fail with errors, never
 * crash (ASan, UBSan); each call's result must be 0 or a negative errno the runtime knows.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/ext4/vol.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The seed image (out/fuzz/vol_ext4_seed.img, assembled in by the Makefile). */
extern const uint8_t vol_ext4_seed_start[], vol_ext4_seed_end[];

/* ---- the kernel, as vol.c and blkio.c use it ---- */
int printk(const char *fmt, ...)
{
    static int loud = -1;
    if (loud < 0)
        loud = getenv("VOL_FUZZ_VERBOSE") != NULL;
    if (!loud)
        return 0;
    va_list ap;
    va_start(ap, fmt);
    int n = vfprintf(stderr, fmt, ap);
    va_end(ap);
    return n;
}
void *heap_alloc(size_t n)
{
    return aligned_alloc(16, (n + 15) & ~(size_t)15);
}
void heap_free(void *p)
{
    free(p);
}
void *page_alloc(size_t n)
{
    return aligned_alloc(4096, n * 4096);
}
void page_free(void *p, size_t n)
{
    (void)n;
    free(p);
}
uint64_t time_wall_ns(void)
{
    return 1700000000ull * 1000000000ull;
}
uint64_t time_monotonic_ns(void)
{
    return 0;
}
void time_halt_until(uint64_t ns)
{
    (void)ns;
    abort(); /* the RAM disk completes at submit: blkdev_run never waits */
}
__attribute__((noreturn)) void panic(const char *fmt, ...)
{
    (void)fmt;
    abort();
}
int rt_fs_mountpoint(const char *path)
{
    (void)path;
    return 0;
}
const char *const uk_app_volumes[] = {"data", "/data", NULL};
int uk_snprintf(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return r;
}
/* what runtime/ext4/libc.c gives the guest's libext2fs besides the C library */
void *_et_list;
void com_err(const char *who, long code, const char *fmt, ...)
{
    (void)who, (void)code, (void)fmt;
}
long ext2fs_check_mount_point(const char *file, int *flags, char *mtpt, int len)
{
    (void)file, (void)mtpt, (void)len;
    *flags = 0;
    return 0;
}

/* ---- a RAM disk behind the blkdev layer ---- */
static uint8_t *disk;
static size_t disk_size;
static struct blkdev ram;

static int ram_submit(struct blkdev *bd, struct blkdev_req *const *reqs, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        struct blkdev_req *r = reqs[i];
        int st = blkdev_check(bd, r);
        if (st == 0 && r->op == BLKDEV_READ)
            memcpy(r->buf, disk + r->sector * 512, (size_t)r->count * 512);
        else if (st == 0 && r->op == BLKDEV_WRITE)
            memcpy(disk + r->sector * 512, r->buf, (size_t)r->count * 512);
        blkdev_complete(bd, r, st);
    }
    return (int)n;
}
static int ram_poll(struct blkdev *bd)
{
    (void)bd;
    return 0;
}
static int ram_arm(struct blkdev *bd)
{
    (void)bd;
    return 1;
}
static const struct blkdev_ops ram_ops = {ram_submit, ram_poll, ram_arm};

static void known(long rc)
{
    if (rc > 0 || rc == 0)
        return;
    switch (-rc) {
    case RT_EPERM:
    case RT_ENOENT:
    case RT_EIO:
    case RT_EBADF:
    case RT_ENOMEM:
    case RT_EBUSY:
    case RT_EEXIST:
    case RT_ENOTDIR:
    case RT_EISDIR:
    case RT_EINVAL:
    case RT_EFBIG:
    case RT_ENOSPC:
    case RT_EROFS:
    case RT_ENAMETOOLONG:
    case RT_ENOTEMPTY:
    case RT_EMLINK:
    case RT_ELOOP:
    case RT_EOPNOTSUPP:
    case RT_ENODEV: return;
    default: /* an errno no caller expects */
        fprintf(stderr, "vol_ext4_fuzz: a call returned %ld\n", rc);
        abort();
    }
}

/* Reads a file through, at most 256 KiB. */
static void read_all(struct rt_vol *v, const char *rest)
{
    struct rt_vfile *vf;
    long rc = rt_vol_open(v, rest, 0, 0, &vf);
    known(rc);
    if (rc < 0)
        return;
    static uint8_t buf[16384];
    for (uint64_t off = 0; off < (256u << 10);) {
        long n = rt_vol_read(vf, buf, sizeof(buf), off);
        known(n);
        if (n <= 0)
            break;
        off += (uint64_t)n;
    }
    struct rt_vstat st;
    known(rt_vol_fstat(vf, &st));
    rt_vol_close(vf);
}

/* Lists a folder; reads its files; goes one level further when depth allows. */
static void walk(struct rt_vol *v, const char *rest, int depth)
{
    struct rt_vfile *vf;
    long rc = rt_vol_open(v, rest, 0200000, 0, &vf);
    known(rc);
    if (rc < 0)
        return;
    static uint8_t ents[4][4096];
    uint8_t *buf = ents[depth];
    uint64_t pos = 0;
    int rounds = 0;
    for (long n; rounds++ < 8 && (n = rt_vol_getdents(vf, buf, 4096, &pos)) > 0;) {
        for (long at = 0; at < n;) {
            uint16_t reclen;
            memcpy(&reclen, buf + at + 16, 2);
            if (reclen < 20 || at + reclen > n)
                abort(); /* getdents64 records must tile the buffer */
            const char *name = (const char *)buf + at + 19;
            char path[600];
            if (strcmp(name, ".") && strcmp(name, "..") &&
                snprintf(path, sizeof(path), "%s%s%s", rest, *rest ? "/" : "", name) <
                    (int)sizeof(path)) {
                struct rt_vstat st;
                rc = rt_vol_stat(v, path, 0, &st);
                known(rc);
                if (rc == 0 && (st.mode & 0170000) == 0100000)
                    read_all(v, path);
                else if (rc == 0 && (st.mode & 0170000) == 0040000 && depth < 2)
                    walk(v, path, depth + 1);
                else if (rc == 0 && (st.mode & 0170000) == 0120000) {
                    char target[4096];
                    long k = rt_vol_readlink(v, path, target, sizeof(target));
                    known(k);
                    if (k > (long)sizeof(target))
                        abort(); /* readlink fills at most the buffer */
                }
            }
            at += reclen;
        }
    }
    rt_vol_close(vf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    disk_size = (size_t)(vol_ext4_seed_end - vol_ext4_seed_start);
    disk = malloc(disk_size);
    memcpy(disk, vol_ext4_seed_start, disk_size);
    for (size_t i = 0; i + 4 <= size;) {
        size_t off =
            ((size_t)data[i] | (size_t)data[i + 1] << 8 | (size_t)data[i + 2] << 16) % disk_size;
        size_t len = data[i + 3] % 32 + 1;
        i += 4;
        for (size_t k = 0; k < len && i < size; k++, i++)
            disk[(off + k) % disk_size] = data[i];
    }
    ram = (struct blkdev){.ops = &ram_ops,
                          .driver = "ram",
                          .sector_size = 512,
                          .sectors = disk_size / 512,
                          .max_sectors = 1024,
                          .queue_depth = 64};
    strcpy(ram.serial, "data");
    if (blkdev_register(&ram) == 0) {
        rt_vol_mount_all();
        const char *rest;
        struct rt_vol *v = rt_vol_of("/data", &rest);
        if (v) {
            walk(v, "", 0);
            struct rt_vfile *vf;
            long rc = rt_vol_open(v, "new", 0102, 0644, &vf); /* O_RDWR | O_CREAT */
            known(rc);
            if (rc == 0) {
                static uint8_t junk[9000];
                memset(junk, 0x5a, sizeof(junk));
                known(rt_vol_write(vf, junk, sizeof(junk), 0));
                known(rt_vol_write(vf, junk, 100, 200000));
                known(rt_vol_ftruncate(vf, 3000));
                known(rt_vol_fsync(vf));
                rt_vol_close(vf);
            }
            known(rt_vol_mkdir(v, "d2", 0755));
            known(rt_vol_rename(v, "new", "d2/n", 0));
            known(rt_vol_unlink(v, "d2/n", 0));
            known(rt_vol_link(v, "a", 0, "a2"));
            known(rt_vol_symlink(v, "sl", "a2"));
            known(rt_vol_symlink(v, "sub/long",
                                 "a-target-longer-than-the-sixty-bytes-an-inode-holds-in-i_block"));
            static const struct rt_vtime t = {4102444800, 999999999};
            known(rt_vol_setattr(v, "a2", NULL, -1, -1, -1, &t, &t));
            known(rt_vol_unlink(v, "a", 0));
            known(rt_vol_rename(v, "sub", "sub2", 0));
            known(rt_vol_unlink(v, "d2", 1));
        }
        rt_vol_unmount_all();
        for (unsigned i = 0; i < nvols; i++) {
            while (vols[i].open) /* nothing may stay open past the calls above */
                abort();
            if (vols[i].fs)
                ext2fs_free(vols[i].fs);
        }
        nvols = 0;
        blkdev_unregister(&ram);
    }
    free(disk);
    return 0;
}

/* root.c — the initramfs stage: modules, the root partition by PARTUUID, squashfs+overlay or ext4,
 * switch_root. */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "runtime/init/init.h"
#include "runtime/init/kernel.h"
#include "runtime/init/root.h"

/* Reads a small sysfs file into buf (trailing newline removed). */
static int read_small(const char *path, char *buf, size_t n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t got = read(fd, buf, n - 1);
    close(fd);
    if (got < 0)
        return -1;
    buf[got] = 0;
    buf[strcspn(buf, "\n")] = 0;
    return 0;
}

/* ---- modules: loaded when a device asks for them (modalias), as udev would ---- */

#define MAX_MODS    256
#define MAX_ALIASES 512
#define MAX_EXTRA   4

struct kmod {
    char *name, *path, *deps, *aliases; /* as in /etc/jeos/modules; "-" for none */
    int state;                          /* 0 not loaded, 1 loaded (or built in), -1 failed */
};
static struct kmod mods[MAX_MODS];
static int nmods;
static char extra_aliases[MAX_EXTRA][64];
static int nextra;

int root_modules_read(const char *list)
{
    FILE *f = fopen(list, "re");
    if (!f)
        return -1;
    char line[4096];
    while (nmods < MAX_MODS && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = 0;
        if (!line[0] || line[0] == '#')
            continue;
        char *name = strtok(line, " "), *path = strtok(NULL, " "), *deps = strtok(NULL, " ");
        char *aliases = strtok(NULL, "");
        if (!path) { /* a bare path: load it always */
            path = name;
            const char *b = strrchr(path, '/');
            name = (char *)(b ? b + 1 : path);
        }
        mods[nmods++] = (struct kmod){.name = strdup(name),
                                      .path = strdup(path),
                                      .deps = strdup(deps ? deps : "-"),
                                      .aliases = strdup(aliases ? aliases : "*")};
    }
    fclose(f);
    return 0;
}

void root_modules_want(const char *alias)
{
    if (nextra < MAX_EXTRA)
        snprintf(extra_aliases[nextra++], sizeof(extra_aliases[0]), "%s", alias);
}

/* Loads module i after its dependencies. Returns how many were loaded. */
static int load_one(int i)
{
    if (mods[i].state)
        return 0;
    mods[i].state = -1; /* also guards against a dependency loop */
    int n = 0;
    if (strcmp(mods[i].deps, "-") != 0) {
        char deps[1024];
        snprintf(deps, sizeof(deps), "%s", mods[i].deps);
        for (char *save = NULL, *d = strtok_r(deps, ",", &save); d; d = strtok_r(NULL, ",", &save))
            for (int j = 0; j < nmods; j++)
                if (strcmp(mods[j].name, d) == 0)
                    n += load_one(j);
    }
    int fd = open(mods[i].path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        init_log("module %s: %s", mods[i].path, strerror(errno));
        return n;
    }
    if (syscall(SYS_finit_module, fd, "", 0) == 0) {
        mods[i].state = 1;
        n++;
    } else if (errno == EEXIST) {
        mods[i].state = 1;
    } else if (errno != ENODEV && errno != ENOENT) {
        /* ENODEV and the like: hardware this machine does not have. Not an error. */
        init_log("module %s: %s", mods[i].path, strerror(errno));
    }
    close(fd);
    return n;
}

/* The modaliases of the devices present: every bus device, every input device. */
static int collect(char **v, int max)
{
    int n = 0;
    for (int k = 0; k < nextra && n < max; k++)
        v[n++] = strdup(extra_aliases[k]);
    static const char *const roots[] = {"/sys/bus", "/sys/class/input"};
    for (int r = 0; r < 2; r++) {
        DIR *d = opendir(roots[r]);
        struct dirent *e;
        while (d && (e = readdir(d)) && n < max) {
            if (e->d_name[0] == '.')
                continue;
            char dir[300];
            if (r == 0)
                snprintf(dir, sizeof(dir), "%s/%s/devices", roots[r], e->d_name);
            else
                snprintf(dir, sizeof(dir), "%s/%s", roots[r], e->d_name);
            DIR *dd = r == 0 ? opendir(dir) : NULL;
            struct dirent *de;
            char path[700], alias[512];
            if (r == 1) {
                snprintf(path, sizeof(path), "%s/modalias", dir);
                if (read_small(path, alias, sizeof(alias)) == 0 && alias[0])
                    v[n++] = strdup(alias);
            }
            while (dd && (de = readdir(dd)) && n < max) {
                if (de->d_name[0] == '.')
                    continue;
                snprintf(path, sizeof(path), "%s/%s/modalias", dir, de->d_name);
                if (read_small(path, alias, sizeof(alias)) == 0 && alias[0])
                    v[n++] = strdup(alias);
            }
            if (dd)
                closedir(dd);
        }
        if (d)
            closedir(d);
    }
    return n;
}

int root_modules_coldplug(void)
{
    int total = 0;
    for (int round = 0; round < 8; round++) {
        char *have[MAX_ALIASES];
        int nhave = collect(have, MAX_ALIASES), loaded = 0;
        for (int i = 0; i < nmods; i++) {
            if (mods[i].state || strcmp(mods[i].aliases, "-") == 0)
                continue;
            bool want = strcmp(mods[i].aliases, "*") == 0;
            char pats[2048];
            snprintf(pats, sizeof(pats), "%s", mods[i].aliases);
            for (char *save = NULL, *p = strtok_r(pats, " ", &save); p && !want;
                 p = strtok_r(NULL, " ", &save))
                for (int k = 0; k < nhave && !want; k++)
                    want = fnmatch(p, have[k], 0) == 0;
            if (want)
                loaded += load_one(i);
        }
        for (int k = 0; k < nhave; k++)
            free(have[k]);
        total += loaded;
        if (!loaded)
            break; /* nothing new: no new devices to look at either */
    }
    return total;
}

static void fmt_guid(const uint8_t *d, char *out)
{
    /* on disk: first three fields little-endian */
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", d[3],
             d[2], d[1], d[0], d[5], d[4], d[7], d[6], d[8], d[9], d[10], d[11], d[12], d[13],
             d[14], d[15]);
}

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/*
 * The number of the partition of `disk` (e.g. "vda") whose PARTUUID matches; 0 when none.
 * With `seen` non-NULL, appends each partition's PARTUUID to it instead (for diagnostics).
 */
static int match_disk(const char *disk, const char *partuuid, char *seen, size_t seensz)
{
    char dev[300];
    snprintf(dev, sizeof(dev), "/dev/%s", disk);
    int fd = open(dev, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    int ssz = 512, found = 0;
    if (ioctl(fd, BLKSSZGET, &ssz) < 0 || ssz < 512 || ssz > 4096)
        ssz = 512;
    uint8_t *buf = malloc((size_t)ssz * 2);
    if (!buf || pread(fd, buf, (size_t)ssz * 2, 0) != ssz * 2)
        goto out;
    if (buf[510] != 0x55 || buf[511] != 0xaa)
        goto out;
    const uint8_t *h = buf + ssz;
    char g[37];
    if (memcmp(h, "EFI PART", 8) == 0) {
        uint64_t elba = le64(h + 72);
        uint32_t n = le32(h + 80), esz = le32(h + 84);
        if (esz < 128 || esz > 1024 || n > 1024)
            goto out;
        uint8_t *ents = malloc((size_t)n * esz);
        if (!ents)
            goto out;
        if (pread(fd, ents, (size_t)n * esz, (off_t)(elba * (uint64_t)ssz)) == (ssize_t)(n * esz))
            for (uint32_t i = 0; i < n && !found; i++) {
                const uint8_t *e = ents + (size_t)i * esz;
                if (!le64(e + 32))
                    continue; /* an unused entry */
                fmt_guid(e + 16, g);
                if (seen)
                    snprintf(seen + strlen(seen), seensz - strlen(seen), " %s", g);
                else if (strcasecmp(g, partuuid) == 0)
                    found = (int)i + 1;
            }
        free(ents);
    } else {
        for (int i = 0; i < 4 && !found; i++) {
            if (!buf[0x1be + 16 * i + 4])
                continue;
            snprintf(g, sizeof(g), "%08x-%02x", le32(buf + 0x1b8), i + 1);
            if (seen)
                snprintf(seen + strlen(seen), seensz - strlen(seen), " %s", g);
            else if (strcasecmp(g, partuuid) == 0)
                found = i + 1;
        }
    }
out:
    free(buf);
    close(fd);
    return found;
}

/* The /dev name of partition `num` of `disk`, from sysfs ("vda2", "nvme0n1p2"). */
static int part_name(const char *disk, int num, char *out, size_t n)
{
    char path[300];
    snprintf(path, sizeof(path), "/sys/block/%s", disk);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    struct dirent *e;
    int rc = -1;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, disk, strlen(disk)) != 0)
            continue;
        char pf[600], v[16];
        snprintf(pf, sizeof(pf), "%s/%s/partition", path, e->d_name);
        if (read_small(pf, v, sizeof(v)) == 0 && atoi(v) == num) {
            snprintf(out, n, "/dev/%s", e->d_name);
            rc = 0;
            break;
        }
    }
    closedir(d);
    return rc;
}

int root_find_partuuid(const char *partuuid, char *dev, size_t n, int timeout_ms)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        DIR *d = opendir("/sys/block");
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (e->d_name[0] == '.' || !strncmp(e->d_name, "loop", 4) ||
                !strncmp(e->d_name, "ram", 3))
                continue;
            int num = match_disk(e->d_name, partuuid, NULL, 0);
            if (num && part_name(e->d_name, num, dev, n) == 0 && access(dev, F_OK) == 0) {
                closedir(d);
                return 0;
            }
        }
        if (d)
            closedir(d);
        clock_gettime(CLOCK_MONOTONIC, &now);
        long ms = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (ms > timeout_ms) {
            /* Say what there is, so the operator sees why. */
            d = opendir("/sys/block");
            int ndisks = 0;
            while (d && (e = readdir(d))) {
                if (e->d_name[0] == '.' || !strncmp(e->d_name, "loop", 4) ||
                    !strncmp(e->d_name, "ram", 3))
                    continue;
                char seen[1024] = "";
                match_disk(e->d_name, partuuid, seen, sizeof(seen));
                init_log("disk %s: partitions%s", e->d_name, seen[0] ? seen : " (none found)");
                ndisks++;
            }
            if (d)
                closedir(d);
            if (!ndisks)
                init_log("no disks at all: is the disk controller's module in the initramfs?");
            return -1;
        }
        struct timespec t = {0, 50 * 1000 * 1000};
        nanosleep(&t, NULL);
        root_modules_coldplug(); /* disks behind a SCSI scan appear late: sd_mod then */
    }
}

/* Removes the initramfs' files (same device only) so its memory is freed. */
static void wipe(int dirfd, dev_t rootdev)
{
    DIR *d = fdopendir(dirfd);
    if (!d) {
        close(dirfd);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        struct stat st;
        if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != rootdev)
            continue;
        if (S_ISDIR(st.st_mode)) {
            int sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (sub >= 0)
                wipe(sub, rootdev);
            unlinkat(dirfd, e->d_name, AT_REMOVEDIR);
        } else {
            unlinkat(dirfd, e->d_name, 0);
        }
    }
    closedir(d);
}

static int mkdir_in(const char *path)
{
    if (mkdir(path, 0755) < 0 && errno != EEXIST)
        return -1;
    return 0;
}

int root_mount_and_switch(const char *dev, const char *fstype, const char *data_dev)
{
    mkdir_in("/newroot");
    if (strcmp(fstype, "squashfs") == 0) {
        mkdir_in("/lower");
        mkdir_in("/rw");
        if (mount(dev, "/lower", "squashfs", MS_RDONLY, NULL) < 0) {
            init_log("mount %s (squashfs): %s", dev, strerror(errno));
            return -1;
        }
        if (data_dev) {
            if (mount(data_dev, "/rw", "ext4", MS_NOATIME, NULL) < 0) {
                init_log("mount data %s (ext4): %s; using memory instead", data_dev,
                         strerror(errno));
                data_dev = NULL;
            }
        }
        init_log("root %s (squashfs, overlay on %s)", dev, data_dev ? data_dev : "tmpfs");
        if (!data_dev && mount("tmpfs", "/rw", "tmpfs", 0, "mode=0755") < 0) {
            init_log("mount tmpfs: %s", strerror(errno));
            return -1;
        }
        mkdir_in("/rw/upper");
        mkdir_in("/rw/work");
        if (mount("overlay", "/newroot", "overlay", 0,
                  "lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work") < 0) {
            init_log("mount overlay: %s", strerror(errno));
            return -1;
        }
        /* Keep the layers reachable after the switch (for a clean unmount at power-off). */
        mkdir_in("/newroot/run");
        if (mount("tmpfs", "/newroot/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") == 0) {
            mkdir_in("/newroot/run/jeos");
            mkdir_in("/newroot/run/jeos/lower");
            mkdir_in("/newroot/run/jeos/rw");
            mount("/lower", "/newroot/run/jeos/lower", NULL, MS_MOVE, NULL);
            mount("/rw", "/newroot/run/jeos/rw", NULL, MS_MOVE, NULL);
        }
    } else {
        init_log("root %s (%s)", dev, fstype);
        if (mount(dev, "/newroot", fstype, MS_NOATIME, NULL) < 0) {
            init_log("mount %s (%s): %s", dev, fstype, strerror(errno));
            return -1;
        }
        mkdir_in("/newroot/run");
        mount("tmpfs", "/newroot/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
    }
    const char *keep[] = {"/dev", "/proc", "/sys"};
    for (size_t i = 0; i < 3; i++) {
        char to[64];
        snprintf(to, sizeof(to), "/newroot%s", keep[i]);
        mkdir_in(to);
        if (mount(keep[i], to, NULL, MS_MOVE, NULL) < 0)
            init_log("move %s: %s", keep[i], strerror(errno));
    }
    /* switch_root: free the initramfs, put the new root on /, chroot into it. */
    struct stat st;
    if (stat("/", &st) == 0) {
        int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0)
            wipe(fd, st.st_dev);
    }
    if (chdir("/newroot") < 0 || mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 ||
        chdir("/") < 0) {
        init_log("switch_root: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/*
 * volfs.c — the file calls on an ext4 volume (tests/unikernel/ext4_test.sh): argv[1] is the
 * folder (the volume's mount point in the guest, a fresh folder on the host). The same source is
 * built for the host: every check must pass on both, so the expectations are Linux's. A second
 * run (argv[2] "again") checks what the first left: it survived the reboot; "abort" and "segv"
 * end the program by a signal after writing (die).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

static char dir[512];

static const char *at(const char *name)
{
    char *p = NULL;
    return asprintf(&p, "%s/%s", dir, name) < 0 ? "" : p;
}

static long slurp(const char *path, char *buf, size_t n)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -errno;
    long k = read(fd, buf, n);
    close(fd);
    return k;
}

static int listed(const char *folder, const char *name)
{
    DIR *d = opendir(folder);
    struct dirent *e;
    int found = 0;
    while (d && (e = readdir(d)))
        found += strcmp(e->d_name, name) == 0;
    if (d)
        closedir(d);
    return found;
}

static void again(void)
{
    char buf[64] = {0};
    long n = slurp(at("keep/note"), buf, sizeof(buf) - 1);
    CHECK("vol-reboot-file", n == 12 && strcmp(buf, "kept, synced") == 0, "read %ld: %s", n, buf);
    struct stat st;
    int rc = stat(at("keep/sparse"), &st);
    CHECK("vol-reboot-sparse", rc == 0 && st.st_size == (8 << 20) + 5, "rc %d size %lld", rc,
          (long long)st.st_size);
    int fd = open(at("keep/sparse"), O_RDONLY);
    char tail[5] = {0}, hole[4] = {1, 1, 1, 1};
    pread(fd, tail, 5, 8 << 20);
    pread(fd, hole, 4, 4 << 20);
    close(fd);
    CHECK("vol-reboot-sparse-data", memcmp(tail, "tail!", 5) == 0 && !hole[0] && !hole[3],
          "tail %.5s", tail);
    CHECK("vol-reboot-gone", access(at("keep/removed"), F_OK) != 0 && errno == ENOENT,
          "removed file is back");
    rc = stat(at("keep/times"), &st);
    CHECK("vol-reboot-ns",
          rc == 0 && st.st_mtim.tv_sec == 1500000000 && st.st_mtim.tv_nsec == 123456789 &&
              st.st_atim.tv_sec == 4000000000 && st.st_atim.tv_nsec == 999999999,
          "rc %d mtime %lld.%09ld atime %lld.%09ld", rc, (long long)st.st_mtim.tv_sec,
          st.st_mtim.tv_nsec, (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec);
    char target[64] = {0};
    n = readlink(at("keep/link"), target, sizeof(target) - 1);
    CHECK("vol-reboot-link",
          n == 4 && strcmp(target, "note") == 0 &&
              slurp(at("keep/link"), buf, sizeof(buf) - 1) == 12,
          "readlink %ld: %s", n, target);
}

/* What the build wrote (files: on the volume; the host's folder gets a copy): seed/ and ro.txt. */
static void seeded(void)
{
    char buf[64] = {0};
    struct stat st;
    long n = slurp(at("seed/hello.txt"), buf, sizeof(buf) - 1);
    int rc = stat(at("seed/hello.txt"), &st);
    CHECK("vol-seed",
          n == 20 && strcmp(buf, "seeded by the build\n") == 0 && rc == 0 &&
              st.st_mtime == 1700000000 && slurp(at("seed/sub/deep.txt"), buf, 5) == 5 &&
              memcmp(buf, "deep\n", 5) == 0,
          "read %ld: %s, mtime %lld", n, buf, (long long)st.st_mtime);
    rc = stat(at("ro.txt"), &st);
    CHECK("vol-seed-mode", rc == 0 && (st.st_mode & 07777) == 0400 && st.st_size == 20,
          "rc %d mode %o", rc, st.st_mode);
    char target[64] = {0};
    n = readlink(at("seed/link"), target, sizeof(target) - 1);
    CHECK("vol-seed-link",
          n == 9 && strcmp(target, "hello.txt") == 0 && slurp(at("seed/link"), buf, 64) == 20,
          "readlink %ld: %s (%s)", n, target, strerror(errno));
}

/* symlink, readlink, lstat and paths through links (relative, absolute, in a block, dangling) */
static void symlinks(void)
{
    char buf[256] = {0}, target[256] = {0};
    struct stat st, lst;
    int fd = open(at("lt"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    write(fd, "linked", 6);
    close(fd);
    long n = symlink("lt", at("sl")) == 0 ? readlink(at("sl"), target, sizeof(target)) : -1;
    CHECK("vol-symlink",
          n == 2 && memcmp(target, "lt", 2) == 0 && lstat(at("sl"), &lst) == 0 &&
              S_ISLNK(lst.st_mode) && lst.st_size == 2 && stat(at("sl"), &st) == 0 &&
              S_ISREG(st.st_mode) && st.st_size == 6 && slurp(at("sl"), buf, 64) == 6,
          "readlink %ld: %s", n, strerror(errno));
    CHECK("vol-symlink-exists", symlink("x", at("sl")) < 0 && errno == EEXIST, "errno %d", errno);
    CHECK("vol-readlink-file", readlink(at("lt"), target, 10) < 0 && errno == EINVAL, "errno %d",
          errno);
    char longer[201];
    memset(longer, 'q', 200);
    longer[200] = '\0';
    memcpy(longer, "lt-", 3); /* 200 bytes: kept in a block, not in the inode */
    memset(target, 0, sizeof(target));
    n = symlink(longer, at("sl-long")) == 0 ? readlink(at("sl-long"), target, sizeof(target)) : -1;
    CHECK("vol-symlink-long", n == 200 && memcmp(target, longer, 200) == 0, "readlink %ld: %s", n,
          strerror(errno));
    mkdir(at("ld"), 0755);
    fd = open(at("ld/f"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    write(fd, "via", 3);
    close(fd);
    CHECK("vol-symlink-dir",
          symlink("ld", at("ldl")) == 0 && slurp(at("ldl/f"), buf, 64) == 3 &&
              listed(at("ldl"), "f") == 1,
          "%s", strerror(errno));
    CHECK("vol-symlink-abs",
          symlink(at("lt"), at("sl-abs")) == 0 && slurp(at("sl-abs"), buf, 64) == 6, "%s",
          strerror(errno));
    CHECK("vol-symlink-dangling",
          symlink("nope", at("dang")) == 0 && open(at("dang"), O_RDONLY) < 0 && errno == ENOENT &&
              lstat(at("dang"), &lst) == 0 && S_ISLNK(lst.st_mode),
          "%s", strerror(errno));
    CHECK("vol-symlink-unlink",
          unlink(at("sl")) == 0 && lstat(at("sl"), &lst) < 0 && stat(at("lt"), &st) == 0, "%s",
          strerror(errno));
}

/* link: two names, one inode */
static void hardlinks(void)
{
    struct stat s1, s2;
    char buf[64];
    int rc = link(at("lt"), at("hl"));
    CHECK("vol-link",
          rc == 0 && stat(at("lt"), &s1) == 0 && stat(at("hl"), &s2) == 0 &&
              s1.st_ino == s2.st_ino && s1.st_nlink == 2 && s2.st_nlink == 2,
          "rc %d nlink %lu: %s", rc, (unsigned long)s1.st_nlink, strerror(errno));
    int fd = open(at("hl"), O_WRONLY | O_APPEND);
    write(fd, "+", 1);
    close(fd);
    CHECK("vol-link-shared", slurp(at("lt"), buf, 64) == 7 && buf[6] == '+', "not shared");
    CHECK("vol-link-exists", link(at("lt"), at("ld/f")) < 0 && errno == EEXIST, "errno %d", errno);
    CHECK("vol-link-dir", link(at("ld"), at("ld2")) < 0 && errno == EPERM, "errno %d", errno);
    CHECK("vol-link-unlink",
          unlink(at("lt")) == 0 && stat(at("hl"), &s2) == 0 && s2.st_nlink == 1 &&
              slurp(at("hl"), buf, 64) == 7,
          "nlink %lu", (unsigned long)s2.st_nlink);
}

/* chdir and fchdir below the mount point: relative paths resolve there */
static void workdirs(void)
{
    char cwd[600], want[600];
    mkdir(at("cd"), 0755);
    mkdir(at("cd/sub"), 0755);
    int ok = chdir(at("cd")) == 0 && getcwd(cwd, sizeof(cwd)) && strcmp(cwd, at("cd")) == 0;
    int fd = open("rel", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    write(fd, "rel", 3);
    close(fd);
    struct stat st;
    CHECK("vol-chdir", ok && stat(at("cd/rel"), &st) == 0 && st.st_size == 3, "cwd %s: %s", cwd,
          strerror(errno));
    ok = chdir("sub") == 0 && getcwd(cwd, sizeof(cwd)) && strcmp(cwd, at("cd/sub")) == 0 &&
         chdir("..") == 0 && getcwd(cwd, sizeof(cwd)) && strcmp(cwd, at("cd")) == 0 &&
         access("sub", F_OK) == 0 && access("rel", F_OK) == 0;
    CHECK("vol-chdir-rel", ok, "cwd %s: %s", cwd, strerror(errno));
    int dfd = open(at("cd/sub"), O_RDONLY | O_DIRECTORY);
    ok = chdir("/") == 0 && fchdir(dfd) == 0 && getcwd(cwd, sizeof(cwd)) &&
         strcmp(cwd, at("cd/sub")) == 0;
    fd = open("made", O_WRONLY | O_CREAT, 0644);
    close(fd);
    close(dfd);
    CHECK("vol-fchdir", ok && access(at("cd/sub/made"), F_OK) == 0, "cwd %s: %s", cwd,
          strerror(errno));
    snprintf(want, sizeof(want), "%s", at("cd/rel"));
    CHECK("vol-chdir-file", chdir(want) < 0 && errno == ENOTDIR, "errno %d", errno);
    chdir("/");
}

/* utimensat to the nanosecond, and times past 2038 (ext4's extra time fields) */
static void nanoseconds(void)
{
    struct stat st;
    close(open(at("ns"), O_WRONLY | O_CREAT, 0644));
    struct timespec ts[2] = {{1000000000, 123456789}, {1200000000, 987654321}};
    int rc = utimensat(AT_FDCWD, at("ns"), ts, 0);
    stat(at("ns"), &st);
    CHECK("vol-utimens-ns",
          rc == 0 && st.st_atim.tv_sec == 1000000000 && st.st_atim.tv_nsec == 123456789 &&
              st.st_mtim.tv_sec == 1200000000 && st.st_mtim.tv_nsec == 987654321,
          "atime %lld.%09ld mtime %lld.%09ld", (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
          (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    struct timespec late[2] = {{4102444800, 5}, {0, UTIME_OMIT}}; /* 2100-01-01 */
    rc = utimensat(AT_FDCWD, at("ns"), late, 0);
    stat(at("ns"), &st);
    CHECK("vol-utimens-2100",
          rc == 0 && st.st_atim.tv_sec == 4102444800 && st.st_atim.tv_nsec == 5 &&
              st.st_mtim.tv_nsec == 987654321,
          "atime %lld.%09ld", (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec);
    struct timespec t0, t1;
    clock_gettime(CLOCK_REALTIME, &t0);
    int fd = open(at("ns"), O_WRONLY);
    write(fd, "x", 1);
    fstat(fd, &st);
    close(fd);
    clock_gettime(CLOCK_REALTIME, &t1);
    /* a write stamps mtime with the clock's nanoseconds (not whole seconds) */
    long long m = (long long)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    long long a = (long long)t0.tv_sec * 1000000000 + t0.tv_nsec - 1000000000;
    long long b = (long long)t1.tv_sec * 1000000000 + t1.tv_nsec + 1000000000;
    CHECK("vol-write-mtime-ns", m >= a && m <= b && (st.st_mtim.tv_nsec || st.st_ctim.tv_nsec),
          "mtime %lld.%09ld", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

/* argv[2] "abort" or "segv": a file written and fsynced, another written, then the program
 * dies of SIGABRT (abort) or SIGSEGV (a CPU exception without a handler): the guest ends, and
 * its volume must be as clean as after exit. */
static int die(const char *how)
{
    mkdir(at("crash"), 0755);
    int fd = open(at("crash/synced"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    write(fd, how, strlen(how));
    fsync(fd);
    close(fd);
    fd = open(at("crash/unsynced"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    write(fd, how, strlen(how));
    printf("volfs: %s now\n", how);
    fflush(stdout);
    if (strcmp(how, "segv") == 0)
        *(volatile int *)(uintptr_t)8 = 1;
    abort();
}

int main(int argc, char **argv)
{
    snprintf(dir, sizeof(dir), "%s", argc > 1 ? argv[1] : "/data");
    if (argc > 2 && (strcmp(argv[2], "abort") == 0 || strcmp(argv[2], "segv") == 0))
        return die(argv[2]);
    if (argc > 2 && strcmp(argv[2], "again") == 0) {
        again();
        printf("volfs: %d failures\n", failures);
        return failures != 0;
    }
    struct stat st;
    char buf[256];

    /* creat, O_EXCL, O_APPEND, O_TRUNC */
    int fd = open(at("a"), O_WRONLY | O_CREAT | O_EXCL, 0640);
    CHECK("vol-create", fd >= 0 && write(fd, "hello", 5) == 5, "fd %d: %s", fd, strerror(errno));
    close(fd);
    fd = open(at("a"), O_WRONLY | O_CREAT | O_EXCL, 0640);
    CHECK("vol-excl", fd < 0 && errno == EEXIST, "fd %d errno %d", fd, errno);
    fd = open(at("a"), O_WRONLY | O_APPEND);
    write(fd, " world", 6);
    lseek(fd, 0, SEEK_SET);
    write(fd, "!", 1);
    close(fd);
    long n = slurp(at("a"), buf, sizeof(buf));
    CHECK("vol-append", n == 12 && memcmp(buf, "hello world!", 12) == 0, "%ld: %.*s", n, (int)n,
          buf);
    stat(at("a"), &st);
    CHECK("vol-mode", (st.st_mode & 07777) == 0640 && S_ISREG(st.st_mode) && st.st_nlink == 1,
          "mode %o nlink %lu", st.st_mode, (unsigned long)st.st_nlink);
    fd = open(at("a"), O_RDWR | O_TRUNC);
    fstat(fd, &st);
    CHECK("vol-trunc", fd >= 0 && st.st_size == 0, "size %lld", (long long)st.st_size);

    /* pread/pwrite, lseek, ftruncate */
    CHECK("vol-pwrite", pwrite(fd, "0123456789", 10, 100) == 10, "%s", strerror(errno));
    memset(buf, 'x', 20);
    n = pread(fd, buf, 20, 95);
    CHECK("vol-pread",
          n == 15 && buf[0] == 0 && buf[4] == 0 && memcmp(buf + 5, "0123456789", 10) == 0, "n %ld",
          n);
    CHECK("vol-lseek-end", lseek(fd, 0, SEEK_END) == 110, "at %lld",
          (long long)lseek(fd, 0, SEEK_CUR));
    CHECK("vol-offset", lseek(fd, 0, SEEK_CUR) == 110 && read(fd, buf, 10) == 0, "not at the end");
    CHECK("vol-ftruncate", ftruncate(fd, 50) == 0 && fstat(fd, &st) == 0 && st.st_size == 50,
          "size %lld", (long long)st.st_size);
    CHECK("vol-extend", ftruncate(fd, 5000) == 0 && pread(fd, buf, 10, 4990) == 10 && buf[9] == 0,
          "%s", strerror(errno));
    CHECK("vol-fsync", fsync(fd) == 0 && fdatasync(fd) == 0, "%s", strerror(errno));
    close(fd);

    /* a bigger file: 1 MiB in odd pieces, read back */
    fd = open(at("big"), O_RDWR | O_CREAT | O_TRUNC, 0644);
    static char piece[7001], back[7001];
    int same = 1;
    for (int i = 0; i < 150; i++) {
        memset(piece, 'a' + i % 26, sizeof(piece));
        if (write(fd, piece, sizeof(piece)) != (long)sizeof(piece))
            same = 0;
    }
    for (int i = 0; i < 150 && same; i++) {
        if (pread(fd, back, sizeof(back), (off_t)i * (off_t)sizeof(back)) != (long)sizeof(back) ||
            back[0] != 'a' + i % 26 || back[7000] != 'a' + i % 26)
            same = 0;
    }
    fstat(fd, &st);
    CHECK("vol-big", same && st.st_size == 150 * 7001, "size %lld", (long long)st.st_size);
    /* read-only maps of the file: byte 8192 + k is piece (8192 + k) / 7001's letter */
    const char *m = mmap(NULL, 20000, PROT_READ, MAP_PRIVATE, fd, 8192);
    const char *ms = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    CHECK("vol-mmap",
          m != MAP_FAILED && ms != MAP_FAILED && m[0] == 'b' && m[19999] == 'e' && ms[0] == 'a' &&
              ms[4095] == 'a' && munmap((void *)m, 20000) == 0,
          "%s", strerror(errno));
    close(fd);

    /* mkdir, readdir, rmdir, ENOTEMPTY, EISDIR, ENOTDIR */
    CHECK("vol-mkdir",
          mkdir(at("d"), 0750) == 0 && stat(at("d"), &st) == 0 && S_ISDIR(st.st_mode) &&
              (st.st_mode & 0777) == 0750,
          "%s", strerror(errno));
    CHECK("vol-mkdir-exists", mkdir(at("d"), 0750) < 0 && errno == EEXIST, "errno %d", errno);
    fd = open(at("d/f"), O_WRONLY | O_CREAT, 0600);
    close(fd);
    for (int i = 0; i < 200; i++) { /* a folder past one block */
        char name[64];
        snprintf(name, sizeof(name), "d/file-with-a-longish-name-%03d", i);
        close(open(at(name), O_WRONLY | O_CREAT, 0600));
    }
    CHECK("vol-readdir",
          listed(at("d"), "f") == 1 && listed(at("d"), "file-with-a-longish-name-199") == 1 &&
              listed(dir, "d") == 1,
          "entries missing");
    int count = 0;
    DIR *dd = opendir(at("d"));
    while (dd && readdir(dd))
        count++;
    closedir(dd);
    CHECK("vol-readdir-count", count == 203, "%d entries", count);
    CHECK("vol-rmdir-full", rmdir(at("d")) < 0 && errno == ENOTEMPTY, "errno %d", errno);
    CHECK("vol-unlink-dir", unlink(at("d")) < 0 && errno == EISDIR, "errno %d", errno);
    CHECK("vol-enotdir", open(at("a/x"), O_RDONLY) < 0 && errno == ENOTDIR, "errno %d", errno);
    CHECK("vol-enoent", open(at("nope/x"), O_RDONLY) < 0 && errno == ENOENT, "errno %d", errno);
    stat(at("d"), &st);
    nlink_t before = st.st_nlink;
    mkdir(at("d/sub"), 0755);
    stat(at("d"), &st);
    CHECK("vol-dir-nlink", st.st_nlink == before + 1, "%lu then %lu", (unsigned long)before,
          (unsigned long)st.st_nlink);
    for (int i = 0; i < 200; i++) {
        char name[64];
        snprintf(name, sizeof(name), "d/file-with-a-longish-name-%03d", i);
        unlink(at(name));
    }
    unlink(at("d/f"));
    rmdir(at("d/sub"));
    CHECK("vol-rmdir", rmdir(at("d")) == 0 && stat(at("d"), &st) < 0 && errno == ENOENT, "%s",
          strerror(errno));

    /* rename: a new name, an atomic replace, into a folder, a folder; unlink */
    close(open(at("r1"), O_WRONLY | O_CREAT, 0644));
    fd = open(at("r2"), O_WRONLY | O_CREAT, 0644);
    write(fd, "second", 6);
    close(fd);
    struct stat s2;
    stat(at("r2"), &s2);
    CHECK("vol-rename-replace",
          rename(at("r2"), at("r1")) == 0 && slurp(at("r1"), buf, 64) == 6 &&
              access(at("r2"), F_OK) < 0 && stat(at("r1"), &st) == 0 && st.st_ino == s2.st_ino,
          "%s", strerror(errno));
    mkdir(at("m"), 0755);
    CHECK("vol-rename-into", rename(at("r1"), at("m/r")) == 0 && slurp(at("m/r"), buf, 64) == 6,
          "%s", strerror(errno));
    CHECK("vol-rename-dir",
          rename(at("m"), at("m2")) == 0 && slurp(at("m2/r"), buf, 64) == 6 &&
              listed(dir, "m2") == 1 && listed(dir, "m") == 0,
          "%s", strerror(errno));
    mkdir(at("m3"), 0755);
    CHECK("vol-rename-dir-into",
          rename(at("m2"), at("m3/m2")) == 0 && slurp(at("m3/m2/r"), buf, 64) == 6 &&
              stat(at("m3/m2/.."), &st) == 0,
          "%s", strerror(errno));
    CHECK("vol-rename-self", rename(at("m3"), at("m3/m2/x")) < 0 && errno == EINVAL, "errno %d",
          errno);
    CHECK("vol-unlink", unlink(at("m3/m2/r")) == 0 && access(at("m3/m2/r"), F_OK) < 0, "%s",
          strerror(errno));
    rmdir(at("m3/m2"));
    rmdir(at("m3"));

    /* an unlinked file lives on while open */
    fd = open(at("tmp"), O_RDWR | O_CREAT, 0600);
    write(fd, "still here", 10);
    unlink(at("tmp"));
    n = pread(fd, buf, 10, 0);
    CHECK("vol-unlinked-open",
          n == 10 && memcmp(buf, "still here", 10) == 0 && access(at("tmp"), F_OK) < 0, "n %ld", n);
    close(fd);

    /* record locks and times */
    fd = open(at("a"), O_RDWR);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
    CHECK("vol-lock", fcntl(fd, F_SETLK, &fl) == 0, "%s", strerror(errno));
    int fd2 = open(at("a"), O_RDWR);
    struct flock ofd = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 5, .l_len = 1};
    CHECK("vol-lock-ofd", fcntl(fd2, F_OFD_SETLK, &ofd) < 0 && (errno == EAGAIN || errno == EACCES),
          "errno %d", errno);
    close(fd2);
    close(fd);
    struct stat s1;
    stat(at("a"), &s1);
    CHECK("vol-chmod",
          chmod(at("a"), 0604) == 0 && stat(at("a"), &st) == 0 && (st.st_mode & 07777) == 0604,
          "mode %o", st.st_mode);
    struct timespec ts[2] = {{1000000000, 0}, {1200000000, 0}};
    CHECK("vol-utimens",
          utimensat(AT_FDCWD, at("a"), ts, 0) == 0 && stat(at("a"), &st) == 0 &&
              st.st_mtime == 1200000000,
          "mtime %lld", (long long)st.st_mtime);
    seeded();
    symlinks();
    hardlinks();
    workdirs();
    nanoseconds();
    struct statfs sf;
    CHECK("vol-statfs", statfs(dir, &sf) == 0 && sf.f_blocks > 0 && sf.f_bfree <= sf.f_blocks, "%s",
          strerror(errno));

    /* what a reboot must find (argv[2] "again") */
    mkdir(at("keep"), 0755);
    fd = open(at("keep/note"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    write(fd, "kept, synced", 12);
    fsync(fd);
    close(fd);
    fd = open(at("keep/sparse"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pwrite(fd, "tail!", 5, 8 << 20);
    close(fd);
    close(open(at("keep/times"), O_WRONLY | O_CREAT, 0644));
    struct timespec kt[2] = {{4000000000, 999999999}, {1500000000, 123456789}};
    utimensat(AT_FDCWD, at("keep/times"), kt, 0);
    symlink("note", at("keep/link"));
    close(open(at("keep/removed"), O_WRONLY | O_CREAT, 0644));
    unlink(at("keep/removed"));
    printf("volfs: %d failures\n", failures);
    return failures != 0;
}

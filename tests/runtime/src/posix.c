/*
 * posix.c — file-system and process calls as Linux defines them: the writable root over the
 * recipe's files (argv[1] is their folder), the working folder, the utime family, modes, owners,
 * links, symlinks, renaming folders, statfs, record locks (process- and description-owned) and
 * flock, resource limits, affinity, mlock, madvise, mremap, prctl. The same source is built for
 * the host (glibc) by tests/runtime/posix_test.sh: every check must pass on both, so the
 * expectations are Linux's. Checks needing root on the host print SKIP there.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>
#include "check.h"

static char data[512]; /* the recipe's files: folder */

/* data/name, kept for the whole run (a test program: never freed) */
static const char *at(const char *name)
{
    char *p = NULL;
    return asprintf(&p, "%s/%s", data, name) < 0 ? "" : p;
}

static int put(const char *path, const char *s)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    int ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
    close(fd);
    return ok ? 0 : -1;
}

static int get(const char *path, char *buf, size_t n)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t k = read(fd, buf, n - 1);
    close(fd);
    if (k < 0)
        return -1;
    buf[k] = '\0';
    return (int)k;
}

static int listed(const char *dir, const char *name)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int found = 0;
    while (d && (e = readdir(d)))
        found |= strcmp(e->d_name, name) == 0;
    if (d)
        closedir(d);
    return found;
}

static void writable_root(void)
{
    char buf[256];
    /* a files: entry opened for writing: it reads as shipped, takes writes, keeps them */
    int fd = open(at("hello.txt"), O_RDWR);
    ssize_t k = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
    if (k >= 0)
        buf[k] = '\0';
    CHECK("root-rdwr-open", fd >= 0 && k == 13 && strcmp(buf, "hello, files\n") == 0,
          "fd %d, read %zd: %s", fd, k, strerror(errno));
    k = write(fd, "more\n", 5);
    struct stat st;
    fstat(fd, &st);
    close(fd);
    CHECK("root-rdwr-write",
          k == 5 && st.st_size == 18 && get(at("hello.txt"), buf, sizeof(buf)) == 18 &&
              strcmp(buf, "hello, files\nmore\n") == 0,
          "wrote %zd, size %lld, now \"%s\"", k, (long long)st.st_size, buf);
    fd = open(at("big.bin"), O_WRONLY | O_TRUNC);
    fstat(fd, &st);
    close(fd);
    CHECK("root-trunc", fd >= 0 && st.st_size == 0, "fd %d, size %lld", fd, (long long)st.st_size);
    /* new files and folders beside the shipped ones, listed with them */
    int rc = put(at("new.txt"), "beside\n");
    CHECK("root-create", rc == 0 && listed(data, "new.txt") && listed(data, "hello.txt"),
          "put %d: %s", rc, strerror(errno));
    rc = mkdir(at("sub/made"), 0755);
    CHECK("root-mkdir", rc == 0 && listed(at("sub"), "made") && listed(at("sub"), "b.txt"),
          "mkdir: %s", strerror(errno));
    rc = unlink(at("sub/b.txt"));
    CHECK("root-unlink", rc == 0 && access(at("sub/b.txt"), F_OK) < 0 && errno == ENOENT,
          "unlink: %s", strerror(errno));
    CHECK("root-access-w", access(at("hello.txt"), W_OK) == 0, "%s", strerror(errno));
    /* /tmp */
    char tmpl[] = "/tmp/posix-XXXXXX";
    fd = mkstemp(tmpl);
    k = fd >= 0 ? write(fd, "tmp", 3) : -1;
    close(fd);
    CHECK("root-tmp", fd >= 0 && k == 3 && unlink(tmpl) == 0, "mkstemp: %s", strerror(errno));
    /* the working folder the recipe names (the host test starts in a folder of that name) */
    char cwd[512];
    const char *base = getcwd(cwd, sizeof(cwd)) ? strrchr(cwd, '/') : NULL;
    rc = put("here.txt", "x");
    CHECK("root-workdir", base && strcmp(base, "/work") == 0 && rc == 0 && unlink("here.txt") == 0,
          "cwd %s, put %d", base ? cwd : "?", rc);
}

static int ts_eq(struct timespec a, long s, long ns)
{
    return a.tv_sec == s && a.tv_nsec == ns;
}

static void times(void)
{
    const char *f = at("times.txt");
    put(f, "t");
    struct timespec ts[2] = {{1000, 500000000}, {2000, 250000000}};
    struct stat st = {0}, st2 = {0};
    int rc = utimensat(AT_FDCWD, f, ts, 0);
    stat(f, &st);
    CHECK("utimensat",
          rc == 0 && ts_eq(st.st_atim, 1000, 500000000) && ts_eq(st.st_mtim, 2000, 250000000),
          "rc %d (%s), atime %lld.%09ld mtime %lld.%09ld", rc, strerror(errno),
          (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec, (long long)st.st_mtim.tv_sec,
          st.st_mtim.tv_nsec);
    struct timespec omit[2] = {{0, UTIME_OMIT}, {3000, 0}};
    rc = utimensat(AT_FDCWD, f, omit, 0);
    stat(f, &st);
    CHECK("utimensat-omit",
          rc == 0 && ts_eq(st.st_atim, 1000, 500000000) && ts_eq(st.st_mtim, 3000, 0),
          "rc %d, atime %lld mtime %lld", rc, (long long)st.st_atim.tv_sec,
          (long long)st.st_mtim.tv_sec);
    time_t now = time(NULL);
    rc = utimensat(AT_FDCWD, f, NULL, 0);
    stat(f, &st);
    CHECK("utimensat-now",
          rc == 0 && st.st_mtime >= now - 2 && st.st_mtime <= now + 2 && st.st_atime >= now - 2,
          "rc %d, mtime %lld, now %lld", rc, (long long)st.st_mtime, (long long)now);
    struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
    errno = 0;
    rc = utimensat(AT_FDCWD, f, bad, 0);
    CHECK("utimensat-einval", rc < 0 && errno == EINVAL, "rc %d errno %d", rc, errno);
    int fd = open(f, O_RDWR);
    struct timespec ft[2] = {{4000, 1}, {5000, 2}};
    rc = futimens(fd, ft);
    fstat(fd, &st);
    CHECK("futimens", rc == 0 && ts_eq(st.st_atim, 4000, 1) && ts_eq(st.st_mtim, 5000, 2), "rc %d",
          rc);
    /* a write moves mtime and ctime */
    write(fd, "w", 1);
    fstat(fd, &st2);
    CHECK("write-mtime", st2.st_mtime >= now - 2 && st2.st_ctime >= now - 2 && st2.st_atime == 4000,
          "mtime %lld ctime %lld atime %lld", (long long)st2.st_mtime, (long long)st2.st_ctime,
          (long long)st2.st_atime);
    close(fd);
    struct timeval tv[2] = {{6000, 7}, {7000, 8}};
    rc = utimes(f, tv);
    stat(f, &st);
    CHECK("utimes", rc == 0 && ts_eq(st.st_atim, 6000, 7000) && ts_eq(st.st_mtim, 7000, 8000),
          "rc %d", rc);
    struct timeval tv2[2] = {{8000, 0}, {9000, 999999}};
    rc = (int)syscall(SYS_futimesat, AT_FDCWD, f, tv2);
    stat(f, &st);
    CHECK("futimesat", rc == 0 && ts_eq(st.st_mtim, 9000, 999999000), "rc %d (%s)", rc,
          strerror(errno));
    struct utimbuf ub = {10000, 11000};
    rc = utime(f, &ub);
    stat(f, &st);
    CHECK("utime",
          rc == 0 && st.st_atime == 10000 && st.st_mtime == 11000 && st.st_ctime >= now - 2,
          "rc %d", rc);
    /* a lower-layer file takes times too */
    rc = utimensat(AT_FDCWD, at("link.txt"), ts, AT_SYMLINK_NOFOLLOW);
    lstat(at("link.txt"), &st);
    stat(at("hello.txt"), &st2);
    CHECK("utimensat-nofollow", rc == 0 && st.st_mtime == 2000 && st2.st_mtime != 2000,
          "rc %d (%s)", rc, strerror(errno));
}

static void modes_owners(void)
{
    const char *f = at("mode.txt");
    put(f, "m");
    struct stat st;
    int rc = chmod(f, 0640);
    stat(f, &st);
    CHECK("chmod", rc == 0 && (st.st_mode & 07777) == 0640 && S_ISREG(st.st_mode), "mode %o",
          st.st_mode);
    int fd = open(f, O_RDONLY);
    rc = fchmod(fd, 0604);
    fstat(fd, &st);
    close(fd);
    CHECK("fchmod", rc == 0 && (st.st_mode & 07777) == 0604, "mode %o", st.st_mode);
    mode_t old = umask(077);
    put(at("umask.txt"), "u");
    mkdir(at("umaskdir"), 0777);
    struct stat sd;
    stat(at("umask.txt"), &st);
    stat(at("umaskdir"), &sd);
    mode_t back = umask(old);
    CHECK("umask", (st.st_mode & 0777) == 0600 && (sd.st_mode & 0777) == 0700 && back == 077,
          "file %o dir %o", st.st_mode & 0777, sd.st_mode & 0777);
    if (geteuid() != 0) {
        printf("SKIP chown: the host test does not run as root\n");
        return;
    }
    rc = chown(f, 1234, 5678);
    stat(f, &st);
    CHECK("chown", rc == 0 && st.st_uid == 1234 && st.st_gid == 5678, "rc %d uid %u gid %u", rc,
          st.st_uid, st.st_gid);
    fd = open(f, O_RDONLY);
    rc = fchown(fd, -1, 42);
    fstat(fd, &st);
    close(fd);
    CHECK("fchown", rc == 0 && st.st_uid == 1234 && st.st_gid == 42, "uid %u gid %u", st.st_uid,
          st.st_gid);
    symlink("mode.txt", at("mode.lnk"));
    rc = lchown(at("mode.lnk"), 77, 88);
    struct stat ls;
    lstat(at("mode.lnk"), &ls);
    stat(at("mode.lnk"), &st);
    CHECK("lchown", rc == 0 && ls.st_uid == 77 && ls.st_gid == 88 && st.st_uid == 1234,
          "link %u target %u", ls.st_uid, st.st_uid);
    chmod(f, 06755);
    chown(f, 1, 1);
    stat(f, &st);
    CHECK("chown-clears-setid", (st.st_mode & 07777) == 0755, "mode %o", st.st_mode & 07777);
}

static void links(void)
{
    const char *a = at("la.txt"), *b = at("lb.txt");
    put(a, "shared\n");
    int rc = link(a, b);
    struct stat sa, sb;
    stat(a, &sa);
    stat(b, &sb);
    CHECK("link", rc == 0 && sa.st_ino == sb.st_ino && sa.st_nlink == 2,
          "rc %d (%s), ino %lu/%lu nlink %lu", rc, strerror(errno), (unsigned long)sa.st_ino,
          (unsigned long)sb.st_ino, (unsigned long)sa.st_nlink);
    int fd = open(a, O_WRONLY | O_APPEND);
    write(fd, "more\n", 5);
    close(fd);
    char buf[64] = "";
    get(b, buf, sizeof(buf));
    CHECK("link-shares", strcmp(buf, "shared\nmore\n") == 0, "b reads \"%s\"", buf);
    unlink(a);
    stat(b, &sb);
    CHECK("link-unlink", access(a, F_OK) < 0 && sb.st_nlink == 1 && sb.st_size == 12, "nlink %lu",
          (unsigned long)sb.st_nlink);
    errno = 0;
    rc = link(at("sub"), at("subl"));
    CHECK("link-dir-eperm", rc < 0 && errno == EPERM, "rc %d errno %d", rc, errno);
    errno = 0;
    rc = link(b, at("hello.txt"));
    CHECK("link-eexist", rc < 0 && errno == EEXIST, "rc %d errno %d", rc, errno);
    rc = link(at("hello.txt"), at("hello.hard"));
    stat(at("hello.hard"), &sb);
    CHECK("link-lower", rc == 0 && sb.st_size == 18, "rc %d (%s) size %lld", rc, strerror(errno),
          (long long)sb.st_size);
    /* symlinks */
    rc = symlink("target-x", at("sym"));
    char t[64];
    ssize_t k = readlink(at("sym"), t, sizeof(t));
    struct stat ls;
    lstat(at("sym"), &ls);
    CHECK("symlink",
          rc == 0 && k == 8 && memcmp(t, "target-x", 8) == 0 && S_ISLNK(ls.st_mode) &&
              ls.st_size == 8,
          "rc %d k %zd", rc, k);
    errno = 0;
    rc = stat(at("sym"), &sb);
    CHECK("symlink-dangling", rc < 0 && errno == ENOENT, "rc %d errno %d", rc, errno);
    fd = open(at("sym"), O_WRONLY | O_CREAT, 0644); /* creates the target, as Linux */
    close(fd);
    CHECK("symlink-create-target", fd >= 0 && access(at("target-x"), F_OK) == 0, "fd %d", fd);
    rc = symlink("sub", at("symdir"));
    CHECK("symlink-dir", rc == 0 && listed(at("symdir"), "made"), "rc %d", rc);
    errno = 0;
    k = readlink(at("hello.txt"), t, sizeof(t));
    CHECK("readlink-einval", k < 0 && errno == EINVAL, "k %zd errno %d", k, errno);
    errno = 0;
    rc = symlink("x", at("hello.txt"));
    CHECK("symlink-eexist", rc < 0 && errno == EEXIST, "rc %d errno %d", rc, errno);
    k = readlinkat(open(data, O_RDONLY | O_DIRECTORY), "link.txt", t, sizeof(t));
    CHECK("readlinkat-lower", k == 9 && memcmp(t, "hello.txt", 9) == 0, "k %zd", k);
}

static void rename_dirs(void)
{
    mkdir(at("d1"), 0755);
    mkdir(at("d1/e"), 0755);
    put(at("d1/e/f"), "deep");
    int keep = open(at("d1/e/f"), O_RDONLY);
    int rc = rename(at("d1"), at("d2"));
    char buf[16] = "";
    CHECK("rename-dir",
          rc == 0 && access(at("d1"), F_OK) < 0 && get(at("d2/e/f"), buf, sizeof(buf)) == 4,
          "rc %d (%s)", rc, strerror(errno));
    ssize_t k = read(keep, buf, sizeof(buf));
    close(keep);
    CHECK("rename-dir-open-fd", k == 4, "read %zd", k);
    mkdir(at("d3"), 0755);
    put(at("d3/x"), "x");
    errno = 0;
    rc = rename(at("d2"), at("d3"));
    CHECK("rename-dir-notempty", rc < 0 && (errno == ENOTEMPTY || errno == EEXIST),
          "rc %d errno %d", rc, errno);
    errno = 0;
    rc = rename(at("d2"), at("d2/e/inside"));
    CHECK("rename-dir-into-itself", rc < 0 && errno == EINVAL, "rc %d errno %d", rc, errno);
    mkdir(at("d4"), 0755);
    rc = rename(at("d2"), at("d4"));
    CHECK("rename-dir-over-empty", rc == 0 && access(at("d4/e/f"), F_OK) == 0, "rc %d (%s)", rc,
          strerror(errno));
    errno = 0;
    rc = rename(at("d3/x"), at("d4"));
    CHECK("rename-file-over-dir", rc < 0 && errno == EISDIR, "rc %d errno %d", rc, errno);
    errno = 0;
    rc = rename(at("d4"), at("d3/x"));
    CHECK("rename-dir-over-file", rc < 0 && errno == ENOTDIR, "rc %d errno %d", rc, errno);
    /* the shipped folder itself */
    rc = rename(at("sub"), at("sub2"));
    CHECK("rename-lower-dir", rc == 0 && listed(at("sub2"), "made"), "rc %d (%s)", rc,
          strerror(errno));
    rename(at("sub2"), at("sub"));
    /* the working folder moves with its name */
    char cwd[512], old[512];
    getcwd(old, sizeof(old));
    mkdir(at("wd"), 0755);
    chdir(at("wd"));
    rc = rename(at("wd"), at("wd2"));
    const char *got = getcwd(cwd, sizeof(cwd));
    const char *tail = got ? strrchr(cwd, '/') : NULL;
    CHECK("rename-cwd", rc == 0 && tail && strcmp(tail, "/wd2") == 0, "cwd %s", got ? cwd : "?");
    chdir(old);
    put(at("nr1"), "1");
    put(at("nr2"), "2");
    errno = 0;
    rc = (int)syscall(SYS_renameat2, AT_FDCWD, at("nr1"), AT_FDCWD, at("nr2"),
                      1 /* RENAME_NOREPLACE */);
    CHECK("renameat2-noreplace", rc < 0 && errno == EEXIST, "rc %d errno %d", rc, errno);
}

static void fsinfo(void)
{
    struct statfs sf;
    int rc = statfs("/tmp", &sf);
    CHECK("statfs",
          rc == 0 && sf.f_bsize > 0 && sf.f_namelen == 255 && sf.f_blocks > 0 &&
              sf.f_bfree <= sf.f_blocks,
          "rc %d bsize %ld namelen %ld", rc, (long)sf.f_bsize, (long)sf.f_namelen);
    int fd = open(at("hello.txt"), O_RDONLY);
    rc = fstatfs(fd, &sf);
    close(fd);
    CHECK("fstatfs", rc == 0 && sf.f_bsize > 0, "rc %d", rc);
    errno = 0;
    rc = statfs(at("nothing-here"), &sf);
    CHECK("statfs-enoent", rc < 0 && errno == ENOENT, "rc %d errno %d", rc, errno);
    const char *f = at("trunc.txt");
    put(f, "0123456789");
    rc = truncate(f, 4);
    struct stat st;
    stat(f, &st);
    CHECK("truncate", rc == 0 && st.st_size == 4, "rc %d size %lld", rc, (long long)st.st_size);
    fd = open(f, O_RDWR);
    rc = posix_fallocate(fd, 0, 10000);
    fstat(fd, &st);
    CHECK("fallocate", rc == 0 && st.st_size == 10000, "rc %d size %lld", rc,
          (long long)st.st_size);
    /* dup shares the open file description: offset and locks */
    int d = dup(fd);
    lseek(fd, 100, SEEK_SET);
    CHECK("dup-shares-offset", lseek(d, 0, SEEK_CUR) == 100, "offset %lld",
          (long long)lseek(d, 0, SEEK_CUR));
    fcntl(fd, F_SETFL, O_APPEND | O_NONBLOCK);
    int fl = fcntl(fd, F_GETFL);
    CHECK("fcntl-setfl", (fl & O_APPEND) && (fl & O_NONBLOCK) && (fl & O_ACCMODE) == O_RDWR,
          "flags %o", fl);
    errno = 0;
    rc = fcntl(fd, 12345);
    CHECK("fcntl-unknown", rc < 0 && errno == EINVAL, "rc %d errno %d", rc, errno);
    close(d);
    close(fd);
}

static int lk(int fd, int cmd, short type, off_t start, off_t len)
{
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    return fcntl(fd, cmd, &fl);
}

static struct flock probe(int fd, int cmd, short type, off_t start, off_t len)
{
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    if (fcntl(fd, cmd, &fl) < 0)
        fl.l_type = -1;
    return fl;
}

static int waiter_fd;
static volatile int waiter_got;

static void *waiter(void *arg)
{
    (void)arg;
    int rc = lk(waiter_fd, F_OFD_SETLKW, F_WRLCK, 0, 10);
    waiter_got = rc == 0 ? 1 : -errno;
    return NULL;
}

static void locks(void)
{
    const char *f = at("locks.db");
    put(f, "0123456789");
    int a = open(f, O_RDWR), b = open(f, O_RDWR), c = open(f, O_RDWR);
    /* process-owned locks never conflict within the process */
    int rc = lk(a, F_SETLK, F_WRLCK, 0, 100);
    int rc2 = lk(b, F_SETLK, F_WRLCK, 50, 10);
    struct flock fl = probe(c, F_GETLK, F_WRLCK, 0, 0);
    CHECK("setlk-same-process", rc == 0 && rc2 == 0 && fl.l_type == F_UNLCK, "rc %d %d type %d", rc,
          rc2, fl.l_type);
    /* ... but they do conflict with a description's lock, which sees the process's pid */
    fl = probe(c, F_OFD_GETLK, F_RDLCK, 55, 1);
    CHECK("ofd-getlk-posix",
          fl.l_type == F_WRLCK && fl.l_start == 0 && fl.l_len == 100 && fl.l_pid == getpid(),
          "type %d start %lld len %lld pid %d", fl.l_type, (long long)fl.l_start,
          (long long)fl.l_len, fl.l_pid);
    errno = 0;
    rc = lk(c, F_OFD_SETLK, F_RDLCK, 0, 1);
    CHECK("ofd-vs-posix", rc < 0 && errno == EAGAIN, "rc %d errno %d", rc, errno);
    /* unlocking the middle splits the lock */
    lk(a, F_SETLK, F_UNLCK, 40, 20);
    fl = probe(c, F_OFD_GETLK, F_WRLCK, 45, 5);
    struct flock fl2 = probe(c, F_OFD_GETLK, F_WRLCK, 30, 20);
    CHECK("setlk-split",
          fl.l_type == F_UNLCK && fl2.l_type == F_WRLCK && fl2.l_start == 0 && fl2.l_len == 40,
          "middle %d, left %d %lld+%lld", fl.l_type, fl2.l_type, (long long)fl2.l_start,
          (long long)fl2.l_len);
    /* any close of the file drops the process's locks */
    close(b);
    fl = probe(c, F_OFD_GETLK, F_WRLCK, 0, 0);
    CHECK("close-drops-posix", fl.l_type == F_UNLCK, "type %d start %lld", fl.l_type,
          (long long)fl.l_start);
    close(a);
    a = open(f, O_RDWR);
    b = open(f, O_RDWR);
    /* description-owned locks: a conflict between two descriptors of the one process */
    rc = lk(a, F_OFD_SETLK, F_WRLCK, 0, 100);
    errno = 0;
    rc2 = lk(b, F_OFD_SETLK, F_WRLCK, 50, 10);
    CHECK("ofd-conflict", rc == 0 && rc2 < 0 && errno == EAGAIN, "rc %d %d errno %d", rc, rc2,
          errno);
    fl = probe(b, F_OFD_GETLK, F_RDLCK, 60, 0);
    CHECK("ofd-getlk", fl.l_type == F_WRLCK && fl.l_start == 0 && fl.l_len == 100 && fl.l_pid == -1,
          "type %d start %lld len %lld pid %d", fl.l_type, (long long)fl.l_start,
          (long long)fl.l_len, fl.l_pid);
    fl = probe(c, F_GETLK, F_RDLCK, 0, 1);
    CHECK("getlk-sees-ofd", fl.l_type == F_WRLCK && fl.l_pid == -1, "type %d pid %d", fl.l_type,
          fl.l_pid);
    errno = 0;
    rc = lk(c, F_SETLK, F_RDLCK, 99, 1);
    CHECK("posix-vs-ofd", rc < 0 && errno == EAGAIN, "rc %d errno %d", rc, errno);
    rc = lk(b, F_OFD_SETLK, F_RDLCK, 100, 50);
    CHECK("ofd-adjacent", rc == 0, "rc %d errno %d", rc, errno);
    int d = dup(a);
    rc = lk(d, F_OFD_SETLK, F_WRLCK, 0, 10);
    CHECK("ofd-dup-same-owner", rc == 0, "rc %d errno %d", rc, errno);
    close(a);
    errno = 0;
    rc = lk(b, F_OFD_SETLK, F_WRLCK, 0, 1);
    CHECK("ofd-kept-by-dup", rc < 0 && errno == EAGAIN, "rc %d errno %d", rc, errno);
    /* a blocked F_OFD_SETLKW is granted when the holder unlocks */
    waiter_fd = b;
    pthread_t t;
    pthread_create(&t, NULL, waiter, NULL);
    struct timespec ms = {0, 20000000};
    nanosleep(&ms, NULL);
    int before = waiter_got;
    lk(d, F_OFD_SETLK, F_UNLCK, 0, 0);
    pthread_join(t, NULL);
    CHECK("ofd-setlkw-waits", before == 0 && waiter_got == 1, "before %d after %d", before,
          waiter_got);
    close(d);
    errno = 0;
    struct flock bad = {.l_type = F_WRLCK, .l_pid = 5};
    rc = fcntl(b, F_OFD_SETLK, &bad);
    CHECK("ofd-pid-einval", rc < 0 && errno == EINVAL, "rc %d errno %d", rc, errno);
    int ro = open(f, O_RDONLY);
    errno = 0;
    rc = lk(ro, F_SETLK, F_WRLCK, 0, 1);
    CHECK("setlk-ebadf", rc < 0 && errno == EBADF, "rc %d errno %d", rc, errno);
    errno = 0;
    rc = lk(ro, F_SETLK, 7, 0, 1);
    CHECK("setlk-einval", rc < 0 && errno == EINVAL, "rc %d errno %d", rc, errno);
    close(ro);
    close(b);
    close(c);
    /* flock: per description, apart from the record locks */
    a = open(f, O_RDWR);
    b = open(f, O_RDWR);
    rc = flock(a, LOCK_EX);
    errno = 0;
    rc2 = flock(b, LOCK_EX | LOCK_NB);
    int e2 = errno;
    errno = 0;
    int rc3 = flock(b, LOCK_SH | LOCK_NB);
    CHECK("flock-conflict",
          rc == 0 && rc2 < 0 && e2 == EWOULDBLOCK && rc3 < 0 && errno == EWOULDBLOCK, "rc %d %d %d",
          rc, rc2, rc3);
    d = dup(a);
    rc = flock(d, LOCK_EX | LOCK_NB);
    CHECK("flock-dup", rc == 0, "rc %d errno %d", rc, errno);
    rc = lk(b, F_OFD_SETLK, F_WRLCK, 0, 0);
    CHECK("flock-apart-from-fcntl", rc == 0, "rc %d errno %d", rc, errno);
    flock(a, LOCK_UN);
    rc = flock(b, LOCK_SH | LOCK_NB);
    rc2 = flock(a, LOCK_SH | LOCK_NB);
    CHECK("flock-shared", rc == 0 && rc2 == 0, "rc %d %d", rc, rc2);
    close(a);
    close(d);
    close(b);
    errno = 0;
    rc = flock(b, LOCK_SH);
    CHECK("flock-ebadf", rc < 0 && errno == EBADF, "rc %d errno %d", rc, errno);
}

static void process(void)
{
    struct rlimit rl, r2;
    int rc = getrlimit(RLIMIT_NOFILE, &rl);
    CHECK("getrlimit", rc == 0 && rl.rlim_cur <= rl.rlim_max && rl.rlim_cur >= 64, "rc %d", rc);
    struct rlimit lower = {64, rl.rlim_max};
    rc = setrlimit(RLIMIT_NOFILE, &lower);
    getrlimit(RLIMIT_NOFILE, &r2);
    CHECK("setrlimit", rc == 0 && r2.rlim_cur == 64 && r2.rlim_max == rl.rlim_max, "rc %d cur %llu",
          rc, (unsigned long long)r2.rlim_cur);
    struct rlimit inverted = {100, 50};
    errno = 0;
    rc = setrlimit(RLIMIT_NOFILE, &inverted);
    CHECK("setrlimit-einval", rc < 0 && errno == EINVAL, "rc %d errno %d", rc, errno);
    rc = prlimit(0, RLIMIT_NOFILE, &rl, &r2);
    CHECK("prlimit", rc == 0 && r2.rlim_cur == 64, "rc %d old %llu", rc,
          (unsigned long long)r2.rlim_cur);
    struct rlimit core = {0, RLIM_INFINITY};
    rc = setrlimit(RLIMIT_CORE, &core);
    getrlimit(RLIMIT_CORE, &r2);
    CHECK("rlimit-core", rc == 0 && r2.rlim_cur == 0, "rc %d", rc);
    cpu_set_t set;
    CPU_ZERO(&set);
    rc = sched_getaffinity(0, sizeof(set), &set);
    CHECK("sched_getaffinity", rc == 0 && CPU_COUNT(&set) >= 1, "rc %d count %d", rc,
          CPU_COUNT(&set));
    rc = sched_setaffinity(0, sizeof(set), &set);
    CHECK("sched_setaffinity", rc == 0, "rc %d errno %d", rc, errno);
    char name[16] = "";
    rc = prctl(PR_SET_NAME, "posix-test-name-long");
    int rc2 = prctl(PR_GET_NAME, name);
    CHECK("prctl-name", rc == 0 && rc2 == 0 && strcmp(name, "posix-test-name") == 0, "name %s",
          name);
    errno = 0;
    rc = prctl(9999, 0, 0, 0, 0);
    CHECK("prctl-unknown", rc < 0 && errno == EINVAL, "rc %d errno %d", rc, errno);
    static char page[4096] __attribute__((aligned(4096)));
    rc = mlock(page, sizeof(page));
    rc2 = munlock(page, sizeof(page));
    CHECK("mlock", rc == 0 && rc2 == 0, "rc %d %d errno %d", rc, rc2, errno);
    rc = mlockall(MCL_CURRENT);
    rc2 = munlockall();
    CHECK("mlockall", rc == 0 && rc2 == 0, "rc %d %d errno %d", rc, rc2, errno);
    errno = 0;
    rc = mlockall(0);
    CHECK("mlockall-einval", rc < 0 && errno == EINVAL, "rc %d errno %d", rc, errno);
}

/* Lowers the soft limit of res to cur; *saved gets what it was. setrlimit's result. */
static int lower_limit(int res, rlim_t cur, struct rlimit *saved)
{
    getrlimit(res, saved);
    struct rlimit low = {cur, saved->rlim_max};
    return setrlimit(res, &low);
}

static void unmap_mapped(void *p, size_t n)
{
    if (p != MAP_FAILED)
        munmap(p, n);
}

/* The limits are enforced: RLIMIT_NOFILE on new descriptors, RLIMIT_AS and RLIMIT_DATA on
 * mappings and the break. */
static void limits(void)
{
    struct rlimit saved;
    int rc = lower_limit(RLIMIT_NOFILE, 16, &saved), top = -1, fd, made[20], nmade = 0;
    errno = 0;
    while ((fd = dup(0)) >= 0 && nmade < 20) {
        made[nmade++] = fd;
        top = fd > top ? fd : top;
    }
    int dup_errno = errno;
    errno = 0;
    int d2 = dup2(0, 20), d2_errno = errno;
    errno = 0;
    int fx = fcntl(0, F_DUPFD, 20), fx_errno = errno;
    for (int i = 0; i < nmade; i++)
        close(made[i]);
    setrlimit(RLIMIT_NOFILE, &saved);
    CHECK("rlimit-nofile-enforced",
          rc == 0 && top == 15 && fd < 0 && dup_errno == EMFILE && d2 < 0 && d2_errno == EBADF &&
              fx < 0 && fx_errno == EINVAL,
          "setrlimit %d; highest fd %d, then %d errno %d; dup2 %d errno %d; F_DUPFD %d errno %d",
          rc, top, fd, dup_errno, d2, d2_errno, fx, fx_errno);

    rc = lower_limit(RLIMIT_AS, 512ul << 20, &saved);
    errno = 0;
    void *big = mmap(NULL, 1ul << 30, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int big_errno = errno;
    void *small =
        mmap(NULL, 16ul << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    setrlimit(RLIMIT_AS, &saved);
    CHECK("rlimit-as-enforced",
          rc == 0 && big == MAP_FAILED && big_errno == ENOMEM && small != MAP_FAILED,
          "setrlimit %d; 1 GiB: %p errno %d; 16 MiB: %p", rc, big, big_errno, small);
    unmap_mapped(big, 1ul << 30);
    unmap_mapped(small, 16ul << 20);

    rc = lower_limit(RLIMIT_DATA, 256ul << 20, &saved);
    errno = 0;
    void *rw = mmap(NULL, 512ul << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int rw_errno = errno;
    void *ro = mmap(NULL, 512ul << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    long brk0 = syscall(SYS_brk, 0); /* the raw call: musl's sbrk takes no increment */
    long brk1 = syscall(SYS_brk, brk0 + (512l << 20));
    if (brk1 != brk0)
        syscall(SYS_brk, brk0);
    setrlimit(RLIMIT_DATA, &saved);
    CHECK(
        "rlimit-data-enforced",
        rc == 0 && rw == MAP_FAILED && rw_errno == ENOMEM && ro != MAP_FAILED && brk1 == brk0,
        "setrlimit %d; writable 512 MiB: %p errno %d; read-only: %p; brk +512 MiB moved it by %ld",
        rc, rw, rw_errno, ro, brk1 - brk0);
    unmap_mapped(rw, 512ul << 20);
    unmap_mapped(ro, 512ul << 20);
}

static void memory(void)
{
    size_t n = 16 * 4096;
    unsigned char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(p, 0xab, n);
    int rc = madvise(p + 4096, 2 * 4096, MADV_DONTNEED);
    int zero = 1;
    for (size_t i = 4096; i < 3 * 4096; i++)
        zero &= p[i] == 0;
    CHECK("madvise-dontneed", rc == 0 && zero && p[0] == 0xab && p[3 * 4096] == 0xab,
          "rc %d zero %d", rc, zero);
    rc = madvise(p, n, MADV_WILLNEED);
    int rc2 = madvise(p, n, MADV_SEQUENTIAL);
    CHECK("madvise-advice", rc == 0 && rc2 == 0, "rc %d %d", rc, rc2);
    errno = 0;
    rc = madvise(p + 1, 4096, MADV_DONTNEED);
    CHECK("madvise-einval", rc < 0 && errno == EINVAL, "rc %d errno %d", rc, errno);
    /* posix_fadvise: advice taken on a file; EBADF, ESPIPE, EINVAL as Linux */
    int fd = open("/tmp/fadvise", O_RDWR | O_CREAT | O_TRUNC, 0600), pp[2] = {-1, -1};
    int f1 = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED),
        f2 = posix_fadvise(fd, 0, 4096, POSIX_FADV_SEQUENTIAL), f3 = posix_fadvise(fd, 0, 0, 99);
    int f4 = pipe(pp) == 0 ? posix_fadvise(pp[0], 0, 0, POSIX_FADV_NORMAL) : -1;
    close(fd);
    close(pp[0]);
    close(pp[1]);
    unlink("/tmp/fadvise");
    int f5 = posix_fadvise(fd, 0, 0, POSIX_FADV_NORMAL);
    CHECK("fadvise", fd >= 0 && f1 == 0 && f2 == 0 && f3 == EINVAL && f4 == ESPIPE && f5 == EBADF,
          "fd %d: %d %d %d pipe %d closed %d", fd, f1, f2, f3, f4, f5);
    unsigned char *q = mremap(p, n, 64 * 4096, MREMAP_MAYMOVE);
    int kept = q != MAP_FAILED && q[0] == 0xab && q[4096] == 0 && q[15 * 4096] == 0xab;
    int fresh = 1;
    for (size_t i = n; q != MAP_FAILED && i < 64 * 4096; i += 512)
        fresh &= q[i] == 0;
    CHECK("mremap-grow", kept && fresh, "q %p kept %d fresh %d", (void *)q, kept, fresh);
    unsigned char *r = mremap(q, 64 * 4096, 4096, 0);
    CHECK("mremap-shrink", r == q && r[0] == 0xab, "r %p q %p", (void *)r, (void *)q);
    munmap(r, 4096);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        printf("usage: posix FILES-FOLDER\n");
        return 2;
    }
    snprintf(data, sizeof(data), "%s", argv[1]);
    setvbuf(stdout, NULL, _IONBF, 0);
    writable_root();
    times();
    modes_owners();
    links();
    rename_dirs();
    fsinfo();
    locks();
    process();
    limits();
    memory();
    printf("posix: %d failures\n", failures);
    return failures ? 1 : 0;
}

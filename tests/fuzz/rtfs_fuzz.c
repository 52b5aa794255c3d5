/*
 * rtfs_fuzz.c — libFuzzer target: the unikernel runtime's file system (runtime/libc/fs.c, built
 * for the host with stubs for the kernel): any bytes as the cpio archive, then operations on
 * paths. Input: archive, "\n\n", then lines "OP PATH [PATH2]" (o open, c create, s stat,
 * l readlink, d list, m mkdir, u unlink, r rename, C chdir, w write, L link, S symlink, t utimes,
 * h chown, x chmod, T truncate). Nothing may crash or overflow, and the working folder stays
 * absolute (or is gone, when it was removed). Seed corpus/rtfs/tree: `cpio -o -H newc` of
 * a/f, a/lnk -> f, a/b/up -> ../a, then operations on them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/libc/fs.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Stubs for what fs.c takes from the kernel and the rest of the runtime. */
void *heap_alloc(size_t n)
{
    return malloc(n);
}
void heap_free(void *p)
{
    free(p);
}
void *page_alloc(size_t n)
{
    return n < 4096 ? aligned_alloc(PAGE_SIZE, n * PAGE_SIZE) : NULL;
}
void page_free(void *p, size_t n)
{
    (void)n;
    free(p);
}
uint64_t time_wall_ns(void)
{
    return 1700000000000000000ull;
}
void mem_get_stats(struct mem_stats *s)
{
    memset(s, 0, sizeof(*s));
}
void rt_lock_closed(const void *file, const void *ofd, int last)
{
    (void)file, (void)ofd, (void)last;
}

static struct rt_fd fdtab[8];
struct rt_fd *rt_fd_get(int fd)
{
    return fd >= 0 && fd < 8 && fdtab[fd].kind != F_NONE ? &fdtab[fd] : NULL;
}
int rt_fd_new(const struct rt_fd *f)
{
    for (int i = 0; i < 8; i++)
        if (fdtab[i].kind == F_NONE) {
            fdtab[i] = *f;
            return i;
        }
    return -RT_EMFILE;
}
long rt_fstat(int fd, void *st)
{
    struct rt_fd *f = rt_fd_get(fd);
    if (!f || (f->kind != F_FILE && f->kind != F_DIR))
        return -RT_EBADF;
    return rt_fs_fstat(f, st);
}
long rt_openat(int dirfd, const char *path, int flags, int mode)
{
    return rt_fs_open(dirfd, path, flags, mode);
}
long rt_close(int fd)
{
    struct rt_fd *f = rt_fd_get(fd);
    if (!f)
        return -RT_EBADF;
    rt_fs_close(f);
    f->kind = F_NONE;
    return 0;
}

static void reset(void)
{
    for (int i = 0; i < 8; i++)
        rt_close(i);
    for (int i = 0; i < nnodes; i++)
        if (nodes[i].in)
            drop_node(i);
    free(nodes);
    nodes = NULL;
    nnodes = capnodes = 0;
    cwd_node = 0;
    memset(fdtab, 0, sizeof(fdtab));
}

static void op(char c, const char *a, const char *b)
{
    char buf[512];
    struct rt_stat st;
    long fd;
    switch (c) {
    case 'o':
    case 'c':
    case 'd':
    case 'w':
        fd = rt_fs_open(AT_FDCWD, a,
                        c == 'c' || c == 'w' ? O_CREAT | 2
                        : c == 'd'           ? O_DIRECTORY
                                             : 0,
                        0644);
        if (fd >= 0) {
            struct rt_fd *f = rt_fd_get((int)fd);
            if (c == 'd')
                while (rt_fs_getdents64(f, buf, sizeof(buf)) > 0)
                    ;
            else if (c == 'w')
                rt_fs_write(f, b, strlen(b), (int64_t)strlen(a) * 1000);
            else
                while (rt_fs_read(f, buf, sizeof(buf), -1) > 0)
                    ;
            rt_close((int)fd);
        }
        break;
    case 's':
        rt_fs_fstatat(AT_FDCWD, a, &st, 0);
        rt_fs_statx(AT_FDCWD, a, 0, buf);
        break;
    case 'l': rt_fs_readlinkat(AT_FDCWD, a, buf, sizeof(buf)); break;
    case 'm': rt_fs_mkdirat(AT_FDCWD, a, 0755); break;
    case 'u':
        rt_fs_unlinkat(AT_FDCWD, a, 0);
        rt_fs_unlinkat(AT_FDCWD, a, AT_REMOVEDIR);
        break;
    case 'r': rt_fs_renameat(AT_FDCWD, a, AT_FDCWD, b, 0); break;
    case 'C': rt_fs_chdir(a, -1); break;
    case 'L': rt_fs_linkat(AT_FDCWD, a, AT_FDCWD, b, 0); break;
    case 'S': rt_fs_symlinkat(b, AT_FDCWD, a); break;
    case 't': rt_fs_utimensat(AT_FDCWD, a, NULL, 0); break;
    case 'h': rt_fs_chownat(AT_FDCWD, a, 1, 2, AT_SYMLINK_NOFOLLOW); break;
    case 'x': rt_fs_chmodat(AT_FDCWD, a, 0600, 0); break;
    case 'T': rt_fs_truncate(a, (int64_t)strlen(b) * 100); break;
    default: break;
    }
    const char *cwd = nodes[cwd_node].path;
    if (cwd && (cwd[0] != '/' || (rt_fs_getcwd(buf, sizeof(buf)) < 0 && strlen(cwd) < sizeof(buf))))
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t split = size;
    for (size_t i = 0; i + 1 < size; i++)
        if (data[i] == '\n' && data[i + 1] == '\n') {
            split = i;
            break;
        }
    uint8_t *archive = malloc(split ? split : 1);
    memcpy(archive, data, split);
    rt_fs_load(archive, archive + split);
    char *ops = malloc(size - split + 1);
    memcpy(ops, data + split, size - split);
    ops[size - split] = '\0';
    for (char *line = ops; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (line[0] && line[1] == ' ') {
            char *a = line + 2, *b = strchr(a, ' ');
            if (b)
                *b++ = '\0';
            op(line[0], a, b ? b : "x");
        }
        line = nl ? nl + 1 : NULL;
    }
    reset();
    free(ops);
    free(archive);
    return 0;
}

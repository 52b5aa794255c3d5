/* files.c — files from the recipe (under a writable layer) and /tmp. Built with -DGEN_HOST it is
 * the host program that writes the 1 MiB test file the guest then checks byte by byte. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BIG (1024 * 1024)

static uint8_t gen_byte(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (uint8_t)(*s >> 24);
}

#ifdef GEN_HOST
int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    FILE *f = fopen(argv[1], "wb");
    uint64_t s = 42, h = 1469598103934665603ull;
    for (int i = 0; f && i < BIG; i++) {
        uint8_t c = gen_byte(&s);
        fputc(c, f);
        h = (h ^ c) * 1099511628211ull;
    }
    printf("%016llx\n", (unsigned long long)h);
    return f && fclose(f) == 0 ? 0 : 1;
}
#else
#include "check.h"

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
    /* the 1 MiB file: every byte as generated, and an FNV-1a checksum printed */
    FILE *f = fopen("/data/big.bin", "rb");
    uint64_t s = 42, h = 1469598103934665603ull;
    long n = 0, bad = 0;
    int c;
    while (f && (c = fgetc(f)) != EOF) {
        bad += (uint8_t)c != gen_byte(&s);
        h = (h ^ (uint8_t)c) * 1099511628211ull;
        n++;
    }
    if (f)
        fclose(f);
    CHECK("rt-files-1mib", f && n == BIG && bad == 0, "read %ld bytes, %ld differ", n, bad);
    printf("CHECKSUM %016llx\n", (unsigned long long)h);

    struct stat st;
    CHECK("rt-files-stat",
          stat("/data/big.bin", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == BIG, "size %lld",
          (long long)st.st_size);
    /* statx by number (musl has no wrapper): mode at byte 28, size at byte 40 */
    unsigned char sx[256];
    memset(sx, 0xff, sizeof(sx));
    long sr = syscall(SYS_statx, AT_FDCWD, "/data/big.bin", 0, 0x7ff, sx);
    uint16_t sxmode;
    uint64_t sxsize;
    memcpy(&sxmode, sx + 28, 2);
    memcpy(&sxsize, sx + 40, 8);
    CHECK("rt-files-statx", sr == 0 && S_ISREG(sxmode) && sxsize == BIG, "r=%ld mode %o size %llu",
          sr, sxmode, (unsigned long long)sxsize);
    int fd = open("/data/big.bin", O_RDONLY);
    unsigned char b4[4];
    uint64_t s2 = 42;
    for (int i = 0; i < 1000; i++)
        gen_byte(&s2);
    ssize_t pr = pread(fd, b4, 1, 1000);
    off_t end = lseek(fd, 0, SEEK_END);
    CHECK("rt-files-pread-lseek", pr == 1 && b4[0] == gen_byte(&s2) && end == BIG,
          "pread %zd end %lld", pr, (long long)end);
    close(fd);

    /* directory listing, sorted */
    DIR *d = opendir("/data");
    char *names[16];
    int k = 0;
    struct dirent *de;
    while (d && (de = readdir(d)) && k < 16)
        if (de->d_name[0] != '.')
            names[k++] = strdup(de->d_name);
    if (d)
        closedir(d);
    qsort(names, (size_t)k, sizeof(char *), cmp_str);
    char list[256] = "";
    for (int i = 0; i < k; i++) {
        strcat(list, names[i]);
        strcat(list, i + 1 < k ? "," : "");
    }
    CHECK("rt-files-readdir", strcmp(list, "big.bin,hello.txt,link.txt,sub,sublink") == 0, "got %s",
          list);

    char text[64] = "";
    f = fopen("/data/sub/../link.txt", "r");
    if (f) {
        fgets(text, sizeof(text), f);
        fclose(f);
    }
    char target[64] = "";
    ssize_t tl = readlink("/data/link.txt", target, sizeof(target) - 1);
    CHECK("rt-files-symlink",
          strcmp(text, "hello, files\n") == 0 && tl == 9 && memcmp(target, "hello.txt", 9) == 0,
          "text '%s' target %zd", text, tl);
    char via[64] = "";
    f = fopen("/data/sublink/b.txt", "r");
    if (f) {
        fgets(via, sizeof(via), f);
        fclose(f);
    }
    struct stat lst;
    CHECK("rt-files-symlink-folder",
          strcmp(via, "b\n") == 0 && lstat("/data/sublink", &lst) == 0 && S_ISLNK(lst.st_mode),
          "read '%s'", via);
    CHECK("rt-files-mode", stat("/etc/greeting", &st) == 0 && (st.st_mode & 07777) == 0600,
          "mode %o", (unsigned)st.st_mode);
    CHECK("rt-files-chdir",
          chdir("/data/sub") == 0 && access("b.txt", R_OK) == 0 && getcwd(text, sizeof(text)) &&
              strcmp(text, "/data/sub") == 0,
          "cwd %s", text);

    errno = 0;
    int w = open("/data/new.txt", O_WRONLY | O_CREAT, 0644);
    int e1 = errno;
    errno = 0;
    int m = open("/data/missing", O_RDONLY);
    int e2 = errno;
    /* the files sit under a writable layer: a new file beside them is made there */
    CHECK("rt-files-errors", w >= 0 && e1 == 0 && m == -1 && e2 == ENOENT, "errno %d %d", e1, e2);
    if (w >= 0)
        close(w);

    /* /tmp: write, read back, append, rename, mkdir, unlink */
    f = fopen("/tmp/out.txt", "w");
    for (int i = 0; f && i < 2000; i++)
        fprintf(f, "line %d\n", i);
    int closed = f ? fclose(f) : -1;
    f = fopen("/tmp/out.txt", "a");
    if (f) {
        fputs("tail\n", f);
        fclose(f);
    }
    long lines = 0, okl = 0;
    char line[64];
    f = fopen("/tmp/out.txt", "r");
    while (f && fgets(line, sizeof(line), f)) {
        char want[64];
        snprintf(want, sizeof(want), lines < 2000 ? "line %ld\n" : "tail\n", lines);
        okl += strcmp(line, want) == 0;
        lines++;
    }
    if (f)
        fclose(f);
    CHECK("rt-tmp-write-read", closed == 0 && lines == 2001 && okl == 2001, "%ld lines, %ld right",
          lines, okl);
    int ren = rename("/tmp/out.txt", "/tmp/moved.txt");
    int mk = mkdir("/tmp/dir", 0755);
    int gone = access("/tmp/out.txt", F_OK);
    int there = stat("/tmp/moved.txt", &st);
    int ul = unlink("/tmp/moved.txt");
    int rm = rmdir("/tmp/dir");
    CHECK("rt-tmp-ops",
          ren == 0 && mk == 0 && gone == -1 && there == 0 && ul == 0 && rm == 0 &&
              access("/tmp/moved.txt", F_OK) == -1,
          "rename %d mkdir %d gone %d stat %d unlink %d rmdir %d", ren, mk, gone, there, ul, rm);
    return failures ? 1 : 0;
}
#endif

/* syscalls.c — system calls straight from musl's wrappers, no stdio or floating point, built with
 * -mgeneral-regs-only: it runs where the CPU's SSE cannot (jeos-hv on a KVM that emulates). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

static int failures;
static void say(const char *s)
{
    write(1, s, strlen(s));
}

static void check(const char *name, int ok)
{
    say(ok ? "PASS " : "FAIL ");
    say(name);
    say("\n");
    failures += !ok;
}

int main(void)
{
    int p[2];
    char buf[16];
    check("rt-sys-pipe", pipe(p) == 0 && write(p[1], "abc", 3) == 3 && read(p[0], buf, 16) == 3 &&
                             memcmp(buf, "abc", 3) == 0);
    unsigned char r1[16], r2[16];
    check("rt-sys-getrandom",
          getrandom(r1, 16, 0) == 16 && getrandom(r2, 16, 0) == 16 && memcmp(r1, r2, 16) != 0);
    struct timespec a, b, d = {0, 20000000};
    clock_gettime(CLOCK_MONOTONIC, &a);
    nanosleep(&d, NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    long ns = (b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec);
    check("rt-sys-nanosleep", ns >= 20000000L && ns < 200000000L);
    char *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int ok = m != MAP_FAILED;
    for (int i = 0; ok && i < (1 << 20); i += 4096)
        ok = m[i] == 0;
    /* unmapping the middle splits the mapping; a static buffer is not ours to give away */
    static char stat_buf[8192] __attribute__((aligned(4096)));
    ok = ok && munmap(m + 4096, 4096) == 0 && m[0] == 0 && m[8192] == 0;
    check("rt-sys-mmap", ok && munmap(m, 1 << 20) == 0 && munmap(stat_buf, 8192) == 0 &&
                             mremap(stat_buf, 4096, 8192, MREMAP_MAYMOVE) == MAP_FAILED);
    char *g = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    check("rt-sys-munmap-foreign", g != stat_buf && g != stat_buf + 4096);
    g[0] = 7;
    char *g2 = mremap(g, 4096, 3 << 20, MREMAP_MAYMOVE);
    check("rt-sys-mremap",
          g2 != MAP_FAILED && g2[0] == 7 && g2[(3 << 20) - 1] == 0 && munmap(g2, 3 << 20) == 0);
    int z = open("/dev/zero", O_RDONLY);
    buf[0] = 1;
    check("rt-sys-dev-zero", z >= 0 && read(z, buf, 8) == 8 && buf[0] == 0 && close(z) == 0);
    cpu_set_t cpus;
    unsigned char *cb = (unsigned char *)&cpus;
    int aff = sched_getaffinity(0, sizeof(cpus), &cpus);
    int ncpu = 0;
    for (unsigned i = 0; i < sizeof(cpus); i++)
        ncpu += __builtin_popcount(cb[i]);
    struct rlimit rl;
    struct sysinfo si;
    check("rt-sys-limits", aff == 0 && ncpu == 1 && getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
                               rl.rlim_cur == 1088 && sysinfo(&si) == 0 &&
                               si.totalram > (16u << 20) && si.mem_unit == 1);
    return failures;
}

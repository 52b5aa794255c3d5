/* tests/unikernel/linux/init.c — PID 1 of the Linux peers in the benchmarks, then power off:
 * without arguments (tests/bench/unikernel_bench.sh) it prints a hello and the memory figures;
 * with the kernel's words after "--" (tests/bench/programs_bench.sh) it runs them as a program
 * from / and prints its wall time, status and max RSS. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int hello(int fd)
{
    const char msg[] = "Hello from Linux\n";
    if (write(fd, msg, strlen(msg)) < 0)
        return 1;
    char line[128];
    FILE *mi = fopen("/proc/meminfo", "r");
    while (mi && fgets(line, sizeof(line), mi))
        if (strncmp(line, "MemTotal:", 9) == 0 || strncmp(line, "MemFree:", 8) == 0) {
            if (write(fd, line, strlen(line)) < 0)
                return 1;
        }
    return 0;
}

static void run(int fd, char **argv)
{
    FILE *out = fdopen(fd, "w");
    if (!out)
        return;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        if (chdir("/") == 0)
            execv(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof(ru));
    if (pid < 0 || wait4(pid, &status, 0, &ru) < 0)
        fprintf(out, "runinit: could not run %s\n", argv[0]);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (long)(t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    fprintf(out, "runinit: %ld ms, status %d, maxrss %ld KiB\n", ms,
            WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), ru.ru_maxrss);
    fflush(out);
}

int main(int argc, char **argv)
{
    mkdir("/dev", 0755);
    mkdir("/proc", 0755);
    mkdir("/tmp", 01777);
    mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    mount("proc", "/proc", "proc", 0, NULL);
    int fd = open("/dev/ttyS0", O_WRONLY | O_NOCTTY);
    if (fd < 0)
        fd = open("/dev/console", O_WRONLY | O_NOCTTY);
    if (argc > 1)
        run(fd, argv + 1);
    else if (hello(fd))
        return 1;
    sync();
    reboot(RB_POWER_OFF);
    return 0;
}

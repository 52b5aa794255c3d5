/* tests/unikernel/linux/runinit.c — PID 1 of the Linux peer in tests/bench/programs_bench.sh: runs
 * its arguments (the kernel's words after "--") as a program from /, prints its wall time, status
 * and max RSS on the serial console, powers off. */
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
    FILE *out = fdopen(fd, "w");
    if (!out)
        return 1;
    if (argc < 2) {
        fprintf(out, "runinit: no program to run (kernel words after --)\n");
    } else {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        pid_t pid = fork();
        if (pid == 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            if (chdir("/") == 0)
                execv(argv[1], argv + 1);
            _exit(127);
        }
        int status = 0;
        struct rusage ru;
        memset(&ru, 0, sizeof(ru));
        if (pid < 0 || wait4(pid, &status, 0, &ru) < 0)
            fprintf(out, "runinit: could not run %s\n", argv[1]);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        long ms = (long)(t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
        fprintf(out, "runinit: %ld ms, status %d, maxrss %ld KiB\n", ms,
                WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), ru.ru_maxrss);
    }
    fflush(out);
    sync();
    reboot(RB_POWER_OFF);
    return 0;
}

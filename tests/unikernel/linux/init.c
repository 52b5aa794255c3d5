/* tests/unikernel/linux/init.c — PID 1 of the Linux peer in the unikernel benchmark: print, power
 * off. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
    mkdir("/dev", 0755);
    mkdir("/proc", 0755);
    mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    mount("proc", "/proc", "proc", 0, NULL);
    int fd = open("/dev/ttyS0", O_WRONLY | O_NOCTTY);
    if (fd < 0)
        fd = open("/dev/console", O_WRONLY | O_NOCTTY);
    const char hello[] = "Hello from Linux\n";
    if (write(fd, hello, strlen(hello)) < 0)
        return 1;
    char line[128];
    FILE *mi = fopen("/proc/meminfo", "r");
    while (mi && fgets(line, sizeof(line), mi))
        if (strncmp(line, "MemTotal:", 9) == 0 || strncmp(line, "MemFree:", 8) == 0) {
            if (write(fd, line, strlen(line)) < 0)
                return 1;
        }
    sync();
    reboot(RB_POWER_OFF);
    return 0;
}

/* console.c — init's output: each line to every active console (tty0 and ttyS0 both see it). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runtime/init/init.h"

#define MAX_CONSOLES 4
static int consoles[MAX_CONSOLES];
static int nconsoles;

void init_console_open(void)
{
    for (int i = 0; i < nconsoles; i++)
        close(consoles[i]);
    nconsoles = 0;
    char active[128] = "";
    int fd = open("/sys/class/tty/console/active", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, active, sizeof(active) - 1);
        active[n > 0 ? n : 0] = 0;
        close(fd);
    }
    for (char *tok = strtok(active, " \n"); tok && nconsoles < MAX_CONSOLES;
         tok = strtok(NULL, " \n")) {
        char path[64];
        snprintf(path, sizeof(path), "/dev/%s", tok);
        int c = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
        if (c >= 0)
            consoles[nconsoles++] = c;
    }
    if (nconsoles == 0) {
        int c = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
        consoles[nconsoles++] = c >= 0 ? c : 2;
    }
}

void init_console_write(const char *buf, size_t len)
{
    for (int i = 0; i < nconsoles; i++) {
        size_t off = 0;
        while (off < len) {
            ssize_t n = write(consoles[i], buf + off, len - off);
            if (n < 0 && errno == EAGAIN) {
                struct pollfd p = {.fd = consoles[i], .events = POLLOUT};
                poll(&p, 1, 100);
                continue;
            }
            if (n <= 0)
                break;
            off += (size_t)n;
        }
    }
}

void init_log(const char *fmt, ...)
{
    char buf[512];
    int n = snprintf(buf, sizeof(buf), "jeos: ");
    va_list ap;
    va_start(ap, fmt);
    n += vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(buf) - 2)
        n = (int)sizeof(buf) - 2;
    buf[n++] = '\n';
    init_console_write(buf, (size_t)n);
}

long long init_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

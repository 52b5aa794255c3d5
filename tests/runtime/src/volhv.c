/*
 * volhv.c — an ext4 volume under jeos-hv (tests/unikernel/ext4_test.sh): a file written, synced,
 * read back and renamed over another on /data, through musl's wrappers without SSE (so that it
 * runs on a KVM that emulates the CPU). Prints "volhv: ok" or what went wrong.
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

static void say(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    write(1, s, n);
}

int main(void)
{
    static const char text[] = "written under jeos-hv\n";
    char back[sizeof(text)];
    int fd = open("/data/hv.tmp", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, text, sizeof(text) - 1) != (long)sizeof(text) - 1 || fsync(fd) != 0 ||
        close(fd) != 0) {
        say("volhv: cannot write /data/hv.tmp\n");
        return 1;
    }
    if (rename("/data/hv.tmp", "/data/hv.txt") != 0) {
        say("volhv: rename failed\n");
        return 1;
    }
    fd = open("/data/hv.txt", O_RDONLY);
    long n = fd < 0 ? -1 : read(fd, back, sizeof(back));
    close(fd);
    for (long i = 0; i < (long)sizeof(text) - 1; i++)
        if (n != (long)sizeof(text) - 1 || back[i] != text[i]) {
            say("volhv: read back differs\n");
            return 1;
        }
    /* through stdio, line-buffered on the console: musl writes the '\n' from main()'s stack,
       demand-paged memory that jeos-hv's console call must not take as guest-physical */
    puts("volhv: ok");
    return 0;
}

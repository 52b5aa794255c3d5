/* random.c — getrandom and /dev/urandom; prints one value the harness compares across boots. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include "check.h"

int main(void)
{
    unsigned char a[32], b[32], c[32];
    ssize_t na = getrandom(a, sizeof(a), 0), nb = getrandom(b, sizeof(b), 0);
    CHECK("rt-getrandom", na == 32 && nb == 32 && memcmp(a, b, 32) != 0, "n=%zd %zd", na, nb);
    int fd = open("/dev/urandom", O_RDONLY);
    ssize_t nc = fd >= 0 ? read(fd, c, sizeof(c)) : -1;
    CHECK("rt-dev-urandom", nc == 32 && memcmp(c, a, 32) != 0 && memcmp(c, b, 32) != 0, "n=%zd",
          nc);
    int ones = 0;
    for (int i = 0; i < 32; i++)
        ones += __builtin_popcount(a[i]);
    CHECK("rt-getrandom-bits", ones > 80 && ones < 176, "%d one bits of 256", ones);
    printf("RANDOM ");
    for (int i = 0; i < 16; i++)
        printf("%02x", a[i]);
    printf("\n");
    return failures ? 1 : 0;
}

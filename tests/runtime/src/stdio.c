/* stdio.c — musl's printf family, integers and floating point, through the console. */
#include <stdio.h>
#include <string.h>
#include "check.h"

int main(void)
{
    char b[256];
    snprintf(b, sizeof(b), "%d|%5d|%-5d|%05d|%x|%X|%o|%lld|%zu", -42, 7, 7, 42, 255, 255, 8,
             -1234567890123LL, (size_t)99);
    CHECK("rt-stdio-int", strcmp(b, "-42|    7|7    |00042|ff|FF|10|-1234567890123|99") == 0,
          "got %s", b);
    snprintf(b, sizeof(b), "%f|%.2f|%e|%.3e|%g|%g|%g|%a", 3.14159, 2.675, 12345.678, 0.000123456,
             100000.0, 1e-5, 0.1, 1.0);
    CHECK("rt-stdio-float",
          strcmp(b, "3.141590|2.67|1.234568e+04|1.235e-04|100000|1e-05|0.1|0x1p+0") == 0, "got %s",
          b);
    snprintf(b, sizeof(b), "%.17g|%.0f|%f|%f", 0.1 + 0.2, 1e21, 1.0 / 0.0, -0.0);
    CHECK("rt-stdio-float-edge",
          strcmp(b, "0.30000000000000004|1000000000000000000000|inf|-0.000000") == 0, "got %s", b);
    snprintf(b, sizeof(b), "%s|%10s|%-4s|%c|%%|%.3s", "abc", "right", "l", 'z', "truncate");
    CHECK("rt-stdio-str", strcmp(b, "abc|     right|l   |z|%|tru") == 0, "got %s", b);
    int n = printf("console line %d %.1f\n", 1, 2.5);
    CHECK("rt-stdio-printf", n == 19, "printf returned %d", n);
    long v;
    double d;
    char w[16];
    int k = sscanf("  123 4.5e2 word", "%ld %lf %15s", &v, &d, w);
    CHECK("rt-stdio-sscanf", k == 3 && v == 123 && d == 450.0 && strcmp(w, "word") == 0,
          "k=%d v=%ld d=%g w=%s", k, v, d, w);
    fprintf(stderr, "stderr works\n");
    return failures ? 1 : 0;
}

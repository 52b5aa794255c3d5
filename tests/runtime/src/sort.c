/* sort.c — qsort, bsearch and strtod from musl. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"

static int cmp(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int main(void)
{
    enum { N = 20000 };
    static int v[N];
    unsigned s = 12345;
    long sum0 = 0, sum1 = 0;
    for (int i = 0; i < N; i++) {
        s = s * 1103515245u + 12345u;
        v[i] = (int)(s >> 8) % 100000 - 50000;
        sum0 += v[i];
    }
    qsort(v, N, sizeof(int), cmp);
    int sorted = 1;
    for (int i = 0; i < N; i++) {
        sum1 += v[i];
        if (i && v[i - 1] > v[i])
            sorted = 0;
    }
    CHECK("rt-qsort", sorted && sum0 == sum1, "sorted=%d sums %ld %ld", sorted, sum0, sum1);
    int found = 1;
    for (int i = 0; i < N; i += 97) {
        int *hit = bsearch(&v[i], v, N, sizeof(int), cmp);
        if (!hit || *hit != v[i])
            found = 0;
    }
    int missing = 1000000;
    CHECK("rt-bsearch", found && !bsearch(&missing, v, N, sizeof(int), cmp), "bsearch wrong");
    char *end;
    double a = strtod("3.25e2xyz", &end);
    double b = strtod("-0x1.8p1", NULL);
    double c = strtod("0.1", NULL);
    errno = 0;
    double d = strtod("1e400", NULL);
    int e = errno;
    double f = strtod("nan", NULL);
    CHECK("rt-strtod",
          a == 325.0 && strcmp(end, "xyz") == 0 && b == -3.0 && c == 0.1 && isinf(d) &&
              e == ERANGE && isnan(f),
          "a=%g end=%s b=%g c=%.17g d=%g errno=%d f=%g", a, end, b, c, d, e, f);
    CHECK("rt-libm",
          fabs(sqrt(2.0) - 1.4142135623730951) < 1e-15 && fabs(sin(M_PI / 6) - 0.5) < 1e-15 &&
              fabs(exp(log(10.0)) - 10.0) < 1e-13,
          "sqrt %.17g sin %.17g", sqrt(2.0), sin(M_PI / 6));
    return failures ? 1 : 0;
}

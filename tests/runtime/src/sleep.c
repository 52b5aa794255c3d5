/* sleep.c — nanosleep and clock_nanosleep accuracy against CLOCK_MONOTONIC; wall clock sane. */
#include <stdio.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

static long long mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(void)
{
    static const long ms[] = {1, 10, 50, 200};
    for (unsigned i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
        struct timespec req = {0, ms[i] * 1000000L};
        long long t0 = mono_ns();
        int rc = nanosleep(&req, NULL);
        long long dt = mono_ns() - t0;
        char name[64];
        snprintf(name, sizeof(name), "rt-nanosleep-%ldms", ms[i]);
        /* never early; late by at most 20 ms (TCG on a shared host) */
        CHECK(name, rc == 0 && dt >= ms[i] * 1000000LL && dt < ms[i] * 1000000LL + 20000000LL,
              "slept %lld us", dt / 1000);
    }
    struct timespec abs;
    clock_gettime(CLOCK_MONOTONIC, &abs);
    long long target = abs.tv_sec * 1000000000LL + abs.tv_nsec + 30000000LL;
    abs.tv_sec = target / 1000000000LL;
    abs.tv_nsec = target % 1000000000LL;
    int rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL);
    long long late = mono_ns() - target;
    CHECK("rt-clock-nanosleep-abs", rc == 0 && late >= 0 && late < 20000000LL, "late %lld us",
          late / 1000);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    time_t t = time(NULL);
    CHECK("rt-wall-clock", t > 1700000000 && (tv.tv_sec - t) <= 1 && (t - tv.tv_sec) <= 1,
          "time %lld tv %lld", (long long)t, (long long)tv.tv_sec);
    return failures ? 1 : 0;
}

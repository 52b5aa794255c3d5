/* idle.c — four threads sleep one second at the same time while main waits in pthread_join: the
 * sleeps overlap (about 1 s in all) and the CPU halts meanwhile (the harness checks QEMU's CPU). */
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include "check.h"

static void *sleeper(void *arg)
{
    struct timespec d = {1, 0};
    nanosleep(&d, NULL);
    return arg;
}

int main(void)
{
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, sleeper, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    CHECK("rt-idle-overlap", s >= 1.0 && s < 1.3, "4 parallel 1 s sleeps took %.3f s", s);
    return failures ? 1 : 0;
}

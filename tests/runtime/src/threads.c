/* threads.c — 4 pthreads with a mutex and a condition variable, a timed wait that times out,
 * thread-local storage, and a pipe between two threads. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

#define WORKERS 4
#define ROUNDS  1000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long counter;
static int turn, done;
static _Thread_local int tls_value = 5;

static void *worker(void *arg)
{
    int id = (int)(long)arg;
    tls_value += id;
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&mu);
        while (turn != id)
            pthread_cond_wait(&cv, &mu);
        counter++;
        turn = (turn + 1) % WORKERS;
        pthread_cond_broadcast(&cv);
        pthread_mutex_unlock(&mu);
    }
    pthread_mutex_lock(&mu);
    done++;
    pthread_mutex_unlock(&mu);
    return (void *)(long)tls_value;
}

static int pfd[2];
static void *writer(void *arg)
{
    (void)arg;
    for (int i = 0; i < 10000; i++) {
        char c = (char)i;
        if (write(pfd[1], &c, 1) != 1)
            return (void *)1;
    }
    close(pfd[1]);
    return NULL;
}

static int detached_done;
static void *detached(void *arg)
{
    (void)arg;
    __atomic_add_fetch(&detached_done, 1, __ATOMIC_SEQ_CST);
    return NULL; /* musl unmaps a detached thread's stack on its way out */
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
    pthread_t t[WORKERS];
    int ok = 1;
    for (long i = 0; i < WORKERS; i++)
        ok &= pthread_create(&t[i], NULL, worker, (void *)i) == 0;
    long tls_sum = 0;
    for (int i = 0; i < WORKERS; i++) {
        void *r;
        ok &= pthread_join(t[i], &r) == 0;
        tls_sum += (long)r;
    }
    CHECK("rt-threads-mutex-cond", ok && counter == WORKERS * ROUNDS && done == WORKERS,
          "ok=%d counter=%ld done=%d", ok, counter, done);
    CHECK("rt-threads-tls", tls_sum == 5 * WORKERS + 0 + 1 + 2 + 3 && tls_value == 5,
          "sum %ld main %d", tls_sum, tls_value);

    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_nsec += 50 * 1000000;
    if (dl.tv_nsec >= 1000000000) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000;
    }
    double t0 = now();
    pthread_mutex_lock(&mu);
    int rc = pthread_cond_timedwait(&cv, &mu, &dl);
    pthread_mutex_unlock(&mu);
    double waited = now() - t0;
    CHECK("rt-futex-timeout", rc == ETIMEDOUT && waited >= 0.045 && waited < 0.5,
          "rc=%d waited %.3f s", rc, waited);

    pipe(pfd);
    pthread_t w;
    pthread_create(&w, NULL, writer, NULL);
    long got = 0, sum = 0;
    char buf[300];
    ssize_t n;
    while ((n = read(pfd[0], buf, sizeof(buf))) > 0)
        for (ssize_t i = 0; i < n; i++, got++)
            sum += (unsigned char)buf[i] == (unsigned char)got;
    void *wr;
    pthread_join(w, &wr);
    CHECK("rt-pipe-threads", got == 10000 && sum == 10000 && wr == NULL, "got %ld in order %ld",
          got, sum);
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    int made = 0;
    for (int round = 0; round < 50; round++) {
        pthread_t d;
        made += pthread_create(&d, &at, detached, NULL) == 0;
    }
    for (int i = 0; i < 100 && __atomic_load_n(&detached_done, __ATOMIC_SEQ_CST) < made; i++)
        usleep(1000);
    CHECK("rt-threads-detached", made == 50 && detached_done == 50, "made %d, %d done", made,
          detached_done);
    return failures ? 1 : 0;
}

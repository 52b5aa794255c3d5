/* poll.c — poll and epoll over pipes: timeouts, readiness, a wake-up from another thread. */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

static int p[2];

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *late_writer(void *arg)
{
    (void)arg;
    struct timespec d = {0, 30 * 1000000};
    nanosleep(&d, NULL);
    write(p[1], "x", 1);
    return NULL;
}

int main(void)
{
    pipe(p);
    struct pollfd pf[2] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}};
    double t0 = now();
    int n = poll(pf, 1, 40);
    double waited = now() - t0;
    CHECK("rt-poll-timeout", n == 0 && waited >= 0.039 && waited < 0.5, "n=%d waited %.3f", n,
          waited);
    n = poll(pf, 2, 0);
    CHECK("rt-poll-writable", n == 1 && pf[1].revents == POLLOUT && pf[0].revents == 0,
          "n=%d revents %x %x", n, pf[0].revents, pf[1].revents);

    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x1234567890ull};
    int add = epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
    struct epoll_event got[4];
    CHECK("rt-epoll-empty", add == 0 && epoll_wait(ep, got, 4, 0) == 0, "add %d", add);
    pthread_t t;
    pthread_create(&t, NULL, late_writer, NULL);
    t0 = now();
    n = epoll_wait(ep, got, 4, 2000);
    waited = now() - t0;
    CHECK("rt-epoll-wakeup",
          n == 1 && got[0].events == EPOLLIN && got[0].data.u64 == 0x1234567890ull &&
                  waited >= 0.025 && waited<1.0, "n=%d events %x waited %.3f", n, n> 0
              ? got[0].events
              : 0,
          waited);
    pthread_join(t, NULL);
    char c;
    read(p[0], &c, 1);
    close(p[1]);
    n = epoll_wait(ep, got, 4, 100);
    CHECK("rt-epoll-hup", n == 1 && (got[0].events & EPOLLHUP), "n=%d events %x", n,
          n > 0 ? got[0].events : 0);
    CHECK("rt-epoll-del",
          epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL) == 0 && epoll_wait(ep, got, 4, 0) == 0,
          "still reported");
    return failures ? 1 : 0;
}

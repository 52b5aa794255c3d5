/*
 * runtime/libc/sock.h — what the fd layer, the dispatcher, the scheduler and the start-up call of
 * the runtime's sockets (runtime/libc/net/, built into uk-net.o with lwIP and linked only into
 * programs that use the network). Every symbol is weak: without uk-net.o they are NULL, socket()
 * fails with EAFNOSUPPORT and the scheduler idles as before.
 */
#ifndef RT_SOCK_H
#define RT_SOCK_H

#include <stdint.h>

struct rt_sock;

#define RT_WEAK __attribute__((weak))

/* Brings the network up from the command line's jeos.net= words (start.c calls it before main). */
void rt_net_init(void) RT_WEAK;

/* Every thread blocks: run the network until a frame, a timer or deadline_ns (0: none). */
void rt_net_idle(uint64_t deadline_ns) RT_WEAK;

/* Before poll, select and epoll look at descriptors: the frames waiting are taken in. */
void rt_net_kick(void) RT_WEAK;

/* The socket system calls (socket, bind, connect, accept4, sendto, ...): nr and the six
 * arguments; the result or a negative errno. */
long rt_sock_syscall(unsigned long nr, const uint64_t *args) RT_WEAK;

/* A descriptor's socket: read and write (nonblock: O_NONBLOCK on the descriptor), readiness as
 * poll's revents bits, a counter bumped at every change (epoll's edge triggering), ioctl, one
 * more or one less descriptor referring to it (the last one closes it). */
long rt_sock_read(struct rt_sock *s, void *buf, uint64_t n, int nonblock) RT_WEAK;
long rt_sock_write(struct rt_sock *s, const void *buf, uint64_t n, int nonblock) RT_WEAK;
short rt_sock_ready(struct rt_sock *s) RT_WEAK;
uint32_t rt_sock_gen(struct rt_sock *s) RT_WEAK;
long rt_sock_ioctl(struct rt_sock *s, unsigned long req, uint64_t arg) RT_WEAK;
void rt_sock_ref(struct rt_sock *s, int delta) RT_WEAK;

#endif

/*
 * unikernel/net/net.h — the TCP/IP stack: Debian's lwIP (built at make time from its source
 * package) over the network devices of drivers/netdev.h. The configuration comes from the
 * command line (jeos.net=...), the stack runs without threads: the POSIX runtime calls it from
 * system calls and from its idle loop, never from interrupts (one CPU).
 */
#ifndef UK_NET_NET_H
#define UK_NET_NET_H

#include <stddef.h>
#include <stdint.h>

enum net_mode { NET_NONE, NET_DHCP, NET_STATIC };

#define NET_MAX_DNS 3

/* What jeos.net= says (addresses as 4 bytes in network order). */
struct net_config {
    enum net_mode mode;
    uint8_t addr[4], gw[4];
    int prefix;  /* static: 0..32 */
    int have_gw; /* static: a gateway was given */
    uint8_t dns[NET_MAX_DNS][4];
    int ndns;
    char hostname[64]; /* sent with DHCP requests; "" for none */
};

/*
 * net_config_parse: applies every jeos.net=... and jeos.hostname=... word of `words` (a command
 * line, space-separated) to *cfg, later words overriding earlier ones:
 *   jeos.net=none | jeos.net=dhcp | jeos.net=A.B.C.D/N[,gw=A.B.C.D][,dns=A.B.C.D]...
 * Returns 0, or -22 (EINVAL) with the bad word and what was expected in why[0..whylen).
 */
int net_config_parse(const char *words, struct net_config *cfg, char *why, size_t whylen);

/*
 * net_start: lwIP, the loopback interface (127.0.0.1, ::1) and one interface per registered
 * netdev (eth0, eth1...: link-local IPv6 and SLAAC on each); eth0 gets cfg's IPv4 (static now,
 * or DHCP started with cfg->hostname). With NET_DHCP, waits for the lease until timeout_ns
 * (monotonic, from now) and goes on without one after that (DHCP keeps trying). Prints
 * "jeos: network eth0 ADDR/N via GW (dhcp|static)" once eth0 has its address, or why not.
 * `rand` fills buffers with random bytes (TCP sequence numbers, ports, DHCP ids). 0 or a
 * negative errno (no memory).
 */
int net_start(const struct net_config *cfg, void (*rand)(void *buf, size_t n), uint64_t timeout_ns);

/* net_poll: received frames handed to lwIP, lwIP's timers that are due run, queued frames sent.
 * Returns how many frames and timers it handled. */
int net_poll(void);

/* net_flush: hands every frame lwIP queued to the devices (one notify per device and batch). */
void net_flush(void);

/*
 * net_idle: nothing to run: arms every device and halts (or waits in the host) until a frame,
 * the next lwIP timer or deadline_ns (monotonic; 0 = none), then net_poll. Returns what
 * net_poll returned.
 */
int net_idle(uint64_t deadline_ns);

/* The DNS servers in use (from the configuration or the DHCP lease): up to max, count returned. */
int net_dns_servers(uint8_t (*out)[4], int max);

/* One line per interface for diagnostics: name, MAC, addresses, counters. */
void net_print_status(void);

#endif

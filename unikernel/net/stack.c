/*
 * unikernel/net/stack.c — lwIP's system side for the jeos kernel: bring-up from the
 * configuration, the poll loop and lwIP's timers on the monotonic clock, waiting for devices,
 * memory from the kernel heap, random numbers from the runtime (see net.h).
 */
#include "lwip/dhcp.h"
#include "lwip/dns.h"
#include "lwip/init.h"
#include "lwip/ip_addr.h"
#include "lwip/netif.h"
#include "lwip/sys.h"
#include "lwip/timeouts.h"
#include "stdlib.h" /* net_atoi */

#include "console/console.h"
#include "drivers/netdev.h"
#include "lib/string.h"
#include "memory/memory.h"
#include "net/net.h"
#include "net/netif.h"
#include "time/time.h"

static void (*rand_fill)(void *buf, size_t n);
static struct netif *eth0;
static struct net_config config;
static int announced;
static char hostname[64];

/* ---- what lwIP needs of the system ---- */

u32_t sys_now(void)
{
    return (u32_t)(time_monotonic_ns() / 1000000u);
}

void *net_mem_alloc(size_t size)
{
    return heap_alloc(size);
}

void *net_mem_calloc(size_t n, size_t size)
{
    if (size && n > (size_t)-1 / size)
        return NULL;
    void *p = heap_alloc(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void net_mem_free(void *p)
{
    heap_free(p);
}

uint32_t net_rand32(void)
{
    uint32_t r = 0;
    if (rand_fill)
        rand_fill(&r, sizeof(r));
    else
        r = (uint32_t)time_monotonic_ns() * 2654435761u;
    return r;
}

/* RFC 6528's shape: a clock ticking every 4 µs plus a secret, random per connection here. */
uint32_t net_tcp_isn(void)
{
    return (uint32_t)(time_monotonic_ns() / 4000u) + net_rand32();
}

int net_atoi(const char *s)
{
    int v = 0, neg = *s == '-';
    s += neg || *s == '+';
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (*s++ - '0');
    return neg ? -v : v;
}

/* ---- bring-up ---- */

static int prefix_of_mask(uint32_t mask_host)
{
    int n = 0;
    while (mask_host & 0x80000000u) {
        n++;
        mask_host <<= 1;
    }
    return n;
}

static void ip4_text(const ip4_addr_t *a, char *buf, size_t n)
{
    const uint8_t *b = (const uint8_t *)&a->addr;
    uk_snprintf(buf, n, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
}

/* "jeos: network eth0 ADDR/N via GW (dhcp|static)", once eth0 has an IPv4 address. */
static void announce(void)
{
    if (announced || !eth0 || ip4_addr_isany_val(*netif_ip4_addr(eth0)))
        return;
    announced = 1;
    char a[16], g[16];
    ip4_text(netif_ip4_addr(eth0), a, sizeof(a));
    ip4_text(netif_ip4_gw(eth0), g, sizeof(g));
    int prefix = prefix_of_mask(lwip_ntohl(ip4_addr_get_u32(netif_ip4_netmask(eth0))));
    struct netdev *nd = net_netif_dev(eth0);
    if (ip4_addr_isany_val(*netif_ip4_gw(eth0)))
        printk("jeos: network %s %s/%d (%s)\n", nd->name, a, prefix,
               config.mode == NET_DHCP ? "dhcp" : "static");
    else
        printk("jeos: network %s %s/%d via %s (%s)\n", nd->name, a, prefix, g,
               config.mode == NET_DHCP ? "dhcp" : "static");
}

static void status_changed(struct netif *netif)
{
    if (netif == eth0)
        announce();
}

static void ip4_of(ip4_addr_t *a, const uint8_t b[4])
{
    IP4_ADDR(a, b[0], b[1], b[2], b[3]);
}

int net_start(const struct net_config *cfg, void (*rand)(void *buf, size_t n), uint64_t timeout_ns)
{
    config = *cfg;
    rand_fill = rand;
    lwip_init(); /* the loopback interface too (LWIP_HAVE_LOOPIF) */
    if (cfg->mode == NET_NONE)
        return 0;
    for (unsigned i = 0; i < netdev_count(); i++) {
        struct netif *n = net_netif_add(netdev_get(i));
        if (!n)
            return -12;
        if (!eth0)
            eth0 = n;
    }
    if (!eth0) {
        printk("jeos: network: no network device (loopback only)\n");
        return 0;
    }
    netif_set_default(eth0);
    netif_set_status_callback(eth0, status_changed);
    if (cfg->mode == NET_STATIC) {
        ip4_addr_t a, m, g;
        ip4_of(&a, cfg->addr);
        ip4_addr_set_u32(&m, cfg->prefix ? lwip_htonl(~0u << (32 - cfg->prefix)) : 0);
        ip4_addr_set_zero(&g);
        if (cfg->have_gw)
            ip4_of(&g, cfg->gw);
        netif_set_addr(eth0, &a, &m, &g);
        for (int i = 0; i < cfg->ndns; i++) {
            ip_addr_t d;
            ip4_of(ip_2_ip4(&d), cfg->dns[i]);
            IP_SET_TYPE_VAL(d, IPADDR_TYPE_V4);
            dns_setserver((u8_t)i, &d);
        }
        announce();
        return 0;
    }
    memcpy(hostname, cfg->hostname, sizeof(hostname));
    if (hostname[0])
        netif_set_hostname(eth0, hostname);
    if (dhcp_start(eth0) != ERR_OK)
        return -12;
    uint64_t deadline = time_monotonic_ns() + timeout_ns;
    while (!announced && time_monotonic_ns() < deadline)
        net_idle(deadline);
    if (!announced)
        printk("jeos: network %s: no DHCP lease after %u s (DHCP goes on trying)\n",
               net_netif_dev(eth0)->name, (unsigned)(timeout_ns / 1000000000u));
    return 0;
}

/* ---- running ---- */

static int loop_pending(void)
{
    struct netif *n;
    NETIF_FOREACH(n)
    {
        if (n->loop_first)
            return 1;
    }
    return 0;
}

static int poll_all(int idle)
{
    int done = net_netif_poll(idle);
    if (loop_pending()) {
        netif_poll_all();
        done++;
    }
    u32_t wait = sys_timeouts_sleeptime();
    if (wait == 0) {
        sys_check_timeouts();
        done++;
    }
    net_flush();
    return done;
}

int net_poll(void)
{
    return poll_all(0);
}

int net_idle(uint64_t deadline_ns)
{
    net_flush();
    uint64_t now = time_monotonic_ns();
    u32_t ms = sys_timeouts_sleeptime();
    uint64_t until = now + 10000000000ull; /* at least every 10 s: a wait never hangs */
    if (ms != SYS_TIMEOUTS_SLEEPTIME_INFINITE && now + (uint64_t)ms * 1000000u < until)
        until = now + (uint64_t)ms * 1000000u;
    if (deadline_ns && deadline_ns < until)
        until = deadline_ns;
    if (!net_netif_pending() && !loop_pending() && until > now)
        netdev_wait(until);
    return poll_all(1);
}

int net_dns_servers(uint8_t (*out)[4], int max)
{
    int n = 0;
    for (u8_t i = 0; i < DNS_MAX_SERVERS && n < max; i++) {
        const ip_addr_t *d = dns_getserver(i);
        if (!IP_IS_V4(d) || ip4_addr_isany_val(*ip_2_ip4(d)))
            continue;
        memcpy(out[n++], &ip_2_ip4(d)->addr, 4);
    }
    return n;
}

void net_print_status(void)
{
    struct netif *n;
    NETIF_FOREACH(n)
    {
        char a[16];
        ip4_text(netif_ip4_addr(n), a, sizeof(a));
        struct netdev *nd = net_netif_dev(n);
        if (!nd) {
            printk("net: lo %s\n", a);
            continue;
        }
        printk("net: %s %02x:%02x:%02x:%02x:%02x:%02x %s rx %llu frames tx %llu frames "
               "(%llu errors, %llu full)\n",
               nd->name, nd->mac[0], nd->mac[1], nd->mac[2], nd->mac[3], nd->mac[4], nd->mac[5], a,
               (unsigned long long)nd->stats.rx_frames, (unsigned long long)nd->stats.tx_frames,
               (unsigned long long)nd->stats.tx_errors, (unsigned long long)nd->stats.tx_full);
    }
}

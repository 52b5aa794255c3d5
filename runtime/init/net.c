/* net.c — loopback, a static address, and a small DHCPv4 client over a packet socket (RFC 2131). */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "runtime/init/init.h"

static int ifreq_sock(void)
{
    return socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

static int if_up(int s, const char *ifname)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
        return -1;
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    return ioctl(s, SIOCSIFFLAGS, &ifr);
}

static int set_addr(int s, const char *ifname, unsigned long req, uint32_t addr)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
    struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = addr;
    return ioctl(s, req, &ifr);
}

int net_loopback_up(void)
{
    int s = ifreq_sock();
    if (s < 0)
        return -1;
    int rc = set_addr(s, "lo", SIOCSIFADDR, htonl(INADDR_LOOPBACK));
    if (rc == 0)
        rc = set_addr(s, "lo", SIOCSIFNETMASK, htonl(0xff000000u));
    if (rc == 0)
        rc = if_up(s, "lo");
    if (rc)
        init_log("loopback: %s", strerror(errno));
    close(s);
    return rc;
}

int net_first_ether(char *ifname)
{
    DIR *d = opendir("/sys/class/net");
    if (!d)
        return -1;
    struct dirent *e;
    char best[IFNAMSIZ] = "";
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || strlen(e->d_name) >= IFNAMSIZ)
            continue;
        char path[300], buf[16] = "";
        snprintf(path, sizeof(path), "/sys/class/net/%s/type", e->d_name);
        FILE *f = fopen(path, "re");
        if (!f)
            continue;
        if (!fgets(buf, sizeof(buf), f))
            buf[0] = 0;
        fclose(f);
        if (atoi(buf) != 1) /* ARPHRD_ETHER */
            continue;
        if (!best[0] || strcmp(e->d_name, best) < 0) /* sorted: the same pick every boot */
            memcpy(best, e->d_name, strlen(e->d_name) + 1);
    }
    closedir(d);
    if (!best[0])
        return -1;
    strcpy(ifname, best);
    return 0;
}

static int add_default_route(int s, const char *ifname, uint32_t gw)
{
    char dev[IFNAMSIZ];
    snprintf(dev, sizeof(dev), "%s", ifname);
    struct rtentry rt;
    memset(&rt, 0, sizeof(rt));
    struct sockaddr_in *dst = (struct sockaddr_in *)&rt.rt_dst;
    struct sockaddr_in *mask = (struct sockaddr_in *)&rt.rt_genmask;
    struct sockaddr_in *gate = (struct sockaddr_in *)&rt.rt_gateway;
    dst->sin_family = mask->sin_family = gate->sin_family = AF_INET;
    gate->sin_addr.s_addr = gw;
    rt.rt_flags = RTF_UP | RTF_GATEWAY;
    rt.rt_dev = dev; /* through this interface, whatever else routes to the gateway */
    if (ioctl(s, SIOCADDRT, &rt) < 0 && errno != EEXIST)
        return -1;
    return 0;
}

static int configure(const char *ifname, uint32_t ip, uint32_t mask, uint32_t gw)
{
    int s = ifreq_sock();
    if (s < 0)
        return -1;
    int rc = 0;
    if (set_addr(s, ifname, SIOCSIFADDR, ip) < 0 || set_addr(s, ifname, SIOCSIFNETMASK, mask) < 0 ||
        set_addr(s, ifname, SIOCSIFBRDADDR, ip | ~mask) < 0 || if_up(s, ifname) < 0) {
        init_log("%s: cannot set the address: %s", ifname, strerror(errno));
        rc = -1;
    } else if (gw && add_default_route(s, ifname, gw) < 0) {
        init_log("%s: cannot add the default route: %s", ifname, strerror(errno));
        rc = -1;
    }
    close(s);
    return rc;
}

static uint32_t prefix_mask(int prefix)
{
    return prefix == 0 ? 0 : htonl(0xffffffffu << (32 - prefix));
}

int net_static(const char *ifname, const char *addr, int prefix, const char *gw)
{
    struct in_addr a, g = {0};
    if (inet_pton(AF_INET, addr, &a) != 1 || (gw && *gw && inet_pton(AF_INET, gw, &g) != 1)) {
        init_log("%s: bad static address %s", ifname, addr);
        return -1;
    }
    return configure(ifname, a.s_addr, prefix_mask(prefix), g.s_addr);
}

int net_apply_lease(const char *ifname, const struct dhcp_lease *l)
{
    return configure(ifname, l->ip, l->mask, l->router);
}

/* ---- DHCPv4 ---- */

#define DHCP_DISCOVER 1
#define DHCP_OFFER    2
#define DHCP_REQUEST  3
#define DHCP_ACK      5
#define DHCP_NAK      6
#define BOOTP_LEN     236

struct dhcp_ctx {
    int sock, ifindex;
    uint8_t mac[6];
    uint32_t xid;
};

static uint16_t ip_checksum(const uint8_t *p, size_t n)
{
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)p[i] << 8 | p[i + 1];
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* Sends one DHCP message of `type` as a broadcast UDP 68 -> 67 packet. */
static int dhcp_send(struct dhcp_ctx *c, int type, uint32_t ciaddr, uint32_t req_ip,
                     uint32_t server)
{
    uint8_t pkt[576];
    memset(pkt, 0, sizeof(pkt));
    uint8_t *ip = pkt, *udp = pkt + 20, *b = pkt + 28;
    b[0] = 1, b[1] = 1, b[2] = 6; /* BOOTREQUEST, Ethernet, hlen 6 */
    memcpy(b + 4, &c->xid, 4);
    b[10] = 0x80; /* broadcast flag: we have no address to receive unicast on */
    memcpy(b + 12, &ciaddr, 4);
    memcpy(b + 28, c->mac, 6);
    uint8_t *o = b + BOOTP_LEN;
    o[0] = 99, o[1] = 130, o[2] = 83, o[3] = 99; /* magic cookie */
    o += 4;
    *o++ = 53, *o++ = 1, *o++ = (uint8_t)type;
    if (req_ip) {
        *o++ = 50, *o++ = 4;
        memcpy(o, &req_ip, 4), o += 4;
    }
    if (server) {
        *o++ = 54, *o++ = 4;
        memcpy(o, &server, 4), o += 4;
    }
    *o++ = 55, *o++ = 4, *o++ = 1, *o++ = 3, *o++ = 6, *o++ = 51; /* mask, router, dns, lease */
    *o++ = 255;
    size_t blen = (size_t)(o - b);
    if (blen < 300)
        blen = 300; /* some servers want a BOOTP-sized packet */
    size_t total = 28 + blen;
    ip[0] = 0x45, ip[8] = 64, ip[9] = 17;
    ip[2] = (uint8_t)(total >> 8), ip[3] = (uint8_t)total;
    memset(ip + 16, 0xff, 4); /* to 255.255.255.255 from 0.0.0.0 */
    uint16_t ck = ip_checksum(ip, 20);
    ip[10] = (uint8_t)(ck >> 8), ip[11] = (uint8_t)ck;
    udp[0] = 0, udp[1] = 68, udp[2] = 0, udp[3] = 67;
    udp[4] = (uint8_t)((8 + blen) >> 8), udp[5] = (uint8_t)(8 + blen); /* checksum 0: none */

    struct sockaddr_ll to;
    memset(&to, 0, sizeof(to));
    to.sll_family = AF_PACKET;
    to.sll_protocol = htons(ETH_P_IP);
    to.sll_ifindex = c->ifindex;
    to.sll_halen = 6;
    memset(to.sll_addr, 0xff, 6);
    if (sendto(c->sock, pkt, total, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
        return -1;
    return 0;
}

/* Waits until `deadline_ms` (CLOCK_MONOTONIC) for a reply of one of the wanted types. */
static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int dhcp_recv(struct dhcp_ctx *c, long long deadline, struct dhcp_lease *l)
{
    uint8_t pkt[1500];
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0)
            return -1;
        struct pollfd p = {.fd = c->sock, .events = POLLIN};
        if (poll(&p, 1, (int)left) <= 0)
            continue;
        ssize_t n = recv(c->sock, pkt, sizeof(pkt), 0);
        if (n < 28)
            continue;
        size_t ihl = (size_t)(pkt[0] & 15) * 4;
        if ((pkt[0] >> 4) != 4 || pkt[9] != 17 || (size_t)n < ihl + 8 + BOOTP_LEN + 4)
            continue;
        const uint8_t *udp = pkt + ihl, *b = udp + 8;
        if (udp[2] != 0 || udp[3] != 68 || b[0] != 2 || memcmp(b + 4, &c->xid, 4) != 0 ||
            memcmp(b + 28, c->mac, 6) != 0)
            continue;
        const uint8_t *o = b + BOOTP_LEN, *end = pkt + n;
        if (o[0] != 99 || o[1] != 130 || o[2] != 83 || o[3] != 99)
            continue;
        o += 4;
        memset(l, 0, sizeof(*l));
        memcpy(&l->ip, b + 16, 4); /* yiaddr */
        int type = 0;
        while (o < end && *o != 255) {
            if (*o == 0) {
                o++;
                continue;
            }
            if (o + 2 > end || o + 2 + o[1] > end)
                break;
            uint8_t code = o[0], len = o[1];
            const uint8_t *v = o + 2;
            if (code == 53 && len == 1)
                type = v[0];
            else if (code == 1 && len == 4)
                memcpy(&l->mask, v, 4);
            else if (code == 3 && len >= 4)
                memcpy(&l->router, v, 4);
            else if (code == 54 && len == 4)
                memcpy(&l->server, v, 4);
            else if (code == 51 && len == 4)
                l->lease_secs =
                    (unsigned)v[0] << 24 | (unsigned)v[1] << 16 | (unsigned)v[2] << 8 | v[3];
            else if (code == 6)
                for (int i = 0; i + 4 <= len && l->ndns < INIT_MAX_DNS; i += 4)
                    memcpy(&l->dns[l->ndns++], v + i, 4);
            o += 2 + len;
        }
        if (type)
            return type;
    }
}

/* Opens the packet socket on `ifname` (brought up) and fills `c`. 0 or -1 (logged). */
static int dhcp_open(const char *ifname, struct dhcp_ctx *c)
{
    memset(c, 0, sizeof(*c));
    c->sock = -1;
    int s = ifreq_sock(), rc = -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
    if (s < 0 || ioctl(s, SIOCGIFINDEX, &ifr) < 0) {
        init_log("dhcp: %s: %s", ifname, strerror(errno));
        goto out;
    }
    c->ifindex = ifr.ifr_ifindex;
    if (ioctl(s, SIOCGIFHWADDR, &ifr) < 0 || if_up(s, ifname) < 0) {
        init_log("dhcp: %s: %s", ifname, strerror(errno));
        goto out;
    }
    memcpy(c->mac, ifr.ifr_hwaddr.sa_data, 6);
    c->sock = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IP));
    if (c->sock < 0) {
        init_log("dhcp: packet socket: %s", strerror(errno));
        goto out;
    }
    struct sockaddr_ll me;
    memset(&me, 0, sizeof(me));
    me.sll_family = AF_PACKET;
    me.sll_protocol = htons(ETH_P_IP);
    me.sll_ifindex = c->ifindex;
    if (bind(c->sock, (struct sockaddr *)&me, sizeof(me)) < 0) {
        init_log("dhcp: bind: %s", strerror(errno));
        close(c->sock);
        c->sock = -1;
        goto out;
    }
    /* A transaction id from the MAC and the clock: unique enough on one link. */
    c->xid = (uint32_t)now_ms() ^ ((uint32_t)c->mac[2] << 24 | (uint32_t)c->mac[3] << 16 |
                                   (uint32_t)c->mac[4] << 8 | c->mac[5]);
    rc = 0;
out:
    if (s >= 0)
        close(s);
    return rc;
}

/* Waits for a reply of type `want` (skipping others, e.g. a late OFFER); NAK ends the wait. */
static int dhcp_expect(struct dhcp_ctx *c, int want, long long deadline, struct dhcp_lease *l)
{
    for (;;) {
        int t = dhcp_recv(c, deadline, l);
        if (t < 0 || t == want || t == DHCP_NAK)
            return t;
    }
}

int net_dhcp(const char *ifname, struct dhcp_lease *lease, int timeout_ms)
{
    struct dhcp_ctx c;
    if (dhcp_open(ifname, &c) < 0)
        return -1;
    int rc = -1;
    long long give_up = now_ms() + timeout_ms;
    int wait = 500;
    while (now_ms() < give_up) {
        struct dhcp_lease offer;
        if (dhcp_send(&c, DHCP_DISCOVER, 0, 0, 0) < 0) {
            init_log("dhcp: send: %s", strerror(errno));
            goto out;
        }
        long long d = now_ms() + wait;
        wait = wait < 4000 ? wait * 2 : wait;
        if (dhcp_expect(&c, DHCP_OFFER, d < give_up ? d : give_up, &offer) != DHCP_OFFER)
            continue;
        if (dhcp_send(&c, DHCP_REQUEST, 0, offer.ip, offer.server) < 0)
            goto out;
        int t = dhcp_expect(&c, DHCP_ACK, now_ms() + 3000, lease);
        if (t == DHCP_ACK) {
            if (!lease->mask)
                lease->mask = htonl(0xffffff00u);
            if (!lease->server)
                lease->server = offer.server;
            rc = 0;
            goto out;
        }
        if (t == DHCP_NAK)
            init_log("dhcp: %s: request refused (NAK); starting over", ifname);
    }
    init_log("dhcp: %s: no lease within %d ms", ifname, timeout_ms);
out:
    close(c.sock);
    return rc;
}

int net_dhcp_renew(const char *ifname, struct dhcp_lease *lease, int timeout_ms)
{
    struct dhcp_ctx c;
    if (dhcp_open(ifname, &c) < 0)
        return -1;
    int rc = -1;
    long long give_up = now_ms() + timeout_ms;
    int wait = 1000;
    while (now_ms() < give_up) {
        /* RFC 2131 4.3.2: a REQUEST from the address we hold, without server id or
           requested-address options. Broadcast, as in REBINDING: any server may answer. */
        if (dhcp_send(&c, DHCP_REQUEST, lease->ip, 0, 0) < 0)
            break;
        long long d = now_ms() + wait;
        wait *= 2;
        struct dhcp_lease got;
        int t = dhcp_expect(&c, DHCP_ACK, d < give_up ? d : give_up, &got);
        if (t == DHCP_NAK) {
            rc = -2;
            break;
        }
        if (t == DHCP_ACK && got.ip == lease->ip) {
            if (!got.mask)
                got.mask = lease->mask;
            if (!got.router)
                got.router = lease->router;
            if (!got.server)
                got.server = lease->server;
            *lease = got;
            rc = 0;
            break;
        }
    }
    close(c.sock);
    return rc;
}

/* runtime/libc/net/addr.c — socket addresses: struct sockaddr_in and sockaddr_in6 (IPv4-mapped
 * IPv6 for IPv4 peers of IPv6 sockets) to and from lwIP's (see sock_int.h). */
#include "lib/string.h"
#include "lwip/ip_addr.h"
#include "rt.h"
#include "sock_int.h"

struct sa_in {
    uint16_t family, port;
    uint32_t addr;
    uint8_t zero[8];
};

struct sa_in6 {
    uint16_t family, port;
    uint32_t flowinfo;
    uint8_t addr[16];
    uint32_t scope_id;
};

static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

void sa_any(int family, int v6only, ip_addr_t *ip)
{
    if (family == RT_AF_INET)
        ip_addr_set_any(0, ip);
    else if (v6only)
        ip_addr_set_any(1, ip);
    else
        *ip = *IP_ANY_TYPE;
}

int sa_get(const void *sa, uint32_t len, int family, ip_addr_t *ip, uint16_t *port)
{
    if (!sa)
        return -RT_EFAULT;
    if (len < 2)
        return -RT_EINVAL;
    uint16_t f;
    memcpy(&f, sa, 2);
    if (family == RT_AF_INET) {
        if (f != RT_AF_INET)
            return -RT_EAFNOSUPPORT;
        if (len < sizeof(struct sa_in))
            return -RT_EINVAL;
        struct sa_in in;
        memcpy(&in, sa, sizeof(in));
        ip_addr_set_ip4_u32_val(*ip, in.addr);
        *port = lwip_ntohs(in.port);
        return 0;
    }
    if (f != RT_AF_INET6)
        return -RT_EAFNOSUPPORT;
    if (len < 24) /* sockaddr_in6 without sin6_scope_id (RFC 2133) is accepted, as Linux does */
        return -RT_EINVAL;
    struct sa_in6 in6 = {0};
    memcpy(&in6, sa, len < sizeof(in6) ? len : sizeof(in6));
    *port = lwip_ntohs(in6.port);
    if (memcmp(in6.addr, v4mapped, 12) == 0) {
        uint32_t a;
        memcpy(&a, in6.addr + 12, 4);
        ip_addr_set_ip4_u32_val(*ip, a);
        return 0;
    }
    static const uint8_t zero[16];
    if (memcmp(in6.addr, zero, 16) == 0) {
        *ip = *IP_ANY_TYPE; /* :: — the caller narrows it for V6ONLY */
        return 0;
    }
    IP_SET_TYPE_VAL(*ip, IPADDR_TYPE_V6);
    memcpy(ip_2_ip6(ip)->addr, in6.addr, 16);
    ip6_addr_clear_zone(ip_2_ip6(ip));
    if (ip6_addr_islinklocal(ip_2_ip6(ip)) && in6.scope_id)
        ip6_addr_set_zone(ip_2_ip6(ip), (u8_t)in6.scope_id);
    return 0;
}

void sa_put(const ip_addr_t *ip, uint16_t port, int family, void *sa, uint32_t *len)
{
    uint8_t buf[sizeof(struct sa_in6)];
    uint32_t size;
    if (family == RT_AF_INET) {
        struct sa_in in = {.family = RT_AF_INET, .port = lwip_htons(port)};
        in.addr = IP_IS_V4(ip) ? ip4_addr_get_u32(ip_2_ip4(ip)) : 0;
        size = sizeof(in);
        memcpy(buf, &in, size);
    } else {
        struct sa_in6 in6 = {.family = RT_AF_INET6, .port = lwip_htons(port)};
        if (IP_IS_V4(ip)) {
            memcpy(in6.addr, v4mapped, 12);
            uint32_t a = ip4_addr_get_u32(ip_2_ip4(ip));
            memcpy(in6.addr + 12, &a, 4);
        } else if (IP_IS_V6(ip)) {
            memcpy(in6.addr, ip_2_ip6(ip)->addr, 16);
            if (ip6_addr_has_zone(ip_2_ip6(ip)))
                in6.scope_id = ip6_addr_zone(ip_2_ip6(ip));
        } /* the any type: :: */
        size = sizeof(in6);
        memcpy(buf, &in6, size);
    }
    if (sa && len)
        memcpy(sa, buf, *len < size ? *len : size);
    if (len)
        *len = size;
}

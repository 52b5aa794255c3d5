/*
 * runtime/libc/net/start.c — the network at process start: the configuration from the command
 * line (jeos build bakes the recipe's network in as jeos.net=; the loader's words come after and
 * win), the stack brought up, /etc/resolv.conf written from the name servers in use.
 */
#include "console/console.h"
#include "lib/string.h"
#include "memory/memory.h"
#include "net/net.h"
#include "rt.h"
#include "sock.h"
#include "uk.h"

#define DHCP_WAIT_NS 30000000000ull /* a DHCP lease is waited for at most 30 s at boot */

extern const char uk_app_cmdline[] __attribute__((weak));

/* "nameserver A.B.C.D" lines for musl's resolver, unless the recipe's files: has the file. */
static void write_resolv_conf(void)
{
    uint8_t dns[NET_MAX_DNS][4];
    int n = net_dns_servers(dns, NET_MAX_DNS);
    char *buf = heap_alloc(64 * NET_MAX_DNS + 1);
    if (!buf)
        return;
    int len = 0;
    for (int i = 0; i < n; i++)
        len += uk_snprintf(buf + len, 64, "nameserver %u.%u.%u.%u\n", dns[i][0], dns[i][1],
                           dns[i][2], dns[i][3]);
    if (rt_fs_add_file("/etc/resolv.conf", buf, (uint64_t)len) < 0)
        heap_free(buf);
}

void rt_net_init(void)
{
    struct net_config cfg = {.mode = NET_NONE};
    char why[160];
    if (uk_app_cmdline && net_config_parse(uk_app_cmdline, &cfg, why, sizeof(why)) < 0) {
        printk("jeos: the command line jeos build wrote: %s\n", why);
        uk_exit(2);
    }
    if (net_config_parse(uk_cmdline(), &cfg, why, sizeof(why)) < 0) {
        printk("jeos: command line: %s\n", why);
        uk_exit(2);
    }
    if (net_start(&cfg, rt_random_bytes, DHCP_WAIT_NS) < 0) {
        printk("jeos: network: out of memory bringing it up\n");
        uk_exit(127);
    }
    write_resolv_conf();
}

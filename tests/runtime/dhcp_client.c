/* dhcp_client.c — drives runtime/init's DHCP client on one interface, for dhcp_test.sh. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "runtime/init/init.h"

void init_log(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("log: ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

static void show(const char *what, const struct dhcp_lease *l)
{
    char ip[16], mask[16], gw[16], srv[16], dns[16] = "-";
    inet_ntop(AF_INET, &l->ip, ip, sizeof(ip));
    inet_ntop(AF_INET, &l->mask, mask, sizeof(mask));
    inet_ntop(AF_INET, &l->router, gw, sizeof(gw));
    inet_ntop(AF_INET, &l->server, srv, sizeof(srv));
    if (l->ndns)
        inet_ntop(AF_INET, &l->dns[0], dns, sizeof(dns));
    printf("%s ip=%s mask=%s router=%s server=%s dns=%s secs=%u\n", what, ip, mask, gw, srv, dns,
           l->lease_secs);
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    struct dhcp_lease l;
    if (net_dhcp(argv[1], &l, 5000) != 0)
        return 1;
    show("lease", &l);
    printf("apply rc=%d\n", net_apply_lease(argv[1], &l));
    int rc = net_dhcp_renew(argv[1], &l, 3000); /* the server ACKs with a new lease time */
    printf("renew rc=%d\n", rc);
    show("renewed", &l);
    rc = net_dhcp_renew(argv[1], &l, 3000); /* the server NAKs this one */
    printf("renew rc=%d\n", rc);
    fflush(stdout);
    return 0;
}

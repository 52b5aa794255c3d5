/* unikernel/net/netif.h — the lwIP interfaces over netdevs (netif.c), for the stack (stack.c). */
#ifndef UK_NET_NETIF_H
#define UK_NET_NETIF_H

struct netdev;
struct netif;

/* net_netif_add: an interface over nd, up, link-local IPv6 and SLAAC on; NULL when full. */
struct netif *net_netif_add(struct netdev *nd);

/* net_netif_poll: frames from every device into lwIP, link changes; idle: the CPU has nothing
 * else to do (devices without interrupts are asked every time). Returns the frames handled. */
int net_netif_poll(int idle);

/* net_netif_pending: a device interrupted, or frames wait that a device without interrupts may
 * take now (frames an interrupting device refused wait for its interrupt). */
int net_netif_pending(void);

/* The netdev under an interface, or NULL (loopback). */
struct netdev *net_netif_dev(struct netif *netif);

#endif

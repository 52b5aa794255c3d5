/*
 * unikernel/net/include/lwipopts.h — lwIP's configuration for the jeos unikernel: a server
 * stack driven without threads (NO_SYS: the runtime calls it from system calls and the idle
 * loop, one CPU, never from interrupts), IPv4 and IPv6, TCP with window scaling and SACK,
 * DHCP, DNS servers, loopback, memory from the kernel heap and no fixed pools.
 */
#ifndef UK_NET_LWIPOPTS_H
#define UK_NET_LWIPOPTS_H

/* ---- system ---- */
#define NO_SYS               1
#define LWIP_TIMERS          1
#define SYS_LIGHTWEIGHT_PROT 0 /* one CPU and lwIP is never entered from an interrupt */
#define LWIP_NETCONN         0 /* the BSD sockets are runtime/libc's, over the raw API */
#define LWIP_SOCKET          0
#define LWIP_RAW             0
#define LWIP_CALLBACK_API    1

/* ---- memory: the kernel heap for everything, pools included (no fixed arrays) ---- */
#define MEM_LIBC_MALLOC         1
#define mem_clib_malloc         net_mem_alloc
#define mem_clib_free           net_mem_free
#define mem_clib_calloc         net_mem_calloc
#define MEMP_MEM_MALLOC         1
#define MEM_ALIGNMENT           8
#define MEMP_NUM_TCP_PCB        1100 /* documentation of the target: PCBs come from the heap */
#define MEMP_NUM_TCP_PCB_LISTEN 32
#define MEMP_NUM_UDP_PCB        64
#define MEMP_NUM_TCP_SEG        4096
#define PBUF_POOL_SIZE          256
#define MEMP_NUM_SYS_TIMEOUT    16

/* ---- link and IP ---- */
#define LWIP_ETHERNET                 1
#define LWIP_ARP                      1
#define ARP_TABLE_SIZE                64
#define ARP_QUEUEING                  1
#define MEMP_NUM_ARP_QUEUE            64
#define ETHARP_SUPPORT_STATIC_ENTRIES 0
#define LWIP_IPV4                     1
#define LWIP_IPV6                     1
#define IP_FORWARD                    0
#define IP_REASSEMBLY                 1
#define IP_FRAG                       1
#define IP_DEFAULT_TTL                64
#define LWIP_ICMP                     1
#define LWIP_BROADCAST_PING           0
#define LWIP_IGMP                     0
#define LWIP_AUTOIP                   0
#define LWIP_IPV6_AUTOCONFIG          1
#define LWIP_IPV6_SEND_ROUTER_SOLICIT 1
#define LWIP_IPV6_MLD                 1
#define LWIP_IPV6_FRAG                1
#define LWIP_IPV6_REASS               1
#define IPV6_FRAG_COPYHEADER          1 /* 64-bit pointers do not fit in the fragment header */
#define LWIP_IPV6_NUM_ADDRESSES       3
#define LWIP_IPV6_DHCP6               0
#define LWIP_ND6_ALLOW_RA_UPDATES     1
#define LWIP_ND6_NUM_NEIGHBORS        32
#define LWIP_ND6_NUM_DESTINATIONS     32

/* ---- network interfaces ---- */
#define LWIP_NETIF_HOSTNAME          1
#define LWIP_NETIF_STATUS_CALLBACK   1
#define LWIP_NETIF_LINK_CALLBACK     1
#define LWIP_HAVE_LOOPIF             1
#define LWIP_NETIF_LOOPBACK          1
#define LWIP_LOOPBACK_MAX_PBUFS      0
#define LWIP_NETIF_TX_SINGLE_PBUF    0 /* netif.c hands pbuf chains to the driver as pieces */
#define LWIP_CHECKSUM_CTRL_PER_NETIF 1
#define LWIP_SINGLE_NETIF            0

/* ---- DHCP and DNS (the resolver is musl's: lwIP keeps the servers DHCP gives) ---- */
#define LWIP_DHCP             1
#define DHCP_DOES_ARP_CHECK   0 /* no 1 s probe before using the lease */
#define LWIP_DHCP_GET_NTP_SRV 0
#define LWIP_DNS              1
#define DNS_MAX_SERVERS       3
#define LWIP_UDP              1

/* ---- TCP: a server's ---- */
#define LWIP_TCP                   1
#define TCP_MSS                    1460
#define LWIP_WND_SCALE             1
#define TCP_RCV_SCALE              2
#define TCP_WND                    (128 * 1024)
#define TCP_SND_BUF                (64 * 1024)
#define TCP_SND_QUEUELEN           ((4 * TCP_SND_BUF + TCP_MSS - 1) / TCP_MSS)
#define TCP_SNDLOWAT               (TCP_SND_BUF / 4)
#define TCP_OVERSIZE               TCP_MSS
#define TCP_QUEUE_OOSEQ            1
#define LWIP_TCP_SACK_OUT          1
#define LWIP_TCP_MAX_SACK_NUM      4
#define TCP_LISTEN_BACKLOG         1
#define TCP_DEFAULT_LISTEN_BACKLOG 128
#define LWIP_TCP_KEEPALIVE         1
#define TCP_TTL                    64
#define TCP_MAXRTX                 12
#define TCP_SYNMAXRTX              6
#define SO_REUSE                   1
#define LWIP_SO_RCVBUF             0
#define LWIP_TCP_TIMESTAMPS        0

/* ---- hooks (net_hooks.h): TCP initial sequence numbers from the random source ---- */
#define LWIP_HOOK_FILENAME                        "net_hooks.h"
#define LWIP_HOOK_TCP_ISN(lip, lport, rip, rport) net_tcp_isn()
#define LWIP_RAND()                               net_rand32()

/* ---- statistics and debugging ---- */
#define LWIP_STATS 0
#define LWIP_DEBUG 0

#endif

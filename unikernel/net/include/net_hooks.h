/* unikernel/net/include/net_hooks.h — what lwIP's hooks and lwipopts.h call in the jeos glue. */
#ifndef UK_NET_HOOKS_H
#define UK_NET_HOOKS_H

#include <stddef.h>
#include <stdint.h>

void *net_mem_alloc(size_t size);
void *net_mem_calloc(size_t n, size_t size);
void net_mem_free(void *p);
uint32_t net_rand32(void);
uint32_t net_tcp_isn(void);

#endif

/* unikernel/net/include/freestanding/stdlib.h — <stdlib.h> for lwIP's sources: netif.c's atoi,
 * renamed so the program's own (musl's) is untouched. */
#ifndef UK_NET_STDLIB_H
#define UK_NET_STDLIB_H
#define atoi net_atoi
int net_atoi(const char *s);
#endif

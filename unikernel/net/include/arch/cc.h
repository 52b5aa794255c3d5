/* unikernel/net/include/arch/cc.h — lwIP's port header for the jeos kernel: freestanding x86-64,
 * diagnostics on the console, assertions end the guest (kernel panic). */
#ifndef UK_NET_ARCH_CC_H
#define UK_NET_ARCH_CC_H

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/trap.h"
#include "console/console.h"
#include "net_hooks.h"

#define BYTE_ORDER LITTLE_ENDIAN

/* No inttypes.h, ctype.h or unistd.h in the kernel: lwIP's own definitions. */
#define LWIP_NO_INTTYPES_H 1
#define LWIP_NO_CTYPE_H    1
#if !__STDC_HOSTED__ /* the kernel; the host's headers for the fuzz target */
#define LWIP_NO_UNISTD_H 1
#endif
#define X8_F  "02x"
#define U16_F "u"
#define S16_F "d"
#define X16_F "x"
#define U32_F "u"
#define S32_F "d"
#define X32_F "x"
#define SZT_F "zu"

#define lwip_htons(x) ((u16_t)__builtin_bswap16(x))
#define lwip_htonl(x) ((u32_t)__builtin_bswap32(x))

#define LWIP_PLATFORM_DIAG(x)                                                                      \
    do {                                                                                           \
        printk x;                                                                                  \
    } while (0)
#define LWIP_PLATFORM_ASSERT(x)                                                                    \
    panic("lwIP: assertion \"%s\" failed at %s:%d", x, __FILE__, __LINE__)

#endif

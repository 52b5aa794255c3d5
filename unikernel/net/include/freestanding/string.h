/* unikernel/net/include/freestanding/string.h — <string.h> for lwIP's sources: the kernel's own
 * functions. */
#ifndef UK_NET_STRING_H
#define UK_NET_STRING_H
#include "lib/string.h"
#endif

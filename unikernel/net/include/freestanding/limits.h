/* unikernel/net/include/freestanding/limits.h — <limits.h> for lwIP's sources, from the compiler's
 * own macros (gcc's limits.h wants a C library's beneath it). */
#ifndef UK_NET_LIMITS_H
#define UK_NET_LIMITS_H
#define CHAR_BIT   __CHAR_BIT__
#define SCHAR_MAX  __SCHAR_MAX__
#define UCHAR_MAX  (__SCHAR_MAX__ * 2 + 1)
#define SHRT_MAX   __SHRT_MAX__
#define USHRT_MAX  (__SHRT_MAX__ * 2 + 1)
#define INT_MAX    __INT_MAX__
#define INT_MIN    (-__INT_MAX__ - 1)
#define UINT_MAX   (__INT_MAX__ * 2u + 1u)
#define LONG_MAX   __LONG_MAX__
#define LONG_MIN   (-__LONG_MAX__ - 1l)
#define ULONG_MAX  (__LONG_MAX__ * 2ul + 1ul)
#define LLONG_MAX  __LONG_LONG_MAX__
#define ULLONG_MAX (__LONG_LONG_MAX__ * 2ull + 1ull)
#endif

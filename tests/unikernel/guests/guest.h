/* tests/unikernel/guests/guest.h — what the block and network test guests share: reading the
 * numbers a driver wrote into a device's bus text. */
#ifndef TESTS_UNIKERNEL_GUESTS_GUEST_H
#define TESTS_UNIKERNEL_GUESTS_GUEST_H

#include <stdint.h>

/* The number (decimal, or hex after 0x) that follows the first `key` in s; 0 when none. */
static inline uint64_t hex_after(const char *s, const char *key)
{
    for (; *s; s++) {
        const char *a = s, *k = key;
        while (*k && *a == *k)
            a++, k++;
        if (*k)
            continue;
        uint64_t v = 0;
        int base = a[0] == '0' && a[1] == 'x' ? 16 : 10;
        for (a += base == 16 ? 2 : 0;; a++) {
            int d = *a >= '0' && *a <= '9'                 ? *a - '0'
                    : base == 16 && *a >= 'a' && *a <= 'f' ? *a - 'a' + 10
                                                           : -1;
            if (d < 0)
                return v;
            v = v * (uint64_t)base + (uint64_t)d;
        }
    }
    return 0;
}

#endif

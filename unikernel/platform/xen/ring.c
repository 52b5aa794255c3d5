/* unikernel/platform/xen/ring.c — the Xen console ring's output half (see ring.h). */
#include "ring.h"

#define OUT_SIZE ((uint32_t)sizeof(((struct xencons_interface *)0)->out))

int xencons_pending(volatile struct xencons_interface *r, const char **why)
{
    uint32_t cons = __atomic_load_n(&r->out_cons, __ATOMIC_ACQUIRE);
    uint32_t used = r->out_prod - cons;
    if (used > OUT_SIZE) {
        *why = "console ring: the backend's out_cons is more than the ring's 2048 bytes from "
               "out_prod";
        return -5;
    }
    return (int)used;
}

int xencons_put(volatile struct xencons_interface *r, const char *s, size_t n, const char **why)
{
    int used = xencons_pending(r, why);
    if (used < 0)
        return used;
    uint32_t prod = r->out_prod, room = OUT_SIZE - (uint32_t)used;
    uint32_t k = n < room ? (uint32_t)n : room;
    for (uint32_t i = 0; i < k; i++)
        r->out[(prod + i) & (OUT_SIZE - 1)] = s[i];
    __atomic_thread_fence(__ATOMIC_RELEASE); /* the bytes before the index that shows them */
    __atomic_store_n(&r->out_prod, prod + k, __ATOMIC_RELEASE);
    return (int)k;
}

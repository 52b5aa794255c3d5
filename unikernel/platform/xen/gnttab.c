/* unikernel/platform/xen/gnttab.c — grant table v1 entries and their free list (see gnttab.h). */
#include "gnttab.h"

void gnttab_init(struct gnttab *g, volatile struct grant_entry_v1 *e, uint32_t *next, uint32_t n)
{
    g->e = e, g->n = n, g->next = next, g->head = 0, g->nfree = 0;
    for (uint32_t r = n; r-- > GNTTAB_RESERVED;) {
        e[r].flags = 0;
        next[r] = g->head;
        g->head = r;
        g->nfree++;
    }
}

int gnttab_grant(struct gnttab *g, uint16_t domid, uint32_t frame, int ro)
{
    if (!g->head)
        return -28;
    uint32_t r = g->head;
    g->head = g->next[r];
    g->next[r] = 0;
    g->nfree--;
    g->e[r].domid = domid;
    g->e[r].frame = frame;
    __atomic_thread_fence(__ATOMIC_RELEASE); /* frame and domain before the flags that show them */
    __atomic_store_n(&g->e[r].flags, (uint16_t)(GTF_permit_access | (ro ? GTF_readonly : 0)),
                     __ATOMIC_RELEASE);
    return (int)r;
}

int gnttab_end(struct gnttab *g, uint32_t ref)
{
    if (ref < GNTTAB_RESERVED || ref >= g->n)
        return -22;
    uint16_t f = __atomic_load_n(&g->e[ref].flags, __ATOMIC_ACQUIRE);
    do {
        if (!(f & GTF_permit_access))
            return -22;
        if (f & (GTF_reading | GTF_writing))
            return -16;
    } while (!__atomic_compare_exchange_n(&g->e[ref].flags, &f, 0, 0, __ATOMIC_ACQ_REL,
                                          __ATOMIC_ACQUIRE));
    g->next[ref] = g->head;
    g->head = ref;
    g->nfree++;
    return 0;
}

/*
 * unikernel/platform/xen/gnttab.h — grant tables, version 1 (xen/include/public/grant_table.h):
 * the table's entries (frames Xen maps into our memory with XENMEM_add_to_physmap), a free list of
 * references, and granting / ending a grant with the barriers the protocol needs. Plain C with no
 * kernel dependency: tests/unikernel/xen_gnttab_test.c runs it on the host.
 */
#ifndef UK_XEN_GNTTAB_H
#define UK_XEN_GNTTAB_H

#include <stdint.h>

#define GNTTAB_RESERVED 8 /* refs 0..7 belong to the toolstack (console, xenstore) */
#define GNTTAB_PER_PAGE 512

#define GTF_permit_access 1u
#define GTF_readonly      (1u << 2)
#define GTF_reading       (1u << 3)
#define GTF_writing       (1u << 4)

struct grant_entry_v1 {
    uint16_t flags;
    uint16_t domid;
    uint32_t frame;
};

struct gnttab {
    volatile struct grant_entry_v1 *e; /* n entries (n / 512 frames) */
    uint32_t n;
    uint32_t *next; /* the free list: next[ref], 0 ends it */
    uint32_t head, nfree;
};

/* gnttab_init: the table over e (n entries) with next (n words) as the free list: refs from 8. */
void gnttab_init(struct gnttab *g, volatile struct grant_entry_v1 *e, uint32_t *next, uint32_t n);

/*
 * gnttab_grant: lets domain domid reach page frame `frame` (read-only when ro); returns the
 * reference, or -28 (ENOSPC) when every reference is in use. The frame and domain are written
 * before the flags that make the entry valid (a write barrier between).
 */
int gnttab_grant(struct gnttab *g, uint16_t domid, uint32_t frame, int ro);

/*
 * gnttab_end: ends grant ref, unless the other domain still has it mapped (GTF_reading or
 * GTF_writing: -16, EBUSY, the entry kept); the flags are cleared by compare-and-swap so a mapping
 * made meanwhile is seen. The reference goes back on the free list. -22 (EINVAL) for a reference
 * that is reserved, out of range or not granted.
 */
int gnttab_end(struct gnttab *g, uint32_t ref);

#endif

/*
 * unikernel/platform/xen/front.h — what the PV frontends (netfront.c, blkfront.c) get from the
 * platform: xenstore, the grant table, pages, event channels; and the shared ring's header
 * (xen/include/public/io/ring.h) with its notification rules. As hooks, so the frontends run on
 * the host against fake backends (tests/unikernel/xen_front_test.c, tests/fuzz/xen_front_fuzz.c).
 */
#ifndef UK_XEN_FRONT_H
#define UK_XEN_FRONT_H

#include <stdint.h>

#include "gnttab.h"
#include "xenbus.h"

struct xen_env {
    struct xs_client *xs;
    struct gnttab *gt;
    void *(*pages)(unsigned n); /* n contiguous zeroed, identity-mapped pages, or NULL */
    int (*port_alloc)(uint16_t remote, uint32_t *port);
    int (*port_bind)(uint32_t port, void (*fn)(uint32_t port, void *arg), void *arg);
    void (*notify)(uint32_t port);
    unsigned rounds; /* xenstore waits (xs_client's wait hook) allowed for a backend to connect */
};

/* The page frame of an identity-mapped address. */
static inline uint32_t xen_frame(const void *p)
{
    return (uint32_t)((uintptr_t)p >> 12);
}

/* The shared ring's header: the entries follow it, at offset 64. */
struct xen_sring {
    uint32_t req_prod, req_event, rsp_prod, rsp_event;
    uint8_t pad[48];
};

/* Publishes requests up to prod (a write barrier before); whether the backend wants an event. */
static inline int xen_ring_push(volatile struct xen_sring *s, uint32_t prod)
{
    uint32_t old = s->req_prod;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    __atomic_store_n(&s->req_prod, prod, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint32_t ev = __atomic_load_n(&s->req_event, __ATOMIC_ACQUIRE);
    return (uint32_t)(prod - ev) < (uint32_t)(prod - old);
}

/* Asks for an event at the next response after cons; 1 when responses already wait. */
static inline int xen_ring_arm(volatile struct xen_sring *s, uint32_t cons)
{
    __atomic_store_n(&s->rsp_event, cons + 1, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return __atomic_load_n(&s->rsp_prod, __ATOMIC_ACQUIRE) != cons;
}

#endif

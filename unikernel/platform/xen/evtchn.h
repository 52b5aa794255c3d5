/*
 * unikernel/platform/xen/evtchn.h — event channels (2-level ABI: the pending and mask bitmaps of
 * shared_info): a handler per port, mask/unmask, send, unbound ports for frontends, and the upcall
 * that Xen raises as one vector (HVM_PARAM_CALLBACK_IRQ). Uses only xen_hypercall, so a test
 * can run the upcall's scan over a shared_info of its own.
 */
#ifndef UK_XEN_EVTCHN_H
#define UK_XEN_EVTCHN_H

#include <stdint.h>

#include "xen.h"

#define EVTCHN_PORTS 4096 /* 64 words of 64 bits */

typedef void (*evtchn_fn)(uint32_t port, void *arg);

/* evtchn_init: works on s (mapped shared_info); every port masked until bound. */
void evtchn_init(volatile struct xen_shared_info *s);

/* evtchn_bind: fn(port, arg) runs from the upcall when port fires; the port is unmasked. 0, or
 * -22 (EINVAL) for a port out of range. evtchn_unbind masks it and forgets the handler. */
int evtchn_bind(uint32_t port, evtchn_fn fn, void *arg);
void evtchn_unbind(uint32_t port);

void evtchn_mask(uint32_t port);
/* evtchn_unmask: clears the mask; an event that came while masked is raised again (by Xen). */
void evtchn_unmask(uint32_t port);

void evtchn_send(uint32_t port);

/* evtchn_alloc_unbound: a new port of ours that domain remote may bind to; 0 or Xen's error. */
int evtchn_alloc_unbound(uint16_t remote, uint32_t *port);

/* evtchn_close: closes one of our ports (unbinding it first). */
void evtchn_close(uint32_t port);

/*
 * evtchn_upcall: what the callback vector runs: clears the vCPU's upcall flag, takes the pending
 * selector, and for each port pending and not masked clears its bit and runs its handler (a port
 * without one is masked). Returns how many handlers ran.
 */
unsigned evtchn_upcall(void);

#endif

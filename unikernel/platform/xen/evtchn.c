/* unikernel/platform/xen/evtchn.c — event channels over shared_info (see evtchn.h). */
#include "evtchn.h"

static volatile struct xen_shared_info *sh;
static struct {
    evtchn_fn fn;
    void *arg;
} handlers[EVTCHN_PORTS];

void evtchn_init(volatile struct xen_shared_info *s)
{
    sh = s;
    for (unsigned w = 0; w < 64; w++)
        __atomic_store_n(&s->evtchn_mask[w], ~0ull, __ATOMIC_RELEASE);
}

void evtchn_mask(uint32_t port)
{
    if (sh && port < EVTCHN_PORTS)
        __atomic_fetch_or(&sh->evtchn_mask[port / 64], 1ull << (port % 64), __ATOMIC_ACQ_REL);
}

void evtchn_unmask(uint32_t port)
{
    if (!sh || port >= EVTCHN_PORTS)
        return;
    /* Xen's EVTCHNOP_unmask clears the bit and, when the port is pending, raises the upcall */
    struct xen_evtchn_send a = {.port = port};
    xen_hypercall(XEN_HC_EVENT_CHANNEL_OP, XEN_EVTCHNOP_UNMASK, (uint64_t)(uintptr_t)&a, 0);
}

int evtchn_bind(uint32_t port, evtchn_fn fn, void *arg)
{
    if (port == 0 || port >= EVTCHN_PORTS)
        return -22;
    handlers[port].arg = arg;
    __atomic_store_n(&handlers[port].fn, fn, __ATOMIC_RELEASE);
    evtchn_unmask(port);
    return 0;
}

void evtchn_unbind(uint32_t port)
{
    if (port >= EVTCHN_PORTS)
        return;
    evtchn_mask(port);
    __atomic_store_n(&handlers[port].fn, (evtchn_fn)0, __ATOMIC_RELEASE);
}

void evtchn_send(uint32_t port)
{
    struct xen_evtchn_send a = {.port = port};
    xen_hypercall(XEN_HC_EVENT_CHANNEL_OP, XEN_EVTCHNOP_SEND, (uint64_t)(uintptr_t)&a, 0);
}

int evtchn_alloc_unbound(uint16_t remote, uint32_t *port)
{
    struct xen_evtchn_alloc_unbound a = {.dom = XEN_DOMID_SELF, .remote_dom = remote};
    long rc = xen_hypercall(XEN_HC_EVENT_CHANNEL_OP, XEN_EVTCHNOP_ALLOC_UNBOUND,
                            (uint64_t)(uintptr_t)&a, 0);
    if (rc == 0 && (a.port == 0 || a.port >= EVTCHN_PORTS))
        return -34; /* ERANGE: a port past the 2-level ABI's bitmaps */
    *port = a.port;
    return (int)rc;
}

void evtchn_close(uint32_t port)
{
    evtchn_unbind(port);
    struct xen_evtchn_send a = {.port = port};
    xen_hypercall(XEN_HC_EVENT_CHANNEL_OP, XEN_EVTCHNOP_CLOSE, (uint64_t)(uintptr_t)&a, 0);
}

unsigned evtchn_upcall(void)
{
    if (!sh)
        return 0;
    volatile struct xen_vcpu_info *v = &sh->vcpu_info[0];
    unsigned ran = 0;
    /* the flag first: an event set after it raises the upcall again */
    while (__atomic_exchange_n(&v->evtchn_upcall_pending, 0, __ATOMIC_ACQ_REL)) {
        uint64_t sel = __atomic_exchange_n(&v->evtchn_pending_sel, 0, __ATOMIC_ACQ_REL);
        while (sel) {
            unsigned w = (unsigned)__builtin_ctzll(sel);
            sel &= sel - 1;
            uint64_t ready = __atomic_load_n(&sh->evtchn_pending[w], __ATOMIC_ACQUIRE) &
                             ~__atomic_load_n(&sh->evtchn_mask[w], __ATOMIC_ACQUIRE);
            while (ready) {
                unsigned b = (unsigned)__builtin_ctzll(ready);
                ready &= ready - 1;
                uint32_t port = w * 64 + b;
                __atomic_fetch_and(&sh->evtchn_pending[w], ~(1ull << b), __ATOMIC_ACQ_REL);
                evtchn_fn fn = __atomic_load_n(&handlers[port].fn, __ATOMIC_ACQUIRE);
                if (fn) {
                    fn(port, handlers[port].arg);
                    ran++;
                } else {
                    evtchn_mask(port);
                }
            }
        }
    }
    return ran;
}

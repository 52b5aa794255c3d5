/*
 * unikernel/platform/xen/xen.h — the parts of Xen's public ABI (xen/include/public) the xen
 * platform uses, as our own definitions: hypercall numbers, their argument blocks, the HVM
 * parameters, shared_info's layout; and the hypercall entry through the hypercall page.
 */
#ifndef UK_XEN_H
#define UK_XEN_H

#include <stdint.h>

/* hypercalls (public/xen.h) */
#define XEN_HC_MEMORY_OP        12
#define XEN_HC_CONSOLE_IO       18
#define XEN_HC_GRANT_TABLE_OP   20
#define XEN_HC_SCHED_OP         29
#define XEN_HC_EVENT_CHANNEL_OP 32
#define XEN_HC_HVM_OP           34

#define XEN_CONSOLEIO_WRITE        0
#define XEN_SCHEDOP_YIELD          0
#define XEN_SCHEDOP_SHUTDOWN       2
#define XEN_SHUTDOWN_POWEROFF      0
#define XEN_SHUTDOWN_CRASH         3
#define XEN_EVTCHNOP_CLOSE         3
#define XEN_EVTCHNOP_SEND          4
#define XEN_EVTCHNOP_ALLOC_UNBOUND 6
#define XEN_EVTCHNOP_UNMASK        9
#define XEN_HVMOP_SET_PARAM        0
#define XEN_HVMOP_GET_PARAM        1
#define XEN_MEM_ADD_TO_PHYSMAP     7
#define XEN_MAPSPACE_SHARED_INFO   0
#define XEN_MAPSPACE_GRANT_TABLE   1
#define XEN_GNTTABOP_QUERY_SIZE    6
#define XEN_DOMID_SELF             0x7ff0u

/* HVM parameters (public/hvm/params.h) */
#define XEN_HVM_PARAM_CALLBACK_IRQ   0
#define XEN_HVM_PARAM_STORE_PFN      1
#define XEN_HVM_PARAM_STORE_EVTCHN   2
#define XEN_HVM_PARAM_CONSOLE_PFN    17
#define XEN_HVM_PARAM_CONSOLE_EVTCHN 18

/* HVM_PARAM_CALLBACK_IRQ's value: type 2 (bits 63:56) delivers events as this vector */
#define XEN_CALLBACK_VECTOR(v) ((2ull << 56) | (uint64_t)(v))

struct xen_hvm_param {
    uint16_t domid;
    uint16_t pad;
    uint32_t index;
    uint64_t value;
};

struct xen_add_to_physmap {
    uint16_t domid;
    uint16_t size;
    uint32_t space;
    uint64_t idx;
    uint64_t gpfn;
};

struct xen_sched_shutdown {
    uint32_t reason;
};

struct xen_evtchn_send { /* also EVTCHNOP_unmask and EVTCHNOP_close */
    uint32_t port;
};

struct xen_evtchn_alloc_unbound {
    uint16_t dom, remote_dom;
    uint32_t port; /* out */
};

struct xen_gnttab_query_size {
    uint16_t dom;
    uint32_t nr_frames, max_nr_frames; /* out */
    int16_t status;                    /* out */
};

/* public/xen.h: vcpu_time_info (the PV clock), vcpu_info, shared_info (x86-64 layout). */
struct xen_vcpu_time_info {
    uint32_t version, pad0;
    uint64_t tsc_timestamp, system_time;
    uint32_t tsc_to_system_mul;
    int8_t tsc_shift;
    int8_t flags;
    uint8_t pad1[2];
};

struct xen_vcpu_info {
    uint8_t evtchn_upcall_pending, evtchn_upcall_mask;
    uint8_t pad[6];
    uint64_t evtchn_pending_sel;
    uint64_t cr2, arch_pad;
    struct xen_vcpu_time_info time;
};

struct xen_shared_info {
    struct xen_vcpu_info vcpu_info[32];
    uint64_t evtchn_pending[64];
    uint64_t evtchn_mask[64];
    uint32_t wc_version, wc_sec, wc_nsec, wc_sec_hi;
    /* arch_shared_info follows; unused */
};

_Static_assert(sizeof(struct xen_vcpu_info) == 64, "vcpu_info is 64 bytes");
_Static_assert(__builtin_offsetof(struct xen_shared_info, wc_version) == 3072,
               "shared_info's wall clock at 3072");

/*
 * xen_hypercall: hypercall nr with up to three arguments, through the page Xen filled in
 * (xen_hypercall_page_init); returns what Xen returns (a negative errno on failure).
 */
long xen_hypercall(unsigned nr, uint64_t a1, uint64_t a2, uint64_t a3);

#endif

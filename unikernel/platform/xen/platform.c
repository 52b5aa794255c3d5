/*
 * unikernel/platform/xen/platform.c — Xen PVH, as a domU or as dom0: Xen found through CPUID
 * 0x40000000 (and the leaves above it), the hypercall page written through the MSR that Xen's
 * leaf names, shared_info mapped (the PV clock: TSC frequency and wall clock), stdout on the
 * console ring (domU: HVM_PARAM_CONSOLE_PFN/EVTCHN) or through console_io (dom0), event channels
 * on one upcall vector (HVM_PARAM_CALLBACK_IRQ), the grant table, the PV devices found in
 * xenstore (netfront, blkfront), and SCHEDOP_shutdown with the exit status (poweroff for 0, crash
 * otherwise).
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/paging.h"
#include "console/console.h"
#include "exit/acpi.h"
#include "interrupts/irq.h"
#include "lib/string.h"
#include "memory/memory.h"
#include "platform/platform.h"
#include "platform/xen/blkfront.h"
#include "platform/xen/evtchn.h"
#include "platform/xen/netfront.h"
#include "platform/xen/ring.h"
#include "platform/xen/xs.h"
#include "time/time.h"
#include "platform/xen/xen.h"

/* The hypercall page: in .text, so it is executable (and read-only to us: Xen writes it through
   guest-physical memory). 32 bytes per hypercall. Filled with int3 until Xen fills it. */
__asm__(".pushsection .text.xen_hypercall_page, \"ax\", @progbits\n"
        ".balign 4096\n"
        ".globl xen_hypercall_page\n"
        "xen_hypercall_page:\n"
        ".fill 4096, 1, 0xcc\n"
        ".popsection\n");
extern char xen_hypercall_page[];

/* shared_info goes over this page of our .bss (XENMEM_add_to_physmap). */
static union {
    struct xen_shared_info s;
    uint8_t page[4096];
} shinfo __attribute__((aligned(4096)));

/* The grant table's frames go over these pages of our .bss (XENMAPSPACE_grant_table). */
#define GNT_FRAMES 4
static union {
    struct grant_entry_v1 e[GNT_FRAMES * GNTTAB_PER_PAGE];
    uint8_t page[GNT_FRAMES * 4096];
} gnt __attribute__((aligned(4096)));
static uint32_t gnt_next[GNT_FRAMES * GNTTAB_PER_PAGE];
static struct gnttab gt;

static struct {
    uint32_t base;                           /* CPUID leaf of Xen's signature; 0: not Xen */
    int hypercalls;                          /* the hypercall page is filled in */
    volatile struct xencons_interface *ring; /* domU console ring, or NULL */
    uint32_t evtchn;                         /* its event channel */
    int shared;                              /* shinfo holds shared_info */
} xen;

long xen_hypercall(unsigned nr, uint64_t a1, uint64_t a2, uint64_t a3)
{
    register uint64_t rdi __asm__("rdi") = a1;
    register uint64_t rsi __asm__("rsi") = a2;
    register uint64_t rdx __asm__("rdx") = a3;
    long ret;
    const char *fn = xen_hypercall_page + nr * 32;
    /* the call pushes below the stack pointer: step over the red zone first */
    __asm__ volatile("sub $128, %%rsp\n\t"
                     "call *%[fn]\n\t"
                     "add $128, %%rsp"
                     : "=a"(ret), "+r"(rdi), "+r"(rsi), "+r"(rdx)
                     : [fn] "r"(fn)
                     : "memory", "rcx", "r8", "r10", "r11", "cc");
    return ret;
}

/* Xen's CPUID leaves start at 0x40000000, or 0x100 higher when it also offers Viridian. */
static uint32_t xen_find(void)
{
    for (uint32_t b = 0x40000000; b < 0x40010000; b += 0x100) {
        struct cpuid_regs r = cpuid(b, 0);
        /* "XenVMMXenVMM" */
        if (r.ebx == 0x566e6558 && r.ecx == 0x65584d4d && r.edx == 0x4d4d566e && r.eax >= b + 2)
            return b;
    }
    return 0;
}

static int hvm_param(uint32_t index, uint64_t *value)
{
    struct xen_hvm_param p = {.domid = XEN_DOMID_SELF, .index = index};
    long rc = xen_hypercall(XEN_HC_HVM_OP, XEN_HVMOP_GET_PARAM, (uint64_t)&p, 0);
    *value = p.value;
    return (int)rc;
}

static void console_io(const char *s, size_t n)
{
    xen_hypercall(XEN_HC_CONSOLE_IO, XEN_CONSOLEIO_WRITE, n, (uint64_t)s);
}

static void console_notify(void)
{
    evtchn_send(xen.evtchn);
}

/* Gives the CPU to another domain (dom0's backends) while we wait for them. */
static void yield(void)
{
    xen_hypercall(XEN_HC_SCHED_OP, XEN_SCHEDOP_YIELD, 0, 0);
}

/* A backend that broke the ring loses it: the rest goes to Xen's own console log. */
static void ring_lost(const char *why)
{
    xen.ring = NULL;
    static const char head[] = "xen: ";
    static const char tail[] = "; the console continues in Xen's log (xl dmesg)\n";
    console_io(head, sizeof(head) - 1);
    console_io(why, strlen(why));
    console_io(tail, sizeof(tail) - 1);
}

/* Waits (bounded) for the backend to take what is in the ring; 0 when it did. */
static int ring_drain(void)
{
    const char *why;
    for (uint32_t i = 0; i < (1u << 16); i++) {
        int left = xencons_pending(xen.ring, &why);
        if (left < 0) {
            ring_lost(why);
            return -1;
        }
        if (left == 0)
            return 0;
        if ((i & 0xff) == 0)
            console_notify();
        yield();
    }
    return -1;
}

static void ring_write(const char *s, size_t n)
{
    const char *why;
    while (n && xen.ring) {
        int k = xencons_put(xen.ring, s, n, &why);
        if (k < 0) {
            ring_lost(why);
            break;
        }
        if (k > 0) {
            s += k, n -= (size_t)k;
            console_notify();
        } else if (ring_drain() < 0) {
            return; /* nobody reads the ring: the rest is dropped, as a full UART drops it */
        }
    }
    if (n && !xen.ring)
        console_io(s, n);
}

const char *platform_name(void)
{
    return "xen";
}

void platform_early_init(void)
{
    xen.base = xen_find();
    if (!xen.base) {
        serial_init(); /* not on Xen: say so where QEMU shows it */
        return;
    }
    struct cpuid_regs r = cpuid(xen.base + 2, 0); /* EAX: pages, EBX: the MSR */
    if (r.eax >= 1) {
        wrmsr(r.ebx, (uint64_t)xen_hypercall_page);
        xen.hypercalls = 1;
    }
    uint64_t pfn = 0, port = 0;
    /* a domU has a console ring; dom0 writes through console_io */
    if (xen.hypercalls && hvm_param(XEN_HVM_PARAM_CONSOLE_PFN, &pfn) == 0 && pfn &&
        pfn < (1ull << 20) && hvm_param(XEN_HVM_PARAM_CONSOLE_EVTCHN, &port) == 0) {
        xen.ring = (volatile struct xencons_interface *)(pfn << 12);
        xen.evtchn = (uint32_t)port;
    }
}

void platform_init(const struct boot_info *bi)
{
    if (xen.ring && paging_map_mmio((uint64_t)xen.ring, 4096) < 0)
        ring_lost("console ring: its page cannot be mapped");
    if (xen.hypercalls) {
        struct xen_add_to_physmap a = {.domid = XEN_DOMID_SELF,
                                       .space = XEN_MAPSPACE_SHARED_INFO,
                                       .idx = 0,
                                       .gpfn = (uint64_t)&shinfo >> 12};
        xen.shared = xen_hypercall(XEN_HC_MEMORY_OP, XEN_MEM_ADD_TO_PHYSMAP, (uint64_t)&a, 0) == 0;
        if (!xen.shared)
            printk("xen: shared_info could not be mapped: no PV clock\n");
    }
    if (xen.shared)
        evtchn_init(&shinfo.s);
    acpi_init(bi);
}

static uint64_t xs_deadline;

static void xs_notify(void *arg)
{
    evtchn_send(*(uint32_t *)arg);
}

/* xenstored gets 5 s to answer each request. */
static int xs_wait(void *arg, uint32_t round)
{
    (void)arg;
    if (round == 0)
        xs_deadline = time_monotonic_ns() + 5000000000ull;
    if (time_monotonic_ns() > xs_deadline)
        return -1;
    yield();
    return 0;
}

/* The domain's own entries through xenstore (a domU's: dom0 has no ring here); the client. */
static struct xs_client *xenstore_init(void)
{
    static uint32_t port;
    uint64_t pfn = 0, p = 0;
    if (hvm_param(XEN_HVM_PARAM_STORE_PFN, &pfn) != 0 || !pfn || pfn >= (1ull << 20) ||
        hvm_param(XEN_HVM_PARAM_STORE_EVTCHN, &p) != 0)
        return NULL;
    if (paging_map_mmio(pfn << 12, 4096) < 0) {
        printk("xen: xenstore: its page cannot be mapped\n");
        return NULL;
    }
    port = (uint32_t)p;
    static struct xs_client xs;
    xs = (struct xs_client){.r = (volatile struct xenstore_domain_interface *)(pfn << 12),
                            .notify = xs_notify,
                            .wait = xs_wait,
                            .arg = &port};
    char name[64], domid[16];
    if (xs_read(&xs, "name", name, sizeof(name)) < 0 ||
        xs_read(&xs, "domid", domid, sizeof(domid)) < 0) {
        printk("xen: %s\n", xs.why);
        return NULL;
    }
    printk("xen: xenstore: domain %s (domid %s)\n", name, domid);
    return &xs;
}

/* The upcall vector: Xen raises it while vCPU 0's evtchn_upcall_pending is set. */
static void upcall(void *arg)
{
    (void)arg;
    evtchn_upcall();
}

/* Events through one vector of ours (HVM_PARAM_CALLBACK_IRQ, type vector); 0 or an errno. */
static int events_init(void)
{
    int vec = irq_claim(upcall, NULL);
    if (vec < 0)
        return vec;
    struct xen_hvm_param p = {.domid = XEN_DOMID_SELF,
                              .index = XEN_HVM_PARAM_CALLBACK_IRQ,
                              .value = XEN_CALLBACK_VECTOR(vec)};
    return (int)xen_hypercall(XEN_HC_HVM_OP, XEN_HVMOP_SET_PARAM, (uint64_t)&p, 0);
}

/* The grant table: as many of our GNT_FRAMES pages as Xen allows, mapped over .bss. */
static int gnttab_setup(void)
{
    struct xen_gnttab_query_size q = {.dom = XEN_DOMID_SELF};
    long rc = xen_hypercall(XEN_HC_GRANT_TABLE_OP, XEN_GNTTABOP_QUERY_SIZE, (uint64_t)&q, 1);
    if (rc < 0 || q.status < 0)
        return rc < 0 ? (int)rc : q.status;
    uint32_t n = q.max_nr_frames < GNT_FRAMES ? q.max_nr_frames : GNT_FRAMES;
    for (uint32_t i = 0; i < n; i++) {
        struct xen_add_to_physmap a = {.domid = XEN_DOMID_SELF,
                                       .space = XEN_MAPSPACE_GRANT_TABLE,
                                       .idx = i,
                                       .gpfn = ((uint64_t)gnt.page >> 12) + i};
        if ((rc = xen_hypercall(XEN_HC_MEMORY_OP, XEN_MEM_ADD_TO_PHYSMAP, (uint64_t)&a, 0)) < 0)
            return (int)rc;
    }
    gnttab_init(&gt, gnt.e, gnt_next, n * GNTTAB_PER_PAGE);
    return 0;
}

static void *front_pages(unsigned n)
{
    void *p = page_alloc(n);
    if (p)
        memset(p, 0, n * PAGE_SIZE);
    return p;
}

static int port_bind(uint32_t port, evtchn_fn fn, void *arg)
{
    return evtchn_bind(port, fn, arg);
}

/* The PV devices the toolstack gave us: device/vif/N and device/vbd/N in xenstore. A backend gets
   12 waits (each up to xs_wait's 5 s when nothing changes) to reach each state: generous, for
   dom0s that are themselves emulated. */
static void pv_devices(struct xs_client *xs)
{
    static const struct xen_env env0 = {.pages = front_pages,
                                        .port_alloc = evtchn_alloc_unbound,
                                        .port_bind = port_bind,
                                        .notify = evtchn_send,
                                        .rounds = 12};
    static struct xen_env env;
    env = env0;
    env.xs = xs, env.gt = &gt;
    static const char *const kinds[] = {"vif", "vbd"};
    for (int k = 0; k < 2; k++) {
        char dir[16], names[256], front[48];
        uk_snprintf(dir, sizeof(dir), "device/%s", kinds[k]);
        int n = xs_directory(xs, dir, names, sizeof(names));
        if (n == -2)
            continue;
        if (n < 0) {
            printk("xen: %s\n", xs->why);
            continue;
        }
        for (int i = 0; i < n; i += (int)strlen(names + i) + 1) {
            uk_snprintf(front, sizeof(front), "%s/%s", dir, names + i);
            if (k == 0) {
                struct netfront *nf = heap_alloc(sizeof(*nf));
                if (!nf || netfront_open(nf, &env, front) < 0) {
                    printk("xen: %s\n", nf ? nf->failed : "netfront: out of memory");
                    continue;
                }
                netdev_register(&nf->nd);
                printk("xen: %s: %s, mac %02x:%02x:%02x:%02x:%02x:%02x%s\n", nf->nd.name, front,
                       nf->nd.mac[0], nf->nd.mac[1], nf->nd.mac[2], nf->nd.mac[3], nf->nd.mac[4],
                       nf->nd.mac[5], nf->sg ? ", scatter-gather" : "");
            } else {
                struct blkfront *bf = heap_alloc(sizeof(*bf));
                if (!bf || blkfront_open(bf, &env, front) < 0) {
                    printk("xen: %s\n", bf ? bf->failed : "blkfront: out of memory");
                    continue;
                }
                blkdev_register(&bf->bd);
                printk("xen: %s: %s, %llu sectors of %u bytes%s%s\n", bf->bd.name, front,
                       (unsigned long long)bf->bd.sectors, bf->bd.sector_size,
                       bf->bd.read_only ? ", read-only" : "",
                       bf->bd.caps & BLKDEV_CAP_FLUSH ? ", flush" : "");
            }
        }
    }
}

void platform_devices_init(const struct boot_info *bi)
{
    (void)bi;
    if (!xen.hypercalls)
        return;
    struct xs_client *xs = xenstore_init();
    if (!xs || !xen.shared)
        return;
    int rc = events_init();
    if (rc < 0) {
        printk("xen: no event channel upcall (HVM_PARAM_CALLBACK_IRQ: %d): no PV devices\n", rc);
        return;
    }
    if ((rc = gnttab_setup()) < 0) {
        printk("xen: no grant table (%d): no PV devices\n", rc);
        return;
    }
    pv_devices(xs);
}

void platform_console_write(const char *s, size_t n)
{
    if (!xen.base)
        serial_write(s, n);
    else if (!xen.hypercalls)
        return;
    else if (xen.ring && paging_is_mapped((uint64_t)xen.ring))
        ring_write(s, n);
    else
        console_io(s, n);
}

int platform_parse_hv_bootinfo(struct boot_info *bi, uint64_t addr, const char **why)
{
    (void)bi, (void)addr;
    *why = "booted through the jeos-hv entry, but this build links the xen platform";
    return -95;
}

/* The PV clock of vCPU 0: a consistent copy (the version is odd while Xen updates it). */
static struct xen_vcpu_time_info pvclock(void)
{
    volatile struct xen_vcpu_time_info *t = &shinfo.s.vcpu_info[0].time;
    struct xen_vcpu_time_info c;
    uint32_t v;
    do {
        v = __atomic_load_n(&t->version, __ATOMIC_ACQUIRE);
        c.tsc_timestamp = t->tsc_timestamp;
        c.system_time = t->system_time;
        c.tsc_to_system_mul = t->tsc_to_system_mul;
        c.tsc_shift = t->tsc_shift;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
    } while ((v & 1) || v != __atomic_load_n(&t->version, __ATOMIC_ACQUIRE));
    return c;
}

uint64_t platform_tsc_hz(const struct boot_info *bi, const char **source)
{
    (void)bi;
    if (xen.shared) {
        struct xen_vcpu_time_info c = pvclock();
        if (c.tsc_to_system_mul) {
            /* ns = ((tsc << shift) * mul) >> 32, so hz = 1e9 * 2^32 / mul, undone by the shift */
            uint64_t hz = (uint64_t)(((unsigned __int128)1000000000u << 32) / c.tsc_to_system_mul);
            hz = c.tsc_shift > 0 ? hz >> c.tsc_shift : hz << -c.tsc_shift;
            *source = "xen pvclock";
            return hz;
        }
    }
    if (xen.base) { /* leaf 4, sub-leaf 0: ECX = the guest's TSC frequency in kHz */
        struct cpuid_regs r = cpuid(xen.base + 3, 0);
        if (r.ecx) {
            *source = "xen cpuid";
            return (uint64_t)r.ecx * 1000;
        }
    }
    return 0;
}

uint64_t platform_wall_ns(void)
{
    if (!xen.shared)
        return 0;
    volatile struct xen_shared_info *s = &shinfo.s;
    uint32_t v, sec, nsec, hi;
    do {
        v = __atomic_load_n(&s->wc_version, __ATOMIC_ACQUIRE);
        sec = s->wc_sec, nsec = s->wc_nsec, hi = s->wc_sec_hi;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
    } while ((v & 1) || v != __atomic_load_n(&s->wc_version, __ATOMIC_ACQUIRE));
    /* wall clock at the domain's system time 0, plus its system time now */
    struct xen_vcpu_time_info c = pvclock();
    uint64_t d = rdtsc() - c.tsc_timestamp;
    d = c.tsc_shift >= 0 ? d << c.tsc_shift : d >> -c.tsc_shift;
    uint64_t now = c.system_time + (uint64_t)(((unsigned __int128)d * c.tsc_to_system_mul) >> 32);
    if (!sec && !hi)
        return 0;
    return ((uint64_t)hi << 32 | sec) * 1000000000u + nsec + now;
}

void platform_exit(int status)
{
    cpu_irq_disable();
    int code = status & 0xff;
    if (xen.hypercalls) {
        printk("xen: exit status %d: SCHEDOP_shutdown %s\n", code, code ? "crash" : "poweroff");
        if (xen.ring)
            ring_drain(); /* the domain's pages go with it: let xenconsoled read the end */
        struct xen_sched_shutdown a = {.reason = code ? XEN_SHUTDOWN_CRASH : XEN_SHUTDOWN_POWEROFF};
        xen_hypercall(XEN_HC_SCHED_OP, XEN_SCHEDOP_SHUTDOWN, (uint64_t)&a, 0);
    } else {
        printk("xen: not running on Xen (no XenVMMXenVMM CPUID leaf): status %d lost\n", code);
        acpi_poweroff();
    }
    for (;;)
        __asm__ volatile("cli; hlt");
}

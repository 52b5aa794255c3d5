/* unikernel/arch/x86_64/trap.c — exception reports (vector, error, CR2, registers, symbolic
 * backtrace). */
#include <stdarg.h>
#include <stddef.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/ksyms.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/trap.h"
#include "console/console.h"
#include "interrupts/irq.h"
#include "platform/platform.h"

#define BACKTRACE_MAX  16
#define BACKTRACE_WALK 100000

static const char *const exception_names[32] = {
    "#DE divide error",
    "#DB debug",
    "NMI",
    "#BP breakpoint",
    "#OF overflow",
    "#BR bound range exceeded",
    "#UD invalid opcode",
    "#NM device not available",
    "#DF double fault",
    "coprocessor segment overrun",
    "#TS invalid TSS",
    "#NP segment not present",
    "#SS stack-segment fault",
    "#GP general protection",
    "#PF page fault",
    "reserved (15)",
    "#MF x87 floating-point error",
    "#AC alignment check",
    "#MC machine check",
    "#XM SIMD floating-point error",
    "#VE virtualization exception",
    "#CP control protection",
};

static int in_fault;
static int irq_depth; /* interrupt handlers running */
int (*trap_fault_hook)(struct trap_frame *f);
void (*trap_irq_exit_hook)(struct trap_frame *f);

static void print_addr(const char *prefix, uint64_t a)
{
    uint64_t off = 0;
    const char *name = ksyms_lookup(a, &off);
    if (name)
        printk("%s0x%016lx <%s+0x%lx>\n", prefix, a, name, off);
    else
        printk("%s0x%016lx <?>\n", prefix, a);
}

/*
 * Walks the frame-pointer chain; every frame is checked to be mapped before it is read, and a
 * run of identical return addresses (deep recursion) is printed once with its count.
 */
static void backtrace(uint64_t rip, uint64_t rbp, uint64_t rsp)
{
    printk("backtrace:\n");
    print_addr("  #0  ", rip);
    uint64_t off;
    int n = 1;
    if (!ksyms_lookup(rip, &off) && paging_is_mapped(rsp) && !(rsp & 7)) {
        /* a call into data: the return address is still on top of the stack */
        print_addr("  #1  ", *(const uint64_t *)rsp);
        n = 2;
    }
    uint64_t last = 0, repeats = 0;
    for (int walked = 0; walked < BACKTRACE_WALK && rbp; walked++) {
        if ((rbp & 7) || !paging_is_mapped(rbp) || !paging_is_mapped(rbp + 15))
            break;
        const uint64_t *fp = (const uint64_t *)rbp;
        if (fp[1] == 0)
            break;
        if (fp[1] == last) {
            repeats++;
        } else {
            if (repeats)
                printk("  ...  the frame above repeated %lu more times\n", repeats);
            repeats = 0;
            if (n >= BACKTRACE_MAX)
                break;
            char prefix[16];
            uk_snprintf(prefix, sizeof(prefix), "  #%-2d ", n++);
            print_addr(prefix, fp[1]);
            last = fp[1];
        }
        if (fp[0] <= rbp) /* frames grow upwards; anything else is a broken chain */
            break;
        rbp = fp[0];
    }
    if (repeats)
        printk("  ...  the frame above repeated %lu more times\n", repeats);
}

static void describe_pf(const struct trap_frame *f, uint64_t cr2)
{
    uint64_t e = f->error;
    printk("  faulting address (CR2) 0x%016lx: %s %s in %s mode%s\n", cr2,
           e & 1 ? "protection violation on" : "not-present page on",
           e & 16  ? "instruction fetch"
           : e & 2 ? "write"
                   : "read",
           e & 4 ? "user" : "kernel", e & 8 ? " (reserved bit set)" : "");
    uint64_t guards[8];
    int n = cpu_stack_guards(guards, 8);
    for (int i = 0; i < n; i++)
        if (cr2 >= guards[i] && cr2 < guards[i] + 4096)
            printk("  stack overflow: the access hit the guard page under %s\n",
                   i == 0 ? "the main stack" : "an interrupt stack");
    if (cr2 < 4096)
        printk("  NULL pointer dereference\n");
    else if (e & 16)
        printk("  execution from a non-executable page\n");
    else if ((e & 3) == 3 && paging_is_text(cr2))
        printk("  write to read-only kernel text\n");
}

static __attribute__((noreturn)) void fault(struct trap_frame *f, int status)
{
    if (in_fault++) { /* a fault while reporting: no second report */
        printk("*** fault while reporting a fault (vector %lu at 0x%lx)\n", f->vector, f->rip);
        platform_exit(UK_STATUS_FAULT);
    }
    uint64_t cr2 = read_cr2();
    const char *name =
        f->vector < 32 && exception_names[f->vector] ? exception_names[f->vector] : "reserved";
    printk("\n*** CPU exception: %s (vector %lu), error code 0x%lx\n", name, f->vector, f->error);
    if (f->vector == 14)
        describe_pf(f, cr2);
    else
        printk("  CR2 0x%016lx\n", cr2);
    print_addr("  rip ", f->rip);
    printk("  rax %016lx  rbx %016lx  rcx %016lx  rdx %016lx\n", f->rax, f->rbx, f->rcx, f->rdx);
    printk("  rsi %016lx  rdi %016lx  rbp %016lx  rsp %016lx\n", f->rsi, f->rdi, f->rbp, f->rsp);
    printk("  r8  %016lx  r9  %016lx  r10 %016lx  r11 %016lx\n", f->r8, f->r9, f->r10, f->r11);
    printk("  r12 %016lx  r13 %016lx  r14 %016lx  r15 %016lx\n", f->r12, f->r13, f->r14, f->r15);
    printk("  rflags %016lx  cs %04lx  ss %04lx  cr3 %016lx\n", f->rflags, f->cs, f->ss,
           read_cr3());
    backtrace(f->rip, f->rbp, f->rsp);
    printk("*** guest ends with status %d\n", status);
    platform_exit(status);
}

void trap_dispatch(struct trap_frame *f)
{
    if (f->vector < 32) {
        int status = UK_STATUS_FAULT;
        if (trap_fault_hook && !irq_depth && !in_fault) {
            status = trap_fault_hook(f);
            if (!status)
                return;
        }
        fault(f, status);
    }
    irq_depth++;
    irq_dispatch((unsigned)f->vector);
    irq_depth--;
    if (trap_irq_exit_hook && !irq_depth && !in_fault)
        trap_irq_exit_hook(f);
}

void panic(const char *fmt, ...)
{
    cpu_irq_disable();
    va_list ap;
    va_start(ap, fmt);
    printk("\n*** panic: ");
    vprintk(fmt, ap);
    va_end(ap);
    printk("\n");
    backtrace((uint64_t)__builtin_return_address(0), *(uint64_t *)__builtin_frame_address(0), 0);
    printk("*** guest ends with status %d\n", UK_STATUS_PANIC);
    platform_exit(UK_STATUS_PANIC);
}

/* unikernel/arch/x86_64/trap.h — the saved state of an interrupted context and its dispatch. */
#ifndef UK_ARCH_TRAP_H
#define UK_ARCH_TRAP_H

#include <stdint.h>

struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;
};

/* Exit status of a guest ended by a CPU exception (and of a kernel panic). */
#define UK_STATUS_FAULT 112
#define UK_STATUS_PANIC 113

/*
 * Set by the POSIX runtime: an exception outside interrupt handlers is offered to it first; it
 * returns 0 when it took the exception (f changed to run a signal handler), else the status the
 * guest ends with after the fault report.
 */
extern int (*trap_fault_hook)(struct trap_frame *f);

/*
 * Set by the POSIX runtime: called on the way out of an interrupt that came outside other
 * interrupt handlers, with what the interrupt will return to (f may be changed: a signal handler
 * run at the interrupted instruction).
 */
extern void (*trap_irq_exit_hook)(struct trap_frame *f);

/* Called from isr.S for every vector: exceptions end the guest with a report, IRQs dispatch. */
void trap_dispatch(struct trap_frame *f);

/* panic: prints the message and a backtrace of the caller, ends the guest with UK_STATUS_PANIC. */
__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);

#endif

/* runtime/libc/entry.S — the syscall instruction in ring 0 (LSTAR), thread switch, process start. */

/* struct rt_frame (rt.h): r15 .. rax pushed below rip, rflags and the caller's rsp. */
#define F_RIP    (15 * 8)
#define F_RFLAGS (16 * 8)
#define F_RSP    (17 * 8)
#define FX_SIZE  512

    .section .bss
    .balign 8
    .globl rt_kstack_top
rt_kstack_top: .quad 0      /* top of the running thread's syscall stack */
rt_user_rsp: .quad 0        /* scratch: the caller's rsp while switching stacks (one CPU) */

    .text
/*
 * The syscall instruction lands here in ring 0 with interrupts off (FMASK clears IF): rcx = return
 * address, r11 = rflags, rsp still the caller's. The caller's red zone is never touched.
 */
    .globl rt_syscall_entry
    .type rt_syscall_entry, @function
rt_syscall_entry:
    mov %rsp, rt_user_rsp(%rip)
    mov rt_kstack_top(%rip), %rsp
    pushq rt_user_rsp(%rip)
    push %r11
    push %rcx
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    movl $1, rt_in_kernel(%rip)
    sub $FX_SIZE, %rsp
    fxsave64 (%rsp)
    lea FX_SIZE(%rsp), %rdi
    xor %ebp, %ebp
    sti
    call rt_syscall
    .globl rt_syscall_exit
rt_syscall_exit:
    cli
    fxrstor64 (%rsp)
    add $FX_SIZE, %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rbp
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rbx
    pop %rax
    /*
     * now rsp points at rip, rflags, rsp: no sysret (it would drop to ring 3), an iretq in ring 0
     * (ss, rsp, rflags, cs, rip pushed from them), so every register is the frame's (rcx and r11
     * too: rt_sigreturn into a program interrupted anywhere) and IF comes back with the jump
     * (an interrupt on the way out would find rt_in_kernel 0 with the kernel's stack)
     */
    pushq $0x10
    pushq 24(%rsp)
    pushq 24(%rsp)
    pushq $0x08
    pushq 32(%rsp)
    movl $0, rt_in_kernel(%rip)
    iretq
    .size rt_syscall_entry, . - rt_syscall_entry

/* void rt_switch(uint64_t *save_sp, uint64_t new_sp): callee-saved registers on the old stack. */
    .globl rt_switch
    .type rt_switch, @function
rt_switch:
    push %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, (%rdi)
    mov %rsi, %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    ret
    .size rt_switch, . - rt_switch

/* void rt_enter(uint64_t sp, void (*entry)(void)): musl's _start with rsp at argc. */
    .globl rt_enter
    .type rt_enter, @function
rt_enter:
    mov %rdi, %rsp
    movl $0, rt_in_kernel(%rip) /* after the switch: an interrupt now finds the program's stack */
    xor %ebp, %ebp
    jmp *%rsi
    .size rt_enter, . - rt_enter

    .section .note.GNU-stack, "", @progbits

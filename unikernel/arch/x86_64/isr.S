/* unikernel/arch/x86_64/isr.S — 256 interrupt stubs (16 bytes apart) and the common save/restore path. */

	.section .text
	.balign 16
	.globl isr_stubs
isr_stubs:
	.set vec, 0
	.rept 256
	.balign 16
	.if (vec == 8) || (vec == 10) || (vec == 11) || (vec == 12) || (vec == 13) || (vec == 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
	pushq $vec			/* the CPU pushed an error code */
	.else
	pushq $0
	pushq $vec
	.endif
	jmp isr_common
	.set vec, vec + 1
	.endr

/* Stack on entry: vector, error code, then RIP CS RFLAGS RSP SS pushed by the CPU. */
	.type isr_common, @function
isr_common:
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %rdi
	cld
	call trap_dispatch
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp
	iretq

	.section .note.GNU-stack, "", @progbits

/* unikernel/arch/x86_64/boot.S — the three entries (multiboot2, PVH, jeos-hv) and the way to long mode. */

#include "arch/x86_64/bootsrc.h"

#define MB2_HEADER_MAGIC 0xe85250d6
#define MB2_BOOT_MAGIC   0x36d76289
#define XEN_ELFNOTE_PHYS32_ENTRY 18

#define CR0_PE  (1 << 0)
#define CR0_WP  (1 << 16)
#define CR0_PG  (1 << 31)
#define CR4_PAE (1 << 5)
#define EFER_LME (1 << 8)
#define BOOT_STACK_SIZE 65536

/* Multiboot2 header: must sit in the first 32 KiB of the file; its entry tag names mb2_entry. */
	.section .multiboot2, "a"
	.balign 8
mb2_header:
	.long MB2_HEADER_MAGIC
	.long 0				/* architecture: i386 (32-bit protected mode entry) */
	.long mb2_header_end - mb2_header
	.long 0x100000000 - (MB2_HEADER_MAGIC + (mb2_header_end - mb2_header))
	.balign 8
	.word 3, 0			/* entry address tag, required */
	.long 12
	.long mb2_entry
	.balign 8
	.word 0, 0			/* end tag */
	.long 8
mb2_header_end:

/* PVH: the ELF note XEN_ELFNOTE_PHYS32_ENTRY names pvh_entry (32-bit, paging off). */
	.section .note.Xen, "a", @note
	.balign 4
	.long 4
	.long 4
	.long XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.balign 4
	.long pvh_entry
	.balign 4

	.section .text.boot, "ax"
	.code32

/* Multiboot2: EAX = magic, EBX = physical address of the information structure. */
	.globl mb2_entry
	.type mb2_entry, @function
mb2_entry:
	cli
	cld
	cmpl $MB2_BOOT_MAGIC, %eax
	jne halt32
	movl %ebx, %edi
	movl $BOOT_SRC_MULTIBOOT2, %esi
	jmp start32

/* PVH: EBX = physical address of struct hvm_start_info. */
	.globl pvh_entry
	.type pvh_entry, @function
pvh_entry:
	cli
	cld
	movl %ebx, %edi
	movl $BOOT_SRC_PVH, %esi
	jmp start32

halt32:
	hlt
	jmp halt32

/* EDI = boot info pointer, ESI = boot source; both kept across the switch. */
start32:
	/* zero .bss (the loader should have, but the page tables live there) */
	movl %edi, %ebp
	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	shrl $2, %ecx
	xorl %eax, %eax
	rep stosl
	movl %ebp, %edi

	/* boot page tables: identity map of the first 4 GiB with 2 MiB pages */
	movl $boot_pdpt, %eax
	orl $3, %eax
	movl %eax, boot_pml4
	xorl %ecx, %ecx
1:	movl %ecx, %eax
	shll $12, %eax
	addl $boot_pd, %eax
	orl $3, %eax
	movl %eax, boot_pdpt(, %ecx, 8)
	incl %ecx
	cmpl $4, %ecx
	jne 1b
	xorl %ecx, %ecx
2:	movl %ecx, %eax
	shll $21, %eax
	orl $0x83, %eax			/* present, writable, 2 MiB */
	movl %eax, boot_pd(, %ecx, 8)
	movl %ecx, %eax
	shrl $11, %eax			/* bits 32+ of the physical address */
	movl %eax, boot_pd + 4(, %ecx, 8)
	incl %ecx
	cmpl $2048, %ecx
	jne 2b

	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl $boot_pml4, %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr
	movl %cr0, %eax
	orl $(CR0_PG | CR0_PE | CR0_WP), %eax
	movl %eax, %cr0
	lgdt gdt_ptr
	ljmp $0x08, $start64

	.code64
start64:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %eax, %fs
	movl %eax, %gs
	movl %edi, %edi			/* zero-extend: upper halves are undefined after the switch */
	movl %esi, %esi
	jmp common64

/*
 * jeos-hv entry = the ELF's e_entry: 64-bit mode, paging on with guest memory identity mapped,
 * interrupts off, RDI = guest-physical address of the jeos-hv boot-info block.
 */
	.globl _start
	.type _start, @function
_start:
	cli
	cld
	movq %rdi, %r12
	leaq __bss_start(%rip), %rdi
	leaq __bss_end(%rip), %rcx
	subq %rdi, %rcx
	shrq $3, %rcx
	xorl %eax, %eax
	rep stosq
	lgdt gdt_ptr(%rip)
	pushq $0x08
	leaq 1f(%rip), %rax
	pushq %rax
	lretq
1:	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %eax, %fs
	movl %eax, %gs
	movq %r12, %rdi
	movl $BOOT_SRC_JEOS_HV, %esi

/* RDI = boot info pointer, ESI = boot source. */
common64:
	leaq boot_stack_top(%rip), %rsp
	xorl %ebp, %ebp
	call kernel_boot
3:	cli
	hlt
	jmp 3b

	.section .data
	.balign 16
	.globl gdt
gdt:
	.quad 0
	.quad 0x00209a0000000000	/* 0x08: 64-bit code */
	.quad 0x0000920000000000	/* 0x10: data */
	.quad 0, 0			/* 0x18: TSS, filled in by cpu_init */
gdt_end:
	.balign 16
	.globl gdt_ptr
gdt_ptr:
	.word gdt_end - gdt - 1
	.quad gdt

	.section .bss.boot, "aw", @nobits
	.balign 4096
boot_pml4:	.skip 4096
boot_pdpt:	.skip 4096
boot_pd:	.skip 4 * 4096

	.section .stack, "aw", @nobits
	.balign 4096
	.globl boot_stack_guard
boot_stack_guard:	.skip 4096
	.globl boot_stack_bottom
boot_stack_bottom:	.skip BOOT_STACK_SIZE
	.globl boot_stack_top
boot_stack_top:

	.section .note.GNU-stack, "", @progbits

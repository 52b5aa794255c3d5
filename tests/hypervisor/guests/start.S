/* start.S — test-guest entries: jeos-hv (64-bit, RDI = boot info) and PVH (32-bit, for QEMU). */
#define PVH_NOTE_TYPE 18 /* XEN_ELFNOTE_PHYS32_ENTRY */

    .section .text.start, "ax"
    .code64
    .globl _start
_start:
    /* jeos-hv entry: long mode, paging on, RDI = boot-info GPA. */
    lea stack_top(%rip), %rsp
    movl $0, guest_platform(%rip)
    call guest_main
    movl %eax, %edi
    call guest_exit
1:  hlt
    jmp 1b

    /* PVH entry (QEMU -kernel): 32-bit protected mode, paging off, EBX = start_info. */
    .code32
pvh_start:
    mov $pvh_pml4, %eax
    mov %eax, %cr3
    mov %cr4, %eax
    or $0x620, %eax            /* PAE, OSFXSR, OSXMMEXCPT */
    mov %eax, %cr4
    mov $0xc0000080, %ecx      /* EFER.LME */
    rdmsr
    or $0x100, %eax
    wrmsr
    mov %cr0, %eax
    or $0x80000001, %eax       /* PG, PE */
    and $0x9fffffff, %eax      /* caches on */
    mov %eax, %cr0
    lgdt pvh_gdt_desc
    ljmp $0x08, $pvh_long
    .code64
pvh_long:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    lea stack_top(%rip), %rsp
    movl $1, guest_platform(%rip)
    xor %edi, %edi             /* no jeos-hv boot info */
    call guest_main
    movl %eax, %edi
    call guest_exit
2:  hlt
    jmp 2b

    .section .rodata
    .align 8
pvh_gdt:
    .quad 0
    .quad 0x00af9b000000ffff
    .quad 0x00cf93000000ffff
pvh_gdt_desc:
    .word 23
    .long pvh_gdt

    .section .note.Xen, "a"
    .align 4
    .long 4, 4, PVH_NOTE_TYPE
    .asciz "Xen"
    .long pvh_start

    .data
    .align 4096
pvh_pml4:
    .quad pvh_pdpt + 3
    .fill 511, 8, 0
pvh_pdpt:
    .quad pvh_pd + 3
    .fill 511, 8, 0
pvh_pd:
    .quad 0x000083, 0x200083, 0x400083, 0x600083 /* first 8 MiB, 2 MiB pages */
    .fill 508, 8, 0

    .bss
    .align 16
    .globl guest_platform
guest_platform:
    .long 0
    .align 16
    .skip 16384
stack_top:

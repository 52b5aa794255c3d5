/* unikernel/arch/x86_64/bootsrc.h — boot source numbers shared by boot.S and C. */
#ifndef UK_ARCH_BOOTSRC_H
#define UK_ARCH_BOOTSRC_H

#define BOOT_SRC_MULTIBOOT2 1
#define BOOT_SRC_PVH        2
#define BOOT_SRC_JEOS_HV    3

#endif

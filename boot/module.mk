# boot/module.mk — GRUB into image files, the bootable disk, the initramfs.

LIBJEOS_SRCS += boot/grub.c boot/disk.c

FORMAT_SRCS += $(wildcard boot/*.c boot/*.h)

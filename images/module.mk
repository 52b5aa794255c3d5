# images/module.mk — filesystem writers (ext4 through libext2fs, squashfs through sqfstar),
# partition tables and output formats.

LIBJEOS_SRCS += images/fs.c images/ext4.c images/squashfs.c
LIBJEOS_SRCS += images/ptable.c images/gpt.c images/mbr.c images/format.c

FORMAT_SRCS += $(wildcard images/*.c images/*.h)

# images/module.mk — filesystem writers (ext4 through libext2fs, squashfs through sqfstar).

LIBJEOS_SRCS += images/fs.c images/ext4.c images/squashfs.c

FORMAT_SRCS += $(wildcard images/*.c images/*.h)

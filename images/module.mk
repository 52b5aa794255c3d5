# images/module.mk — filesystem writers (ext4 through libext2fs, squashfs through sqfstar),
# partition tables and output formats: every .c here (images/README.md).

LIBJEOS_SRCS += $(sort $(wildcard images/*.c))

FORMAT_SRCS += $(wildcard images/*.c images/*.h)

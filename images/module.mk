# images/module.mk — partition tables and output formats.

LIBJEOS_SRCS += images/ptable.c images/gpt.c images/mbr.c images/format.c

FORMAT_SRCS += $(wildcard images/*.c images/*.h)

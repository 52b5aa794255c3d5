# images/module.mk — (nothing built here yet)

FORMAT_SRCS += $(wildcard images/*.c images/*.h)

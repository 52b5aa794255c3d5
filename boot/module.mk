# boot/module.mk — (nothing built here yet)

FORMAT_SRCS += $(wildcard boot/*.c boot/*.h)

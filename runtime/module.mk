# runtime/module.mk — (nothing built here yet)

FORMAT_SRCS += $(wildcard runtime/*.c runtime/*.h)

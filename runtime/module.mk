# runtime/module.mk — runtime/init (PID 1 of an appliance, a static musl binary) and the
# builder-side writer of its configuration.

LIBJEOS_SRCS += runtime/init_conf.c

INIT_SRCS := runtime/init/main.c runtime/init/console.c runtime/init/service.c runtime/init/power.c \
	runtime/init/conf.c runtime/init/net.c runtime/init/root.c
# musl makes a small static binary; gcc -static (glibc) is the fallback.
INIT_CC ?= $(shell command -v musl-gcc >/dev/null 2>&1 && echo musl-gcc || echo gcc)
INIT_CFLAGS := -std=c11 -D_GNU_SOURCE -Os -static $(WARN) -fstack-protector-strong -I.
PROGRAMS += $(O)/jeos-init

$(O)/jeos-init: $(INIT_SRCS) $(wildcard runtime/init/*.h)
	$(quiet) INIT $@
	@mkdir -p $(@D)
	$(Q)$(INIT_CC) $(INIT_CFLAGS) -o $@ $(INIT_SRCS)
	$(Q)strip $@

FORMAT_SRCS += $(wildcard runtime/*.c runtime/*.h runtime/init/*.c runtime/init/*.h)

# hypervisor/module.mk — jeos-hv, the KVM monitor (out/jeos-hv), and what its tests and fuzz target link.

HV_SRCS := hypervisor/main.c hypervisor/vm.c hypervisor/run.c hypervisor/dispatch.c \
	hypervisor/elf.c hypervisor/sandbox.c
HV_OBJS := $(HV_SRCS:%.c=$(O)/obj/%.o)
PROGRAMS += $(O)/jeos-hv

$(O)/jeos-hv: $(HV_OBJS)
	$(quiet) LD $@
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $(HV_OBJS) -pthread

# The dispatcher and loader link without KVM: the fuzz target takes them as they are.
out/fuzz/hv_dispatch_fuzz: tests/fuzz/hv_dispatch_fuzz.c hypervisor/dispatch.c hypervisor/elf.c \
		hypervisor/hv.h hypervisor/abi.h
	$(quiet) FUZZ $@
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -o $@ $< hypervisor/dispatch.c hypervisor/elf.c

FORMAT_SRCS += $(wildcard hypervisor/*.c hypervisor/*.h)

include tests/hypervisor/guests/module.mk

# The host's script tests run the sanitizer build (its leak checker runs at exit in the main
# thread, outside the filtered run thread); the nested test takes the plain one into its L1.
check: $(O)/jeos-hv $(HV_GUEST_ELFS)

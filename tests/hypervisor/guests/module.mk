# tests/hypervisor/guests/module.mk — tiny freestanding 64-bit test guests for jeos-hv (out/hv-guests/*.elf).

HV_GUEST_DIR := tests/hypervisor/guests
HV_GUESTS := hello blk net hostile timer platform netbench smp
HV_GUEST_ELFS := $(HV_GUESTS:%=$(O)/hv-guests/%.elf)
HV_GUEST_CFLAGS := -std=c11 -O2 -I. -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
	-fcf-protection=none -mno-red-zone -mgeneral-regs-only -fno-asynchronous-unwind-tables \
	-Wall -Wextra -Werror
HV_GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,-T,$(HV_GUEST_DIR)/link.ld -Wl,--build-id=none \
	-Wl,-z,noexecstack -Wl,--no-warn-rwx-segments
PROGRAMS += $(HV_GUEST_ELFS)

# The platform guest also links the unikernel's jeos-hv device calls.
HV_GUEST_EXTRA_platform := unikernel/platform/hv/devices.c
$(O)/hv-guests/platform.elf: unikernel/platform/hv/devices.c unikernel/platform/hv/hv.h

$(O)/hv-guests/%.elf: $(HV_GUEST_DIR)/%.c $(HV_GUEST_DIR)/start.S $(HV_GUEST_DIR)/lib.c \
		$(HV_GUEST_DIR)/guest.h $(HV_GUEST_DIR)/link.ld hypervisor/abi.h
	$(quiet) GUEST $@
	@mkdir -p $(@D)
	$(Q)$(CC) $(HV_GUEST_CFLAGS) $(HV_GUEST_LDFLAGS) -o $@ $(HV_GUEST_DIR)/start.S \
		$(HV_GUEST_DIR)/lib.c $< $(HV_GUEST_EXTRA_$*)

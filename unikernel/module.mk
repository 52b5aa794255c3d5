# unikernel/module.mk — the unikernel kernel (freestanding), one platform per build, and the link helper.
#
# Out:   $(O)/unikernel/libuk-$(UK_PLATFORM).a   kernel library (arch, memory, time, interrupts,
#                                                 console, exit, platform/$(UK_PLATFORM))
#        $(UK_LDS)                                the linker script
# Link an application (objects that define main()) into one bootable ELF:
#        $(eval $(call uk_app,OUT.elf,OBJS))      two-pass link: the second embeds the symbol table
# Compile application sources with $(UK_APP_CFLAGS) (red zone and SSE allowed: every interrupt
# runs on an IST stack and the kernel itself uses general registers only).

UK_PLATFORM ?= qemu-kvm
UK_PLATFORMS := qemu-kvm
ifeq ($(filter $(UK_PLATFORM),$(UK_PLATFORMS)),)
$(error UK_PLATFORM=$(UK_PLATFORM): unknown platform (expected one of: $(UK_PLATFORMS)))
endif

UK_CC ?= gcc
UK_LD ?= ld
UK_NM ?= nm
UK_DIR := $(O)/unikernel
UK_LDS := unikernel/arch/x86_64/kernel.ld
UK_LIB := $(UK_DIR)/libuk-$(UK_PLATFORM).a
UK_LIBGCC := $(shell $(UK_CC) -print-libgcc-file-name)

UK_COMMON_CFLAGS := -std=c11 -O2 -g -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
	-fno-omit-frame-pointer -fno-asynchronous-unwind-tables -fcf-protection=none \
	-ffunction-sections -fdata-sections -MMD -MP -Iunikernel
UK_CFLAGS := $(UK_COMMON_CFLAGS) $(WARN) -mgeneral-regs-only
UK_APP_CFLAGS := $(UK_COMMON_CFLAGS)
UK_ASFLAGS := -Iunikernel -MMD -MP
UK_LDFLAGS := -m elf_x86_64 -nostdlib -static -T $(UK_LDS) --gc-sections -z max-page-size=4096 \
	-z noexecstack --build-id=none -u _start

UK_SRCS := unikernel/kernel.c unikernel/lib/string.c \
	unikernel/arch/x86_64/boot.S unikernel/arch/x86_64/isr.S unikernel/arch/x86_64/cpu.c \
	unikernel/arch/x86_64/trap.c unikernel/arch/x86_64/ksyms.c unikernel/arch/x86_64/bootinfo.c \
	unikernel/arch/x86_64/paging.c unikernel/memory/page.c unikernel/memory/heap.c \
	unikernel/console/serial.c unikernel/console/printk.c unikernel/interrupts/irq.c \
	unikernel/time/time.c unikernel/exit/acpi.c \
	$(wildcard unikernel/platform/$(UK_PLATFORM)/*.c)
UK_OBJS := $(patsubst %,$(UK_DIR)/obj/%.o,$(UK_SRCS))

$(UK_DIR)/obj/%.c.o: %.c
	$(quiet) UKCC $<
	@mkdir -p $(@D)
	$(Q)$(UK_CC) $(UK_CFLAGS) -c -o $@ $<

$(UK_DIR)/obj/%.S.o: %.S
	$(quiet) UKAS $<
	@mkdir -p $(@D)
	$(Q)$(UK_CC) $(UK_ASFLAGS) -c -o $@ $<

$(UK_LIB): $(UK_OBJS)
	$(quiet) AR $@
	@rm -f $@
	$(Q)ar rcs $@ $^

# Application objects: $(UK_DIR)/app/<path>.o from <path>.c, built with the application flags.
$(UK_DIR)/app/%.o: %.c
	$(quiet) UKAPP $<
	@mkdir -p $(@D)
	$(Q)$(UK_CC) $(UK_APP_CFLAGS) -c -o $@ $<

# uk_app OUT,OBJS: link OBJS with the kernel; pass 1 without symbols, pass 2 with the table
# generated from pass 1 (.ksyms sits after .data, so code and data addresses do not move).
define uk_app
$(1): $(2) $$(UK_LIB) $$(UK_LDS) unikernel/tools/ksyms.sh
	$$(quiet) UKLD $$@
	@mkdir -p $$(@D)
	$$(Q)sh unikernel/tools/ksyms.sh </dev/null >$$@.ksyms0.S
	$$(Q)$$(UK_CC) -c -o $$@.ksyms0.o $$@.ksyms0.S
	$$(Q)$$(UK_LD) $$(UK_LDFLAGS) -o $$@.pass1 $(2) $$@.ksyms0.o $$(UK_LIB) $$(UK_LIBGCC)
	$$(Q)$$(UK_NM) -n --defined-only $$@.pass1 | sh unikernel/tools/ksyms.sh >$$@.ksyms.S
	$$(Q)$$(UK_CC) -c -o $$@.ksyms.o $$@.ksyms.S
	$$(Q)$$(UK_LD) $$(UK_LDFLAGS) -o $$@.tmp $(2) $$@.ksyms.o $$(UK_LIB) $$(UK_LIBGCC)
	$$(Q)rm -f $$@.pass1 $$@.ksyms0.S $$@.ksyms0.o $$@.ksyms.S $$@.ksyms.o
	$$(Q)mv $$@.tmp $$@
endef

# Test guests (tests/unikernel/guests/*.c), one ELF each.
UK_GUEST_SRCS := $(wildcard tests/unikernel/guests/*.c)
UK_GUESTS := $(UK_GUEST_SRCS:tests/unikernel/guests/%.c=$(UK_DIR)/guests/%.elf)
$(foreach g,$(UK_GUEST_SRCS),$(eval $(call uk_app,$(g:tests/unikernel/guests/%.c=$(UK_DIR)/guests/%.elf),$(UK_DIR)/app/$(g:.c=.o))))

PROGRAMS += $(UK_LIB) $(UK_GUESTS)
FORMAT_SRCS += $(wildcard unikernel/*.c unikernel/*.h unikernel/*/*.c unikernel/*/*.h \
	unikernel/*/*/*.c unikernel/*/*/*.h tests/unikernel/guests/*.c)

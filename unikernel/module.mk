# unikernel/module.mk — the unikernel kernel (freestanding), one platform per build, and the link helper.
#
# Out:   $(O)/unikernel/libuk-$(UK_PLATFORM).a   kernel library (arch, memory, time, interrupts,
#                                                 console, exit, platform/$(UK_PLATFORM))
#        $(UK_LDS)                                the linker script
# Link an application (objects that define main()) into one bootable ELF:
#        $(eval $(call uk_app,OUT.elf,OBJS))      two-pass link: the second embeds the symbol table
# Compile application sources with $(UK_APP_CFLAGS) (red zone and SSE allowed: every interrupt
# runs on an IST stack and the kernel itself uses general registers only).

# Platforms: each ELF links exactly one. UK_PLATFORM is the default for applications.
UK_PLATFORMS := qemu-kvm hv xen
UK_PLATFORM ?= qemu-kvm
ifeq ($(filter $(UK_PLATFORM),$(UK_PLATFORMS)),)
$(error UK_PLATFORM=$(UK_PLATFORM): unknown platform (expected one of: $(UK_PLATFORMS)))
endif

UK_CC ?= gcc
UK_LD ?= ld
UK_NM ?= nm
UK_DIR := $(O)/unikernel
UK_LDS := unikernel/arch/x86_64/kernel.ld
UK_LIB := $(UK_DIR)/libuk-$(UK_PLATFORM).a
uk_lib = $(UK_DIR)/libuk-$(1).a

# The checkout's own path stays out of the debug info: the same sources give the same ELF
# wherever they were checked out (a unikernel ELF links these objects).
UK_PREFIX_MAP := -ffile-prefix-map=$(CURDIR)=/jeos
UK_COMMON_CFLAGS := -std=c11 -O2 -g -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
	-fno-omit-frame-pointer -fno-asynchronous-unwind-tables -fcf-protection=none \
	-ffunction-sections -fdata-sections -MMD -MP -Iunikernel $(UK_PREFIX_MAP)
UK_CFLAGS := $(UK_COMMON_CFLAGS) $(WARN) -mgeneral-regs-only
UK_APP_CFLAGS := $(UK_COMMON_CFLAGS)
UK_ASFLAGS := -Iunikernel -MMD -MP $(UK_PREFIX_MAP)

# Drivers (drivers/): in every kernel library; the platform's device set-up pulls in what it uses.
UK_DRIVER_SRCS := unikernel/drivers/netdev.c unikernel/drivers/blkdev.c unikernel/drivers/pci.c \
	unikernel/drivers/virtio/virtio.c unikernel/drivers/virtio/virtqueue.c \
	unikernel/drivers/virtio/pci.c unikernel/drivers/virtio/mmio.c unikernel/drivers/virtio/net.c \
	unikernel/drivers/virtio/blk.c unikernel/drivers/nvme.c \
	unikernel/drivers/vmxnet3.c unikernel/drivers/pvscsi.c
UK_CORE_SRCS := unikernel/kernel.c unikernel/lib/string.c \
	unikernel/arch/x86_64/boot.S unikernel/arch/x86_64/isr.S unikernel/arch/x86_64/cpu.c \
	unikernel/arch/x86_64/trap.c unikernel/arch/x86_64/ksyms.c unikernel/arch/x86_64/bootinfo.c \
	unikernel/arch/x86_64/paging.c unikernel/memory/page.c unikernel/memory/heap.c \
	unikernel/console/serial.c unikernel/console/printk.c unikernel/interrupts/irq.c \
	unikernel/time/time.c unikernel/time/rtc.c unikernel/exit/acpi.c \
	$(UK_DRIVER_SRCS)
UK_CORE_OBJS := $(patsubst %,$(UK_DIR)/obj/%.o,$(UK_CORE_SRCS))

$(UK_DIR)/obj/%.c.o: %.c
	$(quiet) UKCC $<
	@mkdir -p $(@D)
	$(Q)$(UK_CC) $(UK_CFLAGS) -c -o $@ $<

$(UK_DIR)/obj/%.S.o: %.S
	$(quiet) UKAS $<
	@mkdir -p $(@D)
	$(Q)$(UK_CC) $(UK_ASFLAGS) -c -o $@ $<

# One kernel library per platform: the core objects plus platform/<name>/*.c.
define uk_platform_lib
$(UK_DIR)/libuk-$(1).a: $(UK_CORE_OBJS) $(patsubst %,$(UK_DIR)/obj/%.o,$(wildcard unikernel/platform/$(1)/*.c))
	$$(quiet) AR $$@
	@rm -f $$@
	$$(Q)ar rcs $$@ $$^
endef
$(foreach p,$(UK_PLATFORMS),$(eval $(call uk_platform_lib,$(p))))

# The TCP/IP stack (lwIP from Debian's source package) and its glue: unikernel/net/module.mk.
include unikernel/net/module.mk

# Application objects: $(UK_DIR)/app/<path>.o from <path>.c, built with the application flags.
$(UK_DIR)/app/%.o: %.c
	$(quiet) UKAPP $<
	@mkdir -p $(@D)
	$(Q)$(UK_CC) $(UK_APP_CFLAGS) -c -o $@ $<

# uk_app OUT,OBJS[,PLATFORM]: link OBJS with the kernel of PLATFORM (default $(UK_PLATFORM)) through
# tools/uk-link.sh (two passes, the second with the embedded symbol table). The builder and the
# runtime can run uk-link.sh directly.
define uk_app
$(1): $(2) $$(call uk_lib,$(or $(3),$$(UK_PLATFORM))) $$(UK_LDS) unikernel/tools/ksyms.sh unikernel/tools/uk-link.sh
	$$(quiet) UKLD $$@
	$$(Q)UK_CC=$$(UK_CC) UK_LD=$$(UK_LD) UK_NM=$$(UK_NM) \
		sh unikernel/tools/uk-link.sh $$@ $$(call uk_lib,$(or $(3),$$(UK_PLATFORM))) $$(UK_LDS) $(2)
endef

# libFuzzer: the virtio-net and virtio-blk drivers and virtqueues, built for the host against a
# lying device.
UK_FUZZ_SRCS := unikernel/drivers/netdev.c unikernel/drivers/blkdev.c \
	unikernel/drivers/virtio/virtio.c unikernel/drivers/virtio/virtqueue.c \
	unikernel/drivers/virtio/net.c unikernel/drivers/virtio/blk.c
out/fuzz/virtio_net_fuzz out/fuzz/virtio_blk_fuzz: out/fuzz/%: tests/fuzz/%.c $(UK_FUZZ_SRCS) \
		tests/fuzz/virtio_fake.c tests/fuzz/virtio_fake.h \
		$(wildcard unikernel/drivers/*.h unikernel/drivers/virtio/*.h)
	$(quiet) FUZZ $@
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -Iunikernel -o $@ $< tests/fuzz/virtio_fake.c $(UK_FUZZ_SRCS)

# libFuzzer: the xen platform's netfront and blkfront response handling against a lying backend.
UK_XEN_FUZZ_DEPS := $(wildcard unikernel/platform/xen/*.c unikernel/platform/xen/*.h) \
	unikernel/drivers/netdev.c unikernel/drivers/blkdev.c
out/fuzz/xen_front_fuzz: tests/fuzz/xen_front_fuzz.c $(UK_XEN_FUZZ_DEPS)
	$(quiet) FUZZ $@
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -Iunikernel -o $@ $<

# Test guests (tests/unikernel/guests/*.c), one ELF each.
UK_GUEST_SRCS := $(wildcard tests/unikernel/guests/*.c)
UK_GUESTS := $(UK_GUEST_SRCS:tests/unikernel/guests/%.c=$(UK_DIR)/guests/%.elf)
$(foreach g,$(UK_GUEST_SRCS),$(eval $(call uk_app,$(g:tests/unikernel/guests/%.c=$(UK_DIR)/guests/%.elf),$(UK_DIR)/app/$(g:.c=.o))))

# The same test guests for jeos-hv (platform hv).
UK_HV_GUESTS := $(UK_GUEST_SRCS:tests/unikernel/guests/%.c=$(UK_DIR)/guests-hv/%.elf)
$(foreach g,$(UK_GUEST_SRCS),$(eval $(call uk_app,$(g:tests/unikernel/guests/%.c=$(UK_DIR)/guests-hv/%.elf),$(UK_DIR)/app/$(g:.c=.o),hv)))

# And for Xen (platform xen): tests/hypervisor/xen_test.sh runs blk.elf as a domU on blkfront.
UK_XEN_GUESTS := $(UK_GUEST_SRCS:tests/unikernel/guests/%.c=$(UK_DIR)/guests-xen/%.elf)
$(foreach g,$(UK_GUEST_SRCS),$(eval $(call uk_app,$(g:tests/unikernel/guests/%.c=$(UK_DIR)/guests-xen/%.elf),$(UK_DIR)/app/$(g:.c=.o),xen)))

# The kit `jeos build` compiles and links a unikernel recipe with (found beside the jeos binary:
# out/unikernel/kit): uk.h (the libc is musl's, from musl-dev), one kernel library per
# platform, the linker script and the link helper; the POSIX runtime joins it (runtime/module.mk).
UK_KIT := $(UK_DIR)/kit
UK_KIT_FILES := $(UK_KIT)/include/uk.h \
	$(foreach p,$(UK_PLATFORMS),$(UK_KIT)/lib/libuk-$(p).a) \
	$(UK_KIT)/kernel.ld $(UK_KIT)/uk-link.sh $(UK_KIT)/ksyms.sh
$(UK_KIT)/include/uk.h: unikernel/uk.h
	@mkdir -p $(@D)
	$(Q)cp $< $@
$(UK_KIT)/lib/%.a: $(UK_DIR)/%.a
	@mkdir -p $(@D)
	$(Q)cp $< $@
$(UK_KIT)/kernel.ld: $(UK_LDS)
	@mkdir -p $(@D)
	$(Q)cp $< $@
$(UK_KIT)/%.sh: unikernel/tools/%.sh
	@mkdir -p $(@D)
	$(Q)cp $< $@

PROGRAMS += $(UK_KIT_FILES) $(foreach p,$(UK_PLATFORMS),$(call uk_lib,$(p))) $(UK_GUESTS) \
	$(UK_HV_GUESTS) $(UK_XEN_GUESTS)
FORMAT_SRCS += $(wildcard unikernel/*.c unikernel/*.h unikernel/*/*.c unikernel/*/*.h \
	unikernel/*/*/*.c unikernel/*/*/*.h unikernel/*/*/*/*.h tests/unikernel/guests/*.c \
	tests/unikernel/linux/*.c)

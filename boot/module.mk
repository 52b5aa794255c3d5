# boot/module.mk — boot methods (GRUB for BIOS and UEFI) into image files, the bootable disk, the
# initramfs: every .c here (boot/README.md).

LIBJEOS_SRCS += $(sort $(wildcard boot/*.c))

FORMAT_SRCS += $(wildcard boot/*.c boot/*.h)

# bootkit: the boot tests' driver for these pieces (not a test itself: no _test suffix).
TEST_BINS += $(O)/tests/boot/bootkit
$(O)/tests/boot/bootkit: tests/boot/bootkit.c $(O)/libjeos.a
	$(quiet) TEST $@
	@mkdir -p $(@D)
	$(Q)$(CC) $(HOST_CFLAGS) $(PKG_CFLAGS) -o $@ $< $(O)/libjeos.a $(PKG_LDLIBS) $(HOST_LDFLAGS)

# jeos — one non-recursive Makefile; each folder adds its parts through module.mk.
#
#   make            build out/jeos (and whatever the modules add)
#   make deps       install the Debian packages the project needs (idempotent)
#   make check      ASan+UBSan build of everything, then every test; ends "N passed, N failed, N skipped"
#   make bench      benchmarks in tests/bench (our figure beside a peer's, and the ratio)
#   make fuzz       libFuzzer targets in out/fuzz/ (clang)
#   make format     clang-format the C sources in place; make format-check only checks
#   make demo       the README's first command: deps, build, the default recipe's main job
#
# Variables: O=DIR (output folder, default out), V=1 (show commands),
# SANITIZER=address,undefined (any -fsanitize= list), CC.

JEOS_VERSION := 0.1.0

O ?= out
V ?= 0
SANITIZER ?=
CC ?= cc
CLANG ?= clang

ifeq ($(V),1)
Q :=
quiet = @:
else
Q := @
quiet = @printf '  %-7s %s\n'
endif

# Debian packages the project needs: libraries, boot tools, emulators and test tools.
DEPS_PKGS := build-essential pkg-config clang clang-format libclang-rt-14-dev \
	libyaml-dev libarchive-dev libext2fs-dev comerr-dev e2fsprogs libcurl4-openssl-dev libssl-dev \
	libseccomp-dev gpgv gnupg debian-archive-keyring dpkg-dev xz-utils zstd cpio \
	squashfs-tools mtools dosfstools fdisk grub-common grub-pc-bin grub-efi-amd64-bin \
	musl-dev musl-tools qemu-system-x86 qemu-utils ovmf hyperfine python3-yaml \
	time iproute2 procps mmdebstrap bc curl skopeo umoci faketime \
	mosquitto-clients libmemcached-tools openssh-client postgresql-client wrk redis-tools sqlite3 \
	xen-hypervisor-4.17-amd64 libjson-c-dev python3-jsonschema sbsigntool genisoimage libxml2-utils gdb

PKG_LIBS := yaml-0.1 libarchive ext2fs com_err libcurl libcrypto json-c
PKG_CFLAGS = $(shell pkg-config --cflags $(PKG_LIBS) 2>/dev/null)
PKG_LDLIBS = $(shell pkg-config --libs $(PKG_LIBS) 2>/dev/null)

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Werror
HOST_CFLAGS := -std=c11 -D_GNU_SOURCE -O2 -g $(WARN) -fstack-protector-strong \
	-MMD -MP -I. -DJEOS_VERSION='"$(JEOS_VERSION)"'
HOST_LDFLAGS :=
ifneq ($(SANITIZER),)
HOST_CFLAGS += -fsanitize=$(SANITIZER) -fno-omit-frame-pointer -fno-sanitize-recover=all
HOST_LDFLAGS += -fsanitize=$(SANITIZER)
endif

# Filled in by the modules.
LIBJEOS_SRCS :=
JEOS_SRCS :=
PROGRAMS :=
TEST_BINS :=
FUZZ_TARGETS :=
BENCH_BINS :=
FORMAT_SRCS :=

.PHONY: all deps check test-build bench fuzz format format-check demo clean
all:

include builder/module.mk
include images/module.mk
include boot/module.mk
include unikernel/module.mk
include runtime/module.mk
include hypervisor/module.mk
include tests/module.mk

LIBJEOS_OBJS := $(LIBJEOS_SRCS:%.c=$(O)/obj/%.o)
JEOS_OBJS := $(JEOS_SRCS:%.c=$(O)/obj/%.o)

all: $(O)/jeos $(PROGRAMS)

$(O)/obj/%.o: %.c
	$(quiet) CC $<
	@mkdir -p $(@D)
	$(Q)$(CC) $(HOST_CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

$(O)/libjeos.a: $(LIBJEOS_OBJS)
	$(quiet) AR $@
	@rm -f $@
	$(Q)ar rcs $@ $^

$(O)/jeos: $(JEOS_OBJS) $(O)/libjeos.a
	$(quiet) LD $@
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $(JEOS_OBJS) $(O)/libjeos.a $(PKG_LDLIBS)

deps:
	$(Q)missing=$$(for p in $(DEPS_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "make deps: installing:" $$missing; \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $$missing; \
	fi

# make check: a sanitizer build in its own folder, then every test.
# The plain tree is built too: jeos-hv (its seccomp filter forbids the sanitizer's exit-time calls)
# and the guest-side programs (jeos-init, the unikernel kit) are used from it.
check: deps
	$(Q)$(MAKE) --no-print-directory O=out/san SANITIZER=address,undefined test-build
	$(Q)$(MAKE) --no-print-directory O=out all
	$(Q)JEOS_SAN_OUT=out/san JEOS_OUT=out tests/run.sh

test-build: all $(TEST_BINS)

bench: deps all $(BENCH_BINS)
	$(Q)JEOS_OUT=$(O) tests/bench/run.sh

fuzz: $(FUZZ_TARGETS)

format:
	$(Q)clang-format -i $(FORMAT_SRCS)

format-check:
	$(Q)clang-format --dry-run -Werror $(FORMAT_SRCS)

demo: deps all
	$(Q)$(O)/jeos validate recipes/*.yaml
	$(Q)O=$(O) tests/demo.sh

clean:
	rm -rf out

-include $(shell find $(O) -name '*.d' 2>/dev/null)

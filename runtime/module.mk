# runtime/module.mk — what runs in the guest beside the application: runtime/init (PID 1 of an
# appliance, a static musl binary; the builder writes its configuration: builder/appliance/init_conf.c) and
# runtime/libc (the POSIX runtime of unikernels: Linux system calls in ring 0 under musl's libc.a).

INIT_SRCS := runtime/init/main.c runtime/init/console.c runtime/init/service.c runtime/init/power.c \
	runtime/init/conf.c runtime/init/net.c runtime/init/root.c runtime/init/boot.c \
	runtime/init/ready.c runtime/init/syslog.c runtime/init/cloud.c
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

# The POSIX runtime. Out: $(UK_DIR)/uk-runtime.o   one relocatable object (runtime + musl's crt1.o with _start renamed
#                               uk_musl_start), linked before musl's libc.a and the kernel library
MUSL_LIBDIR ?= /usr/lib/x86_64-linux-musl
MUSL_INCDIR ?= /usr/include/x86_64-linux-musl
RT_SRCS := $(wildcard runtime/libc/*.c runtime/libc/*.S)
RT_OBJS := $(patsubst %,$(UK_DIR)/obj/%.o,$(RT_SRCS)) $(UK_DIR)/obj/runtime/libc/names.gen.o
RT_OBJ := $(UK_DIR)/uk-runtime.o

$(UK_DIR)/gen/runtime/names.gen.c: runtime/libc/names.sh
	@mkdir -p $(@D)
	$(Q)sh $< /usr/include/x86_64-linux-gnu/asm/unistd_64.h > $@.tmp && mv $@.tmp $@

$(UK_DIR)/obj/runtime/libc/names.gen.o: $(UK_DIR)/gen/runtime/names.gen.c
	$(quiet) UKCC $<
	@mkdir -p $(@D)
	$(Q)$(UK_CC) $(UK_CFLAGS) -c -o $@ $<

$(UK_DIR)/obj/runtime/libc/%.c.o: UK_CFLAGS += -Iruntime/libc

$(UK_DIR)/crt1-uk.o: $(MUSL_LIBDIR)/crt1.o
	@mkdir -p $(@D)
	$(Q)objcopy --redefine-sym _start=uk_musl_start $< $@

$(RT_OBJ): $(RT_OBJS) $(UK_DIR)/crt1-uk.o
	$(quiet) LD $@
	$(Q)$(UK_LD) -r -o $@ $^

PROGRAMS += $(UK_KIT)/lib/uk-runtime.o
$(UK_KIT)/lib/uk-runtime.o: $(RT_OBJ)
	@mkdir -p $(@D)
	$(Q)cp $< $@

PROGRAMS += $(RT_OBJ)
FORMAT_SRCS += $(wildcard runtime/libc/*.c runtime/libc/*.h tests/runtime/src/*.c tests/runtime/src/*.h)

# The fuzz target compiles fs.c for the host: it needs the kernel's and the runtime's headers.
out/fuzz/rtfs_fuzz: FUZZ_CFLAGS += -Iunikernel -Iruntime/libc
out/fuzz/rtfs_fuzz: runtime/libc/fs.c runtime/libc/rt.h

# The runtime's sockets (runtime/libc/net/: socket calls over lwIP's raw API) with lwIP and its
# glue (unikernel/net/module.mk): one relocatable object, $(UK_DIR)/uk-net.o (kit: lib/uk-net.o),
# that jeos build links into programs that use the network; sock.h's weak symbols find it there.
RT_NET_SRCS := $(wildcard runtime/libc/net/*.c)
RT_NET_OBJS := $(patsubst %,$(UK_DIR)/obj/%.o,$(RT_NET_SRCS))
$(RT_NET_OBJS): UK_CFLAGS += -Iruntime/libc/net $(LWIP_INC)
$(RT_NET_OBJS): $(LWIP_HDRS) | $(LWIP_STAMP)
UK_NET_OBJ := $(UK_DIR)/uk-net.o
$(UK_NET_OBJ): $(RT_NET_OBJS) $(UK_NET_OBJS) $(LWIP_OBJS)
	$(quiet) LD $@
	$(Q)$(UK_LD) -r -o $@ $^

PROGRAMS += $(UK_NET_OBJ) $(UK_KIT)/lib/uk-net.o
$(UK_KIT)/lib/uk-net.o: $(UK_NET_OBJ)
	@mkdir -p $(@D)
	$(Q)cp $< $@
# Which lwIP the kit's stack has, for unikernel SBOMs (builder/unikernel/uksbom.c): its source
# package's debian/changelog, control and copyright, and the sha256 of its .dsc (the name of its
# folder in the cache).
UK_KIT_LWIP := $(UK_KIT)/lwip/dsc.sha256
PROGRAMS += $(UK_KIT_LWIP)
$(UK_KIT_LWIP): $(LWIP_STAMP)
	@mkdir -p $(@D)/debian
	$(Q)cp $(addprefix $(LWIP_TREE)/debian/,changelog control copyright) $(@D)/debian/
	$(Q)basename "$$(cat $<)" >$@
FORMAT_SRCS += $(wildcard runtime/libc/net/*.c runtime/libc/net/*.h)
include runtime/ext4/module.mk

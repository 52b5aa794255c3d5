# unikernel/net/module.mk — the TCP/IP stack: lwIP from Debian's lwip source package, and its glue.
#
# lwIP is never vendored: `jeos source` (builder/debian/source.c) finds it in the Sources index of
# the host's apt sources (InRelease checked with gpgv, the index against the Release, the .dsc
# against the index, the tarballs against both), unpacks it into the cache once per version
# (CACHE/source/<sha256 of the .dsc>), and $(LWIP_TREE) links to that tree. Its core — the
# files src/Filelists.mk lists as COREFILES, CORE4FILES and CORE6FILES, and netif/ethernet.c —
# is compiled here with the kernel's flags (freestanding, -mgeneral-regs-only: lwIP runs inside
# system calls and the idle loop) and unikernel/net/include/lwipopts.h.
#
# Out: $(LWIP_OBJS) and $(UK_NET_OBJS) (the glue), joined with the runtime's sockets into
#      $(UK_DIR)/uk-net.o (runtime/module.mk).
# Variables: LWIP_SOURCE=NAME[=VERSION] (default lwip: the highest version the sources have).

LWIP_SOURCE ?= lwip
LWIP_STAMP := $(UK_DIR)/lwip/source
LWIP_TREE := $(UK_DIR)/lwip/tree
LWIP_FILES := core/init.c core/def.c core/dns.c core/inet_chksum.c core/ip.c core/mem.c \
	core/memp.c core/netif.c core/pbuf.c core/raw.c core/stats.c core/sys.c core/altcp.c \
	core/altcp_alloc.c core/altcp_tcp.c core/tcp.c core/tcp_in.c core/tcp_out.c \
	core/timeouts.c core/udp.c \
	core/ipv4/autoip.c core/ipv4/dhcp.c core/ipv4/etharp.c core/ipv4/icmp.c core/ipv4/igmp.c \
	core/ipv4/ip4_frag.c core/ipv4/ip4.c core/ipv4/ip4_addr.c \
	core/ipv6/dhcp6.c core/ipv6/ethip6.c core/ipv6/icmp6.c core/ipv6/inet6.c core/ipv6/ip6.c \
	core/ipv6/ip6_addr.c core/ipv6/ip6_frag.c core/ipv6/mld6.c core/ipv6/nd6.c \
	netif/ethernet.c
LWIP_OBJS := $(LWIP_FILES:%.c=$(UK_DIR)/lwip/obj/%.o)
LWIP_HDRS := $(wildcard unikernel/net/include/*.h unikernel/net/include/*/*.h)
# The port's headers, lwIP's, and the freestanding shims (string.h, stdlib.h, limits.h: the
# kernel's functions); no host headers at all.
LWIP_INC := -nostdinc -isystem $(shell $(UK_CC) -print-file-name=include) \
	-Iunikernel/net/include -Iunikernel/net/include/freestanding -I$(LWIP_TREE)/src/include
LWIP_CFLAGS := $(UK_COMMON_CFLAGS) -mgeneral-regs-only $(LWIP_INC) -Wall -Wno-address

$(LWIP_STAMP): | $(O)/jeos
	$(quiet) SOURCE $(LWIP_SOURCE)
	@mkdir -p $(@D)
	$(Q)$(O)/jeos -q source $(LWIP_SOURCE) >$@.tmp || { rm -f $@.tmp; \
		echo "make: lwIP comes from Debian's $(LWIP_SOURCE) source package (see above)" >&2; exit 1; }
	$(Q)ln -sfn "$$(cat $@.tmp)" $(LWIP_TREE)
	$(Q)mv $@.tmp $@

$(LWIP_OBJS): $(UK_DIR)/lwip/obj/%.o: $(LWIP_STAMP) $(LWIP_HDRS)
	$(quiet) LWIPCC $*.c
	@mkdir -p $(@D)
	$(Q)$(UK_CC) $(LWIP_CFLAGS) -c -o $@ $(LWIP_TREE)/src/$*.c

# The glue: netifs over drivers/netdev.h, the stack's system side, the command-line configuration.
UK_NET_SRCS := $(wildcard unikernel/net/*.c)
UK_NET_OBJS := $(patsubst %,$(UK_DIR)/obj/%.o,$(UK_NET_SRCS))
$(UK_NET_OBJS): UK_CFLAGS += $(LWIP_INC)
$(UK_NET_OBJS): $(LWIP_HDRS) | $(LWIP_STAMP)

# libFuzzer: the runtime's socket calls with lwIP and this glue built for the host, on loopback
# (tests/fuzz/sockets_fuzz.c stands in for the kernel and the fd table).
SOCK_FUZZ_SRCS := $(wildcard runtime/libc/net/*.c) unikernel/net/stack.c unikernel/net/netif.c \
	unikernel/net/config.c
out/fuzz/sockets_fuzz: tests/fuzz/sockets_fuzz.c $(SOCK_FUZZ_SRCS) $(LWIP_HDRS) $(LWIP_STAMP) \
		$(wildcard runtime/libc/*.h runtime/libc/net/*.h unikernel/net/*.h)
	$(quiet) FUZZ $@
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -Wno-unused-command-line-argument -Iunikernel -Iruntime/libc \
		-Iruntime/libc/net -Iunikernel/net/include -I$(LWIP_TREE)/src/include -o $@ $< \
		$(SOCK_FUZZ_SRCS) $(addprefix $(LWIP_TREE)/src/,$(LWIP_FILES))

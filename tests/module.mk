# tests/module.mk — unit tests (tests/*/*_test.c, one binary each), fuzz targets, benchmarks.

UNIT_TEST_SRCS := $(wildcard tests/*/*_test.c)
TEST_BINS += $(UNIT_TEST_SRCS:%.c=$(O)/%)

$(O)/tests/%_test: tests/%_test.c $(O)/libjeos.a tests/harness.h
	$(quiet) TEST $@
	@mkdir -p $(@D)
	$(Q)$(CC) $(HOST_CFLAGS) $(PKG_CFLAGS) -o $@ $< $(O)/libjeos.a $(PKG_LDLIBS) $(HOST_LDFLAGS)

# The xen frontends' test includes the unikernel's sources, which include by unikernel/ paths.
$(O)/tests/unikernel/xen_front_test: HOST_CFLAGS += -Iunikernel

# libFuzzer targets: tests/fuzz/*_fuzz.c, each built with clang over the library sources.
FUZZ_SRCS := $(wildcard tests/fuzz/*_fuzz.c)
FUZZ_TARGETS += $(FUZZ_SRCS:tests/fuzz/%.c=out/fuzz/%)
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -O1 -g -I. -DJEOS_VERSION='"$(JEOS_VERSION)"' \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined

out/fuzz/%_fuzz: tests/fuzz/%_fuzz.c $(LIBJEOS_SRCS)
	$(quiet) FUZZ $@
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(PKG_CFLAGS) -o $@ $< $(LIBJEOS_SRCS) $(PKG_LDLIBS)

# Benchmark programs: tests/bench/*_bench.c.
BENCH_SRCS := $(wildcard tests/bench/*_bench.c)
BENCH_BINS += $(BENCH_SRCS:%.c=$(O)/%)
$(O)/tests/bench/%_bench: tests/bench/%_bench.c $(O)/libjeos.a
	$(quiet) BENCH $@
	@mkdir -p $(@D)
	$(Q)$(CC) $(HOST_CFLAGS) $(PKG_CFLAGS) -o $@ $< $(O)/libjeos.a $(PKG_LDLIBS) $(HOST_LDFLAGS)

FORMAT_SRCS += $(wildcard tests/*.h tests/*/*.c tests/*/*.h)

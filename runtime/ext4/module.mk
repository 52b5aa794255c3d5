# runtime/ext4/module.mk — ext4 volumes in the guest: libext2fs from Debian's e2fsprogs source
# package, its C library (libc.c), the blkdev I/O manager (blkio.c) and the mounts (vol.c), in
# one relocatable object, $(UK_DIR)/uk-ext4.o (kit: lib/uk-ext4.o), that jeos build links into
# programs whose recipe has volumes: (runtime/libc/vol.h's weak symbols find it there).
#
# e2fsprogs is never vendored: `jeos source` fetches and verifies it as it does lwIP
# (unikernel/net/module.mk) and $(E2FS_TREE) links to the tree in the cache. What its own build
# generates is generated here from the tree's inputs the same way: ext2_types.h from
# ext2_types.h.in (x86-64 sizes), ext2_err.h/.c from ext2_err.et.in with lib/et's awk scripts
# (compile_et), crc32c_table.h by running gen_crc32ctable.c on the host. The library files are
# compiled with the runtime's flags (freestanding, -mgeneral-regs-only) against musl's headers;
# every C-library symbol they use is then renamed rtx_NAME (libc.syms) so that none reaches
# musl, and the link fails if one is left.
# Variables: E2FS_SOURCE=NAME[=VERSION] (default e2fsprogs).

E2FS_SOURCE ?= e2fsprogs
E2FS_STAMP := $(UK_DIR)/e2fs/source
E2FS_TREE := $(UK_DIR)/e2fs/tree
E2FS_GEN := $(UK_DIR)/e2fs/gen
# lib/ext2fs: what opening, reading, writing, allocating, folders, extents, checksums and
# closing need (not the host I/O managers, e2fsck's counters or the undo and image files).
E2FS_FILES := alloc alloc_sb alloc_stats alloc_tables badblocks bb_inode bitmaps bitops \
	blkmap64_ba blkmap64_rb blknum block bmap check_desc closefs crc16 crc32c csum dblist \
	dblist_dir dir_iterate dirblock dirhash expanddir ext_attr extent fallocate fileio freefs \
	gen_bitmap gen_bitmap64 get_num_dirs get_pathname hashmap i_block ind_block inline \
	inline_data inode io_manager link lookup mkdir mkjournal mmp namei newdir nls_utf8 openfs \
	orphan punch rbtree read_bb res_gdt rw_bitmaps sha512 symlink unlink valid_blk version
E2FS_OBJS := $(E2FS_FILES:%=$(UK_DIR)/e2fs/obj/%.o) $(UK_DIR)/e2fs/obj/ext2_err.o
E2FS_GEN_HDRS := $(E2FS_GEN)/ext2fs/ext2_types.h $(E2FS_GEN)/ext2fs/ext2_err.h \
	$(E2FS_GEN)/crc32c_table.h
E2FS_INC := -nostdinc -isystem $(shell $(UK_CC) -print-file-name=include) -isystem $(MUSL_INCDIR) \
	-D_GNU_SOURCE -Iruntime/ext4/include -I$(E2FS_GEN) -I$(E2FS_TREE)/lib \
	-I$(E2FS_TREE)/lib/ext2fs -I$(E2FS_TREE)/lib/et
# e2fsprogs' own code: its warnings are its authors' (gnu11: it uses typeof)
E2FS_CFLAGS := $(filter-out -std=c11,$(UK_COMMON_CFLAGS)) -std=gnu11 -mgeneral-regs-only \
	$(E2FS_INC) -w

$(E2FS_STAMP): | $(O)/jeos
	$(quiet) SOURCE $(E2FS_SOURCE)
	@mkdir -p $(@D)
	$(Q)$(O)/jeos -q source $(E2FS_SOURCE) >$@.tmp || { rm -f $@.tmp; \
		echo "make: libext2fs comes from Debian's $(E2FS_SOURCE) source package (see above)" >&2; \
		exit 1; }
	$(Q)ln -sfn "$$(cat $@.tmp)" $(E2FS_TREE)
	$(Q)mv $@.tmp $@

$(E2FS_GEN)/ext2fs/ext2_types.h: $(E2FS_STAMP)
	@mkdir -p $(@D)
	$(Q)sed -e 's/@ASM_TYPES_HEADER@//' -e 's/@PUBLIC_CONFIG_HEADER@//' -e 's/@SIZEOF_INT@/4/g' \
		-e 's/@SIZEOF_SHORT@/2/g' -e 's/@SIZEOF_LONG@/8/g' -e 's/@SIZEOF_LONG_LONG@/8/g' \
		$(E2FS_TREE)/lib/ext2fs/ext2_types.h.in >$@.tmp && mv $@.tmp $@

$(E2FS_GEN)/ext2_err.et: $(E2FS_STAMP)
	@mkdir -p $(@D)
	$(Q)v=$$(sed -n 's/^#define E2FSPROGS_VERSION "\(.*\)"/\1/p' $(E2FS_TREE)/version.h) && \
		sed -e "s/@E2FSPROGS_VERSION@/$$v/" $(E2FS_TREE)/lib/ext2fs/ext2_err.et.in >$@.tmp && \
		mv $@.tmp $@

# compile_et's two awk passes (lib/et/compile_et.sh.in)
$(E2FS_GEN)/ext2fs/ext2_err.h: $(E2FS_GEN)/ext2_err.et
	@mkdir -p $(@D)
	$(Q)cd $(E2FS_GEN) && LC_ALL=C awk -f $(abspath $(E2FS_TREE))/lib/et/et_h.awk \
		outfile=ext2fs/ext2_err.h.tmp outfn=ext2_err.h ext2_err.et && mv ext2fs/ext2_err.h.tmp ext2fs/ext2_err.h
$(E2FS_GEN)/ext2_err.c: $(E2FS_GEN)/ext2_err.et
	$(Q)cd $(E2FS_GEN) && LC_ALL=C awk -f $(abspath $(E2FS_TREE))/lib/et/et_c.awk \
		outfile=ext2_err.c.tmp outfn=ext2_err.c ext2_err.et && mv ext2_err.c.tmp ext2_err.c

$(E2FS_GEN)/crc32c_table.h: $(E2FS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(CC) -O1 -Iruntime/ext4/include -o $(E2FS_GEN)/gen_crc32ctable \
		$(E2FS_TREE)/lib/ext2fs/gen_crc32ctable.c
	$(Q)$(E2FS_GEN)/gen_crc32ctable >$@.tmp && mv $@.tmp $@

$(UK_DIR)/e2fs/obj/%.o: $(E2FS_STAMP) $(E2FS_GEN_HDRS) runtime/ext4/include/config.h
	$(quiet) E2FSCC $*.c
	@mkdir -p $(@D)
	$(Q)$(UK_CC) $(E2FS_CFLAGS) -c -o $@ $(E2FS_TREE)/lib/ext2fs/$*.c
$(UK_DIR)/e2fs/obj/ext2_err.o: $(E2FS_GEN)/ext2_err.c $(E2FS_GEN_HDRS)
	$(quiet) E2FSCC ext2_err.c
	@mkdir -p $(@D)
	$(Q)$(UK_CC) $(E2FS_CFLAGS) -c -o $@ $<

# The library with its C-library calls renamed; nothing else may be left undefined.
$(UK_DIR)/e2fs/libext2fs.o: $(E2FS_OBJS) runtime/ext4/libc.syms
	$(quiet) LD $@
	$(Q)$(UK_LD) -r -o $@.raw $(E2FS_OBJS)
	$(Q)sed 's/.*/& rtx_&/' runtime/ext4/libc.syms >$@.map
	$(Q)objcopy --redefine-syms=$@.map $@.raw $@.tmp
	$(Q)left=$$($(UK_NM) -u $@.tmp | awk '{print $$2}' | grep -v '^rtx_' || true); \
		if [ -n "$$left" ]; then echo "make: libext2fs uses C-library symbols runtime/ext4/libc.c does not give (add them to libc.syms): $$left" >&2; rm -f $@.tmp; exit 1; fi
	$(Q)mv $@.tmp $@ && rm -f $@.raw $@.map

UK_EXT4_SRCS := $(wildcard runtime/ext4/*.c)
UK_EXT4_OBJS := $(patsubst %,$(UK_DIR)/obj/%.o,$(UK_EXT4_SRCS))
# the glue's own code is ours (the warnings stay on); the library's headers are system headers
$(UK_EXT4_OBJS): UK_CFLAGS += -Iruntime/libc -Iruntime/ext4 -nostdinc \
	-isystem $(shell $(UK_CC) -print-file-name=include) -isystem $(MUSL_INCDIR) -D_GNU_SOURCE \
	-isystem runtime/ext4/include -isystem $(E2FS_GEN) -isystem $(E2FS_TREE)/lib \
	-isystem $(E2FS_TREE)/lib/ext2fs -isystem $(E2FS_TREE)/lib/et
$(UK_EXT4_OBJS): $(E2FS_GEN_HDRS) | $(E2FS_STAMP)
UK_EXT4_OBJ := $(UK_DIR)/uk-ext4.o
$(UK_EXT4_OBJ): $(UK_EXT4_OBJS) $(UK_DIR)/e2fs/libext2fs.o
	$(quiet) LD $@
	$(Q)$(UK_LD) -r -o $@ $^

PROGRAMS += $(UK_EXT4_OBJ) $(UK_KIT)/lib/uk-ext4.o
$(UK_KIT)/lib/uk-ext4.o: $(UK_EXT4_OBJ)
	@mkdir -p $(@D)
	$(Q)cp $< $@
FORMAT_SRCS += $(wildcard runtime/ext4/*.c runtime/ext4/*.h)

# libFuzzer: the mounts and file calls (vol.c, included by the target), blkio.c, the blkdev layer
# and the same libext2fs files, built for the host, over a damaged copy of a small ext4 image
# that mke2fs makes here (tests/fuzz/vol_ext4_fuzz.c).
out/fuzz/vol_ext4_seed.o: | $(E2FS_STAMP)
	@mkdir -p $(@D)/vol_ext4_seed.tree/sub
	$(Q)printf 'hello\n' >$(@D)/vol_ext4_seed.tree/a
	$(Q)seq 1 3000 >$(@D)/vol_ext4_seed.tree/sub/numbers
	$(Q)ln -sfn a $(@D)/vol_ext4_seed.tree/link
	$(Q)rm -f $(@D)/vol_ext4_seed.img
	$(Q)mke2fs -q -F -t ext4 -b 1024 -N 32 -O ^has_journal,^metadata_csum,^resize_inode \
		-U 6f2b1c7e-2d1c-4a47-9a51-8a4d6c7e9b01 -E hash_seed=0b7c1f2e-4d5a-4b3c-8d9e-1f2a3b4c5d6e \
		-d $(@D)/vol_ext4_seed.tree $(@D)/vol_ext4_seed.img 256
	$(Q)printf '%s\n' '.section .rodata' '.globl vol_ext4_seed_start, vol_ext4_seed_end' \
		'vol_ext4_seed_start: .incbin "$(@D)/vol_ext4_seed.img"' 'vol_ext4_seed_end:' \
		'.section .note.GNU-stack,"",@progbits' >$(@D)/vol_ext4_seed.S
	$(Q)$(CLANG) -c -o $@ $(@D)/vol_ext4_seed.S
VOL_FUZZ_SRCS := runtime/ext4/blkio.c unikernel/drivers/blkdev.c \
	$(E2FS_FILES:%=$(E2FS_TREE)/lib/ext2fs/%.c) $(E2FS_GEN)/ext2_err.c
out/fuzz/vol_ext4_fuzz: tests/fuzz/vol_ext4_fuzz.c out/fuzz/vol_ext4_seed.o $(E2FS_GEN_HDRS) \
		$(UK_EXT4_SRCS) $(wildcard runtime/ext4/*.h runtime/libc/*.h)
	$(quiet) FUZZ $@
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(filter-out -std=c11,$(FUZZ_CFLAGS)) -std=gnu11 -w -Iunikernel -Iruntime/libc \
		-Iruntime/ext4 -Iruntime/ext4/include -I$(E2FS_GEN) -I$(E2FS_TREE)/lib \
		-I$(E2FS_TREE)/lib/ext2fs -I$(E2FS_TREE)/lib/et -o $@ $< $(VOL_FUZZ_SRCS) \
		out/fuzz/vol_ext4_seed.o

# Which e2fsprogs the kit's volumes have, for unikernel SBOMs (builder/unikernel/uksbom.c), as for
# lwIP (runtime/module.mk).
UK_KIT_E2FS := $(UK_KIT)/e2fsprogs/dsc.sha256
PROGRAMS += $(UK_KIT_E2FS)
$(UK_KIT_E2FS): $(E2FS_STAMP)
	@mkdir -p $(@D)/debian
	$(Q)cp $(addprefix $(E2FS_TREE)/debian/,changelog control copyright) $(@D)/debian/
	$(Q)basename "$$(cat $<)" >$@

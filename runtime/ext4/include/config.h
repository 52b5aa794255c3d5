/* runtime/ext4/include/config.h — what e2fsprogs' configure would find for the guest: musl's
 * headers on x86-64 Linux, no threads, no mmap, no ioctls (libext2fs there reaches the disk only
 * through runtime/ext4/blkio.c). */
#ifndef RT_EXT4_CONFIG_H
#define RT_EXT4_CONFIG_H
#define HAVE_UNISTD_H     1
#define HAVE_SYS_TYPES_H  1
#define HAVE_SYS_STAT_H   1
#define HAVE_ERRNO_H      1
#define HAVE_STDLIB_H     1
#define HAVE_SYS_TIME_H   1
#define HAVE_INTTYPES_H   1
#define HAVE_STDINT_H     1
#define HAVE_STRNLEN      1
#define HAVE_STRDUP       1
#define HAVE_TYPE_SSIZE_T 1
#define ENABLE_HTREE      1
#define SIZEOF_INT        4
#define SIZEOF_LONG       8
#define SIZEOF_LONG_LONG  8
#define SIZEOF_SHORT      2
#define SIZEOF_OFF_T      8
#define SIZEOF_TIME_T     8
#endif

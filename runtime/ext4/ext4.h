/* runtime/ext4/ext4.h — the guest's ext4 parts shared inside runtime/ext4 (internal). */
#ifndef RT_EXT4_EXT4_H
#define RT_EXT4_EXT4_H

#include <stdint.h>

#include "ext2fs/ext2fs.h"

/* blkio.c: libext2fs's I/O manager over drivers/blkdev.h; the name it opens is a blkdev's
 * ("blk0"). */
extern io_manager ext4_blk_manager;

struct ext4_io_stats {
    uint64_t bytes_read, bytes_written, cache_hits, flushes, errors;
};
const struct ext4_io_stats *ext4_io_stats(io_channel io);

#endif

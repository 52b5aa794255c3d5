/*
 * runtime/ext4/blkio.c — libext2fs's I/O manager over drivers/blkdev.h: blocks read and written
 * with blkdev_io (write-through: a block is on the device when the call returns), byte ranges
 * that are not whole sectors read-modify-written through a bounce buffer, flush → the device's
 * flush, discard → blkdev_discard. A small direct-mapped cache of whole blocks serves the reads
 * libext2fs repeats (extent and directory blocks); it never holds anything the device lacks.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "drivers/blkdev.h"
#include "ext2fs/ext2_fs.h"
#include "ext2fs/ext2fs.h"
#include "ext4.h"
#include "memory/memory.h"

#define CACHE_SLOTS 128

struct chan {
    struct blkdev *bd;
    struct ext4_io_stats stats;
    uint64_t tag[CACHE_SLOTS]; /* block number + 1 (0: empty) */
    uint8_t *cache;            /* CACHE_SLOTS blocks of cache_bs bytes, used at that size */
    int cache_bs;
};

static struct struct_io_manager blk_manager;
io_manager ext4_blk_manager = &blk_manager;

static void cache_drop(struct chan *c)
{
    memset(c->tag, 0, sizeof(c->tag));
}

static int cached(const struct chan *c, io_channel io)
{
    return c->cache && c->cache_bs == io->block_size;
}

static errcode_t blk_open(const char *name, int flags, io_channel *ret)
{
    struct blkdev *bd = blkdev_find(name);
    if (!bd)
        return ENODEV;
    if ((flags & IO_FLAG_RW) && bd->read_only)
        return EROFS;
    io_channel io = heap_alloc(sizeof(*io));
    struct chan *c = heap_alloc(sizeof(*c));
    char *nm = heap_alloc(strlen(name) + 1);
    if (!io || !c || !nm) {
        heap_free(io), heap_free(c), heap_free(nm);
        return EXT2_ET_NO_MEMORY;
    }
    memset(io, 0, sizeof(*io));
    memset(c, 0, sizeof(*c));
    memcpy(nm, name, strlen(name) + 1);
    c->bd = bd;
    io->magic = EXT2_ET_MAGIC_IO_CHANNEL;
    io->manager = ext4_blk_manager;
    io->name = nm;
    io->block_size = 1024;
    io->refcount = 1;
    io->flags = CHANNEL_FLAGS_BLOCK_DEVICE;
    io->private_data = c;
    *ret = io;
    return 0;
}

static errcode_t blk_close(io_channel io)
{
    if (--io->refcount > 0)
        return 0;
    struct chan *c = io->private_data;
    if (c->cache)
        page_free(c->cache, (size_t)CACHE_SLOTS * (size_t)c->cache_bs / PAGE_SIZE);
    heap_free(c);
    heap_free(io->name);
    heap_free(io);
    return 0;
}

static errcode_t blk_set_blksize(io_channel io, int size)
{
    struct chan *c = io->private_data;
    if (size < (int)c->bd->sector_size || size % (int)c->bd->sector_size || size > 65536)
        return EXT2_ET_INVALID_ARGUMENT;
    /* libext2fs switches to 1 KiB for each superblock write and back: the cache (made for the
       first block size of whole pages, 4 KiB on the writer's volumes) serves that size only */
    if (size != io->block_size)
        cache_drop(c);
    io->block_size = size;
    if (!c->cache && size % PAGE_SIZE == 0) {
        c->cache = page_alloc((size_t)CACHE_SLOTS * (size_t)size / PAGE_SIZE);
        c->cache_bs = size;
    }
    return 0;
}

/* Bytes [off, off+n) from or to buf; whole sectors go straight, the rest through a bounce. */
static errcode_t xfer(struct chan *c, unsigned op, uint64_t off, void *buf, uint64_t n)
{
    uint32_t ss = c->bd->sector_size;
    if (n == 0)
        return 0;
    if (off % ss == 0 && n % ss == 0) {
        int rc = blkdev_io(c->bd, op, off / ss, buf, n / ss);
        return rc < 0 ? (errcode_t)-rc : 0;
    }
    uint64_t first = off / ss, last = (off + n - 1) / ss, count = last - first + 1;
    size_t pages = (size_t)((count * ss + PAGE_SIZE - 1) / PAGE_SIZE);
    uint8_t *b = page_alloc(pages);
    if (!b)
        return EXT2_ET_NO_MEMORY;
    int rc = blkdev_io(c->bd, BLKDEV_READ, first, b, count);
    if (rc == 0 && op == BLKDEV_READ)
        memcpy(buf, b + (off - first * ss), n);
    if (rc == 0 && op == BLKDEV_WRITE) {
        memcpy(b + (off - first * ss), buf, n);
        rc = blkdev_io(c->bd, BLKDEV_WRITE, first, b, count);
    }
    page_free(b, pages);
    return rc < 0 ? (errcode_t)-rc : 0;
}

static uint64_t span(io_channel io, int count)
{
    return count < 0 ? (uint64_t) - (int64_t)count : (uint64_t)count * (uint64_t)io->block_size;
}

static errcode_t blk_read64(io_channel io, unsigned long long block, int count, void *data)
{
    struct chan *c = io->private_data;
    uint64_t n = span(io, count), bs = (uint64_t)io->block_size;
    unsigned slot = (unsigned)(block % CACHE_SLOTS);
    if (cached(c, io) && count == 1 && c->tag[slot] == block + 1) {
        memcpy(data, c->cache + (uint64_t)slot * bs, bs);
        c->stats.cache_hits++;
        return 0;
    }
    errcode_t ec = xfer(c, BLKDEV_READ, block * bs, data, n);
    if (ec) {
        c->stats.errors++;
        return io->read_error ? io->read_error(io, (unsigned long)block, count, data, n, 0, ec)
                              : ec;
    }
    c->stats.bytes_read += n;
    if (cached(c, io) && count == 1) {
        memcpy(c->cache + (uint64_t)slot * bs, data, bs);
        c->tag[slot] = block + 1;
    }
    return 0;
}

/* The cached copies of blocks [block, block + nblocks) after a write of data over them. */
static void cache_update(struct chan *c, uint64_t bs, uint64_t block, uint64_t nbytes,
                         const void *data)
{
    if (nbytes % bs) { /* a byte range: forget what it touches */
        for (uint64_t b = block; b <= block + nbytes / bs; b++)
            if (c->tag[b % CACHE_SLOTS] == b + 1)
                c->tag[b % CACHE_SLOTS] = 0;
        return;
    }
    for (uint64_t k = 0; k < nbytes / bs; k++) {
        unsigned slot = (unsigned)((block + k) % CACHE_SLOTS);
        if (c->tag[slot] == block + k + 1)
            memcpy(c->cache + (uint64_t)slot * bs, (const uint8_t *)data + k * bs, bs);
    }
}

static errcode_t blk_write64(io_channel io, unsigned long long block, int count, const void *data)
{
    struct chan *c = io->private_data;
    uint64_t n = span(io, count), bs = (uint64_t)io->block_size;
    errcode_t ec = xfer(c, BLKDEV_WRITE, block * bs, (void *)data, n);
    if (ec) {
        c->stats.errors++; /* forget the blocks: the device may hold either content */
        for (uint64_t b = block; b < block + (n + bs - 1) / bs; b++)
            if (c->cache && c->tag[b % CACHE_SLOTS] == b + 1)
                c->tag[b % CACHE_SLOTS] = 0;
        return io->write_error ? io->write_error(io, (unsigned long)block, count, data, n, 0, ec)
                               : ec;
    }
    c->stats.bytes_written += n;
    if (cached(c, io))
        cache_update(c, bs, block, n, data);
    return 0;
}

static errcode_t blk_read(io_channel io, unsigned long block, int count, void *data)
{
    return blk_read64(io, block, count, data);
}

static errcode_t blk_write(io_channel io, unsigned long block, int count, const void *data)
{
    return blk_write64(io, block, count, data);
}

static errcode_t blk_flush(io_channel io)
{
    struct chan *c = io->private_data;
    int rc = blkdev_flush(c->bd);
    c->stats.flushes++;
    return rc < 0 ? (errcode_t)-rc : 0;
}

static errcode_t blk_discard(io_channel io, unsigned long long block, unsigned long long count)
{
    struct chan *c = io->private_data;
    uint64_t per = (uint64_t)io->block_size / c->bd->sector_size;
    for (uint64_t b = block; b < block + count && c->cache; b++)
        if (c->tag[b % CACHE_SLOTS] == b + 1)
            c->tag[b % CACHE_SLOTS] = 0;
    int rc = blkdev_discard(c->bd, block * per, count * per);
    return rc == -EOPNOTSUPP ? EXT2_ET_UNIMPLEMENTED : rc < 0 ? (errcode_t)-rc : 0;
}

static errcode_t blk_set_option(io_channel io, const char *option, const char *arg)
{
    (void)io, (void)option, (void)arg;
    return EXT2_ET_INVALID_ARGUMENT;
}

static errcode_t blk_get_stats(io_channel io, io_stats *out)
{
    (void)io;
    *out = NULL;
    return 0;
}

const struct ext4_io_stats *ext4_io_stats(io_channel io)
{
    return &((struct chan *)io->private_data)->stats;
}

static struct struct_io_manager blk_manager = {
    .magic = EXT2_ET_MAGIC_IO_MANAGER,
    .name = "jeos blkdev I/O manager",
    .open = blk_open,
    .close = blk_close,
    .set_blksize = blk_set_blksize,
    .read_blk = blk_read,
    .write_blk = blk_write,
    .flush = blk_flush,
    .set_option = blk_set_option,
    .get_stats = blk_get_stats,
    .read_blk64 = blk_read64,
    .write_blk64 = blk_write64,
    .discard = blk_discard,
};

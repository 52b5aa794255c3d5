/* unikernel/memory/heap.c — kernel heap: power-of-two size classes carved from pages, big blocks as
 * pages. */
#include "lib/string.h"
#include "memory/memory.h"

#define MIN_SHIFT 4  /* 16-byte blocks */
#define MAX_SHIFT 11 /* 2 KiB: larger requests take whole pages */
#define NCLASS    (MAX_SHIFT - MIN_SHIFT + 1)

/* Every block starts with a 16-byte header; the caller's memory follows it. */
struct hdr {
    uint64_t size;  /* class block size, or page count * PAGE_SIZE for big blocks */
    uint32_t big;   /* 1 when the block came straight from page_alloc */
    uint32_t magic; /* catches frees of pointers the heap never handed out */
};

#define HEAP_MAGIC 0x6a656f73u

struct free_block {
    struct free_block *next;
};

static struct free_block *free_lists[NCLASS];
static uint64_t from_pages, live;

void heap_stats(uint64_t *bytes, uint64_t *live_bytes);

static int class_of(size_t total)
{
    for (int c = 0; c < NCLASS; c++)
        if (total <= (1ull << (MIN_SHIFT + c)))
            return c;
    return -1;
}

static int refill(int c)
{
    uint8_t *pg = page_alloc(1);
    if (!pg)
        return -12;
    from_pages += PAGE_SIZE;
    uint64_t bs = 1ull << (MIN_SHIFT + c);
    for (uint64_t off = 0; off + bs <= PAGE_SIZE; off += bs) {
        struct free_block *b = (struct free_block *)(pg + off);
        b->next = free_lists[c];
        free_lists[c] = b;
    }
    return 0;
}

void *heap_alloc(size_t size)
{
    if (size > (1ull << 40))
        return NULL;
    size_t total = size + sizeof(struct hdr);
    int c = class_of(total);
    struct hdr *h;
    if (c < 0) {
        size_t n = (total + PAGE_SIZE - 1) / PAGE_SIZE;
        h = page_alloc(n);
        if (!h)
            return NULL;
        from_pages += n * PAGE_SIZE;
        *h = (struct hdr){n * PAGE_SIZE, 1, HEAP_MAGIC};
    } else {
        if (!free_lists[c] && refill(c) < 0)
            return NULL;
        struct free_block *b = free_lists[c];
        free_lists[c] = b->next;
        h = (struct hdr *)b;
        *h = (struct hdr){1ull << (MIN_SHIFT + c), 0, HEAP_MAGIC};
    }
    live += h->size;
    return h + 1;
}

void heap_free(void *p)
{
    if (!p)
        return;
    struct hdr *h = (struct hdr *)p - 1;
    if (h->magic != HEAP_MAGIC)
        return;
    h->magic = 0;
    live -= h->size;
    if (h->big) {
        from_pages -= h->size;
        page_free(h, h->size / PAGE_SIZE);
        return;
    }
    int c = class_of(h->size);
    struct free_block *b = (struct free_block *)h;
    b->next = free_lists[c];
    free_lists[c] = b;
}

void heap_stats(uint64_t *bytes, uint64_t *live_bytes)
{
    *bytes = from_pages;
    *live_bytes = live;
}

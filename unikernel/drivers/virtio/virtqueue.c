/*
 * unikernel/drivers/virtio/virtqueue.c — split virtqueues: descriptor chains from a private free
 * list, batched publication with notify suppression (EVENT_IDX or NO_NOTIFY), and used entries
 * checked against what the driver itself handed out before anything is touched.
 */
#include "drivers/virtio/virtio.h"
#include "lib/string.h"
#include "memory/memory.h"

#define DESC_F_NEXT  1
#define DESC_F_WRITE 2

#define AVAIL_F_NO_INTERRUPT 1
#define USED_F_NO_NOTIFY     1

/* Ring indices as 16-bit words: avail = flags, idx, ring[size], used_event;
 * used = flags, idx, size elements of 4 words, avail_event. */
#define AVAIL_IDX 1
#define USED_IDX  1

/*
 * The device is told about new buffers without asking it while it holds fewer than this many of
 * the ones published before: asking (the event index, or NO_NOTIFY) is a store of our index then
 * a load of its answer, which only a full fence orders, and QEMU's TCG before 8.1 with one vCPU
 * emits none for mfence or lock-prefixed instructions. A device that used up what it held
 * between our load and our store becoming visible then waited for a notify that never came
 * (redis-uk-tap: the send ring full, the device idle, the guest never heard from it again). With
 * this many in hand it is still working when our index shows and sees it when it looks again.
 */
#define KICK_UNASKED 32

/* Whether the device asked to hear about index new (it last heard at old), event index event. */
static int need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
    return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

int virtq_init(struct virtq *q, struct virtio_dev *v, unsigned index, unsigned max_size)
{
    memset(q, 0, sizeof(*q));
    q->dev = v;
    q->index = index;
    unsigned dmax = v->tr->queue_max(v, index);
    if (dmax == 0)
        return virtio_fail(v, "queue %u: not offered (absent, or in use: the device was not reset)",
                           index);
    unsigned size = dmax < max_size ? dmax : max_size;
    if (size > VIRTQ_MAX_SIZE)
        size = VIRTQ_MAX_SIZE;
    while (size & (size - 1)) /* split rings: a power of two */
        size &= size - 1;
    q->size = (uint16_t)size;
    q->mask = (uint16_t)(size - 1);
    size_t desc_bytes = 16 * (size_t)size;
    size_t align = v->legacy ? VIRTQ_LEGACY_ALIGN : 64;
    size_t used_off = (desc_bytes + 6 + 2 * (size_t)size + align - 1) & ~(align - 1);
    size_t total = used_off + 6 + 8 * (size_t)size;
    q->mem_pages = (total + PAGE_SIZE - 1) / PAGE_SIZE;
    q->mem = page_alloc(q->mem_pages);
    if (!q->mem)
        return virtio_fail(v, "queue %u: out of memory for %u entries", index, size);
    memset(q->mem, 0, q->mem_pages * PAGE_SIZE);
    uint8_t *m = q->mem;
    q->desc = (struct virtq_desc *)m;
    q->avail = (volatile uint16_t *)(m + desc_bytes);
    q->used = (volatile uint16_t *)(m + used_off);
    q->used_ring = (volatile struct virtq_used_elem *)(m + used_off + 4);
    for (unsigned i = 0; i < size; i++)
        q->next[i] = (uint16_t)(i + 1);
    q->num_free = (uint16_t)size;
    q->event_idx = virtio_has(v, VIRTIO_F_EVENT_IDX);
    int r = v->tr->queue_enable(v, index, size, (uint64_t)(uintptr_t)q->desc,
                                (uint64_t)(uintptr_t)q->avail, (uint64_t)(uintptr_t)q->used);
    if (r < 0)
        return virtio_fail(v, "queue %u: the device did not take its rings (%d)", index, r);
    return 0;
}

int virtq_peek_free(const struct virtq *q)
{
    return q->num_free ? q->free_head : -1;
}

int virtq_add(struct virtq *q, const struct virtq_seg *seg, unsigned n, void *cookie)
{
    if (n == 0 || n > q->num_free)
        return -28;
    uint16_t head = q->free_head, id = head;
    uint64_t bytes = 0;
    for (unsigned i = 0; i < n; i++) {
        struct virtq_desc *d = &q->desc[id];
        d->addr = seg[i].addr;
        d->len = seg[i].len;
        d->flags =
            (uint16_t)((seg[i].device_writes ? DESC_F_WRITE : 0) | (i + 1 < n ? DESC_F_NEXT : 0));
        d->next = i + 1 < n ? q->next[id] : 0;
        bytes += seg[i].len;
        id = q->next[id];
    }
    q->free_head = id;
    q->num_free = (uint16_t)(q->num_free - n);
    q->chain_len[head] = (uint16_t)n;
    q->chain_bytes[head] = bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)bytes;
    q->state[head] = 1;
    q->cookie[head] = cookie;
    q->avail[2 + (q->avail_idx & q->mask)] = head;
    q->avail_heads[q->avail_idx & q->mask] = head;
    q->avail_idx++;
    return head;
}

void virtq_kick(struct virtq *q)
{
    uint16_t old = q->kicked_idx, new_idx = q->avail_idx;
    if (old == new_idx)
        return;
    for (uint16_t i = old; i != new_idx; i++) {
        uint16_t head = q->avail_heads[i & q->mask];
        if (q->state[head] == 1) {
            q->state[head] = 2;
            q->published++;
        }
    }
    virtio_wmb(); /* descriptors and ring entries before the index */
    q->avail[AVAIL_IDX] = new_idx;
    q->kicked_idx = new_idx;
    virtio_mb(); /* the index before reading whether the device wants a notification */
    int need = (uint16_t)(old - q->used[USED_IDX]) < KICK_UNASKED ||
               (q->event_idx ? need_event(q->used[2 + 4 * (unsigned)q->size], new_idx, old)
                             : !(q->used[0] & USED_F_NO_NOTIFY));
    if (need) {
        q->notifies++;
        q->dev->tr->queue_notify(q->dev, q->index);
    } else {
        q->notifies_suppressed++;
    }
}

int virtq_pending(const struct virtq *q)
{
    return q->used[USED_IDX] != q->last_used;
}

int virtq_get(struct virtq *q, void **cookie, uint32_t *len, int *head)
{
    struct virtio_dev *v = q->dev;
    if (v->failed)
        return -5;
    uint16_t idx = q->used[USED_IDX];
    if (idx == q->last_used)
        return 0;
    uint16_t ready = (uint16_t)(idx - q->last_used);
    if (ready > q->published)
        return virtio_fail(v, "queue %u: used index jumped from %u to %u with %u buffers in flight",
                           q->index, q->last_used, idx, q->published);
    virtio_rmb(); /* the entries after the index that announced them */
    volatile struct virtq_used_elem *e = &q->used_ring[q->last_used & q->mask];
    uint32_t id = e->id, n = e->len; /* read once: the device may change them meanwhile */
    if (id >= q->size)
        return virtio_fail(v, "queue %u: used entry %u names descriptor %u (queue size %u)",
                           q->index, q->last_used, id, q->size);
    if (q->state[id] != 2)
        return virtio_fail(v,
                           "queue %u: used entry %u returns descriptor %u, which it does not hold",
                           q->index, q->last_used, id);
    if (n > q->chain_bytes[id])
        return virtio_fail(v, "queue %u: used entry %u says %u bytes, past the %u of its buffer",
                           q->index, q->last_used, n, q->chain_bytes[id]);
    uint16_t last = (uint16_t)id;
    for (unsigned i = 1; i < q->chain_len[id]; i++)
        last = q->next[last];
    q->next[last] = q->free_head;
    q->free_head = (uint16_t)id;
    q->num_free = (uint16_t)(q->num_free + q->chain_len[id]);
    q->state[id] = 0;
    q->published--;
    q->last_used++;
    *cookie = q->cookie[id];
    *len = n;
    *head = (int)id;
    return 1;
}

void virtq_irq_off(struct virtq *q)
{
    if (q->event_idx) /* an event behind what the device has used: it is not crossed again */
        q->avail[2 + q->size] = (uint16_t)(q->last_used - 1);
    else
        q->avail[0] = AVAIL_F_NO_INTERRUPT;
}

int virtq_irq_on(struct virtq *q)
{
    if (q->event_idx)
        q->avail[2 + q->size] = q->last_used;
    else
        q->avail[0] = 0;
    virtio_mb();
    return virtq_pending(q);
}

void virtq_irq_on_delayed(struct virtq *q)
{
    if (q->event_idx)
        q->avail[2 + q->size] = (uint16_t)(q->last_used + q->published * 3 / 4);
    else
        q->avail[0] = 0;
    virtio_mb();
}

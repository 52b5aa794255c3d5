/* unikernel/drivers/netdev.c — the list of network devices, waiting for them, software checksums.
 */
#include "drivers/netdev.h"

#include "arch/x86_64/cpu.h"
#include "console/console.h"
#include "lib/string.h"
#include "time/time.h"

static struct netdev *devs[NETDEV_MAX];
static unsigned ndevs, named;
static volatile uint64_t events;

int netdev_register(struct netdev *nd)
{
    if (ndevs == NETDEV_MAX)
        return -28;
    uk_snprintf(nd->name, sizeof(nd->name), "eth%u", named++);
    devs[ndevs++] = nd;
    return 0;
}

void netdev_unregister(struct netdev *nd)
{
    for (unsigned i = 0; i < ndevs; i++)
        if (devs[i] == nd) {
            for (unsigned j = i + 1; j < ndevs; j++)
                devs[j - 1] = devs[j];
            ndevs--;
            return;
        }
}

unsigned netdev_count(void)
{
    return ndevs;
}

struct netdev *netdev_get(unsigned index)
{
    return index < ndevs ? devs[index] : NULL;
}

void netdev_irq_event(struct netdev *nd)
{
    nd->stats.irqs++;
    events++;
    if (nd->notify)
        nd->notify(nd->notify_arg);
}

uint64_t netdev_events(void)
{
    return events;
}

int netdev_wait(uint64_t deadline_ns)
{
    cpu_irq_disable();
    uint64_t seen = events;
    for (unsigned i = 0; i < ndevs; i++)
        if (!devs[i]->failed && devs[i]->ops->arm(devs[i]) > 0) {
            cpu_irq_enable();
            return 1;
        }
    if (ndevs && devs[0]->ops->wait) { /* devices that cannot interrupt: the host waits */
        int r = devs[0]->ops->wait(devs[0], deadline_ns);
        cpu_irq_enable();
        return r > 0;
    }
    time_halt_until(deadline_ns); /* enables interrupts */
    return events != seen;
}

int netdev_drain(struct netdev *nd, uint64_t deadline_ns)
{
    for (;;) {
        int r = nd->ops->tx_pending(nd);
        if (r <= 0)
            return r;
        if (time_monotonic_ns() >= deadline_ns)
            return -110;
        time_sleep_ns(100000); /* the device works meanwhile (QEMU sends from its I/O thread) */
    }
}

/* Ones'-complement sum of p[0..n) (big-endian 16-bit words) added to sum, not folded. */
static uint64_t sum16(const uint8_t *p, uint32_t n, uint64_t sum)
{
    for (; n >= 2; p += 2, n -= 2)
        sum += (uint32_t)p[0] << 8 | p[1];
    if (n)
        sum += (uint32_t)p[0] << 8;
    return sum;
}

int netdev_csum_fill(uint8_t *frame, uint32_t len, uint32_t start, uint32_t offset)
{
    if (start >= len || offset > len - start || len - start - offset < 2)
        return -22;
    uint8_t *field = frame + start + offset;
    uint64_t sum = sum16(frame + start, len - start, 0);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    /* the field's pseudo-header sum is in the range summed: it folds in by itself */
    uint16_t c = (uint16_t)~sum;
    if (c == 0) /* as Linux does: for UDP, 0 would mean "no checksum"; TCP takes either */
        c = 0xffff;
    field[0] = (uint8_t)(c >> 8);
    field[1] = (uint8_t)c;
    return 0;
}

uint32_t netdev_frame_len(const struct netdev_frame *f)
{
    if (f->nseg > NETDEV_SEGS)
        return 0;
    uint64_t n = 0;
    for (unsigned i = 0; i < f->nseg; i++)
        n += f->seg[i].len;
    return n > UINT32_MAX ? 0 : (uint32_t)n;
}

void netdev_frame_copy(uint8_t *dst, const struct netdev_frame *f)
{
    for (unsigned i = 0; i < f->nseg; i++) {
        memcpy(dst, f->seg[i].data, f->seg[i].len);
        dst += f->seg[i].len;
    }
}

/* unikernel/drivers/virtio/virtio.c — device start-up (reset, feature negotiation), failure, and
 * the table of drivers by device type. */
#include <stdarg.h>

#include "console/console.h"
#include "drivers/virtio/virtio.h"

#define RESET_POLLS 1000000 /* status reads while waiting for a reset to finish */

int virtio_fail(struct virtio_dev *v, const char *fmt, ...)
{
    if (v->failed)
        return -5;
    va_list ap;
    va_start(ap, fmt);
    uk_vsnprintf(v->why, sizeof(v->why), fmt, ap);
    va_end(ap);
    printk("virtio %s: %s\n", v->where, v->why);
    v->failed = v->why;
    v->tr->set_status(v, (uint8_t)(v->tr->get_status(v) | VIRTIO_STATUS_FAILED));
    return -5;
}

int virtio_start(struct virtio_dev *v, uint64_t wanted)
{
    v->failed = NULL;
    v->tr->set_status(v, 0); /* reset: whatever a loader or earlier kernel set up is gone */
    int polls = 0;
    while (v->tr->get_status(v) != 0 && polls < RESET_POLLS)
        polls++;
    if (polls == RESET_POLLS)
        return virtio_fail(v, "reset did not complete (status stays 0x%x)", v->tr->get_status(v));
    v->tr->set_status(v, VIRTIO_STATUS_ACK);
    v->tr->set_status(v, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER);
    v->offered = v->tr->get_features(v);
    if (v->legacy) {
        v->features = v->offered & (wanted | 1ull << VIRTIO_F_ANY_LAYOUT) & 0xffffffffu;
        v->tr->set_features(v, v->features);
        return 0; /* legacy: no FEATURES_OK */
    }
    if (!((v->offered >> VIRTIO_F_VERSION_1) & 1))
        return virtio_fail(v,
                           "no VIRTIO_F_VERSION_1 offered (a legacy-only device): not supported");
    v->features = v->offered & (wanted | 1ull << VIRTIO_F_VERSION_1);
    v->tr->set_features(v, v->features);
    v->tr->set_status(v, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    if (!(v->tr->get_status(v) & VIRTIO_STATUS_FEATURES_OK))
        return virtio_fail(v, "features 0x%lx refused (FEATURES_OK not kept)",
                           (unsigned long)v->features);
    return 0;
}

void virtio_ready(struct virtio_dev *v)
{
    v->tr->set_status(v, (uint8_t)(VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER |
                                   (v->legacy ? 0 : VIRTIO_STATUS_FEATURES_OK) |
                                   VIRTIO_STATUS_DRIVER_OK));
}

/* The drivers, by virtio device type. */
static const struct {
    unsigned id;
    int (*probe)(struct virtio_dev *v);
} drivers[] = {
    {VIRTIO_ID_NET, virtio_net_probe},
    {VIRTIO_ID_BLOCK, virtio_blk_probe},
};

int virtio_probe(struct virtio_dev *v)
{
    for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
        if (drivers[i].id == v->device_id)
            return drivers[i].probe(v);
    return -19;
}

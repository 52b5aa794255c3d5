/*
 * xen_xs_fuzz.c — libFuzzer: the xen platform's xenstore client and console ring writer
 * (unikernel/platform/xen/xs.c, ring.c) against a backend that writes whatever the input says.
 * Each time the client waits or notifies, the next input bytes pick what the backend does: append
 * raw bytes to the response ring, set rsp_prod / rsp_cons / req_cons to any value, or answer the
 * pending request properly. Checks: no access outside the rings or the caller's buffer (ASan:
 * each is its own allocation), a value returned is NUL-terminated and shorter than its buffer,
 * every failure says why, and every call ends (the wait hook allows a bounded number of rounds).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unikernel/platform/xen/ring.c"
#include "unikernel/platform/xen/xs.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t *in;
static size_t in_left;
static struct xenstore_domain_interface *xs_ring;

static uint32_t take32(void)
{
    uint32_t v = 0;
    for (int i = 0; i < 4 && in_left; i++, in++, in_left--)
        v = v << 8 | *in;
    return v;
}

/* One backend action, chosen by the input. */
static void backend(void)
{
    if (!in_left)
        return;
    uint8_t op = *in++;
    in_left--;
    switch (op % 5) {
    case 0: { /* raw bytes into the response ring */
        uint32_t n = in_left < (op >> 3) ? (uint32_t)in_left : (uint32_t)(op >> 3);
        for (uint32_t i = 0; i < n; i++)
            xs_ring->rsp[(xs_ring->rsp_prod + i) & (XS_RING_SIZE - 1)] = (char)in[i];
        xs_ring->rsp_prod += n;
        in += n, in_left -= n;
        break;
    }
    case 1: xs_ring->rsp_prod = take32(); break;
    case 2: xs_ring->rsp_cons = take32(); break;
    case 3: xs_ring->req_cons = take32(); break;
    case 4: { /* take the request ring as read and answer with a header from the input */
        xs_ring->req_cons = xs_ring->req_prod;
        struct xsd_sockmsg h = {.type = take32() % 20, .req_id = take32(), .len = take32() % 64};
        const char *src = (const char *)&h;
        for (uint32_t i = 0; i < sizeof(h); i++)
            xs_ring->rsp[(xs_ring->rsp_prod + i) & (XS_RING_SIZE - 1)] = src[i];
        xs_ring->rsp_prod += sizeof(h);
        break;
    }
    }
}

static void notify(void *arg)
{
    (void)arg;
    backend();
}

static int wait_hook(void *arg, uint32_t round)
{
    (void)arg;
    backend();
    return round < 64 ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    in = data, in_left = size;
    xs_ring = calloc(1, sizeof(*xs_ring));
    struct xs_client c = {.r = xs_ring, .notify = notify, .wait = wait_hook};
    static const char *const paths[] = {"name", "domid", "device/vif/0/backend"};
    for (int k = 0; k < 6 && in_left; k++) {
        size_t cap = 1 + (in_left ? *in % 40 : 0);
        char *buf = malloc(cap);
        c.why[0] = '\0';
        int rc =
            k % 3 == 2 ? xs_write(&c, paths[k % 3], "value") : xs_read(&c, paths[k % 3], buf, cap);
        if (rc > 0 && ((size_t)rc >= cap || buf[rc] != '\0' || strlen(buf) > (size_t)rc))
            abort();
        if (rc < 0 && !c.why[0])
            abort();
        free(buf);
    }
    /* the console ring with whatever indexes the input leaves in it */
    struct xencons_interface *cons = calloc(1, sizeof(*cons));
    cons->out_cons = take32(), cons->out_prod = take32();
    const char *why = NULL;
    int k = xencons_put(cons, "some console output\n", 20, &why);
    if (k < 0 ? !why : k > 20)
        abort();
    free(cons);
    free(xs_ring);
    return 0;
}

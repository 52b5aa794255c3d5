/* xen_ring_test.c — the xen platform's console ring writer (unikernel/platform/xen/ring.c) against
 * a fake backend: wrap-around, a full ring, indexes across 2^32, and a backend whose out_cons is
 * ahead of out_prod or too far behind it (refused with a message, nothing written). */
#include <stdlib.h>
#include <string.h>

#include "tests/harness.h"
#include "unikernel/platform/xen/ring.c"

static struct xencons_interface ring;

static void fresh(uint32_t cons, uint32_t prod)
{
    memset(&ring, 0x55, sizeof(ring));
    ring.out_cons = cons, ring.out_prod = prod;
}

static void writes_and_wraps(void)
{
    const char *why = NULL;
    fresh(2040, 2040);
    T_EQ_INT(xencons_put(&ring, "0123456789ab", 12, &why), 12);
    T_EQ_INT(ring.out_prod, 2052);
    T_CHECK(memcmp(ring.out + 2040, "01234567", 8) == 0);
    T_CHECK(memcmp(ring.out, "89ab", 4) == 0);
    T_EQ_INT(xencons_pending(&ring, &why), 12);
    ring.out_cons = 2052; /* the backend took it all */
    T_EQ_INT(xencons_pending(&ring, &why), 0);
}

static void full_ring(void)
{
    const char *why = NULL;
    static char big[3000];
    memset(big, 'x', sizeof(big));
    fresh(0, 0);
    T_EQ_INT(xencons_put(&ring, big, sizeof(big), &why), 2048); /* as much as fits */
    T_EQ_INT(xencons_put(&ring, "y", 1, &why), 0);              /* full: nothing */
    T_EQ_INT(ring.out_prod, 2048);
    ring.out_cons = 10;
    T_EQ_INT(xencons_put(&ring, big, sizeof(big), &why), 10);
    T_EQ_INT(ring.in_cons, 0x55555555); /* the input half is not touched */
}

static void indexes_across_2_32(void)
{
    const char *why = NULL;
    fresh(0xfffffff0u, 0xfffffff8u);
    T_EQ_INT(xencons_pending(&ring, &why), 8);
    T_EQ_INT(xencons_put(&ring, "abcdefghijkl", 12, &why), 12);
    T_EQ_INT(ring.out_prod, 4u);
    T_CHECK(memcmp(ring.out + 2040, "abcdefgh", 8) == 0 && memcmp(ring.out, "ijkl", 4) == 0);
}

/* A broken backend: refused, with why; not a byte written, the producer index kept. */
static void hostile_backend(void)
{
    const char *why = NULL;
    struct {
        uint32_t cons, prod;
    } bad[] = {{100, 50}, {0, 4096}, {0, 2049}, {0x80000000u, 0}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        fresh(bad[i].cons, bad[i].prod);
        struct xencons_interface before = ring;
        why = NULL;
        T_EQ_INT(xencons_put(&ring, "hello", 5, &why), -5);
        T_EQ_STR(why, "console ring: the backend's out_cons is more than the ring's 2048 bytes "
                      "from out_prod");
        T_CHECK(memcmp(&before, &ring, sizeof(ring)) == 0);
        T_EQ_INT(xencons_pending(&ring, &why), -5);
    }
}

int main(void)
{
    T_RUN(writes_and_wraps);
    T_RUN(full_ring);
    T_RUN(indexes_across_2_32);
    T_RUN(hostile_backend);
    return T_DONE();
}

/*
 * unikernel/platform/xen/ring.h — the Xen console ring's output half (struct xencons_interface,
 * xen/include/public/io/console.h), written with indexes the backend may have broken: plain C
 * with no kernel dependency, so tests/unikernel/xen_ring_test.c runs it on the host.
 */
#ifndef UK_XEN_RING_H
#define UK_XEN_RING_H

#include <stddef.h>
#include <stdint.h>

/* The console page, as Xen's public ABI lays it out. */
struct xencons_interface {
    char in[1024];
    char out[2048];
    uint32_t in_cons, in_prod;
    uint32_t out_cons, out_prod;
};

/*
 * xencons_put: copies up to n bytes of s into r->out after the producer index, as many as
 * there is room for, and publishes them (a write barrier, then out_prod). The consumer index
 * is the backend's: read once, it must lie at most sizeof(out) behind out_prod, else nothing is
 * written, -5 (EIO) is returned and *why says what was wrong. Returns the bytes written (0 when
 * the ring is full).
 */
int xencons_put(volatile struct xencons_interface *r, const char *s, size_t n, const char **why);

/* Bytes written and not yet taken by the backend, or -5 (EIO, *why set) for broken indexes. */
int xencons_pending(volatile struct xencons_interface *r, const char **why);

#endif

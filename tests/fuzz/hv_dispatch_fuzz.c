/* hv_dispatch_fuzz.c — libFuzzer: jeos-hv's hypercall dispatcher (and ELF loader) on random guest
 * memory and ports. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hypervisor/hv.h"

/*
 * Input: byte 0 = number of port accesses (1..8), then 8 bytes per access
 * (port u16, size u8, count u8, is_out u8, pad, then the low 16 bits of the
 * value; the high 16 bits come from the next access's pad, so any 32-bit
 * value is reachable), then the initial guest memory. Guest memory is a heap
 * block of exactly its size, so ASan catches any access outside it.
 */
#define MEM_SIZE  (64u << 10)
#define LOAD_SIZE ((1u << 20) + (64u << 10))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct hv *setup(void)
{
    static struct hv hv;
    static int ready;
    if (ready)
        return &hv;
    ready = 1;
    int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    hv = (struct hv){.mem_size = MEM_SIZE, .out_fd = null, .err_fd = null, .poll_max_ns = 1};
    hv.mem = malloc(MEM_SIZE);
    /* Two disks of 16 sectors (one read-only) and one NIC on a datagram socketpair. */
    for (int d = 0; d < 2; d++) {
        int fd = memfd_create("hvfuzz-disk", MFD_CLOEXEC);
        if (fd < 0 || ftruncate(fd, 16 * 512) < 0)
            abort();
        hv.disks[hv.ndisks++] = (struct hv_disk){.fd = fd, .sectors = 16, .read_only = d == 1};
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
        abort();
    hv.nics[0] = (struct hv_nic){.fd = sv[0], .mac = {2, 0, 0, 0, 0, 1}};
    hv.nnics = 1;
    hv.disks[3].fd = sv[1]; /* the peer end, kept out of range of the guest (ndisks = 2) */
    return &hv;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hv *hv = setup();
    int peer = hv->disks[3].fd;
    if (size < 1)
        return 0;
    unsigned n = data[0] % 8 + 1;
    if (size < 1 + 8 * n)
        return 0;
    const uint8_t *calls = data + 1;
    const uint8_t *init = calls + 8 * n;
    size_t init_len = size - 1 - 8 * n;
    memset(hv->mem, 0, MEM_SIZE);
    memcpy(hv->mem, init, init_len < MEM_SIZE ? init_len : MEM_SIZE);
    /* Two frames waiting for NET_READ. */
    static const uint8_t frame[64] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2};
    (void)!send(peer, frame, sizeof(frame), 0);
    (void)!send(peer, frame, 20, 0);
    for (unsigned i = 0; i < n; i++) {
        const uint8_t *c = calls + 8 * i;
        uint16_t port = (uint16_t)(c[0] | c[1] << 8);
        /* Bias half of the ports onto real hypercalls. */
        if (c[5] & 1)
            port = (uint16_t)(JEOS_HV_PORT_BASE + port % (JEOS_HV_CALL_MAX + 1));
        unsigned sz = c[2] & 7, count = c[3];
        bool is_out = c[4] & 1;
        if (c[4] & 2) { /* the well-formed access, most of the time */
            sz = 4;
            count = 1;
            is_out = true;
        }
        uint32_t value = (uint32_t)(c[6] | c[7] << 8) | (uint32_t)c[5] << 24;
        if (c[5] & 2)
            value %= MEM_SIZE + 64; /* mostly near or inside memory */
        int status;
        if (hv_dispatch(hv, port, sz, count, is_out, value, &status) == HV_EXIT)
            break;
    }
    /* Drain what the guest sent, so the socket never fills. */
    uint8_t sink[2048];
    while (recv(peer, sink, sizeof(sink), 0) > 0 || recv(hv->nics[0].fd, sink, sizeof(sink), 0) > 0)
        ;

    /* The ELF loader on the same bytes. */
    static struct hv lh;
    if (!lh.mem) {
        lh.mem_size = LOAD_SIZE;
        lh.mem = malloc(LOAD_SIZE);
    }
    struct hv_image img;
    char msg[256];
    if (hv_elf_load(&lh, data, size, &img, msg, sizeof(msg)) == 0 &&
        (img.end > LOAD_SIZE || img.entry >= img.end || img.features & ~JEOS_HV_FEATURES_ALL))
        abort();
    return 0;
}

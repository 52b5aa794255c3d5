/* runtime/libc/random.c — getrandom: ChaCha20 keyed from RDSEED/RDRAND and the TSC at boot. */
#include "arch/x86_64/cpu.h"
#include "lib/string.h"
#include "rt.h"

static uint32_t state[16];
static uint8_t block[64];
static unsigned used = 64;

#define ROTL(a, b) (((a) << (b)) | ((a) >> (32 - (b))))
#define QR(a, b, c, d)                                                                             \
    (a += b, d ^= a, d = ROTL(d, 16), c += d, b ^= c, b = ROTL(b, 12), a += b, d ^= a,             \
     d = ROTL(d, 8), c += d, b ^= c, b = ROTL(b, 7))

static void chacha_block(void)
{
    uint32_t x[16];
    memcpy(x, state, sizeof(x));
    for (int i = 0; i < 10; i++) {
        QR(x[0], x[4], x[8], x[12]);
        QR(x[1], x[5], x[9], x[13]);
        QR(x[2], x[6], x[10], x[14]);
        QR(x[3], x[7], x[11], x[15]);
        QR(x[0], x[5], x[10], x[15]);
        QR(x[1], x[6], x[11], x[12]);
        QR(x[2], x[7], x[8], x[13]);
        QR(x[3], x[4], x[9], x[14]);
    }
    for (int i = 0; i < 16; i++)
        x[i] += state[i];
    memcpy(block, x, sizeof(block));
    if (++state[12] == 0)
        state[13]++;
    used = 0;
}

/* One 64-bit value from RDSEED, else RDRAND, else 0; *ok says whether the CPU gave one. */
static uint64_t hw_random(int leaf7_rdseed, int leaf1_rdrand, int *ok)
{
    uint64_t v = 0;
    unsigned char c = 0;
    for (int tries = 0; tries < 16 && !c; tries++) {
        if (leaf7_rdseed)
            __asm__ volatile("rdseed %0; setc %1" : "=r"(v), "=qm"(c));
        else if (leaf1_rdrand)
            __asm__ volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(c));
        else
            break;
    }
    *ok = c;
    return v;
}

void rt_random_init(void)
{
    int rdseed = (cpuid(7, 0).ebx >> 18) & 1, rdrand = (cpuid(1, 0).ecx >> 30) & 1;
    static const char sigma[16] = "expand 32-byte k";
    memcpy(state, sigma, 16);
    int hw = 0;
    for (int i = 0; i < 4; i++) {
        int ok;
        uint64_t v = hw_random(rdseed, rdrand, &ok) ^ rdtsc();
        hw |= ok;
        state[4 + 2 * i] = (uint32_t)v;
        state[5 + 2 * i] = (uint32_t)(v >> 32);
    }
    uint64_t t = rdtsc();
    state[14] = (uint32_t)t;
    state[15] = (uint32_t)(t >> 32);
    (void)hw;
    used = 64;
}

void rt_random_bytes(void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n) {
        if (used == 64)
            chacha_block();
        size_t k = 64 - used < n ? 64 - used : n;
        memcpy(p, block + used, k);
        memset(block + used, 0, k); /* no output twice, none kept */
        used += (unsigned)k;
        p += k;
        n -= k;
    }
}

/* malloc.c — 10^5 malloc/free/realloc operations of random sizes, contents checked. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"

#define SLOTS 512
#define OPS   100000

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static unsigned char *p[SLOTS];
static size_t len[SLOTS];
static unsigned char tag[SLOTS];

static int verify(int i)
{
    for (size_t k = 0; k < len[i]; k++)
        if (p[i][k] != (unsigned char)(tag[i] + k))
            return 0;
    return 1;
}

int main(void)
{
    int bad = 0, nullret = 0;
    for (int op = 0; op < OPS; op++) {
        int i = (int)(next() % SLOTS);
        uint64_t r = next();
        size_t size = (r % 16 == 0) ? (size_t)(r >> 8) % 200000 : (size_t)(r >> 8) % 600;
        if (p[i] && !verify(i))
            bad++;
        if (op % 3 == 2 && p[i]) {
            unsigned char *q = realloc(p[i], size + 1);
            if (!q) {
                nullret++;
                continue;
            }
            size_t keep = len[i] < size + 1 ? len[i] : size + 1;
            for (size_t k = 0; k < keep; k++)
                if (q[k] != (unsigned char)(tag[i] + k))
                    bad++;
            p[i] = q;
        } else {
            free(p[i]);
            p[i] = malloc(size + 1);
            if (!p[i]) {
                nullret++;
                continue;
            }
        }
        len[i] = size + 1;
        tag[i] = (unsigned char)r;
        for (size_t k = 0; k < len[i]; k++)
            p[i][k] = (unsigned char)(tag[i] + k);
    }
    for (int i = 0; i < SLOTS; i++) {
        if (p[i] && !verify(i))
            bad++;
        free(p[i]);
    }
    CHECK("rt-malloc-stress", bad == 0 && nullret == 0, "%d corrupted, %d NULL", bad, nullret);
    int *z = calloc(1000, sizeof(int));
    int zero = 1;
    for (int i = 0; z && i < 1000; i++)
        zero &= z[i] == 0;
    CHECK("rt-calloc-zero", z && zero, "calloc memory not zero");
    free(z);
    void *huge = malloc((size_t)1 << 40);
    CHECK("rt-malloc-enomem", huge == NULL, "a 1 TiB malloc succeeded");
    return failures ? 1 : 0;
}

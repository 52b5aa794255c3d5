/* blk.c — block test guest: "rw" writes a pattern to sectors 1..8 and reads it back; "ro" expects
 * writes refused. */
#include "guest.h"

static uint8_t buf[4096] __attribute__((aligned(512)));
static uint8_t back[4096] __attribute__((aligned(512)));

static int fail(const char *what)
{
    g_puts("FAIL ");
    g_puts(what);
    g_puts("\n");
    return 1;
}

int guest_main(const struct jeos_hv_boot_info *bi)
{
    const char *cmd = (const char *)(uintptr_t)bi->cmdline;
    int ro = g_streq(cmd, "ro");
    struct jeos_hv_block_info info = {.dev = 0};
    hypercall(JEOS_HV_CALL_BLOCK_INFO, &info);
    if (info.ret != 0 || bi->ndisks != 1 || info.sectors != bi->disks[0].sectors)
        return fail("block_info");
    g_puts("disk sectors=");
    g_putu(info.sectors);
    g_puts(info.read_only ? " ro\n" : " rw\n");
    if (info.sectors < 16 || (int)info.read_only != ro)
        return fail("unexpected geometry or mode");
    for (unsigned i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 7 + i / 512);
    struct jeos_hv_block_io io = {.dev = 0, .sector = 1, .data = (uintptr_t)buf, .len = 4096};
    hypercall(JEOS_HV_CALL_BLOCK_WRITE, &io);
    if (ro) {
        if (io.ret != JEOS_HV_EROFS)
            return fail("write on a read-only disk was not refused");
        g_puts("write refused: EROFS\n");
    } else if (io.ret != 0) {
        return fail("block_write");
    }
    /* Out of range: past the end, unaligned length, and an unknown disk. */
    struct jeos_hv_block_io bad = {
        .dev = 0, .sector = info.sectors, .data = (uintptr_t)back, .len = 512};
    hypercall(JEOS_HV_CALL_BLOCK_READ, &bad);
    if (bad.ret != JEOS_HV_EINVAL)
        return fail("read past the end not refused");
    bad = (struct jeos_hv_block_io){.dev = 0, .sector = 0, .data = (uintptr_t)back, .len = 100};
    hypercall(JEOS_HV_CALL_BLOCK_READ, &bad);
    if (bad.ret != JEOS_HV_EINVAL)
        return fail("unaligned length not refused");
    bad = (struct jeos_hv_block_io){.dev = 3, .sector = 0, .data = (uintptr_t)back, .len = 512};
    hypercall(JEOS_HV_CALL_BLOCK_READ, &bad);
    if (bad.ret != JEOS_HV_ENODEV)
        return fail("unknown disk not refused");
    struct jeos_hv_block_io rd = {.dev = 0, .sector = 1, .data = (uintptr_t)back, .len = 4096};
    hypercall(JEOS_HV_CALL_BLOCK_READ, &rd);
    if (rd.ret != 0)
        return fail("block_read");
    int same = 1;
    for (unsigned i = 0; i < sizeof(buf); i++)
        same &= back[i] == buf[i];
    if (ro) {
        g_puts(same ? "FAIL read-only disk holds the pattern\n" : "read-only disk unchanged\n");
        if (same)
            return 1;
    } else {
        if (!same)
            return fail("read back differs");
        g_puts("pattern written and read back\n");
    }
    g_puts("SUCCESS\n");
    return 0;
}

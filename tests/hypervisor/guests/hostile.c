/* hostile.c — a guest that attacks the monitor in the way its command line names; jeos-hv must end
 * it. */
#include "guest.h"

static uint8_t page[4096];

int guest_main(const struct jeos_hv_boot_info *bi)
{
    const char *m = (const char *)(uintptr_t)bi->cmdline;
    uint64_t top = bi->mem_size;
    if (g_streq(m, "badptr")) { /* console data far outside memory */
        struct jeos_hv_console_write a = {.data = 0xdead00000000ull, .len = 16};
        hypercall(JEOS_HV_CALL_CONSOLE_WRITE, &a);
    } else if (g_streq(m, "hugelen")) { /* valid start, length past the end */
        struct jeos_hv_console_write a = {.data = (uintptr_t)page, .len = 1ull << 62};
        hypercall(JEOS_HV_CALL_CONSOLE_WRITE, &a);
    } else if (g_streq(m, "wrap")) { /* address + length wraps around to a small number */
        struct jeos_hv_console_write a = {.data = 0xffffffffffffff00ull, .len = 0x200};
        hypercall(JEOS_HV_CALL_CONSOLE_WRITE, &a);
    } else if (g_streq(m, "edge")) { /* the last byte of memory, plus one */
        struct jeos_hv_console_write a = {.data = top - 1, .len = 2};
        hypercall(JEOS_HV_CALL_CONSOLE_WRITE, &a);
    } else if (g_streq(m, "badarg")) { /* the argument block itself out of memory */
        raw_outl(JEOS_HV_PORT_BASE + JEOS_HV_CALL_TIME, (uint32_t)(top - 8));
    } else if (g_streq(m, "unknown")) { /* a hypercall number that does not exist */
        struct jeos_hv_exit a = {.status = 0};
        hypercall(200, &a);
    } else if (g_streq(m, "inport")) { /* a read instead of a write */
        uint32_t v;
        __asm__ volatile("inl %1, %0" : "=a"(v) : "d"((uint16_t)(JEOS_HV_PORT_BASE + 1)));
    } else if (g_streq(m, "blkbuf")) { /* block read into memory that is not there */
        struct jeos_hv_block_io a = {.dev = 0, .sector = 0, .data = top - 512, .len = 1024};
        hypercall(JEOS_HV_CALL_BLOCK_READ, &a);
    } else if (g_streq(m, "netframes")) { /* a frame descriptor pointing outside memory */
        static struct jeos_hv_frame f[2];
        f[0] = (struct jeos_hv_frame){.data = (uintptr_t)page, .len = 60};
        f[1] = (struct jeos_hv_frame){.data = ~0ull - 10, .len = 60};
        struct jeos_hv_net_io a = {.dev = 0, .frames = (uintptr_t)f, .count = 2};
        hypercall(JEOS_HV_CALL_NET_WRITE, &a);
    } else if (g_streq(m, "exit300")) {
        struct jeos_hv_exit a = {.status = 300};
        hypercall(JEOS_HV_CALL_EXIT, &a);
    } else if (g_streq(m, "abort")) {
        static const char msg[] = "out of cheese\x1b[2J";
        struct jeos_hv_abort a = {.msg = (uintptr_t)msg, .len = sizeof(msg) - 1};
        hypercall(JEOS_HV_CALL_ABORT, &a);
    } else if (g_streq(m, "wild")) { /* touch memory that is not mapped: the CPU faults */
        *(volatile uint64_t *)(uintptr_t)(top + 0x1000) = 1;
    } else if (g_streq(m, "hlt")) {
        __asm__ volatile("cli; hlt");
    } else if (g_streq(m, "spin")) { /* never exits, never calls the monitor: only --timeout ends it */
        for (;;)
            __asm__ volatile("pause");
    } else {
        g_puts("unknown mode\n");
        return 2;
    }
    g_puts("FAIL the monitor let the guest go on\n");
    return 1;
}

/* unikernel/time/time.c — TSC frequency, CMOS RTC, the one-shot timer and sleeping by hlt. */
#include "arch/x86_64/cpu.h"
#include "interrupts/irq.h"
#include "platform/platform.h"
#include "time/time.h"

#define LAPIC_LVT_TIMER  0x320
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR  0x390
#define LAPIC_TIMER_DIV  0x3e0
#define PIT_HZ           1193182u
#define CALIBRATE_MS     10

static uint64_t tsc_hz, tsc_boot, ns_mult; /* ns = (tsc delta * ns_mult) >> 32 */
static uint64_t lapic_hz;                  /* divided LAPIC timer clock */
static uint64_t wall_boot_ns;
static uint64_t halts;
static int use_deadline, timer_vector;
static const char *tsc_source = "none";

/* The LAPIC timer counts down from its maximum, divided by 16, masked: for calibration. */
static void lapic_count_start(void)
{
    lapic_write(LAPIC_TIMER_DIV, 0x3);
    lapic_write(LAPIC_LVT_TIMER, 1u << 16);
    lapic_write(LAPIC_TIMER_INIT, 0xffffffffu);
}

/* Waits one CALIBRATE_MS window on PIT channel 2 (gated through port 0x61, as on PCs). */
static int pit_wait_channel2(uint32_t latch, int with_lapic, uint64_t *t0)
{
    outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01)); /* gate channel 2 on, speaker off */
    outb(0x43, 0xb0);                                  /* channel 2, lo/hi, mode 0 */
    outb(0x42, (uint8_t)(latch & 0xff));
    if (with_lapic)
        lapic_count_start();
    outb(0x42, (uint8_t)(latch >> 8)); /* counting starts with the high byte */
    *t0 = rdtsc();
    while (!(inb(0x61) & 0x20))
        ;
    return 0;
}

static uint16_t pit_channel0_count(void)
{
    outb(0x43, 0x00); /* latch channel 0 */
    uint8_t lo = inb(0x40);
    return (uint16_t)(lo | inb(0x40) << 8);
}

/*
 * The same window read from channel 0's counter, for machines without port 0x61 (QEMU's
 * microvm): its gate is always open. Channel 0's interrupt stays masked. -1 without a PIT.
 */
static int pit_wait_channel0(uint32_t latch, int with_lapic, uint64_t *t0)
{
    outb(0x43, 0x30); /* channel 0, lo/hi, mode 0 */
    outb(0x40, 0xff);
    outb(0x40, 0xff);
    if (with_lapic)
        lapic_count_start();
    uint16_t start = pit_channel0_count();
    *t0 = rdtsc();
    for (uint32_t polls = 0; (uint16_t)(start - pit_channel0_count()) < latch; polls++)
        if (polls > 10000000)
            return -1; /* the count never moves: no PIT */
    return 0;
}

/*
 * One PIT window of CALIBRATE_MS measures the TSC and, when with_lapic, the LAPIC timer in the
 * same window (one wait for both).
 */
static void pit_calibrate(int with_lapic)
{
    uint32_t latch = PIT_HZ * CALIBRATE_MS / 1000;
    uint64_t t0;
    int r = inb(0x61) == 0xff ? pit_wait_channel0(latch, with_lapic, &t0)
                              : pit_wait_channel2(latch, with_lapic, &t0);
    uint64_t t1 = rdtsc();
    if (r < 0)
        return;
    if (with_lapic) {
        uint32_t cur = lapic_read(LAPIC_TIMER_CUR);
        lapic_write(LAPIC_TIMER_INIT, 0);
        lapic_hz = (uint64_t)(0xffffffffu - cur) * 1000 / CALIBRATE_MS;
    }
    tsc_hz = (t1 - t0) * 1000 / CALIBRATE_MS;
}

static uint64_t cpuid_tsc_hz(void)
{
    if (cpu_features.max_leaf >= 0x15) {
        struct cpuid_regs r = cpuid(0x15, 0);
        if (r.eax && r.ebx && r.ecx)
            return (uint64_t)r.ecx * r.ebx / r.eax;
    }
    if (cpu_features.max_leaf >= 0x16) {
        struct cpuid_regs r = cpuid(0x16, 0);
        if (r.eax & 0xffff)
            return (uint64_t)(r.eax & 0xffff) * 1000000;
    }
    return 0;
}

static void timer_irq(void *arg)
{
    (void)arg; /* the wake-up is the point; sleepers re-check the clock */
}

/* The LAPIC timer against a known TSC frequency. */
static void calibrate_lapic(void)
{
    lapic_count_start();
    uint64_t t0 = rdtsc(), wait = tsc_hz * CALIBRATE_MS / 1000;
    while (rdtsc() - t0 < wait)
        cpu_pause();
    uint32_t cur = lapic_read(LAPIC_TIMER_CUR);
    uint64_t t1 = rdtsc();
    lapic_write(LAPIC_TIMER_INIT, 0);
    lapic_hz = (uint64_t)(0xffffffffu - cur) * tsc_hz / (t1 - t0);
}

int time_init(const struct boot_info *bi)
{
    use_deadline = cpu_features.tsc_deadline;
    tsc_hz = platform_tsc_hz(bi, &tsc_source);
    if (!tsc_hz && (tsc_hz = cpuid_tsc_hz()))
        tsc_source = "cpuid";
    if (!tsc_hz) {
        pit_calibrate(!use_deadline);
        tsc_source = "pit";
    }
    if (!tsc_hz)
        return -5;
    ns_mult = (uint64_t)(((unsigned __int128)1000000000u << 32) / tsc_hz);
    tsc_boot = rdtsc();
    uint64_t wall = platform_wall_ns();
    wall_boot_ns = wall ? wall - time_monotonic_ns() : 0;

    timer_vector = irq_claim(timer_irq, 0);
    if (timer_vector < 0)
        return timer_vector;
    if (use_deadline) {
        lapic_write(LAPIC_LVT_TIMER, (2u << 17) | (uint32_t)timer_vector);
    } else {
        if (!lapic_hz)
            calibrate_lapic();
        if (!lapic_hz)
            return -5;
        lapic_write(LAPIC_LVT_TIMER, (uint32_t)timer_vector); /* one-shot */
    }
    return 0;
}

uint64_t time_monotonic_ns(void)
{
    return (uint64_t)(((unsigned __int128)(rdtsc() - tsc_boot) * ns_mult) >> 32);
}

uint64_t time_wall_ns(void)
{
    return wall_boot_ns + time_monotonic_ns();
}

/* Arms the one-shot timer ns from now. */
static void timer_arm(uint64_t ns)
{
    if (use_deadline) {
        wrmsr(MSR_TSC_DEADLINE,
              rdtsc() + (uint64_t)((unsigned __int128)ns * tsc_hz / 1000000000u) + 1);
        return;
    }
    uint64_t count = (uint64_t)((unsigned __int128)ns * lapic_hz / 1000000000u) + 1;
    lapic_write(LAPIC_TIMER_INIT, count > 0xffffffffu ? 0xffffffffu : (uint32_t)count);
}

void time_sleep_ns(uint64_t ns)
{
    uint64_t deadline = time_monotonic_ns() + ns;
    for (;;) {
        cpu_irq_disable();
        uint64_t now = time_monotonic_ns();
        if (now >= deadline)
            break;
        timer_arm(deadline - now);
        halts++;
        cpu_sti_hlt();
    }
    cpu_irq_enable();
}

void time_halt_until(uint64_t deadline_ns)
{
    uint64_t now = time_monotonic_ns();
    if (now < deadline_ns) {
        timer_arm(deadline_ns - now);
        halts++;
        cpu_sti_hlt();
    }
    cpu_irq_enable();
}

void time_arm_at(uint64_t deadline_ns)
{
    uint64_t now = time_monotonic_ns();
    timer_arm(deadline_ns > now ? deadline_ns - now : 1000);
}

uint64_t time_tsc_hz(void)
{
    return tsc_hz;
}

const char *time_tsc_source(void)
{
    return tsc_source;
}

const char *time_timer_kind(void)
{
    return use_deadline ? "tsc-deadline" : "lapic";
}

uint64_t time_idle_halts(void)
{
    return halts;
}

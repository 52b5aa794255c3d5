/* unikernel/time/rtc.c — the PC CMOS real-time clock, read once at boot for the wall clock. */
#include "arch/x86_64/cpu.h"
#include "time/rtc.h"

static uint8_t cmos(uint8_t reg)
{
    outb(0x70, reg);
    return inb(0x71);
}

static unsigned bcd(uint8_t v, int is_bcd)
{
    return is_bcd ? (v & 0x0f) + (v >> 4) * 10 : v;
}

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

uint64_t rtc_read_ns(void)
{
    for (int i = 0; i < 100000 && (cmos(0x0a) & 0x80); i++)
        cpu_pause();
    uint8_t b = cmos(0x0b);
    int is_bcd = !(b & 0x04);
    unsigned sec = bcd(cmos(0x00), is_bcd), min = bcd(cmos(0x02), is_bcd);
    uint8_t hr = cmos(0x04);
    unsigned hour = bcd(hr & 0x7f, is_bcd);
    if (!(b & 0x02) && (hr & 0x80)) /* 12-hour clock, PM */
        hour = (hour % 12) + 12;
    unsigned day = bcd(cmos(0x07), is_bcd), mon = bcd(cmos(0x08), is_bcd);
    unsigned year = bcd(cmos(0x09), is_bcd);
    unsigned century = bcd(cmos(0x32), is_bcd);
    if (century < 19 || century > 30)
        century = 20;
    if (mon < 1 || mon > 12 || day < 1 || day > 31)
        return 0;
    int64_t days = days_from_civil(century * 100 + year, mon, day);
    return (uint64_t)(((days * 24 + hour) * 60 + min) * 60 + sec) * 1000000000ull;
}

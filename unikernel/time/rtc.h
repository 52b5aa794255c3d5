/* unikernel/time/rtc.h — the PC CMOS real-time clock (platforms with PC devices). */
#ifndef UK_TIME_RTC_H
#define UK_TIME_RTC_H

#include <stdint.h>

/* rtc_read_ns: the RTC's time as ns since 1970-01-01 UTC (second resolution), 0 if invalid. */
uint64_t rtc_read_ns(void);

#endif

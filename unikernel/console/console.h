/* unikernel/console/console.h — formatted kernel output (printk) over the platform console. */
#ifndef UK_CONSOLE_H
#define UK_CONSOLE_H

#include <stdarg.h>
#include <stddef.h>

/* 16550 UART on COM1 (0x3f8), 115200 8N1, polled. */
void serial_init(void);
void serial_write(const char *s, size_t n);
/*
 * The guest's whole exit status (0..255) as the line "jeos-status N" on COM2 (0x2f8), when a
 * UART is there: isa-debug-exit carries 7 bits, so a host that wants 128 + N (a signal's default
 * action) attaches COM2 and reads it there (jeos run does). Nothing is written without COM2.
 */
void serial_status(int status);

/*
 * uk_vsnprintf: formats into buf (always NUL-terminated when size > 0); returns the length the
 * full output would have. Understands %d %i %u %x %X %o %c %s %p %%, flags '-' '0', a width,
 * and the l, ll, z length modifiers.
 */
int uk_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int uk_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* printk: formats and writes to the console; returns the number of bytes written. */
int printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintk(const char *fmt, va_list ap);

#endif

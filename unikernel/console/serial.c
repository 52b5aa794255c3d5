/* unikernel/console/serial.c — 16550 UARTs: the console on COM1 and the exit status on COM2,
 * polled. */
#include "arch/x86_64/cpu.h"
#include "console/console.h"

#define COM1 0x3f8
#define COM2 0x2f8

void serial_init(void)
{
    outb(COM1 + 1, 0x00); /* no interrupts */
    outb(COM1 + 3, 0x80); /* DLAB */
    outb(COM1 + 0, 0x01); /* divisor 1: 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03); /* 8N1 */
    outb(COM1 + 2, 0xc7); /* FIFO on, cleared */
    outb(COM1 + 4, 0x03); /* DTR, RTS */
}

static void put_on(uint16_t port, char c)
{
    for (int spin = 0; spin < 100000 && !(inb(port + 5) & 0x20); spin++)
        cpu_pause();
    outb(port, (uint8_t)c);
}

static void put(char c)
{
    put_on(COM1, c);
}

void serial_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            put('\r');
        put(s[i]);
    }
}

void serial_status(int status)
{
    /* a UART answers through its scratch register; an absent port reads 0xff */
    outb(COM2 + 7, 0x5a);
    if (inb(COM2 + 7) != 0x5a)
        return;
    outb(COM2 + 1, 0x00);
    outb(COM2 + 3, 0x03);
    char line[32];
    int n = uk_snprintf(line, sizeof(line), "jeos-status %d\n", status & 0xff);
    for (int i = 0; i < n; i++)
        put_on(COM2, line[i]);
    for (int spin = 0; spin < 100000 && !(inb(COM2 + 5) & 0x40); spin++)
        cpu_pause(); /* transmitter empty: the line has left before the exit */
}

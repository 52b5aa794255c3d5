/* kernel.h — the few Linux UAPI constants init uses, so it builds against musl without kernel
 * headers. */
#ifndef JEOS_INIT_KERNEL_H
#define JEOS_INIT_KERNEL_H

#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/time.h>

/* <linux/fs.h> */
#ifndef BLKSSZGET
#define BLKSSZGET _IO(0x12, 104)
#endif

/* <linux/input.h> */
struct init_input_event {
    struct timeval time;
    uint16_t type, code;
    int32_t value;
};
#define INIT_EV_KEY             0x01
#define INIT_KEY_POWER          116
#define INIT_KEY_MAX            0x2ff
#define INIT_EVIOCGBIT(ev, len) _IOC(_IOC_READ, 'E', 0x20 + (ev), len)

#endif

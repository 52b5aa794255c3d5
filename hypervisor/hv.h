/* hv.h — jeos-hv internals: guest memory, devices, the hypercall dispatcher, loader, sandbox. */
#ifndef JEOS_HV_H
#define JEOS_HV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hypervisor/abi.h"

struct hv_disk {
    int fd;
    uint64_t sectors;
    bool read_only;
};

struct hv_nic {
    int fd; /* a tap (or any fd that reads and writes whole frames), non-blocking */
    uint8_t mac[6];
};

/* Counters for --timings. */
struct hv_stats {
    uint64_t calls[JEOS_HV_CALL_MAX];
    uint64_t first_call_ns; /* CLOCK_MONOTONIC of the first hypercall, 0 before */
};

/* Everything the dispatcher may touch. */
struct hv {
    uint8_t *mem; /* guest memory, GPA 0 at mem[0] */
    uint64_t mem_size;
    struct hv_disk disks[JEOS_HV_MAX_DISKS];
    unsigned ndisks;
    struct hv_nic nics[JEOS_HV_MAX_NICS];
    unsigned nnics;
    int out_fd, err_fd;  /* console and diagnostics */
    bool trace;          /* print each hypercall on err_fd */
    int64_t poll_max_ns; /* > 0: cap on POLL waits (the fuzz harness sets it) */
    unsigned ncpus;      /* vCPUs; CPU_START takes 1 .. ncpus-1 */
    /* CPU_START's work, set by the monitor when ncpus > 1: returns JEOS_HV_OK or EINVAL */
    int (*start_cpu)(void *ctx, unsigned cpu, uint64_t rip, uint64_t rsp, uint64_t rdi);
    void *start_ctx;
    struct hv_stats stats;
};

/*
 * The one checked translation of guest addresses: returns the host address
 * of [gpa, gpa+len) when all of it lies in guest memory, else NULL. Overflow
 * safe for any gpa and len. A zero-length range at gpa == mem_size is valid.
 */
void *hv_gpa(const struct hv *hv, jeos_hv_gpa_t gpa, uint64_t len);

/* What the run loop does after an exit. */
enum hv_action { HV_CONTINUE, HV_EXIT };

/*
 * Serves one guest port access: `port`, access `size` in bytes, `count`
 * repetitions (rep outs), `is_out`, and `value` (the written value when
 * count == 1 and size <= 4). On a normal hypercall returns HV_CONTINUE. On
 * EXIT/ABORT or a corrupt call returns HV_EXIT with the status in *status
 * (255 after printing "jeos-hv: guest error: <call>: <what>" on err_fd).
 */
enum hv_action hv_dispatch(struct hv *hv, uint16_t port, unsigned size, unsigned count, bool is_out,
                           uint32_t value, int *status);

/* Prints "jeos-hv: guest error: <call>: <what>" on hv->err_fd. */
void hv_guest_error(const struct hv *hv, const char *call, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* printf to a file descriptor through one write(): no stdio (its fstat is not in the sandbox). */
void hv_printf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Name of a hypercall for messages ("console_write"), or "unknown". */
const char *hv_call_name(unsigned nr);

/* Monotonic clock in nanoseconds. */
uint64_t hv_now_ns(void);

/* What the loader found in a kernel ELF. */
struct hv_image {
    uint64_t entry;
    uint64_t end;      /* highest loaded byte + 1 */
    uint32_t features; /* JEOS_HV_FEATURE_* from the JeosHv note, 0 without one */
};

/*
 * Loads the ELF64 image `elf` (`len` bytes) into guest memory: checks the
 * header and every PT_LOAD segment (in range, not overlapping, file part
 * inside the file, within [JEOS_HV_LOAD_MIN, mem_size)), copies them, zeroes
 * their BSS, and reads the JeosHv features note. Fills *img. Returns 0, or -1
 * with a message naming the segment or note in `msg` (size `msgsz`).
 */
int hv_elf_load(struct hv *hv, const uint8_t *elf, size_t len, struct hv_image *img, char *msg,
                size_t msgsz);

/*
 * Installs the run-loop seccomp filter (hand-built BPF) on the calling thread:
 * only KVM_RUN, KVM_GET_REGS, KVM_GET_SREGS on the `n` vCPU fds in `vcpu_fds`,
 * read/write/pread/pwrite, ppoll, clock_gettime, exit and exit_group; with
 * n > 1 also KVM_SET_REGS on them (a secondary CPU's start) and futex (the
 * dispatch lock). Returns 0 or a negative errno.
 */
int hv_sandbox(const int *vcpu_fds, unsigned n);

#endif

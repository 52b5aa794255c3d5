/* abi.h — the jeos-hv guest<->monitor ABI: boot state, boot-info block, hypercalls (see ABI.md). */
#ifndef JEOS_HV_ABI_H
#define JEOS_HV_ABI_H

/*
 * Self-contained C99, shared by the monitor (hypervisor/) and the guest
 * (unikernel/platform/hv). Every structure has a fixed layout (explicit
 * padding, 64-bit fields 8-aligned) so both sides agree whatever the compiler.
 *
 * Guest addresses: on the guest side a GPA is simply a pointer cast to
 * jeos_hv_gpa_t (guest memory is identity mapped). On the monitor side a
 * jeos_hv_gpa_t is an integer that is never dereferenced: it goes through the
 * monitor's one checked translation function.
 *
 * Fields are marked IN (set by the guest) or OUT (set by the monitor).
 */

#include <stdint.h>

#define JEOS_HV_ABI_VERSION 1u

typedef uint64_t jeos_hv_gpa_t;

/* ---- Fixed guest-physical layout ---------------------------------------- */

#define JEOS_HV_GDT_GPA      0x1000u  /* monitor's GDT: null, code 0x08, data 0x10 */
#define JEOS_HV_BOOTINFO_GPA 0x2000u  /* struct jeos_hv_boot_info; RDI at entry */
#define JEOS_HV_CMDLINE_GPA  0x3000u  /* NUL-terminated command line */
#define JEOS_HV_CMDLINE_MAX  4096u    /* bytes, including the NUL */
#define JEOS_HV_STACK_TOP    0x8000u  /* RSP at entry: a 16 KiB scratch stack 0x4000..0x7fff */
#define JEOS_HV_PT_GPA       0x10000u /* monitor's page tables (PML4, PDPT, PDs) */
#define JEOS_HV_PT_END       0x20000u
#define JEOS_HV_LOAD_MIN     0x100000u /* PT_LOAD segments must start at or above 1 MiB */
#define JEOS_HV_MEM_MIN      (2u << 20)
#define JEOS_HV_MEM_MAX      (4ull << 30) /* every GPA fits in the 32-bit port write */
#define JEOS_HV_MEM_ALIGN    (2u << 20)   /* memory size is a multiple of 2 MiB */

/* ---- Hypercalls --------------------------------------------------------- */

/*
 * A hypercall is a 32-bit port write (`outl %eax, %dx`) to port
 * JEOS_HV_PORT_BASE + call number; EAX holds the GPA of the call's argument
 * block, which must lie entirely in guest memory. The monitor copies the block
 * in, does the call, and copies the OUT fields back before resuming the guest.
 */
#define JEOS_HV_PORT_BASE 0x500u

enum jeos_hv_call {
    JEOS_HV_CALL_CONSOLE_WRITE = 1,
    JEOS_HV_CALL_TIME = 2,
    JEOS_HV_CALL_POLL = 3,
    JEOS_HV_CALL_BLOCK_INFO = 4,
    JEOS_HV_CALL_BLOCK_READ = 5,
    JEOS_HV_CALL_BLOCK_WRITE = 6,
    JEOS_HV_CALL_NET_INFO = 7,
    JEOS_HV_CALL_NET_READ = 8,
    JEOS_HV_CALL_NET_WRITE = 9,
    JEOS_HV_CALL_EXIT = 10,
    JEOS_HV_CALL_ABORT = 11,
    JEOS_HV_CALL_CPU_START = 12,
    JEOS_HV_CALL_BLOCK_FLUSH = 13,
    JEOS_HV_CALL_MAX = 14
};

/* Results in the `ret` OUT field: 0 or one of these (negative). */
#define JEOS_HV_OK     0
#define JEOS_HV_EINVAL (-1) /* an argument is out of range (sector, length, flags) */
#define JEOS_HV_ENODEV (-2) /* no such device */
#define JEOS_HV_EROFS  (-3) /* the disk is read-only */
#define JEOS_HV_EAGAIN (-4) /* nothing to read now */
#define JEOS_HV_EIO    (-5) /* the host I/O failed */

#define JEOS_HV_MAX_CPUS    16
#define JEOS_HV_MAX_DISKS   4
#define JEOS_HV_MAX_NICS    4
#define JEOS_HV_SECTOR_SIZE 512u
#define JEOS_HV_BLOCK_MAX   (1u << 20) /* bytes per block read/write call */
#define JEOS_HV_NET_MTU     1500u
#define JEOS_HV_FRAME_MAX   1514u /* Ethernet header + MTU, no FCS */
#define JEOS_HV_NET_BATCH   64u   /* frames per net read/write call at most */

/* CONSOLE_WRITE: writes `len` bytes at `data` to the monitor's stdout. */
struct jeos_hv_console_write {
    jeos_hv_gpa_t data; /* IN */
    uint64_t len;       /* IN, at most guest memory */
};

/* TIME: the host clocks, in nanoseconds. */
struct jeos_hv_time {
    uint64_t wall_ns;      /* OUT, CLOCK_REALTIME since the Unix epoch */
    uint64_t monotonic_ns; /* OUT, CLOCK_MONOTONIC, arbitrary origin */
};

/*
 * POLL: blocks until one of the NICs in `wait_nics` (bit i = NIC i) has a
 * frame to read or `timeout_ns` has passed (0: do not block). The host sleeps
 * in ppoll, so an idle guest costs no host CPU.
 */
struct jeos_hv_poll {
    uint64_t timeout_ns; /* IN */
    uint32_t wait_nics;  /* IN */
    uint32_t ready_nics; /* OUT, bit i: NIC i readable */
    int32_t ret;         /* OUT */
    uint32_t pad;
};

/* BLOCK_INFO: the disk's geometry (also in the boot info). */
struct jeos_hv_block_info {
    uint32_t dev;         /* IN, disk index */
    int32_t ret;          /* OUT */
    uint64_t sectors;     /* OUT */
    uint32_t sector_size; /* OUT, 512 */
    uint32_t read_only;   /* OUT, 1 when writes are refused */
};

/* BLOCK_READ / BLOCK_WRITE: `len` (a multiple of 512, at most JEOS_HV_BLOCK_MAX) bytes at `sector`.
 */
struct jeos_hv_block_io {
    uint32_t dev;       /* IN */
    int32_t ret;        /* OUT */
    uint64_t sector;    /* IN */
    jeos_hv_gpa_t data; /* IN */
    uint64_t len;       /* IN */
};

/* BLOCK_FLUSH: what earlier block_write calls wrote reaches the disk file's storage (fdatasync). */
struct jeos_hv_block_flush {
    uint32_t dev; /* IN */
    int32_t ret;  /* OUT */
};

/* NET_INFO: the NIC's MAC and MTU (also in the boot info). */
struct jeos_hv_net_info {
    uint32_t dev;   /* IN */
    int32_t ret;    /* OUT */
    uint8_t mac[6]; /* OUT */
    uint16_t mtu;   /* OUT */
};

/* One frame of a batched NET_READ / NET_WRITE. */
struct jeos_hv_frame {
    jeos_hv_gpa_t data; /* IN, buffer */
    uint32_t len;       /* write: IN frame length; read: IN buffer size, OUT frame length */
    uint32_t pad;
};

/*
 * NET_READ: fills up to `count` frames from the NIC (stops when none is
 * pending); `done` says how many. NET_WRITE: sends `count` frames, `done` says
 * how many went out. `frames` is the GPA of an array of struct jeos_hv_frame;
 * count <= JEOS_HV_NET_BATCH. One exit moves the whole batch.
 */
struct jeos_hv_net_io {
    uint32_t dev;         /* IN */
    int32_t ret;          /* OUT; NET_READ with nothing pending: JEOS_HV_EAGAIN */
    jeos_hv_gpa_t frames; /* IN */
    uint32_t count;       /* IN */
    uint32_t done;        /* OUT */
};

/* EXIT: ends the guest; `status` (0..255) becomes jeos-hv's exit status. */
struct jeos_hv_exit {
    int32_t status; /* IN */
    uint32_t pad;
};

/* ABORT: ends the guest with `msg` printed on stderr and exit status 255. */
struct jeos_hv_abort {
    jeos_hv_gpa_t msg; /* IN */
    uint64_t len;      /* IN, at most 4096 bytes are printed */
};

/*
 * CPU_START: starts secondary vCPU `cpu` (1 .. ncpus-1 of the boot info) at `rip` with `rsp`
 * and `rdi`, in the state the boot CPU had at entry (64-bit mode, the monitor's page tables at
 * CR3 0x10000 and GDT at 0x1000, which must still hold when it starts; interrupts off). Each
 * CPU starts once: another call for it, for CPU 0, or for a CPU beyond ncpus returns
 * JEOS_HV_EINVAL; a monitor with one vCPU returns JEOS_HV_ENODEV.
 */
struct jeos_hv_cpu_start {
    uint32_t cpu; /* IN */
    int32_t ret;  /* OUT */
    uint64_t rip; /* IN */
    uint64_t rsp; /* IN */
    uint64_t rdi; /* IN */
};

/* ---- Features a kernel asks for: an ELF note ------------------------------ */

/*
 * A note (in a PT_NOTE segment) with name "JeosHv" and type
 * JEOS_HV_NOTE_FEATURES, whose 4-byte descriptor is a set of JEOS_HV_FEATURE_*
 * bits. Without the note a kernel gets none. jeos-hv refuses bits it does not
 * know, and reports what it granted in the boot info's `features`.
 */
#define JEOS_HV_NOTE_NAME     "JeosHv"
#define JEOS_HV_NOTE_FEATURES 1u

/*
 * KVM's in-kernel interrupt controllers: a local APIC (xAPIC at 0xfee00000 or
 * x2APIC; its timer, TSC-deadline mode included), an IOAPIC at 0xfec00000 and
 * the 8259 PICs. Then `hlt` waits in the host for the next interrupt instead of
 * ending the guest. Without it the guest has no interrupts at all, CPUID hides
 * the APIC, x2APIC and TSC-deadline bits, and `hlt` is a guest error.
 */
#define JEOS_HV_FEATURE_APIC (1u << 0)
#define JEOS_HV_FEATURES_ALL JEOS_HV_FEATURE_APIC

/* ---- Boot info ---------------------------------------------------------- */

#define JEOS_HV_BOOT_MAGIC 0x766865736f656aull /* "jeoshv" */

struct jeos_hv_disk_desc {
    uint64_t sectors;
    uint32_t sector_size;
    uint32_t read_only;
};

struct jeos_hv_nic_desc {
    uint8_t mac[6];
    uint16_t mtu;
};

/* At JEOS_HV_BOOTINFO_GPA (and in RDI) when the guest starts. */
struct jeos_hv_boot_info {
    uint64_t magic;       /* JEOS_HV_BOOT_MAGIC */
    uint32_t abi_version; /* JEOS_HV_ABI_VERSION */
    uint32_t ndisks;
    uint64_t mem_size;     /* bytes of guest memory, GPA 0 .. mem_size-1 */
    uint64_t kernel_end;   /* first byte above the loaded ELF, 4 KiB aligned */
    jeos_hv_gpa_t cmdline; /* NUL-terminated */
    uint64_t tsc_khz;      /* 0 when the host does not know */
    uint32_t nnics;
    uint32_t features; /* JEOS_HV_FEATURE_* granted (those the ELF note asked for) */
    struct jeos_hv_disk_desc disks[JEOS_HV_MAX_DISKS];
    struct jeos_hv_nic_desc nics[JEOS_HV_MAX_NICS];
    /* Appended in ABI 1 (a monitor before them leaves zeros: read 0 as 1 CPU). */
    uint32_t ncpus; /* vCPUs (--cpus); the boot CPU is 0, the others wait for CPU_START */
    uint32_t pad;
};

#endif

/* main.c — jeos-hv: options, devices, boot info, then the sandboxed run loop. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hypervisor/vm.h"

static const char usage[] =
    "usage: jeos-hv [--mem SIZE] [--disk FILE[,ro]]... [--net TAP[,mac=XX:XX:XX:XX:XX:XX]]...\n"
    "               [--cpus N] [--timeout SECONDS] [--trace] [--timings] KERNEL [-- ARGS...]\n";

/* Parses "64M", "1G", "2097152" into bytes. */
static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *s == '-')
        return -1;
    unsigned shift = 0;
    switch (*end) {
    case 'K':
    case 'k':
        shift = 10;
        end++;
        break;
    case 'M':
    case 'm':
        shift = 20;
        end++;
        break;
    case 'G':
    case 'g':
        shift = 30;
        end++;
        break;
    default: break;
    }
    if (*end || v > (~0ull >> shift))
        return -1;
    *out = v << shift;
    return 0;
}

/* Parses a whole number in [lo, hi] into *out. */
static int parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || *s == '-' || v < lo || v > hi)
        return -1;
    *out = (unsigned)v;
    return 0;
}

static int open_disk(struct hv *hv, const char *spec)
{
    if (hv->ndisks == JEOS_HV_MAX_DISKS) {
        fprintf(stderr, "jeos-hv: --disk %s: at most %d disks\n", spec, JEOS_HV_MAX_DISKS);
        return -1;
    }
    char path[4096];
    const char *comma = strrchr(spec, ',');
    bool ro = comma && strcmp(comma, ",ro") == 0;
    size_t n = ro ? (size_t)(comma - spec) : strlen(spec);
    if (comma && !ro && strcmp(comma, ",rw") != 0) {
        fprintf(stderr, "jeos-hv: --disk %s: unknown option \"%s\" (expected ,ro)\n", spec,
                comma + 1);
        return -1;
    }
    if (comma && !ro)
        n = (size_t)(comma - spec);
    if (n == 0 || n >= sizeof(path)) {
        fprintf(stderr, "jeos-hv: --disk %s: bad file name\n", spec);
        return -1;
    }
    memcpy(path, spec, n);
    path[n] = 0;
    int fd = open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "jeos-hv: --disk %s: %s\n", path, strerror(errno));
        return -1;
    }
    off_t size = lseek(fd, 0, SEEK_END);
    if (size < 0) {
        fprintf(stderr, "jeos-hv: --disk %s: %s\n", path, strerror(errno));
        close(fd);
        return -1;
    }
    hv->disks[hv->ndisks++] = (struct hv_disk){
        .fd = fd, .sectors = (uint64_t)size / JEOS_HV_SECTOR_SIZE, .read_only = ro};
    return 0;
}

static int open_nic(struct hv *hv, const char *spec)
{
    if (hv->nnics == JEOS_HV_MAX_NICS) {
        fprintf(stderr, "jeos-hv: --net %s: at most %d NICs\n", spec, JEOS_HV_MAX_NICS);
        return -1;
    }
    struct hv_nic *nic = &hv->nics[hv->nnics];
    /* A locally administered default MAC: 02:6a:65:6f:73:NN ("jeos"). */
    uint8_t mac[6] = {0x02, 0x6a, 0x65, 0x6f, 0x73, (uint8_t)hv->nnics};
    struct ifreq ifr = {0};
    const char *comma = strchr(spec, ',');
    size_t n = comma ? (size_t)(comma - spec) : strlen(spec);
    if (n == 0 || n >= IFNAMSIZ) {
        fprintf(stderr, "jeos-hv: --net %s: bad tap name (1 to %d characters)\n", spec,
                IFNAMSIZ - 1);
        return -1;
    }
    memcpy(ifr.ifr_name, spec, n);
    if (comma) {
        unsigned m[6];
        char extra;
        if (sscanf(comma, ",mac=%2x:%2x:%2x:%2x:%2x:%2x%c", &m[0], &m[1], &m[2], &m[3], &m[4],
                   &m[5], &extra) != 6) {
            fprintf(stderr,
                    "jeos-hv: --net %s: bad option \"%s\" (expected ,mac=XX:XX:XX:XX:XX:XX)\n",
                    spec, comma + 1);
            return -1;
        }
        for (int i = 0; i < 6; i++)
            mac[i] = (uint8_t)m[i];
    }
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "jeos-hv: --net %s: /dev/net/tun: %s\n", spec, strerror(errno));
        return -1;
    }
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        fprintf(stderr, "jeos-hv: --net %s: cannot attach to tap \"%s\": %s\n", spec, ifr.ifr_name,
                strerror(errno));
        close(fd);
        return -1;
    }
    /* Frames carry no virtio-net header here, so the tap must hand over finished checksums: a
     * QEMU NIC that used the same tap before may have left checksum offload on (vmxnet3 does). */
    if (ioctl(fd, TUNSETOFFLOAD, 0UL) < 0) {
        fprintf(stderr, "jeos-hv: --net %s: cannot turn the tap's offloads off: %s\n", spec,
                strerror(errno));
        close(fd);
        return -1;
    }
    nic->fd = fd;
    memcpy(nic->mac, mac, 6);
    hv->nnics++;
    return 0;
}

/* Says in one line which hardware virtualization KVM has here. */
static void say_virt(void)
{
    const char *what = "no VT-x or AMD-V flag in /proc/cpuinfo";
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[8192];
    while (f && fgets(line, sizeof(line), f)) {
        if (strncmp(line, "flags", 5) != 0)
            continue;
        if (strstr(line, " vmx"))
            what = strstr(line, " ept") ? "Intel VT-x with EPT" : "Intel VT-x without EPT";
        else if (strstr(line, " svm"))
            what = strstr(line, " npt") ? "AMD-V with NPT" : "AMD-V without NPT";
        break;
    }
    if (f)
        fclose(f);
    struct stat st;
    bool pvm = stat("/sys/module/kvm_pvm", &st) == 0;
    fprintf(stderr, "jeos-hv: KVM on %s%s\n", what,
            pvm ? " (kvm_pvm: guest code runs by emulation, slowly)" : "");
}

static int read_kernel(const char *path, uint8_t **data, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        fprintf(stderr, "jeos-hv: %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > (off_t)JEOS_HV_MEM_MAX) {
        fprintf(stderr, "jeos-hv: %s: not a regular file of at most 4 GiB\n", path);
        close(fd);
        return -1;
    }
    *len = (size_t)st.st_size;
    *data = malloc(*len ? *len : 1);
    size_t got = 0;
    while (*data && got < *len) {
        ssize_t n = read(fd, *data + got, *len - got);
        if (n <= 0) {
            fprintf(stderr, "jeos-hv: %s: %s\n", path, n < 0 ? strerror(errno) : "short read");
            free(*data);
            close(fd);
            return -1;
        }
        got += (size_t)n;
    }
    close(fd);
    return *data ? 0 : -1;
}

int main(int argc, char **argv)
{
    uint64_t t_start = hv_now_ns();
    struct hv hv = {.mem_size = 32u << 20, .out_fd = 1, .err_fd = 2};
    bool timings = false;
    unsigned timeout = 0, ncpus = 1;
    const char *kernel = NULL;
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--mem") == 0 && i + 1 < argc) {
            if (parse_size(argv[++i], &hv.mem_size) < 0 || hv.mem_size < JEOS_HV_MEM_MIN ||
                hv.mem_size > JEOS_HV_MEM_MAX || hv.mem_size % JEOS_HV_MEM_ALIGN) {
                fprintf(stderr, "jeos-hv: --mem %s: expected a multiple of 2M between 2M and 4G\n",
                        argv[i]);
                return 1;
            }
        } else if (strcmp(a, "--disk") == 0 && i + 1 < argc) {
            if (open_disk(&hv, argv[++i]) < 0)
                return 1;
        } else if (strcmp(a, "--net") == 0 && i + 1 < argc) {
            if (open_nic(&hv, argv[++i]) < 0)
                return 1;
        } else if (strcmp(a, "--cpus") == 0 && i + 1 < argc) {
            if (parse_uint(argv[++i], 1, JEOS_HV_MAX_CPUS, &ncpus) < 0) {
                fprintf(stderr, "jeos-hv: --cpus %s: expected 1 to %d\n", argv[i],
                        JEOS_HV_MAX_CPUS);
                return 1;
            }
        } else if (strcmp(a, "--timeout") == 0 && i + 1 < argc) {
            if (parse_uint(argv[++i], 1, HV_TIMEOUT_MAX, &timeout) < 0) {
                fprintf(stderr, "jeos-hv: --timeout %s: expected whole seconds from 1 to %u\n",
                        argv[i], HV_TIMEOUT_MAX);
                return 1;
            }
        } else if (strcmp(a, "--trace") == 0) {
            hv.trace = true;
        } else if (strcmp(a, "--timings") == 0) {
            timings = true;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if (a[0] == '-') {
            fprintf(stderr, "jeos-hv: %s: unknown option or missing value\n%s", a, usage);
            return 1;
        } else {
            kernel = a;
            i++;
            break;
        }
    }
    if (!kernel) {
        fputs(usage, stderr);
        return 1;
    }
    if (i < argc && strcmp(argv[i], "--") == 0)
        i++;
    char cmdline[JEOS_HV_CMDLINE_MAX];
    size_t cl = 0;
    for (; i < argc; i++) {
        size_t n = strlen(argv[i]);
        if (cl + n + 2 > sizeof(cmdline)) {
            fprintf(stderr, "jeos-hv: guest arguments longer than %u bytes\n",
                    JEOS_HV_CMDLINE_MAX - 1);
            return 1;
        }
        if (cl)
            cmdline[cl++] = ' ';
        memcpy(cmdline + cl, argv[i], n);
        cl += n;
    }
    cmdline[cl] = 0;

    uint8_t *elf;
    size_t elf_len;
    if (read_kernel(kernel, &elf, &elf_len) < 0)
        return 1;
    struct hv_vm vm = {.ncpus = ncpus};
    if (hv_vm_open(&vm, &hv) < 0) {
        free(elf);
        return 1;
    }
    say_virt();
    uint64_t t_vm = hv_now_ns();
    struct hv_image img;
    char msg[256];
    int loaded = hv_elf_load(&hv, elf, elf_len, &img, msg, sizeof(msg));
    free(elf);
    if (loaded < 0) {
        fprintf(stderr, "jeos-hv: %s: %s\n", kernel, msg);
        return 1;
    }
    if (hv_vcpu_setup(&vm, &hv, img.entry, img.features) < 0)
        return 1;
    struct jeos_hv_boot_info bi = {
        .magic = JEOS_HV_BOOT_MAGIC,
        .abi_version = JEOS_HV_ABI_VERSION,
        .ndisks = hv.ndisks,
        .mem_size = hv.mem_size,
        .kernel_end = (img.end + 4095) & ~4095ull,
        .cmdline = JEOS_HV_CMDLINE_GPA,
        .tsc_khz = vm.tsc_khz,
        .nnics = hv.nnics,
        .features = img.features,
        .ncpus = vm.ncpus,
    };
    for (unsigned d = 0; d < hv.ndisks; d++)
        bi.disks[d] = (struct jeos_hv_disk_desc){.sectors = hv.disks[d].sectors,
                                                 .sector_size = JEOS_HV_SECTOR_SIZE,
                                                 .read_only = hv.disks[d].read_only};
    for (unsigned d = 0; d < hv.nnics; d++) {
        memcpy(bi.nics[d].mac, hv.nics[d].mac, 6);
        bi.nics[d].mtu = JEOS_HV_NET_MTU;
    }
    memcpy(hv_gpa(&hv, JEOS_HV_BOOTINFO_GPA, sizeof(bi)), &bi, sizeof(bi));
    memcpy(hv_gpa(&hv, JEOS_HV_CMDLINE_GPA, cl + 1), cmdline, cl + 1);
    uint64_t t_loaded = hv_now_ns();

    if (timeout && hv_arm_timeout(timeout) < 0)
        return 1;
    /* From here on, only the run loop's system calls are possible. */
    uint64_t t_run = hv_now_ns();
    int status = hv_run_guest(&vm, &hv);
    uint64_t t_exit = hv_now_ns();
    if (timings) {
        uint64_t t_call = hv.stats.first_call_ns ? hv.stats.first_call_ns : t_exit;
        hv_printf(2,
                  "jeos-hv: timings (us from process start): vm_created=%llu memory_loaded=%llu "
                  "first_run=%llu first_hypercall=%llu exit=%llu\n",
                  (unsigned long long)(t_vm - t_start) / 1000,
                  (unsigned long long)(t_loaded - t_start) / 1000,
                  (unsigned long long)(t_run - t_start) / 1000,
                  (unsigned long long)(t_call - t_start) / 1000,
                  (unsigned long long)(t_exit - t_start) / 1000);
        char line[1024];
        int n = 0;
        uint64_t total = 0;
        for (unsigned k = 0; k < HV_EXIT_KINDS; k++) {
            uint64_t e = 0;
            for (unsigned c = 0; c < vm.ncpus; c++)
                e += vm.cpu[c].exits[k];
            if (!e)
                continue;
            total += e;
            n += snprintf(line + n, sizeof(line) - (size_t)n, " %s=%llu", hv_exit_name(k),
                          (unsigned long long)e);
        }
        for (unsigned k = 0; k < JEOS_HV_CALL_MAX && n < (int)sizeof(line) - 64; k++)
            if (hv.stats.calls[k])
                n += snprintf(line + n, sizeof(line) - (size_t)n, " %s=%llu", hv_call_name(k),
                              (unsigned long long)hv.stats.calls[k]);
        hv_printf(2, "jeos-hv: vm exits: total=%llu%s\n", (unsigned long long)total, line);
    }
    return status;
}

/* cmd_run.c — jeos run IMAGE: boot a disk image under QEMU, serial on the terminal, until the guest
 * ends. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "boot/boot.h"
#include "builder/cli/cli.h"
#include "builder/core/alloc.h"
#include "builder/core/util.h"
#include "builder/recipe/recipe.h"
#include "images/format.h"

const char cmd_run_usage[] =
    "usage: jeos run IMAGE [--uefi|--secure-boot] [--port HOST:GUEST]... [--memory SIZE]\n"
    "                [--cpus N] [--accel auto|kvm|tcg] [--volume NAME=FILE]...\n"
    "       jeos run APP.elf [--port HOST:GUEST]... [--memory SIZE] [--accel auto|kvm|tcg]\n"
    "                [--volume NAME=FILE]...\n"
    "\n"
    "Boots a disk image (.raw, .qcow2, .vmdk, .vhd) under qemu-system-x86_64 with a virtio\n"
    "disk and a virtio NIC on QEMU's user network, the serial console on this terminal\n"
    "(Ctrl-A X quits QEMU), and exits when the guest does.\n"
    "\n"
    "  --uefi            boot with OVMF instead of SeaBIOS\n"
    "  --secure-boot     OVMF with Secure Boot enforced and Microsoft's keys enrolled (q35,\n"
    "                    SMM): for images built with image.secure_boot\n"
    "  --port HOST:GUEST forward TCP port HOST on 127.0.0.1 to the guest's GUEST (repeatable)\n"
    "  --memory SIZE     guest memory (default 512M)\n"
    "  --cpus N          virtual CPUs (default 1)\n"
    "  --accel MODE      kvm, tcg, or auto (default): KVM when the host's KVM runs on\n"
    "                    hardware virtualization (kvm_intel or kvm_amd loaded), else TCG\n"
    "  --volume NAME=FILE  attach the raw disk image FILE read-write as volume NAME, in\n"
    "                    place of the build's NAME volume (or as one more)\n"
    "\n"
    "Volumes: a unikernel recipe's volumes: are listed in APP.volumes beside APP.elf (and\n"
    "its disks); each APP.NAME.vol is attached read-write in that order — a virtio-blk\n"
    "disk with serial NAME under QEMU, a --disk under jeos-hv — so what one run writes\n"
    "the next one sees.\n"
    "\n"
    "SIGINT, SIGTERM or SIGHUP to jeos run presses the guest's ACPI power button and waits for\n"
    "it to power off; a second one stops QEMU at once. A .vmdk is run with -snapshot (QEMU\n"
    "cannot write a streamOptimized VMDK).\n"
    "\n"
    "A unikernel ELF built for jeos-hv (NAME-hv.elf: it carries the JeosHv note) runs\n"
    "under jeos-hv (beside jeos, or $JEOS_HV) on /dev/kvm. Where this host's KVM has no\n"
    "VT-x or AMD-V (it would emulate the guest, which dies at its first SSE instruction),\n"
    "it runs in a nested L1 instead: a Linux appliance under QEMU TCG with AMD-V emulated\n"
    "(tests/hypervisor/nested/run-elf.sh of the source tree, or $JEOS_NESTED_RUN; slow, and\n"
    "the first run builds the L1); --accel kvm runs it here anyway. Any other ELF runs under\n"
    "qemu-system-x86_64 -M q35 -kernel (PVH) with isa-debug-exit, which carries 7 bits;\n"
    "the whole status (128 + N after signal N) comes back on a second serial port. Either\n"
    "way jeos run exits with the guest's own exit status.\n"
    "\n"
    "Exit status: 0 when the guest powered off, 1 on failure, 2 usage error; for an ELF,\n"
    "the guest's exit status.\n";

static uint64_t le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}
static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/*
 * True when the ELF64 file `data` (`len` bytes) has a note named "JeosHv" in a PT_NOTE segment:
 * a unikernel built for jeos-hv. Every offset is checked against `len`.
 */
static bool elf_has_jeoshv_note(const unsigned char *data, size_t len)
{
    if (len < 64 || data[4] != 2 || data[5] != 1) /* ELFCLASS64, little endian */
        return false;
    uint64_t phoff = le64(data + 32);
    unsigned phentsize = (unsigned)data[54] | (unsigned)data[55] << 8;
    unsigned phnum = (unsigned)data[56] | (unsigned)data[57] << 8;
    if (phentsize < 56 || phoff > len || (uint64_t)phnum * phentsize > len - phoff)
        return false;
    for (unsigned i = 0; i < phnum; i++) {
        const unsigned char *ph = data + phoff + (uint64_t)i * phentsize;
        if (le32(ph) != 4) /* PT_NOTE */
            continue;
        uint64_t off = le64(ph + 8), sz = le64(ph + 32);
        if (off > len || sz > len - off)
            continue;
        uint64_t p = off, end = off + sz;
        while (end - p >= 12) {
            uint32_t namesz = le32(data + p), descsz = le32(data + p + 4);
            uint64_t name = p + 12, desc = name + ((namesz + 3ull) & ~3ull);
            uint64_t next = desc + ((descsz + 3ull) & ~3ull);
            if (next > end)
                break;
            if (namesz == 7 && memcmp(data + name, "JeosHv", 7) == 0)
                return true;
            p = next;
        }
    }
    return false;
}

/* PROG beside the running jeos binary (or one folder up: out/san/jeos -> out/PROG), or NULL. */
static char *beside_self(const char *prog)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
        return NULL;
    self[n] = 0;
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = 0;
    char *p = xasprintf("%s/%s", self, prog);
    if (access(p, X_OK) == 0)
        return p;
    free(p);
    p = xasprintf("%s/../%s", self, prog);
    if (access(p, X_OK) == 0)
        return p;
    free(p);
    return NULL;
}

/* Starts argv with the signal mask `mask` (NULL: ours), tied to us: if jeos run dies, even
   by SIGKILL, the child gets SIGTERM, so no QEMU or jeos-hv is left running a guest on its
   own. Returns 0 or a positive errno (exec failures included, passed back over a pipe). */
static int spawn_tied(char *const argv[], const sigset_t *mask, pid_t *pidp)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0)
        return errno;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        return e;
    }
    if (pid == 0) {
        int e = 0;
        if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0)
            e = errno;
        else if (getppid() != parent) /* we lost the race with the parent's death */
            _exit(127);
        if (!e && mask)
            sigprocmask(SIG_SETMASK, mask, NULL);
        if (!e) {
            execvp(argv[0], argv);
            e = errno;
        }
        while (write(fds[1], &e, sizeof(e)) < 0 && errno == EINTR)
            ;
        _exit(127);
    }
    close(fds[1]);
    int e = 0;
    ssize_t r;
    while ((r = read(fds[0], &e, sizeof(e))) < 0 && errno == EINTR)
        ;
    close(fds[0]);
    if (r == (ssize_t)sizeof(e) && e != 0) {
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        return e;
    }
    *pidp = pid;
    return 0;
}

/* The guest's NIC, on QEMU's user network "net0". Without its option ROM (romfile=): nothing
   here boots from the network, and under TCG the iPXE ROM costs about a second of OVMF's
   start-up. */
#define NIC_DEVICE      "virtio-net-pci,netdev=net0,romfile="
#define RUN_VOLUMES_MAX 4 /* jeos-hv takes 4 disks */

/* Runs argv to its end and returns its exit status (128 + signal when killed), or -1. */
static int run_wait(char *const argv[], struct jeos_err *err)
{
    pid_t pid;
    int e = spawn_tied(argv, NULL, &pid);
    if (e != 0) {
        jeos_errf(err, -e, "%s: cannot run: %s", argv[0], strerror(e));
        return -1;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            jeos_errf(err, -errno, "%s: waitpid: %s", argv[0], strerror(errno));
            return -1;
        }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* True when /dev/kvm runs guests on the CPU's own virtualization (kvm_intel or kvm_amd loaded);
   a KVM that emulates the CPU is slower than TCG, and its guests die at their first SSE
   instruction. */
static bool hardware_kvm(void)
{
    return access("/dev/kvm", R_OK | W_OK) == 0 &&
           (access("/sys/module/kvm_intel", F_OK) == 0 || access("/sys/module/kvm_amd", F_OK) == 0);
}

static const char *auto_accel(void)
{
    return hardware_kvm() ? "kvm" : "tcg";
}

/*
 * A jeos-hv unikernel on a host whose KVM cannot run it: in a nested L1 (a Linux appliance
 * under QEMU TCG with AMD-V and nested paging emulated, loading kvm_amd) through the runner of
 * the nested tests, $JEOS_NESTED_RUN or tests/hypervisor/nested/run-elf.sh of the tree this jeos
 * was built in. Returns the guest's status, or -1 when there is no runner (the caller runs
 * jeos-hv here).
 */
static int run_nested(const struct jeos_ctx *ctx, const char *elf, uint64_t mem, bool mem_set,
                      struct jeos_err *err)
{
    const char *env = getenv("JEOS_NESTED_RUN");
    char *runner =
        env && *env ? xstrdup(env) : beside_self("../tests/hypervisor/nested/run-elf.sh");
    if (!runner)
        return -1;
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    self[n > 0 ? n : 0] = 0;
    if (n > 0)
        setenv("JEOS", self, 0); /* the runner builds the L1 with this jeos */
    jeos_log(ctx, JEOS_LOG_INFO,
             "jeos run: this host's KVM has no VT-x or AMD-V: running %s under jeos-hv in a "
             "nested L1 (AMD-V emulated by QEMU TCG; slow; --accel kvm runs it here anyway)",
             elf);
    char a_mem[32], *argv[6];
    int k = 0;
    argv[k++] = runner;
    if (mem_set) {
        snprintf(a_mem, sizeof(a_mem), "%lluM", (unsigned long long)(mem >> 20));
        argv[k++] = "--mem";
        argv[k++] = a_mem;
    }
    argv[k++] = (char *)elf;
    argv[k] = NULL;
    int rc = run_wait(argv, err);
    free(runner);
    return rc < 0 ? JEOS_EXIT_FAIL : rc;
}

/* ---- volumes: APP.volumes beside the image, then --volume NAME=FILE ---- */

struct run_volume {
    char *name, *file;
};

struct run_volumes {
    struct run_volume v[RUN_VOLUMES_MAX];
    size_t n;
    char *args[4 * RUN_VOLUMES_MAX]; /* what QEMU gets for them */
};

static void volumes_free(struct run_volumes *vs)
{
    for (size_t i = 0; i < vs->n; i++)
        free(vs->v[i].name), free(vs->v[i].file);
    for (size_t i = 0; i < 4 * RUN_VOLUMES_MAX; i++)
        free(vs->args[i]);
    *vs = (struct run_volumes){0};
}

/* What the build named the image after: APP of APP.elf, APP-hv.elf, APP.raw, APP.qcow2... */
static char *image_base(const char *image)
{
    static const char *const suffixes[] = {"-hv.elf", ".elf", ".raw", ".qcow2", ".vmdk", ".vhd"};
    size_t n = strlen(image);
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        size_t k = strlen(suffixes[i]);
        if (n > k && !strcmp(image + n - k, suffixes[i]))
            return xstrndup(image, n - k);
    }
    return xstrdup(image);
}

static bool volume_name_ok(const char *s, size_t n)
{
    if (n == 0 || n > 20 || s[0] == '-' || s[0] == '_')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
              s[i] == '_'))
            return false;
    return true;
}

static int volume_add(struct run_volumes *vs, const char *name, size_t nlen, const char *file,
                      struct jeos_err *err)
{
    for (size_t i = 0; i < vs->n; i++)
        if (strlen(vs->v[i].name) == nlen && !strncmp(vs->v[i].name, name, nlen)) {
            free(vs->v[i].file);
            vs->v[i].file = xstrdup(file);
            return 0;
        }
    if (vs->n == RUN_VOLUMES_MAX)
        return jeos_errf(err, -E2BIG, "jeos run: more than %d volumes", RUN_VOLUMES_MAX);
    vs->v[vs->n].name = xstrndup(name, nlen);
    vs->v[vs->n++].file = xstrdup(file);
    return 0;
}

/* Reads BASE.volumes (when there is one) and applies the --volume options. */
static int volumes_find(const char *image, char *const *args, size_t nargs, struct run_volumes *vs,
                        struct jeos_err *err)
{
    char *base = image_base(image), *list = xasprintf("%s.volumes", base);
    char *data = NULL;
    size_t len = 0;
    int rc = 0;
    if (access(list, F_OK) == 0 && (rc = jeos_read_file(list, &data, &len, err)) == 0) {
        unsigned line = 0;
        for (char *p = data, *end; rc == 0 && p < data + len; p = end + 1) {
            end = memchr(p, '\n', (size_t)(data + len - p));
            if (!end)
                end = data + len;
            line++;
            size_t nlen = strcspn(p, " \n");
            if (!volume_name_ok(p, nlen) || p + nlen >= end || p[nlen] != ' ') {
                rc = jeos_errf(err, -EINVAL, "%s:%u: expected \"NAME SIZE MOUNT\"", list, line);
                break;
            }
            char *file = xasprintf("%s.%.*s.vol", base, (int)nlen, p);
            rc = volume_add(vs, p, nlen, file, err);
            free(file);
        }
    }
    for (size_t i = 0; rc == 0 && i < nargs; i++) {
        const char *a = args[i], *eq = strchr(a, '=');
        if (!volume_name_ok(a, (size_t)(eq - a)) || !eq[1])
            rc = jeos_errf(err, -EINVAL,
                           "jeos run: --volume %s: NAME is 1-20 of a-z, 0-9, '-', '_'; FILE a "
                           "raw disk image",
                           a);
        else
            rc = volume_add(vs, a, (size_t)(eq - a), eq + 1, err);
    }
    for (size_t i = 0; rc == 0 && i < vs->n; i++) {
        struct stat st;
        if (stat(vs->v[i].file, &st) != 0)
            rc = jeos_errf(err, -errno, "jeos run: volume %s: %s: %s", vs->v[i].name, vs->v[i].file,
                           strerror(errno));
        else if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
            rc = jeos_errf(err, -EINVAL, "jeos run: volume %s: %s: not a disk image", vs->v[i].name,
                           vs->v[i].file);
        else if (access(vs->v[i].file, R_OK | W_OK) != 0)
            rc = jeos_errf(err, -errno, "jeos run: volume %s: %s: %s (it is attached read-write)",
                           vs->v[i].name, vs->v[i].file, strerror(errno));
    }
    /* QEMU: a virtio-blk disk each, its serial the volume's name (the guest finds it by that) */
    for (size_t i = 0; rc == 0 && i < vs->n; i++) {
        vs->args[4 * i] = xstrdup("-drive");
        vs->args[4 * i + 1] =
            xasprintf("file=%s,format=raw,if=none,id=vol%zu,discard=unmap", vs->v[i].file, i);
        vs->args[4 * i + 2] = xstrdup("-device");
        vs->args[4 * i + 3] = xasprintf("virtio-blk-pci,drive=vol%zu,serial=%s", i, vs->v[i].name);
    }
    free(data);
    free(list);
    free(base);
    return rc;
}

/*
 * The status the guest wrote on COM2 ("jeos-status N", unikernel/console/serial.c) into `file`,
 * or -1 when there is none (an older guest, or one that died before its exit).
 */
static int guest_status(const char *file)
{
    FILE *f = fopen(file, "r");
    if (!f)
        return -1;
    char line[64];
    int status = -1;
    while (fgets(line, sizeof(line), f)) {
        int v;
        char end;
        if (sscanf(line, "jeos-status %d%c", &v, &end) == 2 && end == '\n' && v >= 0 && v <= 255)
            status = v;
    }
    fclose(f);
    return status;
}

/* jeos run APP.elf: jeos-hv for a jeos-hv unikernel (nested where this host's KVM cannot run
   it), else QEMU with the PVH entry. */
static int run_elf(struct jeos_ctx *ctx, const char *elf, const char *accel, uint64_t mem,
                   bool mem_set, const char *fwd, const struct run_volumes *vs,
                   struct jeos_err *err)
{
    char *data = NULL;
    size_t len = 0;
    if (jeos_read_file(elf, &data, &len, err) < 0)
        return JEOS_EXIT_FAIL;
    bool hv = elf_has_jeoshv_note((const unsigned char *)data, len);
    free(data);
    char a_mem[32];
    int rc;
    if (hv && strcmp(accel, "kvm") && !hardware_kvm() && getenv("JEOS_HV") == NULL) {
        if (vs->n) {
            jeos_errf(err, -ENOTSUP,
                      "jeos run: %s: volumes under the nested L1 are not supported yet (set "
                      "JEOS_HV or --accel kvm to run jeos-hv here)",
                      elf);
            return JEOS_EXIT_FAIL;
        }
        rc = run_nested(ctx, elf, mem, mem_set, err);
        if (rc >= 0)
            return rc;
    }
    if (hv) {
        const char *env = getenv("JEOS_HV");
        char *mon = env && *env ? xstrdup(env) : beside_self("jeos-hv");
        if (!mon) {
            jeos_errf(err, -ENOENT,
                      "%s: a jeos-hv unikernel, but jeos-hv is not beside jeos "
                      "(run make)",
                      elf);
            return JEOS_EXIT_FAIL;
        }
        if (fwd)
            jeos_log(ctx, JEOS_LOG_INFO,
                     "jeos run: --port is ignored under jeos-hv (no user "
                     "network; use its --net TAP)");
        char *argvh[6 + 2 * RUN_VOLUMES_MAX];
        int n = 0;
        argvh[n++] = mon;
        if (mem_set) {
            snprintf(a_mem, sizeof(a_mem), "%lluM", (unsigned long long)(mem >> 20));
            argvh[n++] = "--mem";
            argvh[n++] = a_mem;
        }
        for (size_t i = 0; i < vs->n; i++) { /* jeos-hv's disks, in the same order */
            argvh[n++] = "--disk";
            argvh[n++] = vs->v[i].file;
        }
        argvh[n++] = (char *)elf;
        argvh[n] = NULL;
        jeos_log(ctx, JEOS_LOG_DEBUG, "jeos run: %s under %s", elf, mon);
        rc = run_wait(argvh, err);
        free(mon);
        return rc < 0 ? JEOS_EXIT_FAIL : rc;
    }
    snprintf(a_mem, sizeof(a_mem), "%llu",
             (unsigned long long)((mem_set ? mem : 128ull << 20) >> 20));
    char *a_nic = xasprintf("user,id=net0%s", fwd ? fwd : "");
    /* COM2: the guest's whole exit status (isa-debug-exit carries 7 bits of it) */
    char *stdir = xasprintf("%s/jeos-run.XXXXXX", ctx->tmpdir);
    if (!mkdtemp(stdir)) {
        jeos_errf(err, -errno, "jeos run: %s: %s", stdir, strerror(errno));
        free(stdir);
        free(a_nic);
        return JEOS_EXIT_FAIL;
    }
    char *stfile = xasprintf("%s/status", stdir);
    char *a_status = xasprintf("file:%s", stfile);
    char *argvq[] = {"qemu-system-x86_64",
                     "-accel",
                     (char *)accel,
                     "-M",
                     "q35",
                     "-m",
                     a_mem,
                     "-display",
                     "none",
                     "-monitor",
                     "none",
                     "-serial",
                     "stdio",
                     "-serial",
                     a_status,
                     "-no-reboot",
                     "-device",
                     "isa-debug-exit,iobase=0xf4,iosize=4",
                     "-netdev",
                     a_nic,
                     "-device",
                     NIC_DEVICE,
                     "-kernel",
                     (char *)elf};
    char *argvv[sizeof(argvq) / sizeof(argvq[0]) + 4 * RUN_VOLUMES_MAX + 1];
    size_t n = 0;
    for (size_t i = 0; i < sizeof(argvq) / sizeof(argvq[0]); i++)
        argvv[n++] = argvq[i];
    for (size_t i = 0; i < 4 * vs->n; i++)
        argvv[n++] = vs->args[i];
    argvv[n] = NULL;
    jeos_log(ctx, JEOS_LOG_DEBUG, "jeos run: %s under QEMU (PVH, %s, %zu volumes)", elf, accel,
             vs->n);
    rc = run_wait(argvv, err);
    int full = guest_status(stfile);
    unlink(stfile);
    rmdir(stdir);
    free(a_status);
    free(stfile);
    free(stdir);
    free(a_nic);
    if (rc < 0)
        return JEOS_EXIT_FAIL;
    /* isa-debug-exit: QEMU exits with (status << 1) | 1; 0 is a power-off without it. */
    if (rc == 0)
        return 0;
    if (rc & 1)
        return full >= 0 && (full & 0x7f) == rc >> 1 ? full : rc >> 1;
    jeos_errf(err, -EIO, "jeos run: qemu exited with status %d", rc);
    return JEOS_EXIT_FAIL;
}

/*
 * The format of `image` (open at `fd`, `size` bytes), by the formats' own probes: the format
 * its name's suffix says, whose bytes must then match (else the firmware would report "No
 * bootable device" and wait forever); for another name, the format its bytes match. Only
 * formats QEMU boots as they are (a QEMU driver) and the unikernel ELF are candidates.
 */
static const struct jeos_format_ops *image_format(const char *image, int fd, uint64_t size,
                                                  struct jeos_err *err)
{
    size_t l = strlen(image);
    const struct jeos_format_ops *f, *raw = jeos_format_find("raw");
    struct sbuf names = {0};
    size_t n = 0;
    for (size_t i = 0; (f = jeos_formats[i]); i++) {
        if (!f->c.qemu && strcmp(f->c.name, "elf"))
            continue;
        size_t sl = strlen(f->c.suffix);
        if (l > sl && strcmp(image + l - sl, f->c.suffix) == 0) {
            const char *why = f->c.probe(&f->c, fd, size);
            if (why)
                jeos_errf(err, -EINVAL, "%s: not a %s (%s)", image, f->c.title, why);
            sbuf_free(&names);
            return why ? NULL : f;
        }
        if (f->c.qemu)
            sbuf_printf(&names, "%s%s", n++ ? ", " : "", f->c.suffix);
    }
    /* By content: raw last, since a fixed VHD begins with the raw disk it holds. */
    for (size_t i = 0; (f = jeos_formats[i]); i++)
        if ((f->c.qemu || !strcmp(f->c.name, "elf")) && f != raw && !f->c.probe(&f->c, fd, size)) {
            sbuf_free(&names);
            return f;
        }
    if (!raw->c.probe(&raw->c, fd, size)) {
        sbuf_free(&names);
        return raw;
    }
    char *last = strrchr(names.s, ',');
    if (last)
        *last = 0;
    jeos_errf(err, -EINVAL, "%s: unknown image type (expected %s or %s)", image, names.s,
              last ? last + 2 : "");
    sbuf_free(&names);
    return NULL;
}

/* Asks QEMU, through its QMP socket, to press the ACPI power button. */
static void powerdown(const char *qmp)
{
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", qmp);
    if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
        if (s >= 0)
            close(s);
        return;
    }
    const char *msg = "{\"execute\":\"qmp_capabilities\"}\n"
                      "{\"execute\":\"system_powerdown\"}\n";
    (void)jeos_write_all(s, msg, strlen(msg));
    char buf[512];
    usleep(200 * 1000); /* let QEMU read both before the socket closes */
    (void)!read(s, buf, sizeof(buf));
    close(s);
}

/* What the command line asked for. */
struct run_opts {
    bool uefi;
    bool secure_boot;  /* --secure-boot: OVMF's secboot code, the Microsoft keys; implies uefi */
    const char *accel; /* "auto", "kvm" or "tcg" */
    uint64_t mem;
    bool mem_set;
    int64_t cpus;
    struct sbuf fwd; /* ",hostfwd=tcp:..." for each --port */
    const char *image;
    char *volume_args[RUN_VOLUMES_MAX]; /* --volume NAME=FILE, as given */
    size_t nvolume_args;
    struct run_volumes volumes; /* what is attached: IMAGE's .volumes, then --volume */
};

/* Parses the options into `o`. Returns JEOS_EXIT_OK or JEOS_EXIT_USAGE (messages in err). */
static int parse_opts(int argc, char **argv, struct run_opts *o, struct jeos_err *err)
{
    static const struct option longopts[] = {
        {"uefi", no_argument, 0, 'u'},         {"port", required_argument, 0, 'p'},
        {"secure-boot", no_argument, 0, 's'},  {"memory", required_argument, 0, 'm'},
        {"cpus", required_argument, 0, 'c'},   {"accel", required_argument, 0, 'a'},
        {"volume", required_argument, 0, 'v'}, {0, 0, 0, 0}};
    *o = (struct run_opts){.accel = "auto", .mem = 512ull << 20, .cpus = 1};
    int c, rc = JEOS_EXIT_OK;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        int64_t h, g;
        char *colon;
        switch (c) {
        case 'u': o->uefi = true; break;
        case 's': o->uefi = o->secure_boot = true; break;
        case 'a': o->accel = optarg; break;
        case 'v':
            if (!strchr(optarg, '=') || o->nvolume_args == RUN_VOLUMES_MAX) {
                jeos_errf(err, -EINVAL,
                          "jeos run: --volume: expected NAME=FILE, at most %d times (got \"%s\")",
                          RUN_VOLUMES_MAX, optarg);
                rc = JEOS_EXIT_USAGE;
            } else {
                o->volume_args[o->nvolume_args++] = optarg;
            }
            break;
        case 'm':
            o->mem_set = true;
            if (!recipe_parse_size(optarg, &o->mem) || o->mem < (64ull << 20)) {
                jeos_errf(err, -EINVAL,
                          "jeos run: --memory: expected a size of 64M or more "
                          "(got \"%s\")",
                          optarg);
                rc = JEOS_EXIT_USAGE;
            }
            break;
        case 'c':
            if (!jeos_parse_i64(optarg, 1, 64, &o->cpus)) {
                jeos_errf(err, -EINVAL, "jeos run: --cpus: expected 1-64 (got \"%s\")", optarg);
                rc = JEOS_EXIT_USAGE;
            }
            break;
        case 'p':
            colon = strchr(optarg, ':');
            if (!colon || (*colon = 0, !jeos_parse_i64(optarg, 1, 65535, &h)) ||
                !jeos_parse_i64(colon + 1, 1, 65535, &g)) {
                if (colon)
                    *colon = ':';
                jeos_errf(err, -EINVAL,
                          "jeos run: --port: expected HOST:GUEST port numbers (got \"%s\")",
                          optarg);
                rc = JEOS_EXIT_USAGE;
            } else {
                sbuf_printf(&o->fwd, ",hostfwd=tcp:127.0.0.1:%lld-:%lld", (long long)h,
                            (long long)g);
            }
            break;
        default: rc = JEOS_EXIT_USAGE;
        }
    }
    if (rc == JEOS_EXIT_OK && optind != argc - 1) {
        fputs(cmd_run_usage, stderr);
        rc = JEOS_EXIT_USAGE;
    }
    if (rc == JEOS_EXIT_OK && strcmp(o->accel, "auto") && strcmp(o->accel, "kvm") &&
        strcmp(o->accel, "tcg")) {
        jeos_errf(err, -EINVAL, "jeos run: --accel: expected auto, kvm or tcg (got \"%s\")",
                  o->accel);
        rc = JEOS_EXIT_USAGE;
    }
    if (rc == JEOS_EXIT_OK)
        o->image = argv[optind];
    return rc;
}

/*
 * Runs QEMU (argv) to its end with SIGINT, SIGTERM and SIGHUP taken synchronously (no handler,
 * no global flag): the first presses the guest's power button through QMP, a second stops QEMU.
 * Returns JEOS_EXIT_OK when QEMU exited 0.
 */
static int supervise(const struct jeos_ctx *ctx, char **argvq, const char *qmp,
                     struct jeos_err *err)
{
    sigset_t mask, old;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGHUP); /* the terminal went away: power off as for Ctrl-C */
    sigaddset(&mask, SIGCHLD);
    sigprocmask(SIG_BLOCK, &mask, &old);
    pid_t pid = -1;
    int e = spawn_tied(argvq, &old, &pid);
    if (e != 0) {
        jeos_errf(err, -e, "qemu-system-x86_64: cannot run: %s (package qemu-system-x86)",
                  strerror(e));
        sigprocmask(SIG_SETMASK, &old, NULL);
        return JEOS_EXIT_FAIL;
    }
    int asked = 0, status = 0;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            break;
        siginfo_t si;
        if (sigwaitinfo(&mask, &si) < 0)
            continue;
        if (si.si_signo == SIGINT || si.si_signo == SIGTERM || si.si_signo == SIGHUP) {
            if (asked++ == 0) {
                jeos_log(ctx, JEOS_LOG_INFO, "jeos run: asking the guest to power off");
                powerdown(qmp);
            } else {
                kill(pid, SIGTERM);
            }
        }
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return JEOS_EXIT_OK;
    if (WIFEXITED(status))
        jeos_errf(err, -EIO, "jeos run: qemu exited with status %d", WEXITSTATUS(status));
    else
        jeos_errf(err, -EIO, "jeos run: qemu killed by signal %d", WTERMSIG(status));
    return JEOS_EXIT_FAIL;
}

/* Boots disk image o->image of format `f` under QEMU: a virtio disk and NIC, the serial console
   here, QMP in a folder of our own; OVMF (with a copy of its variables) for --uefi. */
static int run_disk(struct jeos_ctx *ctx, const struct run_opts *o, const struct jeos_format_ops *f,
                    struct jeos_err *err)
{
    const char *accel = strcmp(o->accel, "auto") ? o->accel : auto_accel();
    char *dir = xasprintf("%s/jeos-run.XXXXXX", ctx->tmpdir);
    if (!mkdtemp(dir)) {
        jeos_errf(err, -errno, "%s: %s", dir, strerror(errno));
        free(dir);
        return JEOS_EXIT_FAIL;
    }
    char *qmp = xasprintf("%s/qmp.sock", dir), *vars = NULL, *a_code = NULL, *a_vars = NULL;
    char *a_mem = xasprintf("%llu", (unsigned long long)(o->mem >> 20));
    char *a_smp = xasprintf("%lld", (long long)o->cpus);
    char *a_drive = xasprintf("file=%s,format=%s,if=virtio", o->image, f->c.qemu);
    char *a_nic = xasprintf("user,id=net0%s", o->fwd.s ? o->fwd.s : "");
    char *a_qmp = xasprintf("unix:%s,server=on,wait=off", qmp);
    char *argvq[40 + 4 * RUN_VOLUMES_MAX];
    int n = 0, rc = JEOS_EXIT_OK;
    char *fixed[] = {"qemu-system-x86_64",
                     "-accel",
                     (char *)accel,
                     "-m",
                     a_mem,
                     "-smp",
                     a_smp,
                     "-nographic",
                     "-drive",
                     a_drive,
                     "-netdev",
                     a_nic,
                     "-device",
                     NIC_DEVICE,
                     "-qmp",
                     a_qmp};
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        argvq[n++] = fixed[i];
    if (!strcmp(f->c.name, "vmdk"))
        argvq[n++] = "-snapshot";
    for (size_t i = 0; i < 4 * o->volumes.n; i++)
        argvq[n++] = o->volumes.args[i];
    if (o->uefi) {
        const char *code = jeos_boot_find("uefi")->firmware,
                   *tmpl = "/usr/share/OVMF/OVMF_VARS_4M.fd";
        if (o->secure_boot) { /* the firmware verifies what it runs; the keys are Microsoft's */
            code = "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd";
            tmpl = "/usr/share/OVMF/OVMF_VARS_4M.ms.fd";
            argvq[n++] = "-machine";
            argvq[n++] = "q35,smm=on";
            argvq[n++] = "-global";
            argvq[n++] = "driver=cfi.pflash01,property=secure,value=on";
        }
        char *data = NULL;
        size_t len = 0;
        vars = xasprintf("%s/OVMF_VARS.fd", dir);
        if (access(code, R_OK) != 0 || jeos_read_file(tmpl, &data, &len, err) != 0 ||
            jeos_write_file_atomic(vars, data, len, 0644, err) != 0) {
            jeos_errf(err, -ENOENT, "jeos run: --uefi needs OVMF (package ovmf: %s)", code);
            rc = JEOS_EXIT_FAIL;
        }
        free(data);
        a_code = xasprintf("if=pflash,format=raw,readonly=on,file=%s", code);
        a_vars = xasprintf("if=pflash,format=raw,file=%s", vars);
        argvq[n++] = "-drive";
        argvq[n++] = a_code;
        argvq[n++] = "-drive";
        argvq[n++] = a_vars;
    }
    argvq[n] = NULL;
    if (rc == JEOS_EXIT_OK) {
        jeos_log(ctx, JEOS_LOG_INFO, "jeos run: %s (%s, %s%s)", o->image, accel,
                 o->secure_boot ? "OVMF, Secure Boot"
                 : o->uefi      ? "OVMF"
                                : "SeaBIOS",
                 o->fwd.s ? ", ports forwarded" : "");
        rc = supervise(ctx, argvq, qmp, err);
    }
    if (vars)
        unlink(vars);
    unlink(qmp);
    rmdir(dir);
    free(dir), free(qmp), free(vars), free(a_mem), free(a_smp), free(a_drive), free(a_nic);
    free(a_qmp), free(a_code), free(a_vars);
    return rc;
}

int cmd_run(struct jeos_ctx *ctx, int argc, char **argv, struct jeos_err *err)
{
    struct run_opts o;
    int rc = parse_opts(argc, argv, &o, err);
    if (rc != JEOS_EXIT_OK) {
        sbuf_free(&o.fwd);
        return rc;
    }
    struct stat st;
    errno = 0;
    int fd = open(o.image, O_RDONLY | O_CLOEXEC);
    const struct jeos_format_ops *f = NULL;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        jeos_errf(err, -ENOENT, "%s: %s", o.image, errno ? strerror(errno) : "not a file");
    else
        f = image_format(o.image, fd, (uint64_t)st.st_size, err);
    if (fd >= 0)
        close(fd);
    if (f && volumes_find(o.image, o.volume_args, o.nvolume_args, &o.volumes, err) < 0)
        f = NULL;
    for (size_t i = 0; f && i < o.volumes.n; i++)
        jeos_log(ctx, JEOS_LOG_INFO, "jeos run: volume %s: %s (read-write)", o.volumes.v[i].name,
                 o.volumes.v[i].file);
    if (!f)
        rc = JEOS_EXIT_FAIL;
    else if (f->c.qemu)
        rc = run_disk(ctx, &o, f, err);
    else if (o.uefi) { /* the unikernel ELF */
        jeos_errf(err, -EINVAL, "jeos run: --uefi: %s is an ELF, not a disk image", o.image);
        rc = JEOS_EXIT_USAGE;
    } else {
        rc = run_elf(ctx, o.image, strcmp(o.accel, "auto") ? o.accel : auto_accel(), o.mem,
                     o.mem_set, o.fwd.s, &o.volumes, err);
    }
    volumes_free(&o.volumes);
    sbuf_free(&o.fwd);
    return rc;
}

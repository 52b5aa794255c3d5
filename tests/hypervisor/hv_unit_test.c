/* hv_unit_test.c — jeos-hv without KVM: address translation, ELF loader checks, dispatcher errors,
 * seccomp. */
#include <elf.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/harness.h"

/* The monitor's KVM-free parts are compiled in here (they are not in libjeos.a). */
#include "hypervisor/dispatch.c"
#include "hypervisor/elf.c"
#include "hypervisor/sandbox.c"

#define MEM (4u << 20)

static struct hv *new_hv(void)
{
    static struct hv hv;
    static uint8_t *mem;
    if (!mem)
        mem = calloc(1, MEM);
    hv = (struct hv){.mem = mem, .mem_size = MEM, .out_fd = -1, .err_fd = -1};
    int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    hv.out_fd = hv.err_fd = fd;
    return &hv;
}

static void gpa_bounds(void)
{
    struct hv *hv = new_hv();
    T_CHECK(hv_gpa(hv, 0, MEM) == hv->mem);
    T_CHECK(hv_gpa(hv, MEM, 0) == hv->mem + MEM);
    T_CHECK(hv_gpa(hv, MEM - 1, 1) != NULL);
    T_CHECK(hv_gpa(hv, MEM - 1, 2) == NULL);
    T_CHECK(hv_gpa(hv, MEM + 1, 0) == NULL);
    T_CHECK(hv_gpa(hv, ~0ull, 2) == NULL);      /* wraps */
    T_CHECK(hv_gpa(hv, 16, ~0ull - 8) == NULL); /* wraps */
    T_CHECK(hv_gpa(hv, 0, (uint64_t)MEM + 1) == NULL);
    close(hv->err_fd);
}

/* Builds a minimal ELF with the given PT_LOAD headers into buf; returns its length. */
static size_t make_elf(uint8_t *buf, size_t cap, const Elf64_Phdr *ph, unsigned n, uint64_t entry)
{
    memset(buf, 0, cap);
    Elf64_Ehdr eh = {.e_type = ET_EXEC,
                     .e_machine = EM_X86_64,
                     .e_version = EV_CURRENT,
                     .e_entry = entry,
                     .e_phoff = sizeof(Elf64_Ehdr),
                     .e_ehsize = sizeof(Elf64_Ehdr),
                     .e_phentsize = sizeof(Elf64_Phdr),
                     .e_phnum = (uint16_t)n};
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    memcpy(buf, &eh, sizeof(eh));
    memcpy(buf + sizeof(eh), ph, n * sizeof(*ph));
    return cap;
}

static Elf64_Phdr seg(uint64_t addr, uint64_t off, uint64_t filesz, uint64_t memsz)
{
    return (Elf64_Phdr){.p_type = PT_LOAD,
                        .p_offset = off,
                        .p_vaddr = addr,
                        .p_paddr = addr,
                        .p_filesz = filesz,
                        .p_memsz = memsz};
}

/* Bytes placed at file offset 0x1800 before loading (notes for PT_NOTE tests). */
static uint8_t extra[64];
static size_t extra_len;

static const char *load_msg(const Elf64_Phdr *ph, unsigned n, uint64_t entry)
{
    static uint8_t buf[8192];
    static char msg[256];
    struct hv *hv = new_hv();
    size_t len = make_elf(buf, sizeof(buf), ph, n, entry);
    memcpy(buf + 0x1800, extra, extra_len);
    struct hv_image img;
    msg[0] = 0;
    if (hv_elf_load(hv, buf, len, &img, msg, sizeof(msg)) == 0)
        snprintf(msg, sizeof(msg), "ok entry=0x%llx end=0x%llx features=0x%x",
                 (unsigned long long)img.entry, (unsigned long long)img.end, img.features);
    close(hv->err_fd);
    return msg;
}

/* A JeosHv note with the given name size, name, descriptor size and features, at 0x1800. */
static Elf64_Phdr note(uint32_t namesz, const char *name, uint32_t descsz, uint32_t features)
{
    uint32_t h[3] = {namesz, descsz, JEOS_HV_NOTE_FEATURES};
    memset(extra, 0, sizeof(extra));
    memcpy(extra, h, sizeof(h));
    memcpy(extra + 12, name, strlen(name) + 1);
    memcpy(extra + 12 + ((namesz + 3) & ~3u), &features, 4);
    extra_len = 12 + ((namesz + 3) & ~3u) + 4;
    return (Elf64_Phdr){.p_type = PT_NOTE, .p_offset = 0x1800, .p_filesz = extra_len};
}

static void elf_notes(void)
{
    Elf64_Phdr ph[2] = {seg(0x100000, 0x1000, 0x100, 0x100), note(7, "JeosHv", 4, 1)};
    T_EQ_STR(load_msg(ph, 2, 0x100000), "ok entry=0x100000 end=0x100100 features=0x1");
    ph[1] = note(7, "JeosHv", 4, 6);
    T_EQ_STR(load_msg(ph, 2, 0x100000),
             "segment 1: the kernel asks for features 0x6; this jeos-hv knows 0x1");
    ph[1] = note(4, "Xen", 4, 6); /* another owner's note: ignored */
    T_EQ_STR(load_msg(ph, 2, 0x100000), "ok entry=0x100000 end=0x100100 features=0x0");
    ph[1] = note(7, "JeosHv", 4, 1);
    ph[1].p_filesz -= 2;
    T_EQ_STR(load_msg(ph, 2, 0x100000), "segment 1: truncated note");
    ph[1] = note(7, "JeosHv", 4, 1);
    ph[1].p_offset = 0x1ff0;
    T_EQ_STR(load_msg(ph, 2, 0x100000),
             "segment 1: note range 0x1ff0+0x18 outside the file (8192 bytes)");
    extra_len = 0;
}

static void elf_checks(void)
{
    Elf64_Phdr ok[2] = {seg(0x100000, 0x1000, 0x100, 0x100), seg(0x200000, 0x1100, 0x10, 0x3000)};
    T_EQ_STR(load_msg(ok, 2, 0x100010), "ok entry=0x100010 end=0x203000 features=0x0");
    Elf64_Phdr overlap[2] = {seg(0x100000, 0x1000, 0x100, 0x2000),
                             seg(0x101000, 0x1100, 0x10, 0x10)};
    T_EQ_STR(load_msg(overlap, 2, 0x100000), "segment 1: overlaps segment 0");
    Elf64_Phdr low[1] = {seg(0x1000, 0x1000, 0x10, 0x10)};
    T_EQ_STR(load_msg(low, 1, 0x1000), "segment 0: address range 0x1000+0x10 outside loadable "
                                       "memory 0x100000..0x400000 (try a larger --mem)");
    Elf64_Phdr big[1] = {seg(0x100000, 0x1000, 0x10, 0xffffffffffff0000ull)};
    T_EQ_STR(load_msg(big, 1, 0x100000),
             "segment 0: address range 0x100000+0xffffffffffff0000 outside loadable memory "
             "0x100000..0x400000 (try a larger --mem)");
    Elf64_Phdr file[1] = {seg(0x100000, 0x1f00, 0x200, 0x200)};
    T_EQ_STR(load_msg(file, 1, 0x100000),
             "segment 0: file range 0x1f00+0x200 outside the file (8192 bytes)");
    Elf64_Phdr fsz[1] = {seg(0x100000, 0x1000, 0x200, 0x100)};
    T_EQ_STR(load_msg(fsz, 1, 0x100000),
             "segment 0: file size 0x200 larger than memory size 0x100");
    T_EQ_STR(load_msg(ok, 2, 0x300000), "entry point 0x300000 is not inside a loaded segment");
    Elf64_Phdr virt[1] = {seg(0x100000, 0x1000, 0x10, 0x10)};
    virt[0].p_vaddr = 0xffffffff80100000ull;
    T_EQ_STR(load_msg(virt, 1, 0x100000),
             "segment 0: virtual address 0xffffffff80100000 differs from physical 0x100000 "
             "(jeos-hv maps memory 1:1; link the kernel identity-mapped)");
    struct hv *hv = new_hv();
    char msg[256];
    struct hv_image img;
    T_EQ_INT(hv_elf_load(hv, (const uint8_t *)"\177ELF", 4, &img, msg, sizeof(msg)), -1);
    T_EQ_STR(msg, "not an ELF file (4 bytes)");
    close(hv->err_fd);
}

/* Calls the dispatcher with an argument block placed at `gpa`. */
static enum hv_action call(struct hv *hv, unsigned nr, uint64_t gpa, const void *arg, size_t len,
                           int *status)
{
    memcpy(hv->mem + gpa, arg, len);
    return hv_dispatch(hv, (uint16_t)(JEOS_HV_PORT_BASE + nr), 4, 1, true, (uint32_t)gpa, status);
}

/* A CPU_START hook that records what it was asked. */
static unsigned started_cpu;
static uint64_t started_rip, started_rsp, started_rdi;
static int fake_start(void *ctx, unsigned cpu, uint64_t rip, uint64_t rsp, uint64_t rdi)
{
    (void)ctx;
    started_cpu = cpu, started_rip = rip, started_rsp = rsp, started_rdi = rdi;
    return JEOS_HV_OK;
}

/* CPU_START: ENODEV without the hook (one vCPU), EINVAL for CPU 0 and past the last, else the
 * hook gets the call as the guest made it. */
static void dispatch_cpu_start(void)
{
    struct hv *hv = new_hv();
    int status;
    struct jeos_hv_cpu_start cs = {.cpu = 1, .rip = 0x100000, .rsp = 0x200000, .rdi = 7};
    T_EQ_INT(call(hv, JEOS_HV_CALL_CPU_START, 0x8000, &cs, sizeof(cs), &status), HV_CONTINUE);
    T_EQ_INT(((struct jeos_hv_cpu_start *)(hv->mem + 0x8000))->ret, JEOS_HV_ENODEV);
    hv->ncpus = 3;
    hv->start_cpu = fake_start;
    for (uint32_t bad = 0; bad < 2; bad++) {
        cs.cpu = bad ? 3 : 0;
        T_EQ_INT(call(hv, JEOS_HV_CALL_CPU_START, 0x8000, &cs, sizeof(cs), &status), HV_CONTINUE);
        T_EQ_INT(((struct jeos_hv_cpu_start *)(hv->mem + 0x8000))->ret, JEOS_HV_EINVAL);
    }
    T_EQ_INT(started_cpu, 0);
    cs.cpu = 2;
    T_EQ_INT(call(hv, JEOS_HV_CALL_CPU_START, 0x8000, &cs, sizeof(cs), &status), HV_CONTINUE);
    T_EQ_INT(((struct jeos_hv_cpu_start *)(hv->mem + 0x8000))->ret, JEOS_HV_OK);
    T_EQ_INT(started_cpu, 2);
    T_EQ_INT(started_rip == 0x100000 && started_rsp == 0x200000 && started_rdi == 7, 1);
    close(hv->err_fd);
}

static void dispatch_errors(void)
{
    struct hv *hv = new_hv();
    int status;
    struct jeos_hv_console_write cw = {.data = 0x1000, .len = 16};
    T_EQ_INT(call(hv, JEOS_HV_CALL_CONSOLE_WRITE, 0x8000, &cw, sizeof(cw), &status), HV_CONTINUE);
    cw.len = MEM; /* 0x1000 + MEM: past the end */
    T_EQ_INT(call(hv, JEOS_HV_CALL_CONSOLE_WRITE, 0x8000, &cw, sizeof(cw), &status), HV_EXIT);
    T_EQ_INT(status, 255);
    /* A block call with no disk: ENODEV returned, the guest goes on. */
    struct jeos_hv_block_io bio = {.dev = 0, .sector = 0, .data = 0x1000, .len = 512};
    T_EQ_INT(call(hv, JEOS_HV_CALL_BLOCK_READ, 0x8000, &bio, sizeof(bio), &status), HV_CONTINUE);
    memcpy(&bio, hv->mem + 0x8000, sizeof(bio));
    T_EQ_INT(bio.ret, JEOS_HV_ENODEV);
    /* Too many frames in one batch: EINVAL. */
    struct jeos_hv_net_io nio = {.dev = 0, .frames = 0x1000, .count = JEOS_HV_NET_BATCH + 1};
    T_EQ_INT(call(hv, JEOS_HV_CALL_NET_WRITE, 0x8000, &nio, sizeof(nio), &status), HV_CONTINUE);
    memcpy(&nio, hv->mem + 0x8000, sizeof(nio));
    T_EQ_INT(nio.ret, JEOS_HV_EINVAL);
    /* Unknown call, bad access size, argument block at the very end. */
    T_EQ_INT(hv_dispatch(hv, JEOS_HV_PORT_BASE + 99, 4, 1, true, 0x8000, &status), HV_EXIT);
    T_EQ_INT(hv_dispatch(hv, JEOS_HV_PORT_BASE + 1, 1, 1, true, 0x8000, &status), HV_EXIT);
    T_EQ_INT(hv_dispatch(hv, JEOS_HV_PORT_BASE + 2, 4, 1, true, MEM - 8, &status), HV_EXIT);
    struct jeos_hv_exit ex = {.status = 42};
    T_EQ_INT(call(hv, JEOS_HV_CALL_EXIT, 0x8000, &ex, sizeof(ex), &status), HV_EXIT);
    T_EQ_INT(status, 42);
    T_EQ_INT(hv->stats.calls[JEOS_HV_CALL_CONSOLE_WRITE], 2);
    close(hv->err_fd);
}

/*
 * Runs case `which` in a child under the sandbox (one vCPU fd, fds[0]; with `smp` two, fds[0]
 * and a copy of it); returns its wait status.
 */
static int sandboxed(int which, bool smp)
{
    int fds[2];
    if (pipe(fds) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        int vcpus[2] = {fds[0], dup(fds[0])};
        /* Raw system calls only: a sanitizer's wrappers make calls of their own. */
        if (hv_sandbox(vcpus, smp ? 2 : 1) < 0)
            syscall(SYS_exit_group, 90);
        if (syscall(SYS_write, fds[1], "x", 1) != 1) /* allowed */
            syscall(SYS_exit_group, 91);
        if (which == 1)
            syscall(SYS_getpid); /* forbidden */
        else if (which == 2)
            syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY); /* forbidden */
        else if (which == 3)
            syscall(SYS_ioctl, fds[1], KVM_RUN, 0); /* KVM_RUN on another fd */
        else if (which == 4)
            syscall(SYS_ioctl, fds[0], KVM_SET_REGS, 0); /* another ioctl on the vCPU fd */
        else if (which == 5)
            syscall(SYS_ioctl, fds[0], KVM_GET_REGS, 0); /* allowed (fails: not a vCPU) */
        else if (which == 6)
            syscall(SYS_futex, &which, FUTEX_WAKE, 1, NULL, NULL, 0); /* smp only */
        else if (which == 7)
            syscall(SYS_ioctl, vcpus[1], KVM_RUN, 0); /* the second vCPU fd (smp) */
        syscall(SYS_exit_group, 0);
    }
    close(fds[0]);
    close(fds[1]);
    int st = 0;
    waitpid(pid, &st, 0);
    return st;
}

static void seccomp_kills(void)
{
    int st = sandboxed(0, false);
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0))
        T_FAILF("allowed calls only: wait status 0x%x", st);
    st = sandboxed(5, false);
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0))
        T_FAILF("KVM_GET_REGS on the vCPU fd: wait status 0x%x", st);
    /* one vCPU: no futex, no KVM_SET_REGS; several: both, and KVM_RUN on each fd */
    for (int which = 1; which <= 6; which++) {
        st = sandboxed(which, false);
        if (which != 5 && !(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS))
            T_FAILF("case %d: expected death by SIGSYS, got wait status 0x%x", which, st);
    }
    for (int which = 4; which <= 7; which++) {
        st = sandboxed(which, true);
        if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0))
            T_FAILF("smp case %d: expected to be allowed, got wait status 0x%x", which, st);
    }
    for (int which = 1; which <= 3; which++) {
        st = sandboxed(which, true);
        if (!(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS))
            T_FAILF("smp case %d: expected death by SIGSYS, got wait status 0x%x", which, st);
    }
}

int main(void)
{
    T_RUN(gpa_bounds);
    T_RUN(elf_checks);
    T_RUN(elf_notes);
    T_RUN(dispatch_errors);
    T_RUN(dispatch_cpu_start);
    T_RUN(seccomp_kills);
    return T_DONE();
}

/* unikernel/exit/acpi.c — RSDP/RSDT/XSDT walk, FADT PM1 control blocks and the \_S5 package. */
#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/cpu.h"
#include "exit/acpi.h"
#include "lib/string.h"

struct acpi_header {
    char sig[4];
    uint32_t length;
    uint8_t revision, checksum;
    char oem[6], oem_table[8];
    uint32_t oem_rev, creator, creator_rev;
} __attribute__((packed));

struct rsdp {
    char sig[8];
    uint8_t checksum;
    char oem[6];
    uint8_t revision;
    uint32_t rsdt;
    uint32_t length;
    uint64_t xsdt;
    uint8_t xchecksum, reserved[3];
} __attribute__((packed));

static const struct rsdp *rsdp;
static uint32_t pm1a_cnt, pm1b_cnt, smi_cmd;
static uint8_t acpi_enable_val;
static uint16_t slp_typa, slp_typb;
static int s5_found;

static int checksum_ok(const void *p, size_t n)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += ((const uint8_t *)p)[i];
    return sum == 0;
}

static const struct rsdp *scan_rsdp(uint64_t from, uint64_t to)
{
    for (uint64_t a = from; a + 20 <= to; a += 16)
        if (memcmp((const void *)a, "RSD PTR ", 8) == 0 && checksum_ok((const void *)a, 20))
            return (const struct rsdp *)a;
    return NULL;
}

uint64_t acpi_find_table(const char *sig)
{
    if (!rsdp)
        return 0;
    int x = rsdp->revision >= 2 && rsdp->xsdt;
    const struct acpi_header *root = (const void *)(x ? rsdp->xsdt : (uint64_t)rsdp->rsdt);
    if (!root || root->length < sizeof(*root))
        return 0;
    size_t esz = x ? 8 : 4;
    size_t n = (root->length - sizeof(*root)) / esz;
    const uint8_t *ents = (const uint8_t *)(root + 1);
    for (size_t i = 0; i < n; i++) {
        uint64_t a = 0;
        memcpy(&a, ents + i * esz, esz);
        const struct acpi_header *h = (const void *)a;
        if (a && memcmp(h->sig, sig, 4) == 0)
            return a;
    }
    return 0;
}

/* AML package length: 1 to 4 bytes. */
static const uint8_t *skip_pkglen(const uint8_t *p)
{
    return p + 1 + (*p >> 6);
}

/* One small integer in AML: ZeroOp, OneOp, BytePrefix, WordPrefix. */
static const uint8_t *aml_int(const uint8_t *p, uint16_t *v)
{
    switch (*p) {
    case 0x00: *v = 0; return p + 1;
    case 0x01: *v = 1; return p + 1;
    case 0x0a: *v = p[1]; return p + 2;
    case 0x0b: *v = (uint16_t)(p[1] | p[2] << 8); return p + 3;
    default: *v = *p; return p + 1;
    }
}

static void find_s5(const struct acpi_header *dsdt)
{
    const uint8_t *p = (const uint8_t *)(dsdt + 1);
    const uint8_t *end = (const uint8_t *)dsdt + dsdt->length;
    for (; p + 8 < end; p++) {
        if (memcmp(p, "_S5_", 4) != 0 || p[4] != 0x12) /* NameOp _S5_ PackageOp */
            continue;
        if (!(p[-1] == 0x08 || (p[-2] == 0x08 && p[-1] == '\\')))
            continue;
        const uint8_t *q = skip_pkglen(p + 5);
        q++; /* NumElements */
        q = aml_int(q, &slp_typa);
        aml_int(q, &slp_typb);
        s5_found = 1;
        return;
    }
}

void acpi_init(const struct boot_info *bi)
{
    if (bi->rsdp)
        rsdp = (const struct rsdp *)bi->rsdp;
    if (!rsdp) {
        if (bi->ebda >= 0x80000 && bi->ebda < 0xa0000)
            rsdp = scan_rsdp(bi->ebda, bi->ebda + 1024);
    }
    if (!rsdp && bi->source != BOOT_SRC_JEOS_HV)
        rsdp = scan_rsdp(0xe0000, 0x100000);
    if (!rsdp)
        return;
    const uint8_t *fadt = (const void *)acpi_find_table("FACP");
    if (!fadt)
        return;
    const struct acpi_header *fh = (const void *)fadt;
    uint32_t dsdt32;
    memcpy(&smi_cmd, fadt + 48, 4);
    acpi_enable_val = fadt[52];
    memcpy(&pm1a_cnt, fadt + 64, 4);
    memcpy(&pm1b_cnt, fadt + 68, 4);
    memcpy(&dsdt32, fadt + 40, 4);
    uint64_t dsdt = dsdt32;
    if (fh->length >= 148) {
        uint64_t x;
        memcpy(&x, fadt + 140, 8);
        if (x)
            dsdt = x;
    }
    if (dsdt)
        find_s5((const struct acpi_header *)dsdt);
}

int acpi_can_poweroff(void)
{
    return s5_found && pm1a_cnt;
}

void acpi_poweroff(void)
{
    if (!acpi_can_poweroff())
        return;
    if (!(inw((uint16_t)pm1a_cnt) & 1) && smi_cmd && acpi_enable_val) {
        outb((uint16_t)smi_cmd, acpi_enable_val);
        for (int i = 0; i < 1000000 && !(inw((uint16_t)pm1a_cnt) & 1); i++)
            cpu_pause();
    }
    outw((uint16_t)pm1a_cnt, (uint16_t)(slp_typa << 10 | 1u << 13));
    if (pm1b_cnt)
        outw((uint16_t)pm1b_cnt, (uint16_t)(slp_typb << 10 | 1u << 13));
}

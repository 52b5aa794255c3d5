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
static const uint8_t *dsdt_base;
static uint32_t dsdt_len;

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
    if (dsdt) {
        dsdt_base = (const uint8_t *)dsdt;
        dsdt_len = ((const struct acpi_header *)dsdt)->length;
        find_s5((const struct acpi_header *)dsdt);
    }
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

/* An AML PkgLength at p (1 to 4 bytes, < end): the length it encodes; its size in *n, 0 if bad. */
static uint32_t aml_pkglen(const uint8_t *p, const uint8_t *end, unsigned *n)
{
    *n = 0;
    if (p >= end)
        return 0;
    unsigned extra = *p >> 6;
    if (end - p <= extra)
        return 0;
    uint32_t len = extra ? *p & 0x0f : *p & 0x3f;
    for (unsigned i = 0; i < extra; i++)
        len |= (uint32_t)p[1 + i] << (4 + 8 * i);
    *n = extra + 1;
    return len;
}

/* The first NameOp of seg ("_HID") in [p, end) before any nested Device; its value follows. */
static const uint8_t *aml_name(const uint8_t *p, const uint8_t *end, const char *seg)
{
    for (; p + 5 < end; p++) {
        if (p[0] == 0x5b && p[1] == 0x82)
            return NULL;
        if (p[0] == 0x08 && memcmp(p + 1, seg, 4) == 0)
            return p + 5;
    }
    return NULL;
}

/* Memory32Fixed and the first interrupt of a resource template (a Buffer at p). */
static int parse_crs(const uint8_t *p, const uint8_t *end, struct acpi_device *d)
{
    unsigned n;
    if (p >= end || *p != 0x11) /* BufferOp */
        return -1;
    uint32_t len = aml_pkglen(p + 1, end, &n);
    if (!n || len > (uint32_t)(end - p - 1))
        return -1;
    end = p + 1 + len;
    p += 1 + n;
    if (end - p < 3)
        return -1;
    uint16_t size;
    p = aml_int(p, &size); /* BufferSize */
    int have_mem = 0, have_irq = 0;
    while (p < end) {
        if (*p & 0x80) { /* large item: tag, 16-bit length, data */
            if (end - p < 3)
                break;
            unsigned tag = *p, l = (unsigned)(p[1] | p[2] << 8);
            const uint8_t *q = p + 3;
            if ((size_t)(end - q) < l)
                break;
            if (tag == 0x86 && l >= 9 && !have_mem) { /* Memory32Fixed: info, base, length */
                uint32_t b, s;
                memcpy(&b, q + 1, 4);
                memcpy(&s, q + 5, 4);
                d->mem_base = b;
                d->mem_len = s;
                have_mem = 1;
            } else if (tag == 0x89 && l >= 6 && q[1] >= 1 && !have_irq) { /* Extended IRQ */
                memcpy(&d->irq, q + 2, 4);
                d->irq_edge = (q[0] >> 1) & 1;
                d->irq_low = (q[0] >> 2) & 1;
                have_irq = 1;
            }
            p = q + l;
        } else {                   /* small item: tag and length in one byte */
            if ((*p >> 3) == 0x0f) /* end tag */
                break;
            p += 1 + (*p & 7);
        }
    }
    return have_mem && have_irq ? 0 : -1;
}

int acpi_find_devices(const char *hid, struct acpi_device *out, int max)
{
    if (!dsdt_base || dsdt_len <= sizeof(struct acpi_header))
        return 0;
    const uint8_t *end = dsdt_base + dsdt_len;
    size_t hid_len = strlen(hid);
    int found = 0, named = 0;
    for (const uint8_t *p = dsdt_base; p + hid_len <= end && !named; p++) /* most DSDTs: no */
        named = *p == (uint8_t)hid[0] && memcmp(p, hid, hid_len) == 0;
    if (!named)
        return 0;
    for (const uint8_t *p = dsdt_base + sizeof(struct acpi_header); p + 2 < end && found < max;
         p++) {
        if (p[0] != 0x5b || p[1] != 0x82) /* DeviceOp */
            continue;
        unsigned n;
        uint32_t len = aml_pkglen(p + 2, end, &n);
        if (!n || len > (uint32_t)(end - p - 2))
            continue;
        const uint8_t *body = p + 2 + n, *body_end = p + 2 + len;
        const uint8_t *h = aml_name(body, body_end, "_HID");
        if (!h || h >= body_end || *h != 0x0d || (size_t)(body_end - h) < hid_len + 2 ||
            memcmp(h + 1, hid, hid_len) != 0 || h[1 + hid_len] != 0)
            continue;
        const uint8_t *crs = aml_name(body, body_end, "_CRS");
        if (crs && parse_crs(crs, body_end, &out[found]) == 0)
            found++;
    }
    return found;
}

/* elf.c — checked loading of a 64-bit ELF kernel's PT_LOAD segments into guest memory. */
#include <elf.h>
#include <stdio.h>
#include <string.h>

#include "hypervisor/hv.h"

#define MAX_LOADS 16

/* Reads the JeosHv features note, if any, from the PT_NOTE segment `ph`. */
static int read_notes(const uint8_t *elf, size_t len, const Elf64_Phdr *ph, unsigned i,
                      uint32_t *features, char *msg, size_t msgsz)
{
    if (ph->p_offset > len || ph->p_filesz > len - ph->p_offset) {
        snprintf(msg, msgsz, "segment %u: note range 0x%llx+0x%llx outside the file (%zu bytes)", i,
                 (unsigned long long)ph->p_offset, (unsigned long long)ph->p_filesz, len);
        return -1;
    }
    const uint8_t *p = elf + ph->p_offset;
    uint64_t left = ph->p_filesz;
    while (left >= sizeof(Elf64_Nhdr)) {
        Elf64_Nhdr nh;
        memcpy(&nh, p, sizeof(nh));
        uint64_t name_sz = ((uint64_t)nh.n_namesz + 3) & ~3ull;
        uint64_t desc_sz = ((uint64_t)nh.n_descsz + 3) & ~3ull;
        if (name_sz > left - sizeof(nh) || desc_sz > left - sizeof(nh) - name_sz) {
            snprintf(msg, msgsz, "segment %u: truncated note", i);
            return -1;
        }
        const uint8_t *name = p + sizeof(nh), *desc = name + name_sz;
        if (nh.n_namesz == sizeof(JEOS_HV_NOTE_NAME) &&
            memcmp(name, JEOS_HV_NOTE_NAME, sizeof(JEOS_HV_NOTE_NAME)) == 0 &&
            nh.n_type == JEOS_HV_NOTE_FEATURES) {
            if (nh.n_descsz != 4) {
                snprintf(msg, msgsz, "segment %u: JeosHv features note of %u bytes (expected 4)", i,
                         nh.n_descsz);
                return -1;
            }
            memcpy(features, desc, 4);
            if (*features & ~JEOS_HV_FEATURES_ALL) {
                snprintf(msg, msgsz,
                         "segment %u: the kernel asks for features 0x%x; this jeos-hv knows 0x%x",
                         i, *features, JEOS_HV_FEATURES_ALL);
                return -1;
            }
        }
        p += sizeof(nh) + name_sz + desc_sz;
        left -= sizeof(nh) + name_sz + desc_sz;
    }
    return 0;
}

int hv_elf_load(struct hv *hv, const uint8_t *elf, size_t len, struct hv_image *img, char *msg,
                size_t msgsz)
{
    img->features = 0;
    Elf64_Ehdr eh;
    if (len < sizeof(eh)) {
        snprintf(msg, msgsz, "not an ELF file (%zu bytes)", len);
        return -1;
    }
    memcpy(&eh, elf, sizeof(eh));
    if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) {
        snprintf(msg, msgsz, "not an ELF file (bad magic)");
        return -1;
    }
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
        eh.e_machine != EM_X86_64 || (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)) {
        snprintf(msg, msgsz, "not a little-endian x86-64 executable ELF (class %u, machine %u)",
                 eh.e_ident[EI_CLASS], eh.e_machine);
        return -1;
    }
    if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phoff > len ||
        (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > len - eh.e_phoff) {
        snprintf(msg, msgsz, "program headers outside the file (offset %llu, %u entries)",
                 (unsigned long long)eh.e_phoff, eh.e_phnum);
        return -1;
    }
    Elf64_Phdr loads[MAX_LOADS];
    unsigned nloads = 0, idx[MAX_LOADS];
    uint64_t hi = 0;
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        memcpy(&ph, elf + eh.e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
        if (ph.p_type == PT_NOTE && read_notes(elf, len, &ph, i, &img->features, msg, msgsz) < 0)
            return -1;
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
            continue;
        if (nloads == MAX_LOADS) {
            snprintf(msg, msgsz, "segment %u: more than %d PT_LOAD segments", i, MAX_LOADS);
            return -1;
        }
        if (ph.p_vaddr != ph.p_paddr) {
            snprintf(msg, msgsz,
                     "segment %u: virtual address 0x%llx differs from physical 0x%llx "
                     "(jeos-hv maps memory 1:1; link the kernel identity-mapped)",
                     i, (unsigned long long)ph.p_vaddr, (unsigned long long)ph.p_paddr);
            return -1;
        }
        if (ph.p_filesz > ph.p_memsz) {
            snprintf(msg, msgsz, "segment %u: file size 0x%llx larger than memory size 0x%llx", i,
                     (unsigned long long)ph.p_filesz, (unsigned long long)ph.p_memsz);
            return -1;
        }
        if (ph.p_offset > len || ph.p_filesz > len - ph.p_offset) {
            snprintf(msg, msgsz,
                     "segment %u: file range 0x%llx+0x%llx outside the file (%zu bytes)", i,
                     (unsigned long long)ph.p_offset, (unsigned long long)ph.p_filesz, len);
            return -1;
        }
        if (ph.p_paddr < JEOS_HV_LOAD_MIN || ph.p_paddr > hv->mem_size ||
            ph.p_memsz > hv->mem_size - ph.p_paddr) {
            snprintf(msg, msgsz,
                     "segment %u: address range 0x%llx+0x%llx outside loadable memory "
                     "0x%x..0x%llx (try a larger --mem)",
                     i, (unsigned long long)ph.p_paddr, (unsigned long long)ph.p_memsz,
                     JEOS_HV_LOAD_MIN, (unsigned long long)hv->mem_size);
            return -1;
        }
        for (unsigned k = 0; k < nloads; k++) {
            if (ph.p_paddr < loads[k].p_paddr + loads[k].p_memsz &&
                loads[k].p_paddr < ph.p_paddr + ph.p_memsz) {
                snprintf(msg, msgsz, "segment %u: overlaps segment %u", i, idx[k]);
                return -1;
            }
        }
        idx[nloads] = i;
        loads[nloads++] = ph;
        if (ph.p_paddr + ph.p_memsz > hi)
            hi = ph.p_paddr + ph.p_memsz;
    }
    if (nloads == 0) {
        snprintf(msg, msgsz, "no PT_LOAD segment");
        return -1;
    }
    /* The entry must point into a loaded segment. */
    int found = 0;
    for (unsigned k = 0; k < nloads; k++)
        if (eh.e_entry >= loads[k].p_paddr && eh.e_entry - loads[k].p_paddr < loads[k].p_memsz)
            found = 1;
    if (!found) {
        snprintf(msg, msgsz, "entry point 0x%llx is not inside a loaded segment",
                 (unsigned long long)eh.e_entry);
        return -1;
    }
    for (unsigned k = 0; k < nloads; k++) {
        uint8_t *dst = hv_gpa(hv, loads[k].p_paddr, loads[k].p_memsz);
        memcpy(dst, elf + loads[k].p_offset, loads[k].p_filesz);
        memset(dst + loads[k].p_filesz, 0, loads[k].p_memsz - loads[k].p_filesz);
    }
    img->entry = eh.e_entry;
    img->end = hi;
    return 0;
}

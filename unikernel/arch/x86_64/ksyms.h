/* unikernel/arch/x86_64/ksyms.h — the embedded symbol table, generated at link time
 * (tools/ksyms.sh). */
#ifndef UK_ARCH_KSYMS_H
#define UK_ARCH_KSYMS_H

#include <stdint.h>

/*
 * ksyms_lookup: the function containing addr; returns its name (static storage) and sets *off,
 * or returns NULL when addr is outside the kernel's text.
 */
const char *ksyms_lookup(uint64_t addr, uint64_t *off);

#endif

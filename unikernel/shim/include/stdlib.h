/* unikernel/shim/include/stdlib.h — exit and memory of the interim shim (musl replaces it). */
#ifndef UK_SHIM_STDLIB_H
#define UK_SHIM_STDLIB_H

#include <stddef.h>

#define EXIT_SUCCESS 0
#define EXIT_FAILURE 1

__attribute__((noreturn)) void exit(int status);
__attribute__((noreturn)) void abort(void);
void *malloc(size_t size);
void *calloc(size_t n, size_t size);
void free(void *p);
int atoi(const char *s);

#endif

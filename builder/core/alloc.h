/* alloc.h — allocation that cannot fail and growable strings; the bottom of the builder (it
 * includes nothing of ours). */
#ifndef JEOS_ALLOC_H
#define JEOS_ALLOC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* Allocation that cannot fail: on exhaustion they print a message and abort(). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* A growable, always NUL-terminated string. Zero-initialise; free with sbuf_free. */
struct sbuf {
    char *s;
    size_t len, cap;
};
void sbuf_add(struct sbuf *b, const char *s, size_t n);
void sbuf_puts(struct sbuf *b, const char *s);
void sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_free(struct sbuf *b);
/* Returns the buffer's string (the caller owns it) and leaves `b` empty. */
char *sbuf_take(struct sbuf *b);

/* A growable vector of owned strings: (*v)[0..*n). strv_add appends a copy of `s`; strv_has
   tells whether `s` is in it; strv_free frees the strings and the vector. */
void strv_add(char ***v, size_t *n, const char *s);
bool strv_has(char *const *v, size_t n, const char *s);
void strv_free(char **v, size_t n);

#endif

/* err.h — the error record: callees add messages, main reports them once. */
#ifndef JEOS_ERR_H
#define JEOS_ERR_H

#include <stddef.h>
#include <stdio.h>

/* More messages than this are counted, not kept (a fuzzed file can hold millions). */
#define JEOS_ERR_MAX_KEPT 200

/*
 * An error record. Zero-initialise it (or use jeos_err_init); free it with
 * jeos_err_free. Each message is one line without a trailing newline, already
 * naming where the bad input is ("file:line:col: field: what").
 */
struct jeos_err {
    char **msgs;    /* kept messages, in the order added */
    size_t n;       /* messages kept */
    size_t dropped; /* messages over JEOS_ERR_MAX_KEPT, counted only */
    int code;       /* the first negative errno added, or 0 */
};

void jeos_err_init(struct jeos_err *e);
void jeos_err_free(struct jeos_err *e);

/*
 * Adds one formatted message with error code `code` (a negative errno; 0 or a
 * positive value is taken as -EINVAL). Returns the code, so callers can write
 * `return jeos_errf(err, -ENOENT, "%s: no such file", path);`. A NULL `e` is allowed.
 */
int jeos_errf(struct jeos_err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Number of messages added, kept or not. */
size_t jeos_err_count(const struct jeos_err *e);

/* Prints every message as "prefix: message\n" (prefix may be NULL), then a count of dropped ones.
 */
void jeos_err_print(const struct jeos_err *e, FILE *f, const char *prefix);

/* Moves every message of `src` to the end of `dst`; `src` is left empty. */
void jeos_err_move(struct jeos_err *dst, struct jeos_err *src);

/* Drops the messages from index `from` on (to say it once, differently). */
void jeos_err_truncate(struct jeos_err *e, size_t from);

#endif

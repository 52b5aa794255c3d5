/* ctx.h — the build context: every option and setting of one jeos run, so no global state. */
#ifndef JEOS_CTX_H
#define JEOS_CTX_H

#include <stdbool.h>
#include <stdint.h>

#include "builder/core/err.h"

enum jeos_log_level {
    JEOS_LOG_QUIET = 0, /* errors only */
    JEOS_LOG_INFO = 1,  /* progress of long work (default) */
    JEOS_LOG_DEBUG = 2, /* every step (-v) */
};

struct jeos_ctx {
    int log_level;
    bool color;
    /* SOURCE_DATE_EPOCH when set: every time stamp written is clamped to it. */
    bool have_epoch;
    int64_t epoch;
    char *tmpdir;    /* TMPDIR or /tmp */
    char *cache_dir; /* JEOS_CACHE, else $XDG_CACHE_HOME/jeos, else ~/.cache/jeos */
    char *out_dir;   /* where images go: "out" unless -o */
    bool offline;    /* use only the cache; a miss is an error */
    bool allow_unauthenticated;
    char *fault; /* JEOS_FAULT: the build point at which to fail on purpose (tests), or NULL */
};

/*
 * Fills `c` from the environment (SOURCE_DATE_EPOCH, TMPDIR, JEOS_CACHE,
 * XDG_CACHE_HOME, HOME). Returns 0, or a negative errno with a message in
 * `err` when a variable is malformed (e.g. SOURCE_DATE_EPOCH=yesterday).
 */
int jeos_ctx_init(struct jeos_ctx *c, struct jeos_err *err);
void jeos_ctx_free(struct jeos_ctx *c);

/*
 * Fault injection for tests of what a failed build leaves: when JEOS_FAULT names `point` (a
 * build stage: "resolve", ..., "formats", "commit"; builder/README.md lists them), returns
 * -EIO with a message saying so; else 0.
 */
int jeos_fault(const struct jeos_ctx *c, const char *point, struct jeos_err *err);

/* Progress and diagnostics on stderr, shown when `level` <= the context's log level. */
void jeos_log(const struct jeos_ctx *c, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif

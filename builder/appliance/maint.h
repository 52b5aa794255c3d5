/* maint.h — maintainer scripts read, never run: the simple commands a POSIX shell would run, with
 * their words expanded where that can be done without running anything. */
#ifndef JEOS_MAINT_H
#define JEOS_MAINT_H

#include <stddef.h>

struct jeos_err;

/* One simple command of a script, every word known. */
struct maint_cmd {
    const char *pkg;    /* the package the script belongs to */
    const char *script; /* "postinst", "preinst" */
    int line;           /* where the command starts (1-based) */
    size_t argc;
    char **argv; /* argv[argc] == NULL */
};

/* What the walk asks of its caller. */
struct maint_ops {
    /* Each command that would run, every word known; returns 0, or a negative errno (with a
       message) to stop. May be NULL. */
    int (*command)(void *arg, const struct maint_cmd *c, struct jeos_err *err);
    /* A test on a path (`op` one of e f d L x s): 1 true, 0 false, -1 not known. May be NULL. */
    int (*test_path)(void *arg, char op, const char *path);
    /* Each simple command that may run whose first word is known (not a function of the script),
       also inside command substitutions ($( ... ), ` ... `, which `command` never sees): its
       first `argc` words, those known up to the first unknown one, and its line. May be NULL. */
    void (*program)(void *arg, char *const *argv, size_t argc, int line);
    /* `. FILE` or `source FILE` (an absolute path): the file's text as the image has it
       (malloc'd), or NULL when it has none. May be NULL: nothing is sourced. */
    char *(*source)(void *arg, const char *path);
};

struct maint_stats {
    size_t commands; /* simple commands handed to the callback */
    size_t unknown;  /* commands passed over: a word depends on something only a run could tell */
};

/*
 * Reads `text` as the shell would on a fresh install ($1 "install" for a preinst, "configure"
 * otherwise; $2 empty; with `script` NULL — a script a service runs — $1.. and "$@" are not
 * known) and hands each simple command that would run to ops->command, in order.
 * Conditions are worked out where they can be without running anything — test/[ on strings and
 * on paths (through ops->test_path), true, false, :, and case on a known word; a command's own
 * success is not known. A branch whose condition is known false is not taken; when it is not
 * known, every branch is (the callback decides what makes sense twice). Loop bodies are read
 * once; `. FILE` reads the image's FILE in the same scope (ops->source); functions defined in the
 * script are followed at their calls with their arguments as $1.. ("shift" and "$@" work; 8 calls
 * deep at most); `NAME=value` assignments (also after local/export) are remembered. A word is known
 * when it is made of literal text, quotes and known parameters (`${X#p}`, `##`, `%`, `%%` trim
 * them; DPKG_MAINTSCRIPT_PACKAGE and _NAME are set); `$(mktemp ...)` stands for a fresh name
 * /tmp/.jeos-mktemp-N; other command substitutions, globs and unknown parameters make it unknown,
 * and a command with such a word is counted in st->unknown instead of run. Here-documents are
 * skipped. Never fails on odd input: what it cannot read is passed over. Returns 0 or what
 * ops->command returned.
 */
int maint_walk(const char *text, const char *pkg, const char *script, const struct maint_ops *ops,
               void *arg, struct maint_stats *st, struct jeos_err *err);

#endif

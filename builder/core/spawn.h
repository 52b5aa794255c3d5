/* spawn.h — running external tools: an argument vector, never a shell; tools die with jeos; their
 * failures reported in their own words. */
#ifndef JEOS_SPAWN_H
#define JEOS_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

struct jeos_err;
struct sbuf;

/*
 * Runs argv[0] (looked up in PATH) with `argv` and waits for it. stdin is /dev/null; stdout
 * goes to `out` when non-NULL (captured, NUL-terminated), else to /dev/null; stderr is
 * captured and, on failure, quoted in the message added to `err` ("TOOL failed (exit status
 * N): ..." or "TOOL killed by signal N: ..."). Returns 0 when the tool exits 0, else a
 * negative errno.
 */
int jeos_spawn(char *const argv[], struct sbuf *out, struct jeos_err *err);

/* Where a tool runs and what it sees besides our environment. */
struct jeos_tool_env {
    const char *dir;     /* its working folder; NULL: ours */
    char *const *vars;   /* NAME=VALUE entries set for it (replacing ours of the same name),
                            NULL-terminated; NULL: none */
    struct sbuf *errout; /* when non-NULL: the tool's stderr (its start) added here whether it
                            succeeds or not (a compiler's warnings) */
};

/* The executable argv0 names: itself when it holds a '/', else the first in PATH; NULL when
   there is none (caller frees). */
char *jeos_find_exe(const char *argv0);

/* jeos_spawn in the folder and with the variables of `t` (which may be NULL). */
int jeos_spawn_env(const struct jeos_tool_env *t, char *const argv[], struct sbuf *out,
                   struct jeos_err *err);

/*
 * A tool that runs while the caller feeds its stdin (a stream written from memory, as the
 * squashfs writer does). jeos_child_start starts argv with environment `envp` (NULL: ours),
 * stdin a pipe whose write end is c->in (close-on-exec), stdout /dev/null and stderr kept in
 * an anonymous file. jeos_child_finish closes c->in if still open, waits, and reports a failure
 * like jeos_spawn; jeos_child_kill ends a child the caller gives up on. Both return 0 or a
 * negative errno; after either, `c` holds nothing.
 */
struct jeos_child {
    pid_t pid;
    int in;    /* write end of the tool's stdin, or -1 */
    int errfd; /* the tool's stderr, or -1 */
    char *name;
    struct sbuf *errout; /* jeos_child_start_env's t->errout */
};
int jeos_child_start(char *const argv[], char *const envp[], struct jeos_child *c,
                     struct jeos_err *err);
/* jeos_child_start in the folder and with the variables of `t` (which may be NULL); with
 * t->errout, jeos_child_finish adds the tool's stderr there whether it succeeds or not. Several
 * may run at once (parallel compiles), each finished in turn. */
int jeos_child_start_env(const struct jeos_tool_env *t, char *const argv[], struct jeos_child *c,
                         struct jeos_err *err);
int jeos_child_finish(struct jeos_child *c, struct jeos_err *err);
void jeos_child_kill(struct jeos_child *c);

#endif

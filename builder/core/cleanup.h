/* cleanup.h — what a build leaves behind when it is stopped (staging folders, temporary files,
 * tools still running), removed and ended on SIGINT, SIGTERM or SIGHUP. */
#ifndef JEOS_CLEANUP_H
#define JEOS_CLEANUP_H

#include <sys/types.h>

/*
 * The one process-wide state of the builder, because signals are process-wide: a registry of
 * paths to remove and children to end if the process is told to stop. jeos_cleanup_start
 * (called once, by a command that writes outputs, before it starts threads or tools) blocks
 * SIGINT, SIGTERM and SIGHUP in the calling thread — so in every thread and tool started after
 * it, which jeos_spawn unblocks again in the tool — and leaves them to a thread of its own:
 * on the first one it sends SIGTERM to the registered children, removes the registered paths,
 * says what it removed in one line each, and ends the process with status 128 + the signal.
 * Without jeos_cleanup_start the registry is kept but nothing watches it.
 */
void jeos_cleanup_start(void);

/* Registers / forgets a path (a file or a folder, removed whole). */
void jeos_cleanup_add(const char *path);
void jeos_cleanup_drop(const char *path);

/* Registers / forgets a child process (jeos_spawn does it for every tool it runs). */
void jeos_cleanup_add_child(pid_t pid);
void jeos_cleanup_drop_child(pid_t pid);

#endif

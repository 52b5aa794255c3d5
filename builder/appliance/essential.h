/* essential.h — which Essential: yes package of Debian 12 provides a command (essential.c, written
 * by essential.sh). Debian packages never depend on those; an image without them lacks /bin/sh,
 * mkdir, id and the like. */
#ifndef JEOS_ESSENTIAL_H
#define JEOS_ESSENTIAL_H

/* The package that installs /bin/NAME, /usr/bin/NAME, /sbin/NAME or /usr/sbin/NAME ("mkdir":
   "coreutils", "sh": "dash"), or NULL when no Essential package does. */
const char *essential_provider(const char *name);

#endif

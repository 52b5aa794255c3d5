/* unikernel/shim/include/unistd.h — sleeping, for the interim shim (musl replaces it). */
#ifndef UK_SHIM_UNISTD_H
#define UK_SHIM_UNISTD_H

unsigned sleep(unsigned seconds);
int usleep(unsigned long usec);

#endif

/* enosys.c — a system call the runtime lacks gives -1/ENOSYS (the kernel prints one notice). */
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "check.h"

int main(void)
{
    errno = 0;
    long r = syscall(SYS_acct, "/nonexistent");
    int e = errno;
    long r2 = syscall(SYS_acct, "/again"); /* the notice is printed once */
    CHECK("rt-enosys", r == -1 && e == ENOSYS && r2 == -1, "r=%ld errno=%d", r, e);
    errno = 0;
    pid_t pid = fork();
    CHECK("rt-enosys-fork", pid == -1 && errno == ENOSYS, "fork gave %d, errno %d", (int)pid,
          errno);
    return failures ? 1 : 0;
}

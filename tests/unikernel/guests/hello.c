/* tests/unikernel/guests/hello.c — the smallest application: one line, status 0. */
#include "uk.h"

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    uk_printf("Hello from the jeos unikernel\n");
    return 0;
}

/* tests/unikernel/guests/hello.c — the smallest application: one line; status from argv[1] (default
 * 0). */
#include "uk.h"

int main(int argc, char **argv)
{
    struct uk_info info;
    uk_get_info(&info);
    uk_printf("Hello from the jeos unikernel (boot: %s)\n", info.boot_source);
    int status = 0;
    for (const char *s = argc > 1 ? argv[1] : ""; *s >= '0' && *s <= '9'; s++)
        status = status * 10 + (*s - '0');
    return status;
}

/* tests/unikernel/shim/hello_std.c — an ordinary C program (stdio, stdlib), as a recipe would have.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    char *buf = calloc(64, 1);
    if (!buf)
        return 1;
    snprintf(buf, 64, "%s world, %d args", "hello", argc - 1);
    puts(buf);
    free(buf);
    usleep(1000);
    printf("exiting with %d\n", argc > 1 ? atoi(argv[1]) : 0);
    exit(argc > 1 ? atoi(argv[1]) : 0);
}

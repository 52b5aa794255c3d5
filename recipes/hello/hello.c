/* hello.c — the smallest jeos unikernel application: an ordinary C program. */
#include <stdio.h>

int main(int argc, char **argv)
{
    printf("Hello from a jeos unikernel (%s, %d argument%s)\n", argv[0], argc - 1,
           argc == 2 ? "" : "s");
    return 0;
}

/* check.h — PASS/FAIL lines for the runtime tests (plain C, no jeos headers). */
#ifndef RT_CHECK_H
#define RT_CHECK_H
#include <stdio.h>
static int failures;
#define CHECK(name, cond, ...)                                                                     \
    do {                                                                                           \
        if (cond) {                                                                                \
            printf("PASS %s\n", name);                                                             \
        } else {                                                                                   \
            failures++;                                                                            \
            printf("FAIL %s: ", name);                                                             \
            printf(__VA_ARGS__);                                                                   \
            printf("\n");                                                                          \
        }                                                                                          \
    } while (0)
#endif

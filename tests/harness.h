/* harness.h — the test harness: each case prints "PASS name", "FAIL name: why" or "SKIP name: why"
 * for tests/run.sh. */
#ifndef JEOS_TEST_HARNESS_H
#define JEOS_TEST_HARNESS_H

#include <stdio.h>
#include <string.h>

static int t_case_failed, t_any_failed, t_case_skipped;
static const char *t_case_name;

#define T_FAILF(...)                                                                               \
    do {                                                                                           \
        if (!t_case_failed)                                                                        \
            printf("FAIL %s: %s:%d: ", t_case_name, __FILE__, __LINE__);                           \
        else                                                                                       \
            printf("  also %s:%d: ", __FILE__, __LINE__);                                          \
        printf(__VA_ARGS__);                                                                       \
        printf("\n");                                                                              \
        t_case_failed = 1;                                                                         \
    } while (0)
#define T_CHECK(c)                                                                                 \
    do {                                                                                           \
        if (!(c))                                                                                  \
            T_FAILF("%s", #c);                                                                     \
    } while (0)
#define T_EQ_INT(a, b)                                                                             \
    do {                                                                                           \
        long long t_a_ = (long long)(a), t_b_ = (long long)(b);                                    \
        if (t_a_ != t_b_)                                                                          \
            T_FAILF("%s == %s: got %lld, expected %lld", #a, #b, t_a_, t_b_);                      \
    } while (0)
#define T_EQ_STR(a, b)                                                                             \
    do {                                                                                           \
        const char *t_a_ = (a), *t_b_ = (b);                                                       \
        if (!t_a_ || !t_b_ || strcmp(t_a_, t_b_) != 0)                                             \
            T_FAILF("%s: got \"%s\", expected \"%s\"", #a, t_a_ ? t_a_ : "(null)",                 \
                    t_b_ ? t_b_ : "(null)");                                                       \
    } while (0)
/* Marks the running case skipped; the caller returns right after. */
#define T_SKIP(why)                                                                                \
    do {                                                                                           \
        printf("SKIP %s: %s\n", t_case_name, why);                                                 \
        t_case_skipped = 1;                                                                        \
    } while (0)

static inline void t_run(const char *name, void (*fn)(void))
{
    t_case_name = name;
    t_case_failed = t_case_skipped = 0;
    fn();
    if (t_case_failed)
        t_any_failed = 1;
    else if (!t_case_skipped)
        printf("PASS %s\n", name);
    fflush(stdout);
}
#define T_RUN(fn) t_run(#fn, fn)
#define T_DONE()  (t_any_failed ? 1 : 0)

#endif

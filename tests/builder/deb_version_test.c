/* deb_version_test.c — dpkg version ordering checked against `dpkg --compare-versions` run now. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builder/core/spawn.h"
#include "builder/debian/deb_version.h"
#include "builder/core/err.h"
#include "tests/harness.h"

/* Pairs chosen for the corners of dpkg's rules: epochs, '~', letters vs symbols, leading zeros. */
static const char *const pairs[][2] = {
    {"1.0", "1.0"},
    {"1.0", "1.0-0"},
    {"1.0", "1.1"},
    {"1.0-1", "1.0-2"},
    {"1.0-1", "1.0"},
    {"1:1.0", "2.0"},
    {"0:1.0", "1.0"},
    {"2:0.1", "1:9.9"},
    {"1.0~rc1", "1.0"},
    {"1.0~rc1", "1.0~rc2"},
    {"1.0~~", "1.0~"},
    {"1.0~~a", "1.0~~"},
    {"1.0~", "1.0"},
    {"1.0a", "1.0"},
    {"1.0a", "1.0+"},
    {"1.0+", "1.0."},
    {"1.0.", "1.0-"},
    {"1.0", "1.0.0"},
    {"1.01", "1.1"},
    {"1.001", "1.1"},
    {"1.10", "1.9"},
    {"1.2.3", "1.2.10"},
    {"a", "b"},
    {"1a", "1b"},
    {"1A", "1a"},
    {"1Z", "1a"},
    {"1.0+dfsg", "1.0"},
    {"1.0+dfsg-1", "1.0-1"},
    {"2.36-9+deb12u4", "2.36-9"},
    {"2.36-9+deb12u4", "2.36-9+deb12u10"},
    {"3.0.11-1~deb12u2", "3.0.11-1"},
    {"3.0.11-1~deb12u2", "3.0.9-1"},
    {"1:2.38.1-5+deb12u1", "2.38.1-5"},
    {"0.9", "0.10"},
    {"9", "10"},
    {"1.0-1ubuntu1", "1.0-1"},
    {"1.0-1build1", "1.0-1ubuntu1"},
    {"7.88.1-10+deb12u5", "7.88.1-10+deb12u12"},
    {"1.22.1-9", "1.22.1-9+deb12u1"},
    {"2:1.0", "10:0.1"},
    {"10:1", "9:99"},
    {"1.0-1-1", "1.0-1"},
    {"1.0-1-2", "1.0-1-1"},
    {"1:1-1", "1-1"},
    {"0.0", "0"},
    {"000", "0"},
    {"1.0~beta", "1.0~alpha"},
    {"1.0~b", "1.0~a1"},
    {"1+", "1~"},
    {"1.", "1+"},
    {"1~~~", "1~~"},
    {"20230101", "2023.01.01"},
    {"1.2+git20200101", "1.2+git20191231"},
    {"1.2+b1", "1.2"},
    {"1.2+b1", "1.2.1"},
    {"5.2.15-2+b2", "5.2.15-2"},
    {"252.22-1~deb12u1", "252.26-1~deb12u2"},
    {"1:9.18.24-1", "1:9.18.28-1~deb12u2"},
    {"2.9.14+dfsg-1.3~deb12u1", "2.9.14+dfsg-1.3"},
    {"1.2.13.dfsg-1", "1.2.13-1"},
    {"4.19.0", "4.19"},
    {"6.1.0-18", "6.1.0-9"},
    {"1.0-a", "1.0-1"},
    {"1.0-+", "1.0-a"},
    {"1.0-~1", "1.0-1"},
    {"0~", "0"},
};

/* Versions compared all against all. */
static const char *const grid[] = {
    "0",     "1",    "1.0", "1.0-1", "1:0",     "1.0~rc1", "1.0+b1", "1.0a",
    "1.0.1", "1.10", "1.9", "2~",    "2.0-0.1", "01.0",    "1.0~~",  "1.0-1~bpo1",
};

/* Asks dpkg: -1, 0 or 1; 2 when dpkg cannot be run. */
static int dpkg_cmp(const char *a, const char *b)
{
    const char *ops[] = {"lt", "eq"};
    for (int i = 0; i < 2; i++) {
        char *argv[] = {"dpkg", "--compare-versions", (char *)a, (char *)ops[i], (char *)b, NULL};
        struct jeos_err e = {0};
        int rc = jeos_spawn(argv, NULL, &e);
        int cannot = rc < 0 && e.n && strstr(e.msgs[0], "cannot run");
        jeos_err_free(&e);
        if (cannot)
            return 2;
        if (rc == 0)
            return i == 0 ? -1 : 0;
    }
    return 1;
}

static int sign(int x)
{
    return x < 0 ? -1 : x > 0;
}

static int check_pair(const char *a, const char *b)
{
    int want = dpkg_cmp(a, b);
    if (want == 2)
        return -1;
    int got = sign(deb_ver_cmp(a, b));
    int back = sign(deb_ver_cmp(b, a));
    if (got != want || back != -want)
        T_FAILF("%s vs %s: got %d (reverse %d), dpkg says %d", a, b, got, back, want);
    return 1;
}

static void test_against_dpkg(void)
{
    if (access("/usr/bin/dpkg", X_OK) != 0) {
        T_SKIP("dpkg is not installed");
        return;
    }
    int n = 0;
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
        n += check_pair(pairs[i][0], pairs[i][1]) > 0;
    size_t g = sizeof(grid) / sizeof(grid[0]);
    for (size_t i = 0; i < g; i++)
        for (size_t j = i + 1; j < g; j++)
            n += check_pair(grid[i], grid[j]) > 0;
    T_CHECK(n >= 100);
    printf("# %d pairs compared with dpkg --compare-versions\n", n);
}

static void test_satisfies(void)
{
    T_CHECK(deb_ver_satisfies("3.0.11-1~deb12u2", 16, DEB_REL_GE, "3.0.0", 5));
    T_CHECK(!deb_ver_satisfies("3.0.11-1~deb12u2", 16, DEB_REL_LT, "3.0.11", 6));
    T_CHECK(deb_ver_satisfies("1.0", 3, DEB_REL_EQ, "1.0-0", 5));
    T_CHECK(deb_ver_satisfies("1.0", 3, DEB_REL_GT, "1.0~", 4));
    T_CHECK(deb_ver_satisfies("1.0", 3, DEB_REL_LE, "1.0", 3));
    T_CHECK(deb_ver_satisfies("x", 1, DEB_REL_ANY, NULL, 0));
}

static void test_problem(void)
{
    T_CHECK(deb_ver_problem("1:2.3-4") == NULL);
    T_CHECK(deb_ver_problem("1.0~rc1+dfsg-1~deb12u1") == NULL);
    T_EQ_STR(deb_ver_problem(""), "empty version");
    T_EQ_STR(deb_ver_problem("a:1"), "epoch in version is not number");
    T_EQ_STR(deb_ver_problem("1 2"), "version has embedded spaces");
    T_EQ_STR(deb_ver_problem("x1.0"), "version number does not start with digit");
    T_EQ_STR(deb_ver_problem("1.0-"), "revision number is empty");
    T_EQ_STR(deb_ver_problem("1.0_2"), "invalid character in version number");
}

int main(void)
{
    T_RUN(test_against_dpkg);
    T_RUN(test_satisfies);
    T_RUN(test_problem);
    return T_DONE();
}

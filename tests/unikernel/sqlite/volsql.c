/*
 * volsql.c — SQLite on a volume (tests/unikernel/ext4_test.sh), over the amalgamation of Debian's
 * fossil source package. With no argument: the first run makes DB with 10,000 rows in 100
 * transactions and prints "loaded"; a later run (a reboot) finds them and prints what the host's
 * sqlite3 must print of the same file. With "loop": transactions of 10 rows each, forever, each
 * reported "committed K" once COMMIT returned (its fsync done) — the power-cut test kills the
 * guest somewhere in there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite3.h"

static sqlite3 *db;

static void die(const char *what)
{
    printf("volsql: %s: %s\n", what, sqlite3_errmsg(db));
    exit(1);
}

static void exec(const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        printf("volsql: %s: %s\n", sql, msg ? msg : "?");
        exit(1);
    }
}

static int show(void *arg, int n, char **v, char **names)
{
    (void)arg, (void)names;
    for (int i = 0; i < n; i++)
        printf("%s%s", i ? "|" : "", v[i] ? v[i] : "");
    printf("\n");
    return 0;
}

/* The queries both sides print (the host runs the same ones through its sqlite3). */
static const char *const queries[] = {
    "SELECT count(*), sum(v), min(k), max(k) FROM t;",
    "SELECT k, v, s FROM t WHERE k % 1999 = 0 ORDER BY k;",
    "SELECT count(*) FROM t WHERE s LIKE 'row-9%';",
    "PRAGMA integrity_check;",
};

int main(int argc, char **argv)
{
    const char *path = "/data/test.db";
    int loop = argc > 1 && strcmp(argv[argc - 1], "loop") == 0;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        die("open");
    exec("PRAGMA synchronous = FULL;");
    if (loop) {
        exec("CREATE TABLE IF NOT EXISTS c(k INTEGER PRIMARY KEY, s TEXT);");
        sqlite3_stmt *ins;
        if (sqlite3_prepare_v2(db, "INSERT INTO c(k, s) VALUES (?, ?);", -1, &ins, NULL))
            die("prepare");
        sqlite3_stmt *top;
        if (sqlite3_prepare_v2(db, "SELECT coalesce(max(k), 0) FROM c;", -1, &top, NULL) ||
            sqlite3_step(top) != SQLITE_ROW)
            die("max");
        long k = sqlite3_column_int64(top, 0);
        sqlite3_finalize(top);
        printf("volsql: loop from %ld\n", k);
        for (long txn = 1;; txn++) {
            exec("BEGIN;");
            for (int i = 0; i < 10; i++) {
                char s[64];
                k++;
                snprintf(s, sizeof(s), "txn %ld row %ld %0*d", txn, k, (int)(k % 200), 0);
                sqlite3_bind_int64(ins, 1, k);
                sqlite3_bind_text(ins, 2, s, -1, SQLITE_TRANSIENT);
                if (sqlite3_step(ins) != SQLITE_DONE)
                    die("insert");
                sqlite3_reset(ins);
            }
            exec("COMMIT;");
            printf("committed %ld\n", k);
            fflush(stdout);
        }
    }
    sqlite3_stmt *st;
    int have = sqlite3_prepare_v2(db, "SELECT 1 FROM t LIMIT 1;", -1, &st, NULL) == SQLITE_OK;
    if (have)
        sqlite3_finalize(st);
    if (!have) {
        exec("CREATE TABLE t(k INTEGER PRIMARY KEY, v REAL, s TEXT);");
        sqlite3_stmt *ins;
        if (sqlite3_prepare_v2(db, "INSERT INTO t(k, v, s) VALUES (?, ?, ?);", -1, &ins, NULL))
            die("prepare");
        for (int txn = 0; txn < 100; txn++) {
            exec("BEGIN;");
            for (int i = 0; i < 100; i++) {
                int k = txn * 100 + i + 1;
                char s[48];
                snprintf(s, sizeof(s), "row-%d-%x", k * 7919 % 10007, k);
                sqlite3_bind_int(ins, 1, k);
                sqlite3_bind_double(ins, 2, k * 0.25);
                sqlite3_bind_text(ins, 3, s, -1, SQLITE_TRANSIENT);
                if (sqlite3_step(ins) != SQLITE_DONE)
                    die("insert");
                sqlite3_reset(ins);
            }
            exec("COMMIT;");
        }
        sqlite3_finalize(ins);
        printf("loaded\n");
    } else {
        for (size_t q = 0; q < sizeof(queries) / sizeof(queries[0]); q++)
            if (sqlite3_exec(db, queries[q], show, NULL, NULL) != SQLITE_OK)
                die(queries[q]);
    }
    if (sqlite3_close(db) != SQLITE_OK)
        die("close");
    return 0;
}

/*
 * storbench.c — the storage benchmark's program (tests/bench/storage_bench.sh), the same source
 * as a jeos unikernel and as a static musl binary on Linux, its volume at /data. Each argument is
 * a test, timed inside the guest with CLOCK_MONOTONIC (boot excluded) and printed as one line:
 *   io   64 MiB written in 1 MiB write()s to /data/seq, then fsync (both in the time); the
 *        file's cached pages dropped (POSIX_FADV_DONTNEED, so Linux reads from the disk too);
 *        read back in 1 MiB read()s and checked
 *   sql  SQLite (the amalgamation Debian's fossil source package carries) on /data/bench.db,
 *        synchronous = FULL: 10,000 rows inserted in 100 transactions of 100
 * Exit status 0 when every test ran and checked out.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sqlite3.h"

#define CHUNK   (1 << 20)
#define TOTAL   (64 << 20)
#define ROWS    10000
#define PER_TXN 100

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* CHUNK bytes that differ from chunk to chunk, so a read of the wrong block is seen */
static void fill(unsigned char *buf, int chunk)
{
    uint32_t x = 2166136261u ^ (uint32_t)chunk;
    for (size_t i = 0; i < CHUNK; i += 4) {
        x = x * 1664525u + 1013904223u;
        memcpy(buf + i, &x, 4);
    }
}

static int io(void)
{
    const char *path = "/data/seq";
    unsigned char *buf = malloc(CHUNK), *want = malloc(CHUNK);
    if (!buf || !want) {
        printf("storbench: io: out of memory\n");
        return 1;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        perror("storbench: io: open /data/seq for writing");
        return 1;
    }
    double t0 = now_ms();
    for (int c = 0; c < TOTAL / CHUNK; c++) {
        fill(buf, c);
        if (write(fd, buf, CHUNK) != CHUNK) {
            perror("storbench: io: write /data/seq");
            return 1;
        }
    }
    if (fsync(fd) != 0) {
        perror("storbench: io: fsync /data/seq");
        return 1;
    }
    double t1 = now_ms();
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED); /* advice only: a guest without it reads on */
    close(fd);
    printf("storbench: io write %d MiB in %.1f ms (fsync included)\n", TOTAL >> 20, t1 - t0);
    fd = open(path, O_RDONLY);
    if (fd < 0) {
        perror("storbench: io: open /data/seq for reading");
        return 1;
    }
    t0 = now_ms();
    for (int c = 0; c < TOTAL / CHUNK; c++) {
        ssize_t got = 0, n;
        while (got < CHUNK && (n = read(fd, buf + got, (size_t)(CHUNK - got))) > 0)
            got += n;
        fill(want, c);
        if (got != CHUNK || memcmp(buf, want, CHUNK) != 0) {
            printf("storbench: io: /data/seq reads back wrong in MiB %d (%zd bytes)\n", c, got);
            return 1;
        }
    }
    t1 = now_ms();
    close(fd);
    printf("storbench: io read %d MiB in %.1f ms\n", TOTAL >> 20, t1 - t0);
    free(buf);
    free(want);
    return unlink(path) != 0;
}

static int exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return 0;
    printf("storbench: sql: %s: %s\n", sql, msg ? msg : "?");
    return 1;
}

static int sql(void)
{
    sqlite3 *db;
    sqlite3_stmt *ins;
    if (sqlite3_open("/data/bench.db", &db) != SQLITE_OK) {
        printf("storbench: sql: open /data/bench.db: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    if (exec(db, "PRAGMA synchronous = FULL;") ||
        exec(db, "CREATE TABLE t(k INTEGER PRIMARY KEY, v REAL, s TEXT);"))
        return 1;
    if (sqlite3_prepare_v2(db, "INSERT INTO t(k, v, s) VALUES (?, ?, ?);", -1, &ins, NULL)) {
        printf("storbench: sql: prepare: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    double t0 = now_ms();
    for (int k = 1; k <= ROWS; k++) {
        char s[48];
        if (k % PER_TXN == 1 && exec(db, "BEGIN;"))
            return 1;
        snprintf(s, sizeof(s), "row-%d-%x", k * 7919 % 10007, k);
        sqlite3_bind_int(ins, 1, k);
        sqlite3_bind_double(ins, 2, k * 0.25);
        sqlite3_bind_text(ins, 3, s, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(ins) != SQLITE_DONE) {
            printf("storbench: sql: insert %d: %s\n", k, sqlite3_errmsg(db));
            return 1;
        }
        sqlite3_reset(ins);
        if (k % PER_TXN == 0 && exec(db, "COMMIT;"))
            return 1;
    }
    double t1 = now_ms();
    sqlite3_finalize(ins);
    sqlite3_stmt *cnt;
    int rows = -1;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM t;", -1, &cnt, NULL) == SQLITE_OK &&
        sqlite3_step(cnt) == SQLITE_ROW)
        rows = sqlite3_column_int(cnt, 0);
    sqlite3_finalize(cnt);
    if (rows != ROWS) {
        printf("storbench: sql: %d rows in the table, not %d\n", rows, ROWS);
        return 1;
    }
    printf("storbench: sql %d inserts in %d transactions in %.1f ms\n", ROWS, ROWS / PER_TXN,
           t1 - t0);
    return sqlite3_close(db) != SQLITE_OK;
}

int main(int argc, char **argv)
{
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "io") == 0)
            rc |= io();
        else if (strcmp(argv[i], "sql") == 0)
            rc |= sql();
        else {
            printf("storbench: unknown test %s (io, sql)\n", argv[i]);
            rc = 1;
        }
        fflush(stdout);
    }
    printf("storbench: %s\n", rc ? "failed" : "done");
    return rc;
}

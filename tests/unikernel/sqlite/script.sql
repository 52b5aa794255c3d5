-- script.sql — what tests/unikernel/sqlite_test.sh has the sqlite3 shell run on a file database,
-- in the unikernel and on the host; the outputs must be equal.
CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT, c REAL);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
INSERT INTO t(b, c) SELECT printf('row%05d', i), i * 0.5 FROM n;
CREATE INDEX tb ON t(b);
SELECT count(*), sum(c), min(b), max(b) FROM t;
BEGIN;
UPDATE t SET c = c * 2 WHERE a % 7 = 0;
DELETE FROM t WHERE a % 11 = 0;
COMMIT;
BEGIN;
DELETE FROM t;
ROLLBACK;
SELECT count(*), sum(c), total(length(b)) FROM t;
SELECT b, c FROM t WHERE b LIKE 'row0499%' ORDER BY b DESC LIMIT 3;
SELECT a, sum(c) OVER (ORDER BY a ROWS 2 PRECEDING) FROM t WHERE a BETWEEN 20 AND 24;
SELECT json_object('n', count(*), 'max', max(a)) FROM t;
CREATE TABLE small(k TEXT, v BLOB);
INSERT INTO small VALUES ('x', x'00ff10'), ('it''s', NULL), ('long', zeroblob(4));
.headers on
.mode csv
SELECT * FROM small ORDER BY k;
.mode list
.headers off
.dump small
PRAGMA integrity_check;
PRAGMA journal_mode;
PRAGMA page_count;
VACUUM;
PRAGMA page_count;
.tables
.schema t

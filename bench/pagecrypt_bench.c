/*
 * pagecrypt_bench.c — what sealing every page costs: the same workload on a
 * plain SQLite file (the unix VFS) and on an encrypted one (store/pagecrypt.c),
 * side by side in one process.
 *
 * Both databases are made in BENCH_PAGECRYPT_DIR (default /tmp) with the
 * settings Slate runs with (page size 4096, WAL, secure_delete, temp_store
 * MEMORY; the encrypted one with its 32 reserved bytes per page), each
 * holding BENCH_PAGECRYPT_ROWS rows (default 200000) of about 200 bytes,
 * about 50 MB: far more than SQLite's 2 MB page cache, so reads go through
 * the VFS (and the kernel's page cache) rather than SQLite's own cache.
 * Workloads, each timed on both files in turn (plain, encrypted, plain,
 * encrypted, ...) over BENCH_PAGECRYPT_ROUNDS rounds (default 3), the best
 * round kept:
 *
 *   point_read   SELECT of one row by its key, 50,000 random keys
 *   range_scan   SUM over 1,000 consecutive rows, 500 random ranges
 *   insert_full  transactions of 100 inserted rows, synchronous=FULL (as Slate)
 *   insert_normal the same with synchronous=NORMAL (no fsync per commit): the
 *                cost of sealing with the disk's cost mostly taken out
 *
 * The encrypted file records its seal epoch in a keystore beside it at every
 * checkpoint, as Slate does (store/sqlite.c, sq_record_epoch): that write is
 * part of what the encrypted side pays; stderr says how many were made.
 *
 * One line per workload: name plain_ops_per_s encrypted_ops_per_s ratio
 * (ratio = encrypted / plain; bench/run sets it against the targets, 0.7 for
 * reads and 0.6 for writes).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "crypto/keyring.h"
#include "store/pagecrypt.h"
#include "store/sqlite_int.h"

static double
now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void
check(sqlite3 *db, int rc, const char *what)
{
	if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
		fprintf(stderr, "pagecrypt_bench: %s: %s\n", what, db ? sqlite3_errmsg(db) : "?");
		exit(1);
	}
}

static void
exec(sqlite3 *db, const char *sql)
{
	check(db, sqlite3_exec(db, sql, NULL, NULL, NULL), sql);
}

static long
env_long(const char *name, long dflt)
{
	const char *v = getenv(name);
	return v != NULL && *v ? strtol(v, NULL, 10) : dflt;
}

static uint64_t rng = 88172645463325252ULL;
static uint64_t
next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static sqlite3 *
open_db(const char *path, int encrypted)
{
	sqlite3 *db = NULL;
	int n = PAGECRYPT_RESERVE;
	check(db,
	      sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	                      encrypted ? PAGECRYPT_VFS : PAGECRYPT_PLAIN_VFS),
	      path);
	if (encrypted)
		sqlite3_file_control(db, "main", SQLITE_FCNTL_RESERVE_BYTES, &n);
	exec(db, "PRAGMA page_size=4096; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
	         "PRAGMA secure_delete=ON; PRAGMA temp_store=MEMORY");
	return db;
}

static void
fill(sqlite3 *db, long rows)
{
	exec(db, "CREATE TABLE note (id INTEGER PRIMARY KEY, day TEXT, t TEXT)");
	exec(db, "PRAGMA synchronous=NORMAL; BEGIN");
	{
		char sql[256];
		snprintf(sql, sizeof(sql),
		         "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %ld) "
		         "INSERT INTO note (day, t) SELECT printf('2027-04-%%02d', i %% 28 + 1), "
		         "hex(randomblob(90)) FROM n",
		         rows);
		exec(db, sql);
	}
	exec(db, "COMMIT; PRAGMA wal_checkpoint(TRUNCATE); PRAGMA synchronous=FULL");
}

/* n statements of sql, each with a random key in [1, keys] bound as ?1: statements per second. */
static double
lookups(sqlite3 *db, const char *sql, int n, long keys)
{
	sqlite3_stmt *st;
	double t0 = now_s();
	check(db, sqlite3_prepare_v2(db, sql, -1, &st, NULL), sql);
	for (int i = 0; i < n; i++) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)(next_rand() % (uint64_t)keys) + 1);
		check(db, sqlite3_step(st), sql);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return n / (now_s() - t0);
}

static double
insert_tx(sqlite3 *db, int full)
{
	sqlite3_stmt *st;
	const int tx = full ? 200 : 1000, per = 100;
	double t0;
	exec(db, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
	check(db, sqlite3_prepare_v2(db, "INSERT INTO note (day, t) VALUES ('2027-05-01', ?)", -1, &st,
	                             NULL),
	      "prep");
	t0 = now_s();
	for (int i = 0; i < tx; i++) {
		exec(db, "BEGIN");
		for (int j = 0; j < per; j++) {
			char text[181];
			snprintf(text, sizeof(text), "%0180llu", (unsigned long long)next_rand());
			sqlite3_bind_text(st, 1, text, -1, SQLITE_TRANSIENT);
			check(db, sqlite3_step(st), "insert");
			sqlite3_reset(st);
		}
		exec(db, "COMMIT");
	}
	sqlite3_finalize(st);
	return (double)(tx * per) / (now_s() - t0);
}

static long recorded;

static void
record(void *arg, const unsigned char id[PAGECRYPT_ID_LEN], uint64_t epoch)
{
	recorded++;
	sq_record_epoch(arg, id, epoch);
}

int
main(void)
{
	const char *dir = getenv("BENCH_PAGECRYPT_DIR") ? getenv("BENCH_PAGECRYPT_DIR") : "/tmp";
	long rows = env_long("BENCH_PAGECRYPT_ROWS", 200000), rounds = env_long("BENCH_PAGECRYPT_ROUNDS", 3);
	unsigned char key[PAGECRYPT_KEY_LEN], id[PAGECRYPT_ID_LEN];
	static const char *const names[] = {"point_read", "range_scan", "insert_full", "insert_normal"};
	double best[4][2] = {{0}};
	char path[2][256], keys[256];
	sqlite3 *db[2];
	struct keyring *kr;
	struct secret kek;
	struct err e;

	if (sodium_init() < 0 || pagecrypt_register(&e) == -1 || rows < 2000) {
		fprintf(stderr, "pagecrypt_bench: cannot start\n");
		return 1;
	}
	randombytes_buf(key, sizeof(key));
	randombytes_buf(id, sizeof(id));
	secret_alloc(&kek, 32);
	randombytes_buf(kek.p, kek.len);
	snprintf(keys, sizeof(keys), "%.200s/pagecrypt-bench-%d-keys.db", dir, (int)getpid());
	if ((kr = keyring_open(keys, &kek, NULL, 1, &e)) == NULL) {
		fprintf(stderr, "pagecrypt_bench: %s\n", e.msg);
		return 1;
	}
	secret_free(&kek);
	pagecrypt_use_key_with(key, id, record, kr);
	for (int k = 0; k < 2; k++) {
		snprintf(path[k], sizeof(path[k]), "%.200s/pagecrypt-bench-%d-%s.db", dir, (int)getpid(),
		         k ? "encrypted" : "plain");
		db[k] = open_db(path[k], k);
		fill(db[k], rows);
	}
	for (long r = 0; r < rounds; r++)
		for (int w = 0; w < 4; w++)
			for (int k = 0; k < 2; k++) {
				double v;
				rng = 88172645463325252ULL + (uint64_t)(r * 4 + w); /* the same keys for both */
				v = w == 0 ? lookups(db[k], "SELECT t FROM note WHERE id = ?1", 50000, rows)
				    : w == 1
				        ? lookups(db[k],
				                  "SELECT SUM(length(t)) FROM note WHERE id BETWEEN ?1 AND ?1 + 999",
				                  500, rows - 1000)
				        : insert_tx(db[k], w == 2);
				if (v > best[w][k])
					best[w][k] = v;
			}
	for (int w = 0; w < 4; w++)
		printf("%s %.0f %.0f %.3f\n", names[w], best[w][0], best[w][1], best[w][1] / best[w][0]);
	for (int k = 0; k < 2; k++) {
		char side[600];
		sqlite3_close(db[k]);
		unlink(path[k]);
		snprintf(side, sizeof(side), "%s-wal", path[k]);
		unlink(side);
		snprintf(side, sizeof(side), "%s-shm", path[k]);
		unlink(side);
	}
	fprintf(stderr, "pagecrypt_bench: %ld seal epochs recorded in the keystore\n", recorded);
	keyring_close(kr);
	unlink(keys);
	for (int k = 0; k < 2; k++) {
		char side[600];
		snprintf(side, sizeof(side), "%s%s", keys, k ? "-shm" : "-wal");
		unlink(side);
	}
	return 0;
}

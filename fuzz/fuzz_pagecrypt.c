/*
 * fuzz_pagecrypt.c — libFuzzer harness for the encrypting VFS's readers
 * (src/store/pagecrypt.c): the database file and WAL an attacker with disk
 * access could have written.
 *
 * The input is a database file and a WAL: its first two bytes say how many
 * 4096-byte pages of the rest are the database file; what follows is the
 * WAL. Both are written into a directory of this process and opened under
 * a fixed key and database id (key bytes 0..31, id bytes 0..15: the seed in
 * fuzz/corpus/fuzz_pagecrypt was made with them), then read whole by
 * PRAGMA integrity_check and a scan of the schema. What is checked is what
 * the sanitizers check: no read or write out of bounds in the page, frame
 * and journal layout code, on short, torn, misaligned and altered files,
 * and no leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "fuzz_common.h"
#include "store/pagecrypt.h"

static char dir[64], db_path[96], wal_path[112];

static void
remove_dir(void)
{
	rmdir(dir);
}

static void
put(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	CHECK(f != NULL);
	CHECK(fwrite(p, 1, n, f) == n);
	fclose(f);
}

static void
run(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		rc = SQLITE_OK;
	sqlite3_finalize(st);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	sqlite3 *db = NULL;
	size_t pages, dbn;

	if (!ready) {
		unsigned char key[PAGECRYPT_KEY_LEN], id[PAGECRYPT_ID_LEN];
		struct err e;
		CHECK(sodium_init() >= 0);
		CHECK(pagecrypt_register(&e) == 0);
		for (int i = 0; i < PAGECRYPT_KEY_LEN; i++)
			key[i] = (unsigned char)i;
		for (int i = 0; i < PAGECRYPT_ID_LEN; i++)
			id[i] = (unsigned char)i;
		pagecrypt_use_key(key, id);
		snprintf(dir, sizeof(dir), "/tmp/fuzz-pagecrypt-%d", (int)getpid());
		CHECK(mkdir(dir, 0700) == 0 || access(dir, F_OK) == 0);
		atexit(remove_dir);
		snprintf(db_path, sizeof(db_path), "%s/f.db", dir);
		snprintf(wal_path, sizeof(wal_path), "%s/f.db-wal", dir);
		ready = 1;
	}
	if (size < 2)
		return 0;
	pages = (size_t)data[0] << 8 | data[1];
	data += 2, size -= 2;
	dbn = pages * PAGECRYPT_PAGE_SIZE < size ? pages * PAGECRYPT_PAGE_SIZE : size;
	put(db_path, data, dbn);
	put(wal_path, data + dbn, size - dbn);
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK) {
		run(db, "PRAGMA temp_store=MEMORY");
		run(db, "PRAGMA integrity_check");
		run(db, "SELECT * FROM sqlite_schema");
	}
	sqlite3_close(db);
	unlink(wal_path);
	{
		char shm[128];
		snprintf(shm, sizeof(shm), "%s-shm", db_path);
		unlink(shm);
	}
	unlink(db_path);
	(void)pagecrypt_last_error();
	return 0;
}

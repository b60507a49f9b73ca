/*
 * tmpdb.h — a fresh database path in a temporary directory for each test,
 * removed afterwards with its WAL and shared-memory files.
 */
#ifndef SLATE_TESTS_TMPDB_H
#define SLATE_TESTS_TMPDB_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "crypto/keyring.h"

static char tmpdb_dir[64];
static char tmpdb_path[128];
static struct keyring *tmpdb_keyring;

/* A keystore beside the database (made on first use, closed by the teardown). */
__attribute__((unused)) static struct keyring *
tmpdb_keys(void)
{
	if (tmpdb_keyring == NULL) {
		char p[160];
		struct secret kek;
		struct err e;
		if (sodium_init() < 0)
			abort();
		secret_alloc(&kek, 32);
		randombytes_buf(kek.p, kek.len);
		snprintf(p, sizeof(p), "%s/keys.db", tmpdb_dir);
		tmpdb_keyring = keyring_open(p, &kek, NULL, 1, &e);
		secret_free(&kek);
		if (tmpdb_keyring == NULL) {
			fprintf(stderr, "tmpdb: %s\n", e.msg);
			abort();
		}
	}
	return tmpdb_keyring;
}

static int
tmpdb_setup(void **state)
{
	(void)state;
	strcpy(tmpdb_dir, "/tmp/slate-test-db-XXXXXX");
	if (mkdtemp(tmpdb_dir) == NULL)
		return -1;
	snprintf(tmpdb_path, sizeof(tmpdb_path), "%s/slate.db", tmpdb_dir);
	return 0;
}

static int
tmpdb_teardown(void **state)
{
	static const char *const suffix[] = {"", "-wal", "-shm", "-journal", ".encrypting"};
	char p[160];
	(void)state;
	keyring_close(tmpdb_keyring);
	tmpdb_keyring = NULL;
	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", tmpdb_path, suffix[i]);
		unlink(p);
		snprintf(p, sizeof(p), "%s/keys.db%s", tmpdb_dir, suffix[i]);
		unlink(p);
	}
	rmdir(tmpdb_dir);
	return 0;
}

#endif

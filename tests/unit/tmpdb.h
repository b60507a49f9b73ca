/*
 * tmpdb.h — a fresh database path in a temporary directory for each test,
 * the directory removed afterwards with everything in it.
 */
#ifndef SLATE_TESTS_TMPDB_H
#define SLATE_TESTS_TMPDB_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "crypto/keyring.h"
#include "util/io.h"

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

/* Removes the test's whole directory: the database, its WAL, the keystore
   and whatever else the test made beside them (a key file, a log, a copy). */
static int
tmpdb_teardown(void **state)
{
	(void)state;
	keyring_close(tmpdb_keyring);
	tmpdb_keyring = NULL;
	return io_remove_tree(tmpdb_dir);
}

#endif

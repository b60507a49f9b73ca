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

static char tmpdb_dir[64];
static char tmpdb_path[128];

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
	static const char *const suffix[] = {"", "-wal", "-shm"};
	char p[160];
	(void)state;
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", tmpdb_path, suffix[i]);
		unlink(p);
	}
	rmdir(tmpdb_dir);
	return 0;
}

#endif

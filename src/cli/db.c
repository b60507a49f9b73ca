/*
 * db.c — the database file itself, from the shell: `slate migrate-encryption`
 * converts a plaintext DATA/slate.db into an encrypted one (never in place:
 * store_encrypt in store/sqlite_admin.c), and `slate sql` runs SQL on the
 * decrypted database for an operator who holds the data directory and its
 * master key, as an auditor's question or a repair needs.
 *
 * `slate sql` is read-only unless --write is given; a write session is
 * audited as `db.sql` (never with its SQL, which may hold personal data).
 *
 * `slate accept-restore` is the operator's answer to a database refused as
 * rolled back (an older copy put back, store/sqlite.c): after a restore
 * from backup made on purpose, the file's commit counter becomes the
 * keystore's record (store_accept_restore), audited as `db.accept_restore`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "crypto/keyring.h"
#include "store/store.h"
#include "store/store_sqlite.h"

static const char migrate_help[] =
    "usage: slate migrate-encryption --data DIR [--key-file PATH] [--config FILE]\n"
    "\n"
    "Converts a plaintext DIR/slate.db (from a Slate before page encryption) into\n"
    "an encrypted one under a new database key in the keystore: the copy is written\n"
    "beside it, checked row by row, then put in its place, and the plaintext file\n"
    "is overwritten with zeros. Stop slate serve first; nothing changes when it\n"
    "runs or when any step fails. A database encrypted already is left alone.\n";

static const char sql_help[] =
    "usage: slate sql SQL --data DIR [--json] [--write] [--key-file PATH] [--config FILE]\n"
    "\n"
    "Runs SQL (one statement or several) on the decrypted DIR/slate.db, beside a\n"
    "running server, and prints each row as columns joined by '|', or with --json\n"
    "one JSON array of objects per statement. Read-only unless --write is given\n"
    "(audited as db.sql). `VACUUM INTO 'FILE'` writes an encrypted copy.\n";

int
cmd_migrate_encryption(int argc, char **argv)
{
	static const struct cli_flag flags[] = {
	    {"--data", "data", NULL, NULL},
	    {"--key-file", "key_file", NULL, NULL},
	    {NULL, NULL, NULL, NULL},
	};
	struct config c;
	struct keyring *keys = NULL;
	struct err e;
	char db[4096];
	int rc, done;

	rc = cli_config("migrate-encryption", argc, argv, flags, migrate_help, &c, &done);
	if (rc != EXIT_OK || done)
		goto out;
	rc = EXIT_FAIL;
	if ((keys = cli_open_data("migrate-encryption", &c, db, sizeof(db))) == NULL)
		goto out;
	switch (store_encrypt(db, keys, &e)) {
	case -1: cli_error("migrate-encryption", "%s", e.msg); goto out;
	case 1: printf("%s is encrypted already; nothing to do\n", db); break;
	default: {
		struct store *s = store_open(db, 0, keys, &e);
		if (s == NULL) {
			cli_error("migrate-encryption", "%s", e.msg);
			goto out;
		}
		cli_audit("migrate-encryption", s, "db.encrypt", "slate.db", NULL);
		store_close(s);
		printf("%s is encrypted\n", db);
	}
	}
	rc = EXIT_OK;
out:
	keyring_close(keys);
	config_free(&c);
	return rc;
}

static const char accept_help[] =
    "usage: slate accept-restore --data DIR [--key-file PATH] [--config FILE]\n"
    "\n"
    "Slate refuses a DIR/slate.db older than the keystore's record of it (its\n"
    "commit counter, raised at every checkpoint): someone put back an older copy.\n"
    "When you restored that copy from a backup on purpose, this records its\n"
    "counter in the keystore in place of the newer one, so it opens again. Stop\n"
    "slate serve first; the restore is audited as db.accept_restore.\n";

int
cmd_accept_restore(int argc, char **argv)
{
	static const struct cli_flag flags[] = {
	    {"--data", "data", NULL, NULL},
	    {"--key-file", "key_file", NULL, NULL},
	    {NULL, NULL, NULL, NULL},
	};
	struct config c;
	struct keyring *keys = NULL;
	struct store *s = NULL;
	struct err e;
	char db[4096];
	uint64_t was = 0, now = 0;
	int rc, done;

	rc = cli_config("accept-restore", argc, argv, flags, accept_help, &c, &done);
	if (rc != EXIT_OK || done)
		goto out;
	rc = EXIT_FAIL;
	if ((keys = cli_open_data("accept-restore", &c, db, sizeof(db))) == NULL)
		goto out;
	if (store_accept_restore(db, keys, &was, &now, &e) == -1 ||
	    (s = store_open(db, 0, keys, &e)) == NULL) {
		cli_error("accept-restore", "%s", e.msg);
		goto out;
	}
	cli_audit("accept-restore", s, "db.accept_restore", "slate.db", NULL);
	if (was > now)
		printf("%s accepted as restored: commit counter %llu (the keystore had %llu)\n", db,
		       (unsigned long long)now, (unsigned long long)was);
	else
		printf("%s was not older than the keystore's record; commit counter %llu\n", db,
		       (unsigned long long)now);
	rc = EXIT_OK;
out:
	store_close(s);
	keyring_close(keys);
	config_free(&c);
	return rc;
}

int
cmd_sql(int argc, char **argv)
{
	static int as_json, write;
	static const struct cli_flag flags[] = {
	    {"--data", "data", NULL, NULL},   {"--key-file", "key_file", NULL, NULL},
	    {"--json", NULL, &as_json, NULL}, {"--write", NULL, &write, NULL},
	    {NULL, NULL, NULL, NULL},
	};
	struct config c;
	struct store *s = NULL;
	struct keyring *keys = NULL;
	struct err e;
	const char *sql;
	int rc, done;

	if (argc > 0 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
		fputs(sql_help, stdout);
		return EXIT_OK;
	}
	if (argc < 1 || argv[0][0] == '-' || argv[0][0] == '\0') {
		cli_error("sql", "say what to run: slate sql 'SELECT …' --data DIR");
		return EXIT_USAGE;
	}
	sql = argv[0];
	rc = cli_config("sql", argc - 1, argv + 1, flags, sql_help, &c, &done);
	if (rc != EXIT_OK || done)
		goto out;
	rc = EXIT_FAIL;
	if ((s = cli_open_store("sql", &c, &keys)) == NULL)
		goto out;
	if (store_sql(s, sql, as_json, write, stdout, &e) == -1) {
		cli_error("sql", "%s", e.msg);
		goto out;
	}
	if (write)
		cli_audit("sql", s, "db.sql", "slate.db", NULL);
	rc = EXIT_OK;
out:
	store_close(s);
	keyring_close(keys);
	config_free(&c);
	return rc;
}

/*
 * sqlite_int.h — what the files of the SQLite store share: the connection
 * and the small helpers every query uses. Not for anyone outside
 * src/store/sqlite*.c; the rest of Slate sees only store.h.
 *
 * The files: sqlite.c (the connection, migrations, transactions, the
 * change counter, ids, the sealing helpers), sqlite_accounts.c (users,
 * sessions, sign-in state, second factors, API tokens, reset links),
 * sqlite_members.c (productions, memberships, invitations), sqlite_audit.c
 * (the audit log, the mail outbox), sqlite_attachment.c, and the older
 * sqlite_production.c, sqlite_carbon.c, sqlite_undo.c, sqlite_feed.c,
 * sqlite_names.c and sqlite_admin.c.
 */
#ifndef SLATE_STORE_SQLITE_INT_H
#define SLATE_STORE_SQLITE_INT_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "store/pagecrypt.h"
#include "util/err.h"

#define CACHE_SLOTS     256
/* How long a writer waits for its writer mutex (store_begin): the busy_timeout store_open sets. */
#define BUSY_TIMEOUT_MS 5000

/* What a sealed field whose envelope does not open reads as (it is logged too): store/seal.h. */
#define UNREADABLE "[unreadable]" /* = SEAL_UNREADABLE */

struct cached {
	const char *sql;
	sqlite3_stmt *st;
};

struct keyring;
struct store_user;

/* The columns sq_read_user() reads, in its order; every query that returns an account uses them. */
#define USER_COLS                                                                                  \
	"u.id, u.email_sealed, u.display_name, u.password_hash, u.must_change_password, "          \
	"u.is_instance_admin, u.disabled_at IS NOT NULL"

struct store {
	sqlite3 *db;
	char *path;
	struct keyring *keys; /* not owned */
	struct cached cache[CACHE_SLOTS];
	int writing; /* holds this process's writer mutex of the database (store_begin) */
	unsigned long long serial; /* this connection among the process's (store_generation); 0
	                              until first asked */
	/* store_generation: the data generation as last read, at data_version gen_dv */
	int gen_known;
	long long gen_dv, gen_data, gen_schema;
	long long quiet_changes; /* rows changed by quiet writes (sq_run_quiet in sqlite.c) */

	int keep_ids; /* store_keep_ids: creates keep the ids (and times) an import fills in */
	/*
	 * Person keys to destroy once the transaction that deleted their rows
	 * commits (sq_shred_after_commit): a rolled-back delete keeps its row,
	 * and the row must still open.
	 */
	char **shred;
	size_t nshred;
};

/*
 * Destroys key id now outside a transaction, else once the open transaction
 * commits (never when it rolls back): 0, or -1 with e set.
 */
int sq_shred_after_commit(struct store *s, const char *id, struct err *e);

/*
 * A new row's id into buf: the one already there while s->keep_ids is on and
 * buf holds one (an import, domain/import.c), else a fresh store_new_id.
 */
void sq_new_id(struct store *s, char *buf, size_t len, const char *prefix);

/* Fills e from the connection's last error (503 when busy, else 500); returns -1. */
int sq_db_err(struct store *s, struct err *e, const char *what);
/* A cached prepared statement for a string literal sql, reset and unbound. */
sqlite3_stmt *sq_prepare(struct store *s, const char *sql, struct err *e);
/* Column col as text into dst ("" for NULL). */
void sq_copy_col(sqlite3_stmt *st, int col, char *dst, size_t len);
/* A malloc'd envelope of value sealed under key_id for (table, column, row_id); NULL on error. */
char *sq_seal_text(struct store *s, const char *key_id, const char *table, const char *column,
                   const char *row_id, const char *value, struct err *e);
/* The opened envelope of column col into dst: "" when empty, KEYRING_ERASED, or UNREADABLE. */
void sq_unseal_col(struct store *s, sqlite3_stmt *st, int col, const char *table,
                   const char *column, const char *row_id, char *dst, size_t len);
/* Steps a one-row SELECT: 1 row (left for the caller to read and reset), 0 none, -1 error. */
int sq_one_row(struct store *s, sqlite3_stmt *st, const char *what, struct err *e);
/* Prepares sql (parameters: production id, row id) and steps to its one row: 1 (*out on it), 0, -1.
 */
int sq_row_in(struct store *s, const char *sql, const char *production_id, const char *id,
              const char *what, sqlite3_stmt **out, struct err *e);
/* Steps a SELECT COUNT(*)-style statement into *n. */
int sq_count_of(struct store *s, sqlite3_stmt *st, const char *what, long *n, struct err *e);
/* Steps a statement that returns no row: rows changed, or -1. */
int sq_run(struct store *s, sqlite3_stmt *st, const char *what, struct err *e);
/* Binds v, or NULL when v is NULL. */
void sq_bind_opt(sqlite3_stmt *st, int i, const char *v);
void sq_now_rfc3339(char *buf, size_t len);
/*
 * Sets the page-encryption key for the database at path (pagecrypt.h): the
 * key its page 1 names, or, when create is set and the file is new, a new
 * database id and key in keys. A plaintext file is refused.
 */
int sq_use_database_key(const char *path, int create, struct keyring *keys, struct err *e);
/* The epoch callback (pagecrypt_use_key_with): records a durable seal epoch in the keystore arg. */
void sq_record_epoch(void *arg, const unsigned char id[PAGECRYPT_ID_LEN], uint64_t epoch);
/*
 * Opens a connection to path: encrypted (vfs NULL, the default) with the
 * page reserve the seal needs, or through vfs as it is; temporary tables in
 * memory either way. *db is NULL after a failure, with e naming the file.
 */
int sq_connect(const char *path, int flags, const char *vfs, sqlite3 **db, struct err *e);
/* The blind index of an email (its normalised form under the index key) into out (sqlite.c). */
int sq_email_index(struct store *s, const char *email, char out[65], struct err *e);
/* An account from the USER_COLS columns of st starting at col (sqlite.c). */
void sq_read_user(struct store *s, sqlite3_stmt *st, int col, struct store_user *u);
/* The same; with_email 0 leaves u->email "" and opens nothing (sqlite.c). */
void sq_read_account(struct store *s, sqlite3_stmt *st, int col, struct store_user *u,
                     int with_email);
/* Runs a quiet write: its rows do not count as own changes (store_generation, sqlite.c). */
int sq_run_quiet(struct store *s, sqlite3_stmt *st, const char *what, struct err *e);
/* Spends a single-use link whose sql is keyed by key at now: 1 spent, 0 not live
   (sqlite_accounts.c). */
int sq_spend_once(struct store *s, const char *sql, const char *key, long long now,
                  const char *what, struct err *e);
/* Migration 0018: imports the factor sets Slate ships (sqlite_carbon.c). */
int sq_factors_seed(struct store *s, struct err *e);

#endif

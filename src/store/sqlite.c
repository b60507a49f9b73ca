/*
 * sqlite.c — the embedded store: store.h over SQLite 3.
 *
 * One struct store is one sqlite3 connection owned by one thread. The
 * database runs in WAL mode with synchronous=FULL (a committed write survives
 * power loss), busy_timeout so concurrent writers wait instead of failing,
 * foreign keys on, secure_delete on (freed pages are zeroed, so deleted
 * personal data does not linger in the file) and trusted_schema off.
 *
 * Writes take BEGIN IMMEDIATE: the write lock is held from the start of the
 * transaction, so a transaction never fails half way on SQLITE_BUSY when it
 * upgrades from reader to writer.
 *
 * Prepared statements are cached per connection, keyed by the address of
 * the SQL text: every statement is a string literal, so the address is a
 * stable identity and the lookup costs a pointer hash.
 *
 * Encryption: a store opened with a keystore is encrypted page by page
 * (pagecrypt.c) under the database key named by its page 1, with the
 * 32 bytes per page that the seal takes reserved and temporary tables kept
 * in memory, so no page ever reaches the disk in the clear. A plaintext
 * database is refused and named for `slate migrate-encryption`
 * (store_encrypt, sqlite_encrypt.c). Without a keystore (unit tests of
 * files written before encryption) the file is opened in the clear.
 *
 * Rollback: the VFS raises the file's seal epoch at every checkpoint and
 * tells sq_record_epoch, which records it in the keystore (db_epoch, after
 * the file is durable, so the record never leads the file). At open the
 * record is read first and the file's epoch second (a checkpoint of another
 * process between the two can only raise the file's): a file below the
 * record is an older copy put back, and is refused with one line naming it
 * and `slate accept-restore`, the operator's way to accept a restore made
 * on purpose (store_accept_restore). A keystore without a record for a
 * database whose file has no epoch either (both from before the epoch) gets
 * one; a record missing for a file that has an epoch is refused.
 *
 * Migrations: schema_migrations(version, name, applied_at) records each
 * applied step. store_open applies every pending step in one transaction, and
 * refuses a database whose newest version is above what this binary knows.
 */
#include <assert.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sodium.h>

#include "domain/factorzone.h"
#include "store/migration.h"
#include "store/pagecrypt.h"
#include "store/seal.h"
#include "store/store.h"
#include "store/sqlite_int.h"
#include "store/store_sqlite.h"
#include "crypto/keyring.h"
#include "util/email.h"
#include "util/log.h"
#include "util/str.h"
#include "util/timefmt.h"
#include "util/xalloc.h"
#include "util/nitems.h"

int
sq_db_err(struct store *s, struct err *e, const char *what)
{
	int code = sqlite3_extended_errcode(s->db);
	int status = (code & 0xff) == SQLITE_BUSY ? 503 : 500;
	const char *page = pagecrypt_last_error();
	if (page[0] != '\0') /* names the file and page */
		return err_set(e, status, "%s", page);
	return err_set(e, status, "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}
sqlite3_stmt *
sq_prepare(struct store *s, const char *sql, struct err *e)
{
	uintptr_t h = ((uintptr_t)sql >> 3) % CACHE_SLOTS;

	for (size_t i = 0; i < CACHE_SLOTS; i++) {
		struct cached *c = &s->cache[(h + i) % CACHE_SLOTS];
		if (c->sql == sql) {
			sqlite3_reset(c->st);
			sqlite3_clear_bindings(c->st);
			return c->st;
		}
		if (c->sql == NULL) {
			if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &c->st,
			                       NULL) != SQLITE_OK) {
				sq_db_err(s, e, "prepare");
				return NULL;
			}
			c->sql = sql;
			return c->st;
		}
	}
	/* Cache full (more distinct statements than slots): not expected; fail loudly. */
	err_set(e, 500, "%s: statement cache full", s->path);
	return NULL;
}
static int
exec(struct store *s, const char *sql, struct err *e)
{
	char *msg = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		const char *page = pagecrypt_last_error();
		if (page[0] != '\0')
			err_set(e, 500, "%s", page);
		else
			err_set(e, 500, "%s: %s", s->path, msg ? msg : "error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}
void
sq_copy_col(sqlite3_stmt *st, int col, char *dst, size_t len)
{
	const unsigned char *v = sqlite3_column_text(st, col);
	str_copy(dst, len, v ? (const char *)v : "");
}
const char *const store_departments_default[] = {
    "Production", "Direction/AD", "Camera",  "Grip",           "Electric",
    "Sound",      "Art",          "Costume", "Hair & Make-up", "Locations",
    "Transport",  "Catering",     "Cast",    "Post",           NULL,
};
/*
 * Seals value for its place under key_id (store/seal.h): a malloc'd
 * envelope, or NULL with e filled.
 */
char *
sq_seal_text(struct store *s, const char *key_id, const char *table, const char *column,
             const char *row_id, const char *value, struct err *e)
{
	return seal_text(s->keys, key_id, table, column, row_id, value, e);
}
/*
 * Copies the opened envelope in column col of st into dst (seal_open_text):
 * a destroyed key reads as KEYRING_ERASED; an envelope that does not open
 * (altered on disk, moved from another row) reads as UNREADABLE and is
 * logged, so damaged data is never passed on as if it were true.
 */
void
sq_unseal_col(struct store *s, sqlite3_stmt *st, int col, const char *table, const char *column,
              const char *row_id, char *dst, size_t len)
{
	const unsigned char *v = sqlite3_column_text(st, col);
	struct keyring_snap snap;
	struct err e;
	const struct keyring_snap *keys = NULL;

	if (v != NULL && v[0] != '\0' && s->keys != NULL) {
		if (keyring_snap_begin(s->keys, &snap, &e) == 0)
			keys = &snap;
		else
			log_event(LOG_ERROR, "the keystore cannot be read", LOG_STR("error", e.msg),
			          LOG_END);
	}
	seal_open_text(keys, table, column, row_id, (const char *)v, dst, len);
}
/* The blind index of an email address (normalised first). */
int
sq_email_index(struct store *s, const char *email, char out[65], struct err *e)
{
	return seal_email_index(s->keys, email, out, e);
}

/*
 * The account in USER_COLS at col; with_email 0 leaves u->email "" and opens
 * nothing: the lookups that run on every request (the caller's session, their
 * standing in a production) read no email, which only the answers that show
 * it read (store_user_email).
 */
void
sq_read_account(struct store *s, sqlite3_stmt *st, int col, struct store_user *u, int with_email)
{
	sq_copy_col(st, col, u->id, sizeof(u->id));
	if (with_email)
		sq_unseal_col(s, st, col + 1, "app_user", "email", u->id, u->email,
		              sizeof(u->email));
	else
		u->email[0] = '\0';
	sq_copy_col(st, col + 2, u->display_name, sizeof(u->display_name));
	sq_copy_col(st, col + 3, u->password_hash, sizeof(u->password_hash));
	u->must_change_password = sqlite3_column_int(st, col + 4);
	u->is_instance_admin = sqlite3_column_int(st, col + 5);
	u->disabled = sqlite3_column_int(st, col + 6);
}

void
sq_read_user(struct store *s, sqlite3_stmt *st, int col, struct store_user *u)
{
	sq_read_account(s, st, col, u, 1);
}

int
store_user_email(struct store *s, const char *user_id, char *out, size_t len, struct err *e)
{
	static const char sql[] = "SELECT email_sealed FROM app_user WHERE id = ?";
	sqlite3_stmt *st;
	int rc;

	if ((st = sq_prepare(s, sql, e)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
	if ((rc = sq_one_row(s, st, "read an account's email", e)) == 1) {
		sq_unseal_col(s, st, 0, "app_user", "email", user_id, out, len);
		sqlite3_reset(st);
	}
	return rc;
}

/* Steps a one-row SELECT: 1 row (read by fn), 0 none, -1 error. */
int
sq_one_row(struct store *s, sqlite3_stmt *st, const char *what, struct err *e)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return 1;
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 0;
	return sq_db_err(s, e, what);
}
/*
 * Prepares sql (its two parameters: production id, row id) and steps to its
 * one row: 1 with *out positioned on it (the caller reads and resets), 0
 * none, -1 error. Every "one record of this production" read starts here.
 */
int
sq_row_in(struct store *s, const char *sql, const char *production_id, const char *id,
          const char *what, sqlite3_stmt **out, struct err *e)
{
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	*out = st;
	return sq_one_row(s, st, what, e);
}
/* Steps a bound SELECT COUNT(*)-style statement into *n. */
int
sq_count_of(struct store *s, sqlite3_stmt *st, const char *what, long *n, struct err *e)
{
	int rc = sq_one_row(s, st, what, e);
	if (rc != 1)
		return rc == 0 ? sq_db_err(s, e, what) : -1;
	*n = (long)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}
/* Steps a statement that returns no row; returns the number of rows changed or -1. */
int
sq_run(struct store *s, sqlite3_stmt *st, const char *what, struct err *e)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return sq_db_err(s, e, what);
	return sqlite3_changes(s->db);
}
void
sq_bind_opt(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}
void
sq_now_rfc3339(char *buf, size_t len)
{
	char t[TIMEFMT_LEN];
	time_rfc3339(time(NULL), t);
	snprintf(buf, len, "%s", t);
}
int
store_known_version(void)
{
	return store_migrations[store_nmigrations - 1].version;
}
int
store_schema_version(struct store *s, int *version, struct err *e)
{
	static const char sql[] = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW)
		return sq_db_err(s, e, "schema version");
	*version = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return 0;
}
/* The migration whose rows come from code: the factor sets (0018_emission_factors.sql). */
#define MIGRATION_FACTOR_SETS 18
/*
 * The data generation (migration 0022, store_generation): every table but
 * the exempt ones (audit_event, data_generation, schema_migrations, and
 * backup_sentinel: a restore drill's row is no data, a drill moves no
 * cache) gets an insert, an update and a delete trigger that move
 * data_generation.n, unless it has one of that name already (the special
 * update triggers of session and api_token, written by 0022). Runs inside
 * migrate's transaction at every open, so a table a later migration adds or
 * rebuilds is covered the first time a binary that has it opens the file.
 */
static int
generation_triggers(struct store *s, struct err *e)
{
	static const char missing[] =
	    "SELECT t.name, o.op FROM sqlite_schema t, (SELECT 'insert' AS op UNION ALL "
	    "SELECT 'update' UNION ALL SELECT 'delete') o WHERE t.type = 'table' "
	    "AND t.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND t.name NOT IN ('audit_event', "
	    "'data_generation', 'schema_migrations', 'backup_sentinel') AND NOT EXISTS (SELECT 1 "
	    "FROM "
	    "sqlite_schema g WHERE g.type = 'trigger' AND g.name = 'datagen_' || t.name || '_' || "
	    "o.op) AND EXISTS (SELECT 1 FROM sqlite_schema d WHERE d.type = 'table' AND "
	    "d.name = 'data_generation')";
	sqlite3_stmt *st = sq_prepare(s, missing, e);
	char(*wanted)[2][64] = NULL;
	size_t n = 0, cap = 0;
	int rc = -1, step;

	if (st == NULL)
		return -1;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		const char *op = (const char *)sqlite3_column_text(st, 1);
		if (t == NULL || strlen(t) >= sizeof(wanted[0][0]) ||
		    strspn(t, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(t)) {
			err_set(e, 500,
			        "%s: table %s: a name the data generation cannot trigger on",
			        s->path, t ? t : "?");
			goto out;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			wanted = xrealloc(wanted, cap * sizeof(*wanted));
		}
		snprintf(wanted[n][0], sizeof(wanted[n][0]), "%s", t);
		snprintf(wanted[n][1], sizeof(wanted[n][1]), "%s", op);
		n++;
	}
	if (step != SQLITE_DONE) {
		sq_db_err(s, e, "list data generation triggers");
		goto out;
	}
	sqlite3_reset(st);
	for (size_t i = 0; i < n; i++) {
		char sql[384];
		snprintf(sql, sizeof(sql),
		         "CREATE TRIGGER datagen_%s_%s AFTER %s ON %s BEGIN UPDATE data_generation "
		         "SET n = n + 1 WHERE id = 1; END",
		         wanted[i][0], wanted[i][1], wanted[i][1], wanted[i][0]);
		if (exec(s, sql, e) == -1)
			goto out;
	}
	rc = 0;
out:
	sqlite3_reset(st);
	free(wanted);
	return rc;
}
static int
migrate(struct store *s, struct err *e)
{
	static const char record[] =
	    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)";
	int have = 0;
	char now[32];

	if (exec(s,
	         "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
	         "name TEXT NOT NULL, applied_at TEXT NOT NULL)",
	         e) == -1)
		return -1;
	if (store_begin(s, e) == -1)
		return -1;
	if (store_schema_version(s, &have, e) == -1)
		goto fail;
	if (have > store_known_version()) {
		err_set(e, 500,
		        "%s: database schema version %d is newer than this slate knows (%d); "
		        "run a newer slate",
		        s->path, have, store_known_version());
		goto fail;
	}
	sq_now_rfc3339(now, sizeof(now));
	for (size_t i = 0; i < store_nmigrations; i++) {
		const struct migration *m = &store_migrations[i];
		sqlite3_stmt *st;
		if (m->version <= have)
			continue;
		if (exec(s, m->sql, e) == -1)
			goto fail;
		if (m->version == MIGRATION_FACTOR_SETS && sq_factors_seed(s, e) == -1)
			goto fail;
		if ((st = sq_prepare(s, record, e)) == NULL)
			goto fail;
		sqlite3_bind_int(st, 1, m->version);
		sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sq_db_err(s, e, "record migration");
			goto fail;
		}
		sqlite3_reset(st);
	}
	if (generation_triggers(s, e) == -1)
		goto fail;
	return store_commit(s, e);
fail:
	store_rollback(s);
	return -1;
}
/*
 * Rows written before migration 0010 hold personal data in the clear: seal
 * them (and index account emails) in one transaction. Runs at every open
 * with the keystore; finds nothing to do once done.
 */
struct legacy {
	const char *select, *update, *table, *column,
	    *key; /* key NULL: the row's own (person) key */
	int index_email;
};
static const struct legacy legacy_columns[] = {
    {"SELECT id, email_sealed FROM app_user WHERE email_sealed NOT LIKE 'sf1.%'",
     "UPDATE app_user SET email_sealed = ?1, email_index = ?3 WHERE id = ?2", "app_user", "email",
     NULL, 1},
    {"SELECT user_id, secret FROM mfa_totp WHERE secret NOT LIKE 'sf1.%'",
     "UPDATE mfa_totp SET secret = ?1 WHERE user_id = ?2", "mfa_totp", "secret", NULL, 0},
    {"SELECT id, email_sealed FROM invitation WHERE email_sealed NOT LIKE 'sf1.%'",
     "UPDATE invitation SET email_sealed = ?1 WHERE id = ?2", "invitation", "email",
     KEYRING_INSTANCE, 0},
    /* an empty address or body is one retention emptied (store_retention_outbox): nothing to
       seal, and sealing it would put an envelope back where the content was removed */
    {"SELECT id, to_addr FROM outbox WHERE to_addr <> '' AND to_addr NOT LIKE 'sf1.%'",
     "UPDATE outbox SET to_addr = ?1 WHERE id = ?2", "outbox", "to_addr", KEYRING_INSTANCE, 0},
    {"SELECT id, body FROM outbox WHERE body <> '' AND body NOT LIKE 'sf1.%'",
     "UPDATE outbox SET body = ?1 WHERE id = ?2", "outbox", "body", KEYRING_INSTANCE, 0},
};
/* Whether any row still waits to be sealed: a read, so an up-to-date database takes no write lock.
 */
static int
legacy_rows_left(struct store *s)
{
	for (size_t i = 0; i < nitems(legacy_columns); i++) {
		sqlite3_stmt *st = NULL;
		int rc =
		    sqlite3_prepare_v2(s->db, legacy_columns[i].select, -1, &st, NULL) == SQLITE_OK
		        ? sqlite3_step(st)
		        : SQLITE_ERROR;
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return 1; /* a row, or an error the sealing pass will report */
	}
	return 0;
}
static int
seal_legacy_rows(struct store *s, struct err *e)
{
	if (!legacy_rows_left(s))
		return 0;
	if (store_begin(s, e) == -1)
		return -1;
	for (size_t i = 0; i < nitems(legacy_columns); i++) {
		const struct legacy *l = &legacy_columns[i];
		sqlite3_stmt *sel = NULL, *upd = NULL;
		int rc;
		if (sqlite3_prepare_v2(s->db, l->select, -1, &sel, NULL) != SQLITE_OK ||
		    sqlite3_prepare_v2(s->db, l->update, -1, &upd, NULL) != SQLITE_OK) {
			sq_db_err(s, e, "seal older rows");
			sqlite3_finalize(sel);
			goto fail;
		}
		while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
			const char *id = (const char *)sqlite3_column_text(sel, 0);
			const char *v = (const char *)sqlite3_column_text(sel, 1);
			char idx[65] = "", *sealed;
			if ((l->key == NULL && keyring_create(s->keys, id, "person", e) == -1) ||
			    (l->index_email && sq_email_index(s, v, idx, e) == -1) ||
			    (sealed = sq_seal_text(s, l->key ? l->key : id, l->table, l->column, id,
			                           v, e)) == NULL)
				rc = SQLITE_ERROR;
			else {
				sqlite3_reset(upd);
				sqlite3_bind_text(upd, 1, sealed, -1, SQLITE_TRANSIENT);
				sqlite3_bind_text(upd, 2, id, -1, SQLITE_TRANSIENT);
				if (l->index_email)
					sqlite3_bind_text(upd, 3, idx, -1, SQLITE_TRANSIENT);
				free(sealed);
				if (sqlite3_step(upd) != SQLITE_DONE)
					rc = sq_db_err(s, e, "seal an older row") == -1
					         ? SQLITE_ERROR
					         : rc;
			}
			if (rc != SQLITE_ROW)
				break;
		}
		sqlite3_finalize(sel);
		sqlite3_finalize(upd);
		if (rc != SQLITE_DONE) {
			if (rc != SQLITE_ERROR)
				sq_db_err(s, e, "read older rows");
			goto fail;
		}
	}
	return store_commit(s, e);
fail:
	store_rollback(s);
	return -1;
}
void
sq_record_epoch(void *arg, const unsigned char id[PAGECRYPT_ID_LEN], uint64_t epoch)
{
	struct keyring *keys = arg;
	char kid[PAGECRYPT_KEY_ID_LEN + 1];
	struct err e;

	pagecrypt_key_id(id, kid);
	/* the checkpoint is durable already: a record that fails only weakens the next check */
	if (keyring_epoch_record(keys, kid, epoch, 0, &e) == -1)
		log_event(LOG_WARN,
		          "the database's commit counter was not recorded in the keystore",
		          LOG_STR("key", kid), LOG_STR("reason", e.msg), LOG_END);
}
/* A file older than the keystore's record of it is refused (see the top of this file). */
static int
check_epoch(const char *path, const char *kid, struct keyring *keys, struct err *e)
{
	uint64_t recorded = 0, now = 0;
	int had;

	if ((had = keyring_epoch_get(keys, kid, &recorded, e)) == -1 ||
	    pagecrypt_epoch(path, &now, e) == -1)
		return -1;
	if (had == 0 && now > 0)
		return err_set(e, 500,
		               "%s has commit counter %llu but the keystore holds no record of it: "
		               "keys.db was rolled back or altered (if you restored it on purpose, "
		               "run slate accept-restore)",
		               path, (unsigned long long)now);
	if (had == 0)
		return keyring_epoch_record(keys, kid, 0, 0, e);
	if (now < recorded)
		return err_set(
		    e, 500,
		    "%s was rolled back: an older copy of the file was put back (commit "
		    "counter %llu, the keystore recorded %llu); if you restored it from a "
		    "backup on purpose, run slate accept-restore",
		    path, (unsigned long long)now, (unsigned long long)recorded);
	return 0;
}
int
sq_use_database_key(const char *path, int create, struct keyring *keys, struct err *e)
{
	unsigned char id[PAGECRYPT_ID_LEN];
	char kid[PAGECRYPT_KEY_ID_LEN + 1];
	struct secret k;
	int kind;

	if (pagecrypt_register(e) == -1)
		return -1;
	if ((kind = pagecrypt_probe(path, id, e)) == -1 && !(create && e->status == 404))
		return -1;
	if (kind == 0)
		return err_set(e, 500,
		               "%s is not encrypted: stop Slate and run slate migrate-encryption",
		               path);
	if (kind == -1)
		randombytes_buf(id, sizeof(id));
	pagecrypt_key_id(id, kid);
	if (keyring_export(keys, kid, kind == -1, &k, e) == -1) {
		if (e->status == 404)
			err_set(e, 500,
			        "%s is encrypted under database key %s, which this keystore lacks",
			        path, kid);
		return -1;
	}
	pagecrypt_use_key_with(k.p, id, sq_record_epoch, keys);
	secret_free(&k);
	/* a new database is recorded before its first page is written */
	return kind == -1 ? keyring_epoch_record(keys, kid, 0, 0, e)
	                  : check_epoch(path, kid, keys, e);
}
/*
 * When backups ship the WAL (backup/ship.c), Slate owns checkpoints: no
 * connection checkpoints on its own (automatic checkpoints off, none at
 * close), so no frame leaves the WAL before the shipper has it safe.
 */
static atomic_int own_checkpoints;
static store_commit_hook_fn commit_hook;

void
store_sqlite_own_checkpoints(int on, store_commit_hook_fn hook)
{
	atomic_store(&own_checkpoints, on);
	commit_hook = hook;
}

int
store_sqlite_owns_checkpoints(void)
{
	return atomic_load(&own_checkpoints);
}

int
store_sqlite_hold_checkpoints(sqlite3 *db)
{
	int ok = 1;
	if (!atomic_load(&own_checkpoints))
		return 0;
	if (sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, &ok) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA wal_autocheckpoint=0; PRAGMA journal_size_limit=4194304", NULL,
	                 NULL, NULL) != SQLITE_OK)
		return -1;
	if (commit_hook != NULL)
		sqlite3_wal_hook(db, commit_hook, NULL);
	return 0;
}

int
sq_connect(const char *path, int flags, const char *vfs, sqlite3 **db, struct err *e)
{
	struct stat st;
	const char *page;
	int n = PAGECRYPT_RESERVE, fresh = stat(path, &st) == -1 || st.st_size == 0;

	/* A new encrypted file is given its page size and reserve before its first page is written.
	 */
	if (sqlite3_open_v2(path, db, flags, vfs) == SQLITE_OK &&
	    sqlite3_exec(*db, "PRAGMA temp_store=MEMORY", NULL, NULL, NULL) == SQLITE_OK &&
	    store_sqlite_hold_checkpoints(*db) != -1 &&
	    (vfs != NULL || !fresh ||
	     (sqlite3_file_control(*db, "main", SQLITE_FCNTL_RESERVE_BYTES, &n) == SQLITE_OK &&
	      sqlite3_exec(*db, "PRAGMA page_size=4096", NULL, NULL, NULL) == SQLITE_OK)))
		return 0;
	page = pagecrypt_last_error();
	err_set(e, 500, "cannot open database %s: %s", path,
	        page[0] ? page
	        : *db   ? sqlite3_errmsg(*db)
	                : "out of memory");
	sqlite3_close(*db);
	*db = NULL;
	return -1;
}
struct store *
store_open(const char *path, int create, struct keyring *keys, struct err *e)
{
	struct store *s = xcalloc(1, sizeof(*s));
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;

	if (create)
		flags |= SQLITE_OPEN_CREATE;
	s->path = xstrdup(path);
	s->keys = keys;
	if ((keys != NULL && sq_use_database_key(path, create, keys, e) == -1) ||
	    sq_connect(path, flags, keys != NULL ? NULL : PAGECRYPT_PLAIN_VFS, &s->db, e) == -1)
		goto fail;
	sqlite3_busy_timeout(s->db, 5000);
	sqlite3_extended_result_codes(s->db, 1);
	if (exec(s,
	         "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
	         "PRAGMA secure_delete=ON; PRAGMA trusted_schema=OFF;",
	         e) == -1)
		goto fail;
	if (create)
		chmod(path, 0600);
	if (migrate(s, e) == -1)
		goto fail;
	if (keys != NULL && seal_legacy_rows(s, e) == -1)
		goto fail;
	return s;
fail:
	store_close(s);
	return NULL;
}
static void shred_pending(struct store *s, int shred);
void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	shred_pending(s, 0); /* a transaction left open rolls back with the connection */
	for (size_t i = 0; i < CACHE_SLOTS; i++)
		if (s->cache[i].st != NULL)
			sqlite3_finalize(s->cache[i].st);
	sqlite3_close(s->db);
	free(s->path);
	free(s);
}
int
store_ping(struct store *s, struct err *e)
{
	static const char sql[] = "SELECT 1 FROM schema_migrations LIMIT 1";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;
	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_db_err(s, e, "ping");
	return 0;
}
/*
 * The writers of this process queue for a database on one of these
 * mutexes (by the file's path) before BEGIN IMMEDIATE, and leave at COMMIT
 * or ROLLBACK. Without them, a loop thread that found the write lock taken
 * slept in SQLite's busy handler (1, 2, 5 … 100 ms between tries) with every
 * connection it serves, while the other thread took the lock again and
 * again; a mutex hands the lock over the moment it is free. SQLite's busy
 * timeout still covers writers in other processes (`slate` on the command
 * line) and single-statement writes. A writer that cannot have its mutex
 * within busy_timeout goes on without it (and SQLite decides), so a
 * transaction left open by mistake cannot stop every writer for good.
 */
#define WRITER_STRIPES 8
static pthread_mutex_t writers[WRITER_STRIPES] = {
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
};
static pthread_mutex_t *
writer_of(const struct store *s)
{
	uint32_t h = 2166136261u;
	for (const char *p = s->path; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return &writers[h % WRITER_STRIPES];
}
static void
writer_leave(struct store *s)
{
	if (s->writing && sqlite3_get_autocommit(s->db)) {
		s->writing = 0;
		pthread_mutex_unlock(writer_of(s));
	}
}
int
store_begin(struct store *s, struct err *e)
{
	if (!s->writing && sqlite3_get_autocommit(s->db)) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += BUSY_TIMEOUT_MS / 1000;
		s->writing = pthread_mutex_timedlock(writer_of(s), &until) == 0;
	}
	if (exec(s, "BEGIN IMMEDIATE", e) == -1) {
		writer_leave(s);
		return -1;
	}
	return 0;
}
/* Forgets the keys waiting for a commit; destroys them first when shred is set. */
static void
shred_pending(struct store *s, int shred)
{
	for (size_t i = 0; i < s->nshred; i++) {
		struct err e;
		if (shred && keyring_destroy(s->keys, s->shred[i], &e) == -1)
			/* the row is gone and cannot be read through the API; the key
			   outlives it until `slate keys shred-person` */
			log_event(LOG_ERROR, "a deleted record's key was not destroyed",
			          LOG_STR("key", s->shred[i]), LOG_STR("error", e.msg), LOG_END);
		free(s->shred[i]);
	}
	free(s->shred);
	s->shred = NULL;
	s->nshred = 0;
}
int
sq_shred_after_commit(struct store *s, const char *id, struct err *e)
{
	if (s->keys == NULL)
		return 0;
	if (sqlite3_get_autocommit(s->db))
		return keyring_destroy(s->keys, id, e) == -1 ? -1 : 0;
	s->shred = xrealloc(s->shred, (s->nshred + 1) * sizeof(*s->shred));
	s->shred[s->nshred++] = xstrdup(id);
	return 0;
}
int
store_commit(struct store *s, struct err *e)
{
	int rc = exec(s, "COMMIT", e);
	writer_leave(s);
	shred_pending(s, rc == 0);
	return rc;
}
void
store_rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	writer_leave(s);
	shred_pending(s, 0);
}
/* Rows this connection changed, less those of quiet writes (audit events, touches). */
static long long
own_changes(struct store *s)
{
	long long n = (long long)sqlite3_total_changes64(s->db) - s->quiet_changes;
	assert(n >= 0);
	return n;
}
/* Runs a quiet write (one that changes nothing a cache holds): its rows are not own changes. */
int
sq_run_quiet(struct store *s, sqlite3_stmt *st, const char *what, struct err *e)
{
	long long before = (long long)sqlite3_total_changes64(s->db);
	int rc = sq_run(s, st, what, e);
	s->quiet_changes += (long long)sqlite3_total_changes64(s->db) - before;
	return rc;
}
int
store_generation(struct store *s, struct store_gen *g, struct err *e)
{
	static atomic_ullong serials;
	static const char version[] = "PRAGMA data_version";
	static const char counter[] =
	    "SELECT n, (SELECT schema_version FROM pragma_schema_version) FROM data_generation "
	    "WHERE id = 1";
	sqlite3_stmt *st = sq_prepare(s, version, e);
	long long dv;
	int rc;

	if (st == NULL)
		return -1;
	if (s->serial == 0) /* a number no other connection of this process has had or will have */
		s->serial = atomic_fetch_add(&serials, 1) + 1;
	if (!sqlite3_get_autocommit(s->db)) {
		/* inside a transaction data_version stands still: no generation to give */
		return err_set(e, 500, "%s: a generation is taken outside a transaction", s->path);
	}
	if ((rc = sq_one_row(s, st, "read data_version", e)) != 1)
		return rc == 0 ? err_set(e, 500, "%s: no data_version", s->path) : -1;
	dv = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	/*
	 * data_version first, the counter second: a commit between the two makes the counter newer
	 * than the data_version kept with it, never older, so the next call reads it again.
	 */
	if (!s->gen_known || dv != s->gen_dv) {
		if ((st = sq_prepare(s, counter, e)) == NULL)
			return -1;
		if ((rc = sq_one_row(s, st, "read the data generation", e)) != 1)
			return rc == 0 ? err_set(e, 500, "%s: no data generation", s->path) : -1;
		s->gen_data = sqlite3_column_int64(st, 0);
		s->gen_schema = sqlite3_column_int64(st, 1);
		sqlite3_reset(st);
		s->gen_dv = dv;
		s->gen_known = 1;
	}
	g->store = s->serial;
	g->data = s->gen_data;
	g->schema = s->gen_schema;
	g->changes = own_changes(s);
	return 0;
}
int
store_generation_own_same(struct store *s, const struct store_gen *g)
{
	return s->serial != 0 && g->store == s->serial && own_changes(s) == g->changes;
}
void
store_new_id(char *buf, size_t len, const char *prefix)
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
	unsigned char r[16];
	size_t n = 0;
	unsigned acc = 0, bits = 0;

	randombytes_buf(r, sizeof(r));
	n = (size_t)snprintf(buf, len, "%s_", prefix);
	for (size_t i = 0; i < sizeof(r) && n + 1 < len; i++) {
		acc = (acc << 8) | r[i];
		bits += 8;
		while (bits >= 5 && n + 1 < len) {
			buf[n++] = alphabet[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0 && n + 1 < len) /* the last 3 bits */
		buf[n++] = alphabet[(acc << (5 - bits)) & 31];
	buf[n] = '\0';
}
void
store_keep_ids(struct store *s, int on)
{
	s->keep_ids = on != 0;
}
int
store_id_in_use(struct store *s, const char *id, struct err *e)
{
	/* literal statements: sq_prepare caches by the string's address */
	static const struct {
		const char *prefix, *sql;
	} tables[] = {
	    {"prd_", "SELECT 1 FROM production WHERE id = ?"},
	    {"dep_", "SELECT 1 FROM department WHERE id = ?"},
	    {"mem_", "SELECT 1 FROM membership WHERE id = ?"},
	    {"per_", "SELECT 1 FROM person WHERE id = ?"},
	    {"loc_", "SELECT 1 FROM location WHERE id = ?"},
	    {"day_", "SELECT 1 FROM shoot_day WHERE id = ?"},
	    {"scn_", "SELECT 1 FROM scene WHERE id = ?"},
	    {"cs_", "SELECT 1 FROM callsheet WHERE id = ?"},
	    {"cen_", "SELECT 1 FROM carbon_entry WHERE id = ?"},
	    {"att_", "SELECT 1 FROM attachment WHERE id = ?"},
	};
	for (size_t i = 0; i < nitems(tables); i++) {
		sqlite3_stmt *st;
		int rc;
		if (strncmp(id, tables[i].prefix, strlen(tables[i].prefix)) != 0)
			continue;
		if ((st = sq_prepare(s, tables[i].sql, e)) == NULL)
			return -1;
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return sq_db_err(s, e, "look up an id");
		return rc == SQLITE_ROW;
	}
	return 0;
}
void
sq_new_id(struct store *s, char *buf, size_t len, const char *prefix)
{
	if (s->keep_ids && buf[0] != '\0')
		return;
	store_new_id(buf, len, prefix);
}

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
#include "domain/throttle.h"
#include "store/seal.h"
#include "store/store.h"
#include "store/sqlite_int.h"
#include "crypto/keyring.h"
#include "util/email.h"
#include "util/log.h"
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
	snprintf(dst, len, "%s", v ? (const char *)v : "");
}

const char *const store_departments_default[] = {
    "Production", "Direction/AD", "Camera",  "Grip",           "Electric",
    "Sound",      "Art",          "Costume", "Hair & Make-up", "Locations",
    "Transport",  "Catering",     "Cast",    "Post",           NULL,
};

/* The columns read_user() reads, in its order; every query that returns an account uses them. */
#define USER_COLS                                                                                  \
	"u.id, u.email_sealed, u.display_name, u.password_hash, u.must_change_password, "          \
	"u.is_instance_admin, u.disabled_at IS NOT NULL"

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
static int
email_index(struct store *s, const char *email, char out[65], struct err *e)
{
	return seal_email_index(s->keys, email, out, e);
}

/*
 * The account in USER_COLS at col; with_email 0 leaves u->email "" and opens
 * nothing: the lookups that run on every request (the caller's session, their
 * standing in a production) read no email, which only the answers that show
 * it read (store_user_email).
 */
static void
read_account(struct store *s, sqlite3_stmt *st, int col, struct store_user *u, int with_email)
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

static void
read_user(struct store *s, sqlite3_stmt *st, int col, struct store_user *u)
{
	read_account(s, st, col, u, 1);
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
 * the exempt ones gets an insert, an update and a delete trigger that move
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
	    "'data_generation', 'schema_migrations') AND NOT EXISTS (SELECT 1 FROM "
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
		if (m->version == MIGRATION_FACTOR_SETS && store_factors_seed(s, e) == -1)
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
    {"SELECT id, to_addr FROM outbox WHERE to_addr NOT LIKE 'sf1.%'",
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
			    (l->index_email && email_index(s, v, idx, e) == -1) ||
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
store_use_database_key(const char *path, int create, struct keyring *keys, struct err *e)
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

int
store_connect(const char *path, int flags, const char *vfs, sqlite3 **db, struct err *e)
{
	struct stat st;
	const char *page;
	int n = PAGECRYPT_RESERVE, fresh = stat(path, &st) == -1 || st.st_size == 0;

	/* A new encrypted file is given its page size and reserve before its first page is written.
	 */
	if (sqlite3_open_v2(path, db, flags, vfs) == SQLITE_OK &&
	    sqlite3_exec(*db, "PRAGMA temp_store=MEMORY", NULL, NULL, NULL) == SQLITE_OK &&
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
	if ((keys != NULL && store_use_database_key(path, create, keys, e) == -1) ||
	    store_connect(path, flags, keys != NULL ? NULL : PAGECRYPT_PLAIN_VFS, &s->db, e) == -1)
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

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
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

int
store_commit(struct store *s, struct err *e)
{
	int rc = exec(s, "COMMIT", e);
	writer_leave(s);
	return rc;
}

void
store_rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	writer_leave(s);
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
static int
run_quiet(struct store *s, sqlite3_stmt *st, const char *what, struct err *e)
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

int
store_user_create(struct store *s, struct store_user *u, struct err *e)
{
	static const char sql[] =
	    "INSERT INTO app_user (id, email_sealed, email_index, display_name, password_hash, "
	    "must_change_password, is_instance_admin, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	char idx[65], now[32], *sealed;
	int rc;

	if (st == NULL)
		return -1;
	store_new_id(u->id, sizeof(u->id), "usr");
	if (email_index(s, u->email, idx, e) == -1)
		return -1;
	/* The key first: a key without its row is harmless, a row without its key is lost. */
	if (keyring_create(s->keys, u->id, "person", e) == -1)
		return -1;
	if ((sealed = sq_seal_text(s, u->id, "app_user", "email", u->id, u->email, e)) == NULL)
		return -1;
	sq_now_rfc3339(now, sizeof(now));
	sqlite3_bind_text(st, 1, u->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, sealed, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, idx, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, u->display_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, u->password_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, u->must_change_password);
	sqlite3_bind_int(st, 7, u->is_instance_admin);
	sqlite3_bind_text(st, 8, now, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	free(sealed);
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		return err_set(e, 409, "a user with that email exists");
	if (rc != SQLITE_DONE)
		return sq_db_err(s, e, "create user");
	return 0;
}

int
store_production_create(struct store *s, struct store_production *p, struct err *e)
{
	static const char sql[] =
	    "INSERT INTO production (id, name, timezone, created_at) VALUES (?, ?, ?, ?)";
	static const char dept[] =
	    "INSERT INTO department (id, production_id, name, position) VALUES (?, ?, ?, ?)";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	char now[32], id[STORE_ID_LEN + 8];

	if (st == NULL)
		return -1;
	sq_new_id(s, p->id, sizeof(p->id), "prd");
	if (s->keys != NULL && keyring_create(s->keys, p->id, "production", e) == -1)
		return -1;
	sq_now_rfc3339(now, sizeof(now));
	sqlite3_bind_text(st, 1, p->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, p->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, p->timezone, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
	if (sq_run(s, st, "create production", e) == -1)
		return -1;
	for (int i = 0; !s->keep_ids && store_departments_default[i] != NULL; i++) {
		if ((st = sq_prepare(s, dept, e)) == NULL)
			return -1;
		store_new_id(id, sizeof(id), "dep");
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, p->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, store_departments_default[i], -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 4, i);
		if (sq_run(s, st, "create department", e) == -1)
			return -1;
	}
	/* its factor set follows where it shoots (domain/factorzone.h), chosen once, here */
	{
		struct store_carbon_settings cs = {.include_rf = 1, .budget_g = -1};
		snprintf(cs.factor_set, sizeof(cs.factor_set), "%s",
		         factorzone_default_set(p->timezone));
		if (store_carbon_settings_put(s, p->id, &cs, e) == -1)
			return -1;
	}
	return 0;
}

int
store_production_get(struct store *s, const char *id, struct store_production *out, struct err *e)
{
	static const char sql[] =
	    "SELECT id, name, timezone, require_mfa FROM production WHERE id = ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = sq_one_row(s, st, "find production", e)) == 1) {
		sq_copy_col(st, 0, out->id, sizeof(out->id));
		sq_copy_col(st, 1, out->name, sizeof(out->name));
		sq_copy_col(st, 2, out->timezone, sizeof(out->timezone));
		out->require_mfa = sqlite3_column_int(st, 3);
		sqlite3_reset(st);
	}
	return rc;
}

int
store_production_set_require_mfa(struct store *s, const char *id, int on, struct err *e)
{
	static const char sql[] = "UPDATE production SET require_mfa = ? WHERE id = ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, on != 0);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	return sq_run(s, st, "set require_mfa", e) == -1 ? -1 : 0;
}

int
store_production_list(struct store *s, const char *user_id, int all,
                      void (*fn)(const struct store_production *, const char *, void *), void *arg,
                      struct err *e)
{
	static const char sql[] =
	    "SELECT p.id, p.name, p.timezone, m.role, p.require_mfa FROM production p "
	    "LEFT JOIN membership m ON m.production_id = p.id AND m.user_id = ?1 "
	    "AND m.revoked_at IS NULL WHERE ?2 OR m.id IS NOT NULL ORDER BY p.name, p.id";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, all != 0);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_production p;
		sq_copy_col(st, 0, p.id, sizeof(p.id));
		sq_copy_col(st, 1, p.name, sizeof(p.name));
		sq_copy_col(st, 2, p.timezone, sizeof(p.timezone));
		p.require_mfa = sqlite3_column_int(st, 4);
		fn(&p, (const char *)sqlite3_column_text(st, 3), arg);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sq_db_err(s, e, "list productions");
}

int
store_user_by_email(struct store *s, const char *email, struct store_user *out, struct err *e)
{
	static const char sql[] = "SELECT " USER_COLS " FROM app_user u WHERE u.email_index = ?";
	sqlite3_stmt *st;
	char idx[65];
	int rc;

	if ((st = sq_prepare(s, sql, e)) == NULL)
		return -1;
	if (email_index(s, email, idx, e) == -1)
		return -1;
	sqlite3_bind_text(st, 1, idx, -1, SQLITE_STATIC);
	if ((rc = sq_one_row(s, st, "find user", e)) == 1) {
		read_user(s, st, 0, out);
		sqlite3_reset(st);
	}
	return rc;
}

int
store_user_by_id(struct store *s, const char *id, struct store_user *out, struct err *e)
{
	static const char sql[] = "SELECT " USER_COLS " FROM app_user u WHERE u.id = ?";
	sqlite3_stmt *st;
	int rc;

	if ((st = sq_prepare(s, sql, e)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = sq_one_row(s, st, "find user", e)) == 1) {
		read_user(s, st, 0, out);
		sqlite3_reset(st);
	}
	return rc;
}

int
store_user_set_password(struct store *s, const char *id, const char *hash, int must_change,
                        struct err *e)
{
	static const char sql[] =
	    "UPDATE app_user SET password_hash = ?, must_change_password = ? WHERE id = ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, must_change);
	sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
	return sq_run(s, st, "set password", e) == -1 ? -1 : 0;
}

int
store_session_create(struct store *s, const char *user_id, const char *token_hash,
                     const char *user_agent, long long now, long long lifetime,
                     struct store_session *out, struct err *e)
{
	static const char sql[] =
	    "INSERT INTO session (id, token_hash, user_id, user_agent, created_at, last_seen_at, "
	    "expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st = sq_prepare(s, sql, e);

	if (st == NULL)
		return -1;
	store_new_id(out->id, sizeof(out->id), "ses");
	snprintf(out->user_agent, sizeof(out->user_agent), "%s", user_agent);
	out->created_at = out->last_seen_at = now;
	out->expires_at = now + lifetime;
	out->revoked = 0;
	sqlite3_bind_text(st, 1, out->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, token_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, user_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, out->user_agent, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, now);
	sqlite3_bind_int64(st, 6, now);
	sqlite3_bind_int64(st, 7, out->expires_at);
	return sq_run(s, st, "create session", e) == -1 ? -1 : 0;
}

/*
 * Whether the account `u` has a confirmed second factor, and whether it must
 * have one: an instance administrator, a production admin or producer
 * anywhere, or a member of a production that requires it. Sessions and API
 * tokens read both with the same words, so that they obey the same rule.
 */
#define MFA_ENROLLED_SQL                                                                           \
	"EXISTS (SELECT 1 FROM mfa_totp f WHERE f.user_id = u.id AND f.confirmed_at IS NOT NULL)"
#define MFA_REQUIRED_SQL                                                                           \
	"(u.is_instance_admin OR EXISTS (SELECT 1 FROM membership m "                              \
	"JOIN production p ON p.id = m.production_id WHERE m.user_id = u.id "                      \
	"AND m.revoked_at IS NULL AND (m.role IN ('production_admin', 'producer') "                \
	"OR p.require_mfa <> 0)))"

static void
read_session(sqlite3_stmt *st, struct store_session *out)
{
	sq_copy_col(st, 0, out->id, sizeof(out->id));
	sq_copy_col(st, 1, out->user_agent, sizeof(out->user_agent));
	out->created_at = sqlite3_column_int64(st, 2);
	out->last_seen_at = sqlite3_column_int64(st, 3);
	out->expires_at = sqlite3_column_int64(st, 4);
	out->revoked = sqlite3_column_type(st, 5) != SQLITE_NULL;
}

int
store_session_by_token(struct store *s, const char *token_hash, struct store_session *out,
                       struct err *e)
{
	static const char sql[] =
	    "SELECT s.id, s.user_agent, s.created_at, s.last_seen_at, s.expires_at, "
	    "s.revoked_at, " USER_COLS ", " MFA_ENROLLED_SQL ", " MFA_REQUIRED_SQL " "
	    "FROM session s JOIN app_user u ON u.id = s.user_id WHERE s.token_hash = ?";
	sqlite3_stmt *st;
	int rc;

	if ((st = sq_prepare(s, sql, e)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, token_hash, -1, SQLITE_STATIC);
	if ((rc = sq_one_row(s, st, "find session", e)) == 1) {
		read_session(st, out);
		read_account(s, st, 6, &out->user, 0);
		out->mfa_enrolled = sqlite3_column_int(st, 13);
		out->mfa_required = sqlite3_column_int(st, 14);
		sqlite3_reset(st);
	}
	return rc;
}

int
store_session_touch(struct store *s, const char *id, long long now, struct err *e)
{
	static const char sql[] = "UPDATE session SET last_seen_at = ? WHERE id = ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	return run_quiet(s, st, "touch session", e) == -1 ? -1 : 0;
}

int
store_session_revoke(struct store *s, const char *user_id, const char *id, long long now,
                     struct err *e)
{
	static const char sql[] = "UPDATE session SET revoked_at = ? WHERE id = ? AND user_id = ? "
	                          "AND revoked_at IS NULL";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, user_id, -1, SQLITE_STATIC);
	return sq_run(s, st, "end session", e);
}

int
store_session_revoke_all(struct store *s, const char *user_id, const char *keep, long long now,
                         struct err *e)
{
	static const char sql[] = "UPDATE session SET revoked_at = ? WHERE user_id = ? "
	                          "AND revoked_at IS NULL AND id <> ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_text(st, 2, user_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, keep ? keep : "", -1, SQLITE_STATIC);
	return sq_run(s, st, "end sessions", e);
}

int
store_session_list(struct store *s, const char *user_id, long long now,
                   void (*fn)(const struct store_session *, void *), void *arg, struct err *e)
{
	static const char sql[] =
	    "SELECT id, user_agent, created_at, last_seen_at, expires_at, revoked_at FROM session "
	    "WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ? "
	    "ORDER BY created_at DESC, id";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_session ses;
		memset(&ses, 0, sizeof(ses));
		read_session(st, &ses);
		fn(&ses, arg);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return sq_db_err(s, e, "list sessions");
	return 0;
}

int
store_audit_append(struct store *s, struct store_audit_event *ev,
                   void (*seal)(struct store_audit_event *), struct err *e)
{
	static const char last[] = "SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1";
	static const char ins[] =
	    "INSERT INTO audit_event (seq, at, actor, source, action, object, outcome, "
	    "request_id, production_id, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st;
	int own_tx = sqlite3_get_autocommit(s->db), rc;

	if (own_tx && store_begin(s, e) == -1)
		return -1;
	if ((st = sq_prepare(s, last, e)) == NULL)
		goto fail;
	rc = sq_one_row(s, st, "read audit chain", e);
	if (rc == -1)
		goto fail;
	ev->seq = 1;
	snprintf(ev->prev_hash, sizeof(ev->prev_hash), "%064d", 0);
	if (rc == 1) {
		ev->seq = sqlite3_column_int64(st, 0) + 1;
		sq_copy_col(st, 1, ev->prev_hash, sizeof(ev->prev_hash));
		sqlite3_reset(st);
	}
	seal(ev);
	if ((st = sq_prepare(s, ins, e)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, ev->seq);
	sqlite3_bind_text(st, 2, ev->at, -1, SQLITE_STATIC);
	sq_bind_opt(st, 3, ev->actor);
	sq_bind_opt(st, 4, ev->source);
	sq_bind_opt(st, 5, ev->action);
	sq_bind_opt(st, 6, ev->object);
	sq_bind_opt(st, 7, ev->outcome);
	sq_bind_opt(st, 8, ev->request_id);
	sq_bind_opt(st, 9, ev->production_id);
	sqlite3_bind_text(st, 10, ev->prev_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, ev->hash, -1, SQLITE_STATIC);
	if (run_quiet(s, st, "append audit event", e) == -1)
		goto fail;
	if (own_tx && store_commit(s, e) == -1)
		goto fail;
	return 0;
fail:
	if (own_tx)
		store_rollback(s);
	return -1;
}

/* The event columns of row st from column 0 (seq) to 10 (hash); strings point into st. */
static void
read_audit(sqlite3_stmt *st, struct store_audit_event *ev)
{
	ev->seq = sqlite3_column_int64(st, 0);
	sq_copy_col(st, 1, ev->at, sizeof(ev->at));
	ev->actor = (const char *)sqlite3_column_text(st, 2);
	ev->source = (const char *)sqlite3_column_text(st, 3);
	ev->action = (const char *)sqlite3_column_text(st, 4);
	ev->object = (const char *)sqlite3_column_text(st, 5);
	ev->outcome = (const char *)sqlite3_column_text(st, 6);
	ev->request_id = (const char *)sqlite3_column_text(st, 7);
	ev->production_id = (const char *)sqlite3_column_text(st, 8);
	sq_copy_col(st, 9, ev->prev_hash, sizeof(ev->prev_hash));
	sq_copy_col(st, 10, ev->hash, sizeof(ev->hash));
}

int
store_audit_of_production(struct store *s, const char *production_id, long long before, long limit,
                          void (*fn)(const struct store_audit_event *, void *), void *arg,
                          struct err *e)
{
	static const char sql[] =
	    "SELECT seq, at, actor, source, action, object, outcome, request_id, production_id, "
	    "prev_hash, hash FROM audit_event WHERE production_id = ?1 AND (?2 = 0 OR seq < ?2) "
	    "ORDER BY seq DESC LIMIT ?3";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, before);
	sqlite3_bind_int64(st, 3, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_audit_event ev;
		read_audit(st, &ev);
		fn(&ev, arg);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sq_db_err(s, e, "list audit events");
}

int
store_audit_scan(struct store *s, int (*fn)(const struct store_audit_event *, void *), void *arg,
                 struct err *e)
{
	static const char sql[] =
	    "SELECT seq, at, actor, source, action, object, outcome, request_id, production_id, "
	    "prev_hash, hash FROM audit_event ORDER BY seq";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_audit_event ev;
		read_audit(st, &ev);
		if (fn(&ev, arg) != 0)
			break;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return sq_db_err(s, e, "scan audit log");
	return 0;
}

int
store_login_state(struct store *s, const char *account_key, const char *source, long long since,
                  struct throttle_state *out, struct err *e)
{
	static const char sql[] =
	    "WITH spray AS (SELECT MAX(f.at) AS last FROM login_failure f WHERE f.source = ?2 "
	    "AND f.at >= ?3 AND NOT EXISTS (SELECT 1 FROM login_known_source k "
	    "WHERE k.account_key = f.account_key AND k.source = f.source) GROUP BY f.account_key) "
	    "SELECT (SELECT COUNT(*) FROM login_failure WHERE account_key = ?1 AND source = ?2 "
	    "AND at >= ?3), "
	    "(SELECT COALESCE(MAX(at), 0) FROM login_failure WHERE account_key = ?1 "
	    "AND source = ?2 AND at >= ?3), "
	    "(SELECT COUNT(*) FROM login_failure WHERE account_key = ?1 AND at >= ?3), "
	    "(SELECT COALESCE(MIN(at), 0) FROM login_failure WHERE account_key = ?1 AND at >= ?3), "
	    "EXISTS (SELECT 1 FROM login_known_source WHERE account_key = ?1 AND source = ?2), "
	    "(SELECT COUNT(*) FROM spray), (SELECT COALESCE(MIN(last), 0) FROM spray)";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, account_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, since);
	if ((rc = sq_one_row(s, st, "read sign-in state", e)) != 1)
		return rc == 0 ? sq_db_err(s, e, "read sign-in state") : -1;
	out->pair_failures = (long)sqlite3_column_int64(st, 0);
	out->pair_last_at = sqlite3_column_int64(st, 1);
	out->account_failures = (long)sqlite3_column_int64(st, 2);
	out->account_oldest_at = sqlite3_column_int64(st, 3);
	out->source_known = sqlite3_column_int(st, 4);
	out->address_accounts = (long)sqlite3_column_int64(st, 5);
	out->address_free_at = sqlite3_column_int64(st, 6) + THROTTLE_WINDOW;
	sqlite3_reset(st);
	return 0;
}

int
store_login_failed(struct store *s, const char *account_key, const char *source, long long now,
                   long long since, struct err *e)
{
	static const char forget[] = "DELETE FROM login_failure WHERE at < ?";
	static const char add[] =
	    "INSERT INTO login_failure (account_key, source, at) VALUES (?, ?, ?)";
	sqlite3_stmt *st;

	if ((st = sq_prepare(s, forget, e)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, since);
	if (sq_run(s, st, "forget old failures", e) == -1)
		return -1;
	if ((st = sq_prepare(s, add, e)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, account_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	return sq_run(s, st, "record failure", e) == -1 ? -1 : 0;
}

int
store_login_succeeded(struct store *s, const char *account_key, const char *source, long long now,
                      struct err *e)
{
	static const char forget[] =
	    "DELETE FROM login_failure WHERE account_key = ? AND source = ?";
	static const char known[] =
	    "INSERT INTO login_known_source (account_key, source, last_success) VALUES (?, ?, ?) "
	    "ON CONFLICT (account_key, source) DO UPDATE SET last_success = excluded.last_success";
	sqlite3_stmt *st;

	if ((st = sq_prepare(s, forget, e)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, account_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, source, -1, SQLITE_STATIC);
	if (sq_run(s, st, "forget failures", e) == -1)
		return -1;
	if ((st = sq_prepare(s, known, e)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, account_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	return sq_run(s, st, "remember address", e) == -1 ? -1 : 0;
}

int
store_user_list(struct store *s, void (*fn)(const struct store_user *, void *), void *arg,
                struct err *e)
{
	static const char sql[] =
	    "SELECT " USER_COLS " FROM app_user u ORDER BY u.created_at, u.id";
	sqlite3_stmt *st;
	int rc;

	if ((st = sq_prepare(s, sql, e)) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_user u;
		read_user(s, st, 0, &u);
		fn(&u, arg);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sq_db_err(s, e, "list users");
}

int
store_user_disable(struct store *s, const char *id, long long now, struct err *e)
{
	static const char sql[] = "UPDATE app_user SET disabled_at = ? WHERE id = ? "
	                          "AND disabled_at IS NULL";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	char when[TIMEFMT_LEN];
	int n;

	if (st == NULL)
		return -1;
	time_rfc3339((time_t)now, when);
	sqlite3_bind_text(st, 1, when, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	if ((n = sq_run(s, st, "disable user", e)) == -1)
		return -1;
	if (store_session_revoke_all(s, id, NULL, now, e) == -1)
		return -1;
	return n > 0;
}

#define MEMBER_SELECT                                                                              \
	"SELECT m.id, m.production_id, m.role, COALESCE(m.department_id, ''), "                    \
	"COALESCE(d.name, ''), m.revoked_at IS NOT NULL, " USER_COLS                               \
	" FROM membership m JOIN app_user u ON u.id = m.user_id "                                  \
	"LEFT JOIN department d ON d.id = m.department_id "

static void
read_member_as(struct store *s, sqlite3_stmt *st, struct store_membership *m, int with_email)
{
	sq_copy_col(st, 0, m->id, sizeof(m->id));
	sq_copy_col(st, 1, m->production_id, sizeof(m->production_id));
	sq_copy_col(st, 2, m->role, sizeof(m->role));
	sq_copy_col(st, 3, m->department_id, sizeof(m->department_id));
	sq_copy_col(st, 4, m->department, sizeof(m->department));
	m->revoked = sqlite3_column_int(st, 5);
	read_account(s, st, 6, &m->user, with_email);
}

static void
read_member(struct store *s, sqlite3_stmt *st, struct store_membership *m)
{
	read_member_as(s, st, m, 1);
}

static int
member_one(struct store *s, const char *sql, const char *a, const char *b,
           struct store_membership *out, struct err *e)
{
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	if ((rc = sq_one_row(s, st, "find membership", e)) == 1) {
		read_member(s, st, out);
		sqlite3_reset(st);
	}
	return rc;
}

int
store_membership_of(struct store *s, const char *production_id, const char *user_id,
                    struct store_membership *out, struct err *e)
{
	static const char sql[] = MEMBER_SELECT "WHERE m.production_id = ? AND m.user_id = ?";
	return member_one(s, sql, production_id, user_id, out, e);
}

int
store_membership_standing(struct store *s, const char *production_id, const char *user_id,
                          struct store_membership *out, struct err *e)
{
	static const char sql[] = MEMBER_SELECT "WHERE m.production_id = ? AND m.user_id = ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, user_id, -1, SQLITE_STATIC);
	if ((rc = sq_one_row(s, st, "find membership", e)) == 1) {
		read_member_as(s, st, out, 0);
		sqlite3_reset(st);
	}
	return rc;
}

int
store_membership_get(struct store *s, const char *production_id, const char *id,
                     struct store_membership *out, struct err *e)
{
	static const char sql[] = MEMBER_SELECT "WHERE m.production_id = ? AND m.id = ?";
	return member_one(s, sql, production_id, id, out, e);
}

int
store_membership_add(struct store *s, const char *production_id, const char *user_id,
                     const char *role, const char *department_id, char *id_out, size_t len,
                     struct err *e)
{
	static const char sql[] =
	    "INSERT INTO membership (id, production_id, user_id, role, department_id, created_at) "
	    "VALUES (?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	char now[32];
	int rc;

	if (st == NULL)
		return -1;
	sq_new_id(s, id_out, len, "mem");
	sq_now_rfc3339(now, sizeof(now));
	sqlite3_bind_text(st, 1, id_out, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, user_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, role, -1, SQLITE_STATIC);
	sq_bind_opt(st, 5, department_id);
	sqlite3_bind_text(st, 6, now, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		return err_set(e, 409, "that person is already a member of this production");
	if (rc != SQLITE_DONE)
		return sq_db_err(s, e, "add member");
	return 0;
}

int
store_membership_set(struct store *s, const char *id, const char *role, const char *department_id,
                     struct err *e)
{
	static const char sql[] = "UPDATE membership SET role = ?, department_id = ? WHERE id = ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, role, -1, SQLITE_STATIC);
	sq_bind_opt(st, 2, department_id);
	sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
	return sq_run(s, st, "change member", e) == -1 ? -1 : 0;
}

int
store_membership_revoke(struct store *s, const char *id, int revoked, struct err *e)
{
	static const char sql[] = "UPDATE membership SET revoked_at = ? WHERE id = ?";
	/* the member's tokens for this production end with the membership, for good */
	static const char tokens[] =
	    "UPDATE api_token SET revoked_at = ? WHERE revoked_at IS NULL AND EXISTS ("
	    "SELECT 1 FROM membership m WHERE m.id = ? AND m.user_id = api_token.user_id "
	    "AND m.production_id = api_token.production_id)";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	char now[32];
	if (st == NULL)
		return -1;
	sq_now_rfc3339(now, sizeof(now));
	sq_bind_opt(st, 1, revoked ? now : NULL);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	if (sq_run(s, st, "revoke member", e) == -1)
		return -1;
	if (!revoked)
		return 0;
	if ((st = sq_prepare(s, tokens, e)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, (long long)time(NULL));
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	return sq_run(s, st, "revoke member's tokens", e) == -1 ? -1 : 0;
}

int
store_membership_list(struct store *s, const char *production_id,
                      void (*fn)(const struct store_membership *, void *), void *arg, struct err *e)
{
	static const char sql[] = MEMBER_SELECT "WHERE m.production_id = ? "
	                                        "ORDER BY u.display_name COLLATE NOCASE, u.id";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_membership m;
		read_member(s, st, &m);
		fn(&m, arg);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sq_db_err(s, e, "list members");
}

int
store_membership_count(struct store *s, const char *user_id, long *n, struct err *e)
{
	static const char sql[] =
	    "SELECT COUNT(*) FROM membership WHERE user_id = ? AND revoked_at IS NULL";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
	return sq_count_of(s, st, "count memberships", n, e);
}

int
store_department_find(struct store *s, const char *production_id, const char *name, char *id_out,
                      size_t len, struct err *e)
{
	/* the exact spelling first: names that differ in case only may predate the rule */
	static const char sql[] =
	    "SELECT id FROM department WHERE production_id = ? AND name = ?2 COLLATE NOCASE "
	    "ORDER BY name = ?2 DESC, position LIMIT 1";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	if ((rc = sq_one_row(s, st, "find department", e)) == 1) {
		sq_copy_col(st, 0, id_out, len);
		sqlite3_reset(st);
	}
	return rc;
}

int
store_membership_leaders(struct store *s, const char *production_id, long *n, struct err *e)
{
	static const char sql[] = "SELECT COUNT(*) FROM membership WHERE production_id = ? AND "
	                          "revoked_at IS NULL AND role IN ('production_admin', 'producer')";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	return sq_count_of(s, st, "count leaders", n, e);
}

int
store_totp_get(struct store *s, const char *user_id, struct store_totp *out, struct err *e)
{
	static const char sql[] =
	    "SELECT secret, confirmed_at IS NOT NULL, last_step FROM mfa_totp "
	    "WHERE user_id = ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
	if ((rc = sq_one_row(s, st, "read second factor", e)) == 1) {
		sq_unseal_col(s, st, 0, "mfa_totp", "secret", user_id, out->secret,
		              sizeof(out->secret));
		out->confirmed = sqlite3_column_int(st, 1);
		out->last_step = sqlite3_column_int64(st, 2);
		sqlite3_reset(st);
	}
	return rc;
}

int
store_totp_begin(struct store *s, const char *user_id, const char *secret_b32, struct err *e)
{
	static const char sql[] =
	    "INSERT INTO mfa_totp (user_id, secret) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE "
	    "SET secret = excluded.secret, confirmed_at = NULL, last_step = -1 "
	    "WHERE mfa_totp.confirmed_at IS NULL";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	char *sealed;
	int rc;
	if (st == NULL)
		return -1;
	if ((sealed = sq_seal_text(s, user_id, "mfa_totp", "secret", user_id, secret_b32, e)) ==
	    NULL)
		return -1;
	sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, sealed, -1, SQLITE_STATIC);
	rc = sq_run(s, st, "begin second factor", e) == -1 ? -1 : 0;
	free(sealed);
	return rc;
}

int
store_totp_confirm(struct store *s, const char *user_id, long long step, char hashes[][65],
                   int nhashes, struct err *e)
{
	static const char confirm[] = "UPDATE mfa_totp SET confirmed_at = ?, last_step = ? "
	                              "WHERE user_id = ? AND confirmed_at IS NULL";
	static const char wipe[] = "DELETE FROM mfa_recovery_code WHERE user_id = ?";
	static const char add[] =
	    "INSERT INTO mfa_recovery_code (user_id, code_hash) VALUES (?, ?)";
	sqlite3_stmt *st;
	char now[32];

	sq_now_rfc3339(now, sizeof(now));
	if ((st = sq_prepare(s, confirm, e)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, now, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, step);
	sqlite3_bind_text(st, 3, user_id, -1, SQLITE_STATIC);
	if (sq_run(s, st, "confirm second factor", e) == -1)
		return -1;
	if ((st = sq_prepare(s, wipe, e)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
	if (sq_run(s, st, "replace recovery codes", e) == -1)
		return -1;
	for (int i = 0; i < nhashes; i++) {
		if ((st = sq_prepare(s, add, e)) == NULL)
			return -1;
		sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, hashes[i], -1, SQLITE_STATIC);
		if (sq_run(s, st, "store recovery code", e) == -1)
			return -1;
	}
	return 0;
}

int
store_totp_use_step(struct store *s, const char *user_id, long long step, struct err *e)
{
	static const char sql[] = "UPDATE mfa_totp SET last_step = ? WHERE user_id = ? "
	                          "AND confirmed_at IS NOT NULL AND last_step < ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, step);
	sqlite3_bind_text(st, 2, user_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, step);
	return sq_run(s, st, "use code", e);
}

int
store_recovery_use(struct store *s, const char *user_id, const char *code_hash, struct err *e)
{
	static const char sql[] = "UPDATE mfa_recovery_code SET used_at = ? WHERE user_id = ? "
	                          "AND code_hash = ? AND used_at IS NULL";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	char now[32];
	if (st == NULL)
		return -1;
	sq_now_rfc3339(now, sizeof(now));
	sqlite3_bind_text(st, 1, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, user_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, code_hash, -1, SQLITE_STATIC);
	return sq_run(s, st, "use recovery code", e);
}

int
store_recovery_left(struct store *s, const char *user_id, long *n, struct err *e)
{
	static const char sql[] =
	    "SELECT COUNT(*) FROM mfa_recovery_code WHERE user_id = ? AND used_at IS NULL";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
	return sq_count_of(s, st, "count recovery codes", n, e);
}

int
store_totp_delete(struct store *s, const char *user_id, struct err *e)
{
	static const char a[] = "DELETE FROM mfa_recovery_code WHERE user_id = ?";
	static const char b[] = "DELETE FROM mfa_totp WHERE user_id = ?";
	sqlite3_stmt *st;
	if ((st = sq_prepare(s, a, e)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
	if (sq_run(s, st, "delete recovery codes", e) == -1)
		return -1;
	if ((st = sq_prepare(s, b, e)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
	return sq_run(s, st, "delete second factor", e) == -1 ? -1 : 0;
}

int
store_session_revoke_everyone(struct store *s, const char *keep, long long now, struct err *e)
{
	static const char sql[] =
	    "UPDATE session SET revoked_at = ? WHERE revoked_at IS NULL AND id <> ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_text(st, 2, keep ? keep : "", -1, SQLITE_STATIC);
	return sq_run(s, st, "end every session", e);
}

#define TOKEN_SELECT                                                                               \
	"SELECT t.id, t.production_id, t.name, t.read_write, t.created_at, t.expires_at, "         \
	"t.revoked_at IS NOT NULL, COALESCE(t.last_used_at, 0), " USER_COLS ", " MFA_ENROLLED_SQL  \
	", " MFA_REQUIRED_SQL " FROM api_token t JOIN app_user u ON u.id = t.user_id "

static void
read_token(struct store *s, sqlite3_stmt *st, struct store_api_token *t)
{
	sq_copy_col(st, 0, t->id, sizeof(t->id));
	sq_copy_col(st, 1, t->production_id, sizeof(t->production_id));
	sq_copy_col(st, 2, t->name, sizeof(t->name));
	t->read_write = sqlite3_column_int(st, 3);
	t->created_at = sqlite3_column_int64(st, 4);
	t->expires_at = sqlite3_column_int64(st, 5);
	t->revoked = sqlite3_column_int(st, 6);
	t->last_used_at = sqlite3_column_int64(st, 7);
	read_user(s, st, 8, &t->user);
	t->mfa_enrolled = sqlite3_column_int(st, 15);
	t->mfa_required = sqlite3_column_int(st, 16);
}

int
store_token_create(struct store *s, const char *user_id, const char *token_hash,
                   const char *production_id, const char *name, int read_write, long long now,
                   long long lifetime, struct store_api_token *out, struct err *e)
{
	static const char sql[] = "INSERT INTO api_token (id, token_hash, user_id, production_id, "
	                          "name, read_write, created_at, expires_at) "
	                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	memset(out, 0, sizeof(*out));
	store_new_id(out->id, sizeof(out->id), "tok");
	snprintf(out->production_id, sizeof(out->production_id), "%s", production_id);
	snprintf(out->name, sizeof(out->name), "%s", name);
	out->read_write = read_write;
	out->created_at = now;
	out->expires_at = now + lifetime;
	sqlite3_bind_text(st, 1, out->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, token_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, user_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, out->name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, read_write != 0);
	sqlite3_bind_int64(st, 7, now);
	sqlite3_bind_int64(st, 8, out->expires_at);
	return sq_run(s, st, "create token", e) == -1 ? -1 : 0;
}

int
store_token_by_hash(struct store *s, const char *token_hash, struct store_api_token *out,
                    struct err *e)
{
	static const char sql[] = TOKEN_SELECT "WHERE t.token_hash = ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, token_hash, -1, SQLITE_STATIC);
	if ((rc = sq_one_row(s, st, "find token", e)) == 1) {
		read_token(s, st, out);
		sqlite3_reset(st);
	}
	return rc;
}

int
store_token_list(struct store *s, const char *user_id, long long now,
                 void (*fn)(const struct store_api_token *, void *), void *arg, struct err *e)
{
	static const char sql[] = TOKEN_SELECT "WHERE t.user_id = ? AND t.revoked_at IS NULL "
	                                       "AND t.expires_at > ? ORDER BY t.created_at, t.id";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_api_token t;
		read_token(s, st, &t);
		fn(&t, arg);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sq_db_err(s, e, "list tokens");
}

int
store_token_revoke(struct store *s, const char *user_id, const char *id, long long now,
                   struct err *e)
{
	static const char sql[] =
	    "UPDATE api_token SET revoked_at = ? WHERE id = ? AND user_id = ? "
	    "AND revoked_at IS NULL";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, user_id, -1, SQLITE_STATIC);
	return sq_run(s, st, "revoke token", e);
}

int
store_token_touch(struct store *s, const char *id, long long now, struct err *e)
{
	static const char sql[] = "UPDATE api_token SET last_used_at = ? WHERE id = ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	return run_quiet(s, st, "touch token", e) == -1 ? -1 : 0;
}

int
store_token_revoke_all(struct store *s, const char *user_id, long long now, struct err *e)
{
	static const char sql[] =
	    "UPDATE api_token SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_text(st, 2, user_id, -1, SQLITE_STATIC);
	return sq_run(s, st, "revoke tokens", e);
}

int
store_outbox_add(struct store *s, const char *to, const char *subject, const char *body,
                 long long now, struct err *e)
{
	static const char sql[] = "INSERT INTO outbox (id, created_at, to_addr, subject, body) "
	                          "VALUES (?, ?, ?, ?, ?)";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	char id[STORE_ID_LEN + 8], *sealed_to = NULL, *sealed_body = NULL;
	int rc = -1;
	if (st == NULL)
		return -1;
	store_new_id(id, sizeof(id), "msg");
	if ((sealed_to = sq_seal_text(s, KEYRING_INSTANCE, "outbox", "to_addr", id, to, e)) ==
	        NULL ||
	    (sealed_body = sq_seal_text(s, KEYRING_INSTANCE, "outbox", "body", id, body, e)) ==
	        NULL)
		goto out;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_text(st, 3, sealed_to, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, sealed_body, -1, SQLITE_STATIC);
	rc = sq_run(s, st, "queue mail", e) == -1 ? -1 : 0;
out:
	free(sealed_to);
	free(sealed_body);
	return rc;
}

int
store_outbox_next(struct store *s, int max_attempts, struct store_mail *out, struct err *e)
{
	static const char sql[] =
	    "SELECT id, to_addr, subject, body, created_at, attempts FROM outbox "
	    "WHERE sent_at IS NULL AND attempts < ? ORDER BY created_at, id LIMIT 1";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;
	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, max_attempts);
	if ((rc = sq_one_row(s, st, "read outbox", e)) == 1) {
		struct keyring_place p = {"outbox", "body", out->id};
		size_t n;
		sq_copy_col(st, 0, out->id, sizeof(out->id));
		sq_unseal_col(s, st, 1, "outbox", "to_addr", out->id, out->to, sizeof(out->to));
		sq_copy_col(st, 2, out->subject, sizeof(out->subject));
		if (s->keys == NULL ||
		    keyring_unseal(s->keys, &p, (const char *)sqlite3_column_text(st, 3),
		                   &out->body, &n, e) != 1) {
			sqlite3_reset(st);
			free(out->body);
			return s->keys == NULL ? err_set(e, 500, "no keystore") : -1;
		}
		out->created_at = sqlite3_column_int64(st, 4);
		out->attempts = sqlite3_column_int(st, 5);
		sqlite3_reset(st);
	}
	return rc;
}

int
store_outbox_sent(struct store *s, const char *id, long long now, struct err *e)
{
	static const char sql[] = "UPDATE outbox SET sent_at = ?, body = '', last_error = NULL "
	                          "WHERE id = ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	return sq_run(s, st, "mark mail sent", e) == -1 ? -1 : 0;
}

int
store_outbox_failed(struct store *s, const char *id, const char *why, struct err *e)
{
	static const char sql[] =
	    "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, why, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	return sq_run(s, st, "mark mail failed", e) == -1 ? -1 : 0;
}

int
store_reset_create(struct store *s, const char *user_id, const char *token_hash, long long now,
                   long long lifetime, struct err *e)
{
	static const char sql[] = "INSERT INTO password_reset (token_hash, user_id, created_at, "
	                          "expires_at) VALUES (?, ?, ?, ?)";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, token_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, user_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int64(st, 4, now + lifetime);
	return sq_run(s, st, "create reset link", e) == -1 ? -1 : 0;
}

int
store_reset_count(struct store *s, const char *user_id, long long since, long *n, struct err *e)
{
	static const char sql[] =
	    "SELECT COUNT(*) FROM password_reset WHERE user_id = ? AND created_at >= ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, since);
	return sq_count_of(s, st, "count reset links", n, e);
}

int
store_reset_peek(struct store *s, const char *token_hash, long long now, struct store_user *user,
                 struct err *e)
{
	static const char sql[] =
	    "SELECT " USER_COLS " FROM password_reset r JOIN app_user u ON u.id = r.user_id "
	    "WHERE r.token_hash = ? AND r.used_at IS NULL AND r.expires_at > ?";
	sqlite3_stmt *st;
	int rc;

	if ((st = sq_prepare(s, sql, e)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, token_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	if ((rc = sq_one_row(s, st, "read reset link", e)) == 1) {
		read_user(s, st, 0, user);
		sqlite3_reset(st);
	}
	return rc;
}

/*
 * Spends a single-use link: `sql` sets its used-at column to ?1 where the
 * key is ?2, it is unused and unexpired (?3 = now). 1 spent now, 0 not live.
 */
static int
spend_once(struct store *s, const char *sql, const char *key, long long now, const char *what,
           struct err *e)
{
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	return sq_run(s, st, what, e);
}

int
store_reset_spend(struct store *s, const char *token_hash, long long now, struct err *e)
{
	static const char sql[] = "UPDATE password_reset SET used_at = ?1 WHERE token_hash = ?2 "
	                          "AND used_at IS NULL AND expires_at > ?3";
	return spend_once(s, sql, token_hash, now, "spend reset link", e);
}

int
store_reset_revoke_all(struct store *s, const char *user_id, long long now, struct err *e)
{
	static const char sql[] = "UPDATE password_reset SET used_at = ? WHERE user_id = ? "
	                          "AND used_at IS NULL";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_text(st, 2, user_id, -1, SQLITE_STATIC);
	return sq_run(s, st, "end reset links", e);
}

static void
read_invitation(struct store *s, sqlite3_stmt *st, struct store_invitation *v)
{
	sq_copy_col(st, 0, v->id, sizeof(v->id));
	sq_copy_col(st, 1, v->production_id, sizeof(v->production_id));
	sq_unseal_col(s, st, 2, "invitation", "email", v->id, v->email, sizeof(v->email));
	sq_copy_col(st, 3, v->role, sizeof(v->role));
	sq_copy_col(st, 4, v->department_id, sizeof(v->department_id));
	v->created_at = sqlite3_column_int64(st, 5);
	v->expires_at = sqlite3_column_int64(st, 6);
	v->accepted = sqlite3_column_int(st, 7);
}

#define INVITATION_SELECT                                                                          \
	"SELECT id, production_id, email_sealed, role, COALESCE(department_id, ''), created_at, "  \
	"expires_at, accepted_at IS NOT NULL FROM invitation "

int
store_invitation_create(struct store *s, struct store_invitation *inv, const char *token_hash,
                        const char *invited_by, long long now, long long lifetime, struct err *e)
{
	static const char sql[] =
	    "INSERT INTO invitation (id, token_hash, production_id, email_sealed, role, "
	    "department_id, invited_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	char *sealed;
	int rc;
	if (st == NULL)
		return -1;
	store_new_id(inv->id, sizeof(inv->id), "inv");
	if ((sealed = sq_seal_text(s, KEYRING_INSTANCE, "invitation", "email", inv->id, inv->email,
	                           e)) == NULL)
		return -1;
	inv->created_at = now;
	inv->expires_at = now + lifetime;
	inv->accepted = 0;
	sqlite3_bind_text(st, 1, inv->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, token_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, inv->production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, sealed, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, inv->role, -1, SQLITE_STATIC);
	sq_bind_opt(st, 6, inv->department_id[0] ? inv->department_id : NULL);
	sqlite3_bind_text(st, 7, invited_by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, now);
	sqlite3_bind_int64(st, 9, inv->expires_at);
	rc = sq_run(s, st, "create invitation", e) == -1 ? -1 : 0;
	free(sealed);
	return rc;
}

int
store_invitation_peek(struct store *s, const char *token_hash, long long now,
                      struct store_invitation *out, struct err *e)
{
	static const char sql[] =
	    INVITATION_SELECT "WHERE token_hash = ? AND accepted_at IS NULL AND expires_at > ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, token_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	if ((rc = sq_one_row(s, st, "read invitation", e)) == 1) {
		read_invitation(s, st, out);
		sqlite3_reset(st);
	}
	return rc;
}

int
store_invitation_spend(struct store *s, const char *id, long long now, struct err *e)
{
	static const char sql[] = "UPDATE invitation SET accepted_at = ?1 WHERE id = ?2 "
	                          "AND accepted_at IS NULL AND expires_at > ?3";
	return spend_once(s, sql, id, now, "accept invitation", e);
}

int
store_invitation_list(struct store *s, const char *production_id, long long now,
                      void (*fn)(const struct store_invitation *, void *), void *arg, struct err *e)
{
	static const char sql[] =
	    INVITATION_SELECT "WHERE production_id = ? AND accepted_at IS NULL AND expires_at > ? "
	                      "ORDER BY created_at, id";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_invitation v;
		read_invitation(s, st, &v);
		fn(&v, arg);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sq_db_err(s, e, "list invitations");
}

int
store_attachment_create(struct store *s, const struct store_attachment *a,
                        const unsigned char file_key[32], struct err *e)
{
	static const char sql[] =
	    "INSERT INTO attachment (id, production_id, name_sealed, content_type, size, "
	    "stored_name, file_key, created_by, created_at, evidence) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	struct keyring_place p = {"attachment", "file_key", a->id};
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	char *name = NULL, *key = NULL;
	int rc = -1;

	if (st == NULL)
		return -1;
	if (s->keys == NULL)
		return err_set(e, 500, "the store was opened without the keystore");
	if (keyring_create(s->keys, a->production_id, "production", e) == -1 ||
	    (name = sq_seal_text(s, a->production_id, "attachment", "name", a->id, a->name, e)) ==
	        NULL ||
	    (key = keyring_seal(s->keys, a->production_id, &p, file_key, 32, e)) == NULL)
		goto out;
	sqlite3_bind_text(st, 1, a->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, a->production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, a->content_type, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, a->size);
	sqlite3_bind_text(st, 6, a->stored_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, a->created_by, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, a->created_at, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 10, a->evidence);
	rc = sq_run(s, st, "record attachment", e) == -1 ? -1 : 0;
out:
	free(name);
	free(key);
	return rc;
}

#define ATTACHMENT_SELECT                                                                          \
	"SELECT id, production_id, name_sealed, content_type, size, stored_name, created_by, "     \
	"created_at, file_key, evidence FROM attachment "

static void
read_attachment(struct store *s, sqlite3_stmt *st, struct store_attachment *a)
{
	sq_copy_col(st, 0, a->id, sizeof(a->id));
	sq_copy_col(st, 1, a->production_id, sizeof(a->production_id));
	sq_unseal_col(s, st, 2, "attachment", "name", a->id, a->name, sizeof(a->name));
	sq_copy_col(st, 3, a->content_type, sizeof(a->content_type));
	a->size = sqlite3_column_int64(st, 4);
	sq_copy_col(st, 5, a->stored_name, sizeof(a->stored_name));
	sq_copy_col(st, 6, a->created_by, sizeof(a->created_by));
	sq_copy_col(st, 7, a->created_at, sizeof(a->created_at));
	a->evidence = sqlite3_column_int(st, 9);
}

int
store_attachment_get(struct store *s, const char *production_id, const char *id,
                     struct store_attachment *out, struct secret *file_key, struct err *e)
{
	static const char sql[] = ATTACHMENT_SELECT "WHERE production_id = ? AND id = ?";
	sqlite3_stmt *st = NULL;
	int rc = sq_row_in(s, sql, production_id, id, "read attachment", &st, e);
	if (rc != 1)
		return rc;
	read_attachment(s, st, out);
	if (file_key != NULL) {
		struct keyring_place p = {"attachment", "file_key", out->id};
		char *key = NULL;
		size_t n = 0;
		int got = s->keys == NULL ? -1
		                          : keyring_unseal(s->keys, &p,
		                                           (const char *)sqlite3_column_text(st, 8),
		                                           &key, &n, e);
		sqlite3_reset(st);
		if (got != 1 || n != 32) {
			if (key != NULL)
				sodium_memzero(key, n);
			free(key);
			return err_set(e, 500, "the key of attachment %s does not open", out->id);
		}
		secret_alloc(file_key, 32);
		memcpy(file_key->p, key, 32);
		sodium_memzero(key, n);
		free(key);
		return 1;
	}
	sqlite3_reset(st);
	return 1;
}

int
store_attachment_list(struct store *s, const char *production_id,
                      void (*fn)(const struct store_attachment *, void *), void *arg, struct err *e)
{
	static const char sql[] =
	    ATTACHMENT_SELECT "WHERE production_id = ? AND evidence = 0 ORDER BY created_at, id";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_attachment a;
		read_attachment(s, st, &a);
		fn(&a, arg);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sq_db_err(s, e, "list attachments");
}

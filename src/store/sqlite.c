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
 * Migrations: schema_migrations(version, name, applied_at) records each
 * applied step. store_open applies every pending step in one transaction, and
 * refuses a database whose newest version is above what this binary knows.
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sodium.h>

#include "store/migration.h"
#include "store/store.h"
#include "util/xalloc.h"

#define CACHE_SLOTS 64

struct cached {
	const char *sql;
	sqlite3_stmt *st;
};

struct store {
	sqlite3 *db;
	char *path;
	struct cached cache[CACHE_SLOTS];
};

static int
db_err(struct store *s, struct err *e, const char *what)
{
	int code = sqlite3_extended_errcode(s->db);
	int status = (code & 0xff) == SQLITE_BUSY ? 503 : 500;
	return err_set(e, status, "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

static sqlite3_stmt *
prepare(struct store *s, const char *sql, struct err *e)
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
				db_err(s, e, "prepare");
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
		err_set(e, 500, "%s: %s", s->path, msg ? msg : "error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static void
rfc3339_at(time_t t, char *buf, size_t len)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
now_rfc3339(char *buf, size_t len)
{
	rfc3339_at(time(NULL), buf, len);
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
	sqlite3_stmt *st = prepare(s, sql, e);
	if (st == NULL)
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW)
		return db_err(s, e, "schema version");
	*version = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return 0;
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
	now_rfc3339(now, sizeof(now));
	for (size_t i = 0; i < store_nmigrations; i++) {
		const struct migration *m = &store_migrations[i];
		sqlite3_stmt *st;
		if (m->version <= have)
			continue;
		if (exec(s, m->sql, e) == -1)
			goto fail;
		if ((st = prepare(s, record, e)) == NULL)
			goto fail;
		sqlite3_bind_int(st, 1, m->version);
		sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			db_err(s, e, "record migration");
			goto fail;
		}
		sqlite3_reset(st);
	}
	return store_commit(s, e);
fail:
	store_rollback(s);
	return -1;
}

struct store *
store_open(const char *path, int create, struct err *e)
{
	struct store *s = xcalloc(1, sizeof(*s));
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;

	if (create)
		flags |= SQLITE_OPEN_CREATE;
	s->path = xstrdup(path);
	if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
		err_set(e, 500, "cannot open database %s: %s", path,
		        s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
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
	sqlite3_stmt *st = prepare(s, sql, e);
	int rc;
	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_err(s, e, "ping");
	return 0;
}

int
store_begin(struct store *s, struct err *e)
{
	return exec(s, "BEGIN IMMEDIATE", e);
}

int
store_commit(struct store *s, struct err *e)
{
	return exec(s, "COMMIT", e);
}

void
store_rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
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

static void
normalise_email(const char *in, char *out, size_t len)
{
	size_t i;
	for (i = 0; in[i] && i + 1 < len; i++) {
		out[i] = in[i];
		if (in[i] >= 'A' && in[i] <= 'Z')
			out[i] = (char)(in[i] - 'A' + 'a'); /* ASCII only: not locale-dependent */
	}
	out[i] = '\0';
}

int
store_user_create(struct store *s, struct store_user *u, struct err *e)
{
	static const char sql[] =
	    "INSERT INTO app_user (id, email, email_norm, display_name, password_hash, "
	    "must_change_password, is_instance_admin, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st = prepare(s, sql, e);
	char norm[256], now[32];
	int rc;

	if (st == NULL)
		return -1;
	store_new_id(u->id, sizeof(u->id), "usr");
	normalise_email(u->email, norm, sizeof(norm));
	now_rfc3339(now, sizeof(now));
	sqlite3_bind_text(st, 1, u->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, u->email, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, norm, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, u->display_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, u->password_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, u->must_change_password);
	sqlite3_bind_int(st, 7, u->is_instance_admin);
	sqlite3_bind_text(st, 8, now, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		return err_set(e, 409, "a user with that email exists");
	if (rc != SQLITE_DONE)
		return db_err(s, e, "create user");
	return 0;
}

static void
copy_col(sqlite3_stmt *st, int col, char *dst, size_t len)
{
	const unsigned char *v = sqlite3_column_text(st, col);
	snprintf(dst, len, "%s", v ? (const char *)v : "");
}

int
store_user_by_email(struct store *s, const char *email, struct store_user *out, struct err *e)
{
	static const char sql[] =
	    "SELECT id, email, display_name, password_hash, must_change_password, "
	    "is_instance_admin, disabled_at IS NOT NULL FROM app_user WHERE email_norm = ?";
	sqlite3_stmt *st = prepare(s, sql, e);
	char norm[256];
	int rc;

	if (st == NULL)
		return -1;
	normalise_email(email, norm, sizeof(norm));
	sqlite3_bind_text(st, 1, norm, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return db_err(s, e, "find user");
	}
	copy_col(st, 0, out->id, sizeof(out->id));
	copy_col(st, 1, out->email, sizeof(out->email));
	copy_col(st, 2, out->display_name, sizeof(out->display_name));
	copy_col(st, 3, out->password_hash, sizeof(out->password_hash));
	out->must_change_password = sqlite3_column_int(st, 4);
	out->is_instance_admin = sqlite3_column_int(st, 5);
	out->disabled = sqlite3_column_int(st, 6);
	sqlite3_reset(st);
	return 1;
}

int
store_production_create(struct store *s, struct store_production *p, struct err *e)
{
	static const char sql[] =
	    "INSERT INTO production (id, name, timezone, created_at) VALUES (?, ?, ?, ?)";
	sqlite3_stmt *st = prepare(s, sql, e);
	char now[32];
	int rc;

	if (st == NULL)
		return -1;
	store_new_id(p->id, sizeof(p->id), "prd");
	now_rfc3339(now, sizeof(now));
	sqlite3_bind_text(st, 1, p->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, p->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, p->timezone, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_err(s, e, "create production");
	return 0;
}

int
store_production_count(struct store *s, long *n, struct err *e)
{
	static const char sql[] = "SELECT COUNT(*) FROM production";
	sqlite3_stmt *st = prepare(s, sql, e);
	if (st == NULL)
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return db_err(s, e, "count productions");
	}
	*n = (long)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

int
store_session_create(struct store *s, const char *user_id, const char *token_hash,
                     long lifetime_seconds, struct err *e)
{
	static const char sql[] = "INSERT INTO session (id, token_hash, user_id, created_at, "
	                          "expires_at) VALUES (?, ?, ?, ?, ?)";
	sqlite3_stmt *st = prepare(s, sql, e);
	char id[STORE_ID_LEN + 8], now[32], until[32];
	time_t t = time(NULL);
	int rc;

	if (st == NULL)
		return -1;
	store_new_id(id, sizeof(id), "ses");
	rfc3339_at(t, now, sizeof(now));
	rfc3339_at(t + lifetime_seconds, until, sizeof(until));
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, token_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, user_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, until, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_err(s, e, "create session");
	return 0;
}

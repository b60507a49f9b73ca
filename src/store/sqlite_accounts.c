/*
 * sqlite_accounts.c — accounts and what signs them in, over SQLite: users,
 * sessions, sign-in throttling state, second factors and recovery codes,
 * API tokens and password-reset links (store.h). The helpers they share
 * with the other files are in sqlite_int.h; the connection, transactions
 * and sealing are sqlite.c's.
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
#include "store/store.h"
#include "store/sqlite_int.h"
#include "crypto/keyring.h"
#include "util/email.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/xalloc.h"
#include "util/nitems.h"
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
	if (sq_email_index(s, u->email, idx, e) == -1)
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
store_user_by_email(struct store *s, const char *email, struct store_user *out, struct err *e)
{
	static const char sql[] = "SELECT " USER_COLS " FROM app_user u WHERE u.email_index = ?";
	sqlite3_stmt *st;
	char idx[65];
	int rc;

	if ((st = sq_prepare(s, sql, e)) == NULL)
		return -1;
	if (sq_email_index(s, email, idx, e) == -1)
		return -1;
	sqlite3_bind_text(st, 1, idx, -1, SQLITE_STATIC);
	if ((rc = sq_one_row(s, st, "find user", e)) == 1) {
		sq_read_user(s, st, 0, out);
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
		sq_read_user(s, st, 0, out);
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
		sq_read_account(s, st, 6, &out->user, 0);
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
	return sq_run_quiet(s, st, "touch session", e) == -1 ? -1 : 0;
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
store_login_state(struct store *s, const char *account_key, const char *source, long long since,
                  struct store_login_state *out, struct err *e)
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
	out->address_first_last_at = sqlite3_column_int64(st, 6);
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
		sq_read_user(s, st, 0, &u);
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
	/* everything that could act for it ends, so that enabling it again brings none back */
	if (store_session_revoke_all(s, id, NULL, now, e) == -1 ||
	    store_token_revoke_all(s, id, now, e) == -1 ||
	    store_reset_revoke_all(s, id, now, e) == -1)
		return -1;
	return n > 0;
}
int
store_user_enable(struct store *s, const char *id, struct err *e)
{
	/* an account enabled again is no longer closed: its deletion is called off */
	static const char sql[] = "UPDATE app_user SET disabled_at = NULL, closed_at = NULL, "
	                          "deletion_due = NULL, closed_by_self = 0 WHERE id = ? "
	                          "AND disabled_at IS NOT NULL";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int n;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((n = sq_run(s, st, "enable user", e)) == -1)
		return -1;
	return n > 0;
}
int
store_user_close(struct store *s, const char *id, long long now, long long due, int by_self,
                 struct err *e)
{
	static const char sql[] = "UPDATE app_user SET closed_at = ?, deletion_due = ?, "
	                          "closed_by_self = ? WHERE id = ? AND closed_at IS NULL";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int n;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, due);
	sqlite3_bind_int(st, 3, by_self != 0);
	sqlite3_bind_text(st, 4, id, -1, SQLITE_STATIC);
	if ((n = sq_run(s, st, "close user", e)) <= 0)
		return n;
	/* a closed account is a disabled one (an account disabled before stays so) */
	return store_user_disable(s, id, now, e) == -1 ? -1 : 1;
}
int
store_user_closure(struct store *s, const char *id, struct store_closure *out, struct err *e)
{
	static const char sql[] = "SELECT closed_at, deletion_due, closed_by_self FROM app_user "
	                          "WHERE id = ? AND closed_at IS NOT NULL";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;

	memset(out, 0, sizeof(*out));
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = sq_one_row(s, st, "read closure", e)) == 1) {
		out->closed_at = sqlite3_column_int64(st, 0);
		out->deletion_due = sqlite3_column_int64(st, 1);
		out->by_self = sqlite3_column_int(st, 2);
		sqlite3_reset(st);
	}
	return rc;
}
int
store_user_reopen(struct store *s, const char *id, long long now, struct err *e)
{
	static const char sql[] = "UPDATE app_user SET disabled_at = NULL, closed_at = NULL, "
	                          "deletion_due = NULL, closed_by_self = 0 "
	                          "WHERE id = ? AND closed_at IS NOT NULL AND deletion_due > ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	return sq_run(s, st, "reopen user", e);
}
int
store_users_due(struct store *s, long long now,
                void (*fn)(const char *id, const struct store_closure *, void *), void *arg,
                struct err *e)
{
	static const char sql[] =
	    "SELECT id, closed_at, deletion_due, closed_by_self FROM app_user "
	    "WHERE deletion_due IS NOT NULL AND deletion_due <= ? "
	    "ORDER BY deletion_due, id";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_closure c = {sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
		                          sqlite3_column_int(st, 3)};
		char id[STORE_ID_LEN + 8];
		snprintf(id, sizeof(id), "%s", (const char *)sqlite3_column_text(st, 0));
		fn(id, &c, arg);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sq_db_err(s, e, "list accounts due for deletion");
}
int
store_user_delete(struct store *s, const char *id, struct err *e)
{
	static const char sql[] = "DELETE FROM app_user WHERE id = ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int n;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((n = sq_run(s, st, "delete user", e)) <= 0)
		return n;
	/* its sessions, tokens, memberships and second factor go with it (ON DELETE CASCADE);
	   its person key (the sealed email) once the delete commits */
	return sq_shred_after_commit(s, id, e) == -1 ? -1 : 1;
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
	sq_read_user(s, st, 8, &t->user);
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
	return sq_run_quiet(s, st, "touch token", e) == -1 ? -1 : 0;
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
		sq_read_user(s, st, 0, user);
		sqlite3_reset(st);
	}
	return rc;
}
/*
 * Spends a single-use link: `sql` sets its used-at column to ?1 where the
 * key is ?2, it is unused and unexpired (?3 = now). 1 spent now, 0 not live.
 */
int
sq_spend_once(struct store *s, const char *sql, const char *key, long long now, const char *what,
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
	return sq_spend_once(s, sql, token_hash, now, "spend reset link", e);
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

/* ---- subprocessor announcements (0030) ---- */

int
store_leader_emails(struct store *s, void (*fn)(const char *email, void *), void *arg,
                    struct err *e)
{
	static const char sql[] =
	    "SELECT DISTINCT u.id FROM membership m JOIN app_user u ON u.id = m.user_id "
	    "WHERE m.revoked_at IS NULL AND m.role IN ('production_admin', 'producer') "
	    "AND u.disabled_at IS NULL ORDER BY u.id";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	char **ids = NULL;
	size_t n = 0, cap = 0;
	int rc;

	if (st == NULL)
		return -1;
	/* the ids first: store_user_email steps a statement of its own */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			ids = xrealloc(ids, cap * sizeof(*ids));
		}
		ids[n++] = xstrdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_reset(st);
	rc = rc == SQLITE_DONE ? 0 : sq_db_err(s, e, "list production leaders");
	for (size_t i = 0; i < n; i++) {
		char email[256];
		if (rc == 0 && store_user_email(s, ids[i], email, sizeof(email), e) == 1 &&
		    strchr(email, '@') != NULL)
			fn(email, arg);
		free(ids[i]);
	}
	free(ids);
	return rc;
}

int
store_subproc_notice_get(struct store *s, const char *entry_hash, char announced_on[11],
                         char effective_on[11], struct err *e)
{
	static const char sql[] =
	    "SELECT announced_on, effective_on FROM subprocessor_notice WHERE entry_hash = ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, entry_hash, -1, SQLITE_STATIC);
	if ((rc = sq_one_row(s, st, "read a subprocessor notice", e)) == 1) {
		sq_copy_col(st, 0, announced_on, 11);
		sq_copy_col(st, 1, effective_on, 11);
		sqlite3_reset(st);
	}
	return rc;
}

int
store_subproc_notice_add(struct store *s, const char *entry_hash, const char *name,
                         const char *announced_on, const char *effective_on, long recipients,
                         struct err *e)
{
	static const char sql[] =
	    "INSERT INTO subprocessor_notice (entry_hash, name, announced_on, "
	    "effective_on, recipients) VALUES (?, ?, ?, ?, ?)";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, entry_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, announced_on, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, effective_on, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, recipients);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sq_db_err(s, e, "record a subprocessor notice");
}

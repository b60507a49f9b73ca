/*
 * sqlite_feed.c — personal calendar feeds (api/feeds.c).
 *
 * Table calendar_feed (migration 0022): one row per (user, production),
 * holding the hex SHA-256 of the feed's token (crypto/token.h), never the
 * token. Creating a feed for a pair that has one replaces the row, so the
 * old token stops matching in the same statement that makes the new one
 * (rotation is one write). Revoking deletes the row. Whether the account is
 * disabled or the membership revoked is not copied here: the API reads both
 * afresh on every use of the feed.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "store/sqlite_int.h"
#include "store/store.h"

int
store_feed_set(struct store *s, const char *user_id, const char *production_id,
               const char *token_hash, long long now, struct err *e)
{
	static const char sql[] =
	    "INSERT INTO calendar_feed (user_id, production_id, token_hash, created_at) "
	    "VALUES (?, ?, ?, ?) ON CONFLICT (user_id, production_id) DO UPDATE SET "
	    "token_hash = excluded.token_hash, created_at = excluded.created_at";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, token_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	return sq_run(s, st, "set calendar feed", e) == -1 ? -1 : 0;
}

int
store_feed_delete(struct store *s, const char *user_id, const char *production_id, struct err *e)
{
	static const char sql[] =
	    "DELETE FROM calendar_feed WHERE user_id = ? AND production_id = ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int n;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, production_id, -1, SQLITE_STATIC);
	if ((n = sq_run(s, st, "revoke calendar feed", e)) == -1)
		return -1;
	return n > 0 ? 1 : 0;
}

int
store_feed_by_hash(struct store *s, const char *token_hash, struct store_feed *out, struct err *e)
{
	static const char sql[] = "SELECT f.user_id, f.production_id, u.disabled_at IS NOT NULL "
	                          "FROM calendar_feed f JOIN app_user u ON u.id = f.user_id "
	                          "WHERE f.token_hash = ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;
	if (st == NULL)
		return -1;
	memset(out, 0, sizeof(*out));
	sqlite3_bind_text(st, 1, token_hash, -1, SQLITE_STATIC);
	if ((rc = sq_one_row(s, st, "find calendar feed", e)) == 1) {
		sq_copy_col(st, 0, out->user_id, sizeof(out->user_id));
		sq_copy_col(st, 1, out->production_id, sizeof(out->production_id));
		out->user_disabled = sqlite3_column_int(st, 2) != 0;
		sqlite3_reset(st);
	}
	return rc;
}

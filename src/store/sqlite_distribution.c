/*
 * sqlite_distribution.c — call sheets sent by mail (migration 0025): the
 * outbox's statuses, the deliveries of each version to each recipient, the
 * personal links, and how an acknowledgement came (store.h).
 *
 * A delivery's status is its outbox message's (queued, sending, deferred,
 * sent, failed), read through the join, so the two never disagree; a
 * delivery with no message is not_sent, its reason kept. A sent message
 * that a bounce came back for (migration 0027: bounced_at set) reads as
 * bounced, its reason the report's Status and Diagnostic-Code. A link is found by
 * the hex SHA-256 of its token only, and opens while it is unexpired,
 * unrevoked, its version is the newest of its day and its person is still
 * a recipient of it (a removed person's links go with the row: cascade).
 * The outbox's to_addr and body stay sealed under the instance key as in
 * sqlite_audit.c; relay answers and errors are the relay's words, which
 * hold no body or link.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/keyring.h"
#include "store/sqlite_int.h"
#include "store/store.h"

int
store_outbox_add_for(struct store *s, const char *to, const char *subject, const char *body,
                     const char *callsheet_id, const char *person_id, long long now,
                     char id_out[STORE_ID_LEN + 8], struct err *e)
{
	static const char sql[] =
	    "INSERT INTO outbox (id, created_at, to_addr, subject, body, callsheet_id, person_id) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	char *sealed_to = NULL, *sealed_body = NULL;
	int rc = -1;

	if (st == NULL)
		return -1;
	store_new_id(id_out, STORE_ID_LEN + 8, "msg");
	if ((sealed_to = sq_seal_text(s, KEYRING_INSTANCE, "outbox", "to_addr", id_out, to, e)) ==
	        NULL ||
	    (sealed_body = sq_seal_text(s, KEYRING_INSTANCE, "outbox", "body", id_out, body, e)) ==
	        NULL)
		goto out;
	sqlite3_bind_text(st, 1, id_out, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_text(st, 3, sealed_to, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, sealed_body, -1, SQLITE_STATIC);
	sq_bind_opt(st, 6, callsheet_id);
	sq_bind_opt(st, 7, person_id);
	rc = sq_run(s, st, "queue mail", e) == -1 ? -1 : 0;
out:
	free(sealed_to);
	free(sealed_body);
	return rc;
}

int
store_outbox_due(struct store *s, int max_attempts, long long now, struct store_outmail *out,
                 struct err *e)
{
	static const char sql[] =
	    "SELECT o.id, o.to_addr, o.subject, o.body, o.created_at, o.attempts, o.status, "
	    "COALESCE(o.callsheet_id, ''), COALESCE(o.person_id, ''), COALESCE(c.production_id, "
	    "'') FROM outbox o LEFT JOIN callsheet c ON c.id = o.callsheet_id "
	    "WHERE o.sent_at IS NULL AND o.status IN ('queued', 'sending', 'deferred') "
	    "AND o.attempts < ? AND o.next_attempt_at <= ? ORDER BY o.created_at, o.id LIMIT 1";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;

	if (st == NULL)
		return -1;
	memset(out, 0, sizeof(*out));
	sqlite3_bind_int(st, 1, max_attempts);
	sqlite3_bind_int64(st, 2, now);
	if ((rc = sq_one_row(s, st, "read outbox", e)) == 1) {
		struct store_mail *m = &out->m;
		struct keyring_place p = {"outbox", "body", m->id};
		size_t n;
		sq_copy_col(st, 0, m->id, sizeof(m->id));
		sq_unseal_col(s, st, 1, "outbox", "to_addr", m->id, m->to, sizeof(m->to));
		sq_copy_col(st, 2, m->subject, sizeof(m->subject));
		if (s->keys == NULL ||
		    keyring_unseal(s->keys, &p, (const char *)sqlite3_column_text(st, 3), &m->body,
		                   &n, e) != 1) {
			sqlite3_reset(st);
			free(m->body);
			m->body = NULL;
			return s->keys == NULL ? err_set(e, 500, "no keystore") : -1;
		}
		m->created_at = sqlite3_column_int64(st, 4);
		m->attempts = sqlite3_column_int(st, 5);
		sq_copy_col(st, 6, out->status, sizeof(out->status));
		sq_copy_col(st, 7, out->callsheet_id, sizeof(out->callsheet_id));
		sq_copy_col(st, 8, out->person_id, sizeof(out->person_id));
		sq_copy_col(st, 9, out->production_id, sizeof(out->production_id));
		sqlite3_reset(st);
	}
	return rc;
}

static int
outbox_set(struct store *s, const char *sql, const char *id, const char *text, long long at, int n,
           const char *what, struct err *e)
{
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (strstr(sql, "?2") != NULL)
		sq_bind_opt(st, 2, text);
	if (strstr(sql, "?3") != NULL)
		sqlite3_bind_int64(st, 3, at);
	if (strstr(sql, "?4") != NULL)
		sqlite3_bind_int(st, 4, n);
	return sq_run(s, st, what, e) == -1 ? -1 : 0;
}

int
store_outbox_sending(struct store *s, const char *id, struct err *e)
{
	return outbox_set(s, "UPDATE outbox SET status = 'sending' WHERE id = ?1", id, NULL, 0, 0,
	                  "mark mail sending", e);
}

int
store_outbox_accepted(struct store *s, const char *id, long long now, const char *answer,
                      struct err *e)
{
	return outbox_set(s,
	                  "UPDATE outbox SET status = 'sent', sent_at = ?3, body = '', "
	                  "last_error = NULL, relay_answer = ?2 WHERE id = ?1",
	                  id, answer, now, 0, "mark mail sent", e);
}

int
store_outbox_deferred(struct store *s, const char *id, const char *why, long long next_at,
                      int max_attempts, struct err *e)
{
	return outbox_set(s,
	                  "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, "
	                  "next_attempt_at = ?3, status = CASE WHEN attempts + 1 >= ?4 THEN "
	                  "'failed' ELSE 'deferred' END WHERE id = ?1",
	                  id, why, next_at, max_attempts, "mark mail deferred", e);
}

int
store_outbox_refused(struct store *s, const char *id, const char *why, const char *answer,
                     struct err *e)
{
	static const char sql[] =
	    "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, relay_answer = ?3, "
	    "status = 'failed' WHERE id = ?1";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sq_bind_opt(st, 2, why);
	sq_bind_opt(st, 3, answer != NULL && answer[0] != '\0' ? answer : NULL);
	return sq_run(s, st, "mark mail failed", e) == -1 ? -1 : 0;
}

int
store_outbox_bounced(struct store *s, const char *id, long long now, const char *reason,
                     struct err *e)
{
	static const char sql[] = "UPDATE outbox SET bounced_at = ?2, bounce_reason = ?3 "
	                          "WHERE id = ?1 AND status = 'sent' AND bounced_at IS NULL";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int changed;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
	if ((changed = sq_run(s, st, "mark mail bounced", e)) == -1)
		return -1;
	return changed > 0 ? 1 : 0;
}

int
store_delivery_add(struct store *s, const char *callsheet_id, const char *person_id,
                   const char *kind, const char *outbox_id, const char *reason, long long now,
                   struct err *e)
{
	static const char sql[] =
	    "INSERT INTO callsheet_delivery (id, callsheet_id, person_id, kind, outbox_id, reason, "
	    "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	char id[STORE_ID_LEN + 8];

	if (st == NULL)
		return -1;
	store_new_id(id, sizeof(id), "dlv");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, callsheet_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, person_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, kind, -1, SQLITE_STATIC);
	sq_bind_opt(st, 5, outbox_id);
	sq_bind_opt(st, 6, reason);
	sqlite3_bind_int64(st, 7, now);
	return sq_run(s, st, "record a delivery", e) == -1 ? -1 : 0;
}

int
store_delivery_list(struct store *s, const char *callsheet_id,
                    void (*fn)(const struct store_delivery *, void *), void *arg, struct err *e)
{
	static const char sql[] =
	    "SELECT d.id, d.person_id, d.kind, CASE WHEN d.outbox_id IS NULL THEN 'not_sent' "
	    "WHEN o.bounced_at IS NOT NULL THEN 'bounced' ELSE COALESCE(o.status, 'sent') END, "
	    "COALESCE(d.reason, o.bounce_reason, o.last_error, ''), "
	    "COALESCE(o.relay_answer, ''), d.created_at, COALESCE(o.sent_at, 0), "
	    "COALESCE(o.next_attempt_at, 0), COALESCE(o.attempts, 0) "
	    "FROM callsheet_delivery d LEFT JOIN outbox o ON o.id = d.outbox_id "
	    "WHERE d.callsheet_id = ? ORDER BY d.created_at, d.rowid";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, callsheet_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_delivery d;
		sq_copy_col(st, 0, d.id, sizeof(d.id));
		sq_copy_col(st, 1, d.person_id, sizeof(d.person_id));
		sq_copy_col(st, 2, d.kind, sizeof(d.kind));
		sq_copy_col(st, 3, d.status, sizeof(d.status));
		sq_copy_col(st, 4, d.reason, sizeof(d.reason));
		sq_copy_col(st, 5, d.relay_answer, sizeof(d.relay_answer));
		d.created_at = sqlite3_column_int64(st, 6);
		d.sent_at = sqlite3_column_int64(st, 7);
		d.next_attempt_at = sqlite3_column_int64(st, 8);
		d.attempts = sqlite3_column_int(st, 9);
		fn(&d, arg);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sq_db_err(s, e, "list deliveries");
}

int
store_delivery_sent_before(struct store *s, const char *day_id, int version, const char *person_id,
                           char prev_id[STORE_ID_LEN + 8], struct err *e)
{
	static const char sql[] =
	    "SELECT c.id FROM callsheet_delivery d JOIN callsheet c ON c.id = d.callsheet_id "
	    "WHERE c.day_id = ? AND c.version < ? AND d.person_id = ? AND d.outbox_id IS NOT NULL "
	    "ORDER BY c.version DESC LIMIT 1";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, day_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, version);
	sqlite3_bind_text(st, 3, person_id, -1, SQLITE_STATIC);
	if ((rc = sq_one_row(s, st, "find an earlier delivery", e)) == 1) {
		sq_copy_col(st, 0, prev_id, STORE_ID_LEN + 8);
		sqlite3_reset(st);
	}
	return rc;
}

int
store_link_add(struct store *s, const char *token_hash, const char *callsheet_id,
               const char *person_id, long long now, long long expires_at, struct err *e)
{
	static const char sql[] =
	    "INSERT INTO callsheet_link (token_hash, callsheet_id, person_id, created_at, "
	    "expires_at) VALUES (?, ?, ?, ?, ?)";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, token_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, callsheet_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, person_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, expires_at);
	return sq_run(s, st, "create a call sheet link", e) == -1 ? -1 : 0;
}

int
store_link_revoke_day(struct store *s, const char *day_id, const char *keep_callsheet_id,
                      long long now, struct err *e)
{
	static const char sql[] =
	    "UPDATE callsheet_link SET revoked_at = ?3 WHERE revoked_at IS NULL AND "
	    "callsheet_id <> ?2 AND callsheet_id IN (SELECT id FROM callsheet WHERE day_id = ?1)";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, day_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, keep_callsheet_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	return sq_run(s, st, "revoke superseded links", e) == -1 ? -1 : 0;
}

int
store_link_find(struct store *s, const char *token_hash, long long now, struct store_link *out,
                struct err *e)
{
	static const char sql[] =
	    "SELECT l.callsheet_id, l.person_id, c.production_id, l.expires_at "
	    "FROM callsheet_link l JOIN callsheet c ON c.id = l.callsheet_id "
	    "JOIN callsheet_recipient r ON r.callsheet_id = l.callsheet_id AND r.person_id = "
	    "l.person_id WHERE l.token_hash = ? AND l.revoked_at IS NULL AND l.expires_at > ? "
	    "AND c.version = (SELECT MAX(m.version) FROM callsheet m WHERE m.day_id = c.day_id)";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;

	if (st == NULL)
		return -1;
	memset(out, 0, sizeof(*out));
	sqlite3_bind_text(st, 1, token_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	if ((rc = sq_one_row(s, st, "find a call sheet link", e)) == 1) {
		sq_copy_col(st, 0, out->callsheet_id, sizeof(out->callsheet_id));
		sq_copy_col(st, 1, out->person_id, sizeof(out->person_id));
		sq_copy_col(st, 2, out->production_id, sizeof(out->production_id));
		out->expires_at = sqlite3_column_int64(st, 3);
		sqlite3_reset(st);
	}
	return rc;
}

int
store_callsheet_ack_via(struct store *s, const char *callsheet_id, const char *person_id,
                        const char *via, struct err *e)
{
	static const char sql[] =
	    "UPDATE callsheet_recipient SET acknowledged_via = CASE WHEN acknowledged_at IS NULL "
	    "THEN ?4 ELSE acknowledged_via END, acknowledged_at = COALESCE(acknowledged_at, ?1) "
	    "WHERE callsheet_id = ?2 AND person_id = ?3";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	char now[32];
	int n;

	if (st == NULL)
		return -1;
	sq_now_rfc3339(now, sizeof(now));
	sqlite3_bind_text(st, 1, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, callsheet_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, person_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, via, -1, SQLITE_STATIC);
	n = sq_run(s, st, "acknowledge a call sheet", e);
	return n < 0 ? -1 : n > 0;
}

int
store_callsheet_ack_of(struct store *s, const char *callsheet_id, const char *person_id,
                       char at[32], char via[8], struct err *e)
{
	static const char sql[] =
	    "SELECT COALESCE(acknowledged_at, ''), COALESCE(acknowledged_via, '') "
	    "FROM callsheet_recipient WHERE callsheet_id = ? AND person_id = ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;

	if (st == NULL)
		return -1;
	at[0] = via[0] = '\0';
	sqlite3_bind_text(st, 1, callsheet_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, person_id, -1, SQLITE_STATIC);
	if ((rc = sq_one_row(s, st, "read an acknowledgement", e)) == 1) {
		sq_copy_col(st, 0, at, 32);
		sq_copy_col(st, 1, via, 8);
		sqlite3_reset(st);
	}
	return rc;
}

int
store_production_set_link_access(struct store *s, const char *id, int on, struct err *e)
{
	static const char sql[] = "UPDATE production SET link_access = ? WHERE id = ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int n;
	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, on != 0);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	n = sq_run(s, st, "set link_access", e);
	return n < 0 ? -1 : n > 0;
}

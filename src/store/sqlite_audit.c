/*
 * sqlite_audit.c — the audit log and the mail outbox over SQLite (store.h):
 * appending to the hash chain of audit events and reading it back, and the
 * queue of mail the notifier sends.
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
	if (sq_run_quiet(s, st, "append audit event", e) == -1)
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
/* Steps st (bound), handing each event to fn; resets it. */
static int
each_event(struct store *s, sqlite3_stmt *st, void (*fn)(const struct store_audit_event *, void *),
           void *arg, const char *what, struct err *e)
{
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_audit_event ev;
		read_audit(st, &ev);
		fn(&ev, arg);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sq_db_err(s, e, what);
}
int
store_audit_of_production(struct store *s, const char *production_id, long long before, long limit,
                          void (*fn)(const struct store_audit_event *, void *), void *arg,
                          struct err *e)
{
	return store_audit_of_production_where(s, production_id, NULL, before, limit, fn, arg, e);
}

/*
 * The filters are in the statement, so LIMIT counts matching events only and
 * the last seq of a page is where the next page of matches starts. An action
 * ending in '.' is a prefix (compared with substr, not LIKE: '_' is no
 * wildcard here). A person is named in object as the whole value or as one
 * item of a comma-separated list; their linked account (as linked now) is
 * the actor, or their membership's id is the object.
 */
int
store_audit_of_production_where(struct store *s, const char *production_id,
                                const struct store_audit_filter *f, long long before, long limit,
                                void (*fn)(const struct store_audit_event *, void *), void *arg,
                                struct err *e)
{
	static const char sql[] =
	    "SELECT seq, at, actor, source, action, object, outcome, request_id, production_id, "
	    "prev_hash, hash FROM audit_event WHERE production_id = ?1 AND (?2 = 0 OR seq < ?2) "
	    "AND (?4 IS NULL OR action = ?4 OR (substr(?4, -1) = '.' "
	    "AND substr(action, 1, length(?4)) = ?4)) "
	    "AND (?5 IS NULL OR instr(',' || coalesce(object, '') || ',', ',' || ?5 || ',') > 0 "
	    "OR actor = (SELECT user_id FROM person WHERE id = ?5 AND production_id = ?1) "
	    "OR object = (SELECT m.id FROM membership m JOIN person p ON p.user_id = m.user_id "
	    "AND p.production_id = m.production_id WHERE p.id = ?5 AND m.production_id = ?1)) "
	    "ORDER BY seq DESC LIMIT ?3";
	sqlite3_stmt *st = sq_prepare(s, sql, e);

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, before);
	sqlite3_bind_int64(st, 3, limit);
	if (f != NULL && f->action != NULL)
		sqlite3_bind_text(st, 4, f->action, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 4);
	if (f != NULL && f->person_id != NULL)
		sqlite3_bind_text(st, 5, f->person_id, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 5);
	return each_event(s, st, fn, arg, "list audit events", e);
}
/*
 * By the account (actor: its index) or, outside any production, about it
 * (object: the instance-level events, which the production index narrows
 * to), oldest first.
 */
int
store_audit_of_account(struct store *s, const char *user_id,
                       void (*fn)(const struct store_audit_event *, void *), void *arg,
                       struct err *e)
{
	static const char sql[] =
	    "SELECT seq, at, actor, source, action, object, outcome, request_id, production_id, "
	    "prev_hash, hash FROM audit_event WHERE actor = ?1 UNION "
	    "SELECT seq, at, actor, source, action, object, outcome, request_id, production_id, "
	    "prev_hash, hash FROM audit_event WHERE production_id IS NULL AND object = ?1 "
	    "ORDER BY seq";
	sqlite3_stmt *st = sq_prepare(s, sql, e);

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
	return each_event(s, st, fn, arg, "list an account's audit events", e);
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
store_audit_between(struct store *s, const char *action, const char *from, const char *to,
                    void (*fn)(const struct store_audit_event *, void *), void *arg, struct err *e)
{
	static const char sql[] =
	    "SELECT seq, at, actor, source, action, object, outcome, request_id, production_id, "
	    "prev_hash, hash FROM audit_event WHERE action = ? AND at >= ? AND at < ? ORDER BY seq";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, to, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_audit_event ev;
		read_audit(st, &ev);
		fn(&ev, arg);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return sq_db_err(s, e, "read audit log");
	return 0;
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
	    "WHERE sent_at IS NULL AND status NOT IN ('sent', 'failed') AND attempts < ? "
	    "ORDER BY created_at, id LIMIT 1";
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
	static const char sql[] = "UPDATE outbox SET sent_at = ?, body = '', last_error = NULL, "
	                          "status = 'sent' WHERE id = ?";
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

/*
 * sqlite_incident.c — the incident register's rows (migration 0029,
 * domain/incidents.h says what they mean).
 *
 * incident.details and incident_history.change are JSON objects sealed
 * under the instance key (KEYRING_INSTANCE), bound to their row: the
 * register's free text names what happened to people, so it is kept as the
 * outbox's bodies are, never in the clear in the file or in a backup's
 * pages. Status, times and the affected ids stay in the clear: the clock,
 * /metrics and a listing read them without opening anything. Nothing here
 * deletes: the migration's triggers refuse a delete (Article 33(5)).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/keyring.h"
#include "store/sqlite_int.h"
#include "store/store.h"
#include "util/xalloc.h"

#define INCIDENT_COLS                                                                              \
	"id, status, discovered_at, aware_at, aware_epoch, notified_at, notified_epoch, details, " \
	"affected, opened_by, opened_at, updated_at"

/* The opened envelope at column col (malloc'd), or a JSON object saying why it does not open. */
static char *
unseal_json(struct store *s, sqlite3_stmt *st, int col, const char *table, const char *column,
            const char *row_id)
{
	struct keyring_place p = {table, column, row_id};
	const char *env = (const char *)sqlite3_column_text(st, col);
	char *out = NULL;
	size_t n;
	struct err e;
	int rc;

	if (env == NULL || env[0] == '\0')
		return xstrdup("{}");
	rc = s->keys == NULL ? -1 : keyring_unseal(s->keys, &p, env, &out, &n, &e);
	if (rc == 1)
		return out;
	free(out);
	return xstrdup(rc == 0 ? "{\"sealed\":\"" KEYRING_ERASED "\"}"
	                       : "{\"sealed\":\"[unreadable]\"}");
}

static void
read_incident(struct store *s, sqlite3_stmt *st, int with_details, struct store_incident *in)
{
	const char *aff;

	memset(in, 0, sizeof(*in));
	sq_copy_col(st, 0, in->id, sizeof(in->id));
	sq_copy_col(st, 1, in->status, sizeof(in->status));
	sq_copy_col(st, 2, in->discovered_at, sizeof(in->discovered_at));
	sq_copy_col(st, 3, in->aware_at, sizeof(in->aware_at));
	in->aware_epoch = sqlite3_column_int64(st, 4);
	sq_copy_col(st, 5, in->notified_at, sizeof(in->notified_at));
	in->notified_epoch = sqlite3_column_int64(st, 6);
	in->details = with_details ? unseal_json(s, st, 7, "incident", "details", in->id) : NULL;
	aff = (const char *)sqlite3_column_text(st, 8);
	in->affected = aff != NULL ? xstrdup(aff) : NULL;
	sq_copy_col(st, 9, in->opened_by, sizeof(in->opened_by));
	sq_copy_col(st, 10, in->opened_at, sizeof(in->opened_at));
	sq_copy_col(st, 11, in->updated_at, sizeof(in->updated_at));
}

void
store_incident_free(struct store_incident *in)
{
	if (in == NULL)
		return;
	free(in->details);
	free(in->affected);
	in->details = in->affected = NULL;
}

int
store_incident_create(struct store *s, struct store_incident *in, struct err *e)
{
	static const char sql[] =
	    "INSERT INTO incident (" INCIDENT_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st;
	char *sealed;
	int rc;

	store_new_id(in->id, sizeof(in->id), "inc");
	if ((sealed = sq_seal_text(s, KEYRING_INSTANCE, "incident", "details", in->id,
	                           in->details != NULL ? in->details : "{}", e)) == NULL)
		return -1;
	if ((st = sq_prepare(s, sql, e)) == NULL) {
		free(sealed);
		return -1;
	}
	sqlite3_bind_text(st, 1, in->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, in->status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, in->discovered_at, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, in->aware_at, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, in->aware_epoch);
	sq_bind_opt(st, 6, in->notified_at[0] ? in->notified_at : NULL);
	if (in->notified_at[0])
		sqlite3_bind_int64(st, 7, in->notified_epoch);
	sqlite3_bind_text(st, 8, sealed, -1, SQLITE_STATIC);
	sq_bind_opt(st, 9, in->affected);
	sq_bind_opt(st, 10, in->opened_by[0] ? in->opened_by : NULL);
	sqlite3_bind_text(st, 11, in->opened_at, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 12, in->updated_at, -1, SQLITE_STATIC);
	rc = sq_run(s, st, "add incident", e);
	free(sealed);
	return rc == -1 ? -1 : 0;
}

int
store_incident_update(struct store *s, const struct store_incident *in, struct err *e)
{
	static const char sql[] =
	    "UPDATE incident SET status = ?, discovered_at = ?, aware_at = ?, aware_epoch = ?, "
	    "notified_at = ?, notified_epoch = ?, details = ?, affected = ?, updated_at = ? "
	    "WHERE id = ?";
	sqlite3_stmt *st;
	char *sealed;
	int rc;

	if ((sealed = sq_seal_text(s, KEYRING_INSTANCE, "incident", "details", in->id,
	                           in->details != NULL ? in->details : "{}", e)) == NULL)
		return -1;
	if ((st = sq_prepare(s, sql, e)) == NULL) {
		free(sealed);
		return -1;
	}
	sqlite3_bind_text(st, 1, in->status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, in->discovered_at, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, in->aware_at, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, in->aware_epoch);
	sq_bind_opt(st, 5, in->notified_at[0] ? in->notified_at : NULL);
	if (in->notified_at[0])
		sqlite3_bind_int64(st, 6, in->notified_epoch);
	sqlite3_bind_text(st, 7, sealed, -1, SQLITE_STATIC);
	sq_bind_opt(st, 8, in->affected);
	sqlite3_bind_text(st, 9, in->updated_at, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, in->id, -1, SQLITE_STATIC);
	rc = sq_run(s, st, "change incident", e);
	free(sealed);
	return rc == -1 ? -1 : rc > 0;
}

int
store_incident_get(struct store *s, const char *id, struct store_incident *out, struct err *e)
{
	static const char sql[] = "SELECT " INCIDENT_COLS " FROM incident WHERE id = ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = sq_one_row(s, st, "read incident", e)) == 1) {
		read_incident(s, st, 1, out);
		sqlite3_reset(st);
	}
	return rc;
}

int
store_incident_list(struct store *s, int with_details,
                    void (*fn)(const struct store_incident *, void *), void *arg, struct err *e)
{
	static const char sql[] =
	    "SELECT " INCIDENT_COLS " FROM incident ORDER BY aware_epoch DESC, id";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_incident in;
		read_incident(s, st, with_details, &in);
		fn(&in, arg);
		store_incident_free(&in);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return sq_db_err(s, e, "list incidents");
	return 0;
}

int
store_incident_history_add(struct store *s, const char *incident_id, const char *at,
                           const char *actor, const char *change, struct err *e)
{
	static const char sql[] =
	    "INSERT INTO incident_history (incident_id, at, actor, change) VALUES (?, ?, ?, ?)";
	sqlite3_stmt *st;
	char *sealed, place[STORE_ID_LEN + 48];
	int rc;

	/* bound to the incident and the time: a change moved to another incident does not open */
	snprintf(place, sizeof(place), "%s@%s", incident_id, at);
	if ((sealed = sq_seal_text(s, KEYRING_INSTANCE, "incident_history", "change", place, change,
	                           e)) == NULL)
		return -1;
	if ((st = sq_prepare(s, sql, e)) == NULL) {
		free(sealed);
		return -1;
	}
	sqlite3_bind_text(st, 1, incident_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, at, -1, SQLITE_STATIC);
	sq_bind_opt(st, 3, actor);
	sqlite3_bind_text(st, 4, sealed, -1, SQLITE_STATIC);
	rc = sq_run(s, st, "add incident history", e);
	free(sealed);
	return rc == -1 ? -1 : 0;
}

int
store_incident_history(struct store *s, const char *incident_id,
                       void (*fn)(const char *at, const char *actor, const char *change, void *),
                       void *arg, struct err *e)
{
	static const char sql[] = "SELECT at, actor, change FROM incident_history "
	                          "WHERE incident_id = ? ORDER BY seq";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, incident_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char at[32], actor[STORE_ID_LEN + 64], place[STORE_ID_LEN + 48], *change;
		sq_copy_col(st, 0, at, sizeof(at));
		sq_copy_col(st, 1, actor, sizeof(actor));
		snprintf(place, sizeof(place), "%s@%s", incident_id, at);
		change = unseal_json(s, st, 2, "incident_history", "change", place);
		fn(at, actor, change, arg);
		free(change);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return sq_db_err(s, e, "read incident history");
	return 0;
}

/*
 * Telling the affected people (migration 0033). A notice's content is
 * sealed under the person's own key, bound to the notice's row; its status
 * once queued is its outbox message's (a bounce read as "bounced").
 */
#define NOTICE_COLS                                                                                \
	"n.id, n.incident_id, n.person_id, n.production_id, n.status, n.content, "                 \
	"COALESCE(n.reason, ''), COALESCE(n.outbox_id, ''), n.drafted_at, "                        \
	"COALESCE(n.queued_at, ''), CASE WHEN o.bounced_at IS NOT NULL THEN 'bounced' "            \
	"ELSE o.status END"

void
store_incident_notice_free(struct store_incident_notice *n)
{
	if (n == NULL)
		return;
	free(n->content);
	n->content = NULL;
}

int
store_incident_notice_put(struct store *s, const char *incident_id, const char *person_id,
                          const char *production_id, const char *content, const char *reason,
                          const char *at, struct err *e)
{
	static const char find[] = "SELECT id, status FROM incident_notice WHERE incident_id = ? "
	                           "AND person_id = ? AND production_id = ?";
	static const char ins[] =
	    "INSERT INTO incident_notice (id, incident_id, person_id, production_id, status, "
	    "content, reason, drafted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
	static const char upd[] = "UPDATE incident_notice SET status = ?, content = ?, reason = ?, "
	                          "drafted_at = ? WHERE id = ? AND status <> 'queued'";
	sqlite3_stmt *st = sq_prepare(s, find, e);
	char id[STORE_ID_LEN + 8] = "", status[16] = "", *sealed = NULL;
	int rc, found;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, incident_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, person_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, production_id, -1, SQLITE_STATIC);
	if ((found = sq_one_row(s, st, "read incident notice", e)) == -1)
		return -1;
	if (found == 1) {
		sq_copy_col(st, 0, id, sizeof(id));
		sq_copy_col(st, 1, status, sizeof(status));
		sqlite3_reset(st);
		if (strcmp(status, "queued") == 0)
			return 0;
	} else {
		store_new_id(id, sizeof(id), "ntc");
	}
	if (content != NULL && (sealed = sq_seal_text(s, person_id, "incident_notice", "content",
	                                              id, content, e)) == NULL)
		return -1;
	if ((st = sq_prepare(s, found == 1 ? upd : ins, e)) == NULL) {
		free(sealed);
		return -1;
	}
	if (found == 1) {
		sqlite3_bind_text(st, 1, content != NULL ? "draft" : "not_notifiable", -1,
		                  SQLITE_STATIC);
		sq_bind_opt(st, 2, sealed);
		sq_bind_opt(st, 3, content != NULL ? NULL : reason);
		sqlite3_bind_text(st, 4, at, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, id, -1, SQLITE_STATIC);
	} else {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, incident_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, person_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, production_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, content != NULL ? "draft" : "not_notifiable", -1,
		                  SQLITE_STATIC);
		sq_bind_opt(st, 6, sealed);
		sq_bind_opt(st, 7, content != NULL ? NULL : reason);
		sqlite3_bind_text(st, 8, at, -1, SQLITE_STATIC);
	}
	rc = sq_run(s, st, "write incident notice", e);
	free(sealed);
	return rc == -1 ? -1 : rc > 0;
}

int
store_incident_notice_list(struct store *s, const char *incident_id,
                           void (*fn)(const struct store_incident_notice *, void *), void *arg,
                           struct err *e)
{
	static const char sql[] = "SELECT " NOTICE_COLS " FROM incident_notice n "
	                          "LEFT JOIN outbox o ON o.id = n.outbox_id "
	                          "WHERE n.incident_id = ? ORDER BY n.rowid";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, incident_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_incident_notice n;
		memset(&n, 0, sizeof(n));
		sq_copy_col(st, 0, n.id, sizeof(n.id));
		sq_copy_col(st, 1, n.incident_id, sizeof(n.incident_id));
		sq_copy_col(st, 2, n.person_id, sizeof(n.person_id));
		sq_copy_col(st, 3, n.production_id, sizeof(n.production_id));
		sq_copy_col(st, 4, n.status, sizeof(n.status));
		n.content = unseal_json(s, st, 5, "incident_notice", "content", n.id);
		sq_copy_col(st, 6, n.reason, sizeof(n.reason));
		sq_copy_col(st, 7, n.outbox_id, sizeof(n.outbox_id));
		sq_copy_col(st, 8, n.drafted_at, sizeof(n.drafted_at));
		sq_copy_col(st, 9, n.queued_at, sizeof(n.queued_at));
		if (sqlite3_column_type(st, 10) != SQLITE_NULL)
			sq_copy_col(st, 10, n.status, sizeof(n.status));
		fn(&n, arg);
		store_incident_notice_free(&n);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return sq_db_err(s, e, "list incident notices");
	return 0;
}

int
store_incident_notice_queued(struct store *s, const char *id, const char *outbox_id, const char *at,
                             struct err *e)
{
	static const char sql[] = "UPDATE incident_notice SET status = 'queued', outbox_id = ?, "
	                          "queued_at = ? WHERE id = ? AND status = 'draft'";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, outbox_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, at, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
	rc = sq_run(s, st, "queue incident notice", e);
	return rc == -1 ? -1 : rc > 0;
}

/*
 * sqlite_closing.c — a production's end over SQLite (migration 0032,
 * domain/closing.h): its archived and closed marks, the productions whose
 * deletion is due, and the erasure of one production's rows.
 *
 * Erasure deletes the production row and lets the schema's ON DELETE
 * CASCADE take every row that names it (departments, memberships, people,
 * locations, days, scenes, calls, call sheets, attachments, tokens, feeds,
 * sustainability data) and the rows that hang from those. The outbox has no
 * production column: its mail about the production's call sheets and people
 * is deleted by those ids first. audit_event has a production_id and no
 * foreign key: its rows stay (they hold ids, actions and outcomes, never
 * personal data). Afterwards every table with a production_id column except
 * audit_event is asked for a row still naming the production, so a table a
 * later migration adds without a cascade fails the erasure (and its test)
 * instead of keeping data quietly.
 *
 * No key is destroyed here: the caller (domain/closing.c) destroys the
 * production key and the person keys in the same run, before it commits.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_int.h"
#include "store/store.h"
#include "util/xalloc.h"

int
store_production_set_archived(struct store *s, const char *id, long long at, struct err *e)
{
	static const char sql[] = "UPDATE production SET archived_at = NULLIF(?, 0) WHERE id = ? "
	                          "AND deletion_due IS NULL";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, at);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	return sq_run(s, st, "set production archived", e);
}

int
store_production_set_closed(struct store *s, const char *id, long long closed_at,
                            long long deletion_due, struct err *e)
{
	static const char sql[] = "UPDATE production SET closed_at = NULLIF(?1, 0), "
	                          "deletion_due = CASE WHEN ?1 = 0 THEN NULL ELSE ?2 END "
	                          "WHERE id = ?3 AND archived_at IS NOT NULL";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, closed_at);
	sqlite3_bind_int64(st, 2, deletion_due);
	sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
	return sq_run(s, st, "set production closed", e);
}

/* Steps st, whose first column is text, collecting each row's value. */
static int
collect(struct store *s, sqlite3_stmt *st, const char *what, char ***out, size_t *n, struct err *e)
{
	size_t cap = 0;
	int rc;
	*out = NULL;
	*n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*out = xrealloc(*out, cap * sizeof(**out));
		}
		(*out)[(*n)++] = xstrdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sq_db_err(s, e, what);
}

static void
free_all(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int
store_production_leader_emails(struct store *s, const char *production_id,
                               void (*fn)(const char *email, void *), void *arg, struct err *e)
{
	static const char sql[] =
	    "SELECT DISTINCT u.id FROM membership m JOIN app_user u ON u.id = m.user_id "
	    "WHERE m.production_id = ? AND m.revoked_at IS NULL "
	    "AND m.role IN ('production_admin', 'producer') AND u.disabled_at IS NULL ORDER BY "
	    "u.id";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	char **ids;
	size_t n;
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	/* the ids first: store_user_email steps a statement of its own */
	rc = collect(s, st, "list the production's leaders", &ids, &n, e);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		char email[256];
		int got = store_user_email(s, ids[i], email, sizeof(email), e);
		if (got == -1)
			rc = -1;
		else if (got == 1 && strchr(email, '@') != NULL)
			fn(email, arg);
	}
	free_all(ids, n);
	return rc;
}

int
store_production_due(struct store *s, long long now, void (*fn)(const char *id, void *), void *arg,
                     struct err *e)
{
	static const char sql[] = "SELECT id FROM production WHERE deletion_due IS NOT NULL AND "
	                          "deletion_due <= ? ORDER BY deletion_due, id";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	char **ids;
	size_t n;
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	/* collected first: fn may write (and so step statements of its own) */
	rc = collect(s, st, "list productions due for deletion", &ids, &n, e);
	for (size_t i = 0; rc == 0 && i < n; i++)
		fn(ids[i], arg);
	free_all(ids, n);
	return rc;
}

int
store_production_contents(struct store *s, const char *production_id,
                          void (*person)(const char *id, void *),
                          void (*file)(const char *stored_name, void *), void *arg, struct err *e)
{
	static const char people[] = "SELECT id FROM person WHERE production_id = ? ORDER BY id";
	static const char files[] =
	    "SELECT stored_name FROM attachment WHERE production_id = ? ORDER BY id";
	const char *sql[2] = {people, files};
	void (*fn[2])(const char *, void *) = {person, file};

	for (size_t k = 0; k < 2; k++) {
		sqlite3_stmt *st;
		char **v;
		size_t n;
		if (fn[k] == NULL) /* not asked for */
			continue;
		if ((st = sq_prepare(s, sql[k], e)) == NULL)
			return -1;
		sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
		if (collect(s, st, "list a production's contents", &v, &n, e) == -1)
			return -1;
		for (size_t i = 0; i < n; i++)
			fn[k](v[i], arg);
		free_all(v, n);
	}
	return 0;
}

/* -1 (status 500) when a table but audit_event still has a row naming production_id; else 0. */
static int
nothing_left(struct store *s, const char *production_id, struct err *e)
{
	static const char tables[] =
	    "SELECT m.name FROM sqlite_schema m, pragma_table_info(m.name) c "
	    "WHERE m.type = 'table' AND c.name = 'production_id' AND m.name <> 'audit_event' "
	    "ORDER BY m.name";
	sqlite3_stmt *st = sq_prepare(s, tables, e);
	char **names;
	size_t n;
	int rc;

	if (st == NULL)
		return -1;
	if ((rc = collect(s, st, "list tables with a production", &names, &n, e)) == -1)
		return -1;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		char sql[200];
		sqlite3_stmt *q = NULL;
		int step;
		snprintf(sql, sizeof(sql), "SELECT 1 FROM \"%s\" WHERE production_id = ? LIMIT 1",
		         names[i]);
		if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK) {
			rc = sq_db_err(s, e, "check an erased production");
			break;
		}
		sqlite3_bind_text(q, 1, production_id, -1, SQLITE_STATIC);
		step = sqlite3_step(q);
		sqlite3_finalize(q);
		if (step == SQLITE_ROW)
			rc = err_set(e, 500, "table %s still holds rows of an erased production",
			             names[i]);
		else if (step != SQLITE_DONE)
			rc = sq_db_err(s, e, "check an erased production");
	}
	free_all(names, n);
	return rc;
}

int
store_production_erase(struct store *s, const char *production_id, struct err *e)
{
	static const char mail[] =
	    "DELETE FROM outbox WHERE callsheet_id IN (SELECT id FROM callsheet WHERE "
	    "production_id = ?1) OR person_id IN (SELECT id FROM person WHERE production_id = ?1)";
	static const char row[] = "DELETE FROM production WHERE id = ?";
	sqlite3_stmt *st;
	int n;

	if ((st = sq_prepare(s, mail, e)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	if (sq_run(s, st, "delete a production's mail", e) == -1)
		return -1;
	if ((st = sq_prepare(s, row, e)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	if ((n = sq_run(s, st, "delete a production", e)) <= 0)
		return n;
	return nothing_left(s, production_id, e) == -1 ? -1 : 1;
}

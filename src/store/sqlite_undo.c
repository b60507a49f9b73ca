/*
 * sqlite_undo.c — taking back what was entered by mistake: deleting shoot
 * days, scenes, locations and departments, cancelling a day, withdrawing an
 * invitation, renaming a production (migration 0022 adds
 * shoot_day.cancelled_at).
 *
 * The rule the API keeps (api/undo.c) is that a delete never pulls a record
 * from under another that holds it. Foreign keys would cascade silently
 * (day_location, day_scene) or fail with a bare constraint error
 * (department), so the caller first asks who holds the record — the
 * *_holders functions below, each one SELECT over the link tables of the
 * same production — and deletes only when nobody does, in one transaction
 * with its audit event. What a delete still cascades to is the record's own
 * detail: a day's calls, department calls and order of scenes and
 * locations; a scene's cast list.
 *
 * Every statement names the production, so another production's ids are
 * simply not found. Names passed to a holder callback live only for the
 * call; the callback copies what it keeps.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "store/sqlite_int.h"
#include "store/store.h"

/* Steps a SELECT of (kind, id, name) rows bound to (id, production_id) and passes each to fn. */
static int
each_holder(struct store *s, const char *sql, const char *production_id, const char *id,
            store_holder_fn fn, void *arg, const char *what, struct err *e)
{
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, production_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 2);
		fn((const char *)sqlite3_column_text(st, 0),
		   (const char *)sqlite3_column_text(st, 1), name != NULL ? name : "", arg);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sq_db_err(s, e, what);
}

int
store_location_holders(struct store *s, const char *production_id, const char *id,
                       store_holder_fn fn, void *arg, struct err *e)
{
	static const char sql[] =
	    "SELECT 'day', d.id, d.day_date || ' ' || d.unit FROM day_location dl "
	    "JOIN shoot_day d ON d.id = dl.day_id WHERE dl.location_id = ?1 "
	    "AND d.production_id = ?2 "
	    "UNION ALL SELECT 'callsheet', c.id, d.day_date || ' ' || d.unit || ' version ' || "
	    "c.version FROM callsheet_location cl JOIN callsheet c ON c.id = cl.callsheet_id "
	    "JOIN shoot_day d ON d.id = c.day_id WHERE cl.location_id = ?1 "
	    "AND c.production_id = ?2 ORDER BY 1 DESC, 3";
	return each_holder(s, sql, production_id, id, fn, arg, "find a location's days", e);
}

int
store_scene_holders(struct store *s, const char *production_id, const char *id, store_holder_fn fn,
                    void *arg, struct err *e)
{
	static const char sql[] =
	    "SELECT 'day', d.id, d.day_date || ' ' || d.unit FROM day_scene ds "
	    "JOIN shoot_day d ON d.id = ds.day_id WHERE ds.scene_id = ?1 "
	    "AND d.production_id = ?2 ORDER BY d.day_date, d.unit";
	return each_holder(s, sql, production_id, id, fn, arg, "find a scene's days", e);
}

int
store_department_holders(struct store *s, const char *production_id, const char *id, long long now,
                         store_holder_fn fn, void *arg, struct err *e)
{
	static const char sql[] =
	    "SELECT 'person', id, name FROM person WHERE department_id = ?1 "
	    "AND production_id = ?2 "
	    "UNION ALL SELECT 'member', m.id, u.display_name FROM membership m "
	    "JOIN app_user u ON u.id = m.user_id WHERE m.department_id = ?1 "
	    "AND m.production_id = ?2 "
	    "UNION ALL SELECT 'invitation', id, role FROM invitation WHERE department_id = ?1 "
	    "AND production_id = ?2 AND accepted_at IS NULL AND expires_at > ?3 "
	    "UNION ALL SELECT 'sustainability_entry', id, category FROM carbon_entry "
	    "WHERE department_id = ?1 AND production_id = ?2";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, production_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)now);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 2);
		fn((const char *)sqlite3_column_text(st, 0),
		   (const char *)sqlite3_column_text(st, 1), name != NULL ? name : "", arg);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sq_db_err(s, e, "find a department's holders");
}

int
store_day_holders(struct store *s, const char *production_id, const char *id, store_holder_fn fn,
                  void *arg, struct err *e)
{
	static const char sql[] = "SELECT 'callsheet', id, 'version ' || version FROM callsheet "
	                          "WHERE day_id = ?1 AND production_id = ?2 ORDER BY version";
	return each_holder(s, sql, production_id, id, fn, arg, "find a day's call sheets", e);
}

int
store_person_scenes(struct store *s, const char *production_id, const char *person_id,
                    store_holder_fn fn, void *arg, struct err *e)
{
	static const char sql[] =
	    "SELECT 'scene', sc.id, sc.number FROM scene_cast c JOIN scene sc ON sc.id = "
	    "c.scene_id "
	    "WHERE c.person_id = ?1 AND sc.production_id = ?2 ORDER BY sc.number";
	return each_holder(s, sql, production_id, person_id, fn, arg, "find a person's scenes", e);
}

/* Runs a DELETE/UPDATE bound to (production_id, id): 1 when a row changed, 0 none, -1. */
static int
change_one(struct store *s, const char *sql, const char *production_id, const char *id,
           const char *what, struct err *e)
{
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int n;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	if ((n = sq_run(s, st, what, e)) == -1)
		return -1;
	return n > 0 ? 1 : 0;
}

int
store_day_delete(struct store *s, const char *production_id, const char *id, struct err *e)
{
	static const char sql[] = "DELETE FROM shoot_day WHERE production_id = ? AND id = ?";
	return change_one(s, sql, production_id, id, "delete shoot day", e);
}

int
store_scene_delete(struct store *s, const char *production_id, const char *id, struct err *e)
{
	static const char sql[] = "DELETE FROM scene WHERE production_id = ? AND id = ?";
	return change_one(s, sql, production_id, id, "delete scene", e);
}

int
store_location_delete(struct store *s, const char *production_id, const char *id, struct err *e)
{
	static const char sql[] = "DELETE FROM location WHERE production_id = ? AND id = ?";
	return change_one(s, sql, production_id, id, "delete location", e);
}

int
store_department_delete(struct store *s, const char *production_id, const char *id, struct err *e)
{
	static const char history[] = "UPDATE invitation SET department_id = NULL "
	                              "WHERE production_id = ? AND department_id = ?";
	static const char sql[] = "DELETE FROM department WHERE production_id = ? AND id = ?";
	if (change_one(s, history, production_id, id, "clear invitations' department", e) == -1)
		return -1;
	return change_one(s, sql, production_id, id, "delete department", e);
}

int
store_day_set_cancelled(struct store *s, const char *production_id, const char *id, int on,
                        struct err *e)
{
	static const char cancel[] =
	    "UPDATE shoot_day SET cancelled_at = COALESCE(cancelled_at, ?3) "
	    "WHERE production_id = ?1 AND id = ?2";
	static const char reinstate[] = "UPDATE shoot_day SET cancelled_at = NULL "
	                                "WHERE production_id = ?1 AND id = ?2";
	sqlite3_stmt *st = sq_prepare(s, on ? cancel : reinstate, e);
	char now[32];
	int n;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	if (on) {
		sq_now_rfc3339(now, sizeof(now));
		sqlite3_bind_text(st, 3, now, -1, SQLITE_TRANSIENT);
	}
	if ((n = sq_run(s, st, "cancel shoot day", e)) == -1)
		return -1;
	return n > 0 ? 1 : 0;
}

int
store_invitation_withdraw(struct store *s, const char *production_id, const char *id, struct err *e)
{
	static const char sql[] = "DELETE FROM invitation WHERE production_id = ? AND id = ? "
	                          "AND accepted_at IS NULL";
	return change_one(s, sql, production_id, id, "withdraw invitation", e);
}

int
store_production_update(struct store *s, const struct store_production *p, struct err *e)
{
	static const char sql[] =
	    "UPDATE production SET name = ?, timezone = ?, require_mfa = ? WHERE id = ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int n;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, p->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, p->timezone, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, p->require_mfa != 0);
	sqlite3_bind_text(st, 4, p->id, -1, SQLITE_STATIC);
	if ((n = sq_run(s, st, "update production", e)) == -1)
		return -1;
	return n > 0 ? 1 : 0;
}

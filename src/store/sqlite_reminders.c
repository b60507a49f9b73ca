/*
 * sqlite_reminders.c — the store's side of automatic call sheet reminders
 * (store.h, "Automatic reminders"; api/reminders.c decides when they are
 * due and sends them).
 *
 * A version's reminder is dealt with once: callsheet.auto_reminded_at is
 * set in the transaction that queues it (or that finds it can no longer be
 * useful), so a restart, or two servers on one database, never send it
 * twice: the second transaction finds the column set and its candidate
 * list no longer holds the version.
 */
#include <string.h>

#include "store/sqlite_int.h"
#include "store/store.h"

int
store_reminder_candidates(struct store *s, const char *since,
                          void (*fn)(const struct store_reminder_candidate *, void *), void *arg,
                          struct err *e)
{
	static const char sql[] =
	    "SELECT p.id, c.id, d.day_date, d.general_call, p.timezone, c.published_at, "
	    "p.remind_hours_before FROM production p "
	    "JOIN shoot_day d ON d.production_id = p.id "
	    "JOIN callsheet c ON c.day_id = d.id "
	    "WHERE p.remind_hours_before > 0 AND p.archived_at IS NULL AND d.cancelled_at IS NULL "
	    "AND d.day_date >= ? "
	    "AND c.auto_reminded_at IS NULL "
	    "AND c.version = (SELECT MAX(c2.version) FROM callsheet c2 WHERE c2.day_id = d.id) "
	    "ORDER BY d.day_date, c.id";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, since, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_reminder_candidate c;
		sq_copy_col(st, 0, c.production_id, sizeof(c.production_id));
		sq_copy_col(st, 1, c.callsheet_id, sizeof(c.callsheet_id));
		sq_copy_col(st, 2, c.date, sizeof(c.date));
		sq_copy_col(st, 3, c.general_call, sizeof(c.general_call));
		sq_copy_col(st, 4, c.timezone, sizeof(c.timezone));
		sq_copy_col(st, 5, c.published_at, sizeof(c.published_at));
		c.hours = sqlite3_column_int(st, 6);
		fn(&c, arg);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sq_db_err(s, e, "list reminders due");
}

int
store_callsheet_auto_reminded(struct store *s, const char *callsheet_id, long long now,
                              struct err *e)
{
	static const char sql[] =
	    "UPDATE callsheet SET auto_reminded_at = ? WHERE id = ? AND auto_reminded_at IS NULL";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int n;
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_text(st, 2, callsheet_id, -1, SQLITE_STATIC);
	n = sq_run(s, st, "record an automatic reminder", e);
	return n < 0 ? -1 : n > 0;
}

int
store_production_set_remind_hours(struct store *s, const char *id, int hours, struct err *e)
{
	static const char sql[] = "UPDATE production SET remind_hours_before = ? WHERE id = ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int n;
	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, hours);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	n = sq_run(s, st, "set remind_hours_before", e);
	return n < 0 ? -1 : n > 0;
}

/*
 * sqlite_files.c — the attachment rows as names of files (store.h):
 * removing one with the caller's transaction, and listing them all for
 * `slate fsck`.
 */
#include <sqlite3.h>
#include <string.h>

#include "store/sqlite_int.h"
#include "store/store.h"

int
store_attachment_remove(struct store *s, const char *production_id, const char *id, char *stored,
                        size_t cap, struct err *e)
{
	static const char sql[] =
	    "DELETE FROM attachment WHERE production_id = ? AND id = ? RETURNING stored_name";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;

	stored[0] = '\0';
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		sq_copy_col(st, 0, stored, cap);
		rc = sqlite3_step(st);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return sq_db_err(s, e, "remove attachment");
	return stored[0] != '\0';
}

int
store_attachment_files(struct store *s,
                       void (*fn)(const char *id, const char *stored_name, void *arg), void *arg,
                       struct err *e)
{
	static const char sql[] = "SELECT id, stored_name FROM attachment";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn((const char *)sqlite3_column_text(st, 0),
		   (const char *)sqlite3_column_text(st, 1), arg);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sq_db_err(s, e, "list attachments");
}

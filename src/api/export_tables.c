/*
 * export_tables.c — the data set as spreadsheet tables (format=csv of
 * GET …/export and `slate export`): one table as CSV, or every table as a
 * CSV file in one ZIP archive.
 *
 * Tables. Each is a list of the data set's records (api/export.c) written
 * by csv_table (domain/csv.h: RFC 4180, formula cells neutralised), with
 * the columns below, in that order, that at least one row has. Two tables
 * are made readable for a person with a spreadsheet, not only for a
 * program that joins ids:
 *
 *   calls       each call with its day's date, the person's name and
 *               department (from the data set's own people: a call is in the
 *               set only when its person may be read) and `call_from`
 *               ("person": their own call time; "department": their
 *               department's call for the day);
 *   callsheets  each published version with the day's date, number and unit
 *               as the sheet was published, and the name of the account that
 *               published it (`published_by_name`, looked up in the store:
 *               the API's version object carries no publisher).
 *
 * ZIP. Without a table (`format=csv` alone) every table goes into one ZIP
 * archive, `<table>.csv` each, deflated, written by libarchive — a
 * maintained library rather than a hand-made writer, so the archive is one
 * every unzip reads. The archive streams to the caller's FILE through
 * libarchive's write callback; each table is rendered whole first (the size
 * goes in the entry's header), into a buffer wiped before it is freed, as
 * the export's own buffer is (it holds personal fields). libarchive's
 * compressor keeps its own working memory, which it frees unwiped: the same
 * bytes are in the caller's wiped output buffer, but not only there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <sodium.h>

#include "api/export.h"
#include "domain/csv.h"
#include "util/xalloc.h"
#include "util/nitems.h"

static const char *const departments_cols[] = {"id", "name", NULL};
static const char *const people_cols[] = {"id",
                                          "name",
                                          "kind",
                                          "department",
                                          "job_title",
                                          "character_name",
                                          "key_contact",
                                          "linked",
                                          "work_phone",
                                          "work_email",
                                          "personal_phone",
                                          "personal_email",
                                          "home_address",
                                          "emergency_contact",
                                          "date_of_birth",
                                          "dietary",
                                          "medical",
                                          "id_numbers",
                                          NULL};
static const char *const locations_cols[] = {
    "id",           "name",    "parking",  "nearest_hospital",
    "confidential", "address", "latitude", "longitude",
    "access_notes", "contact", NULL};
static const char *const days_cols[] = {"id",    "date",         "unit",          "number",
                                        "total", "general_call", "wrap_estimate", NULL};
static const char *const scenes_cols[] = {"id",      "number",   "int_ext", "day_night", "set",
                                          "eighths", "synopsis", "cast",    NULL};
static const char *const calls_cols[] = {"day_id",      "date",   "person_id",   "person_name",
                                         "department",  "call",   "call_from",   "pickup",
                                         "hair_makeup", "on_set", "cast_status", NULL};
static const char *const callsheets_cols[] = {
    "id", "day_id", "date", "day_number", "unit", "version", "published_at", "published_by_name",
    NULL};

static const struct {
	const char *name;
	const char *const *cols;
} tables[] = {
    {"departments", departments_cols}, {"people", people_cols},
    {"locations", locations_cols},     {"days", days_cols},
    {"scenes", scenes_cols},           {"calls", calls_cols},
    {"callsheets", callsheets_cols},
};
#define NTABLES nitems(tables)

int
export_csv_table_known(const char *table)
{
	for (size_t i = 0; i < NTABLES; i++)
		if (strcmp(table, tables[i].name) == 0)
			return 1;
	return 0;
}

static const char *
text(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v != NULL ? v : "";
}

/* The record of `list` whose id is id, or NULL. */
static const json_t *
by_id(const json_t *list, const char *id)
{
	size_t i;
	const json_t *x;
	json_array_foreach (list, i, x)
		if (strcmp(text(x, "id"), id) == 0)
			return x;
	return NULL;
}

/* Sets row's key to v (a new reference, taken over); v NULL or null: left out. */
static void
put(json_t *row, const char *key, json_t *v)
{
	if (v == NULL || json_is_null(v)) {
		json_decref(v);
		return;
	}
	json_object_set_new(row, key, v);
}

static json_t *
calls_rows(const json_t *set)
{
	json_t *rows = json_array();
	size_t i;
	const json_t *c;
	json_array_foreach (json_object_get(set, "calls"), i, c) {
		json_t *row = json_copy((json_t *)c);
		const json_t *day = by_id(json_object_get(set, "days"), text(c, "day_id"));
		const json_t *who = by_id(json_object_get(set, "people"), text(c, "person_id"));
		if (day != NULL)
			put(row, "date", json_incref(json_object_get(day, "date")));
		if (who != NULL) {
			put(row, "person_name", json_incref(json_object_get(who, "name")));
			put(row, "department", json_incref(json_object_get(who, "department")));
		}
		json_array_append_new(rows, row);
	}
	return rows;
}

/* The display name of user_id, looked up once per export (names caches id → name). */
static int
publisher(struct store *s, json_t *names, const char *user_id, json_t **name, struct err *e)
{
	struct store_user u;
	int found;
	if ((*name = json_object_get(names, user_id)) != NULL)
		return 0;
	if ((found = store_user_by_id(s, user_id, &u, e)) == -1)
		return -1;
	*name = json_string(found == 1 ? u.display_name : "");
	if (*name == NULL) /* not UTF-8: shown as nobody rather than failing the export */
		*name = json_string("");
	json_object_set_new(names, user_id, *name);
	sodium_memzero(u.password_hash, sizeof(u.password_hash));
	return 0;
}

static json_t *
callsheets_rows(struct store *s, const json_t *set, struct err *e)
{
	const char *prod = text(json_object_get(set, "production"), "id");
	json_t *rows = json_array(), *names = json_object();
	size_t i;
	const json_t *v;
	json_array_foreach (json_object_get(set, "callsheets"), i, v) {
		json_t *row = json_copy((json_t *)v), *name;
		const json_t *sheet = json_object_get(v, "sheet");
		const json_t *day = by_id(json_object_get(set, "days"), text(v, "day_id"));
		struct store_callsheet cs;
		int found;
		json_object_del(row, "sheet");
		json_array_append_new(rows, row);
		/* the day as the sheet was published; the schedule's day when the sheet says
		 * nothing */
		put(row, "date",
		    json_incref(json_object_get(json_is_object(sheet) ? sheet : day, "date")));
		put(row, "day_number",
		    json_incref(json_is_object(sheet) ? json_object_get(sheet, "day")
		                                      : json_object_get(day, "number")));
		put(row, "unit",
		    json_incref(json_object_get(json_is_object(sheet) ? sheet : day, "unit")));
		memset(&cs, 0, sizeof(cs));
		if ((found = store_callsheet_get(s, prod, text(v, "id"), 0, &cs, e)) == -1 ||
		    (found == 1 && publisher(s, names, cs.published_by, &name, e) == -1)) {
			json_decref(rows);
			rows = NULL;
			break;
		}
		if (found == 1)
			json_object_set(row, "published_by_name", name);
	}
	json_decref(names);
	return rows;
}

/* Writes one table of set to f: 0, or -1 with e set (a store failure). */
static int
write_table(FILE *f, struct store *s, const json_t *set, size_t t, struct err *e)
{
	json_t *rows = NULL;
	if (strcmp(tables[t].name, "calls") == 0)
		rows = calls_rows(set);
	else if (strcmp(tables[t].name, "callsheets") == 0 &&
	         (rows = callsheets_rows(s, set, e)) == NULL)
		return -1;
	csv_table(f, rows != NULL ? rows : json_object_get(set, tables[t].name), tables[t].cols);
	json_decref(rows);
	return 0;
}

/* ---- ZIP ---- */

static la_ssize_t
zip_out(struct archive *a, void *arg, const void *buf, size_t n)
{
	(void)a;
	return fwrite(buf, 1, n, arg) == n ? (la_ssize_t)n : -1;
}

static int
zip_failed(struct archive *a, struct err *e)
{
	err_set(e, 500, "the ZIP archive could not be written: %s",
	        archive_error_string(a) ? archive_error_string(a) : "unknown error");
	return -1;
}

static int
write_zip(FILE *f, struct store *s, const json_t *set, struct err *e)
{
	struct archive *a = archive_write_new();
	time_t now = time(NULL);
	int rc = -1;

	if (archive_write_set_format_zip(a) != ARCHIVE_OK ||
	    archive_write_set_options(a, "zip:compression=deflate") != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open(a, f, NULL, zip_out, NULL) != ARCHIVE_OK) {
		zip_failed(a, e);
		goto out;
	}
	for (size_t t = 0; t < NTABLES; t++) {
		char *buf = NULL, path[32];
		size_t len = 0;
		FILE *m = xopen_memstream(&buf, &len);
		struct archive_entry *en;
		int ok;
		if (write_table(m, s, set, t, e) == -1) {
			fclose(m);
			sodium_memzero(buf, len);
			free(buf);
			goto out;
		}
		fclose(m);
		snprintf(path, sizeof(path), "%s.csv", tables[t].name);
		en = archive_entry_new();
		archive_entry_set_pathname(en, path);
		archive_entry_set_filetype(en, AE_IFREG);
		archive_entry_set_perm(en, 0644);
		archive_entry_set_size(en, (la_int64_t)len);
		archive_entry_set_mtime(en, now, 0);
		ok = archive_write_header(a, en) == ARCHIVE_OK &&
		     (len == 0 || archive_write_data(a, buf, len) == (la_ssize_t)len);
		archive_entry_free(en);
		sodium_memzero(buf, len);
		free(buf);
		if (!ok) {
			zip_failed(a, e);
			goto out;
		}
	}
	if (archive_write_close(a) != ARCHIVE_OK) {
		zip_failed(a, e);
		goto out;
	}
	rc = 0;
out:
	archive_write_free(a);
	return rc;
}

int
export_csv(FILE *f, struct store *s, const json_t *set, const char *table, struct err *e)
{
	if (table == NULL)
		return write_zip(f, s, set, e);
	for (size_t t = 0; t < NTABLES; t++)
		if (strcmp(table, tables[t].name) == 0)
			return write_table(f, s, set, t, e);
	err_field(e, 400, "?table", "a known table");
	return -1;
}

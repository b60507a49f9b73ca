/*
 * sqlite_carbon.c — emission factors, carbon settings and activity entries
 * (migration 0017; the arithmetic is domain/carbon.c).
 *
 * A factor file is imported whole or not at all: every line is parsed and
 * inserted inside one transaction, and the first bad line rolls all of it
 * back with its line number. A set's version is the count of distinct files
 * imported under its id; the same bytes again change nothing. Factors are
 * never updated or deleted, so the factor an entry names (factor_id) always
 * says what it was computed with.
 *
 * Sums for reports come from carbon_rollup, which triggers keep on every
 * insert, update and delete of an entry (migration 0017): one row per
 * date × department × category × factor in use, so a report's cost follows
 * the variety of a production's activity, not the number of its entries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/carbon_file.h"
#include "store/sqlite_int.h"
#include "store/store.h"
#include "util/nitems.h"

#define FACTOR_COLS                                                                                \
	"f.id, f.set_id, f.set_version, COALESCE(f.production_id, ''), f.key, f.category, "        \
	"f.activity, f.unit, f.kg_per_unit, COALESCE(f.rf, -1), f.source, f.year, "                \
	"f.publisher_ref, f.notes, f.created_at"

static void
read_factor(sqlite3_stmt *st, int c, struct store_factor *f)
{
	memset(f, 0, sizeof(*f));
	f->id = sqlite3_column_int64(st, c);
	sq_copy_col(st, c + 1, f->set_id, sizeof(f->set_id));
	f->set_version = sqlite3_column_int(st, c + 2);
	sq_copy_col(st, c + 3, f->production_id, sizeof(f->production_id));
	sq_copy_col(st, c + 4, f->key, sizeof(f->key));
	sq_copy_col(st, c + 5, f->category, sizeof(f->category));
	sq_copy_col(st, c + 6, f->activity, sizeof(f->activity));
	sq_copy_col(st, c + 7, f->unit, sizeof(f->unit));
	sq_copy_col(st, c + 8, f->kg_text, sizeof(f->kg_text));
	f->kg_per_unit = strtod(f->kg_text, NULL);
	f->rf = sqlite3_column_int(st, c + 9);
	sq_copy_col(st, c + 10, f->source, sizeof(f->source));
	f->year = sqlite3_column_int(st, c + 11);
	sq_copy_col(st, c + 12, f->publisher_ref, sizeof(f->publisher_ref));
	sq_copy_col(st, c + 13, f->notes, sizeof(f->notes));
	sq_copy_col(st, c + 14, f->created_at, sizeof(f->created_at));
}

/* Steps a SELECT of FACTOR_COLS, calling fn per row. */
static int
each_factor(struct store *s, sqlite3_stmt *st, void (*fn)(const struct store_factor *, void *),
            void *arg, struct err *e)
{
	struct store_factor f;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_factor(st, 0, &f);
		fn(&f, arg);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sq_db_err(s, e, "read factors");
}

static int
insert_factor(struct store *s, const struct store_factor *f, const char *created_by, long long *id,
              struct err *e)
{
	static const char sql[] =
	    "INSERT INTO emission_factor (set_id, set_version, production_id, key, category, "
	    "activity, unit, kg_per_unit, rf, source, year, publisher_ref, notes, created_by, "
	    "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, f->set_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, f->set_version);
	sq_bind_opt(st, 3, f->production_id[0] ? f->production_id : NULL);
	sqlite3_bind_text(st, 4, f->key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, f->category, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, f->activity, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, f->unit, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, f->kg_text, -1, SQLITE_STATIC);
	if (f->rf >= 0)
		sqlite3_bind_int(st, 9, f->rf);
	else
		sqlite3_bind_null(st, 9);
	sqlite3_bind_text(st, 10, f->source, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 11, f->year);
	sqlite3_bind_text(st, 12, f->publisher_ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 13, f->notes, -1, SQLITE_STATIC);
	sq_bind_opt(st, 14, created_by);
	sqlite3_bind_text(st, 15, f->created_at, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		if (sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_UNIQUE)
			return err_field(
			    e, 409, "/activity",
			    "there is already a factor for this activity in this unit");
		return sq_db_err(s, e, "add factor");
	}
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

/* The import without its transaction: the migration hook runs it inside migrate()'s. */
static int
import_set(struct store *s, const char *set_id, const char *name, const char *sha256,
           store_factor_next_fn next, void *arg, int *version, struct err *e)
{
	static const char add[] = "INSERT INTO factor_set (id, version, name, sha256, imported_at) "
	                          "VALUES (?, ?, ?, ?, ?)";
	struct store_factor_set latest;
	struct store_factor f;
	char now[32], set_name[128];
	long line = 0;
	int rc, got;
	sqlite3_stmt *st;
	struct err fe;

	if ((got = store_factor_set_latest(s, set_id, &latest, e)) == -1)
		return -1;
	if (got == 1 && strcmp(latest.sha256, sha256) == 0) {
		*version = latest.version;
		return 0;
	}
	memset(&f, 0, sizeof(f));
	snprintf(f.set_id, sizeof(f.set_id), "%s", set_id);
	f.set_version = got == 1 ? latest.version + 1 : 1;
	sq_now_rfc3339(now, sizeof(now));
	snprintf(f.created_at, sizeof(f.created_at), "%s", now);
	set_name[0] = '\0';
	while ((rc = next(arg, &f, &line, e)) == 1) {
		if (set_name[0] == '\0')
			snprintf(set_name, sizeof(set_name), "%.127s", f.source);
		if (insert_factor(s, &f, NULL, NULL, &fe) == -1)
			return err_set(e, fe.status == 409 ? 400 : fe.status, "line %ld: %s", line,
			               fe.status == 409
			                   ? "a second factor for the same activity and unit"
			                   : fe.msg);
	}
	if (rc == -1)
		return -1;
	if ((st = sq_prepare(s, add, e)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, set_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, f.set_version);
	sqlite3_bind_text(st, 3, name != NULL && name[0] ? name : set_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, now, -1, SQLITE_STATIC);
	if (sq_run(s, st, "record factor set", e) == -1)
		return -1;
	*version = f.set_version;
	return 1;
}

int
store_factor_set_import(struct store *s, const char *set_id, const char *name, const char *sha256,
                        store_factor_next_fn next, void *arg, int *version, struct err *e)
{
	int rc;
	if (store_begin(s, e) == -1)
		return -1;
	if ((rc = import_set(s, set_id, name, sha256, next, arg, version, e)) == -1) {
		store_rollback(s);
		return -1;
	}
	return store_commit(s, e) == -1 ? -1 : rc;
}

/* The files of data/factors (CSV), embedded at build time (build/gen/factors.c). */
extern const char embedded_factors_uk_desnz_2024[];
extern const char embedded_factors_us_epa_2025[];

int
sq_factors_seed(struct store *s, struct err *e)
{
	static const struct {
		const char *id, *name, *csv;
	} sets[] = {
	    {"uk-desnz-2024", "UK DESNZ/Defra GHG Conversion Factors for Company Reporting 2024",
	     embedded_factors_uk_desnz_2024},
	    {"us-epa-2025", "US EPA GHG Emission Factors Hub 2025", embedded_factors_us_epa_2025},
	};
	int version;
	for (size_t i = 0; i < nitems(sets); i++) {
		struct carbon_file cf;
		if (carbon_file_open(&cf, sets[i].csv, strlen(sets[i].csv), e) == -1 ||
		    import_set(s, sets[i].id, sets[i].name, cf.sha256, carbon_file_next, &cf,
		               &version, e) == -1)
			return err_set(e, 500, "factor set %s: %s", sets[i].id, e->msg);
	}
	return 0;
}

static void
read_set(sqlite3_stmt *st, struct store_factor_set *out)
{
	memset(out, 0, sizeof(*out));
	sq_copy_col(st, 0, out->id, sizeof(out->id));
	out->version = sqlite3_column_int(st, 1);
	sq_copy_col(st, 2, out->name, sizeof(out->name));
	sq_copy_col(st, 3, out->sha256, sizeof(out->sha256));
	sq_copy_col(st, 4, out->imported_at, sizeof(out->imported_at));
	out->factors = (long)sqlite3_column_int64(st, 5);
}

#define SET_COLS                                                                                   \
	"s.id, s.version, s.name, s.sha256, s.imported_at, (SELECT COUNT(*) FROM emission_factor " \
	"f WHERE f.set_id = s.id AND f.set_version = s.version)"

int
store_factor_sets(struct store *s, void (*fn)(const struct store_factor_set *, void *), void *arg,
                  struct err *e)
{
	static const char sql[] = "SELECT " SET_COLS " FROM factor_set s ORDER BY s.id, s.version";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	struct store_factor_set set;
	int rc;
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_set(st, &set);
		fn(&set, arg);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sq_db_err(s, e, "read factor sets");
}

int
store_factor_set_latest(struct store *s, const char *id, struct store_factor_set *out,
                        struct err *e)
{
	static const char sql[] =
	    "SELECT " SET_COLS " FROM factor_set s WHERE s.id = ? ORDER BY s.version DESC LIMIT 1";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = sq_one_row(s, st, "read factor set", e)) == 1) {
		read_set(st, out);
		sqlite3_reset(st);
	}
	return rc;
}

int
store_factors_list(struct store *s, const char *set_id, int version, const char *production_id,
                   void (*fn)(const struct store_factor *, void *), void *arg, struct err *e)
{
	static const char by_set[] = "SELECT " FACTOR_COLS " FROM emission_factor f "
	                             "WHERE f.set_id = ? AND f.set_version = ? AND "
	                             "f.production_id IS NULL ORDER BY f.category, f.id";
	static const char own[] = "SELECT " FACTOR_COLS " FROM emission_factor f "
	                          "WHERE f.production_id = ? ORDER BY f.category, f.id";
	sqlite3_stmt *st = sq_prepare(s, production_id != NULL ? own : by_set, e);
	if (st == NULL)
		return -1;
	if (production_id != NULL) {
		sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	} else {
		sqlite3_bind_text(st, 1, set_id, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, version);
	}
	return each_factor(s, st, fn, arg, e);
}

struct count_arg {
	void (*fn)(const struct store_factor *, void *);
	void *arg;
	int n;
};

static void
count_factor(const struct store_factor *f, void *arg)
{
	struct count_arg *c = arg;
	c->n++;
	c->fn(f, c->arg);
}

int
store_factors_for_key(struct store *s, const char *production_id, const char *set_id, int version,
                      const char *key, int rf, void (*fn)(const struct store_factor *, void *),
                      void *arg, struct err *e)
{
	static const char own[] = "SELECT " FACTOR_COLS " FROM emission_factor f "
	                          "WHERE f.production_id = ? AND f.key = ? ORDER BY f.id";
	static const char in_set[] =
	    "SELECT " FACTOR_COLS " FROM emission_factor f WHERE f.set_id = ? AND "
	    "f.set_version = ? AND f.production_id IS NULL AND f.key = ? AND "
	    "(f.rf IS NULL OR f.rf = ?) ORDER BY f.id";
	struct count_arg c = {fn, arg, 0};
	sqlite3_stmt *st = sq_prepare(s, own, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	if (each_factor(s, st, count_factor, &c, e) == -1)
		return -1;
	if (c.n > 0)
		return 0;
	if ((st = sq_prepare(s, in_set, e)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, set_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, version);
	sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, rf);
	return each_factor(s, st, fn, arg, e);
}

int
store_factor_get(struct store *s, long long id, struct store_factor *out, struct err *e)
{
	static const char sql[] = "SELECT " FACTOR_COLS " FROM emission_factor f WHERE f.id = ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sq_one_row(s, st, "read factor", e)) == 1) {
		read_factor(st, 0, out);
		sqlite3_reset(st);
	}
	return rc;
}

int
store_factor_create(struct store *s, struct store_factor *f, const char *created_by, struct err *e)
{
	snprintf(f->set_id, sizeof(f->set_id), "%s", STORE_FACTOR_SET_CUSTOM);
	f->set_version = 1;
	sq_now_rfc3339(f->created_at, sizeof(f->created_at));
	return insert_factor(s, f, created_by, &f->id, e);
}

/* ---- settings ---- */

int
store_carbon_settings_get(struct store *s, const char *production_id,
                          struct store_carbon_settings *out, struct err *e)
{
	static const char sql[] = "SELECT factor_set, include_rf, COALESCE(budget_g, -1), "
	                          "share_totals FROM carbon_settings WHERE production_id = ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;
	if (st == NULL)
		return -1;
	memset(out, 0, sizeof(*out));
	snprintf(out->factor_set, sizeof(out->factor_set), "%s", STORE_FACTOR_SET_DEFAULT);
	out->include_rf = 1;
	out->budget_g = -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	if ((rc = sq_one_row(s, st, "read carbon settings", e)) == 1) {
		sq_copy_col(st, 0, out->factor_set, sizeof(out->factor_set));
		out->include_rf = sqlite3_column_int(st, 1);
		out->budget_g = sqlite3_column_int64(st, 2);
		out->share_totals = sqlite3_column_int(st, 3);
		sqlite3_reset(st);
	}
	return rc == -1 ? -1 : 0;
}

int
store_carbon_settings_put(struct store *s, const char *production_id,
                          const struct store_carbon_settings *in, struct err *e)
{
	static const char sql[] =
	    "INSERT INTO carbon_settings (production_id, factor_set, include_rf, budget_g, "
	    "share_totals) VALUES (?, ?, ?, ?, ?) ON CONFLICT (production_id) DO UPDATE SET "
	    "factor_set = excluded.factor_set, include_rf = excluded.include_rf, "
	    "budget_g = excluded.budget_g, share_totals = excluded.share_totals";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, in->factor_set, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, in->include_rf);
	if (in->budget_g >= 0)
		sqlite3_bind_int64(st, 4, in->budget_g);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_int(st, 5, in->share_totals);
	return sq_run(s, st, "save carbon settings", e) == -1 ? -1 : 0;
}

/* ---- entries ---- */

#define ENTRY_COLS                                                                                 \
	"c.id, c.production_id, c.entry_date, COALESCE(c.day_id, ''), c.department_id, "           \
	"c.category, c.quantity, c.unit, c.factor_id, c.co2e_g, COALESCE(c.evidence_id, ''), "     \
	"c.note, c.entered_by, c.created_at, c.updated_at, " FACTOR_COLS
#define ENTRY_FROM " FROM carbon_entry c JOIN emission_factor f ON f.id = c.factor_id "

static void
read_entry(sqlite3_stmt *st, struct store_carbon_entry *en)
{
	memset(en, 0, sizeof(*en));
	sq_copy_col(st, 0, en->id, sizeof(en->id));
	sq_copy_col(st, 1, en->production_id, sizeof(en->production_id));
	sq_copy_col(st, 2, en->date, sizeof(en->date));
	sq_copy_col(st, 3, en->day_id, sizeof(en->day_id));
	sq_copy_col(st, 4, en->department_id, sizeof(en->department_id));
	sq_copy_col(st, 5, en->category, sizeof(en->category));
	en->quantity = sqlite3_column_double(st, 6);
	sq_copy_col(st, 7, en->unit, sizeof(en->unit));
	en->factor_id = sqlite3_column_int64(st, 8);
	en->co2e_g = sqlite3_column_int64(st, 9);
	sq_copy_col(st, 10, en->evidence_id, sizeof(en->evidence_id));
	sq_copy_col(st, 11, en->note, sizeof(en->note));
	sq_copy_col(st, 12, en->entered_by, sizeof(en->entered_by));
	sq_copy_col(st, 13, en->created_at, sizeof(en->created_at));
	sq_copy_col(st, 14, en->updated_at, sizeof(en->updated_at));
	read_factor(st, 15, &en->factor);
}

/* 1 when table holds row id of the production. */
static int
of_production(struct store *s, const char *sql, const char *production_id, const char *id,
              struct err *e)
{
	sqlite3_stmt *st;
	int rc = sq_row_in(s, sql, production_id, id, "check reference", &st, e);
	if (rc == 1)
		sqlite3_reset(st);
	return rc;
}

/* An entry's department (and shoot day, when it has one) are of its production: 0, or -1 (400
 * naming the field). */
static int
entry_refs(struct store *s, const struct store_carbon_entry *en, struct err *e)
{
	static const char dept[] = "SELECT 1 FROM department WHERE production_id = ? AND id = ?";
	static const char day[] = "SELECT 1 FROM shoot_day WHERE production_id = ? AND id = ?";
	int rc;

	if ((rc = of_production(s, dept, en->production_id, en->department_id, e)) != 1)
		return rc == -1 ? -1
		                : err_field(e, 400, "/department_id",
		                            "there is no such department in this production");
	if (en->day_id[0] && (rc = of_production(s, day, en->production_id, en->day_id, e)) != 1)
		return rc == -1 ? -1
		                : err_field(e, 400, "/day_id",
		                            "there is no such shoot day in this production");
	return 0;
}

int
store_carbon_entry_create(struct store *s, struct store_carbon_entry *en, struct err *e)
{
	static const char sql[] =
	    "INSERT INTO carbon_entry (id, production_id, entry_date, day_id, department_id, "
	    "category, quantity, unit, factor_id, co2e_g, evidence_id, note, entered_by, "
	    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st;

	if (entry_refs(s, en, e) == -1 || (st = sq_prepare(s, sql, e)) == NULL)
		return -1;
	if (!s->keep_ids || en->created_at[0] == '\0' || en->updated_at[0] == '\0') {
		sq_now_rfc3339(en->created_at, sizeof(en->created_at));
		snprintf(en->updated_at, sizeof(en->updated_at), "%s", en->created_at);
	}
	sq_new_id(s, en->id, sizeof(en->id), "cen");
	sqlite3_bind_text(st, 1, en->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, en->production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, en->date, -1, SQLITE_STATIC);
	sq_bind_opt(st, 4, en->day_id[0] ? en->day_id : NULL);
	sqlite3_bind_text(st, 5, en->department_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, en->category, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 7, en->quantity);
	sqlite3_bind_text(st, 8, en->unit, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, en->factor_id);
	sqlite3_bind_int64(st, 10, en->co2e_g);
	sq_bind_opt(st, 11, en->evidence_id[0] ? en->evidence_id : NULL);
	sqlite3_bind_text(st, 12, en->note, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 13, en->entered_by, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 14, en->created_at, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 15, en->updated_at, -1, SQLITE_STATIC);
	return sq_run(s, st, "add carbon entry", e) == -1 ? -1 : 0;
}

int
store_carbon_entry_update(struct store *s, struct store_carbon_entry *en, struct err *e)
{
	static const char sql[] =
	    "UPDATE carbon_entry SET entry_date = ?, day_id = ?, department_id = ?, category = ?, "
	    "quantity = ?, unit = ?, factor_id = ?, co2e_g = ?, note = ?, updated_at = ? "
	    "WHERE production_id = ? AND id = ?";
	sqlite3_stmt *st;

	if (entry_refs(s, en, e) == -1 || (st = sq_prepare(s, sql, e)) == NULL)
		return -1;
	sq_now_rfc3339(en->updated_at, sizeof(en->updated_at));
	sqlite3_bind_text(st, 1, en->date, -1, SQLITE_STATIC);
	sq_bind_opt(st, 2, en->day_id[0] ? en->day_id : NULL);
	sqlite3_bind_text(st, 3, en->department_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, en->category, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 5, en->quantity);
	sqlite3_bind_text(st, 6, en->unit, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, en->factor_id);
	sqlite3_bind_int64(st, 8, en->co2e_g);
	sqlite3_bind_text(st, 9, en->note, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, en->updated_at, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, en->production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 12, en->id, -1, SQLITE_STATIC);
	return sq_run(s, st, "change carbon entry", e);
}

int
store_carbon_entry_get(struct store *s, const char *production_id, const char *id,
                       struct store_carbon_entry *out, struct err *e)
{
	static const char sql[] =
	    "SELECT " ENTRY_COLS ENTRY_FROM "WHERE c.production_id = ? AND c.id = ?";
	sqlite3_stmt *st;
	int rc = sq_row_in(s, sql, production_id, id, "read carbon entry", &st, e);
	if (rc == 1) {
		read_entry(st, out);
		sqlite3_reset(st);
	}
	return rc;
}

int
store_carbon_entry_delete(struct store *s, const char *production_id, const char *id, struct err *e)
{
	static const char sql[] = "DELETE FROM carbon_entry WHERE production_id = ? AND id = ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	return sq_run(s, st, "delete carbon entry", e);
}

#define ENTRY_WHERE                                                                                \
	"WHERE c.production_id = ?1 AND (?2 IS NULL OR c.department_id = ?2) AND "                 \
	"(?3 IS NULL OR c.day_id = ?3) AND (?4 IS NULL OR c.category = ?4) "

static void
bind_filter(sqlite3_stmt *st, const char *production_id, const struct store_carbon_filter *f)
{
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	sq_bind_opt(st, 2, f->department_id);
	sq_bind_opt(st, 3, f->day_id);
	sq_bind_opt(st, 4, f->category);
}

int
store_carbon_entry_list(struct store *s, const char *production_id,
                        const struct store_carbon_filter *f, long *total,
                        void (*fn)(const struct store_carbon_entry *, void *), void *arg,
                        struct err *e)
{
	static const char count[] = "SELECT COUNT(*) FROM carbon_entry c " ENTRY_WHERE;
	static const char sql[] = "SELECT " ENTRY_COLS ENTRY_FROM ENTRY_WHERE
	                          "ORDER BY c.entry_date, c.id LIMIT ?5 OFFSET ?6";
	struct store_carbon_entry en;
	sqlite3_stmt *st = sq_prepare(s, count, e);
	int rc;
	if (st == NULL)
		return -1;
	bind_filter(st, production_id, f);
	if (sq_count_of(s, st, "count carbon entries", total, e) == -1)
		return -1;
	if ((st = sq_prepare(s, sql, e)) == NULL)
		return -1;
	bind_filter(st, production_id, f);
	sqlite3_bind_int64(st, 5, f->limit);
	sqlite3_bind_int64(st, 6, f->offset);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_entry(st, &en);
		fn(&en, arg);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sq_db_err(s, e, "list carbon entries");
}

int
store_carbon_entry_refactor(struct store *s, const char *id, long long factor_id, long long co2e_g,
                            struct err *e)
{
	static const char sql[] =
	    "UPDATE carbon_entry SET factor_id = ?, co2e_g = ?, updated_at = ? WHERE id = ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	char now[32];
	if (st == NULL)
		return -1;
	sq_now_rfc3339(now, sizeof(now));
	sqlite3_bind_int64(st, 1, factor_id);
	sqlite3_bind_int64(st, 2, co2e_g);
	sqlite3_bind_text(st, 3, now, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, id, -1, SQLITE_STATIC);
	return sq_run(s, st, "recalculate carbon entry", e) == -1 ? -1 : 0;
}

int
store_carbon_entry_set_evidence(struct store *s, const char *production_id, const char *id,
                                const char *attachment_id, struct err *e)
{
	static const char sql[] = "UPDATE carbon_entry SET evidence_id = ?, updated_at = ? "
	                          "WHERE production_id = ? AND id = ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	char now[32];
	if (st == NULL)
		return -1;
	sq_now_rfc3339(now, sizeof(now));
	sqlite3_bind_text(st, 1, attachment_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, now, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, id, -1, SQLITE_STATIC);
	return sq_run(s, st, "attach evidence", e) == -1 ? -1 : 0;
}

/* ---- sums ---- */

static int
each_sum(struct store *s, sqlite3_stmt *st, int date_first,
         void (*fn)(const struct store_carbon_sum *, void *), void *arg, struct err *e)
{
	struct store_carbon_sum sum;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&sum, 0, sizeof(sum));
		if (date_first) {
			sum.date = (const char *)sqlite3_column_text(st, 0);
		} else {
			sum.category = (const char *)sqlite3_column_text(st, 0);
			sum.department_id = (const char *)sqlite3_column_text(st, 1);
		}
		sum.grams = sqlite3_column_int64(st, 2);
		sum.entries = (long)sqlite3_column_int64(st, 3);
		fn(&sum, arg);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sq_db_err(s, e, "sum carbon entries");
}

/* The sums of one production (or one department of it), grouped by category and department or by
 * date. */
static int
sums(struct store *s, const char *production_id, const char *department_id, int by_date,
     void (*fn)(const struct store_carbon_sum *, void *), void *arg, struct err *e)
{
	static const char *const sql[2][2] = {
	    {"SELECT category, department_id, SUM(co2e_g), SUM(entries) FROM carbon_rollup "
	     "WHERE production_id = ? GROUP BY category, department_id",
	     "SELECT category, department_id, SUM(co2e_g), SUM(entries) FROM carbon_rollup "
	     "WHERE production_id = ? AND department_id = ? GROUP BY category, department_id"},
	    {"SELECT entry_date, NULL, SUM(co2e_g), SUM(entries) FROM carbon_rollup "
	     "WHERE production_id = ? GROUP BY entry_date ORDER BY entry_date",
	     "SELECT entry_date, NULL, SUM(co2e_g), SUM(entries) FROM carbon_rollup "
	     "WHERE production_id = ? AND department_id = ? GROUP BY entry_date ORDER BY "
	     "entry_date"},
	};
	sqlite3_stmt *st = sq_prepare(s, sql[by_date][department_id != NULL], e);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	if (department_id)
		sqlite3_bind_text(st, 2, department_id, -1, SQLITE_STATIC);
	return each_sum(s, st, by_date, fn, arg, e);
}

int
store_carbon_sums_by_category(struct store *s, const char *production_id, const char *department_id,
                              void (*fn)(const struct store_carbon_sum *, void *), void *arg,
                              struct err *e)
{
	return sums(s, production_id, department_id, 0, fn, arg, e);
}

int
store_carbon_sums_by_date(struct store *s, const char *production_id, const char *department_id,
                          void (*fn)(const struct store_carbon_sum *, void *), void *arg,
                          struct err *e)
{
	return sums(s, production_id, department_id, 1, fn, arg, e);
}

int
store_carbon_factors_used(struct store *s, const char *production_id, const char *department_id,
                          void (*fn)(const struct store_factor *, void *), void *arg, struct err *e)
{
	static const char sql[] =
	    "SELECT " FACTOR_COLS " FROM emission_factor f WHERE f.id IN (SELECT factor_id "
	    "FROM carbon_rollup WHERE production_id = ?1 AND (?2 IS NULL OR department_id = ?2)) "
	    "ORDER BY f.set_id, f.set_version, f.category, f.id";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	sq_bind_opt(st, 2, department_id);
	return each_factor(s, st, fn, arg, e);
}

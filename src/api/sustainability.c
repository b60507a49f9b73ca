/*
 * sustainability.c — a production's carbon footprint, built as the shoot
 * happens (docs/SUSTAINABILITY.md):
 *
 *   GET  /api/v1/factor-sets                          the factor sets Slate has
 *   GET  /api/v1/factor-sets/{sid}/factors            one set's factors (?version=)
 *   GET  …/productions/{id}/sustainability/settings   factor set, RF, budget, sharing
 *   PUT  …/productions/{id}/sustainability/settings   replace them (absent: defaults)
 *   PATCH …/productions/{id}/sustainability/settings  change some (absent: kept)
 *   GET  …/sustainability/factors                     the factors entries may use
 *   POST …/sustainability/factors                     a production's own factor
 *   GET  …/sustainability/entries                     activity entries (filters, pages)
 *   POST …/sustainability/entries
 *   GET  …/sustainability/entries/{eid}
 *   PATCH …/sustainability/entries/{eid}             correct some of its fields
 *   DELETE …/sustainability/entries/{eid}
 *   PUT  …/sustainability/entries/{eid}/evidence      a receipt, bill or fuel log (encrypted)
 *   GET  …/sustainability/entries/{eid}/evidence
 *   POST …/sustainability/import?dry_run=true|false   CSV, all rows or none
 *   POST …/sustainability/recalculate                 against another factor set
 *   GET  …/sustainability/report?format=json|csv|svg  (api/sustainability_report.c)
 *
 * Who may do what is the policy table: `sustainability` for entries,
 * evidence, own factors and recalculation (department heads: their own
 * department only); `sustainability_totals` for reports, where crew and cast
 * are narrowed to none until the production shares its totals.
 *
 * An entry is computed once, when it is made: its factor is the one its key
 * names in the production's own factors or, failing that, in the latest
 * version of the production's factor set (flights: the variant with or
 * without radiative forcing as the production counts them). Its quantity is
 * converted to the factor's unit and the CO2e rounded to the gram
 * (domain/carbon.h). It keeps that factor until a recalculation, which is
 * explicit, shows every change before it is applied, and is audited.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "api/access.h"
#include "api/sustainability.h"
#include "api/handlers.h"
#include "api/reply.h"
#include "api/session.h"
#include "audit/audit.h"
#include "api/view.h"
#include "domain/carbon.h"
#include "domain/carbon_resolve.h"
#include "domain/csv.h"
#include "domain/factorzone.h"
#include "domain/validate.h"
#include "store/store.h"
#include "util/log.h"
#include "util/utf8.h"
#include "util/xalloc.h"
#include "util/nitems.h"

#define NOTE_MAX     500
#define IMPORT_ROWS  100000
#define PAGE_DEFAULT 100
#define PAGE_MAX     1000

/* What every sustainability request needs about its production. */
struct sustainability_ctx {
	struct api_reader rd;
	struct store_carbon_settings settings;
	struct store_factor_set set; /* the latest version of settings.factor_set */
	enum policy_scope scope;     /* for the resource and action asked */
};

static const char *
user_of(struct http_req *r)
{
	return session_of(r)->session.user.id;
}

/*
 * Loads the reader, the production's settings and the scope for res × act;
 * refuses (403) a scope of none, or a department scope without a department.
 * 1 (free c->rd with api_reader_free), or 0 after answering (nothing to free).
 */
static int
ctx_load(struct http_req *r, struct sustainability_ctx *c, enum policy_resource res,
         enum policy_action act, const char *refusal)
{
	struct store *s = http_req_store(r);
	struct err e;
	int got;

	if (api_reader_load(r, &c->rd) == -1)
		return 0;
	if (store_carbon_settings_get(s, c->rd.a.production.id, &c->settings, &e) == -1 ||
	    (got = store_factor_set_latest(s, c->settings.factor_set, &c->set, &e)) == -1) {
		api_unavailable(r, &e);
		goto refused;
	}
	if (got == 0) {
		err_set(&e, 500, "factor set %s of production %s is missing",
		        c->settings.factor_set, c->rd.a.production.id);
		api_unavailable(r, &e);
		goto refused;
	}
	c->scope = api_scope(&c->rd.a, res, act);
	if (res == POLICY_RESOURCE_SUSTAINABILITY_TOTALS && c->rd.has_role &&
	    (c->rd.role == POLICY_ROLE_CREW || c->rd.role == POLICY_ROLE_CAST) &&
	    !c->settings.share_totals)
		c->scope = POLICY_SCOPE_NONE;
	if (c->scope == POLICY_SCOPE_DEPARTMENT && c->rd.department_id[0] == '\0')
		c->scope = POLICY_SCOPE_NONE;
	if (c->scope == POLICY_SCOPE_NONE) {
		http_end_problem(r, 403, refusal);
		goto refused;
	}
	return 1;
refused:
	api_reader_free(&c->rd);
	return 0;
}

/* The department a department-scoped reader is held to, else NULL (every department). */
static const char *
held_department(const struct sustainability_ctx *c)
{
	return c->scope == POLICY_SCOPE_DEPARTMENT ? c->rd.department_id : NULL;
}

json_t *
api_factor_json(const struct store_factor *f)
{
	const struct carbon_unit *u = carbon_unit_find(f->unit);
	return json_pack(
	    "{s:I, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:f, s:o, s:s, s:i, s:s, s:s, s:b}", "id",
	    (json_int_t)f->id, "set", f->set_id, "version", f->set_version, "key", f->key,
	    "category", f->category, "activity", f->activity, "unit", f->unit, "unit_label",
	    u != NULL ? u->label : f->unit, "kg_co2e_per_unit", f->kg_per_unit, "radiative_forcing",
	    f->rf < 0 ? json_null() : json_boolean(f->rf), "source", f->source, "year", f->year,
	    "publisher_ref", f->publisher_ref, "notes", f->notes, "custom",
	    f->production_id[0] != '\0');
}

static json_t *
opt_str(const char *v)
{
	return v[0] ? json_string(v) : json_null();
}

static json_t *
entry_json(const struct store_carbon_entry *en)
{
	return json_pack("{s:s, s:s, s:o, s:s, s:s, s:f, s:s, s:f, s:f, s:o, s:o, s:s, s:s, s:s, "
	                 "s:s}",
	                 "id", en->id, "date", en->date, "day_id", opt_str(en->day_id),
	                 "department_id", en->department_id, "category", en->category, "quantity",
	                 en->quantity, "unit", en->unit, "kg_co2e", carbon_kg(en->co2e_g), "t_co2e",
	                 carbon_tonnes(en->co2e_g), "factor", api_factor_json(&en->factor),
	                 "evidence_id", opt_str(en->evidence_id), "note", en->note, "entered_by",
	                 en->entered_by, "created_at", en->created_at, "updated_at",
	                 en->updated_at);
}

static json_t *
settings_json(const struct sustainability_ctx *c)
{
	return json_pack(
	    "{s:s, s:i, s:b, s:o, s:b}", "factor_set", c->settings.factor_set, "factor_set_version",
	    c->set.version, "flights_include_rf", c->settings.include_rf, "budget_kg",
	    c->settings.budget_g >= 0 ? json_real(carbon_kg(c->settings.budget_g)) : json_null(),
	    "share_totals", c->settings.share_totals);
}

/* An entry as GET …/sustainability/entries answers it (the export reuses it). */
json_t *
api_carbon_entry_json(const struct store_carbon_entry *en)
{
	return entry_json(en);
}

json_t *
api_carbon_settings_view(struct store *s, const char *production_id, struct err *e)
{
	struct sustainability_ctx c;
	memset(&c, 0, sizeof(c));
	if (store_carbon_settings_get(s, production_id, &c.settings, e) == -1 ||
	    store_factor_set_latest(s, c.settings.factor_set, &c.set, e) == -1)
		return NULL;
	return settings_json(&c);
}

/* ---- one entry from its fields (the API's JSON or a CSV line) ---- */

struct entry_input {
	const char *date, *day_id, *department_id, *department, *factor, *unit, *note;
	double quantity;
	int has_quantity;
	/* a change that leaves factor, quantity and unit alone: the entry whose
	 * factor, quantity, unit and CO2e are kept as they are (else NULL) */
	const struct store_carbon_entry *figure;
};

struct departments {
	size_t n;
	char (*id)[STORE_ID_LEN + 8];
	char (*name)[256];
};

static void
add_department(const char *id, const char *name, void *arg)
{
	struct departments *d = arg;
	d->id = xrealloc(d->id, (d->n + 1) * sizeof(*d->id));
	d->name = xrealloc(d->name, (d->n + 1) * sizeof(*d->name));
	snprintf(d->id[d->n], sizeof(d->id[d->n]), "%s", id);
	snprintf(d->name[d->n], sizeof(d->name[d->n]), "%s", name);
	d->n++;
}

static void
departments_free(struct departments *d)
{
	free(d->id);
	free(d->name);
	memset(d, 0, sizeof(*d));
}

/*
 * The id of a department named by id or by name (without regard to case, as
 * store_department_find, the exact spelling first); NULL when none.
 */
static const char *
department_of(const struct departments *d, const char *id_or_name)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->id[i], id_or_name) == 0 || strcmp(d->name[i], id_or_name) == 0)
			return d->id[i];
	for (size_t i = 0; i < d->n; i++)
		if (strcasecmp(d->name[i], id_or_name) == 0)
			return d->id[i];
	return NULL;
}

/*
 * Checks in and fills en (not yet stored): 0; 1 after adding every problem
 * found to errs ({pointer, detail}, 400); -1 with e set when the caller may
 * not (403) or the store failed.
 */
static int
entry_build(struct store *s, const struct sustainability_ctx *c, const struct departments *deps,
            const struct entry_input *in, struct store_carbon_entry *en, json_t *errs,
            struct err *e)
{
	const char *dept = in->department_id ? in->department_id : in->department;
	const char *dept_ptr = in->department_id ? "/department_id" : "/department";
	const char *dept_id = NULL;
	struct store_day day;
	size_t before = json_array_size(errs);
	int got, factor_ok = 1;
	char buf[192];
	const struct {
		const char *ptr, *v;
		int flags;
	} text[] = {
	    {"/date", in->date, 0}, {"/day_id", in->day_id, 0},
	    {dept_ptr, dept, 0},    {"/factor", in->factor, 0},
	    {"/unit", in->unit, 0}, {"/note", in->note, JF_MULTILINE},
	};

	memset(en, 0, sizeof(*en));
	snprintf(en->production_id, sizeof(en->production_id), "%s", c->rd.a.production.id);
	/* characters no text may hold, in any cell: named before anything is looked up */
	for (size_t i = 0; i < nitems(text); i++) {
		const char *why =
		    text[i].v ? body_text_problem(text[i].v, text[i].flags, buf, sizeof(buf))
		              : NULL;
		if (why != NULL)
			body_error_add(errs, text[i].ptr, why);
	}
	if (json_array_size(errs) > before)
		return 1;
	if (dept == NULL || dept[0] == '\0')
		body_error_add(errs, dept_ptr, "the department is required");
	else if ((dept_id = department_of(deps, dept)) == NULL)
		body_error_add(errs, dept_ptr, "there is no such department in this production");
	else if (held_department(c) != NULL && strcmp(dept_id, held_department(c)) != 0)
		return err_field(e, 403, dept_ptr,
		                 "a department head enters their own department's activity only");
	else
		snprintf(en->department_id, sizeof(en->department_id), "%s", dept_id);
	if (in->day_id != NULL && in->day_id[0] != '\0') {
		if ((got = store_day_get(s, en->production_id, in->day_id, &day, e)) == -1)
			return -1;
		if (got == 0) {
			body_error_add(errs, "/day_id",
			               "there is no such shoot day in this production");
		} else if (in->date != NULL && in->date[0] && strcmp(in->date, day.date) != 0) {
			snprintf(buf, sizeof(buf), "the shoot day is on %s", day.date);
			body_error_add(errs, "/date", buf);
		} else {
			snprintf(en->day_id, sizeof(en->day_id), "%s", day.id);
			snprintf(en->date, sizeof(en->date), "%.10s", day.date);
		}
	} else if (in->date == NULL || !validate_date(in->date)) {
		body_error_add(errs, "/date", "a date (YYYY-MM-DD) or a day_id is required");
	} else {
		snprintf(en->date, sizeof(en->date), "%s", in->date);
	}
	if (in->figure != NULL) {
		factor_ok = 0; /* kept, not computed again */
	} else if (in->factor == NULL || in->factor[0] == '\0') {
		body_error_add(errs, "/factor", "the factor key is required (see …/factors)");
		factor_ok = 0;
	}
	if (in->figure == NULL && (!in->has_quantity || !carbon_quantity_ok(in->quantity))) {
		body_error_add(errs, "/quantity", "a number above 0 and at most 1000000000");
		factor_ok = 0;
	}
	if (in->figure == NULL && (in->unit == NULL || in->unit[0] == '\0')) {
		body_error_add(errs, "/unit", "the unit is required");
		factor_ok = 0;
	}
	if (in->note != NULL &&
	    (utf8_chars(in->note) > NOTE_MAX || strlen(in->note) >= sizeof(en->note)))
		body_error_add(errs, "/note", "at most 500 characters");
	/* the factor, its unit and the quantity are checked together, once each is there */
	if (factor_ok &&
	    carbon_resolve(s, en->production_id, &c->set, c->settings.include_rf, in->factor,
	                   in->quantity, in->unit, &en->factor, &en->co2e_g, e) == -1) {
		if (e->status != 400 || e->field[0] == '\0')
			return -1;
		body_error_add(errs, e->field, e->msg);
	}
	if (json_array_size(errs) > before)
		return 1;
	if (in->figure != NULL) {
		en->factor = in->figure->factor;
		en->co2e_g = in->figure->co2e_g;
		snprintf(en->unit, sizeof(en->unit), "%s", in->figure->unit);
		en->quantity = in->figure->quantity;
		snprintf(en->category, sizeof(en->category), "%s", in->figure->category);
		en->factor_id = in->figure->factor_id;
	} else {
		snprintf(en->unit, sizeof(en->unit), "%s", carbon_unit_find(in->unit)->code);
		en->quantity = in->quantity;
		snprintf(en->category, sizeof(en->category), "%s", en->factor.category);
		en->factor_id = en->factor.id;
	}
	snprintf(en->note, sizeof(en->note), "%s", in->note ? in->note : "");
	return 0;
}

static int
departments_load(struct http_req *r, const char *production_id, struct departments *d)
{
	struct err e;
	memset(d, 0, sizeof(*d));
	if (store_department_list(http_req_store(r), production_id, add_department, d, &e) == -1) {
		departments_free(d);
		api_unavailable(r, &e);
		return 0;
	}
	return 1;
}

/* ---- factor sets ---- */

static void
add_set(const struct store_factor_set *set, void *arg)
{
	json_array_append_new(arg, json_pack("{s:s, s:i, s:s, s:I, s:s, s:s}", "id", set->id,
	                                     "version", set->version, "name", set->name, "factors",
	                                     (json_int_t)set->factors, "imported_at",
	                                     set->imported_at, "sha256", set->sha256));
}

void
factor_sets_list(struct http_req *r)
{
	json_t *arr = json_array();
	struct err e;
	if (store_factor_sets(http_req_store(r), add_set, arr, &e) == -1) {
		json_decref(arr);
		api_unavailable(r, &e);
		return;
	}
	http_end_reply_json(r, 200, json_pack("{s:o}", "factor_sets", arr));
}

static void
add_factor(const struct store_factor *f, void *arg)
{
	json_array_append_new(arg, api_factor_json(f));
}

void
factor_sets_factors(struct http_req *r)
{
	struct store *s = http_req_store(r);
	struct store_factor_set set;
	const char *id = router_param(&r->match, "sid");
	long version;
	json_t *arr;
	struct err e;
	int got;

	if ((got = store_factor_set_latest(s, id, &set, &e)) == -1) {
		api_unavailable(r, &e);
		return;
	}
	if (got == 0) {
		http_end_problem(r, 404, "there is no such factor set");
		return;
	}
	if ((version = api_query_long(r, "version", set.version, 1, set.version)) == -1) {
		api_bad_field(r, "?version", "a version of this set, from 1 to its latest");
		return;
	}
	arr = json_array();
	if (store_factors_list(s, id, (int)version, NULL, add_factor, arr, &e) == -1) {
		json_decref(arr);
		api_unavailable(r, &e);
		return;
	}
	http_end_reply_json(
	    r, 200,
	    json_pack("{s:s, s:i, s:o}", "set", id, "version", (int)version, "factors", arr));
}

/* ---- settings ---- */

void
sustainability_settings_get(struct http_req *r)
{
	struct sustainability_ctx c;
	if (!ctx_load(r, &c, POLICY_RESOURCE_SUSTAINABILITY_TOTALS, POLICY_ACTION_READ,
	              "your role does not see this production's sustainability figures"))
		return;
	http_end_reply_json(r, 200, settings_json(&c));
}

static const struct body_field settings_body[] = {
    {"factor_set", JF_STRING, 0, 63},
    {"flights_include_rf", JF_BOOLEAN, 0, 0},
    {"budget_kg", JF_NUMBER, 0, 0},
    {"share_totals", JF_BOOLEAN, 0, 0},
};

/*
 * PUT replaces the settings whole: a field the body leaves out takes its
 * default (factor_set: the set of the production's time zone,
 * domain/factorzone.h; flights with radiative forcing; no budget; totals not
 * shared). PATCH merges: a field left out keeps its value. Both check every
 * field as the other does and write all or nothing.
 */
static void
settings_write(struct http_req *r, int replace)
{
	struct store *s = http_req_store(r);
	struct sustainability_ctx c;
	json_t *body = NULL, *v;
	const char *want;
	struct err e;
	int got;

	if (!ctx_load(r, &c, POLICY_RESOURCE_SUSTAINABILITY, POLICY_ACTION_WRITE,
	              "only producers and production admins change the sustainability settings"))
		return;
	if (c.scope != POLICY_SCOPE_ALL) {
		http_end_problem(
		    r, 403,
		    "only producers and production admins change the sustainability settings");
		goto out;
	}
	if ((body = http_json_body(r, settings_body, nitems(settings_body))) == NULL)
		goto out;
	if (replace) {
		c.settings.include_rf = 1;
		c.settings.budget_g = -1;
		c.settings.share_totals = 0;
	}
	v = json_object_get(body, "factor_set");
	want = v != NULL ? json_string_value(v)
	       : replace ? factorzone_default_set(c.rd.a.production.timezone)
	                 : NULL;
	if (want != NULL) {
		struct store_factor_set set;
		if ((got = store_factor_set_latest(s, want, &set, &e)) == -1) {
			api_unavailable(r, &e);
			goto out;
		}
		if (got == 0 || strcmp(set.id, STORE_FACTOR_SET_CUSTOM) == 0) {
			api_bad_field(r, "/factor_set",
			              "not a factor set Slate has (GET /api/v1/factor-sets)");
			goto out;
		}
		snprintf(c.settings.factor_set, sizeof(c.settings.factor_set), "%s", set.id);
		c.set = set;
	}
	if ((v = json_object_get(body, "flights_include_rf")) != NULL)
		c.settings.include_rf = json_is_true(v);
	if ((v = json_object_get(body, "share_totals")) != NULL)
		c.settings.share_totals = json_is_true(v);
	if ((v = json_object_get(body, "budget_kg")) != NULL) {
		double kg = json_number_value(v);
		if (!isfinite(kg) || kg < 0 || kg > 1e9) {
			api_bad_field(r, "/budget_kg", "kg CO2e from 0 (no budget) to 1000000000");
			goto out;
		}
		c.settings.budget_g = llround(kg * 1000) > 0 ? llround(kg * 1000) : -1;
	}
	if (store_carbon_settings_put(s, c.rd.a.production.id, &c.settings, &e) == -1) {
		api_unavailable(r, &e);
		goto out;
	}
	session_audit(r, user_of(r), "sustainability.settings", c.rd.a.production.id, "success");
	http_end_reply_json(r, 200, settings_json(&c));
out:
	json_decref(body);
	api_reader_free(&c.rd);
}

void
sustainability_settings_put(struct http_req *r)
{
	settings_write(r, 1);
}

void
sustainability_settings_patch(struct http_req *r)
{
	settings_write(r, 0);
}

/* ---- factors in force and a production's own ---- */

struct in_force {
	json_t *arr;
	int include_rf;
};

static void
add_in_force(const struct store_factor *f, void *arg)
{
	struct in_force *in = arg;
	if (f->rf < 0 || f->rf == in->include_rf)
		json_array_append_new(in->arr, api_factor_json(f));
}

void
sustainability_factors_list(struct http_req *r)
{
	struct store *s = http_req_store(r);
	struct sustainability_ctx c;
	struct in_force in;
	json_t *own;
	struct err e;

	if (!ctx_load(r, &c, POLICY_RESOURCE_SUSTAINABILITY, POLICY_ACTION_READ,
	              "your role does not enter this production's sustainability data"))
		return;
	in.arr = json_array();
	in.include_rf = c.settings.include_rf;
	own = json_array();
	if (store_factors_list(s, c.set.id, c.set.version, NULL, add_in_force, &in, &e) == -1 ||
	    store_factors_list(s, NULL, 0, c.rd.a.production.id, add_factor, own, &e) == -1) {
		json_decref(in.arr);
		json_decref(own);
		api_unavailable(r, &e);
	} else {
		http_end_reply_json(r, 200,
		                    json_pack("{s:s, s:i, s:o, s:o}", "factor_set", c.set.id,
		                              "factor_set_version", c.set.version, "factors",
		                              in.arr, "own", own));
	}
	api_reader_free(&c.rd);
}

static const struct body_field factor_body[] = {
    {"category", JF_STRING, 1, 31},
    {"activity", JF_STRING, JF_REQUIRED | JF_NONBLANK, 200},
    {"unit", JF_STRING, 1, 40},
    {"kg_co2e_per_unit", JF_NUMBER, 1, 0},
    {"source", JF_STRING, JF_REQUIRED | JF_NONBLANK, 500},
    {"year", JF_INTEGER, 0, 0},
    {"notes", JF_STRING, JF_MULTILINE, 1000},
};

void
sustainability_factors_create(struct http_req *r)
{
	struct store *s = http_req_store(r);
	struct sustainability_ctx c;
	struct store_factor f;
	const struct carbon_unit *u;
	json_t *body;
	double kg;
	char key[160];
	struct err e;

	if (!ctx_load(r, &c, POLICY_RESOURCE_SUSTAINABILITY, POLICY_ACTION_WRITE,
	              "only producers and production admins add emission factors"))
		return;
	if (c.scope != POLICY_SCOPE_ALL) {
		http_end_problem(r, 403,
		                 "only producers and production admins add emission factors");
		goto out;
	}
	if ((body = http_json_body(r, factor_body, nitems(factor_body))) == NULL)
		goto out;
	memset(&f, 0, sizeof(f));
	snprintf(f.production_id, sizeof(f.production_id), "%s", c.rd.a.production.id);
	snprintf(f.category, sizeof(f.category), "%s",
	         json_string_value(json_object_get(body, "category")));
	snprintf(f.activity, sizeof(f.activity), "%s",
	         json_string_value(json_object_get(body, "activity")));
	snprintf(f.source, sizeof(f.source), "%s",
	         json_string_value(json_object_get(body, "source")));
	snprintf(f.notes, sizeof(f.notes), "%s",
	         json_object_get(body, "notes") ? json_string_value(json_object_get(body, "notes"))
	                                        : "");
	kg = json_number_value(json_object_get(body, "kg_co2e_per_unit"));
	f.year = json_object_get(body, "year")
	             ? (int)json_integer_value(json_object_get(body, "year"))
	             : 0;
	carbon_activity_key(f.activity, key, sizeof(key) - 8);
	snprintf(f.key, sizeof(f.key), "custom-%.150s", key);
	f.rf = carbon_activity_rf(f.activity);
	if (!carbon_category_valid(f.category))
		api_bad_field(r, "/category",
		              "one of fuel, electricity, travel_air, travel_land, travel_sea, "
		              "accommodation, waste, materials, water, other");
	else if (key[0] == '\0')
		api_bad_field(r, "/activity", "needs letters or digits");
	else if ((u = carbon_unit_find(json_string_value(json_object_get(body, "unit")))) == NULL)
		api_bad_field(r, "/unit",
		              "not a unit Slate knows (docs/SUSTAINABILITY.md lists them)");
	else if (!isfinite(kg) || kg < 0 || kg > 1e6)
		api_bad_field(r, "/kg_co2e_per_unit", "a number from 0 to 1000000");
	else if (f.source[0] == '\0')
		api_bad_field(r, "/source", "say where the figure comes from");
	else if (json_object_get(body, "year") != NULL && (f.year < 1990 || f.year > 2100))
		api_bad_field(r, "/year", "a year such as 2026");
	else {
		snprintf(f.unit, sizeof(f.unit), "%s", u->code);
		snprintf(f.kg_text, sizeof(f.kg_text), "%.10g", kg);
		f.kg_per_unit = strtod(f.kg_text, NULL);
		if (f.year == 0)
			f.year = (int)strtol(c.set.imported_at, NULL, 10);
		if (store_factor_create(s, &f, user_of(r), &e) == -1) {
			api_refuse(r, &e, "the factor cannot be added");
		} else {
			session_audit(r, user_of(r), "sustainability.factor.create", f.key,
			              "success");
			http_end_reply_json(r, 201, api_factor_json(&f));
		}
	}
	json_decref(body);
out:
	api_reader_free(&c.rd);
}

/* ---- entries ---- */

static const struct body_field entry_body[] = {
    {"date", JF_STRING, 0, 10},          {"day_id", JF_STRING, 0, 40},
    {"department_id", JF_STRING, 0, 40}, {"department", JF_STRING, 0, 200},
    {"factor", JF_STRING, 1, 160},       {"quantity", JF_NUMBER, 1, 0},
    {"unit", JF_STRING, 1, 40},          {"note", JF_STRING, JF_MULTILINE, NOTE_MAX},
};

/* the same fields, none required (a change names some of them) */
static const struct body_field entry_patch_body[] = {
    {"date", JF_STRING, 0, 10},          {"day_id", JF_STRING, 0, 40},
    {"department_id", JF_STRING, 0, 40}, {"department", JF_STRING, 0, 200},
    {"factor", JF_STRING, 0, 160},       {"quantity", JF_NUMBER, 0, 0},
    {"unit", JF_STRING, 0, 40},          {"note", JF_STRING, JF_MULTILINE, NOTE_MAX},
};

static const char *
str_of(json_t *body, const char *name)
{
	return json_string_value(json_object_get(body, name));
}

/*
 * Builds en from in as create and update both check an entry: 1 when it is
 * acceptable, else 0 after answering (403, 400 naming every bad field, or
 * the store's failure).
 */
static int
entry_checked(struct http_req *r, struct store *s, const struct sustainability_ctx *c,
              const struct departments *deps, const struct entry_input *in,
              struct store_carbon_entry *en)
{
	json_t *errs = json_array(), *v;
	struct err e;
	size_t i;
	int rc = entry_build(s, c, deps, in, en, errs, &e);

	if (rc == -1) {
		if (e.status == 403)
			http_end_problem(r, 403, e.msg);
		else
			api_refuse(r, &e, "the entry is not acceptable");
	} else if (rc == 1) {
		json_array_foreach (errs, i, v) {
			http_field_error(r, json_string_value(json_object_get(v, "pointer")),
			                 json_string_value(json_object_get(v, "detail")));
		}
	}
	json_decref(errs);
	if (rc == -1)
		return 0;
	return !http_field_errors_answer(r);
}

void
sustainability_entries_create(struct http_req *r)
{
	struct store *s = http_req_store(r);
	struct sustainability_ctx c;
	struct departments deps;
	struct store_carbon_entry en;
	struct entry_input in;
	json_t *body;
	struct err e;

	if (!ctx_load(r, &c, POLICY_RESOURCE_SUSTAINABILITY, POLICY_ACTION_WRITE,
	              "your role does not enter sustainability data"))
		return;
	if ((body = http_json_body_open(r, entry_body, nitems(entry_body))) == NULL)
		goto out;
	if (!departments_load(r, c.rd.a.production.id, &deps)) {
		json_decref(body);
		goto out;
	}
	in = (struct entry_input){
	    .date = str_of(body, "date"),
	    .day_id = str_of(body, "day_id"),
	    .department_id = str_of(body, "department_id"),
	    .department = str_of(body, "department"),
	    .factor = str_of(body, "factor"),
	    .unit = str_of(body, "unit"),
	    .note = str_of(body, "note"),
	    .quantity = json_number_value(json_object_get(body, "quantity")),
	    .has_quantity = 1,
	};
	if (entry_checked(r, s, &c, &deps, &in, &en)) {
		snprintf(en.entered_by, sizeof(en.entered_by), "%s", user_of(r));
		/* the entry and its audit event in one transaction, as update and delete */
		if (store_begin(s, &e) == -1) {
			api_unavailable(r, &e);
		} else if (store_carbon_entry_create(s, &en, &e) == -1) {
			store_rollback(s);
			api_refuse(r, &e, "the entry cannot be saved");
		} else {
			if (session_audit_change(r, user_of(r), "sustainability.entry.create",
			                         en.id, &e) == -1 ||
			    store_commit(s, &e) == -1) {
				store_rollback(s);
				api_unavailable(r, &e);
			} else {
				http_end_reply_json(r, 201, entry_json(&en));
			}
		}
	}
	departments_free(&deps);
	json_decref(body);
out:
	api_reader_free(&c.rd);
}

/* ?name into buf, *out pointing at it when given: 0, or -1 after answering 400. */
static int
query_filter(struct http_req *r, const char *name, char *buf, size_t cap, const char **out)
{
	char pointer[40];
	switch (router_query_param(r->query, name, buf, cap)) {
	case 0: return 0;
	case 1: *out = buf; return 0;
	default:
		snprintf(pointer, sizeof(pointer), "?%s", name);
		api_bad_field(r, pointer, "malformed or too long");
		return -1;
	}
}

static void
add_entry(const struct store_carbon_entry *en, void *arg)
{
	json_array_append_new(arg, entry_json(en));
}

void
sustainability_entries_list(struct http_req *r)
{
	struct sustainability_ctx c;
	struct store_carbon_filter f = {0};
	char dept[64], day[64], cat[32];
	long total;
	json_t *arr;
	struct err e;

	if (!ctx_load(r, &c, POLICY_RESOURCE_SUSTAINABILITY, POLICY_ACTION_READ,
	              "your role does not see this production's sustainability entries"))
		return;
	if (query_filter(r, "department", dept, sizeof(dept), &f.department_id) == -1 ||
	    query_filter(r, "day", day, sizeof(day), &f.day_id) == -1 ||
	    query_filter(r, "category", cat, sizeof(cat), &f.category) == -1)
		goto out;
	f.limit = api_query_long(r, "limit", PAGE_DEFAULT, 1, PAGE_MAX);
	f.offset = api_query_long(r, "offset", 0, 0, 100000000);
	if (f.category != NULL && !carbon_category_valid(f.category)) {
		api_bad_field(r, "?category", "one of the categories in docs/SUSTAINABILITY.md");
		goto out;
	}
	if (f.limit == -1 || f.offset == -1) {
		api_bad_field(r, f.limit == -1 ? "?limit" : "?offset",
		              f.limit == -1 ? "a whole number from 1 to 1000"
		                            : "a whole number from 0");
		goto out;
	}
	if (held_department(&c) != NULL) {
		if (f.department_id != NULL && strcmp(f.department_id, held_department(&c)) != 0) {
			http_end_problem(
			    r, 403, "a department head sees their own department's entries only");
			goto out;
		}
		f.department_id = held_department(&c);
	}
	arr = json_array();
	if (store_carbon_entry_list(http_req_store(r), c.rd.a.production.id, &f, &total, add_entry,
	                            arr, &e) == -1) {
		json_decref(arr);
		api_unavailable(r, &e);
		goto out;
	}
	http_end_reply_json(r, 200,
	                    json_pack("{s:o, s:I, s:I, s:I}", "entries", arr, "total",
	                              (json_int_t)total, "limit", (json_int_t)f.limit, "offset",
	                              (json_int_t)f.offset));
out:
	api_reader_free(&c.rd);
}

/*
 * Entry {eid} as the caller may see it for act: 1 loaded, 0 after answering
 * (404 also for another department's entry to a department head: its
 * existence is not theirs to learn).
 */
static int
entry_load(struct http_req *r, struct sustainability_ctx *c, struct store_carbon_entry *en)
{
	struct err e;
	int found = store_carbon_entry_get(http_req_store(r), c->rd.a.production.id,
	                                   router_param(&r->match, "eid"), en, &e);
	if (found == 1 && held_department(c) != NULL &&
	    strcmp(en->department_id, held_department(c)) != 0)
		found = 0;
	return api_found(r, found, &e, "sustainability entry");
}

void
sustainability_entries_get(struct http_req *r)
{
	struct sustainability_ctx c;
	struct store_carbon_entry en;
	if (!ctx_load(r, &c, POLICY_RESOURCE_SUSTAINABILITY, POLICY_ACTION_READ,
	              "your role does not see this production's sustainability entries"))
		return;
	if (entry_load(r, &c, &en))
		http_end_reply_json(r, 200, entry_json(&en));
	api_reader_free(&c.rd);
}

/*
 * PATCH …/entries/{eid}: any of create's fields, at least one; the rest as
 * the entry has them. The entry as it would be is checked whole, as create
 * checks it, with create's rights: a department head changes only their own
 * department's entries (another's answers 404, as GET does) and cannot move
 * one to another department (403). A new factor, quantity or unit computes
 * the CO2e again with the factor resolved as create resolves it; any other
 * change keeps the entry's factor and figure. Evidence, author and
 * created_at stay. The write and its audit event are one transaction.
 */
void
sustainability_entries_patch(struct http_req *r)
{
	struct store *s = http_req_store(r);
	struct sustainability_ctx c;
	struct departments deps;
	struct store_carbon_entry old, en;
	struct entry_input in;
	json_t *body;
	struct err e;
	int rc, refigure, dated;

	if (!ctx_load(r, &c, POLICY_RESOURCE_SUSTAINABILITY, POLICY_ACTION_WRITE,
	              "your role does not change sustainability data"))
		return;
	if ((body = http_json_body_open(r, entry_patch_body, nitems(entry_patch_body))) == NULL)
		goto out;
	if (!entry_load(r, &c, &old))
		goto body;
	if (json_object_size(body) == 0) {
		api_bad_field(r, "/",
		              "date, day_id, department_id, department, factor, quantity, unit or "
		              "note");
		goto body;
	}
	if (!departments_load(r, c.rd.a.production.id, &deps))
		goto body;
	refigure = json_object_get(body, "factor") != NULL ||
	           json_object_get(body, "quantity") != NULL ||
	           json_object_get(body, "unit") != NULL;
	dated = json_object_get(body, "date") != NULL || json_object_get(body, "day_id") != NULL;
	in = (struct entry_input){
	    /* a kept shoot day gives its date, as at create */
	    .date = dated           ? str_of(body, "date")
	            : old.day_id[0] ? NULL
	                            : old.date,
	    .day_id = dated ? str_of(body, "day_id") : old.day_id,
	    .department_id = json_object_get(body, "department_id") != NULL ||
	                             json_object_get(body, "department") != NULL
	                         ? str_of(body, "department_id")
	                         : old.department_id,
	    .department = str_of(body, "department"),
	    .factor = json_object_get(body, "factor") ? str_of(body, "factor") : old.factor.key,
	    .unit = json_object_get(body, "unit") ? str_of(body, "unit") : old.unit,
	    .note = json_object_get(body, "note") ? str_of(body, "note") : old.note,
	    .quantity = json_object_get(body, "quantity")
	                    ? json_number_value(json_object_get(body, "quantity"))
	                    : old.quantity,
	    .has_quantity = json_object_get(body, "quantity") == NULL ||
	                    json_is_number(json_object_get(body, "quantity")),
	    .figure = refigure ? NULL : &old,
	};
	if (entry_checked(r, s, &c, &deps, &in, &en)) {
		snprintf(en.id, sizeof(en.id), "%s", old.id);
		if (store_begin(s, &e) == -1) {
			api_unavailable(r, &e);
		} else if ((rc = store_carbon_entry_update(s, &en, &e)) != 1) {
			store_rollback(s);
			if (rc == 0)
				(void)api_found(r, 0, &e, "sustainability entry");
			else
				api_refuse(r, &e, "the entry cannot be saved");
		} else {
			if (session_audit_change(r, user_of(r), "sustainability.entry.update",
			                         en.id, &e) == -1 ||
			    store_commit(s, &e) == -1) {
				store_rollback(s);
				api_unavailable(r, &e);
			} else if ((rc = store_carbon_entry_get(s, c.rd.a.production.id, en.id,
			                                        &old, &e)) != 1) {
				(void)api_found(r, rc, &e, "sustainability entry");
			} else {
				http_end_reply_json(r, 200, entry_json(&old));
			}
		}
	}
	departments_free(&deps);
body:
	json_decref(body);
out:
	api_reader_free(&c.rd);
}

/*
 * An entry goes with its evidence: the attachment row in the same
 * transaction (with the audit event), its file after the commit
 * (store.h: a crash between leaves an orphan file, which `slate fsck`
 * lists, never an entry naming a file that is gone).
 */
void
sustainability_entries_delete(struct http_req *r)
{
	struct store *s = http_req_store(r);
	struct sustainability_ctx c;
	struct store_carbon_entry en;
	char stored[64] = "", path[4200];
	struct err e;

	if (!ctx_load(r, &c, POLICY_RESOURCE_SUSTAINABILITY, POLICY_ACTION_WRITE,
	              "your role does not change sustainability data"))
		return;
	if (!entry_load(r, &c, &en))
		goto out;
	if (store_begin(s, &e) == -1)
		goto unavailable;
	if (store_carbon_entry_delete(s, c.rd.a.production.id, en.id, &e) == -1 ||
	    (en.evidence_id[0] != '\0' &&
	     store_attachment_remove(s, c.rd.a.production.id, en.evidence_id, stored,
	                             sizeof(stored), &e) == -1)) {
		store_rollback(s);
		goto unavailable;
	}
	if (session_audit_change(r, user_of(r), "sustainability.entry.delete", en.id, &e) == -1 ||
	    store_commit(s, &e) == -1) {
		store_rollback(s);
		goto unavailable;
	}
	if (stored[0] != '\0') {
		snprintf(path, sizeof(path), "%s/%s", http_req_config(r)->upload_dir, stored);
		if (unlink(path) == -1 && errno != ENOENT)
			log_event(LOG_WARN,
			          "a removed entry's evidence file stays (slate fsck lists it)",
			          LOG_STR("error", strerror(errno)), LOG_END);
	}
	http_end_reply(r, 204, NULL, NULL, 0);
	goto out;
unavailable:
	api_unavailable(r, &e);
out:
	api_reader_free(&c.rd);
}

/* Before the body: who may attach evidence to this entry, and where the file goes. */
int
sustainability_evidence_head(struct http_req *r)
{
	struct sustainability_ctx c;
	struct store_carbon_entry en;
	int rc = -1;
	if (!ctx_load(r, &c, POLICY_RESOURCE_SUSTAINABILITY, POLICY_ACTION_WRITE,
	              "your role does not change sustainability data"))
		return -1;
	if (entry_load(r, &c, &en))
		rc = attachments_begin(r, c.rd.a.production.id, en.id);
	api_reader_free(&c.rd);
	return rc;
}

void
sustainability_evidence_put(struct http_req *r)
{
	struct sustainability_ctx c;
	struct store_carbon_entry en;
	/* checked again now that the body is here: a right may have ended meanwhile */
	if (!ctx_load(r, &c, POLICY_RESOURCE_SUSTAINABILITY, POLICY_ACTION_WRITE,
	              "your role does not change sustainability data"))
		return;
	if (entry_load(r, &c, &en))
		attachments_accept(r);
	api_reader_free(&c.rd);
}

void
sustainability_evidence_get(struct http_req *r)
{
	struct sustainability_ctx c;
	struct store_carbon_entry en;
	if (!ctx_load(r, &c, POLICY_RESOURCE_SUSTAINABILITY, POLICY_ACTION_READ,
	              "your role does not see this production's sustainability entries"))
		return;
	if (entry_load(r, &c, &en)) {
		if (en.evidence_id[0] == '\0')
			http_end_problem(r, 404, "this entry has no evidence attached");
		else
			attachments_send(r, c.rd.a.production.id, en.evidence_id, 1);
	}
	api_reader_free(&c.rd);
}

/* ---- import ---- */

static const char *const import_columns[] = {"date",     "day_id", "department", "factor",
                                             "quantity", "unit",   "note"};
enum { COL_DATE, COL_DAY, COL_DEPARTMENT, COL_FACTOR, COL_QUANTITY, COL_UNIT, COL_NOTE, NCOL };

/* Each problem of one row (entry_build's), with its line: every bad cell is named. */
static void
add_row_errors(json_t *errs, long line, const json_t *row)
{
	const json_t *v;
	size_t i;
	json_array_foreach (row, i, v)
		if (json_array_size(errs) < 1000)
			json_array_append_new(errs,
			                      json_pack("{s:O, s:O, s:I}", "pointer",
			                                json_object_get(v, "pointer"), "detail",
			                                json_object_get(v, "detail"), "line",
			                                (json_int_t)line));
}

static void
add_row_error(json_t *errs, long line, const struct err *e)
{
	if (json_array_size(errs) < 1000)
		json_array_append_new(errs, json_pack("{s:s, s:s, s:I}", "pointer",
		                                      e->field[0] ? e->field : "/", "detail",
		                                      e->msg, "line", (json_int_t)line));
}

/* The columns of the header line; -1 with e when one needed is missing or one is unknown. */
static int
import_header(char **f, size_t n, int col[NCOL], struct err *e)
{
	for (int k = 0; k < NCOL; k++)
		col[k] = -1;
	for (size_t i = 0; i < n; i++) {
		int k;
		for (k = 0; k < NCOL && strcmp(f[i], import_columns[k]) != 0; k++)
			;
		if (k == NCOL)
			return err_field(
			    e, 400, "/header",
			    "column '%.40s' is not one of date, day_id, department, factor, "
			    "quantity, unit, note",
			    f[i]);
		col[k] = (int)i;
	}
	for (int k = COL_DEPARTMENT; k <= COL_UNIT; k++)
		if (col[k] == -1)
			return err_field(e, 400, "/header", "the header needs a column %s",
			                 import_columns[k]);
	if (col[COL_DATE] == -1 && col[COL_DAY] == -1)
		return err_field(e, 400, "/header", "the header needs a column date or day_id");
	return 0;
}

static const char *
cell(char **f, size_t n, int col)
{
	return col >= 0 && (size_t)col < n ? f[col] : NULL;
}

/* A CSV quantity: a plain decimal number ("1000", "12.5"); 0 when it is not one. */
static int
parse_quantity(const char *v, double *out)
{
	char *end;
	if (v == NULL || v[0] == '\0' || strpbrk(v, "xXnNiI") != NULL)
		return 0;
	*out = strtod(v, &end);
	return *end == '\0';
}

/*
 * One checked row of an import, kept until the whole file has been checked.
 * Only what the entry's insert needs: a whole struct store_carbon_entry is
 * over 3 KB (its note buffer and the factor it read), so 100,000 of them held
 * 316 MB for a 6 MB file.
 */
struct import_row {
	char date[11];
	char day_id[STORE_ID_LEN + 8];
	char department_id[STORE_ID_LEN + 8];
	char category[32];
	char unit[16];
	double quantity;
	long long factor_id, co2e_g;
	char *note; /* NULL when empty */
};

static void
import_row_keep(struct import_row *row, const struct store_carbon_entry *en)
{
	memcpy(row->date, en->date, sizeof(row->date));
	memcpy(row->day_id, en->day_id, sizeof(row->day_id));
	memcpy(row->department_id, en->department_id, sizeof(row->department_id));
	memcpy(row->category, en->category, sizeof(row->category));
	memcpy(row->unit, en->unit, sizeof(row->unit));
	row->quantity = en->quantity;
	row->factor_id = en->factor_id;
	row->co2e_g = en->co2e_g;
	row->note = en->note[0] ? xstrdup(en->note) : NULL;
}

static void
import_row_entry(const struct import_row *row, const char *production_id, const char *user,
                 struct store_carbon_entry *en)
{
	memset(en, 0, sizeof(*en));
	snprintf(en->production_id, sizeof(en->production_id), "%s", production_id);
	memcpy(en->date, row->date, sizeof(en->date));
	memcpy(en->day_id, row->day_id, sizeof(en->day_id));
	memcpy(en->department_id, row->department_id, sizeof(en->department_id));
	memcpy(en->category, row->category, sizeof(en->category));
	memcpy(en->unit, row->unit, sizeof(en->unit));
	en->quantity = row->quantity;
	en->factor_id = row->factor_id;
	en->co2e_g = row->co2e_g;
	snprintf(en->note, sizeof(en->note), "%s", row->note ? row->note : "");
	snprintf(en->entered_by, sizeof(en->entered_by), "%s", user);
}

/*
 * Before the body: who may import, and that it is CSV. The body itself is
 * kept whole (it is parsed and checked all-or-nothing), so the route is
 * ROUTE_IMPORT: at most HTTP_IMPORT_MAX_BYTES (16 MiB, some 100,000 rows of
 * usual length), counted against body_memory_budget while it is read.
 */
int
sustainability_import_head(struct http_req *r)
{
	struct sustainability_ctx c;
	size_t ctlen = 0;
	const char *ct = http_req_header(r, "Content-Type", &ctlen);

	if (!ctx_load(r, &c, POLICY_RESOURCE_SUSTAINABILITY, POLICY_ACTION_WRITE,
	              "your role does not enter sustainability data"))
		return -1;
	api_reader_free(&c.rd);
	if (ct == NULL || ctlen < 8 || strncasecmp(ct, "text/csv", 8) != 0) {
		http_end_problem(r, 415, "send the rows as text/csv");
		return -1;
	}
	return 0;
}

/*
 * An import's work, done on a worker (a 100,000-row file takes seconds to
 * check and insert: on the loop it would stall every connection of that
 * loop). The loop checks who asks and loads what the rows are checked
 * against (the reader, the settings, the departments); the worker reads
 * and checks the rows and inserts them over its own store connection
 * (http_worker_store), touching nothing of the request but the body the
 * job took from it; the loop answers and audits when the job comes home.
 */
struct import_job {
	struct job job;
	struct http_req *r;
	struct sustainability_ctx
	    c; /* read by the worker; freed on the loop (its cache belongs there) */
	struct departments deps;
	char user[STORE_ID_LEN + 8];
	char peer[64], request_id[32]; /* for the audit event */
	char *body;                    /* the request's, read by the worker only */
	size_t body_len;
	int dry_run;
	/* the outcome */
	enum {
		IMPORT_DONE,
		IMPORT_ROWS_REFUSED,
		IMPORT_PROBLEM,
		IMPORT_UNAVAILABLE,
		IMPORT_FAILED
	} out;
	int status;
	const char *detail; /* a literal */
	json_t *errs;       /* IMPORT_ROWS_REFUSED: every bad row's problems */
	size_t nrows;
	long long total;
	struct err e;
};

static void
import_work(struct job *j)
{
	struct import_job *ij = (struct import_job *)j;
	struct store *s;
	struct store_carbon_entry en;
	struct import_row *rows = NULL;
	struct csv_reader rd;
	char **f;
	size_t n, nrows = 0, cap = 0, seen = 0;
	long line;
	int col[NCOL], got, brc;
	json_t *row_errs;
	struct err *e = &ij->e;
	char obj[96];
	const struct audit_entry audit = {ij->user,  ij->peer,       "sustainability.import", obj,
	                                  "success", ij->request_id, ij->c.rd.a.production.id};

	ij->errs = json_array();
	if ((s = http_worker_store(e)) == NULL) {
		ij->out = IMPORT_UNAVAILABLE;
		goto done;
	}
	csv_reader_init(&rd, ij->body, ij->body_len);
	if ((got = csv_read(&rd, &f, &n, &line, e)) != 1 || import_header(f, n, col, e) == -1) {
		if (got == 1)
			csv_fields_free(f, n);
		if (got == 0)
			err_field(e, 400, "/header", "the file is empty; it needs a header line");
		add_row_error(ij->errs, 1, e);
		ij->out = IMPORT_ROWS_REFUSED;
		ij->status = 400;
		ij->detail = "the file cannot be read";
		goto done;
	}
	csv_fields_free(f, n);
	while ((got = csv_read(&rd, &f, &n, &line, e)) == 1) {
		struct entry_input in = {
		    .date = cell(f, n, col[COL_DATE]),
		    .day_id = cell(f, n, col[COL_DAY]),
		    .department = cell(f, n, col[COL_DEPARTMENT]),
		    .factor = cell(f, n, col[COL_FACTOR]),
		    .unit = cell(f, n, col[COL_UNIT]),
		    .note = cell(f, n, col[COL_NOTE]),
		};
		in.has_quantity = parse_quantity(cell(f, n, col[COL_QUANTITY]), &in.quantity);
		if (seen++ == IMPORT_ROWS) {
			csv_fields_free(f, n);
			err_field(e, 400, "/", "more than 100000 rows; split the file");
			add_row_error(ij->errs, line, e);
			break;
		}
		row_errs = json_array();
		if ((brc = entry_build(s, &ij->c, &ij->deps, &in, &en, row_errs, e)) == -1) {
			if (e->status >= 500) {
				json_decref(row_errs);
				csv_fields_free(f, n);
				ij->out = IMPORT_UNAVAILABLE;
				goto done;
			}
			add_row_error(ij->errs, line, e);
		} else if (brc == 1) {
			add_row_errors(ij->errs, line, row_errs);
		} else if (json_array_size(ij->errs) == 0) { /* after a bad row, only checking */
			if (nrows == cap) {
				cap = cap ? cap * 2 : 256;
				rows = xrealloc(rows, cap * sizeof(*rows));
			}
			import_row_keep(&rows[nrows++], &en);
			ij->total += en.co2e_g;
		}
		json_decref(row_errs);
		csv_fields_free(f, n);
	}
	if (got == -1)
		add_row_error(ij->errs, rd.line, e);
	if (json_array_size(ij->errs) > 0) {
		ij->out = IMPORT_ROWS_REFUSED;
		ij->status = 422;
		ij->detail = ij->dry_run ? "these rows would be refused; nothing was imported"
		                         : "these rows are refused; nothing was imported";
		goto done;
	}
	if (nrows == 0) {
		ij->out = IMPORT_PROBLEM;
		ij->status = 400;
		ij->detail = "the file has a header but no rows";
		goto done;
	}
	ij->nrows = nrows;
	ij->out = IMPORT_DONE;
	if (ij->dry_run)
		goto done;
	if (store_begin(s, e) == -1) {
		ij->out = IMPORT_UNAVAILABLE;
		goto done;
	}
	for (size_t i = 0; i < nrows; i++) {
		import_row_entry(&rows[i], ij->c.rd.a.production.id, ij->user, &en);
		if (store_carbon_entry_create(s, &en, e) == -1) {
			store_rollback(s);
			ij->out = IMPORT_FAILED;
			goto done;
		}
	}
	/* the rows and their audit event commit together (a commit on the loop would wait for
	 * the disk to take this transaction's pages, stalling the loop for as long) */
	snprintf(obj, sizeof(obj), "%s:%zu rows", ij->c.rd.a.production.id, nrows);
	if (audit_record(s, &audit, e) == -1) {
		store_rollback(s);
		ij->out = IMPORT_UNAVAILABLE;
		goto done;
	}
	if (store_commit(s, e) == -1)
		ij->out = IMPORT_UNAVAILABLE;
done:
	for (size_t i = 0; i < nrows; i++)
		free(rows[i].note);
	free(rows);
}

static void
import_done(struct job *j)
{
	struct import_job *ij = (struct import_job *)j;
	struct http_req *r = ij->r;

	switch (ij->out) {
	case IMPORT_ROWS_REFUSED:
		http_end_problem_errors(r, ij->status, ij->detail, ij->errs);
		ij->errs = NULL;
		break;
	case IMPORT_PROBLEM: http_end_problem(r, ij->status, ij->detail); break;
	case IMPORT_UNAVAILABLE: api_unavailable(r, &ij->e); break;
	case IMPORT_FAILED: api_refuse(r, &ij->e, "the import failed; nothing was imported"); break;
	case IMPORT_DONE:
		http_end_reply_json(r, ij->dry_run ? 200 : 201,
		                    json_pack("{s:b, s:I, s:I, s:f, s:f}", "dry_run", ij->dry_run,
		                              "rows", (json_int_t)ij->nrows, "imported",
		                              (json_int_t)(ij->dry_run ? 0 : ij->nrows), "kg_co2e",
		                              carbon_kg(ij->total), "t_co2e",
		                              carbon_tonnes(ij->total)));
		break;
	}
	json_decref(ij->errs);
	departments_free(&ij->deps);
	api_reader_free(&ij->c.rd);
	free(ij);
}

void
sustainability_import(struct http_req *r)
{
	struct import_job *ij = xcalloc(1, sizeof(*ij));
	char flag[8];
	size_t ctlen = 0;
	const char *ct = http_req_header(r, "Content-Type", &ctlen);

	if (!ctx_load(r, &ij->c, POLICY_RESOURCE_SUSTAINABILITY, POLICY_ACTION_WRITE,
	              "your role does not enter sustainability data")) {
		free(ij);
		return;
	}
	if (router_query_param(r->query, "dry_run", flag, sizeof(flag)) == 1) {
		if (strcmp(flag, "true") != 0 && strcmp(flag, "false") != 0) {
			api_bad_field(r, "?dry_run", "true or false");
			goto refused;
		}
		ij->dry_run = strcmp(flag, "true") == 0;
	}
	if (ct == NULL || ctlen < 8 || strncasecmp(ct, "text/csv", 8) != 0) {
		http_end_problem(r, 415, "send the rows as text/csv");
		goto refused;
	}
	if (!departments_load(r, ij->c.rd.a.production.id, &ij->deps))
		goto refused;
	snprintf(ij->user, sizeof(ij->user), "%s", user_of(r));
	snprintf(ij->peer, sizeof(ij->peer), "%s", r->peer);
	snprintf(ij->request_id, sizeof(ij->request_id), "%s", r->request_id);
	ij->r = r;
	/* the request's arena keeps the body until the answer; the loop leaves r alone meanwhile */
	ij->body = r->body;
	ij->body_len = r->body_len;
	ij->job.work = import_work;
	ij->job.done = import_done;
	http_defer(r, &ij->job);
	return;
refused:
	api_reader_free(&ij->c.rd);
	free(ij);
}

/* ---- recalculation ---- */

struct recalc {
	struct store *s;
	const struct sustainability_ctx *c;
	const struct store_factor_set *to;
	json_t *changes, *unmatched;
	long long before, after;
	long entries;
	struct err e;
	int failed;
	/* the changes to apply */
	size_t n;
	struct change {
		char id[STORE_ID_LEN + 8];
		long long factor_id, grams;
	} * todo;
};

static json_t *
factor_ref(const struct store_factor *f)
{
	return json_pack("{s:I, s:s, s:i, s:s, s:f, s:s}", "id", (json_int_t)f->id, "set",
	                 f->set_id, "version", f->set_version, "key", f->key, "kg_co2e_per_unit",
	                 f->kg_per_unit, "unit", f->unit);
}

static void
recalc_entry(const struct store_carbon_entry *en, void *arg)
{
	struct recalc *rc = arg;
	struct store_factor f = {0};
	long long g = 0;
	struct err e;

	rc->entries++;
	rc->before += en->co2e_g;
	if (rc->failed)
		return;
	if (carbon_resolve(rc->s, en->production_id, rc->to, rc->c->settings.include_rf,
	                   en->factor.key, en->quantity, en->unit, &f, &g, &e) == -1) {
		if (e.status >= 500) {
			rc->e = e;
			rc->failed = 1;
			return;
		}
		rc->after += en->co2e_g;
		json_array_append_new(rc->unmatched,
		                      json_pack("{s:s, s:s, s:s, s:s}", "id", en->id, "factor",
		                                en->factor.key, "unit", en->unit, "reason", e.msg));
		return;
	}
	rc->after += g;
	if (f.id == en->factor_id && g == en->co2e_g)
		return;
	json_array_append_new(
	    rc->changes, json_pack("{s:s, s:f, s:f, s:o, s:o}", "id", en->id, "before_kg",
	                           carbon_kg(en->co2e_g), "after_kg", carbon_kg(g), "factor_before",
	                           factor_ref(&en->factor), "factor_after", factor_ref(&f)));
	rc->todo = xrealloc(rc->todo, (rc->n + 1) * sizeof(*rc->todo));
	snprintf(rc->todo[rc->n].id, sizeof(rc->todo[rc->n].id), "%s", en->id);
	rc->todo[rc->n].factor_id = f.id;
	rc->todo[rc->n].grams = g;
	rc->n++;
}

static int
recalc_apply(struct store *s, struct sustainability_ctx *c, const struct recalc *rc, struct err *e)
{
	if (store_begin(s, e) == -1)
		return -1;
	for (size_t i = 0; i < rc->n; i++)
		if (store_carbon_entry_refactor(s, rc->todo[i].id, rc->todo[i].factor_id,
		                                rc->todo[i].grams, e) == -1)
			goto fail;
	snprintf(c->settings.factor_set, sizeof(c->settings.factor_set), "%s", rc->to->id);
	if (store_carbon_settings_put(s, c->rd.a.production.id, &c->settings, e) == -1)
		goto fail;
	return store_commit(s, e);
fail:
	store_rollback(s);
	return -1;
}

static const struct body_field recalc_body[] = {
    {"factor_set", JF_STRING, 1, 63},
    {"apply", JF_BOOLEAN, 0, 0},
};

void
sustainability_recalculate(struct http_req *r)
{
	struct store *s = http_req_store(r);
	struct sustainability_ctx c;
	struct store_factor_set to;
	struct store_carbon_filter all = {.limit = -1};
	struct recalc rc;
	char from[96], obj[256];
	long total;
	json_t *body;
	int got, apply;

	if (!ctx_load(r, &c, POLICY_RESOURCE_SUSTAINABILITY, POLICY_ACTION_WRITE,
	              "your role does not recalculate the footprint"))
		return;
	memset(&rc, 0, sizeof(rc));
	if (c.scope != POLICY_SCOPE_ALL) {
		http_end_problem(r, 403,
		                 "only producers and production admins recalculate the footprint");
		goto out;
	}
	if ((body = http_json_body(r, recalc_body, nitems(recalc_body))) == NULL)
		goto out;
	apply = json_is_true(json_object_get(body, "apply"));
	got = store_factor_set_latest(s, str_of(body, "factor_set"), &to, &rc.e);
	json_decref(body);
	if (got == -1) {
		api_unavailable(r, &rc.e);
		goto out;
	}
	if (got == 0 || strcmp(to.id, STORE_FACTOR_SET_CUSTOM) == 0) {
		api_bad_field(r, "/factor_set",
		              "not a factor set Slate has (GET /api/v1/factor-sets)");
		goto out;
	}
	rc.s = s;
	rc.c = &c;
	rc.to = &to;
	rc.changes = json_array();
	rc.unmatched = json_array();
	if (store_carbon_entry_list(s, c.rd.a.production.id, &all, &total, recalc_entry, &rc,
	                            &rc.e) == -1 ||
	    rc.failed || (apply && recalc_apply(s, &c, &rc, &rc.e) == -1)) {
		json_decref(rc.changes);
		json_decref(rc.unmatched);
		api_unavailable(r, &rc.e);
		goto out;
	}
	snprintf(from, sizeof(from), "%s@%d", c.set.id, c.set.version);
	if (apply) {
		snprintf(obj, sizeof(obj), "%s:%s->%s@%d:%lld g->%lld g", c.rd.a.production.id,
		         from, to.id, to.version, rc.before, rc.after);
		session_audit(r, user_of(r), "sustainability.recalculate", obj, "success");
	}
	http_end_reply_json(
	    r, 200,
	    json_pack("{s:b, s:s, s:s, s:i, s:I, s:I, s:I, s:f, s:f, s:o, s:o}", "applied", apply,
	              "from", from, "factor_set", to.id, "factor_set_version", to.version,
	              "entries", (json_int_t)rc.entries, "changed", (json_int_t)rc.n,
	              "unmatched_count", (json_int_t)json_array_size(rc.unmatched), "before_kg",
	              carbon_kg(rc.before), "after_kg", carbon_kg(rc.after), "changes", rc.changes,
	              "unmatched", rc.unmatched));
out:
	free(rc.todo);
	api_reader_free(&c.rd);
}

/* ---- report ---- */

/* The name of department id (for the chart of a department-scoped report). */
struct dept_name {
	const char *id;
	char name[256];
};

static void
find_dept_name(const char *id, const char *name, void *arg)
{
	struct dept_name *dn = arg;
	if (strcmp(id, dn->id) == 0)
		snprintf(dn->name, sizeof(dn->name), "%s", name);
}

/*
 * The report's sums run over every entry of the production (two GROUP BY
 * queries: some 100 ms at 100,000 entries), so they and the rendering run
 * on a worker over its own store connection; the loop checks and answers.
 */
struct report_job {
	struct job job;
	struct http_req *r;
	struct sustainability_ctx c; /* read by the worker; freed on the loop */
	char format[8], chart[16];
	json_t *rep; /* json: the report; NULL when it could not be made (e) */
	char *body;  /* csv, svg: the rendered report */
	struct err e;
};

static void
report_work(struct job *j)
{
	struct report_job *rj = (struct report_job *)j;
	struct dept_name dn = {held_department(&rj->c), ""};
	struct store *s = http_worker_store(&rj->e);

	if (s == NULL || (rj->rep = sustainability_report(s, &rj->c.rd.a.production, dn.id,
	                                                  &rj->c.settings, &rj->e)) == NULL)
		return;
	if (strcmp(rj->format, "json") == 0)
		return;
	if (dn.id != NULL &&
	    store_department_list(s, rj->c.rd.a.production.id, find_dept_name, &dn, &rj->e) == -1) {
		json_decref(rj->rep);
		rj->rep = NULL;
		return;
	}
	rj->body =
	    strcmp(rj->format, "csv") == 0
	        ? sustainability_report_csv(rj->rep)
	        : sustainability_report_svg(rj->rep, rj->chart, dn.id != NULL ? dn.name : NULL);
}

static void
report_done(struct job *j)
{
	struct report_job *rj = (struct report_job *)j;
	struct http_req *r = rj->r;
	char cd[160];

	if (rj->rep == NULL) {
		api_unavailable(r, &rj->e);
	} else if (strcmp(rj->format, "json") == 0) {
		http_end_reply_json(r, 200, rj->rep);
		rj->rep = NULL;
	} else {
		/* replaces the server's page policy: one Content-Security-Policy (http/server.c) */
		http_add_header(r, "Content-Security-Policy",
		                "default-src 'none'; style-src 'unsafe-inline'");
		if (strcmp(rj->format, "csv") == 0) {
			snprintf(cd, sizeof(cd),
			         "attachment; filename=\"slate-%s-carbon-report.csv\"",
			         rj->c.rd.a.production.id);
			http_add_header(r, "Content-Disposition", cd);
		}
		http_end_reply(r, 200,
		               strcmp(rj->format, "csv") == 0 ? "text/csv; charset=utf-8"
		                                              : "image/svg+xml",
		               rj->body, strlen(rj->body));
	}
	free(rj->body);
	json_decref(rj->rep);
	api_reader_free(&rj->c.rd);
	free(rj);
}

void
sustainability_report_get(struct http_req *r)
{
	struct report_job *rj = xcalloc(1, sizeof(*rj));

	snprintf(rj->format, sizeof(rj->format), "json");
	snprintf(rj->chart, sizeof(rj->chart), "category");
	if (!ctx_load(r, &rj->c, POLICY_RESOURCE_SUSTAINABILITY_TOTALS, POLICY_ACTION_READ,
	              "your role does not see this production's sustainability figures")) {
		free(rj);
		return;
	}
	if (router_query_param(r->query, "format", rj->format, sizeof(rj->format)) == -1 ||
	    (strcmp(rj->format, "json") != 0 && strcmp(rj->format, "csv") != 0 &&
	     strcmp(rj->format, "svg") != 0)) {
		api_bad_field(r, "?format", "json, csv or svg");
		goto refused;
	}
	if (router_query_param(r->query, "chart", rj->chart, sizeof(rj->chart)) == -1 ||
	    (strcmp(rj->chart, "category") != 0 && strcmp(rj->chart, "cumulative") != 0)) {
		api_bad_field(r, "?chart", "category or cumulative");
		goto refused;
	}
	rj->r = r;
	rj->job.work = report_work;
	rj->job.done = report_done;
	http_defer(r, &rj->job);
	return;
refused:
	api_reader_free(&rj->c.rd);
	free(rj);
}

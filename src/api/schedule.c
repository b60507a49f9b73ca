/*
 * schedule.c — shoot days, scenes and calls.
 *
 * GET   /api/v1/productions/{id}/days                 the days the reader may see
 * POST  /api/v1/productions/{id}/days                 {date, unit?, general_call, wrap_estimate,
 *                                                      locations?: [id], scenes?: [id]}
 * GET   /api/v1/productions/{id}/days/{did}           the day, its locations, scenes and calls
 * PATCH /api/v1/productions/{id}/days/{did}           any subset; arrays replace
 * GET   /api/v1/productions/{id}/scenes
 * POST  /api/v1/productions/{id}/scenes               {number, int_ext, day_night, set,
 *                                                      eighths, synopsis?, cast?: [person id]}
 * PATCH /api/v1/productions/{id}/scenes/{sid}
 * GET   /api/v1/productions/{id}/days/{did}/calls
 * PUT   /api/v1/productions/{id}/days/{did}/calls/{pid}  {call, pickup?, hair_makeup?,
 *                                                         on_set?, cast_status?}
 * DELETE /api/v1/productions/{id}/days/{did}/calls/{pid}
 * POST  /api/v1/productions/{id}/days/{did}/department-calls/{dept}/call-everyone
 *                                                      {call, pickup?, hair_makeup?, on_set?,
 *                                                       overwrite?}
 *
 * Times are local "HH:MM" in the production's zone; hours past 23 are the
 * small hours after midnight of a night shoot (domain/validate.h). A day's
 * wrap comes after its general call; a call comes before the wrap, a
 * pick-up no later than the call, hair/make-up and on-set no earlier.
 *
 * Reads follow the matrix: `schedule` (days, scenes) and `scene_synopsis`
 * are `called` for crew and cast — only the days they have a call on —
 * and `call` is all, department or self.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/access.h"
#include "api/handlers.h"
#include "api/reply.h"
#include "api/call.h"
#include "api/session.h"
#include "api/view.h"
#include "domain/callsheet.h"
#include "domain/validate.h"
#include "util/xalloc.h"
#include "util/zone.h"

/* ---- days ---- */

json_t *
api_day_json(const struct store_day *d)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:i}", "id", d->id, "date", d->date,
	                      "unit", d->unit, "general_call", d->general_call, "wrap_estimate",
	                      d->wrap_estimate, "number", d->number, "total", d->total);
	/* a cancelled day stays in the record, marked (api/undo.c) */
	json_object_set_new(j, "cancelled", json_boolean(d->cancelled_at[0] != '\0'));
	if (d->cancelled_at[0] != '\0')
		json_object_set_new(j, "cancelled_at", json_string(d->cancelled_at));
	return j;
}

/*
 * The day as rd reads it: the draft, or (api_reads_published_schedule) its
 * latest call sheet into *sheet (NULL when never published: the day is then
 * not there for rd). 1 visible, 0 not, -1 store error.
 */
static int
day_view(struct store *s, struct api_reader *rd, const char *day_id, json_t **sheet, struct err *e)
{
	int called, version, found;

	*sheet = NULL;
	if (api_reads_published_schedule(rd)) {
		if ((found = api_published_sheet(s, rd->a.production.id, day_id, &version, sheet,
		                                 e)) != 1)
			return found;
		called = api_published_called(*sheet, rd->person_id);
	} else if ((called = api_reader_knows_calls(s, rd, day_id, e)) == -1) {
		return -1;
	}
	return api_allows(rd, POLICY_RESOURCE_SCHEDULE, POLICY_ACTION_READ, NULL, NULL, called);
}

int
api_day_visible(struct store *s, struct api_reader *rd, const char *day_id, struct err *e)
{
	json_t *sheet;
	int v = day_view(s, rd, day_id, &sheet, e);
	json_decref(sheet);
	return v;
}

/* The reader may see day_id: 1 yes, 0 no, -1 after answering 503. */
static int
day_visible(struct http_req *r, struct api_reader *rd, const char *day_id)
{
	struct err e;
	int v = api_day_visible(http_req_store(r), rd, day_id, &e);
	if (v == -1)
		api_unavailable(r, &e);
	return v;
}

struct day_list {
	struct http_req *r;
	struct api_reader *rd;
	json_t *arr;
	int failed;
};

static void
add_day(const struct store_day *d, void *arg)
{
	struct day_list *l = arg;
	json_t *sheet;
	struct err e;
	int v;
	if (l->failed)
		return;
	if ((v = day_view(http_req_store(l->r), l->rd, d->id, &sheet, &e)) == -1) {
		api_unavailable(l->r, &e);
		l->failed = 1;
	} else if (v == 1) {
		json_array_append_new(l->arr,
		                      sheet ? api_published_day_json(d, sheet) : api_day_json(d));
	}
	json_decref(sheet);
}

void
days_list(struct api_call *c)
{
	struct http_req *r = c->r;
	struct day_list l = {r, &c->rd, json_array(), 0};
	struct err e;

	if (store_day_list(api_call_store(c), c->rd.a.production.id, add_day, &l, &e) == -1) {
		json_decref(l.arr);
		api_unavailable(r, &e);
		return;
	}
	if (l.failed) {
		json_decref(l.arr);
		return;
	}
	http_end_reply_json(r, 200, json_pack("{s:o}", "days", l.arr));
}

/*
 * Checks that every element of the array body[name] is an id of the
 * production (exists(id) == 1) and collects them. 0 after answering (400
 * naming every element that is not, with any other field errors waiting).
 */
static int
ids_of(struct http_req *r, json_t *body, const char *name,
       int (*exists)(struct http_req *, const char *, const char *, struct err *), const char *prod,
       const char ***out, size_t *n)
{
	json_t *arr = json_object_get(body, name), *v;
	size_t i;
	struct err e;
	char ptr[64];

	*out = NULL;
	*n = 0;
	if (arr == NULL)
		return 1;
	*out = calloc(json_array_size(arr) + 1, sizeof(char *));
	json_array_foreach (arr, i, v) {
		const char *id = json_string_value(v);
		int found = id ? exists(r, prod, id, &e) : 0;
		snprintf(ptr, sizeof(ptr), "/%s/%zu", name, i);
		if (found == -1) {
			api_unavailable(r, &e);
			free((void *)*out);
			*out = NULL;
			return 0;
		}
		if (found == 0)
			http_field_error(r, ptr, "not an id of this production");
		else
			(*out)[(*n)++] = id;
	}
	if (http_field_errors_answer(r)) {
		free((void *)*out);
		*out = NULL;
		return 0;
	}
	return 1;
}

static int
location_exists(struct http_req *r, const char *prod, const char *id, struct err *e)
{
	struct store_location l;
	return store_location_get(http_req_store(r), prod, id, 0, &l, e);
}

static int
scene_exists(struct http_req *r, const char *prod, const char *id, struct err *e)
{
	struct store_scene sc;
	return store_scene_get(http_req_store(r), prod, id, 0, &sc, e);
}

static int
person_exists(struct http_req *r, const char *prod, const char *id, struct err *e)
{
	struct store_person p;
	return store_person_get(http_req_store(r), prod, id, 0, &p, e);
}

static void
copy_str(json_t *body, const char *name, char *dst, size_t cap)
{
	const char *v = json_string_value(json_object_get(body, name));
	if (v != NULL)
		snprintf(dst, cap, "%s", v);
}

/*
 * A local time of day `date` that the production's clocks skip or read
 * twice (a daylight-saving change) is refused, naming the field: in a gap
 * the time does not exist; in a fold it names both instants it could be.
 * Nothing is stored that a calendar would have to guess at.
 */
static void
check_wall_clock(struct http_req *r, const char *tz, const char *date, const char *hhmm,
                 const char *pointer)
{
	struct zone_local zl;
	char a[32], b[32], detail[256];
	int minutes = validate_time(hhmm), n;

	if (minutes < 0 || !validate_date(date) ||
	    (n = zone_local_instants(tz, date, minutes, &zl)) == 1 || n == -1)
		return;
	if (n == 0) {
		snprintf(detail, sizeof(detail),
		         "%s on %s does not exist in %s: the clocks go forward %d minutes then",
		         hhmm, date, tz, zl.gap_minutes);
	} else {
		zone_rfc3339(zl.at[0], zl.off[0], a);
		zone_rfc3339(zl.at[1], zl.off[1], b);
		snprintf(detail, sizeof(detail),
		         "%s on %s happens twice in %s (the clocks go back): %s or %s; choose "
		         "another time",
		         hhmm, date, tz, a, b);
	}
	http_field_error(r, pointer, detail);
}

/*
 * Applies body to d and checks the day as a whole, adding every problem to
 * r's field errors; 0 after answering them (400).
 */
static int
apply_day(struct http_req *r, const struct api_reader *rd, json_t *body, struct store_day *d)
{
	int call, wrap;
	copy_str(body, "date", d->date, sizeof(d->date));
	copy_str(body, "unit", d->unit, sizeof(d->unit));
	copy_str(body, "general_call", d->general_call, sizeof(d->general_call));
	copy_str(body, "wrap_estimate", d->wrap_estimate, sizeof(d->wrap_estimate));
	if (!validate_date(d->date))
		http_field_error(r, "/date", "a date YYYY-MM-DD");
	if (validate_blank(d->unit))
		http_field_error(r, "/unit", "must not be empty");
	if ((call = validate_time(d->general_call)) < 0)
		http_field_error(r, "/general_call", "a time HH:MM");
	if ((wrap = validate_time(d->wrap_estimate)) < 0 || (call >= 0 && wrap <= call))
		http_field_error(r, "/wrap_estimate",
		                 wrap < 0 ? "a time HH:MM (past midnight: 24:00 to 35:59)"
		                          : "must come after the general call");
	check_wall_clock(r, rd->a.production.timezone, d->date, d->general_call, "/general_call");
	check_wall_clock(r, rd->a.production.timezone, d->date, d->wrap_estimate, "/wrap_estimate");
	return !http_field_errors_answer(r);
}

/* Writes the day, its arrays and its audit event in one transaction; answers. */
static void
save_day(struct api_call *c, struct store_day *d, int creating)
{
	struct http_req *r = c->r;
	const struct api_reader *rd = &c->rd;
	json_t *body = c->body;
	struct store *s = api_call_store(c);
	const char **locs = NULL, **scenes = NULL;
	size_t nl = 0, ns = 0;
	struct err e;
	int rc;

	if (!ids_of(r, body, "locations", location_exists, rd->a.production.id, &locs, &nl))
		return;
	if (!ids_of(r, body, "scenes", scene_exists, rd->a.production.id, &scenes, &ns)) {
		free((void *)locs);
		return;
	}
	rc = store_begin(s, &e);
	if (rc == 0)
		rc = creating                           ? store_day_create(s, d, &e)
		     : store_day_update(s, d, &e) == -1 ? -1
		                                        : 0;
	if (rc == 0 && locs != NULL)
		rc = store_day_set_locations(s, d->id, locs, nl, &e);
	if (rc == 0 && scenes != NULL)
		rc = store_day_set_scenes(s, d->id, scenes, ns, &e);
	free((void *)locs);
	free((void *)scenes);
	if (rc == -1) {
		api_call_abort(c);
		api_refuse(r, &e, "the shoot day cannot be saved so");
		return;
	}
	if (api_call_commit(c, NULL, d->id) == -1)
		return;
	if (store_day_get(s, rd->a.production.id, d->id, d, &e) != 1) {
		api_unavailable(r, &e);
		return;
	}
	http_end_reply_json(r, creating ? 201 : 200, api_day_json(d));
}

void
days_create(struct api_call *c)
{
	struct store_day d;

	memset(&d, 0, sizeof(d));
	snprintf(d.production_id, sizeof(d.production_id), "%s", c->rd.a.production.id);
	snprintf(d.unit, sizeof(d.unit), "Main");
	if (apply_day(c->r, &c->rd, c->body, &d))
		save_day(c, &d, 1);
}

/* Loads {did}: 1, or 0 after answering 404 / 503. */
static int
load_day(struct http_req *r, const struct api_reader *rd, struct store_day *d)
{
	return api_load_day(r, rd, router_param(&r->match, "did"), d);
}

void
days_update(struct api_call *c)
{
	struct store_day d;

	if (load_day(c->r, &c->rd, &d) && apply_day(c->r, &c->rd, c->body, &d))
		save_day(c, &d, 0);
}

/* ---- scenes ---- */

static void
add_id(const char *id, void *arg)
{
	json_array_append_new(arg, json_string(id));
}

int
api_scene_synopsis_readable(const struct api_reader *rd, int called)
{
	return api_allows(rd, POLICY_RESOURCE_SCENE_SYNOPSIS, POLICY_ACTION_READ, NULL, NULL,
	                  called);
}

json_t *
api_scene_json(struct store *s, const struct store_scene *sc, struct err *e)
{
	json_t *cast = json_array();
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i}", "id", sc->id, "number", sc->number,
	                      "int_ext", sc->int_ext, "day_night", sc->day_night, "set",
	                      sc->set_name, "eighths", sc->eighths);
	if (sc->opened)
		json_object_set_new(j, "synopsis", json_string(sc->synopsis));
	json_object_set_new(j, "cast", cast);
	if (store_scene_cast(s, sc->id, add_id, cast, e) == -1) {
		json_decref(j);
		return NULL;
	}
	return j;
}

struct scene_view {
	struct store *s;
	struct api_reader *rd;
	json_t *arr;
	int called; /* the scenes listed belong to a day the reader is called on */
	int failed;
	struct err e;
};

static int
scene_want(const struct store_scene *sc, void *arg)
{
	struct scene_view *v = arg;
	(void)sc;
	return api_scene_synopsis_readable(v->rd, v->called);
}

static void
scene_add(const struct store_scene *sc, void *arg)
{
	struct scene_view *v = arg;
	json_t *j;
	if (v->failed)
		return;
	if ((j = api_scene_json(v->s, sc, &v->e)) == NULL)
		v->failed = 1;
	else
		json_array_append_new(v->arr, j);
}

/* The ids of a production's days, in date order. */
struct day_ids {
	char (*v)[STORE_ID_LEN + 8];
	size_t n;
};

static void
keep_day_id(const struct store_day *d, void *arg)
{
	struct day_ids *l = arg;
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(l->v[0]));
	memcpy(l->v[l->n++], d->id, sizeof(l->v[0]));
}

/*
 * The scenes of each day whose latest call sheet calls the reader, as that
 * sheet lists them (by id; the scene records as they stand now).
 */
static int
published_scenes(struct scene_view *v, struct err *e)
{
	struct day_ids days = {NULL, 0};
	int rc = store_day_list(v->s, v->rd->a.production.id, keep_day_id, &days, e);

	for (size_t i = 0; i < days.n && rc == 0 && !v->failed; i++) {
		json_t *sheet, *sc;
		int version, found;
		size_t k;
		found = api_published_sheet(v->s, v->rd->a.production.id, days.v[i], &version,
		                            &sheet, e);
		if (found == -1)
			rc = -1;
		if (found != 1)
			continue;
		if (api_published_called(sheet, v->rd->person_id)) {
			json_array_foreach (json_object_get(sheet, "scenes"), k, sc) {
				const char *id = json_string_value(json_object_get(sc, "id"));
				struct store_scene one;
				int got;
				if (id == NULL)
					continue;
				got = store_scene_get(v->s, v->rd->a.production.id, id,
				                      scene_want(NULL, v), &one, e);
				if (got == -1) {
					rc = -1;
					break;
				}
				if (got == 1)
					scene_add(&one, v);
			}
		}
		json_decref(sheet);
	}
	free(days.v);
	return rc;
}

int
api_scenes_view(struct store *s, struct api_reader *rd, json_t *arr, struct err *e)
{
	struct scene_view v = {.s = s, .rd = rd, .arr = arr, .called = 1};
	int rc = 0;

	switch (api_scope(&rd->a, POLICY_RESOURCE_SCHEDULE, POLICY_ACTION_READ)) {
	case POLICY_SCOPE_ALL:
		rc = store_scene_list(s, rd->a.production.id, NULL, scene_want, scene_add, &v, e);
		break;
	case POLICY_SCOPE_CALLED:
		/* only the scenes of the days the reader is called on: as published, below AD */
		if (api_reads_published_schedule(rd)) {
			rc = published_scenes(&v, e);
			break;
		}
		if (api_reader_called_days(s, rd, e) == -1)
			return -1;
		for (size_t i = 0; i < rd->ncalled && rc == 0; i++)
			rc = store_scene_list(s, rd->a.production.id, rd->called[i], scene_want,
			                      scene_add, &v, e);
		break;
	default: break;
	}
	if (rc == 0 && v.failed) {
		*e = v.e;
		rc = -1;
	}
	return rc;
}

void
scenes_list(struct api_call *c)
{
	struct err e;
	json_t *arr = json_array();

	if (api_scenes_view(api_call_store(c), &c->rd, arr, &e) == -1) {
		json_decref(arr);
		api_unavailable(c->r, &e);
		return;
	}
	http_end_reply_json(c->r, 200, json_pack("{s:o}", "scenes", arr));
}

static int
apply_scene(struct http_req *r, const struct api_reader *rd, json_t *body, struct store_scene *sc)
{
	static const char *const ie[] = {"INT", "EXT", "INT/EXT", NULL};
	static const char *const dn[] = {"DAY", "NIGHT", "DAWN", "DUSK", NULL};
	copy_str(body, "number", sc->number, sizeof(sc->number));
	copy_str(body, "int_ext", sc->int_ext, sizeof(sc->int_ext));
	copy_str(body, "day_night", sc->day_night, sizeof(sc->day_night));
	copy_str(body, "set", sc->set_name, sizeof(sc->set_name));
	copy_str(body, "synopsis", sc->synopsis, sizeof(sc->synopsis));
	if (json_object_get(body, "eighths") != NULL) {
		json_int_t n = json_integer_value(json_object_get(body, "eighths"));
		sc->eighths = n > 0 && n <= 480 ? (int)n : 0; /* 60 pages at most */
	}
	if (json_object_get(body, "synopsis") != NULL &&
	    !api_allows(rd, POLICY_RESOURCE_SCENE_SYNOPSIS, POLICY_ACTION_WRITE, NULL, NULL, 0)) {
		http_end_problem(r, 403, "your role cannot write scene synopses");
		return 0;
	}
	if (validate_blank(sc->number))
		http_field_error(r, "/number", "must not be empty");
	if (!validate_one_of(sc->int_ext, ie))
		http_field_error(r, "/int_ext", "INT, EXT or INT/EXT");
	if (!validate_one_of(sc->day_night, dn))
		http_field_error(r, "/day_night", "DAY, NIGHT, DAWN or DUSK");
	if (validate_blank(sc->set_name))
		http_field_error(r, "/set", "must not be empty");
	if (sc->eighths <= 0)
		http_field_error(r, "/eighths",
		                 "the page count in eighths: a whole number from 1 to 480");
	return !http_field_errors_answer(r);
}

/* Writes the scene, its cast and its audit event in one transaction; answers. */
static void
save_scene(struct api_call *c, struct store_scene *sc, int creating)
{
	struct http_req *r = c->r;
	const struct api_reader *rd = &c->rd;
	json_t *body = c->body;
	struct store *s = api_call_store(c);
	const char **cast = NULL;
	size_t n = 0;
	struct err e;
	int rc;

	if (!ids_of(r, body, "cast", person_exists, rd->a.production.id, &cast, &n))
		return;
	rc = store_begin(s, &e);
	if (rc == 0)
		rc = creating                              ? store_scene_create(s, sc, &e)
		     : store_scene_update(s, sc, &e) == -1 ? -1
		                                           : 0;
	if (rc == 0 && cast != NULL)
		rc = store_scene_set_cast(s, sc->id, cast, n, &e);
	free((void *)cast);
	if (rc == -1) {
		api_call_abort(c);
		api_refuse(r, &e, "the scene cannot be saved so");
		return;
	}
	if (api_call_commit(c, NULL, sc->id) == -1)
		return;
	sc->opened = 1;
	{
		json_t *j = api_scene_json(s, sc, &e);
		if (j == NULL)
			api_unavailable(r, &e);
		else
			http_end_reply_json(r, creating ? 201 : 200, j);
	}
}

void
scenes_create(struct api_call *c)
{
	struct store_scene sc;

	memset(&sc, 0, sizeof(sc));
	snprintf(sc.production_id, sizeof(sc.production_id), "%s", c->rd.a.production.id);
	if (apply_scene(c->r, &c->rd, c->body, &sc))
		save_scene(c, &sc, 1);
}

void
scenes_update(struct api_call *c)
{
	struct store_scene sc;
	struct err e;
	int found = store_scene_get(api_call_store(c), c->rd.a.production.id,
	                            router_param(&c->r->match, "sid"), 1, &sc, &e);

	if (api_found(c->r, found, &e, "scene") && apply_scene(c->r, &c->rd, c->body, &sc))
		save_scene(c, &sc, 0);
}

/* ---- one day, whole ---- */

/* ---- department calls ---- */

struct find_dc {
	const char *department_id;
	char *out;
	size_t cap;
};

static void
match_dc(const struct store_department_call *dc, void *arg)
{
	struct find_dc *f = arg;
	if (strcmp(dc->department_id, f->department_id) == 0)
		snprintf(f->out, f->cap, "%s", dc->call_time);
}

/* The department's call on day_id into out ("" when none): 0, or -1 with e set. */
static int
department_call_of(struct store *s, const char *day_id, const char *department_id, char *out,
                   size_t cap, struct err *e)
{
	struct find_dc f = {department_id, out, cap};
	out[0] = '\0';
	return store_department_call_list(s, day_id, match_dc, &f, e);
}

static json_t *
department_call_json(const struct store_department_call *dc)
{
	return json_pack("{s:s, s:s, s:s}", "department_id", dc->department_id, "department",
	                 dc->department, "call", dc->call_time);
}

static void
add_department_call(const struct store_department_call *dc, void *arg)
{
	json_array_append_new(arg, department_call_json(dc));
}

struct dept_name {
	const char *id;
	char *name;
	size_t cap;
};

static void
name_of_department(const char *id, const char *name, void *arg)
{
	struct dept_name *d = arg;
	if (strcmp(id, d->id) == 0)
		snprintf(d->name, d->cap, "%s", name);
}

/*
 * Loads {did} and department {dept} of the reader's production and checks call write for
 * that department: 1, or 0 after answering.
 */
static int
load_department_call_target(struct http_req *r, struct api_reader *rd, struct store_day *d,
                            struct store_department_call *dc)
{
	struct dept_name dn;
	struct err e;
	const char *dept = router_param(&r->match, "dept");

	memset(dc, 0, sizeof(*dc));
	if (!load_day(r, rd, d))
		return 0;
	dn = (struct dept_name){dept, dc->department, sizeof(dc->department)};
	if (store_department_list(http_req_store(r), rd->a.production.id, name_of_department, &dn,
	                          &e) == -1) {
		api_unavailable(r, &e);
		return 0;
	}
	if (!api_found(r, dc->department[0] != '\0', &e, "department"))
		return 0;
	if (!api_allows(rd, POLICY_RESOURCE_CALL, POLICY_ACTION_WRITE, NULL, dept, 0)) {
		api_audit_caller(r, "call.write", dept, "denied");
		http_end_problem(r, 403, "your role cannot set this department's calls");
		return 0;
	}
	snprintf(dc->day_id, sizeof(dc->day_id), "%s", d->id);
	snprintf(dc->department_id, sizeof(dc->department_id), "%s", dept);
	return 1;
}

/* Call write for the department, checked per record (load_department_call_target). */
void
department_calls_put(struct api_call *c)
{
	struct http_req *r = c->r;
	struct store_day d;
	struct store_department_call dc;
	struct err e;
	int t;

	if (!load_department_call_target(r, &c->rd, &d, &dc))
		return;
	copy_str(c->body, "call", dc.call_time, sizeof(dc.call_time));
	if ((t = validate_time(dc.call_time)) < 0)
		http_field_error(r, "/call", "a time HH:MM");
	else if (t >= validate_time(d.wrap_estimate))
		http_field_error(r, "/call", "must come before the day's wrap estimate");
	else
		check_wall_clock(r, c->rd.a.production.timezone, d.date, dc.call_time, "/call");
	if (http_field_errors_answer(r) || api_call_begin(c) == -1)
		return;
	if (store_department_call_put(api_call_store(c), &dc, &e) == -1) {
		api_call_abort(c);
		api_unavailable(r, &e);
		return;
	}
	if (api_call_commit(c, NULL, dc.department_id) == 0)
		http_end_reply_json(r, 200, department_call_json(&dc));
}

void
department_calls_delete(struct api_call *c)
{
	struct http_req *r = c->r;
	struct store_day d;
	struct store_department_call dc;
	struct err e;
	int done;

	if (!load_department_call_target(r, &c->rd, &d, &dc) || api_call_begin(c) == -1)
		return;
	done = store_department_call_delete(api_call_store(c), d.id, dc.department_id, &e);
	if (done == -1) {
		api_call_abort(c);
		api_refuse(r, &e, "the department call cannot be removed");
		return;
	}
	if (done == 0) {
		api_call_abort(c);
		http_end_problem(r, 404, "this department has no call on this day");
		return;
	}
	if (api_call_commit(c, NULL, dc.department_id) == 0)
		http_end_reply(r, 204, NULL, NULL, 0);
}

struct loc_names {
	struct http_req *r;
	const char *prod;
	json_t *arr;
};

static void
add_location_name(const char *id, void *arg)
{
	struct loc_names *l = arg;
	struct store_location loc;
	struct err e;
	if (store_location_get(http_req_store(l->r), l->prod, id, 0, &loc, &e) == 1)
		json_array_append_new(l->arr,
		                      json_pack("{s:s, s:s}", "id", loc.id, "name", loc.name));
}

struct call_view {
	struct api_reader *rd;
	json_t *arr;
};

json_t *
api_call_json(const struct store_call *c)
{
	int dept;
	const char *call = callsheet_effective_call(c->call_time, c->department_call, &dept);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "day_id", c->day_id,
	                 "person_id", c->person_id, "call", call, "call_from",
	                 dept ? "department" : "person", "pickup", c->pickup, "hair_makeup",
	                 c->hair_makeup, "on_set", c->on_set, "cast_status", c->cast_status);
}

int
api_call_readable(const struct api_reader *rd, const struct store_call *c)
{
	return api_allows(rd, POLICY_RESOURCE_CALL, POLICY_ACTION_READ, c->person_id,
	                  c->person_department_id[0] ? c->person_department_id : NULL, 0);
}

static void
add_call(const struct store_call *c, void *arg)
{
	struct call_view *v = arg;
	if (api_call_readable(v->rd, c))
		json_array_append_new(v->arr, api_call_json(c));
}

/*
 * Loads {did} as the reader sees it (day_view): 1 visible (*sheet set when
 * read as published), 0 after answering 404 (never published, for a
 * published reader), 403 or 503.
 */
static int
load_visible_day(struct http_req *r, struct api_reader *rd, struct store_day *d, json_t **sheet,
                 int *visible)
{
	struct err e;
	*sheet = NULL;
	if (!load_day(r, rd, d))
		return 0;
	if ((*visible = day_view(http_req_store(r), rd, d->id, sheet, &e)) == -1) {
		api_unavailable(r, &e);
		return 0;
	}
	if (api_reads_published_schedule(rd) && *sheet == NULL) {
		/* a day never published does not exist below AD */
		http_end_problem(r, 404, "there is no such shoot day in this production");
		return 0;
	}
	return 1;
}

/* The published day's locations, scenes and department calls, as the draft's are shaped. */
static int
published_day_parts(struct store *s, struct api_reader *rd, const json_t *sheet, json_t *j,
                    struct err *e)
{
	json_t *locs = json_object_get(j, "locations"), *scenes = json_object_get(j, "scenes"),
	       *depts = json_object_get(j, "department_calls");
	const json_t *v;
	size_t i;

	/* versions published before the sheet kept ids list none of these */
	json_array_foreach (json_object_get(sheet, "locations"), i, v)
		if (json_string_value(json_object_get(v, "id")) != NULL)
			json_array_append_new(locs, json_pack("{s:O, s:O}", "id",
			                                      json_object_get(v, "id"), "name",
			                                      json_object_get(v, "name")));
	json_array_foreach (json_object_get(sheet, "department_calls"), i, v)
		if (json_string_value(json_object_get(v, "department_id")) != NULL)
			json_array_append_new(depts, json_pack("{s:O, s:O, s:O}", "department_id",
			                                       json_object_get(v, "department_id"),
			                                       "department",
			                                       json_object_get(v, "department"),
			                                       "call", json_object_get(v, "call")));
	json_array_foreach (json_object_get(sheet, "scenes"), i, v) {
		const char *id = json_string_value(json_object_get(v, "id"));
		struct store_scene sc;
		json_t *sj;
		int found;
		if (id == NULL)
			continue;
		found = store_scene_get(s, rd->a.production.id, id,
		                        api_scene_synopsis_readable(rd, 1), &sc, e);
		if (found == -1)
			return -1;
		if (found == 0)
			continue; /* the scene is gone since */
		if ((sj = api_scene_json(s, &sc, e)) == NULL)
			return -1;
		json_array_append_new(scenes, sj);
	}
	return 0;
}

void
days_get(struct api_call *c)
{
	struct http_req *r = c->r;
	struct api_reader *rd = &c->rd;
	struct store_day d;
	struct scene_view sv;
	struct call_view cv;
	struct loc_names ln;
	struct err e;
	json_t *j, *sheet = NULL;
	int v, rc;

	if (!load_visible_day(r, rd, &d, &sheet, &v))
		goto done;
	if (v == 0) {
		http_end_problem(r, 403, "your role does not see this shoot day");
		goto done;
	}
	j = sheet ? api_published_day_json(&d, sheet) : api_day_json(&d);
	ln = (struct loc_names){r, rd->a.production.id, json_array()};
	sv =
	    (struct scene_view){.s = http_req_store(r), .rd = rd, .arr = json_array(), .called = 1};
	cv = (struct call_view){rd, json_array()};
	json_object_set_new(j, "locations", ln.arr);
	json_object_set_new(j, "scenes", sv.arr);
	json_object_set_new(j, "calls", cv.arr);
	json_object_set_new(j, "department_calls", json_array());
	if (sheet != NULL)
		rc = published_day_parts(http_req_store(r), rd, sheet, j, &e);
	else
		rc = store_day_locations(http_req_store(r), d.id, add_location_name, &ln, &e) ==
		                 -1 ||
		             store_department_call_list(
		                 http_req_store(r), d.id, add_department_call,
		                 json_object_get(j, "department_calls"), &e) == -1 ||
		             store_scene_list(http_req_store(r), rd->a.production.id, d.id,
		                              scene_want, scene_add, &sv, &e) == -1
		         ? -1
		         : 0;
	if (rc == 0 && sheet != NULL && api_reads_published_calls(rd))
		api_published_calls(rd, d.id, sheet, cv.arr);
	else if (rc == 0 && store_call_list(http_req_store(r), rd->a.production.id, d.id, NULL,
	                                    add_call, &cv, &e) == -1)
		rc = -1;
	if (rc == -1 || sv.failed) {
		json_decref(j);
		api_unavailable(r, sv.failed ? &sv.e : &e);
		goto done;
	}
	http_end_reply_json(r, 200, j);
done:
	json_decref(sheet);
}

/* ---- calls ---- */

/*
 * Crew and cast read the calls of the latest published call sheet (404
 * when the day has none); department heads their department's as drafted.
 */
void
calls_list(struct api_call *c)
{
	struct http_req *r = c->r;
	struct api_reader *rd = &c->rd;
	struct store_day d;
	struct call_view cv;
	struct err e;
	json_t *sheet = NULL;
	int v, version, found;

	if (!load_day(r, rd, &d))
		goto done;
	if (api_reads_published_calls(rd)) {
		found = api_published_sheet(http_req_store(r), rd->a.production.id, d.id, &version,
		                            &sheet, &e);
		if (found == -1) {
			api_unavailable(r, &e);
			goto done;
		}
		if (found == 0) {
			http_end_problem(r, 404, "there is no such shoot day in this production");
			goto done;
		}
		v = api_allows(rd, POLICY_RESOURCE_SCHEDULE, POLICY_ACTION_READ, NULL, NULL,
		               api_published_called(sheet, rd->person_id));
	} else if ((v = day_visible(r, rd, d.id)) == -1) {
		goto done;
	}
	if (v == 0 &&
	    api_scope(&rd->a, POLICY_RESOURCE_CALL, POLICY_ACTION_READ) == POLICY_SCOPE_NONE) {
		http_end_problem(r, 403, "your role does not see these calls");
		goto done;
	}
	cv = (struct call_view){rd, json_array()};
	if (sheet != NULL) {
		api_published_calls(rd, d.id, sheet, cv.arr);
	} else if (store_call_list(http_req_store(r), rd->a.production.id, d.id, NULL, add_call,
	                           &cv, &e) == -1) {
		json_decref(cv.arr);
		api_unavailable(r, &e);
		goto done;
	}
	http_end_reply_json(r, 200, json_pack("{s:o}", "calls", cv.arr));
done:
	json_decref(sheet);
}

/* Checks the times of c against the day; 0 after answering 400 naming every bad field. */
static int
call_ok(struct http_req *r, const struct api_reader *rd, const struct store_day *d,
        const struct store_call *c, const struct store_person *p)
{
	static const char *const statuses[] = {"", "start", "work", "hold", "finish", NULL};
	int dept;
	const char *effective = callsheet_effective_call(c->call_time, c->department_call, &dept);
	int wrap = validate_time(d->wrap_estimate), call = validate_time(effective);
	struct {
		const char *name, *v;
	} opt[] = {
	    {"/pickup", c->pickup}, {"/hair_makeup", c->hair_makeup}, {"/on_set", c->on_set}};

	if (call < 0)
		http_field_error(
		    r, "/call",
		    c->call_time[0] || c->department_call[0]
		        ? "a time HH:MM"
		        : "a time HH:MM: the person's department has no call on this day");
	else if (call >= wrap)
		http_field_error(r, "/call", "must come before the day's wrap estimate");
	else if (!dept)
		check_wall_clock(r, rd->a.production.timezone, d->date, c->call_time, "/call");
	for (size_t i = 0; i < 3; i++) {
		int t;
		if (opt[i].v[0] == '\0')
			continue;
		if ((t = validate_time(opt[i].v)) < 0)
			http_field_error(r, opt[i].name, "a time HH:MM");
		else if (call >= 0 && (i == 0 ? t > call : t < call || t >= wrap))
			http_field_error(r, opt[i].name,
			                 i == 0
			                     ? "a pick-up comes no later than the call"
			                     : "must lie between the call and the wrap estimate");
		else
			check_wall_clock(r, rd->a.production.timezone, d->date, opt[i].v,
			                 opt[i].name);
	}
	if (!validate_one_of(c->cast_status, statuses) ||
	    (c->cast_status[0] && strcmp(p->kind, "cast") != 0))
		http_field_error(r, "/cast_status", "start, work, hold or finish, for cast only");
	return !http_field_errors_answer(r);
}

/* Loads the day and the person of a call and checks call:write for them. 0 after answering. */
static int
load_call_target(struct http_req *r, struct api_reader *rd, struct store_day *d,
                 struct store_person *p)
{
	if (!load_day(r, rd, d) || !api_load_person(r, rd, router_param(&r->match, "pid"), p))
		return 0;
	if (!api_allows(rd, POLICY_RESOURCE_CALL, POLICY_ACTION_WRITE, p->id,
	                p->department_id[0] ? p->department_id : NULL, 0)) {
		api_audit_caller(r, "call.write", p->id, "denied");
		http_end_problem(r, 403, "your role cannot set this person's calls");
		return 0;
	}
	return 1;
}

/* Call write for the person, checked per record (load_call_target). */
void
calls_put(struct api_call *ac)
{
	struct http_req *r = ac->r;
	struct store *s = api_call_store(ac);
	struct api_reader *rd = &ac->rd;
	json_t *body = ac->body;
	struct store_day d;
	struct store_person p;
	struct store_call c;
	struct err e;

	memset(&c, 0, sizeof(c));
	copy_str(body, "call", c.call_time, sizeof(c.call_time));
	copy_str(body, "pickup", c.pickup, sizeof(c.pickup));
	copy_str(body, "hair_makeup", c.hair_makeup, sizeof(c.hair_makeup));
	copy_str(body, "on_set", c.on_set, sizeof(c.on_set));
	copy_str(body, "cast_status", c.cast_status, sizeof(c.cast_status));
	if (!load_call_target(r, rd, &d, &p))
		return;
	if (p.department_id[0] &&
	    department_call_of(http_req_store(r), d.id, p.department_id, c.department_call,
	                       sizeof(c.department_call), &e) == -1) {
		api_unavailable(r, &e);
		return;
	}
	if (!call_ok(r, rd, &d, &c, &p))
		return;
	snprintf(c.production_id, sizeof(c.production_id), "%s", rd->a.production.id);
	snprintf(c.day_id, sizeof(c.day_id), "%s", d.id);
	snprintf(c.person_id, sizeof(c.person_id), "%s", p.id);
	/* the call and its audit event in one transaction: one commit (one fsync), not two */
	if (api_call_begin(ac) == -1)
		return;
	if (store_call_put(s, &c, &e) == -1) {
		api_call_abort(ac);
		api_unavailable(r, &e);
		return;
	}
	if (api_call_commit(ac, NULL, p.id) == 0)
		http_end_reply_json(r, 200, api_call_json(&c));
}

void
calls_delete(struct api_call *c)
{
	struct http_req *r = c->r;
	struct store_day d;
	struct store_person p;
	struct err e;
	int done;

	if (!load_call_target(r, &c->rd, &d, &p) || api_call_begin(c) == -1)
		return;
	if ((done = store_call_delete(api_call_store(c), d.id, p.id, &e)) == -1) {
		api_call_abort(c);
		api_unavailable(r, &e);
		return;
	}
	if (done == 0) {
		api_call_abort(c);
		http_end_problem(r, 404, "that person has no call on that day");
		return;
	}
	if (api_call_commit(c, NULL, p.id) == 0)
		http_end_reply(r, 204, NULL, NULL, 0);
}

/*
 * POST …/days/{did}/department-calls/{dept}/call-everyone {call, pickup?,
 * hair_makeup?, on_set?, overwrite?}: an individual call for every person of
 * the department on the day, in one transaction with one audit event
 * (department_call.call_everyone, the department's id: no person named).
 * The right is the department call's (load_department_call_target: call
 * write for that department, a refusal audited as call.write denied), and
 * each person's own (load_call_target's check) again before anything is
 * written. The times are checked once, as PUT …/calls/{pid} checks them
 * (call_ok: the same rules for every person, none of the body's fields
 * depends on who). A person who has a call that day keeps it unless
 * overwrite is true; an overwritten call takes the body's four times (an
 * absent one is cleared) and keeps its cast status.
 */
struct everyone {
	const char *department_id;
	char (*people)[STORE_ID_LEN + 8]; /* the department's people's ids */
	size_t n;
	struct store_call *calls;
	size_t ncalls;
};

/* Nothing sealed is opened: only the ids are kept. */
static int
directory_only(const struct store_person *p, void *arg)
{
	struct everyone *ev = arg;
	/* the store filtered by department; a row of another would be a store bug */
	assert(strcmp(p->department_id, ev->department_id) == 0);
	(void)p;
	(void)ev;
	return 0;
}

static void
add_member_of(const struct store_person *p, void *arg)
{
	struct everyone *ev = arg;
	ev->people = xrealloc(ev->people, (ev->n + 1) * sizeof(*ev->people));
	snprintf(ev->people[ev->n++], sizeof(ev->people[0]), "%s", p->id);
}

static void
add_existing_call(const struct store_call *c, void *arg)
{
	struct everyone *ev = arg;
	ev->calls = xrealloc(ev->calls, (ev->ncalls + 1) * sizeof(*ev->calls));
	ev->calls[ev->ncalls++] = *c;
}

static const struct store_call *
existing_call(const struct everyone *ev, const char *person_id)
{
	for (size_t i = 0; i < ev->ncalls; i++)
		if (strcmp(ev->calls[i].person_id, person_id) == 0)
			return &ev->calls[i];
	return NULL;
}

void
department_calls_call_everyone(struct api_call *ac)
{
	struct http_req *r = ac->r;
	struct api_reader *rd = &ac->rd;
	struct store *s = api_call_store(ac);
	struct store_day d;
	struct store_department_call dc;
	struct store_person nobody;
	struct store_call t;
	struct everyone ev;
	struct store_person_filter f;
	json_t *calls = NULL;
	struct err e;
	size_t kept = 0;
	int overwrite = json_is_true(json_object_get(ac->body, "overwrite"));

	memset(&ev, 0, sizeof(ev));
	memset(&t, 0, sizeof(t));
	memset(&nobody, 0, sizeof(nobody));
	if (!load_department_call_target(r, rd, &d, &dc))
		return;
	copy_str(ac->body, "call", t.call_time, sizeof(t.call_time));
	copy_str(ac->body, "pickup", t.pickup, sizeof(t.pickup));
	copy_str(ac->body, "hair_makeup", t.hair_makeup, sizeof(t.hair_makeup));
	copy_str(ac->body, "on_set", t.on_set, sizeof(t.on_set));
	if (!call_ok(r, rd, &d, &t, &nobody))
		return;
	/* who is in the department and who has a call are read in the writing transaction */
	if (api_call_begin(ac) == -1)
		return;
	f = (struct store_person_filter){.department_id = dc.department_id};
	ev.department_id = dc.department_id;
	if (store_person_list(s, rd->a.production.id, &f, directory_only, add_member_of, &ev, &e) ==
	        -1 ||
	    store_call_list(s, rd->a.production.id, d.id, NULL, add_existing_call, &ev, &e) == -1) {
		api_call_abort(ac);
		api_unavailable(r, &e);
		goto out;
	}
	for (size_t i = 0; i < ev.n; i++) {
		if (!api_allows(rd, POLICY_RESOURCE_CALL, POLICY_ACTION_WRITE, ev.people[i],
		                dc.department_id, 0)) {
			api_call_abort(ac);
			api_audit_caller(r, "call.write", ev.people[i], "denied");
			http_end_problem(r, 403, "your role cannot set this person's calls");
			goto out;
		}
	}
	calls = json_array();
	for (size_t i = 0; i < ev.n; i++) {
		const struct store_call *was = existing_call(&ev, ev.people[i]);
		struct store_call c = t;
		if (was != NULL && !overwrite) {
			kept++;
			continue;
		}
		if (was != NULL)
			snprintf(c.cast_status, sizeof(c.cast_status), "%s", was->cast_status);
		snprintf(c.production_id, sizeof(c.production_id), "%s", rd->a.production.id);
		snprintf(c.day_id, sizeof(c.day_id), "%s", d.id);
		snprintf(c.person_id, sizeof(c.person_id), "%s", ev.people[i]);
		if (store_call_put(s, &c, &e) == -1) {
			api_call_abort(ac);
			api_unavailable(r, &e);
			goto out;
		}
		json_array_append_new(calls, api_call_json(&c));
	}
	if (api_call_commit(ac, NULL, dc.department_id) == 0)
		http_end_reply_json(r, 200,
		                    json_pack("{s:s, s:s, s:I, s:I, s:O}", "department_id",
		                              dc.department_id, "department", dc.department,
		                              "called", (json_int_t)json_array_size(calls), "kept",
		                              (json_int_t)kept, "calls", calls));
out:
	json_decref(calls);
	free(ev.people);
	free(ev.calls);
}

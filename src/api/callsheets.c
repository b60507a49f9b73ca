/*
 * callsheets.c — the daily call sheet: built from a shoot day, published
 * as frozen, numbered versions, acknowledged by the people it calls.
 *
 * POST /api/v1/productions/{id}/days/{did}/callsheets     publish the next version
 * GET  /api/v1/productions/{id}/days/{did}/callsheets     its versions, newest first
 * GET  /api/v1/productions/{id}/callsheets/{cid}          one version, whole
 * GET  /api/v1/productions/{id}/callsheets/{cid}.pdf      the same, drawn for print (?paper=)
 * POST /api/v1/productions/{id}/callsheets/{cid}/ack      the caller acknowledges it
 * GET  /api/v1/productions/{id}/callsheets/{cid}/acks     who has, and who has not
 * GET  /api/v1/productions/{id}/callsheets/{cid}/diff     what changed (?from={cid2})
 * GET  /api/v1/productions/{id}/days/{did}/callsheets/preview  the next version, unpublished
 *
 * The sheet holds what a printed call sheet holds and nothing more
 * personal: the production, the date and "Day X of Y", general call and
 * wrap, sunrise and sunset at the first of the day's locations that has
 * coordinates (domain/sun.c, in the production's local time), the day's locations with address,
 * parking, nearest hospital and access notes, the scenes in shooting order (no synopses: crew may
 * not read them), every call of the day by department, and the key contacts with their work
 * numbers. No personal phone, address or note of anyone.
 *
 * Publishing needs callsheet:publish, and may be guarded with what a preview
 * answered: ?expect_version=N (409 when another version was published
 * since) and ?expect_digest=HEX (409 when the sheet built now is not the one
 * previewed); both are checked inside the publishing transaction.
 * Reading a version needs
 * callsheet:read (`called`: crew and cast read the sheets of days they are
 * called on). The recipients are the people with a call when it was
 * published; acknowledging is callsheet_ack:write (self), and the list of
 * acknowledgements is callsheet_ack:read (all for ADs and up, their own
 * department's for department heads, self below), each recipient named
 * (name, department) as the directory names them now.
 * Once published, a confidential location's address is no longer hidden
 * (api/locations.c asks store_location_published).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "api/call.h"
#include "api/cache.h"
#include "api/handlers.h"
#include "api/reply.h"
#include "api/session.h"
#include "api/sheetdiff.h"
#include "api/view.h"
#include "domain/callsheet.h"
#include "domain/sun.h"
#include "render/sheetpdf.h"
#include "util/log.h"
#include "util/workq.h"
#include "util/xalloc.h"
#include "util/zone.h"

/* ---- assembly ---- */

struct ids {
	char (*v)[STORE_ID_LEN + 8];
	size_t n, cap;
};

static void
ids_add(const char *id, void *arg)
{
	struct ids *l = arg;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->v = xrealloc(l->v, l->cap * sizeof(l->v[0]));
	}
	snprintf(l->v[l->n++], sizeof(l->v[0]), "%s", id);
}

static const char **
ids_ptrs(const struct ids *l)
{
	const char **p = xcalloc(l->n + 1, sizeof(char *));
	for (size_t i = 0; i < l->n; i++)
		p[i] = l->v[i];
	return p;
}

/* A call on its way to the sheet: its JSON, and what domain/callsheet.c orders it by. */
struct sheet_call {
	char name[256], own[8], dept[8];
	int position;
	json_t *j;
};

struct build {
	struct store *s;
	const char *prod;
	json_t *scenes, *calls, *contacts;
	struct sheet_call *lines;
	size_t nlines;
	struct ids recipients;
	struct err e;
	int failed;
};

static void
add_scene(const struct store_scene *sc, void *arg)
{
	struct build *b = arg;
	json_t *cast = json_array();
	struct ids ids = {0};
	struct store_person p;

	if (store_scene_cast(b->s, sc->id, ids_add, &ids, &b->e) == -1)
		b->failed = 1;
	for (size_t i = 0; i < ids.n; i++)
		if (store_person_get(b->s, b->prod, ids.v[i], 0, &p, &b->e) == 1)
			json_array_append_new(
			    cast, json_string(p.character_name[0] ? p.character_name : p.name));
	free(ids.v);
	json_array_append_new(
	    b->scenes, json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:o}", "id", sc->id, "number",
	                         sc->number, "int_ext", sc->int_ext, "day_night", sc->day_night,
	                         "set", sc->set_name, "eighths", sc->eighths, "cast", cast));
}

static int
no_synopsis(const struct store_scene *sc, void *arg)
{
	(void)sc;
	(void)arg;
	return 0;
}

static void
add_call(const struct store_call *c, void *arg)
{
	struct build *b = arg;
	struct store_person p;
	struct sheet_call *l;
	json_t *j;
	if (b->failed)
		return;
	if (store_person_get(b->s, b->prod, c->person_id, 0, &p, &b->e) != 1) {
		b->failed = 1;
		return;
	}
	ids_add(p.id, &b->recipients);
	j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "person_id", p.id, "name", p.name,
	              "job_title", p.job_title, "pickup", c->pickup, "hair_makeup", c->hair_makeup,
	              "on_set", c->on_set, "cast_status", c->cast_status);
	json_object_set_new(j, "department",
	                    p.department[0] ? json_string(p.department) : json_null());
	if (strcmp(p.kind, "cast") == 0)
		json_object_set_new(j, "character_name", json_string(p.character_name));
	b->lines = xrealloc(b->lines, (b->nlines + 1) * sizeof(*b->lines));
	l = &b->lines[b->nlines++];
	snprintf(l->name, sizeof(l->name), "%s", p.name);
	snprintf(l->own, sizeof(l->own), "%s", c->call_time);
	snprintf(l->dept, sizeof(l->dept), "%s", c->department_call);
	l->position = c->department_position;
	l->j = j;
}

/* The calls in call-sheet order, each with the time the person is called and where it comes from.
 */
static void
order_calls(struct build *b)
{
	struct callsheet_line *lines = xcalloc(b->nlines + 1, sizeof(*lines));
	for (size_t i = 0; i < b->nlines; i++)
		lines[i] = (struct callsheet_line){.name = b->lines[i].name,
		                                   .department_position = b->lines[i].position,
		                                   .own_call = b->lines[i].own,
		                                   .department_call = b->lines[i].dept,
		                                   .data = b->lines[i].j};
	callsheet_order(lines, b->nlines);
	for (size_t i = 0; i < b->nlines; i++) {
		json_t *j = lines[i].data;
		json_object_set_new(j, "call", json_string(lines[i].call));
		json_object_set_new(
		    j, "call_from",
		    json_string(lines[i].from_department ? "department" : "person"));
		json_array_append_new(b->calls, j);
	}
	free(lines);
	free(b->lines);
	b->lines = NULL;
	b->nlines = 0;
}

static void
add_department_call(const struct store_department_call *dc, void *arg)
{
	json_array_append_new(arg, json_pack("{s:s, s:s, s:s}", "department_id", dc->department_id,
	                                     "department", dc->department, "call", dc->call_time));
}

static int
key_contacts_only(const struct store_person *p, void *arg)
{
	(void)arg;
	return p->key_contact ? (int)STORE_PERSON_WORK : -1;
}

static void
add_contact(const struct store_person *p, void *arg)
{
	struct build *b = arg;
	json_array_append_new(b->contacts, json_pack("{s:s, s:s, s:s, s:s}", "name", p->name,
	                                             "job_title", p->job_title, "work_phone",
	                                             p->work_phone, "work_email", p->work_email));
}

/*
 * Sunrise and sunset at (lat, lon) on the day's date, as local "HH:MM" in
 * the production's zone; both null in a polar night or day, with `sun`
 * saying which.
 */
static void
add_sun(json_t *sheet, const struct store_production *prod, const char *date, double lat,
        double lon, const char *where)
{
	int y = 0, m = 0, d = 0;
	double rise = 0, set = 0;
	char a[6], b[6];
	struct tm tm = {0};
	long long midnight;
	enum sun_day day;

	/* the day's date was checked as YYYY-MM-DD when it was saved */
	if (strlen(date) != 10)
		return;
	y = (int)strtol(date, NULL, 10);
	m = (int)strtol(date + 5, NULL, 10);
	d = (int)strtol(date + 8, NULL, 10);
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	midnight = (long long)timegm(&tm);
	day = sun_times(y, m, d, lat, lon, &rise, &set);
	json_object_set_new(sheet, "sun_at", json_string(where));
	if (day != SUN_RISES_AND_SETS) {
		json_object_set_new(sheet, "sunrise", json_null());
		json_object_set_new(sheet, "sunset", json_null());
		json_object_set_new(
		    sheet, "sun",
		    json_string(day == SUN_NEVER_RISES ? "never rises" : "never sets"));
		return;
	}
	if (zone_clock(prod->timezone, midnight + (long long)(rise * 60.0 + 30.0), a) == -1 ||
	    zone_clock(prod->timezone, midnight + (long long)(set * 60.0 + 30.0), b) == -1)
		return; /* a zone the system does not know: no times rather than wrong ones */
	json_object_set_new(sheet, "sunrise", json_string(a));
	json_object_set_new(sheet, "sunset", json_string(b));
}

/*
 * The sheet of day d as it stands now, with the ids of its locations and
 * recipients; NULL after a store error (e filled).
 */
static json_t *
build_sheet(struct store *s, const struct store_production *prod, const struct store_day *d,
            struct ids *locs, struct ids *recipients, struct err *e)
{
	struct build b = {.s = s,
	                  .prod = prod->id,
	                  .scenes = json_array(),
	                  .calls = json_array(),
	                  .contacts = json_array()};
	json_t *locations = json_array(), *departments = json_array(), *sheet;
	double lat = 0, lon = 0;
	char sun_at[256] = "";

	if (store_day_locations(s, d->id, ids_add, locs, e) == -1)
		goto fail;
	for (size_t i = 0; i < locs->n; i++) {
		struct store_location l;
		if (store_location_get(s, prod->id, locs->v[i], 1, &l, e) != 1)
			goto fail;
		json_array_append_new(locations,
		                      json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", l.id,
		                                "name", l.name, "address", l.address, "parking",
		                                l.parking, "nearest_hospital", l.nearest_hospital,
		                                "access_notes", l.access_notes));
		if (sun_at[0] == '\0' && api_coordinate(l.latitude, &lat) == 0 &&
		    api_coordinate(l.longitude, &lon) == 0)
			snprintf(sun_at, sizeof(sun_at), "%s", l.name);
		sodium_memzero(&l, sizeof(l));
	}
	if (store_scene_list(s, prod->id, d->id, no_synopsis, add_scene, &b, e) == -1 ||
	    store_call_list(s, prod->id, d->id, NULL, add_call, &b, e) == -1 ||
	    store_person_list(s, prod->id, NULL, key_contacts_only, add_contact, &b, e) == -1)
		goto fail;
	if (b.failed) {
		*e = b.e;
		goto fail;
	}
	order_calls(&b);
	if (store_department_call_list(s, d->id, add_department_call, departments, e) == -1)
		goto fail;
	*recipients = b.recipients;
	sheet =
	    json_pack("{s:{s:s, s:s}, s:s, s:s, s:i, s:i, s:s, s:s, s:o, s:o, s:o, s:o}",
	              "production", "name", prod->name, "timezone", prod->timezone, "date", d->date,
	              "unit", d->unit, "day", d->number, "of", d->total, "general_call",
	              d->general_call, "wrap_estimate", d->wrap_estimate, "locations", locations,
	              "scenes", b.scenes, "calls", b.calls, "key_contacts", b.contacts);
	json_object_set_new(sheet, "department_calls", departments);
	/* a version published after the day was cancelled says so (api/undo.c) */
	json_object_set_new(sheet, "cancelled", json_boolean(d->cancelled_at[0] != '\0'));
	if (sun_at[0] != '\0')
		add_sun(sheet, prod, d->date, lat, lon, sun_at);
	return sheet;
fail:
	for (size_t i = 0; i < b.nlines; i++)
		json_decref(b.lines[i].j);
	free(b.lines);
	free(b.recipients.v);
	json_decref(departments);
	json_decref(locations);
	json_decref(b.scenes);
	json_decref(b.calls);
	json_decref(b.contacts);
	return NULL;
}

/* ---- publish, list, read ---- */

json_t *
api_callsheet_json(const struct store_callsheet *cs)
{
	return json_pack("{s:s, s:s, s:i, s:s}", "id", cs->id, "day_id", cs->day_id, "version",
	                 cs->version, "published_at", cs->published_at);
}

int
api_callsheet_readable(struct store *s, struct api_reader *rd, const struct store_day *d,
                       struct err *e)
{
	int called = api_reader_knows_calls(s, rd, d->id, e);
	if (called == -1)
		return -1;
	return api_allows(rd, POLICY_RESOURCE_CALLSHEET, POLICY_ACTION_READ, NULL, NULL, called);
}

/* Loads {did} and checks callsheet `act` for it: 1, or 0 after answering. */
static int
day_for(struct http_req *r, struct api_reader *rd, const char *day_id, enum policy_action act,
        struct store_day *d)
{
	int called;
	if (!api_load_day(r, rd, day_id, d))
		return 0;
	if ((called = api_reader_called(r, rd, d->id)) == -1)
		return 0;
	if (!api_allows(rd, POLICY_RESOURCE_CALLSHEET, act, NULL, NULL, called)) {
		http_end_problem(r, 403,
		                 act == POLICY_ACTION_PUBLISH
		                     ? "your role cannot publish call sheets"
		                     : "your role does not see this day's call sheets");
		return 0;
	}
	return 1;
}

/* The length of a sheet's digest in hex. */
#define DIGEST_HEX (2 * (size_t)crypto_generichash_BYTES)

/*
 * The digest of a sheet's published text (BLAKE2b-256 of the compact JSON
 * with sorted keys, as stored): what the preview answers as `digest` and
 * publishing's ?expect_digest is compared with.
 */
static void
sheet_digest(const char *body, char hex[DIGEST_HEX + 1])
{
	unsigned char h[crypto_generichash_BYTES];
	crypto_generichash(h, sizeof(h), (const unsigned char *)body, strlen(body), NULL, 0);
	sodium_bin2hex(hex, DIGEST_HEX + 1, h, sizeof(h));
}

/*
 * api_callsheet_publish_now, refusing (-1, *stale set, e saying why) when
 * expect_digest is not NULL and the sheet built now is not the one it names.
 */
static int
publish_guarded(struct store *s, const struct store_production *p, const struct store_day *d,
                const char *actor, const char *expect_digest, int *stale,
                struct store_callsheet *cs, json_t **sheet_out, struct err *e)
{
	struct ids locs = {0}, recipients = {0};
	const char **lp = NULL, **rp = NULL;
	json_t *sheet;
	char digest[DIGEST_HEX + 1];
	int rc = -1;

	memset(cs, 0, sizeof(*cs));
	if ((sheet = build_sheet(s, p, d, &locs, &recipients, e)) == NULL)
		goto out;
	snprintf(cs->production_id, sizeof(cs->production_id), "%s", p->id);
	snprintf(cs->day_id, sizeof(cs->day_id), "%s", d->id);
	snprintf(cs->published_by, sizeof(cs->published_by), "%s", actor);
	if ((cs->body = json_dumps(sheet, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		err_set(e, 500, "the call sheet could not be encoded");
		goto out;
	}
	if (expect_digest != NULL) {
		sheet_digest(cs->body, digest);
		if (strcmp(digest, expect_digest) != 0) {
			*stale = 1;
			err_set(e, 409, "the call sheet changed since it was previewed");
			goto out;
		}
	}
	lp = ids_ptrs(&locs);
	rp = ids_ptrs(&recipients);
	rc = store_callsheet_publish(s, cs, lp, locs.n, rp, recipients.n, e);
out:
	if (cs->body != NULL) {
		sodium_memzero(cs->body, strlen(cs->body));
		free(cs->body);
		cs->body = NULL;
	}
	if (rc == 0 && sheet_out != NULL)
		*sheet_out = sheet;
	else
		json_decref(sheet);
	free(lp);
	free(rp);
	free(locs.v);
	free(recipients.v);
	return rc;
}

int
api_callsheet_publish_now(struct store *s, const struct store_production *p,
                          const struct store_day *d, const char *actor, struct store_callsheet *cs,
                          json_t **sheet_out, struct err *e)
{
	int stale = 0;
	return publish_guarded(s, p, d, actor, NULL, &stale, cs, sheet_out, e);
}

static int version_before(struct store *s, const char *production_id, const char *day_id, int below,
                          struct store_callsheet *out, struct err *e);

/*
 * The publisher's guards (?expect_version=N, ?expect_digest=HEX, both from
 * the preview): 1 read into *version (0: none) and digest ("" : none), or 0
 * after answering 400.
 */
static int
publish_guards(struct http_req *r, int *version, char digest[DIGEST_HEX + 1])
{
	char v[16];
	char *end = NULL;
	long n;
	int got;

	*version = 0;
	digest[0] = '\0';
	if ((got = router_query_param(r->query, "expect_version", v, sizeof(v))) == 1) {
		n = strtol(v, &end, 10);
		if (end == v || *end != '\0' || n < 1 || n > 1000000)
			got = -1;
		else
			*version = (int)n;
	}
	if (got != -1 &&
	    (got = router_query_param(r->query, "expect_digest", digest, DIGEST_HEX + 1)) == 1) {
		if (strlen(digest) != DIGEST_HEX ||
		    strspn(digest, "0123456789abcdef") != DIGEST_HEX)
			got = -1;
	}
	if (got == -1) {
		http_end_problem(
		    r, 400,
		    "expect_version is a version number and expect_digest the preview's "
		    "digest");
		return 0;
	}
	return 1;
}

/* ?send=true|false (absent: false): 1 or 0, or -1 after answering 400. */
static int
send_option(struct http_req *r)
{
	char v[8];
	int got = router_query_param(r->query, "send", v, sizeof(v));
	if (got == 0)
		return 0;
	if (got == 1 && (strcmp(v, "true") == 0 || strcmp(v, "false") == 0))
		return strcmp(v, "true") == 0;
	http_end_problem(r, 400, "send is true or false");
	return -1;
}

void
callsheets_publish(struct api_call *c)
{
	struct http_req *r = c->r;
	struct api_reader *rd = &c->rd;
	struct store *s = http_req_store(r);
	struct store_day d;
	struct store_callsheet cs, last;
	json_t *sheet = NULL, *deliveries = NULL;
	char digest[DIGEST_HEX + 1];
	struct err e;
	int rc, expect, stale = 0, send;

	memset(&cs, 0, sizeof(cs));
	memset(&last, 0, sizeof(last));
	if (!day_for(r, rd, router_param(&r->match, "did"), POLICY_ACTION_PUBLISH, &d) ||
	    !publish_guards(r, &expect, digest) || (send = send_option(r)) == -1)
		return;
	/* the version, its recipients and its audit event in one transaction */
	rc = store_begin(s, &e) == 0 ? 0 : -1;
	if (rc == 0 && expect > 0 &&
	    (rc = version_before(s, rd->a.production.id, d.id, 0, &last, &e)) != -1) {
		rc = 0;
		if (last.version + 1 != expect) {
			stale = 1;
			rc = err_set(&e, 409, "the next version is %d, not the %d previewed",
			             last.version + 1, expect);
		}
	}
	if (rc == 0)
		rc = publish_guarded(s, &rd->a.production, &d, c->actor, digest[0] ? digest : NULL,
		                     &stale, &cs, &sheet, &e);
	/* the messages, links and delivery rows commit with the version, or none does */
	if (rc == 0 && send)
		rc = api_distribution_send(s, http_req_config(r)->public_url, &rd->a.production,
		                           &cs, sheet, 0, &deliveries, &e);
	if (rc == -1) {
		api_call_abort(c);
		if (stale)
			http_end_problem(r, 409, e.msg);
		else
			api_unavailable(r, &e);
		return;
	}
	if (api_call_commit(c, NULL, cs.id) == 0) {
		json_t *j = api_callsheet_json(&cs);
		json_object_set(j, "sheet", sheet);
		if (deliveries != NULL)
			json_object_set(j, "deliveries", deliveries);
		http_end_reply_json(r, 201, j);
	}
	json_decref(deliveries);
	json_decref(sheet);
}

static void
add_version(const struct store_callsheet *cs, void *arg)
{
	json_array_append_new(arg, api_callsheet_json(cs));
}

void
callsheets_list(struct api_call *c)
{
	struct http_req *r = c->r;
	struct api_reader *rd = &c->rd;
	struct store_day d;
	struct err e;
	json_t *arr;

	if (!day_for(r, rd, router_param(&r->match, "did"), POLICY_ACTION_READ, &d)) {
		return;
	}
	arr = json_array();
	if (store_callsheet_list(http_req_store(r), rd->a.production.id, d.id, add_version, arr,
	                         &e) == -1) {
		json_decref(arr);
		api_unavailable(r, &e);
		return;
	}
	http_end_reply_json(r, 200, json_pack("{s:o}", "callsheets", arr));
}

/*
 * Loads {cid} (with its body when want_body) and its day into d, and checks
 * it may be read: 1, or 0 after answering.
 */
static int
load_sheet(struct http_req *r, struct api_reader *rd, int want_body, struct store_callsheet *cs,
           struct store_day *d)
{
	struct err e;
	int found = store_callsheet_get(http_req_store(r), rd->a.production.id,
	                                router_param(&r->match, "cid"), want_body, cs, &e);
	if (!api_found(r, found, &e, "call sheet"))
		return 0;
	if (!day_for(r, rd, cs->day_id, POLICY_ACTION_READ, d)) {
		free(cs->body);
		cs->body = NULL;
		return 0;
	}
	return 1;
}

/*
 * The answer to GET .../callsheets/{cid}: the version's fields and, as
 * "sheet", the stored body as it is (the JSON text Slate wrote at
 * publishing, opened under its AEAD tag), not parsed and encoded again.
 * malloc'd, *len bytes; NULL when it cannot be encoded.
 */
static char *
sheet_response(const struct store_callsheet *cs, size_t *len)
{
	static const char key[] = ",\"sheet\":";
	json_t *j = api_callsheet_json(cs);
	char *head = json_dumps(j, JSON_COMPACT), *out = NULL;
	size_t hl, bl = strlen(cs->body), n;

	json_decref(j);
	if (head == NULL || (hl = strlen(head)) < 2)
		goto out;
	out = xmalloc(hl + sizeof(key) + bl + 1);
	n = hl - 1; /* without the closing brace */
	memcpy(out, head, n);
	memcpy(out + n, key, sizeof(key) - 1);
	n += sizeof(key) - 1;
	memcpy(out + n, cs->body, bl);
	n += bl;
	out[n++] = '}';
	*len = n;
out:
	free(head);
	return out;
}

int
api_callsheet_answer(struct store *s, const struct store_gen *g, const char *production_id,
                     const char *id, struct store_callsheet *cs, struct store_day *d, char **out,
                     size_t *len, struct err *e)
{
	const char *cached;
	int found;

	*out = NULL;
	if (cache_sheet_get(s, g, production_id, id, cs, d, &cached, len)) {
		*out = xmalloc(*len + 1);
		memcpy(*out, cached, *len);
		(*out)[*len] = '\0';
		return 1;
	}
	if ((found = store_callsheet_get(s, production_id, id, 1, cs, e)) != 1)
		return found;
	if ((found = store_day_get(s, production_id, cs->day_id, d, e)) == 1) {
		if ((*out = sheet_response(cs, len)) == NULL)
			found = err_set(e, 500, "the call sheet could not be encoded");
		else
			cache_sheet_put(s, g, cs, d, *out, *len);
	}
	sodium_memzero(cs->body, strlen(cs->body));
	free(cs->body);
	cs->body = NULL;
	return found;
}

/*
 * A version is read often and never changes once published, so its answer
 * is kept by this loop thread (api/cache.c) with its shoot day, and opened
 * again only after a write. Who may read it is decided on every request,
 * from a reader that is itself never older than the last write.
 */
void
callsheets_get(struct api_call *c)
{
	struct http_req *r = c->r;
	struct api_reader *rd = &c->rd;
	struct store *s = http_req_store(r);
	const struct store_gen *g = session_gen(r);
	struct store_callsheet cs;
	struct store_day d;
	const char *cached;
	char *out = NULL;
	size_t len = 0;
	int called;

	if (cache_sheet_get(s, g, rd->a.production.id, router_param(&r->match, "cid"), &cs, &d,
	                    &cached, &len)) {
		if ((called = api_reader_called(r, rd, d.id)) == -1)
			return;
		if (!api_allows(rd, POLICY_RESOURCE_CALLSHEET, POLICY_ACTION_READ, NULL, NULL,
		                called)) {
			http_end_problem(r, 403, "your role does not see this day's call sheets");
			return;
		}
		http_end_reply(r, 200, "application/json", cached, len);
		return;
	}
	if (!load_sheet(r, rd, 1, &cs, &d))
		return;
	if ((out = sheet_response(&cs, &len)) == NULL) {
		http_end_problem(r, 500, "the response could not be encoded");
	} else {
		cache_sheet_put(s, g, &cs, &d, out, len);
		http_end_reply(r, 200, "application/json", out, len);
		sodium_memzero(out, len);
	}
	free(out);
	sodium_memzero(cs.body, strlen(cs.body));
	free(cs.body);
}

/*
 * GET …/callsheets/{cid}.pdf: the version as callsheets_get answers it to
 * the reader, drawn by render/sheetpdf.c with the reader's own call at the
 * top. Checked on the loop like callsheets_get; drawn on a worker (a large
 * sheet takes tens of milliseconds), from the opened body the job owns and
 * wipes.
 */
struct pdf_job {
	struct job job;
	struct http_req *r;
	char *body; /* the opened sheet, wiped and freed by pdf_done */
	char person_id[STORE_ID_LEN + 8];
	char published_at[40];
	char name[64]; /* the file name offered */
	int version;
	enum sheetpdf_paper paper;
	unsigned char *pdf; /* the outcome, or NULL with e set */
	size_t len;
	struct err e;
};

static void
pdf_work(struct job *j)
{
	struct pdf_job *x = (struct pdf_job *)j;
	struct sheetpdf_opts o = {.paper = x->paper,
	                          .person_id = x->person_id,
	                          .version = x->version,
	                          .published_at = x->published_at};
	json_t *sheet = json_loads(x->body, 0, NULL);

	if (sheet == NULL)
		err_set(&x->e, 500, "the call sheet could not be opened");
	else
		sheetpdf_render(sheet, &o, &x->pdf, &x->len, &x->e);
	json_decref(sheet);
}

static void
pdf_done(struct job *j)
{
	struct pdf_job *x = (struct pdf_job *)j;
	char cd[128];

	if (x->pdf == NULL) {
		log_event(LOG_ERROR, "call sheet PDF not drawn", LOG_STR("error", x->e.msg),
		          LOG_END);
		http_end_problem(x->r, 500, "the call sheet could not be drawn");
	} else {
		snprintf(cd, sizeof(cd), "inline; filename=\"%s\"", x->name);
		http_add_header(x->r, "Content-Disposition", cd);
		http_end_reply(x->r, 200, "application/pdf", x->pdf, x->len);
	}
	sodium_memzero(x->body, strlen(x->body));
	free(x->body);
	free(x->pdf);
	free(x);
}

void
callsheets_pdf(struct api_call *c)
{
	struct http_req *r = c->r;
	struct store_callsheet cs;
	struct store_day d;
	struct pdf_job *x;
	char paper[16] = "";
	int got = router_query_param(r->query, "paper", paper, sizeof(paper));
	enum sheetpdf_paper size = SHEETPDF_A4;

	if (got == -1 || sheetpdf_paper_named(got == 1 ? paper : NULL, &size) == -1) {
		api_bad_field(r, "?paper", "a4 or letter");
		return;
	}
	if (!load_sheet(r, &c->rd, 1, &cs, &d))
		return;
	x = xcalloc(1, sizeof(*x));
	x->r = r;
	x->body = cs.body;
	x->paper = size;
	x->version = cs.version;
	snprintf(x->person_id, sizeof(x->person_id), "%s", c->rd.person_id);
	snprintf(x->published_at, sizeof(x->published_at), "%s", cs.published_at);
	snprintf(x->name, sizeof(x->name), "callsheet-day-%d-v%d.pdf", d.number, cs.version);
	x->job.work = pdf_work;
	x->job.done = pdf_done;
	http_defer(r, &x->job);
}

void
callsheets_ack(struct api_call *c)
{
	struct http_req *r = c->r;
	struct api_reader *rd = &c->rd;
	struct store_callsheet cs;
	struct store_day d;
	struct err e;
	int done;

	if (!load_sheet(r, rd, 0, &cs, &d))
		return;
	if (!api_allows(rd, POLICY_RESOURCE_CALLSHEET_ACK, POLICY_ACTION_WRITE, rd->person_id, NULL,
	                0)) {
		http_end_problem(r, 403, "your role cannot acknowledge call sheets");
		return;
	}
	if (api_call_begin(c) == -1)
		return;
	done = store_callsheet_ack(api_call_store(c), cs.id, rd->person_id, &e);
	if (done == -1) {
		api_call_abort(c);
		api_unavailable(r, &e);
	} else if (done == 0) {
		api_call_abort(c);
		http_end_problem(r, 403, "this call sheet does not call you");
	} else if (api_call_commit(c, NULL, cs.id) == 0) {
		http_end_reply(r, 204, NULL, NULL, 0);
	}
}

/* Every recipient as the store lists them, before the reader's scope is applied. */
static void
add_recipient(const char *person_id, const char *acked_at, void *arg)
{
	json_array_append_new(arg,
	                      json_pack("{s:s, s:o}", "person_id", person_id, "acknowledged_at",
	                                acked_at[0] ? json_string(acked_at) : json_null()));
}

/*
 * The recipients rd may see (callsheet_ack read: all, their department's
 * people, or themselves), each named with their current directory entry —
 * name and department — which every such reader may read (person read is
 * at least as wide as callsheet_ack read for every role, docs/ROLES.md).
 * 1 done, -1 store error.
 */
static int
acks_view(struct store *s, struct api_reader *rd, const char *callsheet_id, json_t *all,
          json_t *out, struct err *e)
{
	size_t i;
	json_t *ack;

	json_array_foreach (all, i, ack) {
		struct store_person p;
		const char *pid = json_string_value(json_object_get(ack, "person_id"));
		int found = store_person_get(s, rd->a.production.id, pid, 0, &p, e);
		if (found == -1)
			return -1;
		if (found == 0 || !api_allows(rd, POLICY_RESOURCE_CALLSHEET_ACK, POLICY_ACTION_READ,
		                              pid, p.department_id[0] ? p.department_id : NULL, 0))
			continue;
		char at[32], via[8];
		if (store_callsheet_ack_of(s, callsheet_id, pid, at, via, e) == -1)
			return -1;
		json_object_set_new(ack, "acknowledged_via",
		                    via[0] ? json_string(via) : json_null());
		json_object_set_new(ack, "name", json_string(p.name));
		json_object_set_new(ack, "department",
		                    p.department[0] ? json_string(p.department) : json_null());
		json_array_append(out, ack);
	}
	return 1;
}

void
callsheets_acks(struct api_call *c)
{
	struct http_req *r = c->r;
	struct api_reader *rd = &c->rd;
	struct store_callsheet cs;
	struct store_day d;
	json_t *all;
	json_t *seen;
	struct err e;

	if (load_sheet(r, rd, 0, &cs, &d)) {
		all = json_array();
		seen = json_array();
		if (store_callsheet_recipients(http_req_store(r), cs.id, add_recipient, all, &e) ==
		        -1 ||
		    acks_view(http_req_store(r), rd, cs.id, all, seen, &e) == -1) {
			json_decref(seen);
			api_unavailable(r, &e);
		} else {
			http_end_reply_json(r, 200, json_pack("{s:o}", "acknowledgements", seen));
		}
		json_decref(all);
	}
}

/* ---- what changed: between two versions, and before publishing ---- */

static json_t *
version_json(const struct store_callsheet *cs)
{
	return json_pack("{s:s, s:i, s:s}", "id", cs->id, "version", cs->version, "published_at",
	                 cs->published_at);
}

struct newest_below {
	int below;
	struct store_callsheet found;
};

/* Keeps the newest version below f->below (below 0: the newest of all). */
static void
keep_newest_below(const struct store_callsheet *cs, void *arg)
{
	struct newest_below *f = arg;
	if ((f->below <= 0 || cs->version < f->below) && cs->version > f->found.version)
		f->found = *cs;
}

/*
 * The version of day_id to compare with: the newest below version `below`
 * (below <= 0: the newest). 1 into *out, 0 none, -1 e set.
 */
static int
version_before(struct store *s, const char *production_id, const char *day_id, int below,
               struct store_callsheet *out, struct err *e)
{
	struct newest_below f;
	memset(&f, 0, sizeof(f));
	f.below = below;
	if (store_callsheet_list(s, production_id, day_id, keep_newest_below, &f, e) == -1)
		return -1;
	*out = f.found;
	out->body = NULL;
	return f.found.version > 0;
}

/*
 * GET …/callsheets/{cid}/diff?from={cid2}: both versions as the reader gets
 * them from GET …/callsheets/{cid} (api_sheetdiff_open), compared by
 * api/sheetdiff.c, so nothing the reader may not read can appear. from must
 * be a version of the same shoot day (422 otherwise; 404 when the production
 * has no such version); it may be newer than cid (the diff then runs
 * backwards). Without from: the version just before cid; for version 1,
 * "from" is null and every section is empty.
 */
void
callsheets_diff(struct api_call *c)
{
	struct http_req *r = c->r;
	struct api_reader *rd = &c->rd;
	struct store *s = http_req_store(r);
	struct store_callsheet cs, fcs;
	struct store_day d;
	char from_id[STORE_ID_LEN + 8];
	json_t *now = NULL, *old = NULL, *out;
	struct err e;
	int got, found;

	if (!load_sheet(r, rd, 0, &cs, &d))
		return;
	memset(&fcs, 0, sizeof(fcs));
	got = router_query_param(r->query, "from", from_id, sizeof(from_id));
	if (got == -1) {
		http_end_problem(r, 400, "from: a call sheet id");
		return;
	}
	if (got == 1) {
		found = store_callsheet_get(s, rd->a.production.id, from_id, 0, &fcs, &e);
		if (found == 0) {
			http_end_problem(r, 404,
			                 "from: there is no such call sheet in this production");
			return;
		}
	} else {
		found = version_before(s, rd->a.production.id, cs.day_id, cs.version, &fcs, &e);
	}
	if (found == -1) {
		api_unavailable(r, &e);
		return;
	}
	if (found == 1 && strcmp(fcs.day_id, cs.day_id) != 0) {
		http_end_problem(r, 422,
		                 "from is a version of another shoot day: compare versions "
		                 "of the same day");
		return;
	}
	if ((now = api_sheetdiff_open(s, session_gen(r), rd->a.production.id, cs.id, &cs, &e)) ==
	        NULL ||
	    (found == 1 && (old = api_sheetdiff_open(s, session_gen(r), rd->a.production.id, fcs.id,
	                                             &fcs, &e)) == NULL)) {
		json_decref(now);
		api_unavailable(r, &e);
		return;
	}
	out = api_sheetdiff(old ? json_object_get(old, "sheet") : NULL,
	                    json_object_get(now, "sheet"));
	json_object_set_new(out, "from", found == 1 ? version_json(&fcs) : json_null());
	json_object_set_new(out, "to", version_json(&cs));
	json_decref(old);
	json_decref(now);
	http_end_reply_json(r, 200, out);
}

/*
 * GET …/days/{did}/callsheets/preview: the sheet POST …/days/{did}/callsheets
 * would publish now (build_sheet, the same code), as the publisher's role
 * would then read it, numbered as the next version and not published
 * (id and published_at null), with `changes`: api_sheetdiff against the
 * latest published version (null when there is none), and `digest`
 * (sheet_digest), which publishing can be asked to expect. Callsheet publish,
 * like publishing. It writes nothing, and no audit event: it shows what the
 * publisher could read by publishing, and reading a sheet is not audited.
 */
void
callsheets_preview(struct api_call *c)
{
	struct http_req *r = c->r;
	struct api_reader *rd = &c->rd;
	struct store *s = http_req_store(r);
	struct store_day d;
	struct store_callsheet last;
	struct ids locs = {0}, recipients = {0};
	json_t *sheet = NULL, *old = NULL, *changes = NULL, *j;
	char *body, digest[DIGEST_HEX + 1];
	struct err e;
	int found;

	if (!day_for(r, rd, router_param(&r->match, "did"), POLICY_ACTION_PUBLISH, &d))
		return;
	if ((found = version_before(s, rd->a.production.id, d.id, 0, &last, &e)) == -1 ||
	    (sheet = build_sheet(s, &rd->a.production, &d, &locs, &recipients, &e)) == NULL ||
	    (found == 1 && (old = api_sheetdiff_open(s, session_gen(r), rd->a.production.id,
	                                             last.id, &last, &e)) == NULL)) {
		api_unavailable(r, &e);
		goto out;
	}
	if (found == 1) {
		changes = api_sheetdiff(json_object_get(old, "sheet"), sheet);
		json_object_set_new(changes, "from", version_json(&last));
		json_object_set_new(changes, "to",
		                    json_pack("{s:n, s:i, s:n}", "id", "version", last.version + 1,
		                              "published_at"));
	}
	if ((body = json_dumps(sheet, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		json_decref(changes);
		http_end_problem(r, 500, "the call sheet could not be encoded");
		goto out;
	}
	sheet_digest(body, digest);
	sodium_memzero(body, strlen(body));
	free(body);
	j = json_pack("{s:n, s:s, s:i, s:n, s:O, s:o, s:s}", "id", "day_id", d.id, "version",
	              found == 1 ? last.version + 1 : 1, "published_at", "sheet", sheet, "changes",
	              changes ? changes : json_null(), "digest", digest);
	http_end_reply_json(r, 200, j);
out:
	json_decref(old);
	json_decref(sheet);
	free(locs.v);
	free(recipients.v);
}

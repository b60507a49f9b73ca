/*
 * locations.c — where a production shoots.
 *
 * GET   /api/v1/productions/{id}/locations
 * POST  /api/v1/productions/{id}/locations          {name, parking?, nearest_hospital?,
 *                                                    confidential?, address?, latitude?,
 *                                                    longitude?, access_notes?, contact?}
 * GET   /api/v1/productions/{id}/locations/{lid}
 * PATCH /api/v1/productions/{id}/locations/{lid}    any subset
 *
 * `location` (name, parking, nearest hospital, confidential) and
 * `location_address` (address, latitude, longitude, access notes, contact:
 * sealed under the production key) are read per the role matrix; `called`
 * means the reader has a call on a shoot day that uses the location. A
 * confidential location's address is hidden from everyone below AD, whatever
 * the matrix says, until a published call sheet shows the location: its
 * sealed fields are then not even decrypted.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "api/access.h"
#include "api/handlers.h"
#include "api/reply.h"
#include "api/session.h"
#include "api/view.h"
#include "api/call.h"
#include "domain/validate.h"

int
api_location_view(struct store *s, struct api_reader *rd, const struct store_location *l,
                  struct err *e)
{
	int called = 0;
	enum policy_scope scope = api_scope(&rd->a, POLICY_RESOURCE_LOCATION, POLICY_ACTION_READ);

	if (scope == POLICY_SCOPE_CALLED && rd->person_id[0] &&
	    (called = store_location_called(s, l->id, rd->person_id, e)) == -1)
		return -2;
	if (!api_allows(rd, POLICY_RESOURCE_LOCATION, POLICY_ACTION_READ, NULL, NULL, called))
		return -1;
	if (l->confidential && api_below_ad(rd)) {
		/* hidden below AD until a published call sheet shows it */
		int shown = store_location_published(s, l->id, e);
		if (shown == -1)
			return -2;
		if (!shown)
			return 0;
	}
	return api_allows(rd, POLICY_RESOURCE_LOCATION_ADDRESS, POLICY_ACTION_READ, NULL, NULL,
	                  called);
}

int
api_coordinate(const char *s, double *out)
{
	char *end = NULL;
	double v;
	if (s == NULL || s[0] == '\0')
		return -1;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

json_t *
api_location_json(const struct store_location *l)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:b}", "id", l->id, "name", l->name, "parking",
	                      l->parking, "nearest_hospital", l->nearest_hospital, "confidential",
	                      l->confidential);
	if (l->opened) {
		double lat = 0, lon = 0;
		int lat_ok = api_coordinate(l->latitude, &lat) == 0;
		int lon_ok = api_coordinate(l->longitude, &lon) == 0;
		json_object_set_new(j, "address", json_string(l->address));
		json_object_set_new(j, "latitude", lat_ok ? json_real(lat) : json_null());
		json_object_set_new(j, "longitude", lon_ok ? json_real(lon) : json_null());
		json_object_set_new(j, "access_notes", json_string(l->access_notes));
		json_object_set_new(j, "contact", json_string(l->contact));
	}
	return j;
}

struct location_list {
	struct store *s;
	struct api_reader *rd;
	json_t *arr;
	struct err e;
	int failed;
};

static int
list_want(const struct store_location *l, void *arg)
{
	struct location_list *ll = arg;
	int v;
	if (ll->failed)
		return -1;
	if ((v = api_location_view(ll->s, ll->rd, l, &ll->e)) == -2)
		ll->failed = 1;
	return v < 0 ? -1 : v;
}

static void
list_add(const struct store_location *l, void *arg)
{
	struct location_list *ll = arg;
	json_array_append_new(ll->arr, api_location_json(l));
}

int
api_locations_view(struct store *s, struct api_reader *rd, json_t *arr, struct err *e)
{
	struct location_list ll = {.s = s, .rd = rd, .arr = arr};
	if (store_location_list(s, rd->a.production.id, list_want, list_add, &ll, e) == -1)
		return -1;
	if (ll.failed) {
		*e = ll.e;
		return -1;
	}
	return 0;
}

void
locations_list(struct api_call *c)
{
	struct err e;
	json_t *arr = json_array();

	if (api_locations_view(api_call_store(c), &c->rd, arr, &e) == -1) {
		json_decref(arr);
		api_unavailable(c->r, &e);
		return;
	}
	http_end_reply_json(c->r, 200, json_pack("{s:o}", "locations", arr));
}

/* Loads {lid} opened when open: 1, or 0 after answering 404 / 503. */
static int
load_location(struct http_req *r, struct api_reader *rd, int open, struct store_location *l)
{
	struct err e;
	int found = store_location_get(http_req_store(r), rd->a.production.id,
	                               router_param(&r->match, "lid"), open, l, &e);
	return api_found(r, found, &e, "location");
}

void
locations_get(struct api_call *c)
{
	struct store_location l;
	struct err e;
	int v;

	if (!load_location(c->r, &c->rd, 0, &l))
		return;
	if ((v = api_location_view(api_call_store(c), &c->rd, &l, &e)) == -2) {
		api_unavailable(c->r, &e);
		return;
	}
	if (v == -1) {
		http_end_problem(c->r, 403, "your role does not see this location");
		return;
	}
	if (v == 1 && !load_location(c->r, &c->rd, 1, &l))
		return;
	http_end_reply_json(c->r, 200, api_location_json(&l));
	sodium_memzero(&l, sizeof(l));
}

static void
set_text(json_t *body, const char *name, char *dst, size_t cap)
{
	const char *v = json_string_value(json_object_get(body, name));
	if (v != NULL)
		snprintf(dst, cap, "%s", v);
}

/*
 * Applies body to l; *site set when a sealed field changed. 0 after
 * answering 400 naming every bad field. A coordinate comes with its other
 * half: a latitude alone is no place.
 */
static int
apply_location(struct http_req *r, json_t *body, struct store_location *l, int *site)
{
	static const char *const coords[] = {"latitude", "longitude"};
	static const double limit[] = {90.0, 180.0};
	char *dst[] = {l->latitude, l->longitude};

	set_text(body, "name", l->name, sizeof(l->name));
	set_text(body, "parking", l->parking, sizeof(l->parking));
	set_text(body, "nearest_hospital", l->nearest_hospital, sizeof(l->nearest_hospital));
	if (json_object_get(body, "confidential") != NULL)
		l->confidential = json_is_true(json_object_get(body, "confidential"));
	*site = 0;
	for (size_t i = 0; i < 2; i++) {
		json_t *v = json_object_get(body, coords[i]);
		char ptr[16];
		if (v == NULL)
			continue;
		double d = json_number_value(v);
		if (!isfinite(d) || fabs(d) > limit[i]) {
			snprintf(ptr, sizeof(ptr), "/%s", coords[i]);
			http_field_error(
			    r, ptr, i == 0 ? "degrees from -90 to 90" : "degrees from -180 to 180");
			continue;
		}
		snprintf(dst[i], sizeof(l->latitude), "%.7f", d);
		*site = 1;
	}
	for (size_t i = 0; i < 2; i++) {
		char ptr[16];
		if (json_object_get(body, coords[i]) != NULL ||
		    json_object_get(body, coords[1 - i]) == NULL || dst[i][0] != '\0')
			continue;
		snprintf(ptr, sizeof(ptr), "/%s", coords[i]);
		http_field_error(r, ptr,
		                 i == 0 ? "required with longitude: a place needs both"
		                        : "required with latitude: a place needs both");
	}
	for (const char *const *n =
	         (const char *const[]){"address", "access_notes", "contact", NULL};
	     *n; n++)
		*site |= json_object_get(body, *n) != NULL;
	set_text(body, "address", l->address, sizeof(l->address));
	set_text(body, "access_notes", l->access_notes, sizeof(l->access_notes));
	set_text(body, "contact", l->contact, sizeof(l->contact));
	if (validate_blank(l->name))
		http_field_error(r, "/name", "must not be empty");
	return !http_field_errors_answer(r);
}

/*
 * POST (creating) or PATCH: one path, so both check and seal the same way.
 * The route declares the right (location and its address, write) and the
 * body (api/routes.c); the write and its audit event commit together.
 */
static void
save_location(struct api_call *c, int creating)
{
	struct store_location l;
	struct err e;
	int site, rc;

	memset(&l, 0, sizeof(l));
	snprintf(l.production_id, sizeof(l.production_id), "%s", c->rd.a.production.id);
	if ((creating || load_location(c->r, &c->rd, 1, &l)) &&
	    apply_location(c->r, c->body, &l, &site) && api_call_begin(c) == 0) {
		rc = creating ? store_location_create(api_call_store(c), &l, &e)
		              : store_location_update(api_call_store(c), &l, site, &e);
		if (rc == -1) {
			api_call_abort(c);
			api_refuse(c->r, &e,
			           creating ? "the location cannot be created"
			                    : "the location cannot be changed");
		} else if (api_call_commit(c, NULL, l.id) == 0) {
			http_end_reply_json(c->r, creating ? 201 : 200, api_location_json(&l));
		}
	}
	sodium_memzero(&l, sizeof(l));
}

void
locations_create(struct api_call *c)
{
	save_location(c, 1);
}

void
locations_update(struct api_call *c)
{
	save_location(c, 0);
}

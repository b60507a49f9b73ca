/*
 * export_v2.c — what version 2 of the JSON export adds to version 1, so that
 * a production can leave with everything and come back (domain/import.c).
 *
 * export_dataset (api/export.c) builds the version 1 data set; for a reader
 * whose export scope is `all` this adds:
 *
 *   days[i].locations         [{id, name}] in the day's order, as GET …/days/{d}
 *   days[i].scene_ids         the day's scene ids in shooting order (the scenes
 *                             themselves are in the top-level `scenes`)
 *   days[i].department_calls  [{department_id, department, call}], as GET …/days/{d}
 *   members                   as GET …/members (user_id, email, role, …)
 *   invitations               the pending ones, as GET …/invitations (no token)
 *   sustainability            {settings (as GET …/sustainability/settings),
 *                              factors (the production's own, as GET
 *                              …/sustainability/factors), entries (as GET
 *                              …/sustainability/entries)}
 *   attachments               metadata as GET …/attachments, the evidence of
 *                             entries included (each with `evidence`)
 *   audit                     the production's whole audit log, newest first,
 *                             as GET …/audit answers its events
 *
 * Each part is added only when the reader's role reads all of it (the
 * policy table, domain/policy.c): an export never holds a record its
 * exporter could not GET. The file bytes of attachments are not in the
 * JSON (docs/CONTRACT.md says how they travel).
 *
 * Memory: everything is appended to the caller's jansson tree; nothing here
 * outlives the call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "api/sustainability.h"
#include "api/export.h"
#include "api/view.h"
#include "audit/audit_group.h"

#define AUDIT_PAGE 500

static int
reads_all(const struct api_reader *rd, enum policy_resource res)
{
	return rd->has_role && policy_scope(rd->role, res, POLICY_ACTION_READ) == POLICY_SCOPE_ALL;
}

static void
add_string(const char *id, void *arg)
{
	json_array_append_new(arg, json_string(id));
}

static void
add_department_call(const struct store_department_call *dc, void *arg)
{
	json_array_append_new(arg, json_pack("{s:s, s:s, s:s}", "department_id", dc->department_id,
	                                     "department", dc->department, "call", dc->call_time));
}

/* The name of location id among the data set's locations, or NULL. */
static const char *
location_name(const json_t *locations, const char *id)
{
	size_t i;
	const json_t *l;
	json_array_foreach (locations, i, l)
		if (strcmp(json_string_value(json_object_get(l, "id")), id) == 0)
			return json_string_value(json_object_get(l, "name"));
	return NULL;
}

static int
day_parts(struct store *s, json_t *set, struct err *e)
{
	size_t i, k;
	json_t *day, *id;
	json_array_foreach (json_object_get(set, "days"), i, day) {
		const char *day_id = json_string_value(json_object_get(day, "id"));
		json_t *ids = json_array(), *locs = json_array(), *scenes = json_array(),
		       *dcs = json_array();
		json_object_set_new(day, "locations", locs);
		json_object_set_new(day, "scene_ids", scenes);
		json_object_set_new(day, "department_calls", dcs);
		if (store_day_locations(s, day_id, add_string, ids, e) == -1 ||
		    store_day_scenes(s, day_id, add_string, scenes, e) == -1 ||
		    store_department_call_list(s, day_id, add_department_call, dcs, e) == -1) {
			json_decref(ids);
			return -1;
		}
		json_array_foreach (ids, k, id) {
			const char *name =
			    location_name(json_object_get(set, "locations"), json_string_value(id));
			if (name != NULL)
				json_array_append_new(
				    locs, json_pack("{s:O, s:s}", "id", id, "name", name));
		}
		json_decref(ids);
	}
	return 0;
}

static void
add_member(const struct store_membership *m, void *arg)
{
	json_array_append_new(arg, api_member_json(m));
}

static void
add_invitation(const struct store_invitation *v, void *arg)
{
	json_array_append_new(arg, api_invitation_json(v));
}

static void
add_factor(const struct store_factor *f, void *arg)
{
	json_array_append_new(arg, api_factor_json(f));
}

static void
add_entry(const struct store_carbon_entry *en, void *arg)
{
	json_array_append_new(arg, api_carbon_entry_json(en));
}

static json_t *
sustainability(struct store *s, const char *prod, struct err *e)
{
	struct store_carbon_filter all = {NULL, NULL, NULL, 0x7fffffffL, 0};
	json_t *settings, *factors = json_array(), *entries = json_array();
	long total;

	if ((settings = api_carbon_settings_view(s, prod, e)) == NULL ||
	    store_factors_list(s, STORE_FACTOR_SET_CUSTOM, 0, prod, add_factor, factors, e) == -1 ||
	    store_carbon_entry_list(s, prod, &all, &total, add_entry, entries, e) == -1) {
		json_decref(settings);
		json_decref(factors);
		json_decref(entries);
		return NULL;
	}
	return json_pack("{s:o, s:o, s:o}", "settings", settings, "factors", factors, "entries",
	                 entries);
}

static void
add_attachment(const struct store_attachment *a, void *arg)
{
	json_t *j = api_attachment_json(a);
	json_object_set_new(j, "evidence", json_boolean(a->evidence));
	json_array_append_new(arg, j);
}

/* The files, then the evidence the entries name (the file list leaves it out). */
static int
attachments(struct store *s, const char *prod, const json_t *entries, json_t *arr, struct err *e)
{
	size_t i;
	const json_t *en;
	if (store_attachment_list(s, prod, add_attachment, arr, e) == -1)
		return -1;
	json_array_foreach (entries, i, en) {
		const char *id = json_string_value(json_object_get(en, "evidence_id"));
		struct store_attachment a;
		int found;
		if (id == NULL)
			continue;
		if ((found = store_attachment_get(s, prod, id, &a, NULL, e)) == -1)
			return -1;
		if (found == 1)
			add_attachment(&a, arr);
	}
	return 0;
}

struct audit_page {
	json_t *arr;
	long long last;
	long n;
};

static void
add_event(const struct store_audit_event *ev, void *arg)
{
	struct audit_page *p = arg;
	json_array_append_new(p->arr, api_audit_event_json(ev));
	p->last = ev->seq;
	p->n++;
}

static int
audit_log(struct store *s, const char *prod, json_t *arr, struct err *e)
{
	struct audit_page p = {arr, 0, 0};
	audit_group_sync(); /* read audits queued before this export are in it */
	do {
		long long before = p.last;
		p.n = 0;
		if (store_audit_of_production(s, prod, before, AUDIT_PAGE, add_event, &p, e) == -1)
			return -1;
	} while (p.n == AUDIT_PAGE);
	return api_audit_name_events(s, prod, arr, e);
}

int
export_dataset_more(struct store *s, struct api_reader *rd, json_t *set, struct err *e)
{
	const char *prod = rd->a.production.id;
	json_t *part;

	if (reads_all(rd, POLICY_RESOURCE_SCHEDULE) && day_parts(s, set, e) == -1)
		return -1;
	if (reads_all(rd, POLICY_RESOURCE_MEMBER)) {
		json_t *members = json_array(), *invitations = json_array();
		json_object_set_new(set, "members", members);
		json_object_set_new(set, "invitations", invitations);
		if (store_membership_list(s, prod, add_member, members, e) == -1 ||
		    store_invitation_list(s, prod, (long long)time(NULL), add_invitation,
		                          invitations, e) == -1)
			return -1;
	}
	if (reads_all(rd, POLICY_RESOURCE_SUSTAINABILITY)) {
		if ((part = sustainability(s, prod, e)) == NULL)
			return -1;
		json_object_set_new(set, "sustainability", part);
	}
	if (reads_all(rd, POLICY_RESOURCE_ATTACHMENT)) {
		json_t *arr = json_array();
		json_object_set_new(set, "attachments", arr);
		if (attachments(s, prod,
		                json_object_get(json_object_get(set, "sustainability"), "entries"),
		                arr, e) == -1)
			return -1;
	}
	if (reads_all(rd, POLICY_RESOURCE_AUDIT)) {
		json_t *arr = json_array();
		json_object_set_new(set, "audit", arr);
		if (audit_log(s, prod, arr, e) == -1)
			return -1;
	}
	return 0;
}

/*
 * audit.c — a production's audit log, for the people who answer for it.
 *
 * GET /api/v1/productions/{id}/audit?limit=1..500(100)&before=SEQ&action=NAME&person=ID
 *   → {"events": [{seq, at, actor, actor_name, source, action, object,
 *      object_name, outcome, request_id}], "next_before": SEQ | null},
 *      newest first.
 *
 * Events of a production are those written while serving one of its routes
 * (api/session.c stamps them with the production's id) and the shell's
 * member and export commands. Reading needs audit:read (production admins
 * and producers); nobody writes through the API. An event never holds a
 * secret (audit/audit.h), so nothing here is masked.
 *
 * Filters (both optional, both applied in the store's query, so a page holds
 * `limit` matching events and next_before pages through matches only):
 *   ?action=person.update  that action exactly; ?action=person. (ending in
 *                          '.') every action that starts so. [a-z_.], 1-64.
 *   ?person=per_…          events about or by that person: the object is the
 *                          person id (alone or in a comma-separated list), or
 *                          the membership of the account linked to the person
 *                          now; or the actor is that account. An id that names
 *                          no person now (erased) still matches its objects.
 *                          A person id: "per_" and 26 of [a-z2-7].
 *
 * The log keeps ids, never names. actor_name and object_name are looked up
 * as the page is read (store_display_name), from the records as they are
 * now: a renamed person shows their new name, and a person whose record was
 * deleted (their key destroyed) is "[erased]" — the log cannot bring them
 * back. Ids of no nameable kind (a session, a "prd_…:json" export) name
 * nothing: null. The names are looked up after the page is read, not while
 * the log's statement is stepping.
 */
#include <jansson.h>
#include <string.h>

#include "api/access.h"
#include "api/handlers.h"
#include "api/reply.h"
#include "api/view.h"
#include "api/call.h"
#include "audit/audit_group.h"

#define PAGE_DEFAULT  100
#define PAGE_MAX      500
#define ACTION_MAX    64
#define PERSON_ID_LEN 30 /* "per_" and 26 characters (store_new_id) */

struct page {
	json_t *arr;
	long long last;
};

static json_t *
text_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

json_t *
api_audit_event_json(const struct store_audit_event *ev)
{
	json_t *j = json_pack("{s:I, s:s, s:s, s:s}", "seq", (json_int_t)ev->seq, "at", ev->at,
	                      "action", ev->action, "outcome", ev->outcome);
	json_object_set_new(j, "actor", text_or_null(ev->actor));
	json_object_set_new(j, "source", text_or_null(ev->source));
	json_object_set_new(j, "object", text_or_null(ev->object));
	json_object_set_new(j, "request_id", text_or_null(ev->request_id));
	return j;
}

static void
add_event(const struct store_audit_event *ev, void *arg)
{
	struct page *p = arg;
	json_array_append_new(p->arr, api_audit_event_json(ev));
	p->last = ev->seq;
}

/*
 * The display name of the id in the event's `key` field, into `name_key`.
 * seen memoises the page's lookups (id → name or null): a page of 500
 * events names a handful of actors many times.
 */
static int
name_one(struct store *s, const char *production_id, json_t *seen, json_t *ev, const char *key,
         const char *name_key, struct err *e)
{
	char name[256];
	const char *id = json_string_value(json_object_get(ev, key));
	json_t *known = id != NULL ? json_object_get(seen, id) : NULL;
	json_t *v;
	int found;

	if (known != NULL) {
		json_object_set(ev, name_key, known);
		return 0;
	}
	if ((found = store_display_name(s, production_id, id, name, sizeof(name), e)) == -1)
		return -1;
	if (found == 1)
		v = json_string(name);
	else if (id != NULL && strncmp(id, "per_", 4) == 0 && strlen(id) == 30)
		v = json_string("[erased]");
	else
		v = json_null();
	if (id != NULL)
		json_object_set(seen, id, v);
	json_object_set_new(ev, name_key, v);
	return 0;
}

int
api_audit_name_events(struct store *s, const char *production_id, json_t *arr, struct err *e)
{
	json_t *seen = json_object();
	json_t *ev;
	size_t i;
	int rc = 0;

	json_array_foreach (arr, i, ev) {
		if (name_one(s, production_id, seen, ev, "actor", "actor_name", e) == -1 ||
		    name_one(s, production_id, seen, ev, "object", "object_name", e) == -1) {
			rc = -1;
			break;
		}
	}
	json_decref(seen);
	return rc;
}

/* 1 when every byte of v is one of allowed (and v is not empty), else 0. */
static int
only(const char *v, const char *allowed)
{
	return v[0] != '\0' && v[strspn(v, allowed)] == '\0';
}

/* ?action and ?person into f (pointing into action and person): 0, or -1 after answering 400. */
static int
read_filter(struct http_req *r, struct store_audit_filter *f, char action[ACTION_MAX + 1],
            char person[PERSON_ID_LEN + 1])
{
	int got = router_query_param(r->query, "action", action, ACTION_MAX + 1);

	if (got == -1 || (got == 1 && !only(action, "abcdefghijklmnopqrstuvwxyz_."))) {
		api_bad_field(
		    r, "?action",
		    "an action's name (person.update) or a prefix ending in '.' (person.): "
		    "a-z, '_' and '.', at most 64 characters");
		return -1;
	}
	if (got == 1)
		f->action = action;
	got = router_query_param(r->query, "person", person, PERSON_ID_LEN + 1);
	if (got == -1 ||
	    (got == 1 && (strlen(person) != PERSON_ID_LEN || strncmp(person, "per_", 4) != 0 ||
	                  !only(person + 4, "abcdefghijklmnopqrstuvwxyz234567")))) {
		api_bad_field(r, "?person", "a person's id (per_ and 26 letters and digits)");
		return -1;
	}
	if (got == 1)
		f->person_id = person;
	return 0;
}

/* Audit read, scope all (api/routes.c). */
void
audit_list(struct api_call *c)
{
	struct http_req *r = c->r;
	const char *prod = c->rd.a.production.id;
	struct page p = {NULL, 0};
	struct store_audit_filter f = {NULL, NULL};
	char action[ACTION_MAX + 1], person[PERSON_ID_LEN + 1];
	struct err e;
	long limit;
	long before;

	limit = api_query_long(r, "limit", PAGE_DEFAULT, 1, PAGE_MAX);
	before = api_query_long(r, "before", 0, 1, 0x7fffffffL);
	if (limit < 0 || before < 0) {
		api_bad_field(r, limit < 0 ? "?limit" : "?before",
		              limit < 0 ? "a whole number from 1 to 500"
		                        : "an event's seq, a whole number from 1");
		return;
	}
	if (read_filter(r, &f, action, person) == -1)
		return;
	audit_group_sync(); /* read audits queued before this request are in the log */
	p.arr = json_array();
	if (store_audit_of_production_where(api_call_store(c), prod, &f, before, limit, add_event,
	                                    &p, &e) == -1 ||
	    api_audit_name_events(api_call_store(c), prod, p.arr, &e) == -1) {
		json_decref(p.arr);
		api_unavailable(r, &e);
		return;
	}
	http_end_reply_json(
	    r, 200,
	    json_pack("{s:o, s:o}", "events", p.arr, "next_before",
	              (long)json_array_size(p.arr) == limit ? json_integer(p.last) : json_null()));
}

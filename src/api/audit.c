/*
 * audit.c — a production's audit log, for the people who answer for it.
 *
 * GET /api/v1/productions/{id}/audit?limit=1..500(100)&before=SEQ
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

#define PAGE_DEFAULT 100
#define PAGE_MAX     500

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

/* Audit read, scope all (api/routes.c). */
void
audit_list(struct api_call *c)
{
	struct http_req *r = c->r;
	const char *prod = c->rd.a.production.id;
	struct page p = {NULL, 0};
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
	audit_group_sync(); /* read audits queued before this request are in the log */
	p.arr = json_array();
	if (store_audit_of_production(api_call_store(c), prod, before, limit, add_event, &p, &e) ==
	        -1 ||
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

/*
 * me_export.c — GET /api/v1/me/export: everything Slate holds about the
 * signed-in person (GDPR Articles 15 and 20), as one JSON document whose
 * schema docs/API.md describes ("slate.me-export/1").
 *
 *   account        the account (id, email, display name, instance admin,
 *                  whether a second factor is set up)
 *   sessions       its live sessions; api_tokens: its live API tokens
 *   productions[]  each production the account is or was a member of, or
 *                  has a person record linked in: the membership (role,
 *                  department, revoked), the person record with every
 *                  field opened, their calls (with the day's date), and
 *                  every published call sheet version they were sent,
 *                  with when and how they acknowledged it
 *   audit_events[] the events by the account anywhere, about it outside a
 *                  production, and in each production those naming their
 *                  person record or membership (store_audit_filter), once
 *                  each, oldest first. The address an event came from is
 *                  given for their own events only: another person's
 *                  address is that person's data.
 *
 * Who: the account itself, by session only (an API token reaches only its
 * production's routes, api/session.c). The export is audited (me.export)
 * like the read of anyone's private fields; the answer is never cached and
 * its JSON text is wiped once sent (http_end_reply_json).
 *
 * Cost: a few statements per production of the instance (the account's
 * standing in each is looked up) and per shoot day of the account's
 * productions; bounded by the instance's size and the person's own data.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "api/call.h"
#include "api/session.h"
#include "api/view.h"
#include "store/store.h"
#include "util/xalloc.h"

#define EXPORT_SCHEMA "slate.me-export/1"

/* The audit events found, in the order found (events_json sorts them and drops repeats). */
struct events {
	const char *self; /* the account: its own events keep their source */
	struct event {
		long long seq;
		json_t *j;
	} * v;
	size_t n, cap;
};

static void
add_event(const struct store_audit_event *ev, void *arg)
{
	struct events *es = arg;
	int own = ev->actor != NULL && strcmp(ev->actor, es->self) == 0;
	json_t *j;

	j = json_pack("{s:I, s:s, s:s?, s:s, s:s?, s:s?, s:s?, s:s?}", "seq", (json_int_t)ev->seq,
	              "at", ev->at, "actor", ev->actor, "action", ev->action, "object", ev->object,
	              "outcome", ev->outcome, "production_id", ev->production_id, "request_id",
	              ev->request_id);
	if (own && ev->source != NULL)
		json_object_set_new(j, "source", json_string(ev->source));
	if (es->n == es->cap) {
		es->cap = es->cap ? es->cap * 2 : 64;
		es->v = xrealloc(es->v, es->cap * sizeof(*es->v));
	}
	es->v[es->n].seq = ev->seq;
	es->v[es->n].j = j;
	es->n++;
}

static int
by_seq(const void *a, const void *b)
{
	long long x = ((const struct event *)a)->seq, y = ((const struct event *)b)->seq;
	return x < y ? -1 : x > y;
}

/* The events oldest first, each once (the queries overlap: one event may be found twice). */
static json_t *
events_json(struct events *es)
{
	json_t *arr = json_array();
	qsort(es->v, es->n, sizeof(*es->v), by_seq);
	for (size_t i = 0; i < es->n; i++) {
		if (i > 0 && es->v[i].seq == es->v[i - 1].seq)
			json_decref(es->v[i].j);
		else
			json_array_append_new(arr, es->v[i].j);
	}
	free(es->v);
	es->v = NULL;
	es->n = es->cap = 0;
	return arr;
}

static void
events_free(struct events *es)
{
	for (size_t i = 0; i < es->n; i++)
		json_decref(es->v[i].j);
	free(es->v);
}

struct ids {
	char (*v)[STORE_ID_LEN + 8];
	size_t n, cap;
};

static void
add_production(const struct store_production *p, const char *role, void *arg)
{
	struct ids *ids = arg;
	(void)role;
	if (ids->n == ids->cap) {
		ids->cap = ids->cap ? ids->cap * 2 : 16;
		ids->v = xrealloc(ids->v, ids->cap * sizeof(*ids->v));
	}
	snprintf(ids->v[ids->n++], sizeof(ids->v[0]), "%s", p->id);
}

/* One shoot day's date and unit, for the calls; the call sheets the person was sent. */
struct person_ctx {
	struct store *s;
	const char *person_id;
	json_t *days;  /* day id -> {date, unit} */
	json_t *calls; /* [] */
	json_t *sheets;
	int failed;
	struct err *e;
};

static void
add_call(const struct store_call *c, void *arg)
{
	struct person_ctx *pc = arg;
	json_t *day = json_object_get(pc->days, c->day_id);
	json_array_append_new(pc->calls,
	                      json_pack("{s:s, s:O?, s:O?, s:s, s:s, s:s, s:s, s:s}", "day_id",
	                                c->day_id, "date", json_object_get(day, "date"), "unit",
	                                json_object_get(day, "unit"), "call", c->call_time,
	                                "pickup", c->pickup, "hair_makeup", c->hair_makeup,
	                                "on_set", c->on_set, "cast_status", c->cast_status));
}

static void
add_sheet(const struct store_callsheet *cs, void *arg)
{
	struct person_ctx *pc = arg;
	char at[32], via[8];
	int got;

	if (pc->failed)
		return;
	got = store_callsheet_ack_of(pc->s, cs->id, pc->person_id, at, via, pc->e);
	if (got == -1)
		pc->failed = 1;
	if (got != 1)
		return;
	json_array_append_new(
	    pc->sheets, json_pack("{s:s, s:s, s:i, s:s, s:s?, s:s?}", "callsheet_id", cs->id,
	                          "day_id", cs->day_id, "version", cs->version, "published_at",
	                          cs->published_at, "acknowledged_at", at[0] ? at : NULL,
	                          "acknowledged_via", via[0] ? via : NULL));
}

static void
add_day(const struct store_day *d, void *arg)
{
	struct person_ctx *pc = arg;
	json_object_set_new(pc->days, d->id,
	                    json_pack("{s:s, s:s}", "date", d->date, "unit", d->unit));
}

/* The person's calls and the sheets they were sent, into out; -1 e set. */
static int
person_work(struct store *s, const char *production_id, const char *person_id, json_t *out,
            struct err *e)
{
	struct person_ctx pc = {s, person_id, json_object(), json_array(), json_array(), 0, e};
	const char *day_id;
	json_t *v;
	int rc = -1;

	if (store_day_list(s, production_id, add_day, &pc, e) == -1 ||
	    store_call_list(s, production_id, NULL, person_id, add_call, &pc, e) == -1)
		goto out;
	json_object_foreach (pc.days, day_id, v) {
		if (store_callsheet_list(s, production_id, day_id, add_sheet, &pc, e) == -1 ||
		    pc.failed)
			goto out;
	}
	json_object_set(out, "calls", pc.calls);
	json_object_set(out, "call_sheets_sent", pc.sheets);
	rc = 0;
out:
	json_decref(pc.days);
	json_decref(pc.calls);
	json_decref(pc.sheets);
	return rc;
}

/*
 * The account's part of one production into *out (NULL when it has none
 * there: no membership and no linked person); its audit events into es.
 */
static int
production_part(struct store *s, const char *user_id, const char *production_id, struct events *es,
                json_t **out, struct err *e)
{
	struct store_production p;
	struct store_membership m;
	struct store_person person;
	int member, linked;
	json_t *j;

	*out = NULL;
	if ((member = store_membership_of(s, production_id, user_id, &m, e)) == -1 ||
	    (linked = store_person_of_user(s, production_id, user_id, &person, e)) == -1)
		return -1;
	if (!member && !linked)
		return 0;
	if (store_production_get(s, production_id, &p, e) != 1)
		return -1;
	j = json_pack("{s:s, s:s, s:s}", "id", p.id, "name", p.name, "timezone", p.timezone);
	json_object_set_new(j, "membership",
	                    member ? json_pack("{s:s, s:s, s:s?, s:b}", "id", m.id, "role", m.role,
	                                       "department", m.department[0] ? m.department : NULL,
	                                       "revoked", m.revoked)
	                           : json_null());
	json_object_set_new(j, "person", json_null());
	if (linked) {
		struct store_audit_filter f = {NULL, person.id};
		if (store_person_get(s, production_id, person.id, STORE_PERSON_ALL, &person, e) !=
		        1 ||
		    person_work(s, production_id, person.id, j, e) == -1 ||
		    store_audit_of_production_where(s, production_id, &f, 0, 1000000, add_event, es,
		                                    e) == -1) {
			json_decref(j);
			return -1;
		}
		json_object_set_new(j, "person", api_person_json(&person));
	}
	*out = j;
	return 0;
}

void
me_export(struct api_call *c)
{
	const struct api_auth *a = session_of(c->r);
	const struct store_user *u = &a->session.user;
	struct store *s = api_call_store(c);
	struct events es = {u->id, NULL, 0, 0};
	struct ids prods = {NULL, 0, 0};
	json_t *out = NULL, *list = json_array(), *sessions = NULL, *tokens = NULL;
	struct err e;

	if (session_email(c->r) == NULL)
		goto unavailable;
	if ((sessions = me_sessions_json(s, u->id, a->session.id, &e)) == NULL ||
	    (tokens = tokens_json(s, u->id, &e)) == NULL ||
	    store_production_list(s, u->id, 1, add_production, &prods, &e) == -1 ||
	    store_audit_of_account(s, u->id, add_event, &es, &e) == -1)
		goto unavailable;
	for (size_t i = 0; i < prods.n; i++) {
		json_t *part;
		if (production_part(s, u->id, prods.v[i], &es, &part, &e) == -1)
			goto unavailable;
		if (part != NULL)
			json_array_append_new(list, part);
	}
	out = json_pack("{s:s, s:o, s:{s:s, s:s, s:s, s:b, s:b}, s:o, s:o, s:o}", "schema",
	                EXPORT_SCHEMA, "exported_at", api_time_json((long long)time(NULL)),
	                "account", "id", u->id, "email", u->email, "display_name", u->display_name,
	                "instance_admin", u->is_instance_admin, "mfa_enrolled",
	                a->session.mfa_enrolled, "sessions", sessions, "api_tokens", tokens,
	                "productions", list);
	sessions = tokens = list = NULL;
	json_object_set_new(out, "audit_events", events_json(&es));
	free(prods.v);
	session_audit(c->r, c->actor, c->decl->audit, u->id, "success");
	http_end_reply_json(c->r, 200, out);
	return;
unavailable:
	json_decref(sessions);
	json_decref(tokens);
	json_decref(list);
	events_free(&es);
	free(prods.v);
	http_end_problem(c->r, 503, "your data cannot be exported right now; try again");
}

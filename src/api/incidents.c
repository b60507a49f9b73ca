/*
 * incidents.c — the incident register over the API (domain/incidents.h
 * holds the rules, shared with `slate incident`).
 *
 * GET   /api/v1/incidents                               every incident with its clock
 * POST  /api/v1/incidents                               open one → 201
 * GET   /api/v1/incidents/{id}                          one, with its history
 * PATCH /api/v1/incidents/{id}                          change its text, move its status
 * POST  /api/v1/incidents/{id}/authority-notification   record the authority's notification
 * POST  /api/v1/incidents/{id}/affected                 compute and record who is affected
 * GET   /api/v1/incidents/{id}/notifications            the affected people's notices
 * POST  /api/v1/incidents/{id}/notifications/draft      draft them (again) from the incident
 * POST  /api/v1/incidents/{id}/notifications/send       queue every draft in the mail outbox
 *
 * The notices' answers carry people's addresses: each writes a
 * person.read_private event naming those people (answer_notices).
 *
 * Instance administrators only (API_CHECK_INSTANCE_ADMIN: 403 for everyone
 * else, an API token included, as the other admin routes). Each change is
 * audited by the domain inside its own transaction, as the route's
 * declared action says, with the request's id and source.
 */
#include <string.h>
#include <time.h>

#include "api/audit_read.h"
#include "api/call.h"
#include "api/handlers.h"
#include "api/reply.h"
#include "api/session.h"
#include "domain/incidents.h"
#include "util/log.h"

/* Answers a refusal of the domain: 400/404/409 as a problem (naming the field), else 503. */
static void
refused(struct http_req *r, const struct err *e)
{
	if (e->status == 400 || e->status == 404 || e->status == 409) {
		if (e->field[0] != '\0')
			http_end_problem_errors(
			    r, e->status, "the incident was not changed",
			    json_pack("[{s:s, s:s}]", "pointer", e->field, "detail", e->msg));
		else
			http_end_problem(r, e->status, e->msg);
		return;
	}
	api_unavailable(r, e);
}

/* A change of the domain (incidents_open, incidents_notice_send, …). */
typedef int (*incident_change)(struct store *, const struct incidents_who *, const char *,
                               const json_t *, long long, json_t **, struct err *);

/* Runs one change of the domain: 0 with *out, or -1 after answering its refusal. */
static int
run(struct api_call *c, incident_change fn, json_t **out)
{
	char src[SESSION_SOURCE_LEN];
	struct incidents_who w = {c->actor, session_source(c->r, src), c->r->request_id};
	struct err e;

	*out = NULL;
	if (fn(api_call_store(c), &w, router_param(&c->r->match, "id"), c->body,
	       (long long)time(NULL), out, &e) == -1) {
		refused(c->r, &e);
		return -1;
	}
	return 0;
}

/* Runs one change of the domain and answers it (status on success). */
static void
change(struct api_call *c, int status, incident_change fn)
{
	json_t *out;
	if (run(c, fn, &out) == 0)
		http_end_reply_json(c->r, status, out);
}

static int
open_one(struct store *s, const struct incidents_who *w, const char *id, const json_t *in,
         long long now, json_t **out, struct err *e)
{
	(void)id;
	return incidents_open(s, w, in, now, out, e);
}

void
incidents_list_all(struct api_call *c)
{
	json_t *arr;
	struct err e;

	if (incidents_list(api_call_store(c), (long long)time(NULL), &arr, &e) == -1) {
		api_unavailable(c->r, &e);
		return;
	}
	http_end_reply_json(c->r, 200, json_pack("{s:o}", "incidents", arr));
}

void
incidents_create(struct api_call *c)
{
	change(c, 201, open_one);
}

void
incidents_show(struct api_call *c)
{
	json_t *out;
	struct err e;
	int found = incidents_get(api_call_store(c), router_param(&c->r->match, "id"),
	                          (long long)time(NULL), &out, &e);
	if (found == 1)
		http_end_reply_json(c->r, 200, out);
	else if (found == 0)
		http_end_problem(c->r, 404, "there is no such incident");
	else
		api_unavailable(c->r, &e);
}

void
incidents_patch(struct api_call *c)
{
	change(c, 200, incidents_update);
}

void
incidents_authority_notification(struct api_call *c)
{
	change(c, 200, incidents_notify);
}

void
incidents_compute_affected(struct api_call *c)
{
	change(c, 200, incidents_affected);
}

/*
 * Answers an incident's notices. Their recipients are people's addresses
 * (a personal email among them): the response writes one person.read_private
 * event naming the people whose address it carries (api/audit_read.c).
 */
static void
answer_notices(struct api_call *c, json_t *out)
{
	struct audit_read ar = {0};
	const json_t *n;
	size_t i;

	json_array_foreach (json_object_get(out, "notifications"), i, n) {
		if (json_is_string(json_object_get(n, "recipient")))
			audit_read_add_id(&ar, json_string_value(json_object_get(n, "person_id")));
	}
	audit_read_done(c->r, &ar);
	http_end_reply_json(c->r, 200, out);
}

void
incidents_notices(struct api_call *c)
{
	json_t *out;
	struct err e;
	int found =
	    incidents_notice_list(api_call_store(c), router_param(&c->r->match, "id"), &out, &e);
	if (found == 1)
		answer_notices(c, out);
	else if (found == 0)
		http_end_problem(c->r, 404, "there is no such incident");
	else
		api_unavailable(c->r, &e);
}

/* Drafts or sends (fn) and answers the notices. */
static void
notices_change(struct api_call *c, incident_change fn)
{
	json_t *out;

	if (run(c, fn, &out) == -1)
		return;
	answer_notices(c, out);
}

void
incidents_notices_draft(struct api_call *c)
{
	notices_change(c, incidents_notice_draft);
}

void
incidents_notices_send(struct api_call *c)
{
	notices_change(c, incidents_notice_send);
}

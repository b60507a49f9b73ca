/*
 * undo.c — taking back a mistake: deleting what was entered wrongly,
 * cancelling a day that will not be shot, withdrawing an invitation.
 *
 * DELETE /api/v1/productions/{id}/days/{did}             schedule write; 409 once published
 * POST   /api/v1/productions/{id}/days/{did}/cancel      schedule write: stays, marked cancelled
 * POST   /api/v1/productions/{id}/days/{did}/reinstate   schedule write: on again
 * GET    /api/v1/productions/{id}/scenes/{sid}           as the scene list shows it
 * DELETE /api/v1/productions/{id}/scenes/{sid}           schedule write; 409 while on a day
 * DELETE /api/v1/productions/{id}/locations/{lid}        location write; 409 while on a day
 *                                                        or a published call sheet
 * DELETE /api/v1/productions/{id}/departments/{did}      production write; 409 while it has
 *                                                        people, members, pending invitations
 *                                                        or sustainability entries
 * DELETE /api/v1/productions/{id}/invitations/{iid}      member write: the link stops working
 *
 * Rights are the `write` cells of the matrix (docs/ROLES.md: write covers
 * create, update and delete); departments are production settings.
 *
 * A record that another holds is never deleted from under it, and never
 * silently: the answer is 409 with `held_by`, a list of {kind, id, name}
 * naming each holder, so the person can take the record off them first. A
 * day with a published call sheet belongs to the record people were sent:
 * it is cancelled, not deleted, and the next version of its call sheet says
 * so.
 *
 * The rights are declared by each route (api/routes.c) and checked before
 * these handlers run. Each change is written in one transaction with its
 * audit event (api_call_commit: no event, no change), and the check for
 * holders runs inside that transaction, so nothing can take hold
 * of the record between the check and the delete.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "api/access.h"
#include "api/handlers.h"
#include "api/reply.h"
#include "api/session.h"
#include "api/view.h"
#include "api/call.h"
#include "http/problem.h"

/* Collects holders as [{kind, id, name}]. */
static void
add_holder(const char *kind, const char *id, const char *name, void *arg)
{
	json_array_append_new(arg,
	                      json_pack("{s:s, s:s, s:s}", "kind", kind, "id", id, "name", name));
}

void
api_refuse_held(struct http_req *r, const char *detail, json_t *held_by)
{
	api_end_problem_with(r, 409, detail, "held_by", held_by);
}

/* A 409 detail: `what` and the first holder's name ("… by 2026-03-02 Main and 2 more"). */
static void
held_detail(char *buf, size_t cap, const char *what, const json_t *held_by)
{
	const json_t *first = json_array_get(held_by, 0);
	size_t n = json_array_size(held_by);
	const char *kind = json_string_value(json_object_get(first, "kind"));
	const char *name = json_string_value(json_object_get(first, "name"));

	if (n > 1)
		snprintf(buf, cap, "%s: held by %s %s and %zu more (see held_by)", what,
		         kind ? kind : "", name ? name : "", n - 1);
	else
		snprintf(buf, cap, "%s: held by %s %s (see held_by)", what, kind ? kind : "",
		         name ? name : "");
}

/*
 * Deletes one record in the write transaction of c: holders (NULL: none to
 * ask) are looked up first and refuse with 409; delete returns 1, or 0 for
 * 404; the route's audit event commits with the delete. Answers every case.
 */
struct undo_delete {
	const char *what;     /* "location", for 404 and 409 */
	const char *held_why; /* the 409 detail's head */
	int (*holders)(struct store *, const char *, const char *, store_holder_fn, void *,
	               struct err *);
	int (*del)(struct store *, const char *, const char *, struct err *);
};

static void
run_delete(struct api_call *c, const char *param, const struct undo_delete *u)
{
	struct store *s = api_call_store(c);
	const char *prod = c->rd.a.production.id, *id = router_param(&c->r->match, param);
	json_t *held;
	char detail[512];
	struct err e;
	int done;

	if (api_call_begin(c) == -1)
		return;
	held = json_array();
	if (u->holders != NULL && u->holders(s, prod, id, add_holder, held, &e) == -1)
		goto fail;
	if (json_array_size(held) > 0) {
		api_call_abort(c);
		held_detail(detail, sizeof(detail), u->held_why, held);
		api_refuse_held(c->r, detail, held);
		return;
	}
	json_decref(held);
	if ((done = u->del(s, prod, id, &e)) == -1)
		goto fail_store;
	if (done == 0) {
		api_call_abort(c);
		snprintf(detail, sizeof(detail), "there is no such %s in this production", u->what);
		http_end_problem(c->r, 404, detail);
		return;
	}
	if (api_call_commit(c, NULL, id) == 0)
		http_end_reply(c->r, 204, NULL, NULL, 0);
	return;
fail:
	json_decref(held);
fail_store:
	api_call_abort(c);
	api_unavailable(c->r, &e);
}

void
days_delete(struct api_call *c)
{
	static const struct undo_delete u = {
	    "shoot day",
	    "a day whose call sheet has been published stays in the record; cancel it instead "
	    "(POST …/cancel)",
	    store_day_holders, store_day_delete};
	run_delete(c, "did", &u);
}

void
scenes_delete(struct api_call *c)
{
	static const struct undo_delete u = {
	    "scene", "the scene is on a shoot day; take it off the day first", store_scene_holders,
	    store_scene_delete};
	run_delete(c, "sid", &u);
}

void
locations_delete(struct api_call *c)
{
	static const struct undo_delete u = {
	    "location",
	    "the location is used by a shoot day or a published call sheet; take it off the day "
	    "first",
	    store_location_holders, store_location_delete};
	run_delete(c, "lid", &u);
}

/* store_department_holders at the present time, in the shape run_delete asks for. */
static int
department_holders_now(struct store *s, const char *prod, const char *id, store_holder_fn fn,
                       void *arg, struct err *e)
{
	return store_department_holders(s, prod, id, (long long)time(NULL), fn, arg, e);
}

/* Production settings: the instance administrator's right counts, as for create. */
void
departments_delete(struct api_call *c)
{
	static const struct undo_delete u = {
	    "department",
	    "the department still has people, members, pending invitations or sustainability "
	    "entries; move them first",
	    department_holders_now, store_department_delete};
	run_delete(c, "did", &u);
}

/* ---- cancelling a day ---- */

static void
set_cancelled(struct api_call *c, int on)
{
	struct store *s = api_call_store(c);
	const char *prod = c->rd.a.production.id;
	struct store_day d;
	struct err e;
	int done;

	if (!api_load_day(c->r, &c->rd, router_param(&c->r->match, "did"), &d) ||
	    api_call_begin(c) == -1)
		return;
	if ((done = store_day_set_cancelled(s, prod, d.id, on, &e)) == -1) {
		api_call_abort(c);
		api_unavailable(c->r, &e);
		return;
	}
	if (done == 0) { /* deleted since it was read */
		api_call_abort(c);
		http_end_problem(c->r, 404, "there is no such shoot day in this production");
		return;
	}
	if (api_call_commit(c, NULL, d.id) == -1)
		return;
	if (store_day_get(s, prod, d.id, &d, &e) != 1) {
		api_unavailable(c->r, &e);
		return;
	}
	http_end_reply_json(c->r, 200, api_day_json(&d));
}

void
days_cancel(struct api_call *c)
{
	set_cancelled(c, 1);
}

void
days_reinstate(struct api_call *c)
{
	set_cancelled(c, 0);
}

/* ---- one scene ---- */

struct scene_days {
	struct store *s;
	struct api_reader *rd;
	int called, failed;
	struct err e;
};

static void
scene_day_called(const char *kind, const char *day_id, const char *name, void *arg)
{
	struct scene_days *sd = arg;
	int c;
	(void)kind;
	(void)name;
	if (sd->called || sd->failed)
		return;
	if ((c = api_reader_knows_calls(sd->s, sd->rd, day_id, &sd->e)) == -1)
		sd->failed = 1;
	else
		sd->called = c;
}

void
scenes_get(struct api_call *c)
{
	struct http_req *r = c->r;
	struct store *s = api_call_store(c);
	struct api_reader *rd = &c->rd;
	struct store_scene sc;
	struct scene_days sd;
	struct err e;
	json_t *j;
	int found;

	found = store_scene_get(s, rd->a.production.id, router_param(&r->match, "sid"), 0, &sc, &e);
	if (!api_found(r, found, &e, "scene"))
		return;
	/* as the list: all scenes for a scope of all, else those of the days the reader is on */
	sd = (struct scene_days){.s = s, .rd = rd};
	switch (api_scope(&rd->a, POLICY_RESOURCE_SCHEDULE, POLICY_ACTION_READ)) {
	case POLICY_SCOPE_ALL: sd.called = 1; break;
	case POLICY_SCOPE_CALLED:
		if (store_scene_holders(s, rd->a.production.id, sc.id, scene_day_called, &sd, &e) ==
		    -1) {
			api_unavailable(r, &e);
			return;
		}
		if (sd.failed) {
			api_unavailable(r, &sd.e);
			return;
		}
		break;
	default: break;
	}
	if (!sd.called) {
		http_end_problem(r, 403, "your role does not see this scene");
		return;
	}
	if (api_scene_synopsis_readable(rd, 1) &&
	    store_scene_get(s, rd->a.production.id, sc.id, 1, &sc, &e) != 1) {
		api_unavailable(r, &e);
		return;
	}
	if ((j = api_scene_json(s, &sc, &e)) == NULL) {
		api_unavailable(r, &e);
		return;
	}
	http_end_reply_json(r, 200, j);
}

/* ---- invitations ---- */

void
invitations_withdraw(struct api_call *c)
{
	const char *id = router_param(&c->r->match, "iid");
	struct err e;
	int done;

	if (api_call_begin(c) == -1)
		return;
	if ((done = store_invitation_withdraw(api_call_store(c), c->rd.a.production.id, id, &e)) ==
	    -1) {
		api_call_abort(c);
		api_unavailable(c->r, &e);
		return;
	}
	if (done == 0) {
		api_call_abort(c);
		http_end_problem(c->r, 404,
		                 "there is no such pending invitation in this production");
		return;
	}
	if (api_call_commit(c, NULL, id) == 0)
		http_end_reply(c->r, 204, NULL, NULL, 0);
}

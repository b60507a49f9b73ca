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
 * Each change is written in one transaction with its audit event, and the
 * check for holders runs inside that transaction, so nothing can take hold
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
	char *s = problem_json(409, detail, r->request_id, NULL);
	json_t *j = s != NULL ? json_loads(s, 0, NULL) : NULL;
	char *out;

	free(s);
	if (j == NULL) {
		json_decref(held_by);
		http_problem(r, 409, detail);
		return;
	}
	json_object_set_new(j, "held_by", held_by);
	out = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	http_reply(r, 409, "application/problem+json", out, out ? strlen(out) : 0);
	free(out);
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

/* 1 when rd may write res (scope all), else answers 403 and returns 0. */
static int
may(struct http_req *r, const struct api_reader *rd, enum policy_resource res, const char *detail)
{
	char action[64];

	if (api_scope(&rd->a, res, POLICY_ACTION_WRITE) == POLICY_SCOPE_ALL)
		return 1;
	snprintf(action, sizeof(action), "%s.write", policy_resource_name(res));
	session_audit(r, session_of(r)->session.user.id, action, r->path, "denied");
	http_problem(r, 403, detail);
	return 0;
}

/*
 * Deletes one record in a transaction: holders (NULL: none to ask) are
 * looked up first and refuse with 409; delete returns 1, or 0 for 404; the
 * audit event is written before the commit. Answers every case.
 */
struct undo_delete {
	const char *what;     /* "location", for 404 and 409 */
	const char *action;   /* the audit action */
	const char *held_why; /* the 409 detail's head */
	int (*holders)(struct store *, const char *, const char *, store_holder_fn, void *,
	               struct err *);
	int (*del)(struct store *, const char *, const char *, struct err *);
};

static void
run_delete(struct http_req *r, const char *prod, const char *id, const struct undo_delete *u)
{
	struct store *s = http_req_store(r);
	json_t *held = json_array();
	char detail[512];
	struct err e;
	int done;

	if (store_begin(s, &e) == -1)
		goto fail;
	if (u->holders != NULL && u->holders(s, prod, id, add_holder, held, &e) == -1)
		goto fail;
	if (json_array_size(held) > 0) {
		store_rollback(s);
		held_detail(detail, sizeof(detail), u->held_why, held);
		api_refuse_held(r, detail, held);
		return;
	}
	if ((done = u->del(s, prod, id, &e)) == -1)
		goto fail;
	if (done == 0) {
		store_rollback(s);
		json_decref(held);
		snprintf(detail, sizeof(detail), "there is no such %s in this production", u->what);
		http_problem(r, 404, detail);
		return;
	}
	session_audit(r, session_of(r)->session.user.id, u->action, id, "success");
	if (store_commit(s, &e) == -1)
		goto fail;
	json_decref(held);
	http_reply(r, 204, NULL, NULL, 0);
	return;
fail:
	store_rollback(s);
	json_decref(held);
	api_unavailable(r, &e);
}

void
days_delete(struct http_req *r)
{
	static const struct undo_delete u = {
	    "shoot day", "day.delete",
	    "a day whose call sheet has been published stays in the record; cancel it instead "
	    "(POST …/cancel)",
	    store_day_holders, store_day_delete};
	struct api_reader rd;

	if (api_reader_load(r, &rd) == -1)
		return;
	if (may(r, &rd, POLICY_RESOURCE_SCHEDULE, "your role cannot change the schedule"))
		run_delete(r, rd.a.production.id, router_param(&r->match, "did"), &u);
	api_reader_free(&rd);
}

void
scenes_delete(struct http_req *r)
{
	static const struct undo_delete u = {
	    "scene", "scene.delete", "the scene is on a shoot day; take it off the day first",
	    store_scene_holders, store_scene_delete};
	struct api_reader rd;

	if (api_reader_load(r, &rd) == -1)
		return;
	if (may(r, &rd, POLICY_RESOURCE_SCHEDULE, "your role cannot change the schedule"))
		run_delete(r, rd.a.production.id, router_param(&r->match, "sid"), &u);
	api_reader_free(&rd);
}

void
locations_delete(struct http_req *r)
{
	static const struct undo_delete u = {
	    "location", "location.delete",
	    "the location is used by a shoot day or a published call sheet; take it off the day "
	    "first",
	    store_location_holders, store_location_delete};
	struct api_reader rd;

	if (api_reader_load(r, &rd) == -1)
		return;
	if (may(r, &rd, POLICY_RESOURCE_LOCATION, "your role cannot change locations") &&
	    may(r, &rd, POLICY_RESOURCE_LOCATION_ADDRESS, "your role cannot change locations"))
		run_delete(r, rd.a.production.id, router_param(&r->match, "lid"), &u);
	api_reader_free(&rd);
}

/* store_department_holders at the present time, in the shape run_delete asks for. */
static int
department_holders_now(struct store *s, const char *prod, const char *id, store_holder_fn fn,
                       void *arg, struct err *e)
{
	return store_department_holders(s, prod, id, (long long)time(NULL), fn, arg, e);
}

void
departments_delete(struct http_req *r)
{
	static const struct undo_delete u = {
	    "department", "department.delete",
	    "the department still has people, members, pending invitations or sustainability "
	    "entries; move them first",
	    department_holders_now, store_department_delete};
	struct api_access a;

	if (api_production_access(r, &a) == -1)
		return;
	/* production settings: the instance administrator's right counts, as for create */
	if (api_scope(&a, POLICY_RESOURCE_PRODUCTION, POLICY_ACTION_WRITE) == POLICY_SCOPE_ALL)
		run_delete(r, a.production.id, router_param(&r->match, "did"), &u);
	else
		http_problem(r, 403, "your role cannot change this production's departments");
}

/* ---- cancelling a day ---- */

static void
set_cancelled(struct http_req *r, int on)
{
	struct store *s = http_req_store(r);
	struct api_reader rd;
	struct store_day d;
	struct err e;
	int done;

	if (api_reader_load(r, &rd) == -1)
		return;
	if (!may(r, &rd, POLICY_RESOURCE_SCHEDULE, "your role cannot change the schedule") ||
	    !api_load_day(r, &rd, router_param(&r->match, "did"), &d))
		goto out;
	if (store_begin(s, &e) == -1 ||
	    (done = store_day_set_cancelled(s, rd.a.production.id, d.id, on, &e)) == -1)
		goto fail;
	if (done == 0) { /* deleted since it was read */
		store_rollback(s);
		http_problem(r, 404, "there is no such shoot day in this production");
		goto out;
	}
	session_audit(r, session_of(r)->session.user.id, on ? "day.cancel" : "day.reinstate", d.id,
	              "success");
	if (store_commit(s, &e) == -1 || store_day_get(s, rd.a.production.id, d.id, &d, &e) != 1)
		goto fail;
	http_reply_json(r, 200, api_day_json(&d));
	goto out;
fail:
	store_rollback(s);
	api_unavailable(r, &e);
out:
	api_reader_free(&rd);
}

void
days_cancel(struct http_req *r)
{
	set_cancelled(r, 1);
}

void
days_reinstate(struct http_req *r)
{
	set_cancelled(r, 0);
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
scenes_get(struct http_req *r)
{
	struct store *s = http_req_store(r);
	struct api_reader rd;
	struct store_scene sc;
	struct scene_days sd;
	struct err e;
	json_t *j;
	int found;

	if (api_reader_load(r, &rd) == -1)
		return;
	found = store_scene_get(s, rd.a.production.id, router_param(&r->match, "sid"), 0, &sc, &e);
	if (!api_found(r, found, &e, "scene"))
		goto out;
	/* as the list: all scenes for a scope of all, else those of the days the reader is on */
	sd = (struct scene_days){.s = s, .rd = &rd};
	switch (api_scope(&rd.a, POLICY_RESOURCE_SCHEDULE, POLICY_ACTION_READ)) {
	case POLICY_SCOPE_ALL: sd.called = 1; break;
	case POLICY_SCOPE_CALLED:
		if (store_scene_holders(s, rd.a.production.id, sc.id, scene_day_called, &sd, &e) ==
		    -1) {
			api_unavailable(r, &e);
			goto out;
		}
		if (sd.failed) {
			api_unavailable(r, &sd.e);
			goto out;
		}
		break;
	default: break;
	}
	if (!sd.called) {
		http_problem(r, 403, "your role does not see this scene");
		goto out;
	}
	if (api_scene_synopsis_readable(&rd, 1) &&
	    store_scene_get(s, rd.a.production.id, sc.id, 1, &sc, &e) != 1) {
		api_unavailable(r, &e);
		goto out;
	}
	if ((j = api_scene_json(s, &sc, &e)) == NULL) {
		api_unavailable(r, &e);
		goto out;
	}
	http_reply_json(r, 200, j);
out:
	api_reader_free(&rd);
}

/* ---- invitations ---- */

void
invitations_withdraw(struct http_req *r)
{
	struct store *s = http_req_store(r);
	const char *id = router_param(&r->match, "iid");
	struct api_access a;
	struct err e;
	int done;

	if (api_production_access(r, &a) == -1)
		return;
	if (api_scope(&a, POLICY_RESOURCE_MEMBER, POLICY_ACTION_WRITE) != POLICY_SCOPE_ALL) {
		session_audit(r, session_of(r)->session.user.id, "member.write", a.production.id,
		              "denied");
		http_problem(r, 403, "your role cannot manage members");
		return;
	}
	if (store_begin(s, &e) == -1 ||
	    (done = store_invitation_withdraw(s, a.production.id, id, &e)) == -1)
		goto fail;
	if (done == 0) {
		store_rollback(s);
		http_problem(r, 404, "there is no such pending invitation in this production");
		return;
	}
	session_audit(r, session_of(r)->session.user.id, "invitation.withdraw", id, "success");
	if (store_commit(s, &e) == -1)
		goto fail;
	http_reply(r, 204, NULL, NULL, 0);
	return;
fail:
	store_rollback(s);
	api_unavailable(r, &e);
}

/*
 * admin.c — instance administration over the API.
 *
 * GET    /api/v1/admin/users                    every account
 * GET    /api/v1/admin/users/{id}/sessions      one account's live sessions
 * DELETE /api/v1/admin/users/{id}/sessions      end them (their next request is refused)
 * DELETE /api/v1/admin/sessions                 end every session of every account but the
 *                                               caller's own (an incident response lever)
 *
 * Instance administrators only; every other caller gets 403. Each action
 * is audited.
 */
#include <string.h>
#include <time.h>

#include "api/handlers.h"
#include "api/call.h"
#include "api/session.h"
#include "api/view.h"
#include "store/store.h"
#include "util/log.h"

static void
add_user(const struct store_user *u, void *arg)
{
	json_array_append_new(arg,
	                      json_pack("{s:s, s:s, s:s, s:b, s:b, s:b}", "id", u->id, "email",
	                                u->email, "display_name", u->display_name, "instance_admin",
	                                u->is_instance_admin, "disabled", u->disabled,
	                                "must_change_password", u->must_change_password));
}

/* Every route here is for the instance administrator (API_CHECK_INSTANCE_ADMIN, api/routes.c). */
void
admin_users(struct api_call *c)
{
	struct err e;
	json_t *arr = json_array();

	if (store_user_list(api_call_store(c), add_user, arr, &e) == -1) {
		json_decref(arr);
		http_end_problem(c->r, 503, "accounts are unavailable right now");
		return;
	}
	http_end_reply_json(c->r, 200, json_pack("{s:o}", "users", arr));
}

/* The account named by {id}: 0, or -1 after answering 404 or 503. */
static int
target(struct http_req *r, struct store_user *u)
{
	struct err e;
	int found = store_user_by_id(http_req_store(r), router_param(&r->match, "id"), u, &e);
	if (found == 1)
		return 0;
	if (found == 0)
		http_end_problem(r, 404, "there is no such account");
	else
		http_end_problem(r, 503, "accounts are unavailable right now");
	return -1;
}

static void
add_session(const struct store_session *s, void *arg)
{
	json_array_append_new(arg,
	                      json_pack("{s:s, s:s, s:o, s:o, s:o}", "id", s->id, "user_agent",
	                                s->user_agent, "created_at", api_time_json(s->created_at),
	                                "last_seen_at", api_time_json(s->last_seen_at),
	                                "expires_at", api_time_json(s->expires_at)));
}

/* A read that is audited (who looked at whose sessions). */
void
admin_user_sessions(struct api_call *c)
{
	struct store_user u;
	json_t *arr;
	struct err e;

	if (target(c->r, &u) == -1)
		return;
	arr = json_array();
	if (store_session_list(api_call_store(c), u.id, (long long)time(NULL), add_session, arr,
	                       &e) == -1) {
		json_decref(arr);
		http_end_problem(c->r, 503, "sessions are unavailable right now");
		return;
	}
	session_audit(c->r, c->actor, c->decl->audit, u.id, "success");
	http_end_reply_json(c->r, 200, json_pack("{s:o}", "sessions", arr));
}

/* Ends the sessions (n of them) in the transaction of c, then commits with the audit event. */
static void
ended(struct api_call *c, int n, const char *object)
{
	if (n == -1) {
		api_call_abort(c);
		http_end_problem(c->r, 503, "the sessions could not be ended; try again");
		return;
	}
	if (api_call_commit(c, NULL, object) == 0)
		http_end_reply_json(c->r, 200, json_pack("{s:i}", "ended", n));
}

void
admin_user_sessions_end(struct api_call *c)
{
	const struct api_auth *a = session_of(c->r);
	struct store_user u;
	struct err e;

	if (target(c->r, &u) == -1 || api_call_begin(c) == -1)
		return;
	/* an administrator ending their own sessions keeps the one in use */
	ended(c,
	      store_session_revoke_all(api_call_store(c), u.id,
	                               strcmp(u.id, a->session.user.id) == 0 ? a->session.id : NULL,
	                               (long long)time(NULL), &e),
	      u.id);
}

void
admin_sessions_end_all(struct api_call *c)
{
	struct err e;

	if (api_call_begin(c) == -1)
		return;
	ended(c,
	      store_session_revoke_everyone(api_call_store(c), session_of(c->r)->session.id,
	                                    (long long)time(NULL), &e),
	      NULL);
}

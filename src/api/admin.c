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
#include "api/session.h"
#include "api/view.h"
#include "store/store.h"
#include "util/log.h"

static int
instance_admin(struct http_req *r)
{
	const struct api_auth *a = session_of(r);
	if (a->session.user.is_instance_admin)
		return 1;
	session_audit(r, a->session.user.id, "admin.access", r->path, "denied");
	http_problem(r, 403, "instance administrators only");
	return 0;
}

static void
add_user(const struct store_user *u, void *arg)
{
	json_array_append_new(arg,
	                      json_pack("{s:s, s:s, s:s, s:b, s:b, s:b}", "id", u->id, "email",
	                                u->email, "display_name", u->display_name, "instance_admin",
	                                u->is_instance_admin, "disabled", u->disabled,
	                                "must_change_password", u->must_change_password));
}

void
admin_users(struct http_req *r)
{
	json_t *arr;
	struct err e;

	if (!instance_admin(r))
		return;
	arr = json_array();
	if (store_user_list(http_req_store(r), add_user, arr, &e) == -1) {
		json_decref(arr);
		http_problem(r, 503, "accounts are unavailable right now");
		return;
	}
	http_reply_json(r, 200, json_pack("{s:o}", "users", arr));
}

/* The account named by {id}; 404 when there is none. */
static int
target(struct http_req *r, struct store_user *u)
{
	struct err e;
	int found = store_user_by_id(http_req_store(r), router_param(&r->match, "id"), u, &e);
	if (found == 1)
		return 0;
	if (found == 0)
		http_problem(r, 404, "there is no such account");
	else
		http_problem(r, 503, "accounts are unavailable right now");
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

void
admin_user_sessions(struct http_req *r)
{
	struct store_user u;
	json_t *arr;
	struct err e;

	if (!instance_admin(r) || target(r, &u) == -1)
		return;
	arr = json_array();
	if (store_session_list(http_req_store(r), u.id, (long long)time(NULL), add_session, arr,
	                       &e) == -1) {
		json_decref(arr);
		http_problem(r, 503, "sessions are unavailable right now");
		return;
	}
	session_audit(r, session_of(r)->session.user.id, "admin.sessions_list", u.id, "success");
	http_reply_json(r, 200, json_pack("{s:o}", "sessions", arr));
}

void
admin_user_sessions_end(struct http_req *r)
{
	const struct api_auth *a = session_of(r);
	struct store_user u;
	struct err e;
	int n;

	if (!instance_admin(r) || target(r, &u) == -1)
		return;
	/* an administrator ending their own sessions keeps the one in use */
	n = store_session_revoke_all(http_req_store(r), u.id,
	                             strcmp(u.id, a->session.user.id) == 0 ? a->session.id : NULL,
	                             (long long)time(NULL), &e);
	if (n == -1) {
		http_problem(r, 503, "the sessions could not be ended; try again");
		return;
	}
	session_audit(r, a->session.user.id, "admin.sessions_end", u.id, "success");
	http_reply_json(r, 200, json_pack("{s:i}", "ended", n));
}

void
admin_sessions_end_all(struct http_req *r)
{
	const struct api_auth *a = session_of(r);
	struct err e;
	int n;

	if (!instance_admin(r))
		return;
	n = store_session_revoke_everyone(http_req_store(r), a->session.id, (long long)time(NULL),
	                                  &e);
	if (n == -1) {
		http_problem(r, 503, "the sessions could not be ended; try again");
		return;
	}
	session_audit(r, a->session.user.id, "admin.sessions_end_all", NULL, "success");
	http_reply_json(r, 200, json_pack("{s:i}", "ended", n));
}

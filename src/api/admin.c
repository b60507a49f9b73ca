/*
 * admin.c — instance administration over the API.
 *
 * GET    /api/v1/admin/users                    every account
 * GET    /api/v1/admin/users/{id}/sessions      one account's live sessions
 * DELETE /api/v1/admin/users/{id}/sessions      end them (their next request is refused)
 * DELETE /api/v1/admin/sessions                 end every session of every account but the
 *                                               caller's own (an incident response lever)
 * POST   /api/v1/admin/users                    add an account {email, display_name?,
 *                                               instance_admin?} → 201, its one-time password
 *                                               shown once
 * POST   /api/v1/admin/users/{id}/disable       it can no longer sign in; its sessions, API
 *                                               tokens and reset links end now
 * POST   /api/v1/admin/users/{id}/enable        it can sign in again (nothing it had comes back;
 *                                               a closed account is reopened)
 * POST   /api/v1/admin/users/{id}/close         closes it (domain/accounts.h accounts_close):
 *                                               deleted for good after the grace period
 * POST   /api/v1/admin/users/{id}/reopen        calls a closure off, within the grace period
 *
 * Instance administrators only; every other caller gets 403. Each action
 * is audited. Adding follows exactly the rules of `slate user add`
 * (domain/accounts.h, one code path for both); disabling is `slate user
 * disable`'s store call. An administrator cannot disable their own account
 * (403): the instance would risk losing its last administrator, and the
 * caller their own session mid-action; another administrator or the shell
 * can.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/handlers.h"
#include "api/call.h"
#include "api/reply.h"
#include "api/session.h"
#include "api/view.h"
#include "backup/erasure.h"
#include "domain/accounts.h"
#include "store/store.h"
#include "util/log.h"
#include "util/xalloc.h"

static json_t *
user_json(const struct store_user *u)
{
	return json_pack("{s:s, s:s, s:s, s:b, s:b, s:b}", "id", u->id, "email", u->email,
	                 "display_name", u->display_name, "instance_admin", u->is_instance_admin,
	                 "disabled", u->disabled, "must_change_password", u->must_change_password);
}

static void
add_user(const struct store_user *u, void *arg)
{
	json_array_append_new(arg, user_json(u));
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

struct add_job {
	struct job job;
	struct http_req *r;
	struct accounts_new n;
	struct password_cost cost;
	int failed;
};

/* Argon2id, off the loop: slow on purpose. */
static void
add_work(struct job *j)
{
	struct add_job *aj = (struct add_job *)j;
	struct err e;
	aj->failed = accounts_hash(&aj->n, &aj->cost, &e) == -1;
}

static void
add_done(struct job *j)
{
	struct add_job *aj = (struct add_job *)j;
	struct http_req *r = aj->r;
	struct store *s = http_req_store(r);
	struct err e;

	if (aj->failed) {
		http_end_problem(r, 500, "the account could not be added");
		goto out;
	}
	if (store_begin(s, &e) == -1)
		goto fail;
	if (accounts_create(s, &aj->n, &e) == -1) {
		store_rollback(s);
		if (e.status == 409)
			api_refuse(r, &e, "the account was not added");
		else
			api_unavailable(r, &e);
		goto out;
	}
	if (api_audit_in(r, accounts_action(&aj->n), aj->n.u.id, &e) == -1 ||
	    store_commit(s, &e) == -1)
		goto fail;
	http_end_reply_json(r, 201, accounts_json(&aj->n));
	goto out;
fail:
	store_rollback(s);
	log_event(LOG_ERROR, "account not added", LOG_STR("error", e.msg), LOG_END);
	http_end_problem(r, 503, "the account could not be added; try again");
out:
	accounts_wipe(&aj->n);
	free(aj);
}

/* The body is declared in api/routes.c; the rules are domain/accounts.h's. */
void
admin_users_add(struct api_call *c)
{
	struct add_job *aj = xcalloc(1, sizeof(*aj));
	struct err e;

	if (accounts_prepare(&aj->n, json_string_value(json_object_get(c->body, "email")),
	                     json_string_value(json_object_get(c->body, "display_name")), NULL,
	                     json_is_true(json_object_get(c->body, "instance_admin")), &e) == -1) {
		accounts_wipe(&aj->n);
		free(aj);
		api_refuse(c->r, &e, "the account was not added");
		return;
	}
	aj->r = c->r;
	aj->cost = password_cost_of(http_req_config(c->r));
	aj->job.work = add_work;
	aj->job.done = add_done;
	http_defer(c->r, &aj->job);
}

/*
 * Disables or enables the account {id} (disable 1 or 0); audited only when it
 * changed. 200 with the account as it is now.
 */
static void
set_disabled(struct api_call *c, int disable)
{
	struct store_user u;
	struct err e;
	int changed;

	if (target(c->r, &u) == -1)
		return;
	if (disable && strcmp(u.id, c->actor) == 0) {
		session_audit(c->r, c->actor, c->decl->audit, u.id, "denied");
		http_end_problem(c->r, 403,
		                 "you cannot disable your own account; another administrator can");
		return;
	}
	if (api_call_begin(c) == -1)
		return;
	changed = disable ? store_user_disable(api_call_store(c), u.id, (long long)time(NULL), &e)
	                  : store_user_enable(api_call_store(c), u.id, &e);
	if (changed == -1) {
		api_call_abort(c);
		api_unavailable(c->r, &e);
		return;
	}
	if (changed == 0)
		api_call_abort(c); /* already so: nothing to record */
	else if (api_call_commit(c, NULL, u.id) == -1)
		return;
	u.disabled = disable;
	http_end_reply_json(c->r, 200, user_json(&u));
}

void
admin_user_disable(struct api_call *c)
{
	set_disabled(c, 1);
}

void
admin_user_enable(struct api_call *c)
{
	set_disabled(c, 0);
}

/* The account's closure as the answers show it: {closed_at, deletion_due}. */
static json_t *
closure_json(const struct store_user *u, long long closed_at, long long due)
{
	json_t *j = user_json(u);
	json_object_set_new(j, "closed_at", api_time_json(closed_at));
	json_object_set_new(j, "deletion_due", api_time_json(due));
	return j;
}

void
admin_user_close(struct api_call *c)
{
	const struct config *cfg = http_req_config(c->r);
	long long now = (long long)time(NULL), due = 0;
	struct store_user u;
	json_t *held = NULL;
	struct err e;
	int rc;

	if (target(c->r, &u) == -1)
		return;
	if (strcmp(u.id, c->actor) == 0) {
		session_audit(c->r, c->actor, c->decl->audit, u.id, "denied");
		http_end_problem(
		    c->r, 403,
		    "close your own account from your own details (POST /api/v1/me/close)");
		return;
	}
	if (api_call_begin(c) == -1)
		return;
	rc = accounts_close(api_call_store(c), u.id, u.email, 0, now, erasure_grace(cfg),
	                    cfg->public_url, &due, &held, &e);
	if (rc != 1) {
		api_call_abort(c);
		if (held != NULL)
			api_refuse_held(c->r, e.msg, held);
		else if (rc == 0)
			http_end_problem(c->r, 409, "the account is closed already");
		else
			api_unavailable(c->r, &e);
		return;
	}
	if (api_call_commit(c, NULL, u.id) == -1)
		return;
	u.disabled = 1;
	http_end_reply_json(c->r, 200, closure_json(&u, now, due));
}

void
admin_user_reopen(struct api_call *c)
{
	struct store_user u;
	struct err e;
	int rc;

	if (target(c->r, &u) == -1 || api_call_begin(c) == -1)
		return;
	if ((rc = store_user_reopen(api_call_store(c), u.id, (long long)time(NULL), &e)) != 1) {
		api_call_abort(c);
		if (rc == -1)
			api_unavailable(c->r, &e);
		else
			http_end_problem(
			    c->r, 409, "the account is not closed, or its deletion is due already");
		return;
	}
	if (api_call_commit(c, NULL, u.id) == -1)
		return;
	u.disabled = 0;
	http_end_reply_json(c->r, 200, user_json(&u));
}

/*
 * me.c — the signed-in account: who am I, my password, my sessions.
 *
 * GET    /api/v1/me                 the account and the CSRF token
 * POST   /api/v1/me/password        {"current_password", "new_password"}
 * GET    /api/v1/me/sessions        live sessions, the current one marked
 * DELETE /api/v1/me/sessions        end every session ("sign out everywhere")
 * DELETE /api/v1/me/sessions/{id}   end one session
 * POST   /api/v1/me/close           {"password", "totp"?}: close the account (issue 22)
 *
 * A password change needs the current password, must pass the policy
 * (crypto/password.h), ends every other session, every API token and every
 * outstanding password-reset link of the account, and replaces the current
 * session with a new one (a new token at every privilege change). It also
 * lifts "must change password" from the first administrator's one-time
 * password. "Sign out everywhere" ends the API tokens too.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/handlers.h"
#include "api/call.h"
#include "api/mfa.h"
#include "api/reply.h"
#include "api/session.h"
#include "api/view.h"
#include "backup/erasure.h"
#include "crypto/password.h"
#include "domain/accounts.h"
#include "store/store.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/xalloc.h"

static json_t *
user_json(const struct store_user *u)
{
	return json_pack("{s:s, s:s, s:s, s:b}", "id", u->id, "email", u->email, "display_name",
	                 u->display_name, "instance_admin", u->is_instance_admin);
}

/* Every route here is the caller's own account (API_CHECK_SELF, api/routes.c). */
void
me_get(struct api_call *c)
{
	const struct api_auth *a = session_of(c->r);
	if (session_email(c->r) == NULL) {
		http_end_problem(c->r, 503, "your account cannot be read right now");
		return;
	}
	http_end_reply_json(c->r, 200,
	                    json_pack("{s:o, s:b, s:{s:b, s:b}, s:s}", "user",
	                              user_json(&a->session.user), "must_change_password",
	                              a->session.user.must_change_password, "mfa", "enrolled",
	                              a->session.mfa_enrolled, "required", a->session.mfa_required,
	                              "csrf_token", a->csrf));
}

struct password_job {
	struct job job;
	struct http_req *r;
	struct secret current, next;
	char stored[PASSWORD_HASH_MAX]; /* copied: work never touches the request */
	char hash[PASSWORD_HASH_MAX];
	struct password_cost cost;
	int current_ok;
	int failed;
};

/* Both Argon2id runs happen here, off the loop: they are slow on purpose. */
static void
password_work(struct job *j)
{
	struct password_job *pj = (struct password_job *)j;
	struct err e;

	pj->current_ok = password_verify(pj->stored, (const char *)pj->current.p, pj->current.len);
	if (pj->current_ok &&
	    password_hash((const char *)pj->next.p, pj->next.len, &pj->cost, pj->hash, &e) == -1)
		pj->failed = 1;
}

static void
password_done(struct job *j)
{
	struct password_job *pj = (struct password_job *)j;
	struct http_req *r = pj->r;
	const struct api_auth *a = session_of(r);
	struct store *s = http_req_store(r);
	char csrf[TOKEN_TEXT_LEN];
	long long now = (long long)time(NULL);
	struct err e;

	secret_free(&pj->current);
	secret_free(&pj->next);
	if (!pj->current_ok) {
		session_audit(r, a->session.user.id, "auth.password_change", NULL, "failure");
		http_end_problem(r, 403, "the current password is not right");
		goto out;
	}
	if (pj->failed) {
		http_end_problem(r, 500, "the password could not be changed");
		goto out;
	}
	if (store_begin(s, &e) == -1 ||
	    store_user_set_password(s, a->session.user.id, pj->hash, 0, &e) == -1 ||
	    store_session_revoke_all(s, a->session.user.id, NULL, now, &e) == -1 ||
	    store_token_revoke_all(s, a->session.user.id, now, &e) == -1 ||
	    store_reset_revoke_all(s, a->session.user.id, now, &e) == -1 ||
	    session_start(r, a->session.user.id, csrf, &e) == -1 ||
	    api_audit_in(r, "auth.password_change", NULL, &e) == -1 || store_commit(s, &e) == -1) {
		store_rollback(s);
		log_event(LOG_ERROR, "password change failed", LOG_STR("error", e.msg), LOG_END);
		http_end_problem(r, 503, "the password could not be changed; try again");
		goto out;
	}
	http_end_reply_json(r, 200, json_pack("{s:s}", "csrf_token", csrf));
out:
	sodium_memzero(pj, sizeof(*pj));
	free(pj);
}

/* The body (both passwords, required) is declared in api/routes.c. */
void
me_password(struct api_call *c)
{
	struct http_req *r = c->r;
	const struct api_auth *a = session_of(r);
	json_t *body = c->body;
	struct password_job *pj;
	const char *next;
	struct err e;

	next = json_string_value(json_object_get(body, "new_password"));
	if (session_email(r) == NULL) {
		json_decref(body);
		http_end_problem(r, 503, "your account cannot be read right now");
		return;
	}
	if (password_acceptable(next, a->session.user.email, &e) == -1) {
		json_t *errs =
		    json_pack("[{s:s, s:s}]", "pointer", "/new_password", "detail", e.msg);
		http_end_problem_errors(r, 400, "the new password is not acceptable", errs);
		return;
	}
	pj = xcalloc(1, sizeof(*pj));
	pj->r = r;
	memcpy(pj->stored, a->session.user.password_hash, sizeof(pj->stored));
	pj->cost = password_cost_of(http_req_config(r));
	secret_take_string(&pj->current,
	                   (char *)json_string_value(json_object_get(body, "current_password")));
	secret_take_string(&pj->next, (char *)next);
	sodium_memzero(r->body, r->body_len);
	pj->job.work = password_work;
	pj->job.done = password_done;
	http_defer(r, &pj->job);
}

/*
 * POST /api/v1/me/close {"password", "totp"?}: the person closes their own
 * account (domain/accounts.h accounts_close). The password again, and the
 * second factor when the account has one: a session left open on a shared
 * computer must not be enough to close someone's account. 200 with when
 * it closed and when it will be deleted; the cookie goes with the session.
 */
struct close_job {
	struct job job;
	struct http_req *r;
	struct secret password;
	char stored[PASSWORD_HASH_MAX];
	char totp[32];
	int ok;
};

static void
close_work(struct job *j)
{
	struct close_job *cj = (struct close_job *)j;
	cj->ok = password_verify(cj->stored, (const char *)cj->password.p, cj->password.len);
}

/* The second factor of an account that has one: 1 fine (or none), 0 refused, -1 unavailable. */
static int
close_factor(struct store *s, const char *user_id, const char *code, struct err *e)
{
	struct store_totp t;
	int found = store_totp_get(s, user_id, &t, e);
	sodium_memzero(t.secret, sizeof(t.secret));
	if (found != 1 || !t.confirmed)
		return found == -1 ? -1 : 1;
	return code[0] == '\0' ? 0 : mfa_verify(s, user_id, code, e);
}

static void
close_done(struct job *j)
{
	struct close_job *cj = (struct close_job *)j;
	struct http_req *r = cj->r;
	const struct api_auth *a = session_of(r);
	const struct config *cfg = http_req_config(r);
	struct store *s = http_req_store(r);
	long long now = (long long)time(NULL), due = 0;
	json_t *held = NULL;
	struct err e;
	int rc;

	secret_free(&cj->password);
	if (!cj->ok || (rc = close_factor(s, a->session.user.id, cj->totp, &e)) == 0) {
		session_audit(r, a->session.user.id, "account.close", a->session.user.id,
		              "failure");
		http_end_problem_errors(
		    r, 403, "your account was not closed",
		    json_pack("[{s:s, s:s}]", "pointer", cj->ok ? "/totp" : "/password", "detail",
		              cj->ok ? "is not a current code of your authenticator app"
		                     : "is not your password"));
		goto out;
	}
	if (rc == -1 || store_begin(s, &e) == -1) {
		api_unavailable(r, &e);
		goto out;
	}
	rc = accounts_close(s, a->session.user.id, a->session.user.email, 1, now,
	                    erasure_grace(cfg), cfg->public_url, &due, &held, &e);
	if (rc != 1 || api_audit_in(r, "account.close", a->session.user.id, &e) == -1 ||
	    store_commit(s, &e) == -1) {
		store_rollback(s);
		if (held != NULL)
			api_refuse_held(r, e.msg, held);
		else if (rc == 0)
			http_end_problem(r, 409, "the account is closed already");
		else
			api_unavailable(r, &e);
		goto out;
	}
	session_clear_cookie(r);
	http_end_reply_json(r, 200,
	                    json_pack("{s:o, s:o}", "closed_at", api_time_json(now), "deletion_due",
	                              api_time_json(due)));
out:
	sodium_memzero(cj, sizeof(*cj));
	free(cj);
}

void
me_close(struct api_call *c)
{
	struct http_req *r = c->r;
	const struct api_auth *a = session_of(r);
	struct close_job *cj;

	if (session_email(r) == NULL) {
		http_end_problem(r, 503, "your account cannot be read right now");
		return;
	}
	cj = xcalloc(1, sizeof(*cj));
	cj->r = r;
	memcpy(cj->stored, a->session.user.password_hash, sizeof(cj->stored));
	snprintf(cj->totp, sizeof(cj->totp), "%s",
	         json_string_value(json_object_get(c->body, "totp")) != NULL
	             ? json_string_value(json_object_get(c->body, "totp"))
	             : "");
	secret_take_string(&cj->password,
	                   (char *)json_string_value(json_object_get(c->body, "password")));
	sodium_memzero(r->body, r->body_len);
	cj->job.work = close_work;
	cj->job.done = close_done;
	http_defer(r, &cj->job);
}

struct list_ctx {
	json_t *arr;
	const char *current;
};

static void
add_session(const struct store_session *ses, void *arg)
{
	struct list_ctx *c = arg;
	json_array_append_new(c->arr, json_pack("{s:s, s:s, s:o, s:o, s:o, s:b}", "id", ses->id,
	                                        "user_agent", ses->user_agent, "created_at",
	                                        api_time_json(ses->created_at), "last_seen_at",
	                                        api_time_json(ses->last_seen_at), "expires_at",
	                                        api_time_json(ses->expires_at), "current",
	                                        strcmp(ses->id, c->current) == 0));
}

json_t *
me_sessions_json(struct store *s, const char *user_id, const char *current, struct err *e)
{
	struct list_ctx c = {json_array(), current};
	if (store_session_list(s, user_id, (long long)time(NULL), add_session, &c, e) == -1) {
		json_decref(c.arr);
		return NULL;
	}
	return c.arr;
}

void
me_sessions_list(struct api_call *ac)
{
	const struct api_auth *a = session_of(ac->r);
	struct err e;
	json_t *arr = me_sessions_json(api_call_store(ac), a->session.user.id, a->session.id, &e);

	if (arr == NULL) {
		http_end_problem(ac->r, 503, "sessions are unavailable right now");
		return;
	}
	http_end_reply_json(ac->r, 200, json_pack("{s:o}", "sessions", arr));
}

void
me_sessions_end_all(struct api_call *c)
{
	struct store *s = api_call_store(c);
	long long now = (long long)time(NULL);
	struct err e;

	/* "everywhere" includes the integrations: the account's API tokens end too */
	if (store_begin(s, &e) == -1 ||
	    store_session_revoke_all(s, c->actor, NULL, now, &e) == -1 ||
	    store_token_revoke_all(s, c->actor, now, &e) == -1) {
		api_call_abort(c);
		http_end_problem(c->r, 503, "the sessions could not be ended; try again");
		return;
	}
	if (api_call_commit(c, NULL, NULL) == -1)
		return;
	session_clear_cookie(c->r);
	http_end_reply(c->r, 204, NULL, NULL, 0);
}

void
me_sessions_end_one(struct api_call *c)
{
	const struct api_auth *a = session_of(c->r);
	const char *id = router_param(&c->r->match, "id");
	struct err e;
	int n;

	if (api_call_begin(c) == -1)
		return;
	n = store_session_revoke(api_call_store(c), c->actor, id, (long long)time(NULL), &e);
	if (n == -1) {
		api_call_abort(c);
		http_end_problem(c->r, 503, "the session could not be ended; try again");
		return;
	}
	if (n == 0) { /* not this user's, or already ended: the same answer */
		api_call_abort(c);
		http_end_problem(c->r, 404, "there is no such session");
		return;
	}
	if (api_call_commit(c, NULL, id) == -1)
		return;
	if (strcmp(id, a->session.id) == 0)
		session_clear_cookie(c->r);
	http_end_reply(c->r, 204, NULL, NULL, 0);
}

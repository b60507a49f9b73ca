/*
 * auth.c — signing in and out.
 *
 * POST /api/v1/auth/login {"email", "password", "totp"?}. The Argon2id
 * check runs on the worker pool; the loop only looks the account up and
 * answers. An unknown email, a wrong password and a disabled account all
 * get the same 401 body after the same amount of work (an unknown email
 * pays for one hash of a fixed password), so the answer tells an attacker
 * nothing about which accounts exist. A sign-in from another site's page is
 * refused (login CSRF).
 *
 * POST /api/v1/auth/logout ends the session on the server and clears the
 * cookie, and tells the browser to clear what it kept for the site
 * (Clear-Site-Data: "cache", "storage").
 */
#include <sodium.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/call.h"
#include "api/handlers.h"
#include "api/mfa.h"
#include "api/reply.h"
#include "api/session.h"
#include "crypto/password.h"
#include "domain/throttle.h"
#include "store/store.h"
#include "util/email.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

struct login_job {
	struct job job;
	struct http_req *r;
	char account_key[TOKEN_HASH_LEN];
	char source[64]; /* the throttle's name for the peer (domain/throttle.h) */
	char totp[32];   /* the second factor as sent, "" when none */
	struct secret password;
	int found;
	int ok;
	struct password_cost cost;
	char rehash[PASSWORD_HASH_MAX]; /* a new hash at the configured cost, or "" */
	struct store_user user;
	int closed;                   /* the account is closed (user.disabled is set too) */
	struct store_closure closure; /* when closed */
	int reopen;                   /* the body asked to reopen a closed account */
};

static void
login_work(struct job *j)
{
	struct login_job *lj = (struct login_job *)j;
	struct err e;
	if (lj->found)
		lj->ok = password_verify(lj->user.password_hash, (const char *)lj->password.p,
		                         lj->password.len);
	else
		password_burn(&lj->cost);
	/* the configured cost rose since this hash was made: make it again now */
	if (lj->ok && password_needs_rehash(lj->user.password_hash, &lj->cost) &&
	    password_hash((const char *)lj->password.p, lj->password.len, &lj->cost, lj->rehash,
	                  &e) == -1)
		lj->rehash[0] = '\0';
}

static void
record_failure(struct http_req *r, struct login_job *lj)
{
	long long now = (long long)time(NULL);
	struct err e;
	if (store_login_failed(http_req_store(r), lj->account_key, lj->source, now,
	                       now - THROTTLE_WINDOW, &e) == -1)
		log_event(LOG_ERROR, "failure not recorded", LOG_STR("error", e.msg), LOG_END);
}

/*
 * After the right password: an account with a confirmed second factor also
 * needs a code. Returns 1 to go on, 0 after answering 401 (no code, or a
 * wrong one: the latter counts as a failed sign-in), -1 after answering 503.
 */
static int
second_factor(struct http_req *r, struct login_job *lj)
{
	struct store_totp t;
	struct err e;
	int found = store_totp_get(http_req_store(r), lj->user.id, &t, &e), ok;

	sodium_memzero(t.secret, sizeof(t.secret));
	if (found == -1) {
		http_end_problem(r, 503, "sign-in is unavailable right now");
		return -1;
	}
	if (!found || !t.confirmed)
		return 1;
	if (lj->totp[0] == '\0') {
		http_end_problem_errors(r, 401, "a code from the authenticator app is needed",
		                        json_pack("[{s:s, s:s}]", "pointer", "/totp", "detail",
		                                  "is required for this account"));
		return 0;
	}
	ok = mfa_verify(http_req_store(r), lj->user.id, lj->totp, &e);
	if (ok == -1) {
		http_end_problem(r, 503, "sign-in is unavailable right now");
		return -1;
	}
	if (ok == 0) {
		record_failure(r, lj);
		session_audit(r, lj->user.id, "auth.login", "second factor", "failure");
		http_end_problem_errors(
		    r, 401, "the code is not right",
		    json_pack("[{s:s, s:s}]", "pointer", "/totp", "detail",
		              "is not a current code or an unused recovery code"));
		return 0;
	}
	return 1;
}

/*
 * The right password (and second factor) for an account its person closed,
 * within the grace period. Without "reopen": true the answer is 409 saying
 * so and when it will be deleted (only the account's own person, who just
 * proved it, learns that it is closed). With it, the account is opened
 * again (its audit event in the same transaction) and the sign-in goes on:
 * 1. 0 or -1 after answering.
 */
static int
reopen(struct http_req *r, struct login_job *lj, long long now)
{
	struct store *s = http_req_store(r);
	char due[TIMEFMT_LEN];
	struct err e;

	if (!lj->reopen) {
		time_rfc3339((time_t)lj->closure.deletion_due, due);
		session_audit(r, lj->user.id, "auth.login", "closed account", "denied");
		api_end_problem_with(r, 409,
		                     "this account is closed and will be deleted at deletion_due; "
		                     "sign in again with \"reopen\": true to reopen it",
		                     "deletion_due", json_string(due));
		return 0;
	}
	if (store_begin(s, &e) == -1 || store_user_reopen(s, lj->user.id, now, &e) != 1 ||
	    api_audit_as(r, lj->user.id, "account.reopen", lj->user.id, &e) == -1 ||
	    store_commit(s, &e) == -1) {
		store_rollback(s);
		log_event(LOG_ERROR, "account not reopened", LOG_STR("error", e.msg), LOG_END);
		http_end_problem(r, 503, "the account could not be reopened; try again");
		return -1;
	}
	lj->user.disabled = 0;
	return 1;
}

static void
login_done(struct job *j)
{
	struct login_job *lj = (struct login_job *)j;
	struct http_req *r = lj->r;
	char csrf[TOKEN_TEXT_LEN];
	long long now = (long long)time(NULL);
	struct err e;
	json_t *body;
	int reopenable;

	secret_free(&lj->password);
	/* a closed account its person may reopen: the right password and second factor first */
	reopenable = lj->closed && lj->closure.by_self && lj->closure.deletion_due > now;
	if (lj->found && lj->ok && (!lj->user.disabled || reopenable) &&
	    second_factor(r, lj) != 1) /* answered; a wrong code counts as a failure */
		goto out;
	if (lj->found && lj->ok && reopenable && reopen(r, lj, now) != 1)
		goto out; /* answered: closed (asked to confirm), or unavailable */
	if (!lj->found || !lj->ok || lj->user.disabled) {
		record_failure(r, lj);
		session_audit(r, lj->found ? lj->user.id : NULL, "auth.login", NULL, "failure");
		http_end_problem(r, 401, "the email or password is not right");
		goto out;
	}
	if (session_start(r, lj->user.id, csrf, &e) == -1) {
		log_event(LOG_ERROR, "session not created", LOG_STR("error", e.msg), LOG_END);
		http_end_problem(r, e.status == 503 ? 503 : 500,
		                 "the session could not be created");
		goto out;
	}
	if (lj->rehash[0] != '\0' &&
	    store_user_set_password(http_req_store(r), lj->user.id, lj->rehash,
	                            lj->user.must_change_password, &e) == -1)
		log_event(LOG_WARN, "password not re-hashed", LOG_STR("error", e.msg), LOG_END);
	if (store_login_succeeded(http_req_store(r), lj->account_key, lj->source, now, &e) == -1)
		log_event(LOG_ERROR, "success not recorded", LOG_STR("error", e.msg), LOG_END);
	session_audit(r, lj->user.id, "auth.login", NULL, "success");
	body = json_pack("{s:{s:s, s:s, s:s, s:b}, s:b, s:s}", "user", "id", lj->user.id, "email",
	                 lj->user.email, "display_name", lj->user.display_name, "instance_admin",
	                 lj->user.is_instance_admin, "must_change_password",
	                 lj->user.must_change_password, "csrf_token", csrf);
	http_end_reply_json(r, 200, body);
out:
	sodium_memzero(lj, sizeof(*lj));
	free(lj);
}

/*
 * Answers 429 and returns 1 when this account and source must wait (before
 * any Argon2id work: a refused attempt costs one indexed read); fills
 * key (the throttle's name for the account) either way.
 */
static int
throttled(struct http_req *r, const char *email, char key[TOKEN_HASH_LEN], const char *source)
{
	const struct config *c = http_req_config(r);
	struct throttle_policy p = {c->login_free_failures, c->login_backoff_max,
	                            c->login_max_failures, c->login_address_accounts};
	struct store_login_state rec;
	struct throttle_state st;
	long long now = (long long)time(NULL);
	char norm[256], after[24];
	struct err e;
	long wait;

	email_normalise(email, norm, sizeof(norm));
	token_hash(norm, key);
	if (store_login_state(http_req_store(r), key, source, now - THROTTLE_WINDOW, &rec, &e) ==
	    -1) {
		log_event(LOG_ERROR, "sign-in state unavailable", LOG_STR("error", e.msg), LOG_END);
		http_end_problem(r, 503, "sign-in is unavailable right now");
		return 1;
	}
	throttle_state_of(&rec, &st);
	if ((wait = throttle_wait(&p, &st, now)) == 0)
		return 0;
	snprintf(after, sizeof(after), "%ld", wait);
	http_add_header(r, "Retry-After", after);
	session_audit(r, NULL, "auth.login", NULL, "throttled");
	http_end_problem(r, 429, "too many failed sign-ins; wait before trying again");
	return 1;
}

void
auth_login(struct api_call *c)
{
	struct http_req *r = c->r;
	json_t *body = c->body;
	struct login_job *lj;
	const char *pw;
	struct err e;
	int found;

	lj = xcalloc(1, sizeof(*lj));
	lj->r = r;
	lj->cost = password_cost_of(http_req_config(r));
	throttle_source(r->peer, lj->source, sizeof(lj->source));
	if (throttled(r, json_string_value(json_object_get(body, "email")), lj->account_key,
	              lj->source)) {
		free(lj);
		return;
	}
	found = store_user_by_email(
	    http_req_store(r), json_string_value(json_object_get(body, "email")), &lj->user, &e);
	if (found == -1) {
		free(lj);
		log_event(LOG_ERROR, "login lookup failed", LOG_STR("error", e.msg), LOG_END);
		http_end_problem(r, e.status == 503 ? 503 : 500,
		                 "sign-in is unavailable right now");
		return;
	}
	lj->found = found;
	if (found && lj->user.disabled &&
	    (lj->closed = store_user_closure(http_req_store(r), lj->user.id, &lj->closure, &e)) ==
	        -1) {
		free(lj);
		log_event(LOG_ERROR, "login lookup failed", LOG_STR("error", e.msg), LOG_END);
		http_end_problem(r, 503, "sign-in is unavailable right now");
		return;
	}
	lj->reopen = json_is_true(json_object_get(body, "reopen"));
	if (json_object_get(body, "totp") != NULL)
		snprintf(lj->totp, sizeof(lj->totp), "%s",
		         json_string_value(json_object_get(body, "totp")));
	pw = json_string_value(json_object_get(body, "password"));
	secret_take_string(&lj->password, (char *)pw);
	sodium_memzero(r->body, r->body_len);
	lj->job.work = login_work;
	lj->job.done = login_done;
	http_defer(r, &lj->job);
}

void
auth_logout(struct api_call *c)
{
	struct http_req *r = c->r;
	const struct api_auth *a = session_of(r);
	struct store *s = api_call_store(c);
	struct err e;

	/* the session ends with its audit event, or not at all */
	if (store_begin(s, &e) == -1 ||
	    store_session_revoke(s, a->session.user.id, a->session.id, (long long)time(NULL), &e) ==
	        -1 ||
	    api_audit_in(r, c->decl->audit, a->session.id, &e) == -1 || store_commit(s, &e) == -1) {
		store_rollback(s);
		log_event(LOG_ERROR, "logout failed", LOG_STR("error", e.msg), LOG_END);
		http_end_problem(r, 503, "the session could not be ended; try again");
		return;
	}
	session_clear_cookie(r);
	/* and the browser forgets what the web app kept: its caches, storage and service worker */
	http_add_header(r, "Clear-Site-Data", "\"cache\", \"storage\"");
	http_end_reply(r, 204, NULL, NULL, 0);
}

/*
 * reset.c — a forgotten password.
 *
 * POST /api/v1/auth/password-reset           {email} → 202, always the same
 * POST /api/v1/auth/password-reset/complete  {token, new_password} → 204
 *
 * The request answers identically whether or not the account exists. For
 * an account that does (and is not disabled) it creates a single-use link
 * valid 30 minutes and queues a message with it (notify/notify.h) in the
 * same transaction; at most RESET_PER_HOUR links an hour per account, so
 * nobody can flood someone's mailbox. The link carries the token in the
 * URL fragment, which browsers never send to a server or a Referer.
 *
 * Completing checks the link and the policy, hashes on the worker pool,
 * then spends the link, sets the password and ends every session of the
 * account, atomically: a link works once, even when two completions race.
 * A second factor still applies at the next sign-in.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "api/session.h"
#include "crypto/password.h"
#include "crypto/token.h"
#include "notify/notify.h"
#include "store/store.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/xalloc.h"

#define RESET_LIFETIME (30L * 60L)
#define RESET_PER_HOUR 5

static const struct json_field request_fields[] = {
    {"email", JF_STRING, 1, 254},
};

static void
queue_link(struct http_req *r, const struct store_user *u)
{
	const struct config *c = http_req_config(r);
	struct store *s = http_req_store(r);
	char token[TOKEN_TEXT_LEN], hash[TOKEN_HASH_LEN];
	long long now = (long long)time(NULL);
	char *body = NULL;
	struct err e;
	long recent = 0;

	if (store_reset_count(s, u->id, now - 3600, &recent, &e) == -1)
		goto fail;
	if (recent >= RESET_PER_HOUR) {
		session_audit(r, u->id, "auth.password_reset_request", NULL, "throttled");
		return;
	}
	token_new(token, hash);
	body = xasprintf("Hello %s,\n\nSomeone (we hope you) asked to reset the password of your "
	                 "Slate account.\nThis link works once, for 30 minutes:\n\n  "
	                 "%s/reset-password#token=%s\n\nIf it was not you, ignore this message: "
	                 "your password stays as it is.\n",
	                 u->display_name, c->public_url, token);
	sodium_memzero(token, sizeof(token));
	if (store_begin(s, &e) == -1 ||
	    store_reset_create(s, u->id, hash, now, RESET_LIFETIME, &e) == -1 ||
	    notify_enqueue(s, u->email, "Reset your Slate password", body, &e) == -1 ||
	    store_commit(s, &e) == -1) {
		store_rollback(s);
		goto fail;
	}
	session_audit(r, u->id, "auth.password_reset_request", NULL, "success");
	goto out;
fail:
	log_event(LOG_ERROR, "reset link not created", LOG_STR("error", e.msg), LOG_END);
out:
	if (body != NULL) {
		sodium_memzero(body, strlen(body));
		free(body);
	}
}

void
reset_request(struct http_req *r)
{
	static const char answer[] = "{\"status\":\"if an account has that email, a link to reset "
	                             "its password is on its way\"}";
	struct store_user u;
	json_t *body;
	struct err e;
	int found;

	if (!session_same_origin(r)) {
		http_problem(r, 403, "ask from Slate's own pages");
		return;
	}
	if ((body = http_json_body(r, request_fields, 1)) == NULL)
		return;
	found = store_user_by_email(http_req_store(r),
	                            json_string_value(json_object_get(body, "email")), &u, &e);
	json_decref(body);
	if (found == 1 && !u.disabled)
		queue_link(r, &u);
	sodium_memzero(&u, sizeof(u));
	http_reply(r, 202, "application/json", answer, sizeof(answer) - 1);
}

static const struct json_field complete_fields[] = {
    {"token", JF_STRING, 1, 64},
    {"new_password", JF_STRING, 1, PASSWORD_MAX_BYTES},
};

struct reset_job {
	struct job job;
	struct http_req *r;
	char token_hash[TOKEN_HASH_LEN];
	char user_id[STORE_ID_LEN + 8];
	struct secret password;
	char hash[PASSWORD_HASH_MAX];
	struct password_cost cost;
	int failed;
};

static void
reset_work(struct job *j)
{
	struct reset_job *rj = (struct reset_job *)j;
	struct err e;
	rj->failed = password_hash((const char *)rj->password.p, rj->password.len, &rj->cost,
	                           rj->hash, &e) == -1;
}

static void
reset_done(struct job *j)
{
	struct reset_job *rj = (struct reset_job *)j;
	struct http_req *r = rj->r;
	struct store *s = http_req_store(r);
	long long now = (long long)time(NULL);
	struct err e;
	int spent = 0;

	secret_free(&rj->password);
	if (rj->failed) {
		http_problem(r, 500, "the password could not be set");
		goto out;
	}
	if (store_begin(s, &e) == -1 ||
	    (spent = store_reset_spend(s, rj->token_hash, now, &e)) == -1)
		goto fail;
	if (spent == 0) { /* used by a racing completion, or expired meanwhile */
		store_rollback(s);
		http_problem(r, 400, "the link has been used or has expired; ask for a new one");
		goto out;
	}
	if (store_user_set_password(s, rj->user_id, rj->hash, 0, &e) == -1 ||
	    store_session_revoke_all(s, rj->user_id, NULL, now, &e) == -1 ||
	    store_commit(s, &e) == -1)
		goto fail;
	session_audit(r, rj->user_id, "auth.password_reset", NULL, "success");
	http_reply(r, 204, NULL, NULL, 0);
	goto out;
fail:
	store_rollback(s);
	log_event(LOG_ERROR, "password reset failed", LOG_STR("error", e.msg), LOG_END);
	http_problem(r, 503, "the password could not be set; try again");
out:
	sodium_memzero(rj, sizeof(*rj));
	free(rj);
}

void
reset_complete(struct http_req *r)
{
	struct store_user u;
	struct reset_job *rj;
	const char *token, *pw;
	json_t *body;
	struct err e;
	int found;

	if (!session_same_origin(r)) {
		http_problem(r, 403, "reset from Slate's own pages");
		return;
	}
	if ((body = http_json_body(r, complete_fields, 2)) == NULL)
		return;
	rj = xcalloc(1, sizeof(*rj));
	rj->r = r;
	token = json_string_value(json_object_get(body, "token"));
	pw = json_string_value(json_object_get(body, "new_password"));
	token_hash(token, rj->token_hash);
	found = store_reset_peek(http_req_store(r), rj->token_hash, (long long)time(NULL), &u, &e);
	if (found != 1 || u.disabled) {
		http_problem(r, found == -1 ? 503 : 400,
		             found == -1
		                 ? "password reset is unavailable right now"
		                 : "the link is unknown, used or expired; ask for a new one");
		goto fail;
	}
	if (password_acceptable(pw, u.email, &e) == -1) {
		http_problem_errors(
		    r, 400, "the new password is not acceptable",
		    json_pack("[{s:s, s:s}]", "pointer", "/new_password", "detail", e.msg));
		goto fail;
	}
	snprintf(rj->user_id, sizeof(rj->user_id), "%s", u.id);
	rj->cost = password_cost_of(http_req_config(r));
	secret_take_string(&rj->password, (char *)pw);
	json_decref(body);
	sodium_memzero(r->body, r->body_len);
	rj->job.work = reset_work;
	rj->job.done = reset_done;
	http_defer(r, &rj->job);
	return;
fail:
	json_decref(body);
	sodium_memzero(rj, sizeof(*rj));
	free(rj);
}

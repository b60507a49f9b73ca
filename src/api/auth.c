/*
 * auth.c — signing in.
 *
 * POST /api/v1/auth/login {"email", "password", "totp"?}. The Argon2id
 * check runs on the worker pool; the loop only looks the account up and
 * answers. An unknown email, a wrong password and a disabled account all
 * get the same 401 body after the same amount of work (an unknown email
 * pays for one hash of a fixed password), so the answer tells an attacker
 * nothing about which accounts exist.
 *
 * On success a session is created: the cookie carries a 256-bit token and
 * the store keeps only its hash.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "crypto/password.h"
#include "crypto/token.h"
#include "store/store.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/xalloc.h"

#define SESSION_LIFETIME (12L * 3600L)

static const struct json_field login_fields[] = {
    {"email", JF_STRING, 1, 254},
    {"password", JF_STRING, 1, 1024},
    {"totp", JF_STRING, 0, 16},
};

struct login_job {
	struct job job;
	struct http_req *r;
	struct secret password;
	int found;
	int ok;
	struct store_user user;
};

static void
login_work(struct job *j)
{
	struct login_job *lj = (struct login_job *)j;
	if (lj->found)
		lj->ok = password_verify(lj->user.password_hash, (const char *)lj->password.p,
		                         lj->password.len);
	else
		password_burn(&password_cost_default);
}

static void
login_done(struct job *j)
{
	struct login_job *lj = (struct login_job *)j;
	struct http_req *r = lj->r;
	char token[TOKEN_TEXT_LEN], hash[TOKEN_HASH_LEN];
	struct err e;
	char *cookie;
	json_t *body;

	secret_free(&lj->password);
	if (!lj->found || !lj->ok || lj->user.disabled) {
		http_problem(r, 401, "the email or password is not right");
		goto out;
	}
	token_new(token, hash);
	if (store_session_create(http_req_store(r), lj->user.id, hash, SESSION_LIFETIME, &e) ==
	    -1) {
		log_event(LOG_ERROR, "session not created", LOG_STR("error", e.msg), LOG_END);
		http_problem(r, e.status == 503 ? 503 : 500, "the session could not be created");
		goto out;
	}
	cookie = xasprintf("__Host-slate_session=%s; Path=/; Secure; HttpOnly; SameSite=Strict; "
	                   "Max-Age=%ld",
	                   token, SESSION_LIFETIME);
	http_add_header(r, "Set-Cookie", cookie);
	sodium_memzero(cookie, strlen(cookie));
	free(cookie);
	sodium_memzero(token, sizeof(token));
	body = json_pack("{s:{s:s, s:s, s:s}, s:b}", "user", "id", lj->user.id, "email",
	                 lj->user.email, "display_name", lj->user.display_name,
	                 "must_change_password", lj->user.must_change_password);
	http_reply_json(r, 200, body);
out:
	sodium_memzero(&lj->user, sizeof(lj->user));
	free(lj);
}

void
auth_login(struct http_req *r)
{
	json_t *body =
	    http_json_body(r, login_fields, sizeof(login_fields) / sizeof(login_fields[0]));
	struct login_job *lj;
	const char *pw;
	struct err e;
	int found;

	if (body == NULL)
		return;
	lj = xcalloc(1, sizeof(*lj));
	lj->r = r;
	found = store_user_by_email(
	    http_req_store(r), json_string_value(json_object_get(body, "email")), &lj->user, &e);
	if (found == -1) {
		json_decref(body);
		free(lj);
		log_event(LOG_ERROR, "login lookup failed", LOG_STR("error", e.msg), LOG_END);
		http_problem(r, e.status == 503 ? 503 : 500, "sign-in is unavailable right now");
		return;
	}
	lj->found = found;
	pw = json_string_value(json_object_get(body, "password"));
	secret_alloc(&lj->password, strlen(pw) + 1);
	memcpy(lj->password.p, pw, strlen(pw));
	lj->password.len = strlen(pw);
	sodium_memzero((void *)pw, strlen(pw));
	json_decref(body);
	sodium_memzero(r->body, r->body_len);
	lj->job.work = login_work;
	lj->job.done = login_done;
	http_defer(r, &lj->job);
}

/*
 * mfa.c — enrolling and removing the second factor.
 *
 * POST /api/v1/me/mfa/totp           a new secret: {secret, otpauth_uri, qr_svg}
 * POST /api/v1/me/mfa/totp/confirm   {code} → {recovery_codes: [10]} shown once
 * POST /api/v1/me/mfa/totp/disable   {code}; refused while the account's roles require MFA
 *
 * Until a code confirms it, an enrolment does nothing; starting again
 * replaces an unconfirmed secret but never a confirmed one. Recovery codes
 * (80 random bits each) are kept only as SHA-256 of their normalised form.
 * Responses that carry a secret are wiped from memory after sending.
 */
#include "api/mfa.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/handlers.h"
#include "api/call.h"
#include "api/session.h"
#include "crypto/token.h"
#include "crypto/totp.h"
#include "util/log.h"

static int
six_digits(const char *c)
{
	for (int i = 0; i < TOTP_DIGITS; i++)
		if (c[i] < '0' || c[i] > '9')
			return 0;
	return c[TOTP_DIGITS] == '\0';
}

/* Decodes the stored base32 secret; -1 when it is not one. */
static int
secret_bytes(const struct store_totp *t, unsigned char out[TOTP_SECRET_LEN])
{
	return totp_base32_decode(t->secret, out, TOTP_SECRET_LEN) == TOTP_SECRET_LEN ? 0 : -1;
}

int
mfa_verify(struct store *s, const char *user_id, const char *code, struct err *e)
{
	struct store_totp t;
	unsigned char key[TOTP_SECRET_LEN];
	int64_t step;
	int rc, found;

	if ((found = store_totp_get(s, user_id, &t, e)) != 1 || !t.confirmed)
		return found == -1 ? -1 : 0;
	if (six_digits(code)) {
		if (secret_bytes(&t, key) == -1) {
			sodium_memzero(&t, sizeof(t));
			return err_set(e, 500, "the stored second factor is damaged");
		}
		rc = totp_verify(key, sizeof(key), code, time(NULL), t.last_step, &step);
		sodium_memzero(key, sizeof(key));
		sodium_memzero(&t, sizeof(t));
		if (rc != 1)
			return 0;
		return store_totp_use_step(s, user_id, step, e); /* 0: used meanwhile */
	} else {
		char norm[TOTP_RECOVERY_LEN], hash[TOKEN_HASH_LEN];
		sodium_memzero(&t, sizeof(t));
		totp_recovery_normalise(code, norm, sizeof(norm));
		if (norm[0] == '\0')
			return 0;
		token_hash(norm, hash);
		sodium_memzero(norm, sizeof(norm));
		return store_recovery_use(s, user_id, hash, e);
	}
}

/* Every route here is the caller's own account (API_CHECK_SELF, api/routes.c). */
void
mfa_totp_begin(struct api_call *c)
{
	struct http_req *r = c->r;
	const struct api_auth *a = session_of(r);
	struct store *s = api_call_store(c);
	unsigned char key[TOTP_SECRET_LEN];
	char b32[TOTP_SECRET_B32_LEN];
	char *uri = NULL, *svg = NULL, *out = NULL;
	struct store_totp t;
	json_t *j;
	struct err e;
	int found;

	if ((found = store_totp_get(s, a->session.user.id, &t, &e)) == -1) {
		http_end_problem(r, 503, "the second factor is unavailable right now");
		return;
	}
	sodium_memzero(&t.secret, sizeof(t.secret));
	if (found && t.confirmed) {
		http_end_problem(r, 409, "a second factor is already set up; disable it first");
		return;
	}
	totp_secret_new(key);
	totp_base32_encode(key, sizeof(key), b32, sizeof(b32));
	uri = session_email(r) ? totp_uri("Slate", a->session.user.email, key, sizeof(key)) : NULL;
	svg = uri ? totp_qr_svg(uri) : NULL;
	sodium_memzero(key, sizeof(key));
	if (uri == NULL || svg == NULL)
		goto fail;
	if (api_call_begin(c) == -1)
		goto out;
	if (store_totp_begin(s, a->session.user.id, b32, &e) == -1) {
		api_call_abort(c);
		goto fail;
	}
	if (api_call_commit(c, NULL, NULL) == -1)
		goto out;
	j = json_pack("{s:s, s:s, s:s}", "secret", b32, "otpauth_uri", uri, "qr_svg", svg);
	out = json_dumps(j, JSON_COMPACT);
	json_decref(j); /* jansson's copies are freed here; the text we send is wiped below */
	http_end_reply(r, 200, "application/json", out, strlen(out));
out:
	sodium_memzero(b32, sizeof(b32));
	if (uri != NULL)
		sodium_memzero(uri, strlen(uri));
	if (svg != NULL)
		sodium_memzero(svg, strlen(svg));
	if (out != NULL)
		sodium_memzero(out, strlen(out));
	free(uri);
	free(svg);
	free(out);
	return;
fail:
	http_end_problem(r, 500, "the second factor could not be set up");
	goto out;
}

void
mfa_totp_confirm(struct api_call *c)
{
	struct http_req *r = c->r;
	const struct api_auth *a = session_of(r);
	struct store *s = api_call_store(c);
	json_t *body = c->body, *list;
	char codes[TOTP_RECOVERY_COUNT][TOTP_RECOVERY_LEN];
	char hashes[TOTP_RECOVERY_COUNT][65];
	unsigned char key[TOTP_SECRET_LEN];
	struct store_totp t;
	int64_t step;
	struct err e;
	int found, ok;

	found = store_totp_get(s, a->session.user.id, &t, &e);
	if (found != 1 || t.confirmed) {
		http_end_problem(r, found == -1 ? 503 : 409,
		                 found == -1 ? "the second factor is unavailable right now"
		                             : "there is no enrolment waiting for a code");
		return;
	}
	ok = secret_bytes(&t, key) == 0 &&
	     totp_verify(key, sizeof(key), json_string_value(json_object_get(body, "code")),
	                 time(NULL), -1, &step) == 1;
	sodium_memzero(key, sizeof(key));
	sodium_memzero(&t, sizeof(t));
	if (!ok) {
		session_audit(r, a->session.user.id, "auth.mfa_enable", NULL, "failure");
		http_end_problem_errors(r, 400, "that code is not right",
		                        json_pack("[{s:s, s:s}]", "pointer", "/code", "detail",
		                                  "is not the current code of the authenticator"));
		return;
	}
	totp_recovery_codes(codes);
	list = json_array();
	for (int i = 0; i < TOTP_RECOVERY_COUNT; i++) {
		char norm[TOTP_RECOVERY_LEN];
		totp_recovery_normalise(codes[i], norm, sizeof(norm));
		token_hash(norm, hashes[i]);
		json_array_append_new(list, json_string(codes[i]));
	}
	if (store_begin(s, &e) == -1 || store_totp_confirm(s, a->session.user.id, step, hashes,
	                                                   TOTP_RECOVERY_COUNT, &e) == -1) {
		api_call_abort(c);
		json_decref(list);
		http_end_problem(r, 503, "the second factor could not be saved; try again");
		goto out;
	}
	if (api_call_commit(c, NULL, NULL) == -1) {
		json_decref(list);
		goto out;
	}
	http_end_reply_json(r, 200, json_pack("{s:o}", "recovery_codes", list));
out:
	sodium_memzero(codes, sizeof(codes));
}

/* Before the body: a second factor the caller's roles require stays (403). */
int
mfa_removable(struct api_call *c)
{
	if (!session_of(c->r)->session.mfa_required)
		return 0;
	http_end_problem(c->r, 403, "your roles require a second factor; it cannot be removed");
	return -1;
}

void
mfa_totp_disable(struct api_call *c)
{
	struct http_req *r = c->r;
	const struct api_auth *a = session_of(r);
	struct store *s = api_call_store(c);
	struct err e;
	int ok;

	ok = mfa_verify(s, a->session.user.id, json_string_value(json_object_get(c->body, "code")),
	                &e);
	if (ok == -1) {
		http_end_problem(r, 503, "the second factor is unavailable right now");
		return;
	}
	if (ok == 0) {
		session_audit(r, a->session.user.id, "auth.mfa_disable", NULL, "failure");
		http_end_problem(r, 403, "that code is not right");
		return;
	}
	if (api_call_begin(c) == -1)
		return;
	if (store_totp_delete(s, a->session.user.id, &e) == -1) {
		api_call_abort(c);
		http_end_problem(r, 503, "the second factor could not be removed; try again");
		return;
	}
	if (api_call_commit(c, NULL, NULL) == 0)
		http_end_reply(r, 204, NULL, NULL, 0);
}

/*
 * tokens.c — API tokens for integrations (see session.h for how they are used).
 *
 * POST   /api/v1/me/tokens       {name, production_id, access: "read"|"read_write",
 *                                 expires_in_days?: 1..api_token_max_days (90)}
 *                                 → the token, shown once
 * GET    /api/v1/me/tokens       the caller's live tokens (never the token itself), with
 *                                 last_used_at (null until used; kept to the minute)
 * DELETE /api/v1/me/tokens/{id}  revoke
 *
 * A token is made only for a production the caller is a live member of;
 * what it may then do is what the member may do, read on every request.
 * Its lifetime is bounded by the api_token_max_days setting: a longer one
 * is refused (400 naming /expires_in_days), never silently shortened.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/handlers.h"
#include "api/call.h"
#include "api/session.h"
#include "api/view.h"
#include "store/store.h"
#include "util/xalloc.h"

static json_t *
token_json(const struct store_api_token *t)
{
	return json_pack(
	    "{s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "id", t->id, "name", t->name, "production_id",
	    t->production_id, "access", t->read_write ? "read_write" : "read", "created_at",
	    api_time_json(t->created_at), "expires_at", api_time_json(t->expires_at),
	    "last_used_at", t->last_used_at > 0 ? api_time_json(t->last_used_at) : json_null());
}

/* The caller's own tokens (API_CHECK_SELF); the body is declared in api/routes.c. */
void
tokens_create(struct api_call *c)
{
	struct http_req *r = c->r;
	const struct api_auth *a = session_of(r);
	struct store *s = api_call_store(c);
	char text[TOKEN_TEXT_LEN], hash[TOKEN_HASH_LEN];
	struct store_membership m;
	struct store_api_token t;
	json_t *body = c->body, *days_v, *out;
	const char *access, *pid;
	json_int_t max = http_req_config(r)->api_token_max_days;
	json_int_t days = max < 90 ? max : 90;
	struct err e;
	char *shown, *why;
	int found;

	access = json_string_value(json_object_get(body, "access"));
	pid = json_string_value(json_object_get(body, "production_id"));
	if ((days_v = json_object_get(body, "expires_in_days")) != NULL)
		days = json_integer_value(days_v);
	if (strcmp(access, "read") != 0 && strcmp(access, "read_write") != 0) {
		http_end_problem_errors(r, 400, "unknown access",
		                        json_pack("[{s:s, s:s}]", "pointer", "/access", "detail",
		                                  "must be read or read_write"));
		return;
	}
	if (days < 1 || days > max) {
		why = xasprintf("must be from 1 to %lld (the longest a token may live here)",
		                (long long)max);
		http_end_problem_errors(
		    r, 400, "the expiry is out of range",
		    json_pack("[{s:s, s:s}]", "pointer", "/expires_in_days", "detail", why));
		free(why);
		return;
	}
	found = store_membership_of(s, pid, a->session.user.id, &m, &e);
	if (found == -1) {
		http_end_problem(r, 503, "tokens are unavailable right now");
		return;
	}
	if (found == 0 || m.revoked) {
		http_end_problem(r, 404, "there is no such production");
		return;
	}
	if (api_call_begin(c) == -1)
		return;
	token_new(text, hash);
	if (store_token_create(s, a->session.user.id, hash, pid,
	                       json_string_value(json_object_get(body, "name")),
	                       strcmp(access, "read_write") == 0, (long long)time(NULL),
	                       (long long)days * 86400, &t, &e) == -1) {
		sodium_memzero(text, sizeof(text));
		api_call_abort(c);
		http_end_problem(r, 503, "the token could not be created; try again");
		return;
	}
	if (api_call_commit(c, NULL, t.id) == -1) {
		sodium_memzero(text, sizeof(text));
		return;
	}
	out = token_json(&t);
	shown = xasprintf(API_TOKEN_PREFIX "%s", text);
	sodium_memzero(text, sizeof(text));
	json_object_set_new(out, "token", json_string(shown));
	sodium_memzero(shown, strlen(shown));
	free(shown);
	http_end_reply_json(r, 201, out);
}

static void
add_token(const struct store_api_token *t, void *arg)
{
	json_array_append_new(arg, token_json(t));
}

json_t *
tokens_json(struct store *s, const char *user_id, struct err *e)
{
	json_t *arr = json_array();
	if (store_token_list(s, user_id, (long long)time(NULL), add_token, arr, e) == -1) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

void
tokens_list(struct api_call *c)
{
	struct err e;
	json_t *arr = tokens_json(api_call_store(c), c->actor, &e);
	if (arr == NULL) {
		http_end_problem(c->r, 503, "tokens are unavailable right now");
		return;
	}
	http_end_reply_json(c->r, 200, json_pack("{s:o}", "tokens", arr));
}

void
tokens_revoke(struct api_call *c)
{
	const char *id = router_param(&c->r->match, "id");
	struct err e;
	int n;

	if (api_call_begin(c) == -1)
		return;
	n = store_token_revoke(api_call_store(c), c->actor, id, (long long)time(NULL), &e);
	if (n == -1) {
		api_call_abort(c);
		http_end_problem(c->r, 503, "the token could not be revoked; try again");
		return;
	}
	if (n == 0) {
		api_call_abort(c);
		http_end_problem(c->r, 404, "there is no such token");
		return;
	}
	if (api_call_commit(c, NULL, id) == 0)
		http_end_reply(c->r, 204, NULL, NULL, 0);
}

/*
 * session.c — see session.h.
 */
#include "api/session.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/cache.h"
#include "audit/audit.h"
#include "audit/audit_group.h"
#include "util/log.h"
#include "util/xalloc.h"

static const char csrf_label[] = "slate csrf v1";

/* seconds between two writes of a token's last_used_at: not one write per request */
#define TOKEN_TOUCH_INTERVAL 60

/* The CSRF token: base64url(HMAC-SHA256(key = the 32 raw token bytes, csrf_label)). */
static int
csrf_for(const char *token, char out[TOKEN_TEXT_LEN])
{
	unsigned char key[32], mac[crypto_auth_hmacsha256_BYTES];
	size_t n = 0;

	if (sodium_base642bin(key, sizeof(key), token, strlen(token), NULL, &n, NULL,
	                      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    n != sizeof(key))
		return -1;
	crypto_auth_hmacsha256(mac, (const unsigned char *)csrf_label, sizeof(csrf_label) - 1, key);
	sodium_bin2base64(out, TOKEN_TEXT_LEN, mac, sizeof(mac),
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(key, sizeof(key));
	return 0;
}

/* Finds the session cookie's value in the Cookie header; copies it into out. */
static int
cookie_token(struct http_req *r, char out[TOKEN_TEXT_LEN])
{
	static const char name[] = SESSION_COOKIE "=";
	size_t n, k = sizeof(name) - 1;
	const char *v = http_req_header(r, "Cookie", &n);
	size_t i = 0;

	while (v != NULL && i < n) {
		size_t start, end;
		while (i < n && (v[i] == ' ' || v[i] == ';'))
			i++;
		start = i;
		while (i < n && v[i] != ';')
			i++;
		end = i;
		if (end - start == k + TOKEN_TEXT_LEN - 1 && memcmp(v + start, name, k) == 0) {
			memcpy(out, v + start + k, TOKEN_TEXT_LEN - 1);
			out[TOKEN_TEXT_LEN - 1] = '\0';
			return 0;
		}
	}
	return -1;
}

/* 1 when the header's value is exactly `want`. */
static int
header_is(struct http_req *r, const char *name, const char *want)
{
	size_t n;
	const char *v = http_req_header(r, name, &n);
	return v != NULL && n == strlen(want) && memcmp(v, want, n) == 0;
}

/*
 * The browser's own word that the request comes from another site: an
 * Origin other than public_url (the Host header is the client's to choose,
 * so it is never the reference), or a Sec-Fetch-Site other than
 * same-origin (and "none", a request the user typed, for public routes).
 */
static int
from_elsewhere(struct http_req *r, int allow_none)
{
	const char *pub = http_req_config(r)->public_url;
	size_t n;

	if (http_req_header(r, "Sec-Fetch-Site", &n) != NULL &&
	    !header_is(r, "Sec-Fetch-Site", "same-origin") &&
	    !(allow_none && header_is(r, "Sec-Fetch-Site", "none")))
		return 1;
	return http_req_header(r, "Origin", &n) != NULL && !header_is(r, "Origin", pub);
}

int
session_same_origin(struct http_req *r)
{
	/* a public route has no ambient credential to abuse: a client without Origin is no
	   browser (every browser sends Origin on a POST) and may sign in */
	return !from_elsewhere(r, 1);
}

/*
 * For a request riding on the session cookie, the origin must be shown, not
 * merely not contradicted: Origin equal to public_url, or (from a browser
 * that withholds Origin) Sec-Fetch-Site: same-origin.
 */
static int
from_own_pages(struct http_req *r)
{
	size_t n;
	if (from_elsewhere(r, 0))
		return 0;
	return http_req_header(r, "Origin", &n) != NULL ||
	       header_is(r, "Sec-Fetch-Site", "same-origin");
}

static long long
refresh_interval(const struct config *c)
{
	long long i = c->session_idle / 4;
	return i > 60 ? 60 : i < 1 ? 1 : i;
}

static int
unsafe(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

/* Authorization: Bearer slt_<token>. Answers and returns -1 when refused. */
static int
token_authenticate(struct http_req *r, struct api_auth *a, const char *authz, size_t n)
{
	static const char bearer[] = "Bearer " API_TOKEN_PREFIX;
	static const char scope[] = "/api/v1/productions/{id}";
	size_t k = sizeof(bearer) - 1;
	char token[TOKEN_TEXT_LEN];
	struct store_api_token t;
	long long now = (long long)time(NULL);
	const char *pid;
	struct err e;
	int found;

	if (n != k + TOKEN_TEXT_LEN - 1 || strncmp(authz, bearer, k) != 0) {
		http_end_problem(r, 401, "the Authorization header is not an API token");
		return -1;
	}
	memcpy(token, authz + k, TOKEN_TEXT_LEN - 1);
	token[TOKEN_TEXT_LEN - 1] = '\0';
	token_hash(token, a->token_hash);
	sodium_memzero(token, sizeof(token));
	if ((found = store_token_by_hash(http_req_store(r), a->token_hash, &t, &e)) == -1) {
		http_end_problem(r, 503, "tokens are unavailable right now");
		return -1;
	}
	if (!found || t.revoked || t.user.disabled || now >= t.expires_at) {
		http_end_problem(r, 401, "the API token is unknown, revoked or expired");
		return -1;
	}
	a->via_token = 1;
	snprintf(a->token_id, sizeof(a->token_id), "%s", t.id);
	a->token_read_only = !t.read_write;
	a->session.user = t.user;
	a->session.mfa_enrolled = t.mfa_enrolled;
	a->session.mfa_required = t.mfa_required;
	if (strncmp(r->match.route->pattern, scope, sizeof(scope) - 1) != 0) {
		http_end_problem(r, 403, "an API token reaches only its production's routes");
		return -1;
	}
	pid = router_param(&r->match, "id");
	if (pid == NULL || strcmp(pid, t.production_id) != 0) {
		http_end_problem(r, 404, "there is no such production");
		return -1;
	}
	if (!t.read_write && unsafe(r->method)) {
		http_end_problem(r, 403, "this API token may only read");
		return -1;
	}
	/* the rules a session obeys (session_authenticate), read afresh on every request */
	if (t.user.must_change_password) {
		http_end_problem(r, 403,
		                 "change the one-time password first (POST /api/v1/me/password)");
		return -1;
	}
	if (t.mfa_required && !t.mfa_enrolled) {
		session_audit(r, t.user.id, "token.mfa_missing", t.id, "denied");
		http_end_problem(r, 403,
		                 "your roles require a second factor; set one up first "
		                 "(POST /api/v1/me/mfa/totp)");
		return -1;
	}
	if (r->match.route->flags & ROUTE_SESSION_ONLY) {
		session_audit(r, t.user.id, "token.session_only", r->path, "denied");
		http_end_problem(r, 403, "a signed-in session with a second factor is needed");
		return -1;
	}
	if (now - t.last_used_at >= TOKEN_TOUCH_INTERVAL &&
	    store_token_touch(http_req_store(r), t.id, now, &e) == -1)
		log_event(LOG_WARN, "token use not recorded", LOG_STR("error", e.msg), LOG_END);
	return 0;
}

int
session_authenticate(struct http_req *r)
{
	const struct config *c = http_req_config(r);
	char token[TOKEN_TEXT_LEN];
	struct api_auth *a;
	struct err e;
	long long now = (long long)time(NULL);
	size_t n;
	const char *sent;
	int found;

	/* in the request's arena: wiped and freed when the request ends */
	a = http_req_alloc(r, sizeof(*a));
	memset(a, 0, sizeof(*a));
	r->auth = a;
	/* before anything is read: what the caches hold is used only if nothing changed since */
	a->gen_ok = store_generation(http_req_store(r), &a->gen, &e) == 0;
	if ((sent = http_req_header(r, "Authorization", &n)) != NULL)
		return token_authenticate(r, a, sent, n);
	if (cookie_token(r, token) == -1) {
		http_end_problem(r, 401, "sign in first");
		return -1;
	}
	token_hash(token, a->token_hash);
	/*
	 * A kept session is used only while its last_seen_at is younger than the touch interval:
	 * touches (ours or another thread's) do not empty the caches (store_generation), so an
	 * older copy may hold a last_seen_at the store has moved on from; that one is read again.
	 */
	if (cache_session_get(http_req_store(r), session_gen(r), a->token_hash, &a->session,
	                      a->csrf) &&
	    now - a->session.last_seen_at < refresh_interval(c)) {
		found = 1;
	} else {
		if (csrf_for(token, a->csrf) == -1) {
			sodium_memzero(token, sizeof(token));
			http_end_problem(r, 401, "sign in first");
			return -1;
		}
		found = store_session_by_token(http_req_store(r), a->token_hash, &a->session, &e);
		if (found == -1) {
			sodium_memzero(token, sizeof(token));
			log_event(LOG_ERROR, "session lookup failed", LOG_STR("error", e.msg),
			          LOG_END);
			http_end_problem(r, 503, "sessions are unavailable right now");
			return -1;
		}
		if (found)
			cache_session_put(http_req_store(r), session_gen(r), a->token_hash,
			                  &a->session, a->csrf);
	}
	sodium_memzero(token, sizeof(token));
	if (!found || a->session.revoked || a->session.user.disabled ||
	    now >= a->session.expires_at || now - a->session.last_seen_at >= c->session_idle) {
		session_clear_cookie(r);
		http_end_problem(r, 401, "the session has ended; sign in again");
		return -1;
	}
	if (unsafe(r->method)) {
		sent = http_req_header(r, "X-CSRF-Token", &n);
		if (!from_own_pages(r) || sent == NULL || n != strlen(a->csrf) ||
		    sodium_memcmp(sent, a->csrf, n) != 0) {
			session_audit(r, a->session.user.id, "auth.csrf", r->path, "denied");
			http_end_problem(r, 403,
			                 "this request did not come from Slate's own pages");
			return -1;
		}
	}
	if (!(r->match.route->flags & ROUTE_PENDING_OK)) {
		if (a->session.user.must_change_password) {
			http_end_problem(
			    r, 403,
			    "change the one-time password first (POST /api/v1/me/password)");
			return -1;
		}
		if (a->session.mfa_required && !a->session.mfa_enrolled) {
			http_end_problem(r, 403,
			                 "your roles require a second factor; set one up first "
			                 "(POST /api/v1/me/mfa/totp)");
			return -1;
		}
	}
	if (now - a->session.last_seen_at >= refresh_interval(c)) {
		if (store_session_touch(http_req_store(r), a->session.id, now, &e) == -1) {
			log_event(LOG_WARN, "session not touched", LOG_STR("error", e.msg),
			          LOG_END);
		} else {
			/* a touch is a quiet write: the kept copy takes the new time itself */
			a->session.last_seen_at = now;
			cache_session_put(http_req_store(r), session_gen(r), a->token_hash,
			                  &a->session, a->csrf);
		}
	}
	return 0;
}

const struct api_auth *
session_of(struct http_req *r)
{
	return r->auth;
}

const char *
session_email(struct http_req *r)
{
	struct api_auth *a = r->auth;
	struct err e;
	if (a == NULL)
		return NULL;
	if (a->session.user.email[0] == '\0' &&
	    store_user_email(http_req_store(r), a->session.user.id, a->session.user.email,
	                     sizeof(a->session.user.email), &e) != 1)
		return NULL;
	return a->session.user.email;
}

const struct store_gen *
session_gen(struct http_req *r)
{
	const struct api_auth *a = r->auth;
	return a != NULL && a->gen_ok ? &a->gen : NULL;
}

int
session_start(struct http_req *r, const char *user_id, char csrf[TOKEN_TEXT_LEN], struct err *e)
{
	const struct config *c = http_req_config(r);
	char token[TOKEN_TEXT_LEN], hash[TOKEN_HASH_LEN], agent[129];
	struct store_session ses;
	size_t n;
	const char *ua = http_req_header(r, "User-Agent", &n);
	char *cookie;
	int rc = -1;

	snprintf(agent, sizeof(agent), "%.*s", ua ? (int)(n < 128 ? n : 128) : 0, ua ? ua : "");
	token_new(token, hash);
	if (store_session_create(http_req_store(r), user_id, hash, agent, (long long)time(NULL),
	                         c->session_lifetime, &ses, e) == -1)
		goto out;
	if (csrf_for(token, csrf) == -1) {
		err_set(e, 500, "token encoding");
		goto out;
	}
	cookie = xasprintf(SESSION_COOKIE "=%s; Path=/; Secure; HttpOnly; SameSite=Strict; "
	                                  "Max-Age=%ld",
	                   token, c->session_lifetime);
	http_add_header(r, "Set-Cookie", cookie);
	sodium_memzero(cookie, strlen(cookie));
	free(cookie);
	rc = 0;
out:
	sodium_memzero(token, sizeof(token));
	return rc;
}

void
session_clear_cookie(struct http_req *r)
{
	http_add_header(r, "Set-Cookie",
	                SESSION_COOKIE "=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
}

/* An event of a production's route carries the production, so its audit view finds it. */
static const char *
route_production(struct http_req *r)
{
	static const char prefix[] = "/api/v1/productions/";
	return strncmp(r->path, prefix, sizeof(prefix) - 1) == 0 ? router_param(&r->match, "id")
	                                                         : NULL;
}

const char *
session_source(struct http_req *r, char buf[SESSION_SOURCE_LEN])
{
	const struct api_auth *a = session_of(r);
	if (a == NULL || !a->via_token || a->token_id[0] == '\0')
		return r->peer;
	snprintf(buf, SESSION_SOURCE_LEN, "%s token:%s", r->peer, a->token_id);
	return buf;
}

void
session_audit_read(struct http_req *r, const char *actor, const char *action, const char *object,
                   const char *outcome)
{
	const char *prod = route_production(r);
	char src[SESSION_SOURCE_LEN];
	struct audit_entry a = {actor,   session_source(r, src), action, object,
	                        outcome, r->request_id,          prod};
	/* committed in a group by the audit writer (audit/audit_group.c), or here when none runs */
	if (audit_group_add(&a) == -1)
		session_audit(r, actor, action, object, outcome);
}

void
session_audit(struct http_req *r, const char *actor, const char *action, const char *object,
              const char *outcome)
{
	const char *prod = route_production(r);
	char src[SESSION_SOURCE_LEN];
	struct audit_entry a = {actor,   session_source(r, src), action, object,
	                        outcome, r->request_id,          prod};
	struct err e;
	if (audit_record(http_req_store(r), &a, &e) == -1)
		log_event(LOG_ERROR, "audit event not written", LOG_STR("action", action),
		          LOG_STR("error", e.msg), LOG_END);
}

int
session_audit_change(struct http_req *r, const char *actor, const char *action, const char *object,
                     struct err *e)
{
	char src[SESSION_SOURCE_LEN];
	struct audit_entry a = {actor,         session_source(r, src), action, object, "success",
	                        r->request_id, route_production(r)};
	return audit_record(http_req_store(r), &a, e);
}

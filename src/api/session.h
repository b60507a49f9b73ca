/*
 * session.h — who is asking: sessions, same-origin checks, CSRF, auditing.
 *
 * The cookie is `__Host-slate_session` (Secure, HttpOnly, SameSite=Strict,
 * Path=/, no Domain), carrying a 256-bit token; the store holds only its
 * SHA-256. A session ends at its absolute lifetime, after session_idle
 * seconds unused, at sign-out, or when its account's password changes.
 * The idle clock is kept in the store but written at most every
 * min(60, idle/4) seconds per session, not on every request. A loop thread
 * keeps the sessions it has read (api/cache.c) only while nothing at all
 * has been written to the database since; the timeouts are checked on
 * every request from the times kept.
 *
 * API tokens (Authorization: Bearer slt_…) reach only the routes of the
 * production they were made for, and read-only ones only GET and HEAD; the
 * membership behind them is checked on every request like a session's.
 * They need no CSRF token: browsers never attach them on their own.
 *
 * CSRF: a request that changes state must come from Slate's own pages
 * (its Origin matches the request's host or public_url, and Sec-Fetch-Site
 * is not cross-site) and carry X-CSRF-Token, an HMAC of the session token,
 * which only Slate's pages can read (from sign-in or GET /api/v1/me).
 */
#ifndef SLATE_API_SESSION_H
#define SLATE_API_SESSION_H

#include "crypto/token.h"
#include "http/server.h"
#include "store/store.h"

#define SESSION_COOKIE "__Host-slate_session"

#define API_TOKEN_PREFIX "slt_" /* so that secret scanners recognise a leaked token */

struct api_auth {
	struct store_session session; /* with .user; for an API token, the token's owner */
	char token_hash[TOKEN_HASH_LEN];
	char csrf[TOKEN_TEXT_LEN];
	int via_token; /* authenticated by an API token, not a session */
	/* the store's generation when the request began (api/cache.c); gen_ok 0: none taken */
	struct store_gen gen;
	int gen_ok;
};

/* The server's authenticate hook (see server.h). */
int session_authenticate(struct http_req *r);
/* The caller's session; non-NULL on every non-public route. */
const struct api_auth *session_of(struct http_req *r);
/* The request's generation for api/cache.c, or NULL: no cache for this request. */
const struct store_gen *session_gen(struct http_req *r);

/* 1 when the request comes from Slate's own origin (or from no browser at all). */
int session_same_origin(struct http_req *r);

/*
 * Starts a session for user_id: stores it, sets the cookie on the response
 * and fills csrf. Returns 0, or -1 with e filled.
 */
int session_start(struct http_req *r, const char *user_id, char csrf[TOKEN_TEXT_LEN],
                  struct err *e);
/* Sets a cookie that removes the session cookie from the browser. */
void session_clear_cookie(struct http_req *r);

/* Writes an audit event for this request (actor from the session, if any). */
void session_audit(struct http_req *r, const char *actor, const char *action, const char *object,
                   const char *outcome);

#endif

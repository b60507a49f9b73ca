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
 * membership behind them is checked on every request like a session's, and
 * so are the rules a session obeys: a disabled account, a one-time password
 * still to change, and a second factor the account must have (its roles,
 * or a production with require_mfa) but has not set up all refuse the
 * token. Routes marked ROUTE_SESSION_ONLY (granting roles, inviting,
 * require_mfa) refuse every token. A token ends at its expiry (at most
 * api_token_max_days), when revoked, when its membership is revoked, when
 * its account's password changes, and at "sign out everywhere". Its
 * last_used_at is written at most once a minute.
 * Tokens need no CSRF token: browsers never attach them on their own.
 *
 * CSRF: a request with the session cookie that changes state (any method
 * but GET and HEAD) must show that it comes from Slate's own pages: Origin
 * equal to public_url (never compared with Host, which the client
 * chooses), or no Origin but Sec-Fetch-Site: same-origin; and no
 * Sec-Fetch-Site other than same-origin. It must also carry X-CSRF-Token,
 * an HMAC of the session token, which only Slate's pages can read (from
 * sign-in or GET /api/v1/me). Public POST routes (sign-in, password reset,
 * accepting an invitation) carry no credential to abuse: they refuse what
 * a browser marks as coming from elsewhere (session_same_origin) and accept
 * a client that sends no Origin at all.
 */
#ifndef SLATE_API_SESSION_H
#define SLATE_API_SESSION_H

#include "crypto/token.h"
#include "http/server.h"
#include "store/store.h"

#define SESSION_COOKIE "__Host-slate_session"

#define API_TOKEN_PREFIX "slt_" /* so that secret scanners recognise a leaked token */

#define SESSION_SOURCE_LEN (64 + 7 + STORE_ID_LEN + 8)

struct api_auth {
	struct store_session session; /* with .user; for an API token, the token's owner */
	char token_hash[TOKEN_HASH_LEN];
	char csrf[TOKEN_TEXT_LEN];
	int via_token;                   /* authenticated by an API token, not a session */
	int token_read_only;             /* that token may only read */
	char token_id[STORE_ID_LEN + 8]; /* that token's id (not its secret), else "" */
	/* the store's generation when the request began (api/cache.c); gen_ok 0: none taken */
	struct store_gen gen;
	int gen_ok;
};

/* The server's authenticate hook (see server.h). */
int session_authenticate(struct http_req *r);
/* The caller's session; non-NULL on every non-public route. */
const struct api_auth *session_of(struct http_req *r);
/*
 * The caller's account email, opened on first use: the session lookup opens
 * none (store_session_by_token), so only the answers that show it (or check a
 * password against it) pay for it. NULL when it cannot be read.
 */
const char *session_email(struct http_req *r);
/* The request's generation for api/cache.c, or NULL: no cache for this request. */
const struct store_gen *session_gen(struct http_req *r);

/*
 * For public routes: 0 when a browser says the request comes from elsewhere
 * (an Origin other than public_url, Sec-Fetch-Site other than same-origin or
 * none); 1 otherwise, including a client that sends no Origin.
 */
int session_same_origin(struct http_req *r);

/*
 * Starts a session for user_id: stores it, sets the cookie on the response
 * and fills csrf. Returns 0, or -1 with e filled.
 */
int session_start(struct http_req *r, const char *user_id, char csrf[TOKEN_TEXT_LEN],
                  struct err *e);
/* Sets a cookie that removes the session cookie from the browser. */
void session_clear_cookie(struct http_req *r);

/*
 * The audit source of this request: the client's address, and for a request
 * made with an API token " token:" and the token's id (never its secret), so
 * that an incident's "what did this token read" is answered from the log
 * (domain/incidents.h). buf holds it when needed.
 */
const char *session_source(struct http_req *r, char buf[SESSION_SOURCE_LEN]);

/* Writes an audit event for this request (actor from the session, if any). */
void session_audit(struct http_req *r, const char *actor, const char *action, const char *object,
                   const char *outcome);
/*
 * The event of a change, inside the caller's open transaction: 0, or -1 with
 * e set, and the caller rolls the change back (no change without its event).
 */
int session_audit_change(struct http_req *r, const char *actor, const char *action,
                         const char *object, struct err *e);
/*
 * The same for an event of a read (person.read_private): committed in a group
 * by the audit writer when one runs (audit/audit_group.h), so the request does
 * not wait for a commit of its own.
 */
void session_audit_read(struct http_req *r, const char *actor, const char *action,
                        const char *object, const char *outcome);

#endif

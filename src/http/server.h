/*
 * server.h — Slate's HTTPS server and what handlers see of a request.
 *
 * Threads (ARCHITECTURE.md §3): N loop threads, each with its own
 * event_base, its own SO_REUSEPORT listening socket(s) and its own store
 * connection; a worker pool for slow work whose results come back to the
 * loop that owns the request. A struct http_req is touched only by its
 * loop thread, except inside a job's `work` function, which must not touch
 * the request at all (copy what it needs into the job first).
 *
 * A handler answers exactly once, with one of the http_end_* functions,
 * either before it returns or later from a job's done callback
 * (http_defer). Answering ends the request: http_end_* frees it (and its
 * arena) before it returns, so r, and every pointer into its memory, must
 * not be used after the call. The name says so at every call site; write
 * `http_end_problem(r, …); return -1;`, never code that reads r after.
 *
 * Request memory: everything allocated for a request lives in its arena
 * (r->pool, util/arena.h): the head, path, query and body, and whatever a
 * handler takes with http_req_alloc and friends. It is wiped and freed
 * once, when the request ends: after its answer is written to the
 * connection's output, or when it is abandoned (the client left, a
 * deadline passed, the server stopped). Nothing taken from it is freed on
 * its own.
 */
#ifndef SLATE_HTTP_SERVER_H
#define SLATE_HTTP_SERVER_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#include "http/body.h"
#include "http/parse.h"
#include "http/router.h"
#include "util/arena.h"
#include "util/config.h"
#include "util/err.h"
#include "util/workq.h"

struct http_loop;
struct conn;
struct store;
struct evbuffer;

/* A request id: this many random bytes, in hex. */
#define REQUEST_ID_BYTES 12

struct http_req {
	struct http_loop *loop;
	struct conn *conn; /* NULL once the client has gone */
	struct arena pool; /* the request's memory: wiped and freed when it ends */
	char *head_buf;    /* in pool: the raw head; `head` points into it */
	struct http_head head;
	char method[17];
	char *path;  /* in pool, without the query */
	char *query; /* in pool, without '?', or NULL */
	struct route_match match;
	int route_status;  /* router_match's answer, taken once the head is read: 200, 404, 405 */
	int authenticated; /* the authenticate hook accepted the head (it runs once) */
	char *body;        /* in pool, NUL-terminated, body_len bytes; NULL for a streamed body */
	size_t body_len;   /* while the body arrives: the bytes so far */
	size_t body_held;  /* bytes of body_memory_budget this request holds until it ends */
	/* a streamed body (http_stream_body): where it goes, and how much has gone */
	struct {
		int (*write)(void *arg, const unsigned char *p, size_t n, struct err *e);
		void (*free)(void *arg);
		void *arg;
		size_t seen;
	} sink;
	char request_id[2 * REQUEST_ID_BYTES + 1]; /* 24 hex characters */
	int peer_loopback;
	char peer[64]; /* the client's address, for the audit log only (never logged) */
	/* set by the authenticate hook for non-public routes: in pool (api/session.c), or
	   freed by auth_free (if set) when the request ends */
	void *auth;
	void (*auth_free)(void *);
	/* 400 field errors found so far, answered together (http_field_error); NULL: none */
	json_t *field_errors;
	struct timespec start;
	/* response */
	struct evbuffer *out_headers; /* "Name: value\r\n" lines */
	int own_csp;   /* out_headers holds the answer's own Content-Security-Policy */
	int own_cache; /* out_headers holds its own Cache-Control (else: no-store) */
	int status;
	int answered;
};

struct http_server_opts {
	const struct config *config;
	const struct route *routes;
	size_t nroutes;
	void *tls_ctx; /* SSL_CTX *, owned by the caller */
	const char *db_path;
	struct keyring *keys; /* shared by every loop; owned by the caller */
	/*
	 * Runs before the handler of every route without ROUTE_PUBLIC. Returns 0
	 * (r->auth set) to go on, or -1 after answering (401, 403, …). Without a
	 * hook such routes answer 401: the server fails closed.
	 */
	int (*authenticate)(struct http_req *r);
	/*
	 * Runs once the head is read and authenticated (route matched), before
	 * any byte of the body: 0 to go on, -1 after answering; the body is then
	 * never read and the connection closes after the answer. Upload routes
	 * check here who may write and where the body goes (http_stream_body).
	 * NULL: nothing to check. Like authenticate, it answers synchronously.
	 */
	int (*before_body)(struct http_req *r);
};

/*
 * Bodies in memory. Every request that sends a body holds part of
 * body_memory_budget (shared by all loop threads) from its head until it
 * ends: a buffered body its Content-Length, a streamed one
 * HTTP_STREAM_HOLD. A head that would overdraw the budget is answered 503
 * with Retry-After before its body is read.
 */
#define HTTP_STREAM_HOLD      (256L * 1024) /* a sink's two 64 KiB buffers and unread input */
/* The largest body of a ROUTE_IMPORT route (kept whole in memory to be parsed). */
#define HTTP_IMPORT_MAX_BYTES (16L * 1024 * 1024)

/* Runs until SIGTERM/SIGINT and a graceful drain; returns 0 on a clean stop. */
int http_serve(const struct http_server_opts *o, struct err *e);

/* What a handler may reach. */
struct store *http_req_store(struct http_req *r);
struct keyring *http_req_keys(struct http_req *r);
const struct config *http_req_config(struct http_req *r);
const char *http_req_header(struct http_req *r, const char *name, size_t *len);
/* The https port the server listens on (for redirects). */
int http_req_https_port(struct http_req *r);

/*
 * Memory that lives until the request ends (see the top): n bytes,
 * uninitialised, aligned for any type; aborts when memory is out. Wiped
 * when the request ends, so it may hold personal data. Loop thread only.
 */
void *http_req_alloc(struct http_req *r, size_t n);
char *http_req_strdup(struct http_req *r, const char *s);
char *http_req_strndup(struct http_req *r, const char *s, size_t n);

/*
 * Adds a header line to the answer. A Content-Security-Policy replaces the
 * default policy and a Cache-Control the default "no-store" (each answer
 * carries exactly one of each).
 */
void http_add_header(struct http_req *r, const char *name, const char *value);

/*
 * Answering. Each of these writes the answer and ENDS THE REQUEST: r is
 * freed before it returns (its arena wiped), so neither r nor anything in
 * its memory may be touched after the call. Call exactly one, once.
 */
void http_end_reply(struct http_req *r, int status, const char *content_type, const void *body,
                    size_t len);
void http_end_reply_buffer(struct http_req *r, int status, const char *content_type,
                           struct evbuffer *body);
/* Serialises and sends j (the reference is stolen); the JSON text is wiped once sent. */
void http_end_reply_json(struct http_req *r, int status, json_t *j);
/* RFC 9457 problem+json; detail is shown to the client: no internals. */
void http_end_problem(struct http_req *r, int status, const char *detail);
/* Same, with errors: [{pointer, detail}] (stolen). */
void http_end_problem_errors(struct http_req *r, int status, const char *detail, json_t *errors);

/*
 * The request body as a checked JSON object, or NULL after answering 400
 * with every problem found (the request has then ended: r is gone). The
 * caller owns the returned reference.
 */
json_t *http_json_body(struct http_req *r, const struct body_field *fields, size_t nfields);

/*
 * Every bad field of a request in one answer. http_json_body_open is
 * http_json_body for a handler that checks more itself: a body that parses
 * comes back even when body_check refused fields, whose errors wait on r;
 * the handler adds its own with http_field_error (one entry per pointer:
 * the first problem of a field is the one named) and, before it acts,
 * answers them all with http_field_errors_answer. A 2xx answer while
 * errors wait is a bug (asserted). api_bad_field answers at once with the
 * waiting errors and its own.
 */
json_t *http_json_body_open(struct http_req *r, const struct body_field *fields, size_t nfields);
void http_field_error(struct http_req *r, const char *pointer, const char *detail);
/*
 * 1 after answering 400 with every waiting field error, which ends the
 * request like http_end_problem (r is gone); 0 when none wait (r lives on).
 */
int http_field_errors_answer(struct http_req *r);

/*
 * From a before_body hook of a ROUTE_UPLOAD route: the body is not kept but
 * handed to write(arg, …) piece by piece as it arrives, on the loop thread
 * (r->body stays NULL; body_len is the whole length once it has arrived).
 * write returns 0, or -1 with e filled: the request is then answered 500
 * and the rest of the body is not read. The handler reaches arg with
 * http_req_sink. free_fn(arg) runs when the request ends — answered,
 * refused, or left incomplete (the client went away, the deadline passed):
 * it undoes whatever a body that did not finish left behind.
 */
void http_stream_body(struct http_req *r,
                      int (*write)(void *arg, const unsigned char *p, size_t n, struct err *e),
                      void (*free_fn)(void *arg), void *arg);
/* The arg of http_stream_body, or NULL when the body was not streamed. */
void *http_req_sink(struct http_req *r);

/*
 * Runs job->work on the worker pool, then job->done on this request's loop.
 * Sets job->home; the job must stay alive until done runs.
 */
void http_defer(struct http_req *r, struct job *job);

/*
 * From a job's work function only (on a worker thread): that worker's own
 * store connection, opened on its first use and closed when the worker
 * ends. NULL with e set when it cannot be opened. Never the request's loop
 * connection, which belongs to the loop thread. What a worker reads with
 * it is as fresh as a loop's read: its own snapshot, its own transactions.
 */
struct store *http_worker_store(struct err *e);

#endif

/*
 * server.c — listeners, loop threads, connections, responses. See server.h.
 *
 * Why not evhttp: libevent 2.1's evhttp answers oversized bodies, bad
 * headers and unknown methods itself, with an HTML page that carries none
 * of Slate's security headers, and offers no hook for a whole-request
 * deadline, a connection cap or a graceful drain. So Slate keeps libevent's
 * loops, bufferevents and bufferevent_openssl, and reads HTTP/1.1 with its
 * own strict parser (parse.c).
 *
 * A connection moves through these states:
 *
 *   HEAD ──head parsed──> BODY ──body complete──> HANDLING ──reply──> WRITING
 *    ^                                                                  │
 *    └──────────── output flushed, keep-alive ──────────────────────────┘
 *   WRITING ──output flushed, close──> (LINGER) ──> freed
 *
 * Admission (accept_conn): at most max_connections are open; the last
 * loopback_reserve of them only for 127.0.0.1 and ::1, so the host's own
 * health check is answered while other clients fill the server; and any one
 * client address (IPv4 address, IPv6 /64; connlimit.c) holds at most
 * max_connections_per_address. A connection over a limit is closed at once.
 * accept() failing for want of descriptors pauses the listeners briefly
 * instead of spinning (on_accept_error).
 *
 * Deadlines (one timer per connection):
 *   - the TLS handshake must finish within tls_handshake_timeout of the
 *     connection opening: a silent connection holds its slot seconds only;
 *   - a whole request (TLS handshake, head and body) must arrive within
 *     request_timeout of the connection opening or of its first byte after
 *     a response; a slowloris client is cut off there, whatever its pace;
 *   - between requests a keep-alive connection may idle idle_timeout;
 *   - a response must keep flowing: a write stalled for idle_timeout closes;
 *   - LINGER: after refusing a request whose body was not read (413, 400…),
 *     the connection reads and discards for up to 2 s before closing, so
 *     the client sees the answer instead of a reset.
 *
 * Memory: a struct conn is owned by its loop and freed by conn_free. A
 * struct http_req is owned by the loop too; it outlives its connection when
 * the client leaves while the request is being handled (req->conn becomes
 * NULL and the answer is dropped). Freed memory stays in glibc's arenas
 * until trimmed: when a loop's connections have fallen to half of their
 * peak (and by TRIM_DROP at least), a timer calls malloc_trim a second
 * later, so the resident size falls back after a burst.
 *
 * Nothing of a body is read before its head is accepted. Once the head is
 * parsed the route is matched, and in this order, each refusal answered
 * without reading the body (the connection then lingers and closes):
 *   1. a Content-Length above the route's limit: 413 (max_body_bytes;
 *      upload_max_bytes for ROUTE_UPLOAD; HTTP_IMPORT_MAX_BYTES for
 *      ROUTE_IMPORT; max_body_bytes on the plain-HTTP port, which only
 *      redirects);
 *   2. a route that is not public: the authenticate hook, once (dispatch
 *      does not run it again; r->auth lives as long as the request);
 *   3. body_memory_budget, shared by every loop thread: the bytes all
 *      buffered bodies in flight hold together, a streamed body counting
 *      HTTP_STREAM_HOLD; a body that would overdraw it answers 503 with
 *      Retry-After;
 *   4. the before_body hook: the route's own check of the caller's right
 *      (an upload's production and role) and, for ROUTE_UPLOAD, the sink
 *      the body streams into. An upload route that sets no sink is refused.
 * Only then does the body state begin (and "100 Continue" go out). A
 * buffered body is moved out of the connection's input into its own block
 * as it arrives (so it is in memory once, as the budget counts it); a
 * streamed body passes through the sink as it arrives, never whole in
 * memory, and when the request ends for any reason the sink's free
 * function runs and removes what an unfinished body left.
 *
 * Shutdown: SIGTERM/SIGINT are blocked in every thread and taken by the
 * main thread with sigwait. It activates each loop's stop event; a loop
 * then closes its listeners, closes idle connections, answers requests in
 * progress with "Connection: close", and leaves its event loop when no
 * connection and no request remains, or at shutdown_timeout.
 */
#include "http/server.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <malloc.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/connlimit.h"
#include "http/encoding.h"
#include "http/metrics.h"
#include "http/problem.h"
#include "store/store.h"
#include "util/log.h"
#include "util/wipe.h"
#include "util/xalloc.h"

enum conn_state { C_HEAD, C_BODY, C_HANDLING, C_WRITING, C_LINGER };

#define LINGER_SECONDS  2
/* an accept that failed for want of file descriptors is retried after this long */
#define ACCEPT_RETRY_MS 250
/* memory is handed back once a loop has this many fewer connections than at its peak... */
#define TRIM_DROP       64
/* ...and this long after the drop */
#define TRIM_DELAY_MS   1000

struct http_server {
	const struct http_server_opts *o;
	const struct config *cfg;
	SSL_CTX *ssl;
	struct workq *workq;
	int https_port;
	atomic_long nconns;
	atomic_long body_bytes; /* held of body_memory_budget by the requests in flight */
	char https_addr[300];
	char http_addr[300];
	struct connlimit *per_address;
	atomic_long refused_address, refused_full; /* since the last "connections refused" line */
	atomic_long refused_logged_at;             /* monotonic seconds of that line */
};

struct http_loop {
	struct http_server *srv;
	pthread_t thread;
	struct event_base *base;
	struct evconnlistener *lis_https, *lis_http;
	struct store *store;
	struct mailbox *mailbox;
	struct event *stop_ev, *drain_deadline;
	int draining;
	long nreqs;
	long nconn;
	struct conn *conns;
	time_t date_at;
	char date[40];
	struct event *accept_retry; /* listeners paused after EMFILE/ENFILE resume here */
	struct event *trim_ev;      /* malloc_trim once connections have dropped */
	long peak;                  /* the most connections open since the last trim */
	time_t accept_error_logged;
	/* random bytes for request ids, drawn 20 ids at a time (request_id_next): the last
	   ids_left of them are unused (none at first: the loop starts zeroed) */
	unsigned char ids[REQUEST_ID_BYTES * 20];
	size_t ids_left;
};

struct conn {
	struct http_loop *loop;
	struct bufferevent *bev;
	int tls;
	enum conn_state state;
	int started;     /* the current request's deadline is armed */
	int close_after; /* close once the response is flushed */
	int linger;      /* discard unread input before closing */
	int peer_loopback;
	int handshaken; /* TLS: the handshake is done (plain HTTP: always 1) */
	unsigned char addr_key[CONNLIMIT_KEY_BYTES];
	struct timespec opened;
	char peer[64];
	struct event *timer;
	struct http_req *req;
	struct conn *prev, *next;
};

/*
 * The page policy goes out unless the handler set its own (http_add_header
 * notes that), so that an answer carries exactly one Content-Security-Policy:
 * two would both apply, the stricter winning, and confuse every reader.
 */
static const char default_csp[] =
    "Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'\r\n";
static const char security_headers[] =
    "Strict-Transport-Security: max-age=31536000; includeSubDomains\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "Referrer-Policy: no-referrer\r\n"
    "X-Frame-Options: DENY\r\n"
    "Cross-Origin-Opener-Policy: same-origin\r\n"
    "Cross-Origin-Resource-Policy: same-origin\r\n"
    "Permissions-Policy: camera=(), microphone=(), geolocation=(), payment=()\r\n";
/* unless the handler set its own (the web app's assets are immutable) */
static const char no_store[] = "Cache-Control: no-store\r\n";

/* ---- time ------------------------------------------------------------ */

static double
elapsed(const struct timespec *since)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - since->tv_sec) + (double)(now.tv_nsec - since->tv_nsec) / 1e9;
}

static const char *
http_date(struct http_loop *l)
{
	time_t now = time(NULL);
	if (now != l->date_at) {
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(l->date, sizeof(l->date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		l->date_at = now;
	}
	return l->date;
}

static void
arm(struct conn *c, long seconds)
{
	struct timeval tv = {seconds, 0};
	evtimer_add(c->timer, &tv);
}

static void
arm_ms(struct event *ev, long ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	evtimer_add(ev, &tv);
}

/* ---- requests and connections ---------------------------------------- */

static void check_drained(struct http_loop *l);

/*
 * A new request id into out. Ids name a request in logs, answers and audit
 * events and must not repeat; they guard nothing, so the loop draws their
 * random bytes in batches: one getrandom(2) per 20 requests, not per request.
 */
static void
request_id_next(struct http_loop *l, char out[2 * REQUEST_ID_BYTES + 1])
{
	_Static_assert(sizeof(l->ids) % REQUEST_ID_BYTES == 0, "whole ids in a draw");
	if (l->ids_left == 0) {
		randombytes_buf(l->ids, sizeof(l->ids));
		l->ids_left = sizeof(l->ids);
	}
	sodium_bin2hex(out, 2 * REQUEST_ID_BYTES + 1, l->ids + sizeof(l->ids) - l->ids_left,
	               REQUEST_ID_BYTES);
	l->ids_left -= REQUEST_ID_BYTES;
}

static struct http_req *
req_new(struct conn *c)
{
	struct http_req *r = xcalloc(1, sizeof(*r));
	r->loop = c->loop;
	r->conn = c;
	r->peer_loopback = c->peer_loopback;
	memcpy(r->peer, c->peer, sizeof(r->peer));
	r->out_headers = evbuffer_new();
	clock_gettime(CLOCK_MONOTONIC, &r->start);
	request_id_next(c->loop, r->request_id);
	snprintf(r->method, sizeof(r->method), "-");
	r->path = arena_strdup(&r->pool, "-");
	r->match.index = -1;
	c->loop->nreqs++;
	return r;
}

static void
req_free(struct http_req *r)
{
	struct http_loop *l = r->loop;
	if (r->sink.free != NULL)
		r->sink.free(r->sink.arg); /* undoes a body that did not finish */
	if (r->body_held > 0)
		atomic_fetch_sub(&l->srv->body_bytes, (long)r->body_held);
	if (r->auth_free != NULL)
		r->auth_free(r->auth);
	json_decref(r->field_errors);
	evbuffer_free(r->out_headers);
	arena_free(&r->pool); /* head, path, query, body and every http_req_alloc, wiped */
	free(r);
	l->nreqs--;
	check_drained(l);
}

static void
conn_free(struct conn *c)
{
	struct http_loop *l = c->loop;

	if (c->req != NULL) {
		if (c->state == C_HANDLING)
			c->req->conn = NULL; /* the handler still owns it */
		else
			req_free(c->req);
		c->req = NULL;
	}
	event_free(c->timer);
	bufferevent_free(c->bev);
	if (c->prev)
		c->prev->next = c->next;
	else
		l->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	l->nconn--;
	atomic_fetch_sub(&l->srv->nconns, 1);
	connlimit_release(l->srv->per_address, c->addr_key);
	metrics_conn_close();
	free(c);
	/*
	 * After a burst, hand the memory its connections used back to the
	 * system: glibc keeps freed memory in each thread's arena (and TLS and
	 * buffer memory is spread through them), so without a trim the resident
	 * size stays at the burst's peak. Once per drop, a second after it.
	 */
	if (l->trim_ev != NULL && l->peak - l->nconn >= TRIM_DROP && l->nconn <= l->peak / 2 &&
	    !evtimer_pending(l->trim_ev, NULL))
		arm_ms(l->trim_ev, TRIM_DELAY_MS);
	check_drained(l);
}

static void
trim_memory(evutil_socket_t fd, short what, void *arg)
{
	struct http_loop *l = arg;
	(void)fd;
	(void)what;
	malloc_trim(0);
	l->peak = l->nconn;
}

static void
check_drained(struct http_loop *l)
{
	if (l->draining && l->nconn == 0 && l->nreqs == 0)
		event_base_loopexit(l->base, NULL);
}

/* ---- responses -------------------------------------------------------- */

struct store *
http_req_store(struct http_req *r)
{
	return r->loop->store;
}

struct keyring *
http_req_keys(struct http_req *r)
{
	return r->loop->srv->o->keys;
}

const struct config *
http_req_config(struct http_req *r)
{
	return r->loop->srv->cfg;
}

const char *
http_req_header(struct http_req *r, const char *name, size_t *len)
{
	if (r->head_buf == NULL) {
		*len = 0;
		return NULL;
	}
	return http_head_get(&r->head, name, len);
}

int
http_req_https_port(struct http_req *r)
{
	return r->loop->srv->https_port;
}

void *
http_req_alloc(struct http_req *r, size_t n)
{
	return arena_alloc(&r->pool, n);
}

char *
http_req_strdup(struct http_req *r, const char *s)
{
	return arena_strdup(&r->pool, s);
}

char *
http_req_strndup(struct http_req *r, const char *s, size_t n)
{
	return arena_strndup(&r->pool, s, n);
}

void
http_add_header(struct http_req *r, const char *name, const char *value)
{
	if (strcasecmp(name, "Content-Security-Policy") == 0)
		r->own_csp = 1;
	else if (strcasecmp(name, "Cache-Control") == 0)
		r->own_cache = 1;
	evbuffer_add_printf(r->out_headers, "%s: %s\r\n", name, value);
}

/*
 * One line per answered request. Only the server's own failures (5xx other
 * than 501 and 505) are errors. A client's mistake (every 4xx, and 501 and
 * 505, which answer malformed requests) is logged at info and at most
 * CLIENT_ERROR_LINES times a second per loop, so that no one can fill the
 * log by sending rubbish; how many lines a second left out is logged once
 * the next second begins. The counters are per thread, that is per loop.
 */
#define CLIENT_ERROR_LINES 20

static void
log_request(struct http_req *r, double secs)
{
	static _Thread_local long long second;
	static _Thread_local long lines, suppressed;
	const char *route = r->match.route ? r->match.route->pattern : "-";
	int client = (r->status >= 400 && r->status < 500) || r->status == 501 || r->status == 505;
	enum log_level lvl = !client && r->status >= 500 ? LOG_ERROR : LOG_INFO;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if ((long long)now.tv_sec != second) {
		if (suppressed > 0)
			log_event(LOG_INFO, "client errors not logged",
			          LOG_INT("lines", suppressed), LOG_END);
		second = (long long)now.tv_sec;
		lines = suppressed = 0;
	}
	if (client && lines++ >= CLIENT_ERROR_LINES) {
		suppressed++;
		return;
	}
	log_event(lvl, "request", LOG_STR("request_id", r->request_id),
	          LOG_STR("method", r->method), LOG_STR("route", route),
	          LOG_INT("status", r->status), LOG_DBL("duration_ms", secs * 1000.0), LOG_END);
}

void
http_end_reply_buffer(struct http_req *r, int status, const char *content_type,
                      struct evbuffer *body)
{
	struct conn *c = r->conn;
	struct evbuffer *out;
	struct http_loop *l = r->loop;
	struct evbuffer *gz = NULL; /* the body gzipped, for a ROUTE_GZIP route (http/encoding.h) */
	size_t blen = body ? evbuffer_get_length(body) : 0;
	int keep, send_body;
	double secs = elapsed(&r->start);

	/* a handler that found bad fields answers them, never a success */
	assert(status >= 400 || r->field_errors == NULL || json_array_size(r->field_errors) == 0);
	/* a request is answered once; with its client there, only while HANDLING it */
	assert(!r->answered);
	assert(c == NULL || (c->state == C_HANDLING && c->req == r));
	assert(status >= 100 && status <= 599);

	r->status = status;
	r->answered = 1;
	metrics_observe(r->match.index, status, secs);
	log_request(r, secs);
	if (c == NULL) { /* the client left while we worked */
		req_free(r);
		return;
	}
	if ((gz = http_gzip_answer(r, status, body)) != NULL) {
		body = gz;
		blen = evbuffer_get_length(gz);
	}
	keep = r->head_buf != NULL && r->head.keep_alive && !c->close_after && !l->draining;
	send_body = strcmp(r->method, "HEAD") != 0 && status != 204 && status != 304;
	out = bufferevent_get_output(c->bev);
	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\nDate: %s\r\nContent-Length: %zu\r\n", status,
	                    http_reason(status), http_date(l), blen);
	evbuffer_add(out, security_headers, sizeof(security_headers) - 1);
	if (!r->own_csp)
		evbuffer_add(out, default_csp, sizeof(default_csp) - 1);
	if (!r->own_cache)
		evbuffer_add(out, no_store, sizeof(no_store) - 1);
	if (content_type != NULL)
		evbuffer_add_printf(out, "Content-Type: %s\r\n", content_type);
	evbuffer_add_printf(out, "X-Request-Id: %s\r\n", r->request_id);
	evbuffer_add_buffer(out, r->out_headers);
	if (!keep)
		evbuffer_add(out, "Connection: close\r\n", 19);
	evbuffer_add(out, "\r\n", 2);
	if (body != NULL && send_body) {
		/*
		 * Copied behind the head in one piece of memory, so that an answer up
		 * to a TLS record's 16 KB leaves as one record and one write(2), not a
		 * record (and a system call) for the head and more for the body.
		 */
		unsigned char *flat = NULL;
		if (blen <= 16384 && evbuffer_expand(out, blen) == 0)
			flat = evbuffer_pullup(body, -1);
		if (flat != NULL && evbuffer_add(out, flat, blen) == 0)
			evbuffer_drain(body, blen);
		else
			evbuffer_add_buffer(out, body);
	}
	c->close_after = !keep;
	c->req = NULL;
	c->state = C_WRITING;
	{
		struct timeval tv = {l->srv->cfg->idle_timeout, 0};
		bufferevent_set_timeouts(c->bev, NULL, &tv);
	}
	bufferevent_enable(c->bev, EV_WRITE);
	if (gz != NULL)
		evbuffer_free(gz);
	req_free(r);
}

void
http_end_reply(struct http_req *r, int status, const char *content_type, const void *body,
               size_t len)
{
	struct evbuffer *b = evbuffer_new();
	if (len > 0)
		evbuffer_add(b, body, len);
	http_end_reply_buffer(r, status, content_type, b);
	evbuffer_free(b);
}

void
http_end_reply_json(struct http_req *r, int status, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(15));
	json_decref(j);
	if (s == NULL) {
		http_end_problem(r, 500, "the response could not be encoded");
		return;
	}
	http_end_reply(r, status, "application/json", s, strlen(s));
	wipe_free(s); /* a person's fields, as text: copied into the output, so gone from here */
}

void
http_end_problem_errors(struct http_req *r, int status, const char *detail, json_t *errors)
{
	char *s = problem_json(status, detail, r->request_id, errors);
	http_end_reply(r, status, "application/problem+json", s, s ? strlen(s) : 0);
	wipe_free(s);
}

void
http_end_problem(struct http_req *r, int status, const char *detail)
{
	http_end_problem_errors(r, status, detail, NULL);
}

json_t *
http_json_body(struct http_req *r, const struct body_field *fields, size_t nfields)
{
	struct err e;
	json_t *j = body_parse(r->body ? r->body : "", r->body_len, &e);
	json_t *errs;

	if (j == NULL) {
		http_end_problem(r, 400, e.msg);
		return NULL;
	}
	if ((errs = body_check(j, fields, nfields)) != NULL) {
		json_decref(j);
		http_end_problem_errors(r, 400,
		                        "the request body does not have the expected fields", errs);
		return NULL;
	}
	return j;
}

json_t *
http_json_body_open(struct http_req *r, const struct body_field *fields, size_t nfields)
{
	struct err e;
	json_t *j = body_parse(r->body ? r->body : "", r->body_len, &e);
	json_t *errs, *v;
	size_t i;

	if (j == NULL) {
		http_end_problem(r, 400, e.msg);
		return NULL;
	}
	/* each pointer once already (a key appears once); taken whole, not one by one: a body of
	 * 50,000 unknown keys must not cost 50,000² comparisons */
	if ((errs = body_check(j, fields, nfields)) != NULL) {
		if (r->field_errors == NULL) {
			r->field_errors = errs;
		} else {
			json_array_foreach (errs, i, v) {
				http_field_error(r,
				                 json_string_value(json_object_get(v, "pointer")),
				                 json_string_value(json_object_get(v, "detail")));
			}
			json_decref(errs);
		}
	}
	return j;
}

void
http_field_error(struct http_req *r, const char *pointer, const char *detail)
{
	json_t *v;
	size_t i;

	if (r->field_errors == NULL)
		r->field_errors = json_array();
	json_array_foreach (r->field_errors, i, v)
		if (strcmp(json_string_value(json_object_get(v, "pointer")), pointer) == 0)
			return; /* the field's first problem stands */
	body_error_add(r->field_errors, pointer, detail);
}

int
http_field_errors_answer(struct http_req *r)
{
	json_t *errs = r->field_errors;
	if (errs == NULL || json_array_size(errs) == 0)
		return 0;
	r->field_errors = NULL;
	http_end_problem_errors(r, 400, "a field is not acceptable", errs);
	return 1;
}

void
http_stream_body(struct http_req *r,
                 int (*write)(void *arg, const unsigned char *p, size_t n, struct err *e),
                 void (*free_fn)(void *arg), void *arg)
{
	assert(r->sink.write == NULL && r->body == NULL);
	r->sink.write = write;
	r->sink.free = free_fn;
	r->sink.arg = arg;
	r->sink.seen = 0;
}

void *
http_req_sink(struct http_req *r)
{
	return r->sink.write != NULL ? r->sink.arg : NULL;
}

void
http_defer(struct http_req *r, struct job *job)
{
	job->home = r->loop->mailbox;
	workq_submit(r->loop->srv->workq, job);
}

/*
 * The workers' store connections. A connection is used by one thread only
 * (SQLITE_OPEN_NOMUTEX), so a worker never borrows its request's loop
 * connection: each worker opens its own on first use and keeps it, in a
 * thread-specific slot whose destructor closes it when the worker ends
 * (workq_free joins the workers before http_serve returns, so before the
 * caller frees the keyring). What the connections are opened with is set
 * by http_serve before the workers start and cleared after they are
 * joined: thread creation and joining order those writes against every
 * read from a worker.
 */
static pthread_key_t worker_store_key;
static pthread_once_t worker_store_once = PTHREAD_ONCE_INIT;
static const struct http_server_opts *worker_opts;

static void
worker_store_close(void *s)
{
	store_close(s);
}

static void
worker_store_key_make(void)
{
	if (pthread_key_create(&worker_store_key, worker_store_close) != 0)
		abort(); /* no thread-specific slot left: nothing can run slow work */
}

struct store *
http_worker_store(struct err *e)
{
	struct store *s;

	assert(worker_opts != NULL);
	pthread_once(&worker_store_once, worker_store_key_make);
	if ((s = pthread_getspecific(worker_store_key)) != NULL)
		return s;
	if ((s = store_open(worker_opts->db_path, 0, worker_opts->keys, e)) == NULL)
		return NULL;
	pthread_setspecific(worker_store_key, s);
	return s;
}

/* Refuses the request in progress and closes the connection after answering. */
static void
refuse(struct conn *c, struct http_req *r, int status, const char *detail)
{
	c->close_after = 1;
	c->linger = 1;
	c->state = C_HANDLING;
	evtimer_del(c->timer);
	bufferevent_disable(c->bev, EV_READ);
	http_end_problem(r, status, detail);
}

/* ---- dispatch --------------------------------------------------------- */

static int
is_json(const char *v, size_t n)
{
	static const char ct[] = "application/json";
	size_t k = sizeof(ct) - 1;
	if (v == NULL || n < k || strncasecmp(v, ct, k) != 0)
		return 0;
	return n == k || v[k] == ';' || v[k] == ' ';
}

/*
 * The plain-HTTP port answers 308 to public_url and the request's path and
 * query. The client's Host is never used: echoing it would let anyone who
 * can send a request name the host users are sent to. A target that is not
 * a path (absolute-form, "*") is sent to the root.
 */
static void
redirect(struct http_req *r)
{
	const char *base = r->loop->srv->cfg->public_url;
	const char *target = r->head.target;
	int tlen = (int)r->head.target_len;
	char loc[4096];

	if (tlen == 0 || target[0] != '/') {
		target = "/";
		tlen = 1;
	}
	if (snprintf(loc, sizeof(loc), "%s%.*s", base, tlen, target) >= (int)sizeof(loc)) {
		http_end_problem(r, 400, "the request target is too long");
		return;
	}
	http_add_header(r, "Location", loc);
	http_end_reply(r, 308, NULL, NULL, 0);
}

static void
dispatch(struct conn *c, struct http_req *r)
{
	int st;

	assert(c->state == C_HANDLING && c->req == r && !r->answered);
	if (!c->tls) {
		redirect(r);
		return;
	}
	st = r->route_status;
	if (st == 404) {
		http_end_problem(r, 404, "there is nothing at this address");
		return;
	}
	if (st == 405) {
		http_add_header(r, "Allow", r->match.allow);
		http_end_problem(r, 405, "this address does not answer that method");
		return;
	}
	if (!(r->match.route->flags & ROUTE_PUBLIC) && !r->authenticated) {
		/* read_head authenticates every such request; never reached, but fail closed */
		http_end_problem(r, 401, "sign in first");
		return;
	}
	if (r->match.route->flags & ROUTE_JSON_BODY) {
		size_t n;
		const char *ct = http_req_header(r, "Content-Type", &n);
		if (!is_json(ct, n)) {
			http_end_problem(r, 415, "the request body must be application/json");
			return;
		}
	}
	r->match.route->handler(r);
}

/* ---- connection events ------------------------------------------------ */

static void conn_read(struct bufferevent *bev, void *arg);

/* The largest body this request may send (see the essay at the top, step 1). */
static long
body_limit(struct conn *c, struct http_req *r)
{
	const struct config *cfg = c->loop->srv->cfg;
	unsigned flags = r->route_status == 200 ? r->match.route->flags : 0;
	if (!c->tls)
		return cfg->max_body_bytes; /* the plain-HTTP port only redirects */
	if (flags & ROUTE_UPLOAD)
		return cfg->upload_max_bytes;
	if (flags & ROUTE_IMPORT)
		return cfg->upload_max_bytes < HTTP_IMPORT_MAX_BYTES ? cfg->upload_max_bytes
		                                                     : HTTP_IMPORT_MAX_BYTES;
	return cfg->max_body_bytes;
}

/*
 * Takes this request's share of body_memory_budget (step 3): 0, or -1 when
 * the bodies in flight already hold too much.
 */
static int
budget_take(struct conn *c, struct http_req *r)
{
	struct http_server *srv = c->loop->srv;
	long want = r->head.content_length, before;

	if (want <= 0)
		return 0;
	if (c->tls && r->route_status == 200 && (r->match.route->flags & ROUTE_UPLOAD))
		want = want < HTTP_STREAM_HOLD ? want : HTTP_STREAM_HOLD;
	before = atomic_fetch_add(&srv->body_bytes, want);
	if (before + want > srv->cfg->body_memory_budget) {
		atomic_fetch_sub(&srv->body_bytes, want);
		return -1;
	}
	r->body_held = (size_t)want;
	return 0;
}

/*
 * Steps 2 to 4 of the essay: who asks, whether the budget holds the body,
 * and the route's own check. 0 to read the body, or -1 once answered (the
 * request is gone; with a body announced, the connection closes after the
 * answer, its body unread).
 */
static int
check_head(struct conn *c, struct http_req *r)
{
	const struct http_server_opts *o = c->loop->srv->o;
	int close_after = c->close_after;
	unsigned flags = r->match.route->flags;

	if (r->head.content_length > 0)
		c->close_after = c->linger = 1; /* for an answer given now: the body stays unread */
	if (!(flags & ROUTE_PUBLIC)) {
		if (o->authenticate == NULL) {
			http_end_problem(r, 401, "sign in first");
			goto refused;
		}
		if (o->authenticate(r) == -1)
			goto refused; /* answered, and r is gone */
		r->authenticated = 1;
	}
	if (budget_take(c, r) == -1) {
		log_event(LOG_WARN, "body memory budget spent",
		          LOG_STR("request_id", r->request_id),
		          LOG_INT("content_length", r->head.content_length), LOG_END);
		http_add_header(r, "Retry-After", "5");
		http_end_problem(
		    r, 503, "the server is receiving as much as it can hold; try again shortly");
		goto refused;
	}
	if (o->before_body != NULL && o->before_body(r) == -1)
		goto refused;
	if ((flags & ROUTE_UPLOAD) && r->sink.write == NULL && r->head.content_length > 0) {
		log_event(LOG_ERROR, "an upload route set no sink",
		          LOG_STR("route", r->match.route->pattern), LOG_END);
		http_end_problem(r, 500, "this upload cannot be accepted");
		goto refused;
	}
	c->close_after = close_after;
	c->linger = 0;
	return 0;
refused:
	evtimer_del(c->timer);
	bufferevent_disable(c->bev, EV_READ);
	return -1;
}

static void
read_head(struct conn *c, struct evbuffer *in)
{
	const struct config *cfg = c->loop->srv->cfg;
	size_t len = evbuffer_get_length(in);
	struct evbuffer_ptr pos;
	struct http_req *r;
	size_t headlen;
	char *q;
	int st;

	assert(c->state == C_HEAD && c->req == NULL); /* one request at a time per connection */
	if (len == 0)
		return;
	if (!c->started) {
		c->started = 1;
		arm(c, cfg->request_timeout);
	}
	pos = evbuffer_search(in, "\r\n\r\n", 4, NULL);
	if (pos.pos < 0 && len <= (size_t)cfg->max_header_bytes)
		return; /* wait for more */
	r = req_new(c);
	c->req = r;
	if (pos.pos < 0 || (size_t)pos.pos + 4 > (size_t)cfg->max_header_bytes) {
		refuse(c, r, 431, "the request line and headers are too large");
		return;
	}
	headlen = (size_t)pos.pos + 4;
	assert(headlen <= (size_t)cfg->max_header_bytes);
	r->head_buf = arena_alloc(&r->pool, headlen);
	evbuffer_remove(in, r->head_buf, headlen);
	if ((st = http_parse_head(r->head_buf, headlen, &r->head)) != 0) {
		r->head_buf =
		    NULL; /* no head to answer by (keep-alive); the bytes die with the arena */
		refuse(c, r, st,
		       st == 411 ? "a request body needs a Content-Length"
		       : st == 501
		           ? "that Transfer-Encoding is not implemented; send Content-Length"
		       : st == 505 ? "only HTTP/1.1 and HTTP/1.0 are spoken here"
		       : st == 431 ? "too many header fields"
		                   : "the request is not well-formed HTTP/1.1");
		return;
	}
	snprintf(r->method, sizeof(r->method), "%.*s", (int)r->head.method_len, r->head.method);
	q = memchr(r->head.target, '?', r->head.target_len);
	if (q != NULL) {
		r->path = arena_strndup(&r->pool, r->head.target, (size_t)(q - r->head.target));
		r->query = arena_strndup(&r->pool, q + 1,
		                         r->head.target_len - (size_t)(q - r->head.target) - 1);
	} else {
		r->path = arena_strndup(&r->pool, r->head.target, r->head.target_len);
	}
	r->route_status = router_match(c->loop->srv->o->routes, c->loop->srv->o->nroutes, r->method,
	                               strlen(r->method), r->path, strlen(r->path), &r->match);
	if (r->head.content_length > body_limit(c, r)) {
		refuse(c, r, 413, "the request body is larger than this server accepts");
		return;
	}
	if (c->tls && r->route_status == 200) {
		c->state = C_HANDLING; /* hooks may answer; the request deadline still runs */
		if (check_head(c, r) == -1)
			return;
	} else if (budget_take(c, r) == -1) { /* a redirect, 404 or 405 still reads its body */
		http_add_header(r, "Retry-After", "5");
		refuse(c, r, 503,
		       "the server is receiving as much as it can hold; try again shortly");
		return;
	}
	/* no Content-Length and no Transfer-Encoding: the body is empty (RFC 9112 §6.3) */
	c->state = C_BODY;
	if (r->head.expect_continue && r->head.content_length > 0)
		evbuffer_add(bufferevent_get_output(c->bev), "HTTP/1.1 100 Continue\r\n\r\n", 25);
}

static void
read_body(struct conn *c, struct evbuffer *in)
{
	struct http_req *r = c->req;
	size_t need = r->head.content_length > 0 ? (size_t)r->head.content_length : 0;

	assert(c->state == C_BODY && !r->answered);

	if (r->sink.write != NULL) {
		/* streamed: each piece goes on as it arrives; only the pipelined rest stays */
		while (r->sink.seen < need && evbuffer_get_length(in) > 0) {
			struct evbuffer_iovec v;
			size_t take;
			struct err e;
			if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
				break;
			assert(r->sink.seen < need);
			take = v.iov_len < need - r->sink.seen ? v.iov_len : need - r->sink.seen;
			if (r->sink.write(r->sink.arg, v.iov_base, take, &e) == -1) {
				log_event(LOG_ERROR, "a streamed body was not taken",
				          LOG_STR("request_id", r->request_id),
				          LOG_STR("error", e.msg), LOG_END);
				refuse(c, r, 500, "the request body could not be stored");
				return;
			}
			evbuffer_drain(in, take);
			r->sink.seen += take;
		}
		if (r->sink.seen < need)
			return;
		r->body_len = need;
	} else {
		/* buffered: moved into its block as it arrives, so it is held once, not twice */
		size_t have = evbuffer_get_length(in), take;
		if (need > 0 && have == 0)
			return;
		if (r->body == NULL)
			r->body = arena_alloc(&r->pool, need + 1);
		assert(r->body_len <= need);
		take = have < need - r->body_len ? have : need - r->body_len;
		if (take > 0 && evbuffer_remove(in, r->body + r->body_len, take) != (int)take) {
			refuse(c, r, 500, "the request body could not be read");
			return;
		}
		r->body_len += take;
		assert(r->body_len <= need); /* never past the block of need + 1 bytes */
		if (r->body_len < need)
			return;
		r->body[need] = '\0';
	}
	c->state = C_HANDLING;
	evtimer_del(c->timer);
	bufferevent_disable(c->bev, EV_READ);
	dispatch(c, r);
}

static void
conn_read(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	if (c->state == C_LINGER) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	if (c->state == C_HEAD)
		read_head(c, in);
	if (c->state == C_BODY)
		read_body(c, in);
}

static void
conn_write(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct http_loop *l = c->loop;
	(void)bev;

	if (c->state != C_WRITING)
		return;
	assert(c->req == NULL); /* the answer that is flushing ended its request */
	if (c->close_after) {
		if (!c->linger) {
			conn_free(c);
			return;
		}
		c->state = C_LINGER;
		arm(c, LINGER_SECONDS);
		bufferevent_enable(c->bev, EV_READ);
		conn_read(c->bev, c);
		return;
	}
	c->state = C_HEAD;
	c->started = 0;
	bufferevent_set_timeouts(c->bev, NULL, NULL);
	arm(c, l->srv->cfg->idle_timeout);
	bufferevent_enable(c->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_input(c->bev)) > 0)
		conn_read(c->bev, c); /* a pipelined request is waiting */
}

static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) {
		conn_free(c);
		return;
	}
	if ((what & BEV_EVENT_CONNECTED) && !c->handshaken) {
		/*
		 * The handshake is done within tls_handshake_timeout; the first
		 * request keeps the rest of request_timeout, counted from the
		 * connection opening as before.
		 */
		const struct config *cfg = c->loop->srv->cfg;
		long left =
		    (long)((double)cfg->request_timeout * 1000.0 - elapsed(&c->opened) * 1000.0);
		c->handshaken = 1;
		if (c->state == C_HEAD && c->started)
			arm_ms(c->timer, left > 0 ? left : 0);
	}
}

static void
conn_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	(void)fd;
	(void)what;
	/* idle between requests, too slow to send one, or done lingering */
	conn_free(c);
}

static int
is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
		return (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
		static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0,    0,
		                                           0, 0, 0, 0, 0xff, 0xff};
		if (IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
			return 1;
		return memcmp(s6->sin6_addr.s6_addr, v4mapped, 12) == 0 &&
		       s6->sin6_addr.s6_addr[12] == 127;
	}
	return 0;
}

static void
peer_text(const struct sockaddr *sa, char *out, size_t len)
{
	const void *addr =
	    sa->sa_family == AF_INET6
	        ? (const void *)&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr
	        : (const void *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	if (inet_ntop(sa->sa_family, addr, out, (socklen_t)len) == NULL)
		snprintf(out, len, "-");
}

/*
 * A refused connection is closed at once and not logged one by one (a flood
 * would fill the log); one line a minute at most says how many were refused.
 * The peer's address is not logged.
 */
static void
note_refused(struct http_server *srv, atomic_long *counter)
{
	struct timespec now;
	long last;

	atomic_fetch_add(counter, 1);
	clock_gettime(CLOCK_MONOTONIC, &now);
	last = atomic_load(&srv->refused_logged_at);
	if (last != 0 && now.tv_sec - last < 60)
		return;
	if (!atomic_compare_exchange_strong(&srv->refused_logged_at, &last, (long)now.tv_sec))
		return;
	log_event(LOG_WARN, "connections refused",
	          LOG_INT("per_address_limit", atomic_exchange(&srv->refused_address, 0)),
	          LOG_INT("server_full", atomic_exchange(&srv->refused_full, 0)), LOG_END);
}

/*
 * Admission: the last loopback_reserve slots of max_connections are kept for
 * 127.0.0.1 and ::1, so a health check from the host itself is answered
 * while the server is full; every address, loopback ones included, may hold
 * max_connections_per_address at most.
 */
static void
accept_conn(struct http_loop *l, evutil_socket_t fd, struct sockaddr *sa, int tls)
{
	struct http_server *srv = l->srv;
	const struct config *cfg = srv->cfg;
	struct conn *c;
	struct bufferevent *bev;
	unsigned char key[CONNLIMIT_KEY_BYTES];
	long cap = cfg->max_connections;
	int one = 1;

	if (l->draining) {
		close(fd);
		return;
	}
	if (!connlimit_health_peer(sa))
		cap -= cfg->loopback_reserve;
	if (atomic_fetch_add(&srv->nconns, 1) >= cap) {
		atomic_fetch_sub(&srv->nconns, 1);
		note_refused(srv, &srv->refused_full);
		close(fd);
		return;
	}
	connlimit_key(sa, key);
	if (connlimit_acquire(srv->per_address, key) == -1) {
		atomic_fetch_sub(&srv->nconns, 1);
		note_refused(srv, &srv->refused_address);
		close(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (tls) {
		SSL *ssl = SSL_new(srv->ssl);
		if (ssl == NULL) {
			connlimit_release(srv->per_address, key);
			atomic_fetch_sub(&srv->nconns, 1);
			close(fd);
			return;
		}
		bev = bufferevent_openssl_socket_new(l->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
		                                     BEV_OPT_CLOSE_ON_FREE);
		if (bev != NULL)
			bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
		else
			SSL_free(ssl);
	} else {
		bev = bufferevent_socket_new(l->base, fd, BEV_OPT_CLOSE_ON_FREE);
	}
	if (bev == NULL) {
		connlimit_release(srv->per_address, key);
		atomic_fetch_sub(&srv->nconns, 1);
		close(fd);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->loop = l;
	c->bev = bev;
	c->tls = tls;
	c->handshaken = !tls;
	memcpy(c->addr_key, key, sizeof(key));
	clock_gettime(CLOCK_MONOTONIC, &c->opened);
	c->state = C_HEAD;
	c->peer_loopback = is_loopback(sa);
	peer_text(sa, c->peer, sizeof(c->peer));
	c->timer = evtimer_new(l->base, conn_timeout, c);
	c->next = l->conns;
	if (l->conns)
		l->conns->prev = c;
	l->conns = c;
	l->nconn++;
	if (l->nconn > l->peak)
		l->peak = l->nconn;
	metrics_conn_open();
	bufferevent_setcb(bev, conn_read, conn_write, conn_event, c);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	/*
	 * The handshake counts against the first request's deadline, and must
	 * itself be done within tls_handshake_timeout (conn_event re-arms), so a
	 * silent connection holds its slot for seconds, not request_timeout.
	 */
	c->started = 1;
	arm(c, tls && cfg->tls_handshake_timeout < cfg->request_timeout ? cfg->tls_handshake_timeout
	                                                                : cfg->request_timeout);
}

/*
 * accept() failed for a reason other than a client giving up: out of file
 * descriptors (EMFILE, ENFILE) or memory. The pending connection stays in the
 * kernel's queue, so the listening socket stays readable and the loop would
 * spin on it; pause accepting for a moment instead.
 */
static void
on_accept_error(struct evconnlistener *lis, void *arg)
{
	struct http_loop *l = arg;
	int err = EVUTIL_SOCKET_ERROR();
	time_t now = time(NULL);
	(void)lis;
	if (now - l->accept_error_logged >= 60) {
		l->accept_error_logged = now;
		log_event(LOG_WARN, "accept failed, pausing", LOG_STR("error", strerror(err)),
		          LOG_INT("connections", atomic_load(&l->srv->nconns)), LOG_END);
	}
	if (l->lis_https)
		evconnlistener_disable(l->lis_https);
	if (l->lis_http)
		evconnlistener_disable(l->lis_http);
	arm_ms(l->accept_retry, ACCEPT_RETRY_MS);
}

static void
accept_resume(evutil_socket_t fd, short what, void *arg)
{
	struct http_loop *l = arg;
	(void)fd;
	(void)what;
	if (l->lis_https)
		evconnlistener_enable(l->lis_https);
	if (l->lis_http)
		evconnlistener_enable(l->lis_http);
}

static void
on_accept_https(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa, int len,
                void *arg)
{
	(void)lis;
	(void)len;
	accept_conn(arg, fd, sa, 1);
}

static void
on_accept_http(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa, int len,
               void *arg)
{
	(void)lis;
	(void)len;
	accept_conn(arg, fd, sa, 0);
}

/* ---- loops and shutdown ----------------------------------------------- */

static void
drain_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct http_loop *l = arg;
	(void)fd;
	(void)what;
	log_event(LOG_WARN, "shutdown deadline reached", LOG_INT("connections", l->nconn),
	          LOG_INT("requests", l->nreqs), LOG_END);
	event_base_loopbreak(l->base);
}

static void
stop_loop(evutil_socket_t fd, short what, void *arg)
{
	struct http_loop *l = arg;
	struct timeval tv = {l->srv->cfg->shutdown_timeout, 0};
	struct conn *c, *next;
	(void)fd;
	(void)what;

	l->draining = 1;
	if (l->lis_https)
		evconnlistener_free(l->lis_https);
	if (l->lis_http)
		evconnlistener_free(l->lis_http);
	l->lis_https = l->lis_http = NULL;
	evtimer_add(l->drain_deadline, &tv);
	for (c = l->conns; c != NULL; c = next) {
		next = c->next;
		if (c->state == C_HEAD && evbuffer_get_length(bufferevent_get_input(c->bev)) == 0)
			conn_free(c); /* idle: no request started */
		else
			c->close_after = 1;
	}
	check_drained(l);
}

static void *
loop_main(void *arg)
{
	struct http_loop *l = arg;
	event_base_dispatch(l->base);
	return NULL;
}

static int
open_listener(const char *hostport, int *port, struct err *e)
{
	char host[256];
	char portstr[16];
	struct addrinfo hints, *ai = NULL;
	int fd = -1, one = 1, rc;

	if (config_parse_hostport(hostport, host, sizeof(host), port, e) == -1)
		return -1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%d", *port);
	if ((rc = getaddrinfo(host[0] ? host : NULL, portstr, &hints, &ai)) != 0)
		return err_set(e, 500, "cannot resolve %s: %s", hostport, gai_strerror(rc));
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		err_set(e, 500, "socket: %s", strerror(errno));
		goto out;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 || listen(fd, 1024) == -1) {
		err_set(e, 500, "cannot listen on %s: %s", hostport, strerror(errno));
		close(fd);
		fd = -1;
		goto out;
	}
	if (*port == 0) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		memset(&ss, 0, sizeof(ss));
		if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1) {
			err_set(e, 500, "getsockname: %s", strerror(errno));
			close(fd);
			fd = -1;
			goto out;
		}
		*port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
		                                       : ((struct sockaddr_in *)&ss)->sin_port);
	}
out:
	freeaddrinfo(ai);
	return fd;
}

/* Binds one socket per loop on the same port (SO_REUSEPORT); port 0 is resolved by the first. */
static int
open_listeners(const char *hostport, int *fds, size_t n, char *addr, size_t addrlen, int *port_out,
               struct err *e)
{
	char host[256];
	int port;
	char again[300];

	if (config_parse_hostport(hostport, host, sizeof(host), &port, e) == -1)
		return -1;
	if ((fds[0] = open_listener(hostport, &port, e)) == -1)
		return -1;
	snprintf(again, sizeof(again), strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
	for (size_t i = 1; i < n; i++) {
		int p = port;
		if ((fds[i] = open_listener(again, &p, e)) == -1) {
			for (size_t k = 0; k < i; k++)
				close(fds[k]);
			return -1;
		}
	}
	snprintf(addr, addrlen, "%s", again);
	*port_out = port;
	return 0;
}

static long
ncores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? n : 1;
}

/*
 * A loop's event base. With epoll's change list, the events a request turns
 * off and on again within one pass of the loop (reading stops while it is
 * handled, writing starts for its answer and stops once the answer is out,
 * reading starts again) cost no epoll_ctl call when they cancel out; on
 * keep-alive TLS that was four system calls per request.
 */
/*
 * Each connection is a file descriptor: lift the soft limit to the hard one
 * (systemd's default soft limit is 1024), and say so when max_connections
 * cannot be reached.
 */
static void
raise_limits(const struct config *cfg)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			(void)setrlimit(RLIMIT_NOFILE, &rl);
			(void)getrlimit(RLIMIT_NOFILE, &rl);
		}
		if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)cfg->max_connections + 64)
			log_event(LOG_WARN, "max_connections is above the open-file limit",
			          LOG_INT("max_connections", cfg->max_connections),
			          LOG_INT("open_files", (long long)rl.rlim_cur), LOG_END);
	}
}

static struct event_base *
new_base(void)
{
	struct event_config *cfg = event_config_new();
	struct event_base *b;

	if (cfg == NULL)
		return NULL;
	event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	b = event_base_new_with_config(cfg);
	event_config_free(cfg);
	return b;
}

int
http_serve(const struct http_server_opts *o, struct err *e)
{
	const struct config *cfg = o->config;
	struct http_server srv;
	size_t nloops = (size_t)(cfg->threads > 0 ? cfg->threads : ncores());
	size_t nworkers = (size_t)(cfg->workers > 0 ? cfg->workers : ncores());
	struct http_loop *loops = xcalloc(nloops, sizeof(*loops));
	int *https_fds = xcalloc(nloops, sizeof(int));
	int *http_fds = xcalloc(nloops, sizeof(int));
	int http_port = 0, rc = -1, sig;
	size_t started = 0;
	sigset_t set;

	memset(&srv, 0, sizeof(srv));
	srv.o = o;
	srv.cfg = cfg;
	srv.ssl = o->tls_ctx;
	srv.per_address = connlimit_new(cfg->max_connections_per_address);
	raise_limits(cfg);
	for (size_t i = 0; i < nloops; i++)
		https_fds[i] = http_fds[i] = -1;
	metrics_init(o->routes, o->nroutes);
	if (open_listeners(cfg->listen, https_fds, nloops, srv.https_addr, sizeof(srv.https_addr),
	                   &srv.https_port, e) == -1)
		goto out;
	if (cfg->http_listen[0] != '\0' &&
	    open_listeners(cfg->http_listen, http_fds, nloops, srv.http_addr, sizeof(srv.http_addr),
	                   &http_port, e) == -1)
		goto out;
	for (size_t i = 0; i < nloops; i++) {
		struct http_loop *l = &loops[i];
		l->srv = &srv;
		if ((l->store = store_open(o->db_path, 0, o->keys, e)) == NULL)
			goto out;
		l->base = new_base();
		if (l->base == NULL) {
			err_set(e, 500, "cannot create an event loop");
			goto out;
		}
		l->mailbox = mailbox_new(l->base);
		l->stop_ev = event_new(l->base, -1, 0, stop_loop, l);
		l->drain_deadline = evtimer_new(l->base, drain_deadline, l);
		l->accept_retry = evtimer_new(l->base, accept_resume, l);
		l->trim_ev = evtimer_new(l->base, trim_memory, l);
		l->lis_https = evconnlistener_new(l->base, on_accept_https, l,
		                                  LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1,
		                                  https_fds[i]);
		https_fds[i] = -1;
		if (http_fds[i] != -1) {
			l->lis_http = evconnlistener_new(
			    l->base, on_accept_http, l,
			    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, http_fds[i]);
			http_fds[i] = -1;
		}
		if (l->lis_https == NULL || (cfg->http_listen[0] && l->lis_http == NULL)) {
			err_set(e, 500, "cannot start listening");
			goto out;
		}
		evconnlistener_set_error_cb(l->lis_https, on_accept_error);
		if (l->lis_http != NULL)
			evconnlistener_set_error_cb(l->lis_http, on_accept_error);
	}
	pthread_once(&worker_store_once, worker_store_key_make);
	worker_opts = o;
	srv.workq = workq_new(nworkers);

	/* Signals: taken by this thread only, with sigwait (the caller should have blocked them
	 * before starting any thread of its own; blocking again here is harmless). */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	for (; started < nloops; started++)
		if (pthread_create(&loops[started].thread, NULL, loop_main, &loops[started]) != 0) {
			err_set(e, 500, "cannot start loop threads");
			break;
		}
	if (started == nloops) {
		if (srv.http_addr[0])
			log_event(LOG_INFO, "listening", LOG_STR("https", srv.https_addr),
			          LOG_STR("http", srv.http_addr), LOG_INT("threads", nloops),
			          LOG_INT("workers", nworkers), LOG_END);
		else
			log_event(LOG_INFO, "listening", LOG_STR("https", srv.https_addr),
			          LOG_INT("threads", nloops), LOG_INT("workers", nworkers),
			          LOG_END);
		while (sigwait(&set, &sig) != 0)
			;
		log_event(LOG_INFO, "shutting down",
		          LOG_STR("signal", sig == SIGTERM ? "TERM" : "INT"), LOG_END);
		rc = 0;
	}
	for (size_t i = 0; i < started; i++)
		event_active(loops[i].stop_ev, EV_READ, 0);
	for (size_t i = 0; i < started; i++)
		pthread_join(loops[i].thread, NULL);
	workq_free(srv.workq);
	srv.workq = NULL;
out:
	for (size_t i = 0; i < nloops; i++) {
		struct http_loop *l = &loops[i];
		struct conn *c, *next;
		for (c = l->conns; c != NULL; c = next) {
			next = c->next;
			conn_free(c);
		}
		if (l->lis_https)
			evconnlistener_free(l->lis_https);
		if (l->lis_http)
			evconnlistener_free(l->lis_http);
		if (l->stop_ev)
			event_free(l->stop_ev);
		if (l->drain_deadline)
			event_free(l->drain_deadline);
		if (l->accept_retry)
			event_free(l->accept_retry);
		if (l->trim_ev)
			event_free(l->trim_ev);
		mailbox_free(l->mailbox);
		if (l->base)
			event_base_free(l->base);
		store_close(l->store);
		if (https_fds[i] != -1)
			close(https_fds[i]);
		if (http_fds[i] != -1)
			close(http_fds[i]);
	}
	workq_free(srv.workq);
	worker_opts = NULL;
	connlimit_free(srv.per_address);
	metrics_free();
	free(loops);
	free(https_fds);
	free(http_fds);
	if (rc == 0)
		log_event(LOG_INFO, "stopped", LOG_END);
	return rc;
}

/*
 * health.c — liveness, readiness, security.txt (RFC 9116), the security
 * policy it points to, and Prometheus metrics.
 */
#include <event2/buffer.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/call.h"
#include "api/subprocessors.h"
#include "backup/backup.h"
#include "domain/incidents.h"
#include "http/metrics.h"
#include "store/store.h"
#include "util/log.h"
#include "util/timefmt.h"

void
health_live(struct api_call *call)
{
	struct http_req *r = call->r;
	static const char body[] = "{\"status\":\"ok\"}";
	http_end_reply(r, 200, "application/json", body, sizeof(body) - 1);
}

void
health_ready(struct api_call *call)
{
	struct http_req *r = call->r;
	static const char body[] = "{\"status\":\"ready\"}";
	struct err e;
	if (store_ping(http_req_store(r), &e) == -1) {
		http_end_problem(r, 503, "the store is not reachable");
		return;
	}
	{
		char why[128];
		if (backup_unready(why, sizeof(why))) {
			http_end_problem(r, 503, why);
			return;
		}
	}
	http_end_reply(r, 200, "application/json", body, sizeof(body) - 1);
}

void
health_security_txt(struct api_call *call)
{
	struct http_req *r = call->r;
	const struct config *c = http_req_config(r);
	char when[TIMEFMT_LEN];
	char body[2048];
	int n;

	time_rfc3339(time(NULL) + c->security_txt_days * 86400L, when);
	n = snprintf(body, sizeof(body),
	             "Contact: %s\nExpires: %s\nPolicy: %s\nPreferred-Languages: en\n"
	             "Canonical: %s/.well-known/security.txt\n",
	             c->security_contact, when, c->security_policy, c->public_url);
	if (n < 0 || (size_t)n >= sizeof(body)) {
		http_end_problem(r, 500, "security.txt could not be built");
		return;
	}
	http_end_reply(r, 200, "text/plain; charset=utf-8", body, (size_t)n);
}

void
health_security_policy(struct api_call *call)
{
	struct http_req *r = call->r;
	/* the document, then this instance's subprocessors (built at start: api/subprocessors.c) */
	const char *body = subprocessors_policy();
	http_end_reply(r, 200, "text/markdown; charset=utf-8", body, strlen(body));
}

/* Loopback peers may read metrics; others need the configured bearer token. */
static int
metrics_allowed(struct http_req *r)
{
	const char *token = http_req_config(r)->metrics_token;
	size_t n, tl = strlen(token);
	const char *auth;

	if (r->peer_loopback)
		return 1;
	auth = http_req_header(r, "Authorization", &n);
	if (tl == 0 || auth == NULL || n != tl + 7 || strncmp(auth, "Bearer ", 7) != 0)
		return 0;
	return sodium_memcmp(auth + 7, token, tl) == 0;
}

/* The incident register's 72-hour clocks (domain/incidents.h); nothing when it cannot be read. */
static void
incident_gauges(struct http_req *r, struct evbuffer *b)
{
	struct incidents_gauges g;
	struct err e;

	if (incidents_gauges(http_req_store(r), (long long)time(NULL), &g, &e) == -1) {
		log_event(LOG_WARN, "incident gauges not read", LOG_STR("error", e.msg), LOG_END);
		return;
	}
	evbuffer_add_printf(
	    b,
	    "# HELP slate_incidents_open Incidents of the register not closed.\n"
	    "# TYPE slate_incidents_open gauge\n"
	    "slate_incidents_open %ld\n"
	    "# HELP slate_incidents_clock_running Incidents whose 72-hour clock runs (the "
	    "authority not notified, not closed).\n"
	    "# TYPE slate_incidents_clock_running gauge\n"
	    "slate_incidents_clock_running %ld\n"
	    "# HELP slate_incidents_min_hours_left The fewest hours left on a running clock "
	    "(negative: overdue; 72 when none runs).\n"
	    "# TYPE slate_incidents_min_hours_left gauge\n"
	    "slate_incidents_min_hours_left %.2f\n"
	    "# HELP slate_incidents_past_48h Running clocks past 48 hours (the warning).\n"
	    "# TYPE slate_incidents_past_48h gauge\n"
	    "slate_incidents_past_48h %ld\n"
	    "# HELP slate_incidents_past_72h Running clocks past 72 hours (overdue).\n"
	    "# TYPE slate_incidents_past_72h gauge\n"
	    "slate_incidents_past_72h %ld\n",
	    g.open, g.running, g.running > 0 ? g.min_hours_left : (double)INCIDENTS_LIMIT_HOURS,
	    g.past_warn, g.past_limit);
}

void
health_metrics(struct api_call *call)
{
	struct http_req *r = call->r;
	struct evbuffer *b;
	if (!metrics_allowed(r)) {
		http_end_problem(r, 404, "there is nothing at this address");
		return;
	}
	b = evbuffer_new();
	metrics_render(b);
	incident_gauges(r, b);
	http_end_reply_buffer(r, 200, "text/plain; version=0.0.4; charset=utf-8", b);
	evbuffer_free(b);
}

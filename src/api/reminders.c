/*
 * reminders.c — see reminders.h.
 *
 * Every remind_check_interval seconds (default 60) the thread lists the
 * candidates (store.h, "Automatic reminders": the latest version of every
 * shoot day from yesterday on, not cancelled, of a production with
 * remind_hours_before > 0, whose reminder has not been dealt with) and, for
 * each, works out when its reminder is due (reminder_when):
 *
 *   due  = general call − remind_hours_before hours, in the production's
 *          zone (a call in a daylight-saving gap read with the offset before
 *          the gap, one in a fold at its first instant), but not sooner than
 *          remind_min_gap seconds (default 3600) after the version was
 *          published: a version published in the last hour before its
 *          reminder would otherwise remind people who just got it.
 *
 * Due and before general call: in one transaction, the version is marked
 * reminded (store_callsheet_auto_reminded: a second server on the same
 * database finds it marked and sends nothing), the reminders are queued
 * exactly as POST …/callsheets/{cid}/remind queues them
 * (api_distribution_send with reminder set: a message with a fresh
 * personal link to every recipient who has not acknowledged and has an
 * address, a not_sent row for one who has none), and the event
 * `callsheet.remind_auto` (actor `slate`, object the version) is written.
 * Any failure rolls all of it back, to be tried at the next pass.
 * General call passed, or a reminder that could only come after it (a
 * version published too late): the version is marked and nothing is sent.
 * A newer version published meanwhile simply replaces the candidate: each
 * version has a reminder of its own.
 */
#include "api/reminders.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "api/view.h"
#include "audit/audit.h"
#include "store/store.h"
#include "util/log.h"
#include "util/xalloc.h"
#include "util/zone.h"

/* The n decimal digits at p as a number, or -1 when any of them is not a digit. */
static int
digits(const char *p, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

int
reminder_when(const char *tz, const char *date, const char *general_call, int hours,
              long long published, long long min_gap, struct reminder_when *out)
{
	struct zone_local zl;
	int h, m, mo, d;

	/* "HH:MM" (HH to 47: past midnight) and "YYYY-MM-DD", exactly */
	if (strlen(general_call) != 5 || general_call[2] != ':' || strlen(date) != 10 ||
	    date[4] != '-' || date[7] != '-' || digits(date, 4) < 0 || hours < 0)
		return -1;
	h = digits(general_call, 2);
	m = digits(general_call + 3, 2);
	mo = digits(date + 5, 2);
	d = digits(date + 8, 2);
	if (h < 0 || h > 47 || m < 0 || m > 59 || mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	/* tz is a production's, checked when it was saved (zone_known wants that first) */
	if (!zone_known(tz) || zone_local_instants(tz, date, h * 60 + m, &zl) == -1)
		return -1;
	out->call = zl.at[0];
	out->due = out->call - (long long)hours * 3600;
	if (out->due < published + min_gap)
		out->due = published + min_gap;
	out->useful = out->due < out->call;
	return 0;
}

static struct {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int started, stopping;
	char *db_path, *public_url;
	struct keyring *keys;
	long interval, min_gap;
} R = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

struct due_list {
	struct store_reminder_candidate *v;
	size_t n, cap;
};

static void
collect(const struct store_reminder_candidate *c, void *arg)
{
	struct due_list *l = arg;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = *c;
}

static long long
rfc3339_seconds(const char *t)
{
	struct tm tm = {0};
	const char *end = strptime(t, "%Y-%m-%dT%H:%M:%S", &tm);
	return end == NULL ? -1 : (long long)timegm(&tm);
}

/* Queues the reminders of candidate c (due now) and marks it, all or nothing. */
static void
remind(struct store *s, const struct store_reminder_candidate *c, long long now, int send)
{
	struct store_production p;
	struct store_callsheet cs;
	json_t *sheet = NULL, *out = NULL;
	struct err e;
	int marked;

	memset(&cs, 0, sizeof(cs));
	if (store_begin(s, &e) == -1)
		goto failed;
	if ((marked = store_callsheet_auto_reminded(s, c->callsheet_id, now, &e)) != 1) {
		store_rollback(s); /* another server did it, or the version went away */
		if (marked == -1)
			goto failed;
		return;
	}
	if (send) {
		struct audit_entry a = {"slate",         "reminder", "callsheet.remind_auto",
		                        c->callsheet_id, "success",  NULL,
		                        c->production_id};
		if (store_production_get(s, c->production_id, &p, &e) != 1 ||
		    store_callsheet_get(s, c->production_id, c->callsheet_id, 1, &cs, &e) != 1 ||
		    (sheet = json_loads(cs.body, 0, NULL)) == NULL ||
		    api_distribution_send(s, R.public_url, &p, &cs, sheet, 1, &out, &e) == -1 ||
		    audit_record(s, &a, &e) == -1) {
			store_rollback(s);
			goto failed;
		}
	}
	if (store_commit(s, &e) == -1)
		goto failed;
	if (send)
		log_event(LOG_INFO, "call sheet reminders queued",
		          LOG_STR("callsheet", c->callsheet_id),
		          LOG_INT("queued",
		                  (long long)json_integer_value(json_object_get(out, "queued"))),
		          LOG_END);
	goto out;
failed:
	log_event(LOG_WARN, "call sheet reminders not queued; tried again later",
	          LOG_STR("callsheet", c->callsheet_id), LOG_STR("error", e.msg), LOG_END);
out:
	json_decref(out);
	json_decref(sheet);
	if (cs.body != NULL) {
		sodium_memzero(cs.body, strlen(cs.body));
		free(cs.body);
	}
}

/* One pass over the candidates. */
static void
pass(struct store *s)
{
	struct due_list l = {0};
	long long now = (long long)time(NULL);
	time_t yesterday = (time_t)(now - 2LL * 86400); /* every zone's yesterday, and then some */
	char since[16];
	struct tm tm;
	struct err e;

	gmtime_r(&yesterday, &tm);
	strftime(since, sizeof(since), "%Y-%m-%d", &tm);
	if (store_reminder_candidates(s, since, collect, &l, &e) == -1) {
		log_event(LOG_WARN, "call sheet reminders not listed", LOG_STR("error", e.msg),
		          LOG_END);
		free(l.v);
		return;
	}
	for (size_t i = 0; i < l.n; i++) {
		struct reminder_when w;
		long long published = rfc3339_seconds(l.v[i].published_at);
		if (published < 0 ||
		    reminder_when(l.v[i].timezone, l.v[i].date, l.v[i].general_call, l.v[i].hours,
		                  published, R.min_gap, &w) == -1)
			continue; /* a zone this system does not know: nothing to go by */
		if (!w.useful || now >= w.call)
			remind(s, &l.v[i], now, 0); /* too late to be of use: dealt with */
		else if (now >= w.due)
			remind(s, &l.v[i], now, 1);
	}
	free(l.v);
}

static void *
reminders_main(void *arg)
{
	struct store *s;
	struct err e;
	(void)arg;

	if ((s = store_open(R.db_path, 0, R.keys, &e)) == NULL) {
		log_event(LOG_ERROR, "the reminder thread cannot open the store",
		          LOG_STR("error", e.msg), LOG_END);
		return NULL;
	}
	pthread_mutex_lock(&R.mu);
	while (!R.stopping) {
		struct timespec until;
		pthread_mutex_unlock(&R.mu);
		pass(s);
		pthread_mutex_lock(&R.mu);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += R.interval;
		while (!R.stopping && pthread_cond_timedwait(&R.cv, &R.mu, &until) == 0)
			;
	}
	pthread_mutex_unlock(&R.mu);
	store_close(s);
	return NULL;
}

int
reminders_start(const struct config *c, const char *db_path, struct keyring *keys, struct err *e)
{
	R.db_path = xstrdup(db_path);
	R.public_url = xstrdup(c->public_url);
	R.keys = keys;
	R.interval = c->remind_check_interval;
	R.min_gap = c->remind_min_gap;
	R.stopping = 0;
	if (pthread_create(&R.thread, NULL, reminders_main, NULL) != 0) {
		reminders_stop();
		return err_set(e, 500, "cannot start the call sheet reminders");
	}
	R.started = 1;
	return 0;
}

void
reminders_stop(void)
{
	pthread_mutex_lock(&R.mu);
	R.stopping = 1;
	pthread_cond_signal(&R.cv);
	pthread_mutex_unlock(&R.mu);
	if (R.started)
		pthread_join(R.thread, NULL);
	R.started = 0;
	free(R.db_path);
	free(R.public_url);
	R.db_path = R.public_url = NULL;
}

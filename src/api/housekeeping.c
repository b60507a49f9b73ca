/*
 * housekeeping.c — see housekeeping.h.
 *
 * One thread, modelled on the reminders' (api/reminders.c): it opens its
 * own store connection, runs housekeeping_pass, then waits
 * retention_interval seconds on a condition variable that
 * housekeeping_stop signals, so stopping never waits out an interval. The
 * first pass runs at start: a server restarted more often than the
 * interval still keeps its promises.
 *
 * A pass is a list of jobs run one after the other, each independent of
 * the others (one failing does not stop the next):
 *
 *   deletion   every closed account whose grace period is over is deleted
 *              with its person records, their keys destroyed
 *              (backup/erasure.h), and every closed production whose grace
 *              period is over is erased (api/closing.h); then the
 *              deletion log is copied to the
 *              backup destinations when it changed since the last copy
 *              (or at the first pass), so that a restore elsewhere
 *              replays it. A copy that fails is tried at the next pass.
 *   retention  what outlived its retention (domain/retention.h), when
 *              retention_interval is not 0.
 *
 * The thread always runs: the deletion promise does not depend on the
 * retention setting. Its interval is retention_interval, or an hour when
 * that is 0. To add a job, add a call in housekeeping_pass and, if
 * /metrics should show it, a field in the state beside `last`.
 *
 * State for /metrics: the last retention report and the last deletion
 * run, under H.mu (the metrics renderer runs on a loop thread;
 * housekeeping_last and housekeeping_deletion copy them out).
 */
#include "api/housekeeping.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <time.h>

#include "api/closing.h"
#include "backup/erasure.h"
#include "util/log.h"
#include "util/xalloc.h"

static struct {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int started, stopping;
	char *db_path;
	struct keyring *keys;
	const struct config *c;
	int have_last;
	struct retention_report last;
	struct housekeeping_deletion deletion;
	long long shipped_size; /* the deletion log's size at its last copy; -1 none yet */
} H = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

/* The retention job: remove (or, dry_run set, count) what outlived its retention. */
static void
retention_job(struct store *s, const struct config *c, long long now)
{
	struct retention_report r;
	struct err e;
	int rc = retention_run(s, c, now, c->retention_dry_run != 0, &r, &e);

	pthread_mutex_lock(&H.mu);
	H.last = r;
	H.have_last = 1;
	pthread_mutex_unlock(&H.mu);
	if (rc == -1)
		log_event(LOG_WARN, "retention pass incomplete; tried again at the next pass",
		          LOG_STR("error", e.msg), LOG_END);
	log_event(LOG_INFO,
	          r.dry_run ? "retention pass (dry run: nothing removed)" : "retention pass",
	          LOG_INT("sessions", r.removed[RETENTION_SESSIONS]),
	          LOG_INT("api_tokens", r.removed[RETENTION_API_TOKENS]),
	          LOG_INT("throttle", r.removed[RETENTION_THROTTLE]),
	          LOG_INT("outbox", r.removed[RETENTION_OUTBOX]),
	          LOG_INT("audit", r.removed[RETENTION_AUDIT]),
	          LOG_INT("drill_scratch", r.removed[RETENTION_DRILL_SCRATCH]), LOG_END);
}

/* The deletion log's copies at the destinations, when it changed since the last one. */
static void
ship_deletions(const struct config *c)
{
	char *path = xasprintf("%s/%s", c->data_dir, ERASURE_LOG);
	struct stat st;
	struct err e;

	if (stat(path, &st) == 0 && (long long)st.st_size != H.shipped_size) {
		if (erasure_ship(c, &e) == 0)
			H.shipped_size = (long long)st.st_size;
		else
			log_event(LOG_WARN,
			          "the deletion log was not copied to the backups; tried again "
			          "at the next pass",
			          LOG_STR("error", e.msg), LOG_END);
	}
	free(path);
}

/* The deletion job: closed accounts whose grace period is over, deleted for good. */
static void
deletion_job(struct store *s, const struct config *c, long long now)
{
	struct erasure_report r = {0};
	struct closing_report p;
	struct err e, pe;
	int rc = erasure_due(s, H.keys, c->data_dir, now, 0, NULL, NULL, &r, &e);
	int prc = productions_close_due(s, H.keys, c->data_dir, c->upload_dir, now, 0, &p, &pe);

	pthread_mutex_lock(&H.mu);
	H.deletion.at = now;
	H.deletion.ok = rc == 0 && prc == 0 && p.failed == 0;
	H.deletion.accounts = r.accounts;
	H.deletion.people = r.people;
	H.deletion.productions = prc == 0 ? p.productions : 0;
	pthread_mutex_unlock(&H.mu);
	if (rc == -1)
		log_event(LOG_WARN, "deletion job incomplete; tried again at the next pass",
		          LOG_STR("error", e.msg), LOG_END);
	if (prc == -1)
		log_event(LOG_WARN, "closed productions not erased; tried again at the next pass",
		          LOG_STR("error", pe.msg), LOG_END);
	if (r.accounts > 0)
		log_event(LOG_INFO, "closed accounts deleted", LOG_INT("accounts", r.accounts),
		          LOG_INT("people", r.people), LOG_END);
	if (prc == 0 && p.productions > 0)
		log_event(LOG_INFO, "closed productions erased",
		          LOG_INT("productions", p.productions), LOG_INT("keys", p.keys), LOG_END);
	ship_deletions(c);
}

void
housekeeping_pass(struct store *s, const struct config *c, long long now)
{
	deletion_job(s, c, now);
	if (c->retention_interval > 0)
		retention_job(s, c, now);
	/* further jobs go here, each on its own (one failing does not stop the next) */
}

int
housekeeping_deletion(struct housekeeping_deletion *out)
{
	int have;
	pthread_mutex_lock(&H.mu);
	have = H.deletion.at != 0;
	*out = H.deletion;
	pthread_mutex_unlock(&H.mu);
	return have;
}

int
housekeeping_last(struct retention_report *out)
{
	int have;
	pthread_mutex_lock(&H.mu);
	have = H.have_last;
	if (have)
		*out = H.last;
	pthread_mutex_unlock(&H.mu);
	return have;
}

static void *
housekeeping_main(void *arg)
{
	struct store *s;
	struct err e;
	(void)arg;

	if ((s = store_open(H.db_path, 0, H.keys, &e)) == NULL) {
		log_event(LOG_ERROR, "the housekeeping thread cannot open the store",
		          LOG_STR("error", e.msg), LOG_END);
		return NULL;
	}
	pthread_mutex_lock(&H.mu);
	while (!H.stopping) {
		struct timespec until;
		pthread_mutex_unlock(&H.mu);
		housekeeping_pass(s, H.c, (long long)time(NULL));
		pthread_mutex_lock(&H.mu);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += H.c->retention_interval > 0 ? H.c->retention_interval : 3600;
		while (!H.stopping && pthread_cond_timedwait(&H.cv, &H.mu, &until) == 0)
			;
	}
	pthread_mutex_unlock(&H.mu);
	store_close(s);
	return NULL;
}

int
housekeeping_start(const struct config *c, const char *db_path, struct keyring *keys, struct err *e)
{
	H.db_path = xstrdup(db_path);
	H.shipped_size = -1;
	H.keys = keys;
	H.c = c;
	H.stopping = 0;
	if (pthread_create(&H.thread, NULL, housekeeping_main, NULL) != 0) {
		housekeeping_stop();
		return err_set(e, 500, "cannot start the housekeeping thread");
	}
	H.started = 1;
	return 0;
}

void
housekeeping_stop(void)
{
	pthread_mutex_lock(&H.mu);
	H.stopping = 1;
	pthread_cond_signal(&H.cv);
	pthread_mutex_unlock(&H.mu);
	if (H.started)
		pthread_join(H.thread, NULL);
	H.started = 0;
	free(H.db_path);
	H.db_path = NULL;
}

/*
 * audit_group.c — read audits, committed in groups.
 *
 * Every response that carries personal data writes a person.read_private
 * event (api/audit_read.c). Written on the loop thread, each would be a
 * write transaction of its own, and with synchronous=FULL each commit waits
 * for the disk while the loop serves nobody. Instead the loop thread hands
 * the event to this file's writer thread and answers at once; the writer
 * takes everything queued, appends it to the hash chain in one transaction
 * on its own store connection and commits, then takes what arrived
 * meanwhile. It lets a group form for AUDIT_GROUP_DELAY_MS after the first
 * event (less when the queue is half full, a reader of the log waits, or
 * the server stops), so under load many events share one commit (one
 * fsync, and one invalidation of the loop connections' page caches, which
 * every commit of another connection causes), and an event waits at most
 * that long plus one commit before it is durable.
 *
 * Promises:
 *   - Bounded loss. At most AUDIT_GROUP_MAX events wait in the queue (an
 *     adder waits while it is full) and at most AUDIT_GROUP_MAX are in the
 *     transaction being committed, so a crash (power cut, kill -9) loses at
 *     most 2 × AUDIT_GROUP_MAX read events, and only those of reads
 *     answered in the last AUDIT_GROUP_DELAY_MS plus one commit's time. A stop
 *     (SIGTERM, audit_group_stop) loses none: the writer commits the queue
 *     before it ends. Events other than read audits are not grouped.
 *   - Order and time. Each event keeps the time it was queued (`at`); the
 *     chain holds the grouped events in queue order, so between a grouped
 *     event and an event written directly by another request the chain's
 *     order may differ from the order of `at` by those milliseconds.
 *   - Readers of the log see everything queued before them: GET …/audit
 *     calls audit_group_sync first.
 *   - No writer (unit tests, `slate` on the command line, a writer that
 *     could not start or has stopped): audit_group_add answers -1 and the
 *     caller writes the event itself, as before.
 *
 * Memory: the queue owns malloc'd copies of each event's strings; the
 * writer swaps the queue with its own array under the lock and frees each
 * copy once written. One writer per process (module state below, guarded
 * by mu).
 */
#include "audit/audit_group.h"

#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

struct queued {
	char *actor, *source, *action, *object, *outcome, *request_id, *production_id;
	char at[TIMEFMT_LEN];
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t work; /* the writer waits here for events or the stop */
	pthread_cond_t done; /* adders wait here for room, syncers for commits */
	pthread_t thread;
	int running;  /* a writer takes events */
	int stopping; /* it is to commit the queue and end */
	int syncing;  /* callers of audit_group_sync waiting: commit without delay */
	struct queued q[AUDIT_GROUP_MAX];
	size_t n;
	unsigned long long added, written; /* events queued / taken and written, ever */
} g = {.mu = PTHREAD_MUTEX_INITIALIZER,
       .work = PTHREAD_COND_INITIALIZER,
       .done = PTHREAD_COND_INITIALIZER};

static char *
dup_opt(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static void
queued_free(struct queued *q)
{
	free(q->actor);
	free(q->source);
	free(q->action);
	free(q->object);
	free(q->outcome);
	free(q->request_id);
	free(q->production_id);
	memset(q, 0, sizeof(*q));
}

/* Appends batch[0..n) in one transaction; on failure the events are logged as lost (no content). */
static void
write_batch(struct store *s, struct queued *batch, size_t n)
{
	struct err e;
	size_t i;

	if (store_begin(s, &e) == -1)
		goto fail;
	for (i = 0; i < n; i++) {
		struct audit_entry a = {
		    batch[i].actor,   batch[i].source,     batch[i].action,       batch[i].object,
		    batch[i].outcome, batch[i].request_id, batch[i].production_id};
		if (audit_record_at(s, &a, batch[i].at, &e) == -1) {
			store_rollback(s);
			goto fail;
		}
	}
	if (store_commit(s, &e) == -1)
		goto fail;
	return;
fail:
	log_event(LOG_ERROR, "audit events not written", LOG_INT("events", (long long)n),
	          LOG_STR("error", e.msg), LOG_END);
}

static void *
writer_main(void *arg)
{
	struct store *s = arg;
	struct queued *batch = xcalloc(AUDIT_GROUP_MAX, sizeof(*batch));
	size_t n;
	unsigned long long upto;

	pthread_mutex_lock(&g.mu);
	for (;;) {
		struct timespec until;
		while (g.n == 0 && !g.stopping)
			pthread_cond_wait(&g.work, &g.mu);
		if (g.n == 0 && g.stopping)
			break;
		/* let a group form: every commit also makes each loop's connection read its pages
		   again (the WAL changed), so fewer, larger commits are cheaper for the readers too
		 */
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += AUDIT_GROUP_DELAY_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!g.stopping && !g.syncing && g.n < AUDIT_GROUP_MAX / 2 &&
		       pthread_cond_timedwait(&g.work, &g.mu, &until) == 0)
			;
		n = g.n;
		assert(n > 0 && n <= AUDIT_GROUP_MAX); /* bounded loss: one queue's worth at most */
		memcpy(batch, g.q, n * sizeof(*batch));
		memset(g.q, 0, n * sizeof(*batch));
		g.n = 0;
		upto = g.added;
		pthread_cond_broadcast(&g.done); /* room in the queue */
		pthread_mutex_unlock(&g.mu);
		write_batch(s, batch, n);
		for (size_t i = 0; i < n; i++)
			queued_free(&batch[i]);
		pthread_mutex_lock(&g.mu);
		assert(g.written <= upto &&
		       upto <= g.added); /* commits are counted in queue order */
		g.written = upto;
		pthread_cond_broadcast(&g.done); /* committed */
	}
	g.running = 0; /* under mu: an add from now on writes its own event */
	pthread_cond_broadcast(&g.done);
	pthread_mutex_unlock(&g.mu);
	free(batch);
	store_close(s);
	return NULL;
}

int
audit_group_start(const char *db_path, struct keyring *keys, struct err *e)
{
	struct store *s;

	assert(!g.running);
	if ((s = store_open(db_path, 0, keys, e)) == NULL)
		return -1;
	pthread_mutex_lock(&g.mu);
	g.stopping = 0;
	g.running = 1;
	if (pthread_create(&g.thread, NULL, writer_main, s) != 0) {
		g.running = 0;
		pthread_mutex_unlock(&g.mu);
		store_close(s);
		return err_set(e, 500, "cannot start the audit writer");
	}
	pthread_mutex_unlock(&g.mu);
	return 0;
}

void
audit_group_stop(void)
{
	int was;

	pthread_mutex_lock(&g.mu);
	was = g.running;
	g.stopping = 1;
	pthread_cond_signal(&g.work);
	pthread_mutex_unlock(&g.mu);
	if (was)
		pthread_join(g.thread, NULL);
	assert(g.n == 0);
}

int
audit_group_add(const struct audit_entry *a)
{
	/* the copies are made before the lock, which the loop threads and the writer share */
	struct queued c = {.actor = dup_opt(a->actor),
	                   .source = dup_opt(a->source),
	                   .action = dup_opt(a->action),
	                   .object = dup_opt(a->object),
	                   .outcome = dup_opt(a->outcome),
	                   .request_id = dup_opt(a->request_id),
	                   .production_id = dup_opt(a->production_id)};
	size_t n;

	pthread_mutex_lock(&g.mu);
	while (g.running && g.n == AUDIT_GROUP_MAX)
		pthread_cond_wait(&g.done, &g.mu);
	if (!g.running) {
		pthread_mutex_unlock(&g.mu);
		queued_free(&c);
		return -1;
	}
	assert(g.n < AUDIT_GROUP_MAX); /* an adder waits while the queue is full */
	time_rfc3339_ms_now(c.at);     /* under the lock: the queue is in the order of `at` */
	g.q[g.n] = c;
	n = ++g.n;
	g.added++;
	/*
	 * The writer needs waking twice per group only: when the queue stops being
	 * empty (it waits for an event) and when it is half full (it waits for the
	 * group to form, and cuts that short). A wake at every event cost each read
	 * a switch to the writer and back while the group formed.
	 */
	if (n == 1 || n == AUDIT_GROUP_MAX / 2)
		pthread_cond_signal(&g.work);
	pthread_mutex_unlock(&g.mu);
	return 0;
}

void
audit_group_sync(void)
{
	unsigned long long target;

	pthread_mutex_lock(&g.mu);
	target = g.added;
	g.syncing++;
	pthread_cond_signal(&g.work);
	while (g.running && g.written < target)
		pthread_cond_wait(&g.done, &g.mu);
	assert(g.syncing > 0 && (!g.running || g.written >= target));
	g.syncing--;
	pthread_mutex_unlock(&g.mu);
}

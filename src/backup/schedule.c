/*
 * schedule.c — backups inside `slate serve` (backup.h): one thread that
 * takes a snapshot every backup_snapshot_interval seconds and starts a
 * restore drill every backup_drill_interval seconds, and the state /metrics
 * and /readyz read.
 *
 * Schedule: a snapshot is due when the newest one in the destination is
 * that old (at once when there is none), so a restart neither skips nor
 * repeats one; a failed snapshot is tried again after a minute at the
 * earliest. A drill is due when the last one recorded in DEST/last-drill.json
 * is that old and a snapshot exists.
 *
 * The snapshot runs on this thread (backup_snapshot: its own connection, one
 * read transaction, so writers go on). The drill runs as a child process,
 * `slate backup verify` with the server's data directory, key file and
 * configuration: a restore opens another keystore and sets the process's
 * page key and epoch callback (store/pagecrypt.h), which must never happen
 * in the server's process; the child records the outcome in the destination
 * and in the audit log, and this thread reads it back. When the master key
 * came from standard input there is no file for the child to read: drills
 * are off then, and say so once at start.
 *
 * State (under mu): the newest snapshot's time, the last snapshot attempt's
 * failure, the last drill; re-read from the destination every tick (one
 * directory listing and one small file a second), so a `slate backup now`
 * or `verify` run beside the server shows at once.
 *
 * Readiness: not ready while the last snapshot attempt or the last drill
 * failed, or either is overdue (older than twice its interval, counted from
 * the server's start when there has been none).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "backup/backup.h"
#include "backup/dest.h"
#include "backup/ship.h"
#include "store/store.h"
#include "util/log.h"
#include "util/xalloc.h"

extern char **environ;

#define RETRY_SECONDS 60

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static struct {
	pthread_t th;
	int running, stop;
	/* copied from the configuration at start */
	char *dest, *data_dir, *key_file, *config_file, *db;
	long snapshot_interval, drill_interval, retention_days, s3_retention_days;
	struct backup_dest *s3; /* NULL: backup_dir alone */
	int drills;             /* 0 when the key came from standard input */
	long ship_grace;        /* seconds a destination may fail before /readyz says so */
	int snapshot_requested; /* the shipper lost continuity: a fresh snapshot now */
	struct keyring *keys;
	time_t started;
	/* state, under mu */
	int enabled;
	time_t last_snapshot, snapshot_failed_at;
	struct backup_drill drill, drill_s3;
	pid_t child;
} B;

/* The drill the schedule keys on: backup_dir's, or the store's when it is the only destination. */
static struct backup_drill *
primary(void)
{
	return B.dest != NULL ? &B.drill : &B.drill_s3;
}

static void
refresh(void)
{
	char name[BACKUP_NAME_MAX];
	struct backup_drill d;
	struct err e;
	time_t t = 0;

	if (B.dest != NULL) {
		if (backup_latest(B.dest, name, &e) == 1)
			t = backup_name_time(name);
		backup_drill_read(B.dest, &d);
	} else {
		/* the S3 store alone: one list and one small get a tick */
		if (backup_latest_from(B.s3, name, &e) == 1)
			t = backup_name_time(name);
		backup_drill_read_from(B.s3, B.data_dir, &d);
	}
	pthread_mutex_lock(&mu);
	B.last_snapshot = t;
	*primary() = d;
	pthread_mutex_unlock(&mu);
}

static void
audit_snapshot(const char *object, const char *outcome)
{
	struct err e;
	struct store *s = store_open(B.db, 0, B.keys, &e);
	struct audit_entry a = {NULL, "backup", "backup.snapshot", object, outcome, NULL, NULL};
	if (a.object == NULL)
		a.object = "s3";
	if (s == NULL || audit_record(s, &a, &e) == -1)
		log_event(LOG_WARN, "the snapshot's audit event was not written",
		          LOG_STR("reason", e.msg), LOG_END);
	store_close(s);
}

static void
snapshot(void)
{
	struct backup_snapshot_info info;
	struct err e;

	if (backup_snapshot(B.dest, B.retention_days, B.s3, B.s3_retention_days, B.db, B.keys,
	                    &info, &e) == -1) {
		log_event(LOG_ERROR, "backup snapshot failed",
		          LOG_STR("destination", B.dest ? B.dest : dest_label(B.s3)),
		          LOG_STR("reason", e.msg), LOG_END);
		pthread_mutex_lock(&mu);
		B.snapshot_failed_at = time(NULL);
		pthread_mutex_unlock(&mu);
		audit_snapshot(B.dest, "failure");
		return;
	}
	pthread_mutex_lock(&mu);
	B.snapshot_failed_at = 0;
	pthread_mutex_unlock(&mu);
	if (info.s3_skipped)
		log_event(LOG_WARN,
		          "backup snapshot taken into backup_dir alone: the S3 store failed",
		          LOG_STR("snapshot", info.name), LOG_END);
	log_event(LOG_INFO, "backup snapshot", LOG_STR("snapshot", info.name),
	          LOG_INT("bytes", info.size), LOG_DBL("seconds", info.seconds),
	          LOG_INT("pruned", info.pruned), LOG_END);
	audit_snapshot(info.name, "success");
}

/* Runs `slate backup verify` and waits for it (or for stop, which ends it). */
static void
drill(void)
{
	char exe[PATH_MAX];
	char *argv[12];
	int argc = 0, status = 0, err;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	posix_spawnattr_t attr;
	posix_spawn_file_actions_t fa;
	sigset_t none, deflt;
	pid_t pid;
	time_t before = time(NULL);

	if (n <= 0) {
		log_event(LOG_ERROR, "restore drill not started: cannot find the slate binary",
		          LOG_END);
		return;
	}
	exe[n] = '\0';
	argv[argc++] = exe;
	argv[argc++] = (char *)"backup";
	argv[argc++] = (char *)"verify";
	argv[argc++] = (char *)"--data";
	argv[argc++] = B.data_dir;
	argv[argc++] = (char *)"--key-file";
	argv[argc++] = B.key_file;
	if (B.config_file != NULL) {
		argv[argc++] = (char *)"--config";
		argv[argc++] = B.config_file;
	}
	argv[argc] = NULL;
	sigemptyset(&none);
	sigemptyset(&deflt);
	sigaddset(&deflt, SIGPIPE);
	sigaddset(&deflt, SIGTERM);
	sigaddset(&deflt, SIGINT);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &deflt);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if ((err = posix_spawn(&pid, exe, &fa, &attr, argv, environ)) != 0) {
		log_event(LOG_ERROR, "restore drill not started", LOG_STR("reason", strerror(err)),
		          LOG_END);
		pid = -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (pid == -1)
		return;
	pthread_mutex_lock(&mu);
	B.child = pid;
	pthread_mutex_unlock(&mu);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	pthread_mutex_lock(&mu);
	B.child = 0;
	pthread_mutex_unlock(&mu);
	refresh();
	pthread_mutex_lock(&mu);
	{
		struct backup_drill *p = primary();
		if (!p->known || p->at < before) {
			/* the child ended before it could record anything */
			p->known = 1;
			p->at = time(NULL);
			p->ok = 0;
			snprintf(p->reason, sizeof(p->reason),
			         "the drill process ended without a result (status %d)", status);
		}
		log_event(p->ok ? LOG_INFO : LOG_ERROR, "restore drill",
		          LOG_STR("destination", B.dest ? "dir" : "s3"),
		          LOG_STR("snapshot", p->snapshot), LOG_INT("ok", p->ok),
		          LOG_DBL("seconds", p->seconds), LOG_INT("sentinel", p->sentinel),
		          LOG_INT("generation", p->generation), LOG_INT("frame", p->frame),
		          LOG_STR("reason", p->reason), LOG_END);
	}
	pthread_mutex_unlock(&mu);
	if (B.s3 != NULL && B.dest != NULL) {
		/* the child drilled the store too (after the directory): its record there */
		struct backup_drill d;
		backup_drill_read_from(B.s3, B.data_dir, &d);
		if (d.known && d.at >= before)
			log_event(d.ok ? LOG_INFO : LOG_ERROR, "restore drill",
			          LOG_STR("destination", "s3"), LOG_STR("snapshot", d.snapshot),
			          LOG_INT("ok", d.ok), LOG_DBL("seconds", d.seconds),
			          LOG_INT("sentinel", d.sentinel),
			          LOG_INT("generation", d.generation), LOG_INT("frame", d.frame),
			          LOG_STR("reason", d.reason), LOG_END);
		pthread_mutex_lock(&mu);
		B.drill_s3 = d;
		pthread_mutex_unlock(&mu);
	}
}

static void *
run(void *arg)
{
	(void)arg;
	if (B.s3 != NULL && B.dest != NULL) {
		/* the store's last drill, for /metrics from the start (then after each drill) */
		struct backup_drill d;
		backup_drill_read_from(B.s3, B.data_dir, &d);
		pthread_mutex_lock(&mu);
		B.drill_s3 = d;
		pthread_mutex_unlock(&mu);
	}
	pthread_mutex_lock(&mu);
	while (!B.stop) {
		time_t now = time(NULL);
		int snap_due, drill_due;

		pthread_mutex_unlock(&mu);
		refresh();
		pthread_mutex_lock(&mu);
		snap_due =
		    B.snapshot_requested ||
		    (B.snapshot_interval > 0 &&
		     (B.last_snapshot == 0 || now - B.last_snapshot >= B.snapshot_interval) &&
		     (B.snapshot_failed_at == 0 || now - B.snapshot_failed_at >= RETRY_SECONDS));
		drill_due = B.drills && B.drill_interval > 0 && B.last_snapshot != 0 &&
		            (!primary()->known || now - primary()->at >= B.drill_interval);
		if (snap_due || drill_due) {
			if (snap_due)
				B.snapshot_requested = 0;
			pthread_mutex_unlock(&mu);
			if (snap_due)
				snapshot();
			else
				drill();
			pthread_mutex_lock(&mu);
			continue;
		}
		{
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += 1;
			pthread_cond_timedwait(&cv, &mu, &until);
		}
	}
	pthread_mutex_unlock(&mu);
	return NULL;
}

void
backup_request_snapshot(void)
{
	pthread_mutex_lock(&mu);
	B.snapshot_requested = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

int
backup_start(const struct config *c, const char *db_path, struct keyring *keys, int key_from_stdin,
             struct err *e)
{
	int dir = c->backup_dir != NULL && c->backup_dir[0] != '\0';

	if (!dir && (c->s3_endpoint == NULL || c->s3_endpoint[0] == '\0'))
		return 0;
	if (backup_s3_open(c, &B.s3, e) == -1)
		return -1;
	B.s3_retention_days = c->s3_retention_days;
	{
		/* SLATE_BACKUP_READY_GRACE: seconds (tests shorten the minute) */
		const char *g = getenv("SLATE_BACKUP_READY_GRACE");
		char *end;
		long v = g ? strtol(g, &end, 10) : -1;
		B.ship_grace = g && *g && *end == '\0' && v >= 0 && v <= 3600 ? v : 60;
	}
	B.dest = dir ? xstrdup(c->backup_dir) : NULL; /* NULL: the S3 store alone */
	B.data_dir = xstrdup(c->data_dir);
	B.key_file = xstrdup(c->key_file);
	B.config_file = c->config_file ? xstrdup(c->config_file) : NULL;
	B.db = xstrdup(db_path);
	B.snapshot_interval = c->backup_snapshot_interval;
	B.drill_interval = c->backup_drill_interval;
	B.retention_days = c->backup_retention_days;
	B.drills = !key_from_stdin;
	B.keys = keys;
	B.started = time(NULL);
	B.stop = 0;
	if (key_from_stdin && c->backup_drill_interval > 0)
		log_event(LOG_WARN,
		          "restore drills are off: the master key came from standard input, and a "
		          "drill reads key_file (run slate backup verify from cron instead)",
		          LOG_END);
	if (ship_start(c, db_path, e) == -1)
		return -1;
	refresh();
	pthread_mutex_lock(&mu);
	B.enabled = 1;
	pthread_mutex_unlock(&mu);
	if (pthread_create(&B.th, NULL, run, NULL) != 0) {
		backup_stop();
		return err_set(e, 500, "cannot start the backup thread");
	}
	B.running = 1;
	log_event(LOG_INFO, "backups on",
	          LOG_STR("destination", B.dest ? B.dest : dest_label(B.s3)),
	          LOG_INT("snapshot_interval", B.snapshot_interval),
	          LOG_INT("drill_interval", B.drills ? B.drill_interval : 0), LOG_END);
	return 0;
}

void
backup_stop(void)
{
	ship_stop(); /* what was committed is shipped first */
	pthread_mutex_lock(&mu);
	B.stop = 1;
	B.enabled = 0;
	if (B.child > 0)
		kill(B.child, SIGTERM); /* a drill stops; its scratch directory is left */
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	if (B.running)
		pthread_join(B.th, NULL);
	B.running = 0;
	dest_close(B.s3);
	B.s3 = NULL;
	free(B.dest);
	free(B.data_dir);
	free(B.key_file);
	free(B.config_file);
	free(B.db);
	B.dest = B.data_dir = B.key_file = B.config_file = B.db = NULL;
}

void
backup_state(struct backup_state *st)
{
	pthread_mutex_lock(&mu);
	st->enabled = B.enabled;
	st->last_snapshot = B.last_snapshot;
	st->drill = B.drill;
	st->s3 = B.s3 != NULL;
	st->dir = B.dest != NULL;
	st->drill_s3 = B.drill_s3;
	pthread_mutex_unlock(&mu);
}

int
backup_unready(char *why, size_t cap)
{
	time_t now = time(NULL), ref;
	int bad = 0;

	pthread_mutex_lock(&mu);
	if (!B.enabled)
		goto out;
	{
		struct ship_status ss[2];
		size_t n = ship_state_all(ss, 2);
		for (size_t i = 0; i < n; i++)
			if (ss[i].enabled && ss[i].failing_since != 0 &&
			    now - ss[i].failing_since > B.ship_grace) {
				snprintf(why, cap,
				         "shipping the WAL to the backup destination %s has failed "
				         "for %ld s",
				         ss[i].label, (long)(now - ss[i].failing_since));
				bad = 1;
				goto out;
			}
	}
	if (B.snapshot_failed_at != 0) {
		snprintf(why, cap, "the last backup snapshot failed");
		bad = 1;
		goto out;
	}
	if (B.drills && B.drill.known && !B.drill.ok) {
		snprintf(why, cap, "the last restore drill failed");
		bad = 1;
		goto out;
	}
	if (B.drills && B.drill_s3.known && !B.drill_s3.ok) {
		snprintf(why, cap, "the last restore drill from the S3 store failed");
		bad = 1;
		goto out;
	}
	ref = B.last_snapshot ? B.last_snapshot : B.started;
	if (B.snapshot_interval > 0 && now - ref > 2 * B.snapshot_interval) {
		snprintf(why, cap, "the last backup snapshot is overdue");
		bad = 1;
		goto out;
	}
	ref = primary()->known ? primary()->at : B.started;
	if (B.drills && B.drill_interval > 0 && now - ref > 2 * B.drill_interval) {
		snprintf(why, cap, "the last restore drill is overdue");
		bad = 1;
	}
out:
	pthread_mutex_unlock(&mu);
	return bad;
}

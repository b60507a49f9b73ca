/*
 * erasure.h — deleting people for good (issue 22), and keeping them deleted
 * through a restore (backup/erasure.c says how).
 *
 * The deletion job deletes every closed account whose grace period is over,
 * with every person record linked to it, and shreds their keys. Each
 * deletion, and each person record a producer removes, is also a line of
 * the deletion log, DATA/deletions.log: ids only, each line authenticated,
 * kept apart from the database and copied to every backup destination. A
 * restore replays it, so that a copy from before a deletion does not bring
 * the person back.
 */
#ifndef SLATE_BACKUP_ERASURE_H
#define SLATE_BACKUP_ERASURE_H

#include "store/store.h"
#include "util/config.h"
#include "util/err.h"

#define ERASURE_LOG "deletions.log"

struct keyring;
struct backup_dest;

/* The day count of the deletion grace period, as seconds (deletion_grace_days). */
long long erasure_grace(const struct config *c);

/*
 * Appends "the person record person_id of production_id was deleted" to
 * DATA/deletions.log, synced before it returns: 0, or -1 with e set (the
 * caller then keeps the record: nothing is deleted that the log does not
 * hold).
 */
int erasure_log_person(const char *data_dir, struct keyring *kr, const char *person_id,
                       const char *production_id, long long now, struct err *e);

/*
 * Appends "production production_id was erased, with these n person
 * records" the same way, before the erasure commits (api/closing.c).
 */
int erasure_log_production(const char *data_dir, struct keyring *kr, const char *production_id,
                           char *const *people, size_t n, long long now, struct err *e);

/* What one run did, or (dry_run) would do. */
struct erasure_report {
	int accounts; /* closed accounts deleted */
	int people;   /* person records deleted with them */
	int replayed; /* log entries that still found a row or a live key (after a restore) */
	int entries;  /* lines of the deletion log */
};

/* Called with one line of what the run does ("account usr_… deleted: …"); ids only. */
typedef void (*erasure_say)(const char *line, void *arg);

/*
 * The deletion job: every closed account due at now, each in its own
 * transaction with its audit event (`account.delete`, actor slate, the
 * account's id and nothing personal), the log line written first. dry_run
 * changes nothing and says what would go. 0, or -1 with e set at the
 * first failure (what was done stays done).
 */
int erasure_due(struct store *s, struct keyring *kr, const char *data_dir, long long now,
                int dry_run, erasure_say say, void *arg, struct erasure_report *out, struct err *e);

/*
 * Replays DATA/deletions.log: deletes again whatever of a logged deletion is
 * still there (rows, live keys), as after a restore from before it. A line
 * that does not authenticate under this keystore stops it (-1 naming the
 * line): the log is never half believed. No log is no error.
 */
int erasure_replay(struct store *s, struct keyring *kr, const char *data_dir, int dry_run,
                   erasure_say say, void *arg, struct erasure_report *out, struct err *e);

/* Puts DATA/deletions.log (when there is one) to every configured destination as ERASURE_LOG. */
int erasure_ship(const struct config *c, struct err *e);
/* The destination's ERASURE_LOG into DATA/deletions.log: 1 fetched, 0 the destination has none. */
int erasure_fetch(struct backup_dest *d, const char *data_dir, struct err *e);

#endif

/*
 * closing.h — a production's end (api/closing.c): archived, closed, then
 * erased once its grace period is over.
 */
#ifndef SLATE_API_CLOSING_H
#define SLATE_API_CLOSING_H

#include "store/store.h"

struct keyring;

/* A production's end state (Unix seconds, 0 when not). */
struct closing_state {
	long long archived_at, closed_at, deletion_due;
};

enum closing_step { CLOSING_ARCHIVE, CLOSING_UNARCHIVE, CLOSING_CLOSE, CLOSING_REOPEN };
/* The audit action of each step ("production.archive", …). */
extern const char *const closing_step_action[];

/*
 * One step of production p's end (p as read before), shared by the routes
 * and `slate production`, in the caller's transaction: the state's checks,
 * the store write and, for a close, the final export offer mailed to its
 * leaders (deletion due grace_days later). *after is the end state it
 * leaves. 0, or -1 with e set: 409 with the reason when p is not in a
 * state for the step (or changed meanwhile), else the store's error. The
 * caller writes the step's audit event (closing_step_action) and commits.
 */
int closing_step(struct store *s, const struct store_production *p, enum closing_step step,
                 long long now, long grace_days, struct closing_state *after, struct err *e);

/* What one run of productions_close_due did (or, dry run, would do). */
struct closing_report {
	long productions; /* erased (dry run: due) */
	long keys;   /* data keys destroyed: each production key and person key (dry run: to) */
	long files;  /* uploaded files removed from upload_dir (dry run: to remove) */
	long failed; /* due productions left for the next run (each logged) */
};

/*
 * Erases every production whose deletion is due at now (closed, and
 * production_close_grace_days gone by), each in one transaction of its own:
 * its person records' keys and its production key destroyed in keys, every
 * row of it deleted (store_production_erase), its audit events kept, and one
 * audit event `production.erase` (actor "slate", object the production id,
 * nothing personal) written, and, before it commits, a line of the deletion
 * log in data_dir naming it and its person records (backup/erasure.h: a
 * restore from before replays it); after the commit its uploaded files are
 * removed from upload_dir (NULL: none are). dry_run changes nothing and
 * counts what would go. A production that fails is rolled back, logged,
 * counted in failed and left for the next run; the others go on. out is
 * zeroed first. 0, or -1 with e set when the due productions cannot be
 * listed (or keys is NULL: nothing could be shredded).
 *
 * Called by the scheduled housekeeping job with its own store connection.
 */
int productions_close_due(struct store *s, struct keyring *keys, const char *data_dir,
                          const char *upload_dir, long long now, int dry_run,
                          struct closing_report *out, struct err *e);

#endif

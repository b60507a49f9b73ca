/*
 * closing.h — a production's end (api/closing.c): archived, closed, then
 * erased once its grace period is over.
 */
#ifndef SLATE_API_CLOSING_H
#define SLATE_API_CLOSING_H

#include "store/store.h"

struct keyring;

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

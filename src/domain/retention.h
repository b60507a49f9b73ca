/*
 * retention.h — how long Slate keeps what has ended, and the job that
 * removes it (issue 22, docs/OPERATIONS.md "Retention").
 *
 * Kinds, each with its setting in slate.conf [retention] (config.h):
 *
 *   sessions       ended sessions (revoked, expired or idle) session_days
 *                  after they ended
 *   api_tokens     revoked or expired API tokens, likewise session_days
 *   throttle       failed sign-ins and remembered sign-in addresses,
 *                  throttle_days after they happened
 *   outbox         the body of a message that is done (sent or failed),
 *                  outbox_sent_hours after it was sent (failed: queued);
 *                  the row stays as the record of the sending
 *   audit          audit events, audit_days (default 730) after they were
 *                  written; the chain stays verifiable (audit/audit.c)
 *   drill_scratch  a restore drill's scratch directory left by a crash,
 *                  drill_scratch_hours after it last changed
 *
 * retention_run() works through the kinds in that order, each in a
 * transaction of its own holding ONE audit event (actor `slate`, action
 * "retention.KIND", object "removed=N": counts only) when it removed
 * anything; a kind that fails is rolled back and the others still run. A
 * dry run only counts and writes nothing.
 */
#ifndef SLATE_DOMAIN_RETENTION_H
#define SLATE_DOMAIN_RETENTION_H

#include "store/store.h"
#include "util/config.h"
#include "util/err.h"

enum retention_kind {
	RETENTION_SESSIONS,
	RETENTION_API_TOKENS,
	RETENTION_THROTTLE,
	RETENTION_OUTBOX,
	RETENTION_AUDIT,
	RETENTION_DRILL_SCRATCH,
	RETENTION_KINDS
};

/* "sessions", "api_tokens", … (the kind's name in events, /metrics and the docs). */
extern const char *const retention_kind_name[RETENTION_KINDS];

/* Unix seconds before which each kind's rows have outlived their retention. */
struct retention_cutoffs {
	long long before[RETENTION_KINDS];
	char audit_before[32]; /* before[RETENTION_AUDIT] as the audit log writes times */
};
/* Pure arithmetic from the settings and now (unit-tested). */
void retention_cutoffs(const struct config *c, long long now, struct retention_cutoffs *out);

struct retention_report {
	long long at;                       /* the run's now */
	int dry_run;                        /* counted only */
	int ok;                             /* every kind ran */
	long long removed[RETENTION_KINDS]; /* removed (dry run: would be) */
	long long audit_through;            /* the last audit seq removed (0: none) */
};

/*
 * One run over every kind at now (Unix seconds): 0 when every kind ran, -1
 * (e: the first failure) when one did not; *out is filled either way.
 */
int retention_run(struct store *s, const struct config *c, long long now, int dry_run,
                  struct retention_report *out, struct err *e);

#endif

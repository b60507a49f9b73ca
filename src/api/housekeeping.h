/*
 * housekeeping.h — the scheduled jobs of `slate serve` that keep what the
 * server holds within its promises (api/housekeeping.c): the deletion job
 * (backup/erasure.h) and the retention job (domain/retention.h), every
 * retention_interval seconds (an hour when retention is off).
 */
#ifndef SLATE_API_HOUSEKEEPING_H
#define SLATE_API_HOUSEKEEPING_H

#include "domain/retention.h"
#include "store/store.h"
#include "util/config.h"
#include "util/err.h"

struct keyring;

/*
 * One pass of every job at now (Unix seconds), over s; what it did is kept
 * for housekeeping_last and logged. c must outlive the pass. A job that
 * fails is logged and tried again at the next pass; the others still run.
 */
void housekeeping_pass(struct store *s, const struct config *c, long long now);

/* The last pass's retention report: 1 (*out filled), 0 when no pass has run yet. */
int housekeeping_last(struct retention_report *out);

/* The last deletion job run. */
struct housekeeping_deletion {
	long long at;     /* Unix seconds; 0: none yet */
	int ok;           /* every due account was dealt with */
	int accounts;     /* closed accounts deleted */
	int people;       /* person records deleted with them */
	long productions; /* closed productions erased */
};
/* 1 (*out filled), 0 when the job has not run yet (*out zero). */
int housekeeping_deletion(struct housekeeping_deletion *out);

/*
 * Starts the thread; c must outlive
 * housekeeping_stop (slate serve frees its config after it).
 */
int housekeeping_start(const struct config *c, const char *db_path, struct keyring *keys,
                       struct err *e);
/* Stops the thread after the pass in hand (if any); harmless when never started. */
void housekeeping_stop(void);

#endif

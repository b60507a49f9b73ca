/*
 * retention.c — see retention.h.
 *
 * Order and atomicity. Each kind is its own transaction (BEGIN IMMEDIATE
 * through store_begin): the rows go and the event that says so is written
 * together, or neither. The audit kind is the one where that matters most:
 * its event names the cut ("removed=N through=SEQ anchor=HASH"), and a
 * verifier accepts a chain that starts after seq 1 only when the newest
 * such event names its start (audit/audit.c explains the anchor). The
 * drill scratch kind removes directories, which no transaction covers; its
 * event follows the removal.
 *
 * Times: every setting is a whole number of days or hours, so a cutoff is
 * now minus that many seconds. The audit cutoff is also written the way
 * audit_record writes times ("YYYY-MM-DDTHH:MM:SS.000Z"), because the store
 * compares it with the events' `at` as text.
 */
#include "domain/retention.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "backup/backup.h"

const char *const retention_kind_name[RETENTION_KINDS] = {
    "sessions", "api_tokens", "throttle", "outbox", "audit", "drill_scratch",
};

void
retention_cutoffs(const struct config *c, long long now, struct retention_cutoffs *out)
{
	time_t t;
	struct tm tm;
	char base[24];

	out->before[RETENTION_SESSIONS] = now - (long long)c->retention_session_days * 86400;
	out->before[RETENTION_API_TOKENS] = out->before[RETENTION_SESSIONS];
	out->before[RETENTION_THROTTLE] = now - (long long)c->retention_throttle_days * 86400;
	out->before[RETENTION_OUTBOX] = now - (long long)c->retention_outbox_sent_hours * 3600;
	out->before[RETENTION_AUDIT] = now - (long long)c->retention_audit_days * 86400;
	out->before[RETENTION_DRILL_SCRATCH] =
	    now - (long long)c->retention_drill_scratch_hours * 3600;
	t = (time_t)out->before[RETENTION_AUDIT];
	gmtime_r(&t, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out->audit_before, sizeof(out->audit_before), "%.19s.000Z", base);
}

/* The kind's one event: counts only, no personal data. */
static int
record(struct store *s, enum retention_kind k, const char *object, struct err *e)
{
	char action[48];
	struct audit_entry a = {"slate", "retention", action, object, "success", NULL, NULL};
	snprintf(action, sizeof(action), "retention.%s", retention_kind_name[k]);
	return audit_record(s, &a, e);
}

/* Counts or removes kind k in its own transaction with its event. */
static int
one_kind(struct store *s, const struct config *c, const struct retention_cutoffs *cut,
         enum retention_kind k, int dry_run, struct retention_report *out, struct err *e)
{
	long long before = cut->before[k], n = 0, through = 0;
	char anchor[65] = "", object[160];
	int rc;

	if (k == RETENTION_DRILL_SCRATCH) {
		if (backup_scratch_prune(c->data_dir, before, dry_run, &n) == -1)
			return err_set(e, 500, "cannot read the data directory for drill scratch");
		out->removed[k] = n;
		if (dry_run || n == 0)
			return 0;
		snprintf(object, sizeof(object), "removed=%lld", n);
		return record(s, k, object, e);
	}
	if (store_begin(s, e) == -1)
		return -1;
	switch (k) {
	case RETENTION_SESSIONS:
		rc = store_retention_sessions(s, before, c->session_idle, dry_run, &n, e);
		break;
	case RETENTION_API_TOKENS:
		rc = store_retention_api_tokens(s, before, dry_run, &n, e);
		break;
	case RETENTION_THROTTLE: rc = store_retention_throttle(s, before, dry_run, &n, e); break;
	case RETENTION_OUTBOX: rc = store_retention_outbox(s, before, dry_run, &n, e); break;
	case RETENTION_AUDIT:
		rc = store_retention_audit(s, cut->audit_before, dry_run, &n, &through, anchor, e);
		break;
	default: rc = err_set(e, 500, "unknown retention kind"); break;
	}
	if (rc == -1)
		goto fail;
	if (!dry_run && n > 0) {
		if (k == RETENTION_AUDIT)
			audit_retention_object(object, sizeof(object), n, through, anchor);
		else
			snprintf(object, sizeof(object), "removed=%lld", n);
		if (record(s, k, object, e) == -1)
			goto fail;
	}
	if (dry_run) {
		store_rollback(s);
	} else if (store_commit(s, e) == -1) {
		store_rollback(s);
		return -1;
	}
	out->removed[k] = n;
	if (k == RETENTION_AUDIT)
		out->audit_through = through;
	return 0;
fail:
	store_rollback(s);
	return -1;
}

int
retention_run(struct store *s, const struct config *c, long long now, int dry_run,
              struct retention_report *out, struct err *e)
{
	struct retention_cutoffs cut;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->at = now;
	out->dry_run = dry_run;
	retention_cutoffs(c, now, &cut);
	for (int k = 0; k < RETENTION_KINDS; k++) {
		struct err sub;
		if (one_kind(s, c, &cut, (enum retention_kind)k, dry_run, out, &sub) == -1 &&
		    rc == 0) {
			rc = -1;
			*e = sub;
		}
	}
	out->ok = rc == 0;
	return rc;
}

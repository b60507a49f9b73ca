/*
 * audit.h — the audit log: who did what, from where, with what outcome.
 *
 * Every authentication event (sign-in success and failure, sign-out,
 * password change, session ended) and, as they arrive, every admin action,
 * export and read of personal data is written through audit_record(). An
 * event holds: UTC time (milliseconds), actor (user id or NULL), source
 * (client address), action ("auth.login"), object (what it acted on),
 * outcome ("success", "failure", "denied"), request id and production id.
 * Never a secret: no password, token or personal field goes into an event.
 *
 * Rows are hash-chained (see audit.c for the byte layout), so a row removed
 * or altered breaks every hash after it; audit_verify() walks the chain.
 *
 * Retention (domain/retention.h) removes the oldest events, a prefix of the
 * chain, and in the same transaction writes the event AUDIT_RETENTION_ACTION
 * whose object names the cut: "removed=N through=SEQ anchor=HASH", HASH being
 * the hash of event SEQ, the last removed. The chain then starts at SEQ + 1
 * with prev_hash HASH, and audit_verify() accepts that start only when the
 * newest such event names exactly it (see audit.c).
 */
#ifndef SLATE_AUDIT_AUDIT_H
#define SLATE_AUDIT_AUDIT_H

#include "store/store.h"
#include "util/err.h"

struct audit_entry {
	const char *actor;
	const char *source;
	const char *action;
	const char *object;
	const char *outcome;
	const char *request_id;
	const char *production_id;
};

int audit_record(struct store *s, const struct audit_entry *a, struct err *e);
/* The same with the event's time given (RFC 3339 UTC with milliseconds), not now. */
int audit_record_at(struct store *s, const struct audit_entry *a, const char *at, struct err *e);

#define AUDIT_RETENTION_ACTION "retention.audit"
/* The object of the retention event that removed events up to `through` (hash anchor). */
void audit_retention_object(char *out, size_t len, long long removed, long long through,
                            const char *anchor);

/*
 * Walks the chain: *count events; *first_bad the first broken seq, or 0. A
 * chain that does not start at seq 1 is sound only when its start is the one
 * the newest retention event names.
 */
int audit_verify(struct store *s, long long *count, long long *first_bad, struct err *e);

#endif

/*
 * incidents.h — the incident register (GDPR Articles 33 and 34), shared by
 * the API (api/incidents.c) and the shell (cli/incident.c).
 *
 * An incident is opened by an instance administrator with when it was
 * discovered and when the operator became aware of it: the 72-hour clock
 * of Article 33(1) starts at aware_at. Its status moves open → contained →
 * notified → closed and no other way, with one exception: a contained
 * incident that is unlikely to result in a risk to people is closed
 * without notifying the authority, and then needs its reason (Article
 * 33(1)'s exception; the reason is kept). The move to notified is made only
 * by recording the authority's notification (its time and the reference
 * the authority's form gave), which stops the clock; a notification later
 * than 72 hours after aware_at is refused without its reason (Article
 * 33(1): "accompanied by reasons for the delay").
 *
 * Every change is a row of the incident's history (what changed, by whom,
 * when) and an audit event in the hash-chained log whose object is the
 * incident's id and nothing else: the free text stays out of the log, and
 * is sealed at rest (store/sqlite_incident.c). Nothing deletes an incident
 * (Article 33(5)).
 *
 * Who is affected: incidents_affected reads the person.read_private events
 * (api/audit_read.c) of an account or an API token in a window and records
 * the person and production ids they name on the incident. A token's
 * events are those whose source names it (api/session.h, session_source).
 *
 * Every function that changes an incident runs one write transaction (the
 * change, its history row and its audit event commit together) and fills e
 * with the status to answer: 400 with e->field naming the input, 404, 409
 * for a move the status does not allow, 503.
 */
#ifndef SLATE_DOMAIN_INCIDENTS_H
#define SLATE_DOMAIN_INCIDENTS_H

#include <jansson.h>

#include "store/store.h"
#include "util/err.h"

/* The hours after aware_at at which the clock warns, and by which the authority is told. */
#define INCIDENTS_WARN_HOURS  48
#define INCIDENTS_LIMIT_HOURS 72

/* Who makes a change, for its audit event and history row. */
struct incidents_who {
	const char *actor;      /* a user id, or "cli:<login>" */
	const char *source;     /* the client address, or "cli" */
	const char *request_id; /* NULL from the shell */
};

/*
 * Opens an incident from in (discovered_at, aware_at, nature, contact
 * required; data_categories, people_categories, approx_people,
 * approx_records, consequences, measures, advice optional): *out the incident as
 * incidents_get answers it.
 */
int incidents_open(struct store *s, const struct incidents_who *w, const json_t *in, long long now,
                   json_t **out, struct err *e);
/*
 * Changes the text fields in `in` and, when in has "status", moves it
 * (contained, or closed; closing a contained incident needs
 * "no_notification_reason").
 */
int incidents_update(struct store *s, const struct incidents_who *w, const char *id,
                     const json_t *in, long long now, json_t **out, struct err *e);
/*
 * Records the authority's notification: "reference" (required),
 * "notified_at" (default now) and "late_reason" (required past 72 hours).
 * The incident must be contained.
 */
int incidents_notify(struct store *s, const struct incidents_who *w, const char *id,
                     const json_t *in, long long now, json_t **out, struct err *e);
/*
 * Computes who is affected from the audit log: "account" (an email) or
 * "token" (an API token's id), "from" and "to" (RFC 3339; to after from),
 * and adds the people found to the incident's list.
 */
int incidents_affected(struct store *s, const struct incidents_who *w, const char *id,
                       const json_t *in, long long now, json_t **out, struct err *e);
/*
 * Telling the affected people (Article 34; domain/incident_notice.c): drafts
 * one message per person on the affected list (needs the incident's
 * "advice": what they can do), lists the notices, and queues every draft
 * in the mail outbox (a second sending sends only new drafts). *out is the
 * incident's notices as incidents_notice_list answers them (send adds
 * "queued": how many it queued).
 */
int incidents_notice_draft(struct store *s, const struct incidents_who *w, const char *id,
                           const json_t *in, long long now, json_t **out, struct err *e);
int incidents_notice_send(struct store *s, const struct incidents_who *w, const char *id,
                          const json_t *in, long long now, json_t **out, struct err *e);
/* The incident's notices with their status: 1 (*out), 0 no such incident, -1. */
int incidents_notice_list(struct store *s, const char *id, json_t **out, struct err *e);

/* One incident with its clock and history: 1 (*out), 0 none, -1. */
int incidents_get(struct store *s, const char *id, long long now, json_t **out, struct err *e);
/* Every incident with its clock, newest first (no history). */
int incidents_list(struct store *s, long long now, json_t **out, struct err *e);

/* What /metrics shows. */
struct incidents_gauges {
	long open;             /* not closed */
	long running;          /* clocks not stopped: not notified, not closed */
	double min_hours_left; /* the smallest hours left of those (negative past 72 h) */
	long past_warn;        /* running clocks past 48 h */
	long past_limit;       /* running clocks past 72 h */
};
int incidents_gauges(struct store *s, long long now, struct incidents_gauges *g, struct err *e);

/*
 * Parses an RFC 3339 time (seconds, optional fraction, "Z" or an offset)
 * into Unix seconds: 0, or -1.
 */
int incidents_parse_time(const char *text, long long *out);

#endif

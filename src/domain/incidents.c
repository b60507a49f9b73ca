/*
 * incidents.c — see incidents.h.
 *
 * The free text of an incident is one JSON object (struct
 * store_incident.details) holding the fields of `text_fields` and the
 * notification's reference and reasons. A change is computed on a copy,
 * checked, then written with its history row and audit event in one
 * transaction, so a refused change leaves nothing behind.
 */
#include "domain/incidents.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "util/timefmt.h"

/* The text fields an incident is opened with and changed by; the first two are required. */
static const char *const text_fields[] = {
    "nature",
    "contact",
    "data_categories",
    "people_categories",
    "approx_people",
    "approx_records",
    "consequences",
    "measures",
    "advice", /* what the affected people can do (their notification, incident_notice.c) */
    NULL,
};
#define TEXT_MAX 4000

/* Allowed clock skew of a time said to be now (a notification, awareness). */
#define SKEW 300

/* Unix seconds of YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM). */
int
incidents_parse_time(const char *text, long long *out)
{
	struct tm tm;
	const char *p;
	char *end;
	long long off = 0;

	if (text == NULL)
		return -1;
	memset(&tm, 0, sizeof(tm));
	if ((p = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL || p != text + 19)
		return -1;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
		off = 0;
	} else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
		long h, m;
		errno = 0;
		h = strtol(p + 1, &end, 10);
		if (errno != 0 || end != p + 3 || h > 23)
			return -1;
		m = strtol(p + 4, &end, 10);
		if (errno != 0 || *end != '\0' || m > 59 || p[4] < '0' || p[4] > '9')
			return -1;
		off = (h * 3600 + m * 60) * (*p == '-' ? -1 : 1);
	} else {
		return -1;
	}
	*out = (long long)timegm(&tm) - off;
	return 0;
}

/* Reads in's time field into *t and its canonical text: 1, 0 absent, -1 bad (e set). */
static int
time_field(const json_t *in, const char *key, long long *t, char text[32], struct err *e)
{
	const json_t *v = json_object_get(in, key);
	char ptr[64];

	if (v == NULL || json_is_null(v))
		return 0;
	snprintf(ptr, sizeof(ptr), "/%s", key);
	if (!json_is_string(v) || incidents_parse_time(json_string_value(v), t) == -1)
		return err_field(e, 400, ptr, "is not a time such as 2026-12-01T09:30:00Z");
	time_rfc3339((time_t)*t, text);
	return 1;
}

/* A text field of in: 1 (*out), 0 absent, -1 bad (e set). */
static int
text_field(const json_t *in, const char *key, const char **out, struct err *e)
{
	const json_t *v = json_object_get(in, key);
	char ptr[64];

	if (v == NULL || json_is_null(v))
		return 0;
	snprintf(ptr, sizeof(ptr), "/%s", key);
	if (!json_is_string(v))
		return err_field(e, 400, ptr, "must be text");
	if (strlen(json_string_value(v)) > TEXT_MAX)
		return err_field(e, 400, ptr, "is longer than %d bytes", TEXT_MAX);
	*out = json_string_value(v);
	return 1;
}

/* 1 when t is text with something other than spaces in it. */
static int
nonblank(const char *t)
{
	for (; t != NULL && *t; t++)
		if (*t != ' ' && *t != '\t' && *t != '\n' && *t != '\r')
			return 1;
	return 0;
}

/* The clock of an incident at now, as JSON. */
static json_t *
clock_json(const struct store_incident *in, long long now)
{
	char deadline[32];
	double elapsed = (double)(now - in->aware_epoch) / 3600.0;
	double left = (double)INCIDENTS_LIMIT_HOURS - elapsed;
	const char *state;

	time_rfc3339((time_t)(in->aware_epoch + INCIDENTS_LIMIT_HOURS * 3600LL), deadline);
	if (in->notified_at[0] != '\0') {
		double took = (double)(in->notified_epoch - in->aware_epoch) / 3600.0;
		return json_pack("{s:s, s:s, s:f, s:b}", "state", "stopped", "deadline", deadline,
		                 "hours_to_notification", took, "late",
		                 took > (double)INCIDENTS_LIMIT_HOURS);
	}
	if (strcmp(in->status, "closed") == 0)
		return json_pack("{s:s, s:s}", "state", "closed without notification", "deadline",
		                 deadline);
	state = elapsed > INCIDENTS_LIMIT_HOURS  ? "OVERDUE"
	        : elapsed > INCIDENTS_WARN_HOURS ? "WARNING"
	                                         : "running";
	return json_pack("{s:s, s:s, s:f}", "state", state, "deadline", deadline, "hours_left",
	                 left);
}

static json_t *
incident_json(const struct store_incident *in, long long now)
{
	json_t *d = json_loads(in->details != NULL ? in->details : "{}", 0, NULL);
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", in->id, "status", in->status,
	                      "discovered_at", in->discovered_at, "aware_at", in->aware_at,
	                      "opened_at", in->opened_at, "updated_at", in->updated_at);

	if (json_is_object(d))
		json_object_update_missing(j, d);
	json_decref(d);
	json_object_set_new(j, "notified_at",
	                    in->notified_at[0] ? json_string(in->notified_at) : json_null());
	json_object_set_new(j, "opened_by", json_string(in->opened_by));
	json_object_set_new(j, "clock", clock_json(in, now));
	json_object_set_new(j, "affected",
	                    in->affected != NULL ? json_loads(in->affected, 0, NULL) : json_null());
	if (json_object_get(j, "affected") == NULL)
		json_object_set_new(j, "affected", json_null());
	return j;
}

/* Writes in (created or changed), its history row and its audit event, and commits. */
static int
save(struct store *s, const struct incidents_who *w, struct store_incident *in, int create,
     const char *action, json_t *change, struct err *e)
{
	char at[TIMEFMT_LEN], *ct;
	struct audit_entry a;
	int rc;

	time_rfc3339_ms_now(at);
	memcpy(in->updated_at, at, 19);
	memcpy(in->updated_at + 19, "Z", 2);
	if (store_begin(s, e) == -1)
		return -1;
	if (create) {
		snprintf(in->opened_at, sizeof(in->opened_at), "%s", in->updated_at);
		snprintf(in->opened_by, sizeof(in->opened_by), "%s", w->actor ? w->actor : "");
		rc = store_incident_create(s, in, e);
	} else if ((rc = store_incident_update(s, in, e)) == 0) {
		rc = err_set(e, 404, "there is no such incident");
	}
	if (rc == -1)
		goto fail;
	json_object_set_new(change, "action", json_string(action));
	ct = json_dumps(change, JSON_COMPACT | JSON_SORT_KEYS);
	rc = store_incident_history_add(s, in->id, at, w->actor, ct != NULL ? ct : "{}", e);
	free(ct);
	if (rc == -1)
		goto fail;
	a = (struct audit_entry){w->actor,  w->source,     action, in->id,
	                         "success", w->request_id, NULL};
	if (audit_record_at(s, &a, at, e) == -1 || store_commit(s, e) == -1)
		goto fail;
	return 0;
fail:
	store_rollback(s);
	return -1;
}

/* Reads the text fields of `in` into details (and into change): 0, or -1. */
static int
take_text(const json_t *in, json_t *details, json_t *change, struct err *e)
{
	for (size_t i = 0; text_fields[i] != NULL; i++) {
		const char *v = NULL;
		int rc = text_field(in, text_fields[i], &v, e);
		if (rc == -1)
			return -1;
		if (rc == 0)
			continue;
		if (i < 2 && !nonblank(v))
			return err_field(e, 400, i == 0 ? "/nature" : "/contact",
			                 "must not be blank");
		json_object_set_new(details, text_fields[i], json_string(v));
		json_object_set_new(change, text_fields[i], json_string(v));
	}
	return 0;
}

static char *
dump(const json_t *j)
{
	return json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
}

int
incidents_open(struct store *s, const struct incidents_who *w, const json_t *in, long long now,
               json_t **out, struct err *e)
{
	struct store_incident inc;
	json_t *details = json_object(), *change = json_object();
	long long discovered = 0;
	int rc = -1, t1, t2;

	memset(&inc, 0, sizeof(inc));
	*out = NULL;
	if ((t1 = time_field(in, "discovered_at", &discovered, inc.discovered_at, e)) == -1 ||
	    (t2 = time_field(in, "aware_at", &inc.aware_epoch, inc.aware_at, e)) == -1)
		goto out;
	if (t1 == 0 || t2 == 0) {
		err_field(e, 400, t1 == 0 ? "/discovered_at" : "/aware_at",
		          "is required: when it was discovered, when you became aware of it");
		goto out;
	}
	if (inc.aware_epoch < discovered) {
		err_field(e, 400, "/aware_at", "is before discovered_at");
		goto out;
	}
	if (inc.aware_epoch > now + SKEW) {
		err_field(e, 400, "/aware_at", "is in the future");
		goto out;
	}
	if (take_text(in, details, change, e) == -1)
		goto out;
	if (json_object_get(details, "nature") == NULL ||
	    json_object_get(details, "contact") == NULL) {
		err_field(e, 400,
		          json_object_get(details, "nature") == NULL ? "/nature" : "/contact",
		          "is required");
		goto out;
	}
	snprintf(inc.status, sizeof(inc.status), "open");
	inc.details = dump(details);
	json_object_set_new(change, "status", json_string("open"));
	json_object_set_new(change, "discovered_at", json_string(inc.discovered_at));
	json_object_set_new(change, "aware_at", json_string(inc.aware_at));
	if (save(s, w, &inc, 1, "incident.open", change, e) == -1)
		goto out;
	rc = incidents_get(s, inc.id, now, out, e) == 1 ? 0 : -1;
out:
	store_incident_free(&inc);
	json_decref(details);
	json_decref(change);
	return rc;
}

/* The incident id into *inc (to free): 0, or -1 with 404 or 503. */
static int
load(struct store *s, const char *id, struct store_incident *inc, struct err *e)
{
	int found = store_incident_get(s, id, inc, e);
	if (found == 1)
		return 0;
	if (found == 0)
		err_set(e, 404, "there is no incident %s", id);
	return -1;
}

/* The moves a PATCH may make (notified: incidents_notify only). */
static int
check_move(const char *from, const char *to, const char *reason, struct err *e)
{
	if (strcmp(to, "open") != 0 && strcmp(to, "contained") != 0 &&
	    strcmp(to, "notified") != 0 && strcmp(to, "closed") != 0)
		return err_field(e, 400, "/status", "is open, contained, notified or closed");
	if (strcmp(from, "closed") == 0)
		return err_field(e, 409, "/status", "the incident is closed: nothing moves it");
	if (strcmp(to, "notified") == 0)
		return err_field(e, 409, "/status",
		                 "an incident becomes notified by recording the authority's "
		                 "notification (notify-authority)");
	if (strcmp(from, "open") == 0 && strcmp(to, "contained") == 0)
		return 0;
	if (strcmp(from, "notified") == 0 && strcmp(to, "closed") == 0)
		return 0;
	if (strcmp(from, "contained") == 0 && strcmp(to, "closed") == 0) {
		if (!nonblank(reason))
			return err_field(
			    e, 409, "/no_notification_reason",
			    "closing without notifying the authority needs the reason the "
			    "incident is unlikely to result in a risk to people");
		return 0;
	}
	return err_field(e, 409, "/status",
	                 "an incident moves open -> contained -> notified -> closed; it cannot go "
	                 "from %s to %s",
	                 from, to);
}

int
incidents_update(struct store *s, const struct incidents_who *w, const char *id, const json_t *in,
                 long long now, json_t **out, struct err *e)
{
	struct store_incident inc;
	json_t *details = NULL, *change = json_object();
	const char *to = NULL, *reason = NULL;
	int rc = -1;

	*out = NULL;
	memset(&inc, 0, sizeof(inc));
	if (text_field(in, "status", &to, e) == -1 ||
	    text_field(in, "no_notification_reason", &reason, e) == -1 ||
	    load(s, id, &inc, e) == -1)
		goto out;
	if (strcmp(inc.status, "closed") == 0) {
		err_set(e, 409, "the incident is closed: it no longer changes");
		goto out;
	}
	/* the reason not to notify belongs only to closing a contained incident: never dropped */
	if (reason != NULL &&
	    (to == NULL || strcmp(to, "closed") != 0 || strcmp(inc.status, "contained") != 0)) {
		err_field(e, 409, "/no_notification_reason",
		          "a reason for not notifying the authority is given only when closing a "
		          "contained incident (this one is %s)",
		          inc.status);
		goto out;
	}
	if ((details = json_loads(inc.details, 0, NULL)) == NULL || !json_is_object(details)) {
		err_set(e, 500, "the incident's text does not open");
		goto out;
	}
	if (take_text(in, details, change, e) == -1)
		goto out;
	if (to != NULL && strcmp(to, inc.status) != 0) {
		if (check_move(inc.status, to, reason, e) == -1)
			goto out;
		json_object_set_new(change, "status", json_string(to));
		json_object_set_new(change, "from_status", json_string(inc.status));
		snprintf(inc.status, sizeof(inc.status), "%s", to);
		if (reason != NULL && strcmp(to, "closed") == 0 && inc.notified_at[0] == '\0') {
			json_object_set_new(details, "no_notification_reason", json_string(reason));
			json_object_set_new(change, "no_notification_reason", json_string(reason));
		}
	}
	if (json_object_size(change) == 0) {
		err_set(e, 400, "nothing to change: give a field or a status");
		goto out;
	}
	free(inc.details);
	inc.details = dump(details);
	if (save(s, w, &inc, 0,
	         json_object_get(change, "status") != NULL && strcmp(inc.status, "closed") == 0
	             ? "incident.close"
	             : "incident.update",
	         change, e) == -1)
		goto out;
	rc = incidents_get(s, inc.id, now, out, e) == 1 ? 0 : -1;
out:
	store_incident_free(&inc);
	json_decref(details);
	json_decref(change);
	return rc;
}

int
incidents_notify(struct store *s, const struct incidents_who *w, const char *id, const json_t *in,
                 long long now, json_t **out, struct err *e)
{
	struct store_incident inc;
	json_t *details = NULL, *change = json_object();
	const char *ref = NULL, *late = NULL;
	long long at = now;
	char at_text[32];
	int rc = -1, given;

	*out = NULL;
	memset(&inc, 0, sizeof(inc));
	if ((given = time_field(in, "notified_at", &at, at_text, e)) == -1 ||
	    text_field(in, "reference", &ref, e) == -1 ||
	    text_field(in, "late_reason", &late, e) == -1)
		goto out;
	if (!nonblank(ref)) {
		err_field(e, 400, "/reference", "is required: the reference the authority gave");
		goto out;
	}
	if (given == 0)
		time_rfc3339((time_t)at, at_text);
	if (load(s, id, &inc, e) == -1)
		goto out;
	if (inc.notified_at[0] != '\0') {
		err_set(e, 409, "the authority's notification is recorded already (at %s)",
		        inc.notified_at);
		goto out;
	}
	if (strcmp(inc.status, "contained") != 0) {
		err_field(e, 409, "/status",
		          "the incident is %s: record the notification of a contained incident "
		          "(open -> contained -> notified)",
		          inc.status);
		goto out;
	}
	if (at > now + SKEW) {
		err_field(e, 400, "/notified_at", "is in the future");
		goto out;
	}
	if (at < inc.aware_epoch) {
		err_field(e, 400, "/notified_at", "is before aware_at (%s)", inc.aware_at);
		goto out;
	}
	if (at - inc.aware_epoch > INCIDENTS_LIMIT_HOURS * 3600LL && !nonblank(late)) {
		err_field(e, 400, "/late_reason",
		          "is required: the notification is more than %d hours after aware_at",
		          INCIDENTS_LIMIT_HOURS);
		goto out;
	}
	if ((details = json_loads(inc.details, 0, NULL)) == NULL || !json_is_object(details)) {
		err_set(e, 500, "the incident's text does not open");
		goto out;
	}
	json_object_set_new(details, "authority_reference", json_string(ref));
	json_object_set_new(change, "authority_reference", json_string(ref));
	if (nonblank(late)) {
		json_object_set_new(details, "late_reason", json_string(late));
		json_object_set_new(change, "late_reason", json_string(late));
	}
	snprintf(inc.notified_at, sizeof(inc.notified_at), "%s", at_text);
	inc.notified_epoch = at;
	json_object_set_new(change, "notified_at", json_string(at_text));
	json_object_set_new(change, "from_status", json_string(inc.status));
	json_object_set_new(change, "status", json_string("notified"));
	snprintf(inc.status, sizeof(inc.status), "notified");
	free(inc.details);
	inc.details = dump(details);
	if (save(s, w, &inc, 0, "incident.notify_authority", change, e) == -1)
		goto out;
	rc = incidents_get(s, inc.id, now, out, e) == 1 ? 0 : -1;
out:
	store_incident_free(&inc);
	json_decref(details);
	json_decref(change);
	return rc;
}

struct affected_walk {
	const char *actor;             /* an account's id, or NULL */
	char token[STORE_ID_LEN + 16]; /* " token:<id>", or "" */
	json_t *people;                /* [{person_id, production_id}] */
	json_t *seen;                  /* "person_id production_id" → true */
	long events;
};

static void
add_read(const struct store_audit_event *ev, void *arg)
{
	struct affected_walk *aw = arg;
	const char *p, *q;

	if (aw->actor != NULL && (ev->actor == NULL || strcmp(ev->actor, aw->actor) != 0))
		return;
	if (aw->token[0] != '\0') {
		size_t n, k = strlen(aw->token);
		if (ev->source == NULL || (n = strlen(ev->source)) < k ||
		    strcmp(ev->source + n - k, aw->token) != 0)
			return;
	}
	if (ev->object == NULL)
		return;
	aw->events++;
	for (p = ev->object; *p; p = *q ? q + 1 : q) {
		char id[STORE_ID_LEN + 8], key[2 * STORE_ID_LEN + 32];
		const char *prod = ev->production_id != NULL ? ev->production_id : "";
		size_t len;
		q = strchr(p, ',');
		if (q == NULL)
			q = p + strlen(p);
		len = (size_t)(q - p);
		if (len == 0 || len >= sizeof(id))
			continue;
		memcpy(id, p, len);
		id[len] = '\0';
		snprintf(key, sizeof(key), "%s %s", id, prod);
		if (json_object_get(aw->seen, key) != NULL)
			continue;
		json_object_set_new(aw->seen, key, json_true());
		json_array_append_new(
		    aw->people, json_pack("{s:s, s:s}", "person_id", id, "production_id", prod));
	}
}

/* Adds the entries of `found` not in list (an array of {person_id, production_id}). */
static void
merge_people(json_t *list, const json_t *found)
{
	size_t i, j;
	json_t *f, *l;
	json_array_foreach (found, i, f) {
		int have = 0;
		json_array_foreach (list, j, l) {
			have |= json_equal(l, f);
		}
		if (!have)
			json_array_append(list, f);
	}
}

int
incidents_affected(struct store *s, const struct incidents_who *w, const char *id, const json_t *in,
                   long long now, json_t **out, struct err *e)
{
	struct store_incident inc;
	struct store_user u;
	struct affected_walk aw;
	json_t *aff = NULL, *query = NULL, *change = json_object();
	const char *account = NULL, *token = NULL;
	long long from = 0, to = 0;
	char from_text[32], to_text[32], from_ms[40], to_ms[40];
	int rc = -1, t1, t2, found;

	*out = NULL;
	memset(&inc, 0, sizeof(inc));
	memset(&aw, 0, sizeof(aw));
	aw.people = json_array();
	aw.seen = json_object();
	if (text_field(in, "account", &account, e) == -1 ||
	    text_field(in, "token", &token, e) == -1 ||
	    (t1 = time_field(in, "from", &from, from_text, e)) == -1 ||
	    (t2 = time_field(in, "to", &to, to_text, e)) == -1)
		goto out;
	if ((account == NULL) == (token == NULL)) {
		err_set(e, 400, "say whose reads: an account (its email) or an API token (its id)");
		goto out;
	}
	if (t1 == 0 || t2 == 0) {
		err_field(e, 400, t1 == 0 ? "/from" : "/to",
		          "is required: the window of the reads");
		goto out;
	}
	if (to <= from) {
		err_field(e, 400, "/to", "must be after from");
		goto out;
	}
	if (load(s, id, &inc, e) == -1)
		goto out;
	if (account != NULL) {
		if ((found = store_user_by_email(s, account, &u, e)) == -1)
			goto out;
		if (found == 0) {
			err_field(e, 404, "/account", "there is no account with that email");
			goto out;
		}
		aw.actor = u.id;
		query = json_pack("{s:s}", "account", u.id);
	} else {
		if (strlen(token) > STORE_ID_LEN + 4 || strncmp(token, "tok_", 4) != 0) {
			err_field(e, 400, "/token", "is not an API token's id (tok_…)");
			goto out;
		}
		snprintf(aw.token, sizeof(aw.token), " token:%s", token);
		query = json_pack("{s:s}", "token", token);
	}
	json_object_set_new(query, "from", json_string(from_text));
	json_object_set_new(query, "to", json_string(to_text));
	/* the log's times carry milliseconds: compare in its form */
	snprintf(from_ms, sizeof(from_ms), "%.19s.000Z", from_text);
	snprintf(to_ms, sizeof(to_ms), "%.19s.000Z", to_text);
	if (store_audit_between(s, "person.read_private", from_ms, to_ms, add_read, &aw, e) == -1)
		goto out;
	json_object_set_new(query, "events", json_integer(aw.events));
	json_object_set_new(query, "people", json_integer((json_int_t)json_array_size(aw.people)));
	if (inc.affected != NULL)
		aff = json_loads(inc.affected, 0, NULL);
	if (!json_is_object(aff)) {
		json_decref(aff);
		aff = json_pack("{s:[], s:[]}", "queries", "people");
	}
	json_array_append(json_object_get(aff, "queries"), query);
	merge_people(json_object_get(aff, "people"), aw.people);
	free(inc.affected);
	inc.affected = dump(aff);
	json_object_set(change, "affected_query", query);
	json_object_set_new(
	    change, "affected_people",
	    json_integer((json_int_t)json_array_size(json_object_get(aff, "people"))));
	if (save(s, w, &inc, 0, "incident.affected", change, e) == -1)
		goto out;
	rc = incidents_get(s, inc.id, now, out, e) == 1 ? 0 : -1;
out:
	store_incident_free(&inc);
	json_decref(aff);
	json_decref(query);
	json_decref(change);
	json_decref(aw.people);
	json_decref(aw.seen);
	return rc;
}

static void
add_history(const char *at, const char *actor, const char *change, void *arg)
{
	json_t *c = json_loads(change, 0, NULL);
	json_array_append_new(arg, json_pack("{s:s, s:s, s:o}", "at", at, "actor", actor, "change",
	                                     c != NULL ? c : json_object()));
}

int
incidents_get(struct store *s, const char *id, long long now, json_t **out, struct err *e)
{
	struct store_incident inc;
	json_t *hist;
	int found = store_incident_get(s, id, &inc, e);

	*out = NULL;
	if (found != 1)
		return found;
	*out = incident_json(&inc, now);
	store_incident_free(&inc);
	hist = json_array();
	if (store_incident_history(s, id, add_history, hist, e) == -1) {
		json_decref(hist);
		json_decref(*out);
		*out = NULL;
		return -1;
	}
	json_object_set_new(*out, "history", hist);
	return 1;
}

struct list_walk {
	json_t *arr;
	long long now;
};

static void
add_one(const struct store_incident *in, void *arg)
{
	struct list_walk *lw = arg;
	json_array_append_new(lw->arr, incident_json(in, lw->now));
}

int
incidents_list(struct store *s, long long now, json_t **out, struct err *e)
{
	struct list_walk lw = {json_array(), now};
	if (store_incident_list(s, 1, add_one, &lw, e) == -1) {
		json_decref(lw.arr);
		*out = NULL;
		return -1;
	}
	*out = lw.arr;
	return 0;
}

struct gauge_walk {
	struct incidents_gauges *g;
	long long now;
};

static void
gauge_one(const struct store_incident *in, void *arg)
{
	struct gauge_walk *gw = arg;
	double elapsed = (double)(gw->now - in->aware_epoch) / 3600.0;

	if (strcmp(in->status, "closed") == 0)
		return;
	gw->g->open++;
	if (in->notified_at[0] != '\0')
		return;
	if (gw->g->running == 0 || INCIDENTS_LIMIT_HOURS - elapsed < gw->g->min_hours_left)
		gw->g->min_hours_left = INCIDENTS_LIMIT_HOURS - elapsed;
	gw->g->running++;
	gw->g->past_warn += elapsed > INCIDENTS_WARN_HOURS;
	gw->g->past_limit += elapsed > INCIDENTS_LIMIT_HOURS;
}

int
incidents_gauges(struct store *s, long long now, struct incidents_gauges *g, struct err *e)
{
	struct gauge_walk gw;
	memset(g, 0, sizeof(*g));
	gw.g = g;
	gw.now = now;
	return store_incident_list(s, 0, gauge_one, &gw, e);
}

/*
 * incident_notice.c — telling the people an incident affects (GDPR Article
 * 34), after the register has computed who they are (incidents_affected).
 *
 * Drafting (incidents_notice_draft) builds one message per person on the
 * incident's affected list, from the incident's own fields: what happened
 * (nature), the data concerned (the person's own categories — which of
 * their fields Slate holds — and the incident's data_categories), the
 * likely consequences, the measures taken, what the person can do
 * (`advice`, which the administrator writes on the incident and which
 * drafting requires) and the contact point. The address is the person's
 * personal email, else their work email, else their linked account's; a
 * person with none, or whose record is gone, is listed as not notifiable
 * with the reason. Drafting again (after the administrator changed the
 * incident's text) rewrites every notice not yet queued and leaves the
 * queued ones alone. Each notice is sealed under the person's own key
 * (store/sqlite_incident.c), so erasing the person erases their notice.
 *
 * Sending (incidents_notice_send) queues every draft in the mail outbox in
 * one transaction with, per message, an `incident.notify_person` audit
 * event (object: the person's id; production: theirs) and, for the whole
 * sending, a history row on the incident and an `incident.notify_people`
 * event (object: the incident's id). The audit log's text holds ids only:
 * no address, no name. A queued notice is never queued again, so a second
 * sending sends only what was drafted since (and answers queued 0 when
 * nothing was). Sending is refused while the incident has no notice, and
 * for an incident closed as unlikely to result in a risk to people
 * (no_notification_reason). After that the notice's status is its
 * message's in the outbox: queued, sending, deferred, sent, failed,
 * bounced.
 *
 * The message is plain text and the same in plain HTML (every value
 * escaped; no link, no image, no style sheet: nothing remote to load), sent
 * by the outbox as multipart/alternative (notify/notify.c: a person's
 * message without a call sheet).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "domain/incidents.h"
#include "util/timefmt.h"
#include "util/wipe.h"

/* A person's fields that can be read, and how a message names them. */
static const struct {
	size_t off;
	const char *what;
} person_fields[] = {
    {offsetof(struct store_person, work_phone), "your work phone number"},
    {offsetof(struct store_person, work_email), "your work email address"},
    {offsetof(struct store_person, personal_phone), "your personal phone number"},
    {offsetof(struct store_person, personal_email), "your personal email address"},
    {offsetof(struct store_person, home_address), "your home address"},
    {offsetof(struct store_person, emergency_contact), "your emergency contact"},
    {offsetof(struct store_person, date_of_birth), "your date of birth"},
    {offsetof(struct store_person, dietary), "your dietary requirements"},
    {offsetof(struct store_person, medical), "your medical notes"},
    {offsetof(struct store_person, id_numbers), "your identity document numbers"},
};

static const char *
detail(const json_t *d, const char *key)
{
	const char *v = json_string_value(json_object_get(d, key));
	return v != NULL && v[0] != '\0' ? v : NULL;
}

/* The message being written: its plain text and its HTML, side by side. */
struct two {
	FILE *t, *h;
};

/* text into the HTML, escaped, each line break a <br>. */
static void
put_html(FILE *h, const char *text)
{
	for (const char *p = text; *p; p++) {
		switch (*p) {
		case '&': fputs("&amp;", h); break;
		case '<': fputs("&lt;", h); break;
		case '>': fputs("&gt;", h); break;
		case '"': fputs("&quot;", h); break;
		case '\'': fputs("&#39;", h); break;
		case '\n': fputs("<br>\n", h); break;
		default: fputc(*p, h);
		}
	}
}

/* A paragraph of both. */
static void
para(struct two *w, const char *text)
{
	fprintf(w->t, "%s\n", text);
	fputs("<p>", w->h);
	put_html(w->h, text);
	fputs("</p>\n", w->h);
}

/* One section: a heading and its text. */
static void
section(struct two *w, const char *heading, const char *text)
{
	fprintf(w->t, "\n%s\n", heading);
	fprintf(w->h, "<h2>%s</h2>\n", heading);
	para(w, text);
}

/* The text of memstream f (whose buffer is *p), closed: NULL on failure (wiped and freed). */
static char *
finish(FILE *f, char **p)
{
	if (fclose(f) != 0) {
		wipe_free(*p);
		*p = NULL;
	}
	return *p;
}

/*
 * The message to person p: its plain text into *text and its HTML into
 * *html (both malloc'd; plain HTML, every value escaped, no link, no image,
 * nothing remote): 0, or -1.
 */
static int
message_body(const struct store_person *p, const char *incident_id, const json_t *d, char **text,
             char **html)
{
	char *t = NULL, *h = NULL, *data = NULL, *line = NULL;
	size_t tn = 0, hn = 0, dn = 0, ln = 0;
	struct two w = {open_memstream(&t, &tn), open_memstream(&h, &hn)};
	FILE *df = open_memstream(&data, &dn), *lf = open_memstream(&line, &ln);
	const char *v;

	*text = *html = NULL;
	if (w.t == NULL || w.h == NULL || df == NULL || lf == NULL) {
		if (w.t != NULL)
			wipe_free(finish(w.t, &t));
		if (w.h != NULL)
			wipe_free(finish(w.h, &h));
		if (df != NULL)
			wipe_free(finish(df, &data));
		if (lf != NULL)
			wipe_free(finish(lf, &line));
		return -1;
	}
	fputs("Your name, department and job title", df);
	for (size_t i = 0; i < sizeof(person_fields) / sizeof(person_fields[0]); i++)
		if (((const char *)p + person_fields[i].off)[0] != '\0')
			fprintf(df, ", %s", person_fields[i].what);
	fputs(".", df);
	if ((v = detail(d, "data_categories")) != NULL)
		fprintf(df, "\nThe data concerned in this incident: %s", v);
	fprintf(lf, "Hello %s,", p->name);
	data = finish(df, &data);
	line = finish(lf, &line);
	fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>A security incident"
	      "</title></head>\n<body>\n",
	      w.h);
	para(&w, line != NULL ? line : "Hello,");
	fputs("\n", w.t);
	para(&w, "We are writing to tell you about a security incident that concerns your "
	         "personal\ndata, as the GDPR (Article 34) asks of us.");
	section(&w, "What happened", detail(d, "nature"));
	section(&w, "Your data that it concerns", data != NULL ? data : "");
	section(&w, "The likely consequences",
	        (v = detail(d, "consequences")) != NULL ? v : "We are still assessing them.");
	section(&w, "What we have done",
	        (v = detail(d, "measures")) != NULL ? v : "We are still assessing them.");
	section(&w, "What you can do", detail(d, "advice"));
	section(&w, "Who to contact", detail(d, "contact"));
	fprintf(w.t, "\nPlease quote the incident's reference: %s\n", incident_id);
	fprintf(w.h, "<p>Please quote the incident's reference: %s</p>\n</body></html>\n",
	        incident_id);
	wipe_free(data);
	wipe_free(line);
	*text = finish(w.t, &t);
	*html = finish(w.h, &h);
	if (*text == NULL || *html == NULL) {
		wipe_free(*text);
		wipe_free(*html);
		*text = *html = NULL;
		return -1;
	}
	return 0;
}

/* The address to write to: personal, work, or the linked account's email ("" none). */
static int
address_of(struct store *s, const struct store_person *p, char *out, size_t len, struct err *e)
{
	out[0] = '\0';
	if (p->personal_email[0] != '\0')
		snprintf(out, len, "%s", p->personal_email);
	else if (p->work_email[0] != '\0')
		snprintf(out, len, "%s", p->work_email);
	else if (p->user_id[0] != '\0' && store_user_email(s, p->user_id, out, len, e) == -1)
		return -1;
	/* an address is one header line: one that is not stays undelivered */
	if (strpbrk(out, "\r\n") != NULL || strchr(out, '@') == NULL)
		out[0] = '\0';
	return 0;
}

/* The incident id (to free) with its details opened: 0, or -1 (404, 500, 503). */
static int
load_incident(struct store *s, const char *id, struct store_incident *inc, json_t **details,
              struct err *e)
{
	int found = store_incident_get(s, id, inc, e);

	*details = NULL;
	if (found != 1)
		return found == 0 ? err_set(e, 404, "there is no incident %s", id) : -1;
	if ((*details = json_loads(inc->details, 0, NULL)) == NULL || !json_is_object(*details)) {
		store_incident_free(inc);
		json_decref(*details);
		*details = NULL;
		return err_set(e, 500, "the incident's text does not open");
	}
	return 0;
}

/* One history row and one audit event for the incident (inside the caller's transaction). */
static int
record(struct store *s, const struct incidents_who *w, const char *incident_id, const char *at,
       const char *action, json_t *change, struct err *e)
{
	struct audit_entry a = {w->actor,  w->source,     action, incident_id,
	                        "success", w->request_id, NULL};
	char *ct;
	int rc;

	json_object_set_new(change, "action", json_string(action));
	ct = json_dumps(change, JSON_COMPACT | JSON_SORT_KEYS);
	rc = store_incident_history_add(s, incident_id, at, w->actor, ct != NULL ? ct : "{}", e);
	free(ct);
	if (rc == -1)
		return -1;
	return audit_record_at(s, &a, at, e);
}

int
incidents_notice_draft(struct store *s, const struct incidents_who *w, const char *id,
                       const json_t *in, long long now, json_t **out, struct err *e)
{
	struct store_incident inc;
	json_t *d = NULL, *aff = NULL, *people, *one, *change = NULL;
	char at[TIMEFMT_LEN];
	long drafts = 0, not_notifiable = 0, kept = 0;
	size_t i;
	int rc = -1;

	(void)in;
	(void)now;
	*out = NULL;
	memset(&inc, 0, sizeof(inc));
	if (load_incident(s, id, &inc, &d, e) == -1)
		return -1;
	if (strcmp(inc.status, "closed") == 0) {
		err_set(e, 409, "the incident is closed: it no longer changes");
		goto out;
	}
	if (inc.affected != NULL)
		aff = json_loads(inc.affected, 0, NULL);
	people = json_object_get(aff, "people");
	if (json_array_size(people) == 0) {
		err_set(e, 409,
		        "the incident has nobody on its affected list: compute who is "
		        "affected first (POST .../affected, slate incident affected)");
		goto out;
	}
	if (detail(d, "advice") == NULL) {
		err_field(e, 409, "/advice",
		          "write on the incident what the affected people can do (advice) before "
		          "drafting their notifications");
		goto out;
	}
	time_rfc3339_ms_now(at);
	if (store_begin(s, e) == -1)
		goto out;
	json_array_foreach (people, i, one) {
		const char *pid = json_string_value(json_object_get(one, "person_id"));
		const char *prod = json_string_value(json_object_get(one, "production_id"));
		struct store_person p;
		char to[256], *body = NULL, *html = NULL, *content = NULL;
		const char *reason = NULL;
		json_t *c;
		int found, put;

		if (pid == NULL || prod == NULL)
			continue;
		memset(&p, 0, sizeof(p));
		if ((found = store_person_get(s, prod, pid, STORE_PERSON_ALL, &p, e)) == -1)
			goto fail;
		if (found == 0) {
			reason = "the person's record no longer exists";
		} else if (address_of(s, &p, to, sizeof(to), e) == -1) {
			explicit_bzero(&p, sizeof(p));
			goto fail;
		} else if (to[0] == '\0') {
			reason = "no email address: tell this person another way";
		} else if (message_body(&p, inc.id, d, &body, &html) == 0) {
			c = json_pack("{s:s, s:s, s:s, s:s}", "to", to, "subject",
			              "A security incident that concerns your personal data",
			              "body", body, "html", html);
			content = c != NULL ? json_dumps(c, JSON_COMPACT) : NULL;
			json_decref(c);
		}
		explicit_bzero(&p, sizeof(p));
		explicit_bzero(to, sizeof(to));
		if (reason == NULL && content == NULL) {
			wipe_free(body);
			wipe_free(html);
			err_set(e, 500, "a notification could not be written");
			goto fail;
		}
		put = store_incident_notice_put(s, inc.id, pid, prod, content, reason, at, e);
		wipe_free(body);
		wipe_free(html);
		wipe_free(content);
		if (put == -1)
			goto fail;
		if (put == 0)
			kept++;
		else if (reason != NULL)
			not_notifiable++;
		else
			drafts++;
	}
	change = json_pack("{s:I, s:I, s:I}", "drafts", (json_int_t)drafts, "not_notifiable",
	                   (json_int_t)not_notifiable, "already_queued", (json_int_t)kept);
	if (record(s, w, inc.id, at, "incident.notify_draft", change, e) == -1 ||
	    store_commit(s, e) == -1)
		goto fail;
	rc = incidents_notice_list(s, inc.id, out, e) == 1 ? 0 : -1;
	goto out;
fail:
	store_rollback(s);
out:
	store_incident_free(&inc);
	json_decref(d);
	json_decref(aff);
	json_decref(change);
	return rc;
}

/* The first line of the body after its greeting, cut at 160 bytes (on a UTF-8 boundary). */
static json_t *
preview(const char *body)
{
	const char *p = body != NULL ? strstr(body, "\n\n") : NULL;
	size_t n;

	if (p == NULL)
		return json_null();
	p += 2;
	n = strcspn(p, "\n");
	if (n > 160) {
		n = 160;
		while (n > 0 && ((unsigned char)p[n] & 0xC0) == 0x80)
			n--;
	}
	return json_stringn(p, n);
}

struct notice_walk {
	json_t *arr;
	long count[4]; /* draft, not_notifiable, queued (or later), sent */
};

static void
add_notice(const struct store_incident_notice *n, void *arg)
{
	struct notice_walk *nw = arg;
	json_t *c = json_loads(n->content, 0, NULL), *j;
	const char *body = json_string_value(json_object_get(c, "body"));
	const char *to = json_string_value(json_object_get(c, "to"));
	const char *subject = json_string_value(json_object_get(c, "subject"));

	j = json_pack("{s:s, s:s, s:s, s:s}", "id", n->id, "person_id", n->person_id,
	              "production_id", n->production_id, "status", n->status);
	json_object_set_new(j, "recipient", to != NULL ? json_string(to) : json_null());
	json_object_set_new(j, "subject", subject != NULL ? json_string(subject) : json_null());
	json_object_set_new(j, "preview", preview(body));
	json_object_set_new(j, "body", body != NULL ? json_string(body) : json_null());
	json_object_set_new(j, "reason", n->reason[0] ? json_string(n->reason) : json_null());
	json_object_set_new(j, "outbox_id",
	                    n->outbox_id[0] ? json_string(n->outbox_id) : json_null());
	json_object_set_new(j, "drafted_at", json_string(n->drafted_at));
	json_object_set_new(j, "queued_at",
	                    n->queued_at[0] ? json_string(n->queued_at) : json_null());
	if (c != NULL && json_is_string(json_object_get(c, "sealed")))
		json_object_set(j, "sealed", json_object_get(c, "sealed"));
	json_array_append_new(nw->arr, j);
	if (strcmp(n->status, "draft") == 0)
		nw->count[0]++;
	else if (strcmp(n->status, "not_notifiable") == 0)
		nw->count[1]++;
	else
		nw->count[2]++;
	nw->count[3] += strcmp(n->status, "sent") == 0;
	json_decref(c);
}

int
incidents_notice_list(struct store *s, const char *id, json_t **out, struct err *e)
{
	struct store_incident inc;
	struct notice_walk nw;
	int found = store_incident_get(s, id, &inc, e);

	*out = NULL;
	if (found != 1)
		return found;
	memset(&nw, 0, sizeof(nw));
	nw.arr = json_array();
	if (store_incident_notice_list(s, id, add_notice, &nw, e) == -1) {
		json_decref(nw.arr);
		store_incident_free(&inc);
		return -1;
	}
	*out = json_pack("{s:s, s:s, s:{s:I, s:I, s:I, s:I}, s:o}", "incident_id", inc.id,
	                 "incident_status", inc.status, "counts", "draft", (json_int_t)nw.count[0],
	                 "not_notifiable", (json_int_t)nw.count[1], "queued_or_later",
	                 (json_int_t)nw.count[2], "sent", (json_int_t)nw.count[3], "notifications",
	                 nw.arr);
	store_incident_free(&inc);
	return 1;
}

struct send_walk {
	json_t *drafts; /* [{id, person_id, production_id, to, subject, body}] */
	long notices;
};

static void
take_draft(const struct store_incident_notice *n, void *arg)
{
	struct send_walk *sw = arg;
	json_t *c;

	sw->notices++;
	if (strcmp(n->status, "draft") != 0)
		return;
	c = json_loads(n->content, 0, NULL);
	if (json_is_string(json_object_get(c, "to")) &&
	    json_is_string(json_object_get(c, "body"))) {
		json_object_set_new(c, "id", json_string(n->id));
		json_object_set_new(c, "person_id", json_string(n->person_id));
		json_object_set_new(c, "production_id", json_string(n->production_id));
		json_array_append(sw->drafts, c);
	}
	json_decref(c);
}

int
incidents_notice_send(struct store *s, const struct incidents_who *w, const char *id,
                      const json_t *in, long long now, json_t **out, struct err *e)
{
	struct store_incident inc;
	struct send_walk sw = {json_array(), 0};
	json_t *d = NULL, *change = NULL, *people = json_array(), *one;
	char at[TIMEFMT_LEN];
	size_t i;
	int rc = -1;

	(void)in;
	*out = NULL;
	memset(&inc, 0, sizeof(inc));
	if (load_incident(s, id, &inc, &d, e) == -1)
		goto out;
	if (strcmp(inc.status, "closed") == 0 && detail(d, "no_notification_reason") != NULL) {
		err_set(e, 409,
		        "the incident was closed as unlikely to result in a risk to people: "
		        "nobody is told of it");
		goto out;
	}
	time_rfc3339_ms_now(at);
	if (store_begin(s, e) == -1)
		goto out;
	if (store_incident_notice_list(s, inc.id, take_draft, &sw, e) == -1)
		goto fail;
	if (sw.notices == 0) {
		err_set(e, 409, "there is nothing to send: draft the notifications first");
		goto fail;
	}
	json_array_foreach (sw.drafts, i, one) {
		const char *pid = json_string_value(json_object_get(one, "person_id"));
		const char *prod = json_string_value(json_object_get(one, "production_id"));
		const char *subject = json_string_value(json_object_get(one, "subject"));
		const char *to = json_string_value(json_object_get(one, "to"));
		char oid[STORE_ID_LEN + 8], *parts;
		json_t *pj;
		int queued;
		struct audit_entry a = {w->actor, w->source, "incident.notify_person",
		                        pid,      "success", w->request_id,
		                        prod};

		if (subject == NULL || strpbrk(to, "\r\n") != NULL) {
			err_set(e, 500, "a draft's address or subject is not one header line");
			goto fail;
		}
		/* text and HTML: the outbox sends a person's message as multipart/alternative */
		pj = json_pack("{s:O, s:O}", "text", json_object_get(one, "body"), "html",
		               json_is_string(json_object_get(one, "html"))
		                   ? json_object_get(one, "html")
		                   : json_object_get(one, "body"));
		parts = pj != NULL ? json_dumps(pj, JSON_COMPACT) : NULL;
		json_decref(pj);
		if (parts == NULL) {
			err_set(e, 500, "a notification could not be written");
			goto fail;
		}
		queued = store_outbox_add_for(s, to, subject, parts, NULL, pid, now, oid, e);
		wipe_free(parts);
		if (queued == -1 ||
		    store_incident_notice_queued(s, json_string_value(json_object_get(one, "id")),
		                                 oid, at, e) == -1 ||
		    audit_record_at(s, &a, at, e) == -1)
			goto fail;
		json_array_append_new(people,
		                      json_pack("{s:s, s:s}", "person_id", pid, "outbox_id", oid));
	}
	if (json_array_size(people) > 0) {
		change = json_pack("{s:I, s:O}", "queued", (json_int_t)json_array_size(people),
		                   "people", people);
		if (record(s, w, inc.id, at, "incident.notify_people", change, e) == -1)
			goto fail;
	}
	if (store_commit(s, e) == -1)
		goto fail;
	if (incidents_notice_list(s, inc.id, out, e) != 1)
		goto out;
	json_object_set_new(*out, "queued", json_integer((json_int_t)json_array_size(people)));
	rc = 0;
	goto out;
fail:
	store_rollback(s);
out:
	store_incident_free(&inc);
	json_decref(d);
	json_decref(change);
	json_decref(people);
	json_decref(sw.drafts);
	return rc;
}

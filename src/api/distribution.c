/*
 * distribution.c — a published call sheet sent to its recipients, tracked
 * by name, and opened through a personal link.
 *
 * POST …/days/{did}/callsheets?send=true       (api/callsheets.c) sends as it publishes
 * POST …/callsheets/{cid}/remind               the latest version again, to whoever has not acked
 * GET  …/callsheets/{cid}/deliveries           what became of each message
 * POST /api/v1/sheet-links/open   {token}      the version the link names (no session)
 * POST /api/v1/sheet-links/ack    {token}      acknowledges it for the link's person
 * POST /api/v1/sheet-links/pdf    {token}      their PDF
 *
 * Sending (api_distribution_send) runs inside the transaction that
 * publishes (or reminds): for each recipient — the people the version
 * calls, in call-sheet order — it queues one outbox message and a delivery
 * row, or a delivery row `not_sent` with the reason. The address is the
 * one Slate already reaches the person at: the email of the account their
 * record is linked to, once that account confirmed the link, else their
 * work email; never their personal email. Each message carries a personal
 * link {public_url}/sheet#token=T (T: 32 random bytes, base64url; the
 * token sits in the fragment, which browsers send to no server and put in
 * no Referer), of which only the SHA-256 is stored. The PDF is drawn by
 * the notifier at send time (notify/notify.c), not here.
 *
 * A link opens its version for its person until 48 hours after the shoot
 * day ends (the production's local midnight), while that version is the
 * day's latest (publishing a newer one revokes it, and the look-up checks
 * it), the person is a recipient (removing the person deletes the link)
 * and the production allows link-only access (link_access; when off, 403
 * with the errors entry {pointer "/token", detail "sign-in required"}).
 * Unknown, expired, revoked and superseded tokens answer one and the same
 * 404. A token is taken from the JSON body only: a request with a query
 * string is refused (400), so no token ever sits in an address or a log.
 * Guessing is throttled as sign-in is (domain/throttle.h, per source
 * address only: a single failure counter "sheet-link" per address, whose
 * free failures and backoff are the sign-in knobs); the account-wide rules
 * are off, so no one can lock everyone's links by failing on purpose.
 * Every use is audited (callsheet.link_open, callsheet.ack,
 * callsheet.link_pdf), the object being the person's id, never the token.
 *
 * Tracking: no "opened" state, on purpose: Slate sends no tracking pixel
 * and does not count link uses as reads.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "api/call.h"
#include "api/handlers.h"
#include "api/reply.h"
#include "api/session.h"
#include "api/sheetdiff.h"
#include "api/view.h"
#include "audit/audit.h"
#include "crypto/token.h"
#include "domain/throttle.h"
#include "notify/notify.h"
#include "render/sheetpdf.h"
#include "util/log.h"
#include "util/xalloc.h"
#include "util/zone.h"

/* How long a link outlives its shoot day. */
#define LINK_AFTER_DAY (48L * 3600L)

/* ---- composing a message ---- */

/* A growing string. */
struct buf {
	char *p;
	size_t n, cap;
};

static void
put(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void
puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* s with &, <, >, " and ' escaped for HTML text and attribute values. */
static void
put_html(struct buf *b, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '&': puts_(b, "&amp;"); break;
		case '<': puts_(b, "&lt;"); break;
		case '>': puts_(b, "&gt;"); break;
		case '"': puts_(b, "&quot;"); break;
		case '\'': puts_(b, "&#39;"); break;
		default: put(b, s, 1);
		}
	}
}

static void
wipe_buf(struct buf *b)
{
	if (b->p != NULL)
		sodium_memzero(b->p, b->n);
	free(b->p);
	b->p = NULL;
	b->n = b->cap = 0;
}

static const char *
str(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v != NULL ? v : "";
}

/* The names of the sheet's locations, with the first one's address ("" none). */
static void
locations_line(const json_t *sheet, struct buf *out)
{
	size_t i;
	json_t *l;
	json_array_foreach (json_object_get(sheet, "locations"), i, l) {
		if (i > 0)
			puts_(out, "; ");
		puts_(out, str(l, "name"));
		if (str(l, "address")[0] != '\0') {
			puts_(out, ", ");
			puts_(out, str(l, "address"));
		}
	}
}

/*
 * What changed for one person, as plain sentences (one per element, each
 * a JSON string): their own call fields, the general call, the locations
 * (api_sheetdiff_person), and the scenes (api_sheetdiff).
 */
static json_t *
changes_for(const json_t *old, const json_t *now, const char *person_id)
{
	static const struct {
		const char *field, *what;
	} names[] = {{"call", "your call"},
	             {"pickup", "your pickup"},
	             {"hair_makeup", "your hair and make-up call"},
	             {"on_set", "your on-set time"},
	             {"cast_status", "your status"},
	             {"general_call", "general call"}};
	json_t *mine_old = api_sheetdiff_own_call(old, person_id);
	json_t *mine_now = api_sheetdiff_own_call(now, person_id);
	json_t *mine = api_sheetdiff_person(old, now, mine_old, mine_now);
	json_t *all = api_sheetdiff(old, now), *out = json_array(), *ch, *sc;
	json_t *scenes = json_object_get(all, "scenes");
	size_t i;

	json_array_foreach (mine, i, ch) {
		const char *field = str(ch, "field"), *from = str(ch, "from"), *to = str(ch, "to");
		const char *what = NULL;
		if (strcmp(field, "call_from") == 0)
			continue;
		if (strcmp(field, "locations") == 0) {
			json_array_append_new(
			    out, json_sprintf("location changed to %s", to[0] ? to : "none"));
			continue;
		}
		for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if (strcmp(names[k].field, field) == 0)
				what = names[k].what;
		if (what == NULL)
			continue;
		if (from[0] != '\0' && to[0] != '\0')
			json_array_append_new(
			    out, json_sprintf("%s moved from %s to %s", what, from, to));
		else if (to[0] != '\0')
			json_array_append_new(out, json_sprintf("%s is now %s", what, to));
		else
			json_array_append_new(out, json_sprintf("%s (%s) was removed", what, from));
	}
	if (json_array_size(json_object_get(scenes, "added")) > 0 ||
	    json_array_size(json_object_get(scenes, "removed")) > 0) {
		struct buf b = {0};
		puts_(&b, "scenes changed:");
		json_array_foreach (json_object_get(scenes, "added"), i, sc) {
			puts_(&b, " +");
			puts_(&b, str(sc, "number"));
		}
		json_array_foreach (json_object_get(scenes, "removed"), i, sc) {
			puts_(&b, " -");
			puts_(&b, str(sc, "number"));
		}
		json_array_append_new(out, json_string(b.p));
		free(b.p);
	} else if (json_is_true(json_object_get(scenes, "reordered"))) {
		json_array_append_new(out, json_string("scenes are shot in another order"));
	}
	json_decref(mine_old);
	json_decref(mine_now);
	json_decref(mine);
	json_decref(all);
	return out;
}

/* The subject: "Day 12 — your call 06:15 — Northern Lights", on one line. */
static char *
subject_of(const json_t *sheet, const char *call, const char *production, int reminder)
{
	char *s = xasprintf("%sDay %d \xe2\x80\x94 your call %s \xe2\x80\x94 %s",
	                    reminder ? "Reminder: " : "",
	                    (int)json_integer_value(json_object_get(sheet, "day")),
	                    call[0] ? call : "to be confirmed", production);
	for (char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return s;
}

struct message {
	char *subject;
	struct buf text, html;
};

/*
 * The message to person `name` for the version: their call, the day, the
 * link, what changed (changes: a JSON array of sentences, may be empty).
 */
static void
compose(struct message *m, const json_t *sheet, const json_t *line, const char *name,
        const char *production, int version, const char *link, const char *expires,
        const json_t *changes, int reminder)
{
	struct buf where = {0};
	const char *call = str(line, "call");
	char head[512];
	size_t i;
	json_t *ch;

	locations_line(sheet, &where);
	if (where.p == NULL)
		puts_(&where, "");
	m->subject = subject_of(sheet, call, production, reminder);
	snprintf(head, sizeof(head), "Day %d of %d, %s%s \xe2\x80\x94 %s (version %d)",
	         (int)json_integer_value(json_object_get(sheet, "day")),
	         (int)json_integer_value(json_object_get(sheet, "of")), str(sheet, "date"),
	         json_is_true(json_object_get(sheet, "cancelled")) ? " (CANCELLED)" : "",
	         production, version);

	/* text/plain */
	puts_(&m->text, "Hello ");
	puts_(&m->text, name);
	puts_(&m->text, ",\n\n");
	if (reminder)
		puts_(&m->text, "You have not acknowledged this call sheet yet.\n\n");
	puts_(&m->text, head);
	puts_(&m->text, "\n\nYour call: ");
	puts_(&m->text, call[0] ? call : "to be confirmed");
	puts_(&m->text, "\nGeneral call: ");
	puts_(&m->text, str(sheet, "general_call"));
	puts_(&m->text, "\nLocation: ");
	puts_(&m->text, where.p);
	puts_(&m->text, "\n");
	if (json_array_size(changes) > 0) {
		puts_(&m->text, "\nWhat changed for you:\n");
		json_array_foreach (changes, i, ch) {
			puts_(&m->text, "- ");
			puts_(&m->text, json_string_value(ch));
			puts_(&m->text, "\n");
		}
	}
	puts_(&m->text, "\nYour call sheet, to read and acknowledge:\n");
	puts_(&m->text, link);
	puts_(&m->text, "\n\nThe link is yours alone: it opens this version for you, until ");
	puts_(&m->text, expires);
	puts_(&m->text, ". Your PDF is attached.\n");

	/* text/html: everything escaped, no remote image, no tracking */
	puts_(&m->html, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>");
	put_html(&m->html, m->subject);
	puts_(&m->html, "</title></head>\n<body>\n<p>Hello ");
	put_html(&m->html, name);
	puts_(&m->html, ",</p>\n");
	if (reminder)
		puts_(&m->html, "<p>You have not acknowledged this call sheet yet.</p>\n");
	puts_(&m->html, "<p><strong>");
	put_html(&m->html, head);
	puts_(&m->html, "</strong></p>\n<p>Your call: <strong>");
	put_html(&m->html, call[0] ? call : "to be confirmed");
	puts_(&m->html, "</strong><br>\nGeneral call: ");
	put_html(&m->html, str(sheet, "general_call"));
	puts_(&m->html, "<br>\nLocation: ");
	put_html(&m->html, where.p);
	puts_(&m->html, "</p>\n");
	if (json_array_size(changes) > 0) {
		puts_(&m->html, "<p>What changed for you:</p>\n<ul>\n");
		json_array_foreach (changes, i, ch) {
			puts_(&m->html, "<li>");
			put_html(&m->html, json_string_value(ch));
			puts_(&m->html, "</li>\n");
		}
		puts_(&m->html, "</ul>\n");
	}
	puts_(&m->html, "<p><a href=\"");
	put_html(&m->html, link);
	puts_(&m->html, "\">Read and acknowledge your call sheet</a></p>\n<p>The link is yours "
	                "alone: it opens this version for you, until ");
	put_html(&m->html, expires);
	puts_(&m->html, ". Your PDF is attached.</p>\n</body></html>\n");
	free(where.p);
}

/* ---- sending ---- */

/* When the links of a version of day `date` (production zone tz) stop working. */
static long long
link_expiry(const char *tz, const char *date)
{
	struct zone_local zl;
	int rc = zone_local_instants(tz, date, 24 * 60, &zl);
	if (rc == -1) {
		/* an unknown zone: the end of the day anywhere on Earth (UTC-12) */
		struct tm tm = {0};
		if (strlen(date) != 10)
			return (long long)time(NULL) + LINK_AFTER_DAY;
		tm.tm_year = (int)strtol(date, NULL, 10) - 1900;
		tm.tm_mon = (int)strtol(date + 5, NULL, 10) - 1;
		tm.tm_mday = (int)strtol(date + 8, NULL, 10) + 1;
		return (long long)timegm(&tm) + 12L * 3600L + LINK_AFTER_DAY;
	}
	return (rc == 2 ? zl.at[1] : zl.at[0]) + LINK_AFTER_DAY;
}

/*
 * The address Slate reaches person p at (see the top of the file) into
 * out ("" none): 0, or -1 with e set.
 */
static int
address_of(struct store *s, const struct store_person *p, char *out, size_t len, struct err *e)
{
	out[0] = '\0';
	if (p->user_id[0] != '\0' && p->link_confirmed) {
		struct store_user u;
		int found = store_user_by_id(s, p->user_id, &u, e);
		if (found == -1)
			return -1;
		if (found == 1 && !u.disabled)
			snprintf(out, len, "%s", u.email);
		sodium_memzero(&u, sizeof(u));
		if (out[0] != '\0')
			return 0;
	}
	if (strchr(p->work_email, '@') != NULL)
		snprintf(out, len, "%s", p->work_email);
	return 0;
}

/* The sheet of an earlier version, kept while sending one version (usually one). */
struct earlier {
	char id[STORE_ID_LEN + 8];
	json_t *sheet;
};

static json_t *
earlier_sheet(struct store *s, const char *production_id, const char *id, struct earlier *cache,
              struct err *e)
{
	struct store_callsheet cs;
	int found;

	if (cache->sheet != NULL && strcmp(cache->id, id) == 0)
		return cache->sheet;
	json_decref(cache->sheet);
	cache->sheet = NULL;
	memset(&cs, 0, sizeof(cs));
	if ((found = store_callsheet_get(s, production_id, id, 1, &cs, e)) != 1)
		return found == 0 ? (err_set(e, 503, "an earlier version went away"), NULL) : NULL;
	cache->sheet = json_loads(cs.body, 0, NULL);
	sodium_memzero(cs.body, strlen(cs.body));
	free(cs.body);
	if (cache->sheet == NULL)
		err_set(e, 500, "an earlier version does not parse");
	snprintf(cache->id, sizeof(cache->id), "%s", id);
	return cache->sheet;
}

static void
add_not_sent(json_t *not_sent, const char *person_id, const char *name, const char *reason)
{
	json_array_append_new(not_sent, json_pack("{s:s, s:s, s:s}", "person_id", person_id, "name",
	                                          name, "reason", reason));
}

int
api_distribution_send(struct store *s, const char *public_url, const struct store_production *p,
                      const struct store_callsheet *cs, const json_t *sheet, int reminder,
                      json_t **out, struct err *e)
{
	long long now = (long long)time(NULL);
	long long expires = link_expiry(p->timezone, str(sheet, "date"));
	char expires_text[32];
	struct earlier prev = {"", NULL};
	json_t *not_sent = json_array(), *line;
	long queued = 0;
	size_t i;
	int rc = -1;
	struct tm tm;
	time_t ex = (time_t)expires;

	gmtime_r(&ex, &tm);
	strftime(expires_text, sizeof(expires_text), "%Y-%m-%d %H:%M UTC", &tm);
	if (!reminder && store_link_revoke_day(s, cs->day_id, cs->id, now, e) == -1)
		goto out;
	json_array_foreach (json_object_get(sheet, "calls"), i, line) {
		const char *pid = str(line, "person_id");
		struct store_person person;
		char to[256], at[32], via[8], prev_id[STORE_ID_LEN + 8];
		char token[TOKEN_TEXT_LEN], hash[TOKEN_HASH_LEN], outbox_id[STORE_ID_LEN + 8];
		struct message m = {NULL, {0}, {0}};
		json_t *changes = NULL;
		char *link;
		int found, sent;

		if ((found = store_person_get(s, p->id, pid, STORE_PERSON_WORK, &person, e)) == -1)
			goto out;
		if (found == 0)
			continue; /* removed since: nobody to send to */
		if (reminder) {
			if (store_callsheet_ack_of(s, cs->id, pid, at, via, e) == -1)
				goto wiped;
			if (at[0] != '\0')
				goto next;
		}
		if (address_of(s, &person, to, sizeof(to), e) == -1)
			goto wiped;
		if (to[0] == '\0') {
			if (store_delivery_add(s, cs->id, pid, reminder ? "reminder" : "publish",
			                       NULL, "no email address", now, e) == -1)
				goto wiped;
			add_not_sent(not_sent, pid, person.name, "no email address");
			goto next;
		}
		if ((sent = store_delivery_sent_before(s, cs->day_id, cs->version, pid, prev_id,
		                                       e)) == -1)
			goto wiped;
		if (sent == 1) {
			json_t *old = earlier_sheet(s, p->id, prev_id, &prev, e);
			if (old == NULL)
				goto wiped;
			changes = changes_for(old, sheet, pid);
		}
		token_new(token, hash);
		link = xasprintf("%s/sheet#token=%s", public_url, token);
		sodium_memzero(token, sizeof(token));
		compose(&m, sheet, line, person.name, p->name, cs->version, link, expires_text,
		        changes, reminder);
		sodium_memzero(link, strlen(link));
		free(link);
		json_decref(changes);
		found = store_link_add(s, hash, cs->id, pid, now, expires, e) == -1 ||
		        notify_enqueue_sheet(s, to, m.subject, m.text.p, m.html.p, cs->id, pid,
		                             outbox_id, e) == -1 ||
		        store_delivery_add(s, cs->id, pid, reminder ? "reminder" : "publish",
		                           outbox_id, NULL, now, e) == -1;
		free(m.subject);
		wipe_buf(&m.text);
		wipe_buf(&m.html);
		if (found)
			goto wiped;
		queued++;
	next:
		sodium_memzero(&person, sizeof(person));
		continue;
	wiped:
		sodium_memzero(&person, sizeof(person));
		goto out;
	}
	*out = json_pack("{s:i, s:O}", "queued", (json_int_t)queued, "not_sent", not_sent);
	rc = 0;
out:
	json_decref(prev.sheet);
	json_decref(not_sent);
	return rc;
}

/* ---- remind and deliveries (callsheet publish) ---- */

/* Loads {cid}: 1 with cs (no body), or 0 after answering. */
static int
load_version(struct api_call *c, struct store_callsheet *cs, int want_body)
{
	struct err e;
	int found = store_callsheet_get(api_call_store(c), c->rd.a.production.id,
	                                router_param(&c->r->match, "cid"), want_body, cs, &e);
	return api_found(c->r, found, &e, "call sheet");
}

struct newest {
	int version;
};

static void
keep_newest(const struct store_callsheet *v, void *arg)
{
	struct newest *n = arg;
	if (v->version > n->version)
		n->version = v->version;
}

void
distribution_remind(struct api_call *c)
{
	struct http_req *r = c->r;
	struct store *s = api_call_store(c);
	struct store_callsheet cs;
	struct newest nw = {0};
	json_t *sheet = NULL, *out = NULL;
	struct err e;

	memset(&cs, 0, sizeof(cs));
	if (!load_version(c, &cs, 1))
		return;
	if (store_callsheet_list(s, c->rd.a.production.id, cs.day_id, keep_newest, &nw, &e) == -1) {
		api_unavailable(r, &e);
		goto out;
	}
	if (nw.version != cs.version) {
		http_end_problem(
		    r, 409, "a newer version of this day was published: remind about that one");
		goto out;
	}
	if ((sheet = json_loads(cs.body, 0, NULL)) == NULL) {
		http_end_problem(r, 500, "the call sheet could not be read");
		goto out;
	}
	if (api_call_begin(c) == -1)
		goto out;
	if (api_distribution_send(s, http_req_config(r)->public_url, &c->rd.a.production, &cs,
	                          sheet, 1, &out, &e) == -1) {
		api_call_abort(c);
		api_unavailable(r, &e);
		goto out;
	}
	if (api_call_commit(c, NULL, cs.id) == 0) {
		http_end_reply_json(r, 200, out);
		out = NULL;
	}
out:
	json_decref(out);
	json_decref(sheet);
	if (cs.body != NULL) {
		sodium_memzero(cs.body, strlen(cs.body));
		free(cs.body);
	}
}

struct delivery_list {
	struct store *s;
	const char *callsheet_id;
	const char *production_id;
	json_t *arr;
	struct err e;
	int failed;
};

static json_t *
time_or_null(long long t)
{
	char buf[32];
	struct tm tm;
	time_t x = (time_t)t;
	if (t <= 0)
		return json_null();
	gmtime_r(&x, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

static json_t *
text_or_null(const char *s)
{
	return s[0] != '\0' ? json_string(s) : json_null();
}

static void
add_delivery(const struct store_delivery *d, void *arg)
{
	struct delivery_list *l = arg;
	struct store_person p;
	char at[32], via[8];
	json_t *j;
	int found;

	if (l->failed)
		return;
	if ((found = store_person_get(l->s, l->production_id, d->person_id, 0, &p, &l->e)) != 1 ||
	    store_callsheet_ack_of(l->s, l->callsheet_id, d->person_id, at, via, &l->e) == -1) {
		l->failed = found == -1 || found == 1;
		return;
	}
	j = json_pack("{s:s, s:s, s:s, s:s}", "person_id", d->person_id, "name", p.name, "kind",
	              d->kind, "status", d->status);
	json_object_set_new(j, "reason",
	                    strcmp(d->status, "sent") != 0 ? text_or_null(d->reason) : json_null());
	json_object_set_new(j, "relay_answer", text_or_null(d->relay_answer));
	json_object_set_new(j, "queued_at", time_or_null(d->created_at));
	json_object_set_new(j, "sent_at", time_or_null(d->sent_at));
	json_object_set_new(j, "next_attempt_at",
	                    strcmp(d->status, "deferred") == 0 ? time_or_null(d->next_attempt_at)
	                                                       : json_null());
	json_object_set_new(j, "attempts", json_integer(d->attempts));
	json_object_set_new(j, "acknowledged_at", text_or_null(at));
	json_object_set_new(j, "acknowledged_via", text_or_null(via));
	json_array_append_new(l->arr, j);
}

void
distribution_deliveries(struct api_call *c)
{
	struct store_callsheet cs;
	struct delivery_list l;

	memset(&cs, 0, sizeof(cs));
	if (!load_version(c, &cs, 0))
		return;
	memset(&l, 0, sizeof(l));
	l.s = api_call_store(c);
	l.callsheet_id = cs.id;
	l.production_id = c->rd.a.production.id;
	l.arr = json_array();
	if (store_delivery_list(l.s, cs.id, add_delivery, &l, &l.e) == -1 || l.failed) {
		json_decref(l.arr);
		api_unavailable(c->r, &l.e);
		return;
	}
	http_end_reply_json(
	    c->r, 200,
	    json_pack("{s:o, s:o}", "callsheet", api_callsheet_json(&cs), "deliveries", l.arr));
}

/* ---- the personal link (no session) ---- */

static const char link_key_name[] = "sheet-link";

static void
link_audit(struct http_req *r, const char *action, const char *person_id, const char *production_id,
           const char *outcome)
{
	struct audit_entry a = {NULL,    r->peer,       action,       person_id,
	                        outcome, r->request_id, production_id};
	struct err e;
	if (audit_record(http_req_store(r), &a, &e) == -1)
		log_event(LOG_ERROR, "audit event not written", LOG_STR("action", action),
		          LOG_STR("error", e.msg), LOG_END);
}

/* Answers 429 and returns 1 when this address must wait before trying a token again. */
static int
link_throttled(struct http_req *r, const char *action, const char *source, char key[TOKEN_HASH_LEN])
{
	const struct config *c = http_req_config(r);
	struct throttle_policy p = {c->login_free_failures, c->login_backoff_max, LONG_MAX, 0};
	struct store_login_state rec;
	struct throttle_state st;
	long long now = (long long)time(NULL);
	char after[24];
	struct err e;
	long wait;

	token_hash(link_key_name, key);
	if (store_login_state(http_req_store(r), key, source, now - THROTTLE_WINDOW, &rec, &e) ==
	    -1) {
		api_unavailable(r, &e);
		return 1;
	}
	throttle_state_of(&rec, &st);
	if ((wait = throttle_wait(&p, &st, now)) == 0)
		return 0;
	snprintf(after, sizeof(after), "%ld", wait);
	link_audit(r, action, NULL, NULL, "throttled");
	http_add_header(r, "Retry-After", after);
	http_end_problem(r, 429,
	                 "too many unknown links from this address; wait before trying again");
	return 1;
}

/*
 * The link of the request's token, checked (see the top of the file): 1
 * with l and the production, or 0 after answering (and auditing).
 */
static int
link_of(struct api_call *c, const char *action, struct store_link *l, struct store_production *prod)
{
	struct http_req *r = c->r;
	struct store *s = http_req_store(r);
	const char *token = json_string_value(json_object_get(c->body, "token"));
	char source[64], key[TOKEN_HASH_LEN], hash[TOKEN_HASH_LEN];
	long long now = (long long)time(NULL);
	struct err e;
	int found;

	if (r->query != NULL && r->query[0] != '\0') {
		http_end_problem(r, 400, "the token goes in the JSON body, never in the address");
		return 0;
	}
	throttle_source(r->peer, source, sizeof(source));
	if (link_throttled(r, action, source, key))
		return 0;
	token_hash(token != NULL ? token : "", hash);
	if (token == NULL || strlen(token) != TOKEN_TEXT_LEN - 1 ||
	    (found = store_link_find(s, hash, now, l, &e)) == 0) {
		if (store_login_failed(s, key, source, now, now - THROTTLE_WINDOW, &e) == -1)
			log_event(LOG_ERROR, "failure not recorded", LOG_STR("error", e.msg),
			          LOG_END);
		link_audit(r, action, NULL, NULL, "failure");
		http_end_problem(r, 404,
		                 "this link does not open a call sheet: it is unknown, expired, or "
		                 "replaced by a newer version");
		return 0;
	}
	if (found == -1 || (found = store_production_get(s, l->production_id, prod, &e)) == -1) {
		api_unavailable(r, &e);
		return 0;
	}
	if (found == 0 || !prod->link_access) {
		link_audit(r, action, l->person_id, l->production_id, "denied");
		http_end_problem_errors(
		    r, 403, "this production asks you to sign in to read its call sheets",
		    json_pack("[{s:s, s:s}]", "pointer", "/token", "detail", "sign-in required"));
		return 0;
	}
	/* archived (api/closing.c): a link reads as its person would, no leader; it acks nothing */
	if (prod->archived_at != 0) {
		struct api_access a;
		memset(&a, 0, sizeof(a));
		a.production = *prod;
		if (!api_end_reads(&a, http_req_config(r)->archive_read_days,
		                   (long long)time(NULL))) {
			link_audit(r, action, l->person_id, l->production_id, "denied");
			http_end_problem(
			    r, 403, "the production is archived: its call sheets no longer open");
			return 0;
		}
		if (strcmp(action, "callsheet.ack") == 0) {
			http_end_problem(r, 409, "the production is archived: it is read-only");
			return 0;
		}
	}
	return 1;
}

void
sheetlink_open(struct api_call *c)
{
	struct http_req *r = c->r;
	struct store *s = http_req_store(r);
	struct store_link l;
	struct store_production prod;
	struct store_callsheet cs;
	struct store_person p;
	char at[32], via[8];
	json_t *sheet = NULL, *j;
	struct err e;
	int found;

	if (!link_of(c, "callsheet.link_open", &l, &prod))
		return;
	memset(&cs, 0, sizeof(cs));
	if ((found = store_callsheet_get(s, l.production_id, l.callsheet_id, 1, &cs, &e)) != 1 ||
	    (found = store_person_get(s, l.production_id, l.person_id, 0, &p, &e)) != 1 ||
	    (found = store_callsheet_ack_of(s, cs.id, l.person_id, at, via, &e)) != 1) {
		if (found == 0)
			err_set(&e, 503, "the call sheet went away");
		api_unavailable(r, &e);
		goto out;
	}
	if ((sheet = json_loads(cs.body, 0, NULL)) == NULL) {
		http_end_problem(r, 500, "the call sheet could not be read");
		goto out;
	}
	link_audit(r, "callsheet.link_open", l.person_id, l.production_id, "success");
	j = json_pack("{s:{s:s, s:s}, s:o, s:{s:s, s:s}, s:O}", "production", "id", prod.id, "name",
	              prod.name, "callsheet", api_callsheet_json(&cs), "person", "id", p.id, "name",
	              p.name, "sheet", sheet);
	json_object_set_new(j, "acknowledged_at", text_or_null(at));
	json_object_set_new(j, "acknowledged_via", text_or_null(via));
	http_end_reply_json(r, 200, j);
out:
	json_decref(sheet);
	if (cs.body != NULL) {
		sodium_memzero(cs.body, strlen(cs.body));
		free(cs.body);
	}
}

void
sheetlink_ack(struct api_call *c)
{
	struct http_req *r = c->r;
	struct store *s = http_req_store(r);
	struct store_link l;
	struct store_production prod;
	struct audit_entry a;
	struct err e;
	int done = -1;

	if (!link_of(c, "callsheet.ack", &l, &prod))
		return;
	a = (struct audit_entry){NULL,      r->peer,       "callsheet.ack", l.person_id,
	                         "success", r->request_id, l.production_id};
	if (store_begin(s, &e) == 0) {
		done = store_callsheet_ack_via(s, l.callsheet_id, l.person_id, "link", &e);
		if (done == 1 && (audit_record(s, &a, &e) == -1 || store_commit(s, &e) == -1))
			done = -1;
		if (done != 1)
			store_rollback(s);
	}
	if (done == -1)
		api_unavailable(r, &e);
	else if (done == 0)
		http_end_problem(r, 404, "this link does not open a call sheet");
	else
		http_end_reply(r, 204, NULL, NULL, 0);
}

void
sheetlink_pdf(struct api_call *c)
{
	struct http_req *r = c->r;
	struct store *s = http_req_store(r);
	struct store_link l;
	struct store_production prod;
	struct store_callsheet cs;
	unsigned char *pdf = NULL;
	size_t len = 0;
	json_t *sheet = NULL;
	struct err e;
	int found;

	if (!link_of(c, "callsheet.link_pdf", &l, &prod))
		return;
	memset(&cs, 0, sizeof(cs));
	if ((found = store_callsheet_get(s, l.production_id, l.callsheet_id, 1, &cs, &e)) != 1) {
		if (found == 0)
			err_set(&e, 503, "the call sheet went away");
		api_unavailable(r, &e);
		goto out;
	}
	if ((sheet = json_loads(cs.body, 0, NULL)) == NULL) {
		http_end_problem(r, 500, "the call sheet could not be read");
		goto out;
	}
	struct sheetpdf_opts o = {SHEETPDF_A4, l.person_id, cs.version, cs.published_at};
	if (sheetpdf_render(sheet, &o, &pdf, &len, &e) == -1) {
		log_event(LOG_ERROR, "call sheet PDF not drawn", LOG_STR("error", e.msg), LOG_END);
		http_end_problem(r, 500, "the PDF could not be drawn");
		goto out;
	}
	link_audit(r, "callsheet.link_pdf", l.person_id, l.production_id, "success");
	http_add_header(r, "Content-Disposition", "attachment; filename=\"call-sheet.pdf\"");
	http_end_reply(r, 200, "application/pdf", pdf, len);
out:
	free(pdf);
	json_decref(sheet);
	if (cs.body != NULL) {
		sodium_memzero(cs.body, strlen(cs.body));
		free(cs.body);
	}
}

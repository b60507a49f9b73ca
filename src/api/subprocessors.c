/*
 * subprocessors.c — the instance's subprocessors (domain/subproc.h): shown,
 * and announced before they take effect.
 *
 * At `slate serve`'s start (subprocessors_prepare, before any thread), the
 * operator's subprocessors_file is read; a file that does not read stops
 * the start. Each entry whose version (its hash) has no notice yet is
 * announced now, in one transaction per entry: a plain-text message to
 * every live production admin and producer of the instance, once each
 * (store_leader_emails), through the mail outbox; the notice row (when,
 * to how many, and the day it takes effect); and the audit event
 * `subprocessor.announce` (actor `slate`, object the entry's name, no
 * personal data). A failure rolls the entry back and stops the start: a
 * subprocessor is never shown as announced when nobody was told.
 *
 * Taking effect: the entry's own `since`, but never sooner than
 * subprocessor_notice_days (default 15, at least 15) after it was
 * announced. An entry changed in any member is a new version and is
 * announced again; an entry removed from the file is simply no longer
 * shown (nobody new receives data). Notices are never deleted.
 *
 * Shown: GET /api/v1/subprocessors (public, like /security-policy) and a
 * section of /security-policy, built with the document once at start. The list is read once and
 * never changes while serving (a change needs a restart), so the loop threads read it without a
 * lock.
 */
#include "api/subprocessors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "api/call.h"
#include "audit/audit.h"
#include "notify/notify.h"
#include "util/log.h"
#include "util/xalloc.h"

static struct subproc_list list;
static struct when {
	char announced_on[11], effective_on[11];
} * when;
static long notice_days;
extern const char embedded_security_md[]; /* docs/SECURITY.md (build/gen/security_md.c) */
static char *policy; /* /security-policy: the document, then this instance's subprocessors */

/* The UTC date `days` after now, YYYY-MM-DD. */
static void
date_after(long days, char out[11])
{
	time_t t = time(NULL) + (time_t)days * 86400;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

struct mail_ctx {
	struct store *s;
	const char *subject, *body;
	long sent;
	int failed;
	struct err *e;
};

static void
mail_one(const char *email, void *arg)
{
	struct mail_ctx *m = arg;
	if (m->failed)
		return;
	if (notify_enqueue(m->s, email, m->subject, m->body, m->e) == -1)
		m->failed = 1;
	else
		m->sent++;
}

static char *
joined(const struct subproc *p)
{
	size_t len = 1;
	char *out;
	for (size_t i = 0; i < p->ncategories; i++)
		len += strlen(p->categories[i]) + 2;
	out = xcalloc(1, len);
	for (size_t i = 0, at = 0; i < p->ncategories; i++)
		at += (size_t)snprintf(out + at, len - at, "%s%s", i > 0 ? ", " : "",
		                       p->categories[i]);
	return out;
}

/* Announces entry p (no notice yet) in one transaction; fills w. */
static int
announce(struct store *s, const struct config *c, const struct subproc *p, struct when *w,
         struct err *e)
{
	char subject[300], *cats = joined(p), *body;
	struct mail_ctx m = {s, subject, NULL, 0, 0, e};
	struct audit_entry a = {"slate", "startup", "subprocessor.announce", p->name, "success",
	                        NULL,    NULL};
	int rc = -1;

	date_after(0, w->announced_on);
	date_after(notice_days, w->effective_on);
	if (strcmp(p->since, w->effective_on) > 0)
		memcpy(w->effective_on, p->since, sizeof(w->effective_on));
	snprintf(subject, sizeof(subject), "Slate: a new subprocessor from %s: %s", w->effective_on,
	         p->name);
	body = xasprintf(
	    "Slate at %s will use a new subprocessor from %s.\n\n"
	    "Name: %s\nPurpose: %s\nLocation: %s\nData it handles: %s\n\n"
	    "You are told because you are a production admin or producer on this Slate. The\n"
	    "full list is at %s/api/v1/subprocessors and in the security policy at %s.\n"
	    "To object, or for any question, write to %s before %s.\n",
	    c->public_url, w->effective_on, p->name, p->purpose, p->location, cats, c->public_url,
	    c->security_policy, c->security_contact, w->effective_on);
	m.body = body;
	if (store_begin(s, e) == -1)
		goto out;
	if (store_leader_emails(s, mail_one, &m, e) == -1 || m.failed ||
	    store_subproc_notice_add(s, p->hash, p->name, w->announced_on, w->effective_on, m.sent,
	                             e) == -1 ||
	    audit_record(s, &a, e) == -1 || store_commit(s, e) == -1) {
		store_rollback(s);
		goto out;
	}
	log_event(LOG_INFO, "subprocessor announced", LOG_STR("name", p->name),
	          LOG_STR("effective_on", w->effective_on), LOG_INT("recipients", m.sent), LOG_END);
	rc = 0;
out:
	free(cats);
	free(body);
	return rc;
}

/* The policy document once, at start: the handler only sends it. */
static void
build_policy(void)
{
	size_t cap = strlen(embedded_security_md) + 1024, len = 0;

	policy = xmalloc(cap);
	policy[0] = '\0';
#define ADD(...)                                                                                   \
	do {                                                                                       \
		int n_ = snprintf(NULL, 0, __VA_ARGS__);                                           \
		while (len + (size_t)n_ + 1 > cap)                                                 \
			policy = xrealloc(policy, cap *= 2);                                       \
		snprintf(policy + len, cap - len, __VA_ARGS__);                                    \
		len += (size_t)n_;                                                                 \
	} while (0)
	ADD("%s", embedded_security_md);
	ADD("\n\n## Subprocessors of this instance\n\n");
	if (list.n == 0)
		ADD("This Slate names no subprocessor: the data stays with its operator.\n");
	for (size_t i = 0; i < list.n; i++) {
		char *cats = joined(&list.v[i]);
		/* a date, not "in effect" or not: the document is built once and served for weeks
		 */
		ADD("- **%s** (%s), %s; handles: %s; effective from %s (announced %s).\n",
		    list.v[i].name, list.v[i].purpose, list.v[i].location, cats,
		    when[i].effective_on, when[i].announced_on);
		free(cats);
	}
	ADD("\nA new subprocessor is announced to every production admin and producer at least %ld "
	    "days before it takes effect (`GET /api/v1/subprocessors`).\n",
	    notice_days);
#undef ADD
}

int
subprocessors_prepare(const struct config *c, struct store *s, struct err *e)
{
	notice_days = c->subprocessor_notice_days;
	if (c->subprocessors_file[0] != '\0' && subproc_load(c->subprocessors_file, &list, e) == -1)
		return -1;
	when = xcalloc(list.n + 1, sizeof(*when));
	for (size_t i = 0; i < list.n; i++) {
		int got = store_subproc_notice_get(s, list.v[i].hash, when[i].announced_on,
		                                   when[i].effective_on, e);
		if (got == -1 || (got == 0 && announce(s, c, &list.v[i], &when[i], e) == -1))
			return err_set(e, e->status, "subprocessor %s: %s", list.v[i].name, e->msg);
	}
	build_policy();
	return 0;
}

void
subprocessors_free(void)
{
	subproc_free(&list);
	free(when);
	free(policy);
	when = NULL;
	policy = NULL;
}

const char *
subprocessors_policy(void)
{
	return policy != NULL ? policy : embedded_security_md;
}

void
subprocessors_list(struct api_call *c)
{
	json_t *arr = json_array();
	char today[11];

	date_after(0, today);
	for (size_t i = 0; i < list.n; i++) {
		const struct subproc *p = &list.v[i];
		json_t *cats = json_array();
		for (size_t k = 0; k < p->ncategories; k++)
			json_array_append_new(cats, json_string(p->categories[k]));
		json_array_append_new(
		    arr, json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:b}", "name", p->name,
		                   "purpose", p->purpose, "location", p->location,
		                   "data_categories", cats, "since", p->since, "announced_on",
		                   when[i].announced_on, "effective_on", when[i].effective_on,
		                   "in_effect", strcmp(when[i].effective_on, today) <= 0));
	}
	http_end_reply_json(
	    c->r, 200,
	    json_pack("{s:I, s:o}", "notice_days", (json_int_t)notice_days, "subprocessors", arr));
}

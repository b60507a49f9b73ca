/*
 * closing.c — a production's end: archived, closed, erased (issue 22).
 *
 * The states, on the production row (migration 0032):
 *
 *   open      archived_at NULL
 *   archived  archived_at set: read-only for everyone. Every write route of
 *             the production answers 409 (api_production_end_check, the one
 *             gate every production route passes in api_reader_load; only
 *             routes declaring end_ok pass: these four and a member's
 *             revoking their own calendar feed). Members read it for
 *             archive_read_days (config) after archived_at; leaders
 *             (production admins, producers, the instance administrator:
 *             production:write over all of it) read it on.
 *   closed    closed_at and deletion_due set (only an archived production is
 *             closed): read-only, and only leaders read or export it.
 *             deletion_due = closed_at + close_grace_days (config, 0 to 30).
 *   erased    at or after deletion_due, productions_close_due (called by the
 *             scheduled housekeeping job): its keys shredded, its rows gone,
 *             its audit events kept. No row: every route answers 404.
 *
 * Routes, leaders only (production:write, checked by dispatch), each one
 * transaction with its audit event:
 *   POST …/archive    open -> archived               production.archive
 *   POST …/unarchive  archived (not closed) -> open  production.unarchive
 *   POST …/close      archived -> closed             production.close
 *   POST …/reopen     closed, before deletion_due -> archived
 *                                                     production.reopen
 * Closing queues, in its transaction, one mail to every live production
 * admin and producer of the production through the outbox: the date its
 * data will be deleted, and that a final export is theirs to take until
 * then (GET …/export) or the close theirs to cancel (reopen). Each answers
 * 200 with the production's end state (archived_at, closed_at,
 * deletion_due: RFC 3339 UTC or null).
 *
 * Erasure (productions_close_due), per due production, in one transaction:
 * the ids of its person records and its files' stored names are read; its
 * rows are deleted (store_production_erase, which checks none is left);
 * the audit event production.erase (actor "slate", object the production
 * id: nothing personal) is appended; then each person key and the
 * production key are destroyed, and the transaction commits. The keys go
 * before the commit on purpose: should the commit fail, the rows stay but
 * no longer open, and the next run deletes them (keyring_destroy of a key
 * already gone is not an error); there is never a moment when the rows are
 * gone and a key that opens their copies in older backups lives on. The
 * files (sealed under file keys that the production key sealed) are
 * removed after the commit, as every removed attachment's are
 * (store/store.h); a crash between leaves unreadable orphans `slate fsck`
 * lists.
 */
#include "api/closing.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "api/call.h"
#include "api/reply.h"
#include "audit/audit.h"
#include "backup/erasure.h"
#include "crypto/keyring.h"
#include "notify/notify.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

static void
end_reply(struct api_call *c, long long archived_at, long long closed_at, long long deletion_due)
{
	http_end_reply_json(c->r, 200,
	                    json_pack("{s:s, s:o, s:o, s:o}", "id", c->rd.a.production.id,
	                              "archived_at", api_time_or_null(archived_at), "closed_at",
	                              api_time_or_null(closed_at), "deletion_due",
	                              api_time_or_null(deletion_due)));
}

struct offer {
	struct store *s;
	const char *subject, *body;
	int failed;
	struct err *e;
};

static void
offer_one(const char *email, void *arg)
{
	struct offer *o = arg;
	if (!o->failed && notify_enqueue(o->s, email, o->subject, o->body, o->e) == -1)
		o->failed = 1;
}

/* Queues the final export offer to the production's leaders in the open transaction: 0 or -1. */
static int
offer_export(struct store *s, const struct store_production *p, long long due, struct err *e)
{
	char date[TIMEFMT_LEN], subject[400];
	struct offer o = {s, subject, NULL, 0, e};
	char *body;
	int rc;

	time_rfc3339((time_t)due, date);
	snprintf(subject, sizeof(subject), "Slate: %s will be deleted on %.10s", p->name, date);
	body = xasprintf(
	    "The production \"%s\" was closed in Slate.\n\n"
	    "On %s (UTC) its data will be deleted for good: its people, schedule,\n"
	    "call sheets, locations, files and sustainability records, and the keys\n"
	    "they are encrypted under. Only its audit log is kept.\n\n"
	    "Until then it is read-only and only its production admins and producers\n"
	    "can open it. This is your offer of a final export: download the\n"
	    "production's export (Export in Slate, or GET /api/v1/productions/%s/export)\n"
	    "before that date if you need to keep anything.\n\n"
	    "To cancel the deletion, reopen the production before that date.\n",
	    p->name, date, p->id);
	o.body = body;
	rc = store_production_leader_emails(s, p->id, offer_one, &o, e);
	free(body);
	return rc == -1 || o.failed ? -1 : 0;
}

const char *const closing_step_action[] = {
    [CLOSING_ARCHIVE] = "production.archive",
    [CLOSING_UNARCHIVE] = "production.unarchive",
    [CLOSING_CLOSE] = "production.close",
    [CLOSING_REOPEN] = "production.reopen",
};

int
closing_step(struct store *s, const struct store_production *p, enum closing_step step,
             long long now, long grace_days, struct closing_state *after, struct err *e)
{
	int n = 0;

	*after = (struct closing_state){p->archived_at, p->closed_at, p->deletion_due};
	switch (step) {
	case CLOSING_ARCHIVE:
		if (p->archived_at != 0)
			return err_set(e, 409, "the production is archived already");
		n = store_production_set_archived(s, p->id, now, e);
		after->archived_at = now;
		break;
	case CLOSING_UNARCHIVE:
		if (p->archived_at == 0)
			return err_set(e, 409, "the production is not archived");
		if (p->closed_at != 0)
			return err_set(e, 409, "the production is closed: reopen it first");
		n = store_production_set_archived(s, p->id, 0, e);
		after->archived_at = 0;
		break;
	case CLOSING_CLOSE:
		if (p->archived_at == 0)
			return err_set(e, 409,
			               "only an archived production is closed: archive it first");
		if (p->closed_at != 0)
			return err_set(e, 409, "the production is closed already");
		after->closed_at = now;
		after->deletion_due = now + (long long)grace_days * 86400;
		n = store_production_set_closed(s, p->id, now, after->deletion_due, e);
		if (n == 1 && offer_export(s, p, after->deletion_due, e) == -1)
			n = -1;
		break;
	case CLOSING_REOPEN:
		if (p->closed_at == 0)
			return err_set(e, 409, "the production is not closed");
		if (now >= p->deletion_due)
			return err_set(e, 409,
			               "the grace period is over: the production is being deleted");
		n = store_production_set_closed(s, p->id, 0, 0, e);
		after->closed_at = after->deletion_due = 0;
		break;
	}
	if (n == 0)
		return err_set(e, 409, "the production changed meanwhile: read it and try again");
	return n == 1 ? 0 : -1;
}

/* One route's state change, in one transaction with its audit event, and its answer. */
static void
step_route(struct api_call *c, enum closing_step step)
{
	const struct store_production *p = &c->rd.a.production;
	struct closing_state after;
	struct err e;

	if (api_call_begin(c) == -1)
		return;
	if (closing_step(api_call_store(c), p, step, (long long)time(NULL),
	                 http_req_config(c->r)->close_grace_days, &after, &e) == -1) {
		api_call_abort(c);
		if (e.status == 409)
			http_end_problem(c->r, 409, e.msg);
		else
			api_unavailable(c->r, &e);
		return;
	}
	if (api_call_commit(c, NULL, p->id) == 0)
		end_reply(c, after.archived_at, after.closed_at, after.deletion_due);
}

void
closing_archive(struct api_call *c)
{
	step_route(c, CLOSING_ARCHIVE);
}

void
closing_unarchive(struct api_call *c)
{
	step_route(c, CLOSING_UNARCHIVE);
}

void
closing_close(struct api_call *c)
{
	step_route(c, CLOSING_CLOSE);
}

void
closing_reopen(struct api_call *c)
{
	step_route(c, CLOSING_REOPEN);
}

/* ---- erasure ---- */

struct erase {
	char **keys, **files;
	size_t nkeys, nfiles;
};

static void
add_key(const char *id, void *arg)
{
	struct erase *x = arg;
	x->keys = xrealloc(x->keys, (x->nkeys + 1) * sizeof(*x->keys));
	x->keys[x->nkeys++] = xstrdup(id);
}

static void
add_file(const char *stored, void *arg)
{
	struct erase *x = arg;
	x->files = xrealloc(x->files, (x->nfiles + 1) * sizeof(*x->files));
	x->files[x->nfiles++] = xstrdup(stored);
}

static void
erase_free(struct erase *x)
{
	for (size_t i = 0; i < x->nkeys; i++)
		free(x->keys[i]);
	for (size_t i = 0; i < x->nfiles; i++)
		free(x->files[i]);
	free(x->keys);
	free(x->files);
}

/* Erases production id (due) in one transaction; its files after the commit. 0 or -1 (e set). */
static int
erase_one(struct store *s, struct keyring *keys, const char *data_dir, const char *upload_dir,
          const char *id, long long now, int dry_run, struct closing_report *out, struct err *e)
{
	struct audit_entry a = {"slate", "scheduler", "production.erase", id, "success", NULL, id};
	struct erase x = {0};
	int rc = -1, n;

	if (store_begin(s, e) == -1)
		goto out;
	if (store_production_contents(s, id, add_key, add_file, &x, e) == -1)
		goto out;
	add_key(id, &x); /* the production key, named by the production's id */
	if (dry_run) {
		out->productions++;
		out->keys += (long)x.nkeys;
		out->files += (long)x.nfiles;
		rc = 0;
		goto out;
	}
	if ((n = store_production_erase(s, id, e)) == -1)
		goto out;
	if (n == 0) { /* erased meanwhile by another run */
		rc = 0;
		goto out;
	}
	/* the deletion log: its person keys (the production key is the last of x.keys) */
	if (audit_record(s, &a, e) == -1 ||
	    (data_dir != NULL &&
	     erasure_log_production(data_dir, keys, id, x.keys, x.nkeys - 1, now, e) == -1))
		goto out;
	for (size_t i = 0; i < x.nkeys; i++) {
		/* the last is the production key, the others person keys */
		int d = i + 1 == x.nkeys ? keyring_destroy_production(keys, x.keys[i], e)
		                         : keyring_destroy(keys, x.keys[i], e);
		if (d == -1)
			goto out;
		out->keys += d;
	}
	if (store_commit(s, e) == -1)
		goto out;
	out->productions++;
	rc = 0;
	for (size_t i = 0; upload_dir != NULL && i < x.nfiles; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", upload_dir, x.files[i]);
		if (unlink(path) == 0)
			out->files++;
		else if (errno != ENOENT)
			log_event(LOG_WARN,
			          "an erased production's file stays on disk (slate fsck lists it)",
			          LOG_STR("production", id), LOG_STR("error", strerror(errno)),
			          LOG_END);
	}
out:
	store_rollback(s); /* nothing after a commit; everything on a failure or a dry run */
	erase_free(&x);
	return rc;
}

struct due {
	char **ids;
	size_t n;
};

static void
add_due(const char *id, void *arg)
{
	struct due *d = arg;
	d->ids = xrealloc(d->ids, (d->n + 1) * sizeof(*d->ids));
	d->ids[d->n++] = xstrdup(id);
}

int
productions_close_due(struct store *s, struct keyring *keys, const char *data_dir,
                      const char *upload_dir, long long now, int dry_run,
                      struct closing_report *out, struct err *e)
{
	struct due d = {NULL, 0};
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (keys == NULL)
		return err_set(e, 500,
		               "closing productions needs the keystore: no key could be shredded");
	if (store_production_due(s, now, add_due, &d, e) == -1)
		return -1;
	for (size_t i = 0; i < d.n; i++) {
		struct err one;
		if (erase_one(s, keys, data_dir, upload_dir, d.ids[i], now, dry_run, out, &one) ==
		    -1) {
			out->failed++;
			log_event(LOG_ERROR,
			          "a closed production was not erased; the next run tries again",
			          LOG_STR("production", d.ids[i]), LOG_STR("error", one.msg),
			          LOG_END);
		}
		free(d.ids[i]);
	}
	free(d.ids);
	return rc;
}

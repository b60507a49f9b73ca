/*
 * mycallsheets.c — GET /api/v1/me/callsheets: the caller's own call sheets,
 * across every production they are an active member of, for the page people
 * open on set.
 *
 * Per production (by name), at most two items: "today", the latest
 * published version of the shoot day dated today in the production's time
 * zone, and "next", the latest version of the earliest later, non-cancelled
 * day whose sheet calls the caller (any such day when the caller has no
 * person record there). A sheet is shown only when the caller may read it
 * (api_callsheet_readable, the check of GET …/callsheets/{cid}), and it is
 * that route's answer, word for word (api_callsheet_answer, through the
 * loop's call-sheet cache): this file adds no view of its own to the sheet.
 * What it adds is read from that answer — the caller's own line of its
 * calls (my_call), and what changed in it, the general call and the
 * locations since the newest version the caller acknowledged (the
 * comparing is api/sheetdiff.c's, shared with the whole-sheet diff).
 *
 * A revoked membership lists nothing (store_production_list leaves it out).
 * Like GET …/callsheets/{cid}, this read writes no audit event: the sheet
 * holds no personal field of anyone (api/callsheets.c).
 *
 * Memory: every JSON value belongs to the answer being built; the opened
 * answers (char *) are wiped and freed as soon as they are parsed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "api/cache.h"
#include "api/call.h"
#include "api/reply.h"
#include "api/session.h"
#include "api/sheetdiff.h"
#include "api/view.h"
#include "util/xalloc.h"
#include "util/zone.h"

/* The productions of the caller, as store_production_list gives them. */
struct prods {
	struct store_production *v;
	char (*role)[32];
	size_t n;
};

static void
add_prod(const struct store_production *p, const char *role, void *arg)
{
	struct prods *l = arg;
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->role = xrealloc(l->role, (l->n + 1) * sizeof(*l->role));
	l->v[l->n] = *p;
	snprintf(l->role[l->n], sizeof(l->role[0]), "%s", role != NULL ? role : "");
	l->n++;
}

struct sheets {
	struct store_my_sheet *v;
	size_t n;
};

static void
add_sheet(const struct store_my_sheet *m, void *arg)
{
	struct sheets *l = arg;
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = *m;
}

/*
 * Today's date (YYYY-MM-DD) on the wall clock of zone tz at now: the latest
 * of the UTC date's neighbours whose local midnight has come (every offset
 * lies within a day). 0, or -1 when the zone is unknown.
 */
static int
zone_today(const char *tz, long long now, char out[16])
{
	for (int k = 1; k >= -1; k--) {
		time_t t = (time_t)(now + k * 86400LL);
		struct tm tm;
		struct zone_local zl;
		char date[16];
		if (gmtime_r(&t, &tm) == NULL)
			return -1;
		strftime(date, sizeof(date), "%Y-%m-%d", &tm);
		if (zone_local_instants(tz, date, 0, &zl) == -1)
			return -1;
		if (zl.at[0] <= now) {
			snprintf(out, 16, "%s", date);
			return 0;
		}
	}
	return -1;
}

/*
 * The caller's reader of production p, as api_reader_load makes it for a
 * route of p (kept in the loop's reader cache the same way): 1, 0 when the
 * caller has no role there, -1 e set.
 */
static int
reader_of(struct http_req *r, const struct store_production *p, struct api_reader *rd,
          struct err *e)
{
	const struct api_auth *auth = session_of(r);
	const struct store_gen *g = session_gen(r);
	struct store *s = http_req_store(r);
	const char *user = auth->session.user.id;
	int admin = auth->session.user.is_instance_admin, found;

	memset(rd, 0, sizeof(*rd));
	if (!cache_reader_get(s, g, user, admin, p->id, rd)) {
		rd->a.production = *p;
		rd->a.instance_admin = admin;
		if ((found = store_membership_standing(s, p->id, user, &rd->a.me, e)) != 1)
			return found;
		if (rd->a.me.revoked)
			return 0;
		rd->a.member = 1;
		rd->has_role = policy_role_parse(rd->a.me.role, &rd->role) == 0;
		if (rd->has_role && api_reader_own_record(s, user, rd, e) == -1)
			return -1;
		if (g != NULL)
			cache_reader_put(s, g, user, admin, rd);
	}
	if (g != NULL) {
		rd->cache.s = s;
		rd->cache.gen = *g;
		snprintf(rd->cache.user_id, sizeof(rd->cache.user_id), "%s", user);
		rd->cache.instance_admin = admin;
	}
	/* archived past its reading time, or closed: not the caller's to read (api/closing.c) */
	return rd->a.member && rd->has_role &&
	       api_end_reads(&rd->a, http_req_config(r)->archive_read_days, (long long)time(NULL));
}

/* The answer of GET …/callsheets/{id}, parsed: NULL with e set (or 503 when gone). */
static json_t *
open_answer(struct http_req *r, const char *production_id, const char *id, struct err *e)
{
	struct store_callsheet cs;
	return api_sheetdiff_open(http_req_store(r), session_gen(r), production_id, id, &cs, e);
}

/*
 * One item of the answer: sheet m of production p as rd reads it, `when`
 * today or next. NULL with e set.
 */
static json_t *
item(struct http_req *r, struct api_reader *rd, const struct store_production *p, const char *role,
     const struct store_my_sheet *m, const char *when, struct err *e)
{
	json_t *answer, *sheet, *mine, *it, *old = NULL, *diff;

	if ((answer = open_answer(r, p->id, m->cs.id, e)) == NULL)
		return NULL;
	sheet = json_object_get(answer, "sheet");
	mine = api_sheetdiff_own_call(sheet, rd->person_id);
	if (m->acked_version > 0 && m->acked_version != m->cs.version) {
		json_t *prev = open_answer(r, p->id, m->acked_id, e);
		json_t *mine_old;
		if (prev == NULL) {
			json_decref(mine);
			json_decref(answer);
			return NULL;
		}
		mine_old = api_sheetdiff_own_call(json_object_get(prev, "sheet"), rd->person_id);
		diff = api_sheetdiff_person(json_object_get(prev, "sheet"), sheet, mine_old, mine);
		json_decref(mine_old);
		old = prev;
	} else {
		diff = json_array();
	}
	json_decref(old);
	it = json_pack(
	    "{s:{s:s, s:s, s:s, s:s}, s:s, s:{s:s, s:s, s:O, s:O}, s:O, s:o, s:b, s:o, s:o}",
	    "production", "id", p->id, "name", p->name, "timezone", p->timezone, "role", role,
	    "when", when, "day", "id", m->cs.day_id, "date", m->date, "number",
	    json_object_get(sheet, "day"), "total", json_object_get(sheet, "of"), "callsheet",
	    answer, "my_call", mine ? mine : json_null(), "acknowledged",
	    m->acked_version == m->cs.version, "acknowledged_version",
	    m->acked_version > 0 ? json_integer(m->acked_version) : json_null(), "changes", diff);
	json_decref(answer);
	if (it == NULL)
		err_set(e, 500, "call sheet %s lacks its day", m->cs.id);
	return it;
}

/* The items of production p for rd into arr: 0, or -1 e set. */
static int
production_items(struct http_req *r, const struct store_production *p, const char *role,
                 json_t *arr, struct err *e)
{
	struct api_reader rd;
	struct sheets l = {0};
	char today[16];
	int rc = -1, got;
	const struct store_my_sheet *first = NULL, *next = NULL;

	if ((got = reader_of(r, p, &rd, e)) != 1) {
		api_reader_free(&rd);
		return got;
	}
	if (zone_today(p->timezone, (long long)time(NULL), today) == -1) {
		rc = 0; /* a zone the system no longer knows: no day is today */
		goto out;
	}
	if (store_callsheet_latest_from(http_req_store(r), p->id, today, rd.person_id, add_sheet,
	                                &l, e) == -1)
		goto out;
	for (size_t i = 0; i < l.n; i++) {
		const struct store_my_sheet *m = &l.v[i];
		struct store_day d;
		int readable;
		int is_today = strcmp(m->date, today) == 0;
		if (is_today ? (first != NULL && (first->calls_person || !m->calls_person))
		             : (next != NULL || m->cancelled ||
		                (rd.person_id[0] != '\0' && !m->calls_person)))
			continue;
		memset(&d, 0, sizeof(d));
		snprintf(d.id, sizeof(d.id), "%s", m->cs.day_id);
		if ((readable = api_callsheet_readable(http_req_store(r), &rd, &d, e)) == -1)
			goto out;
		if (!readable)
			continue;
		if (is_today)
			first = m; /* a day that calls the caller before one that does not */
		else
			next = m;
	}
	rc = 0;
	if (first != NULL) {
		json_t *j = item(r, &rd, p, role, first, "today", e);
		if (j == NULL)
			rc = -1;
		else
			json_array_append_new(arr, j);
	}
	if (rc == 0 && next != NULL) {
		json_t *j = item(r, &rd, p, role, next, "next", e);
		if (j == NULL)
			rc = -1;
		else
			json_array_append_new(arr, j);
	}
out:
	free(l.v);
	api_reader_free(&rd);
	return rc;
}

void
me_callsheets(struct api_call *c)
{
	struct http_req *r = c->r;
	struct prods l = {0};
	json_t *arr = json_array();
	struct err e;
	int rc;

	rc = store_production_list(http_req_store(r), c->actor, 0, add_prod, &l, &e);
	for (size_t i = 0; rc == 0 && i < l.n; i++)
		rc = production_items(r, &l.v[i], l.role[i], arr, &e);
	free(l.v);
	free(l.role);
	api_end_list(c, "callsheets", arr, rc, &e);
}

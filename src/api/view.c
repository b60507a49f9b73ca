/*
 * view.c — the reader of a production: who asks, and what the role matrix
 * (domain/policy.c) lets them see of each record.
 *
 * Handlers load an api_reader once per request and pass every record
 * through api_allows before a field of it reaches JSON. What it refuses is
 * left out of the answer (and, for sealed fields, never decrypted); a
 * missing key in a JSON object means "not for you", never "empty".
 *
 * The subject of a policy check is the caller's person record in this
 * production (for `self`), their membership's department (for
 * `department`), and the days they have a call on (for `called`). A caller
 * without a person record is never `self` and never `called`. Whether the
 * caller confirmed the link to that record (rd->self_confirmed) decides if
 * `self` reaches its sealed groups (api/people.c, docs/ROLES.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "api/access.h"
#include "api/cache.h"
#include "api/reply.h"
#include "api/session.h"
#include "api/view.h"
#include "util/xalloc.h"

/*
 * Remembers where rd came from, so that the days it is called on can join
 * its cache entry once loaded (api_reader_knows_calls).
 */
static void
reader_cache_key(struct http_req *r, struct api_reader *rd)
{
	const struct api_auth *auth = session_of(r);
	const struct store_gen *g = session_gen(r);

	memset(&rd->cache, 0, sizeof(rd->cache));
	if (g == NULL)
		return;
	rd->cache.s = http_req_store(r);
	rd->cache.gen = *g;
	snprintf(rd->cache.user_id, sizeof(rd->cache.user_id), "%s", auth->session.user.id);
	rd->cache.instance_admin = auth->session.user.is_instance_admin;
}

static void
reader_cache_put(struct api_reader *rd)
{
	if (rd->cache.s != NULL)
		cache_reader_put(rd->cache.s, &rd->cache.gen, rd->cache.user_id,
		                 rd->cache.instance_admin, rd);
}

int
api_reader_own_record(struct store *s, const char *user_id, struct api_reader *rd, struct err *e)
{
	struct store_person me;
	int found = store_person_of_user(s, rd->a.production.id, user_id, &me, e);
	if (found == -1)
		return -1;
	if (found == 1) {
		memcpy(rd->person_id, me.id, sizeof(rd->person_id));
		rd->self_confirmed = me.link_confirmed != 0;
	}
	snprintf(rd->department_id, sizeof(rd->department_id), "%s",
	         rd->a.me.department_id[0] ? rd->a.me.department_id
	                                   : (found == 1 ? me.department_id : ""));
	sodium_memzero(&me, sizeof(me));
	return 0;
}

int
api_reader_load(struct http_req *r, struct api_reader *rd)
{
	const struct api_auth *auth = session_of(r);
	struct err e;

	memset(rd, 0, sizeof(*rd));
	if (cache_reader_get(http_req_store(r), session_gen(r), auth->session.user.id,
	                     auth->session.user.is_instance_admin, router_param(&r->match, "id"),
	                     rd)) {
		reader_cache_key(r, rd);
		return api_production_end_check(r, &rd->a);
	}
	/* only a reader that was let in is remembered: refusals are audited, every time */
	if (api_production_access(r, &rd->a) == -1)
		return -1;
	rd->has_role = rd->a.member && policy_role_parse(rd->a.me.role, &rd->role) == 0;
	if (rd->has_role &&
	    api_reader_own_record(http_req_store(r), auth->session.user.id, rd, &e) == -1) {
		api_unavailable(r, &e);
		return -1;
	}
	reader_cache_key(r, rd);
	reader_cache_put(rd);
	/* after the cache: an archive's reading time ends by the clock, not by a write */
	return api_production_end_check(r, &rd->a);
}

void
api_reader_free(struct api_reader *rd)
{
	free(rd->called);
	rd->called = NULL;
}

static void
add_called(const struct store_call *c, void *arg)
{
	struct api_reader *rd = arg;
	if (rd->ncalled < API_MAX_CALLED)
		memcpy(rd->called[rd->ncalled++], c->day_id, sizeof(rd->called[0]));
}

int
api_reader_called_days(struct store *s, struct api_reader *rd, struct err *e)
{
	if (rd->called_loaded || rd->person_id[0] == '\0')
		return 0;
	if (rd->called == NULL)
		rd->called = xcalloc(API_MAX_CALLED, sizeof(rd->called[0]));
	rd->ncalled = 0;
	if (store_call_list(s, rd->a.production.id, NULL, rd->person_id, add_called, rd, e) == -1)
		return -1;
	rd->called_loaded = 1;
	if (s == rd->cache.s)
		reader_cache_put(rd);
	return 0;
}

int
api_reader_knows_calls(struct store *s, struct api_reader *rd, const char *day_id, struct err *e)
{
	int known;

	if (rd->person_id[0] == '\0')
		return 0;
	/* a reader from the cache asks the cache, which keeps its days */
	if (!rd->called_loaded && s == rd->cache.s &&
	    (known = cache_reader_called(s, &rd->cache.gen, rd->cache.user_id,
	                                 rd->cache.instance_admin, rd->a.production.id, day_id)) !=
	        -1)
		return known;
	if (api_reader_called_days(s, rd, e) == -1)
		return -1;
	for (size_t i = 0; i < rd->ncalled; i++)
		if (strcmp(rd->called[i], day_id) == 0)
			return 1;
	return 0;
}

int
api_reader_called(struct http_req *r, struct api_reader *rd, const char *day_id)
{
	struct err e;
	int called = api_reader_knows_calls(http_req_store(r), rd, day_id, &e);
	if (called == -1)
		api_unavailable(r, &e);
	return called;
}

void
api_reader_operator(struct api_reader *rd, const struct store_production *p)
{
	memset(rd, 0, sizeof(*rd));
	rd->a.production = *p;
	rd->a.member = 1;
	snprintf(rd->a.me.role, sizeof(rd->a.me.role), "%s",
	         policy_role_name(POLICY_ROLE_PRODUCTION_ADMIN));
	rd->has_role = 1;
	rd->role = POLICY_ROLE_PRODUCTION_ADMIN;
}

int
api_allows(const struct api_reader *rd, enum policy_resource res, enum policy_action act,
           const char *person_id, const char *department_id, int called)
{
	struct policy_subject who = {rd->person_id, rd->department_id};
	struct policy_object what = {person_id, department_id, called};
	if (!rd->has_role)
		return 0;
	return policy_allows(rd->role, res, act, &who, &what);
}

int
api_below_ad(const struct api_reader *rd)
{
	return !rd->has_role || rd->role == POLICY_ROLE_DEPARTMENT_HEAD ||
	       rd->role == POLICY_ROLE_CREW || rd->role == POLICY_ROLE_CAST;
}

int
api_load_day(struct http_req *r, const struct api_reader *rd, const char *id, struct store_day *d)
{
	struct err e;
	return api_found(r, store_day_get(http_req_store(r), rd->a.production.id, id, d, &e), &e,
	                 "shoot day");
}

int
api_load_person(struct http_req *r, const struct api_reader *rd, const char *id,
                struct store_person *p)
{
	struct err e;
	return api_found(r, store_person_get(http_req_store(r), rd->a.production.id, id, 0, p, &e),
	                 &e, "person");
}

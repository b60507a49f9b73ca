/*
 * call.c — dispatch of a declared route (api/call.h): the caller's
 * standing, the route's policy, its body, then its handler; and the one
 * transaction a write shares with its audit event.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "api/reply.h"
#include "api/call.h"
#include "api/session.h"
#include "audit/audit.h"
#include "util/log.h"

/* The first need of d the reader does not meet at production level, as d->check asks; NULL. */
static const struct api_need *
need_unmet(const struct route_decl *d, const struct api_reader *rd)
{
	for (size_t i = 0; i < d->nneeds; i++) {
		const struct api_need *n = &d->needs[i];
		enum policy_scope sc = api_scope(&rd->a, n->res, n->act);
		if (d->check == API_CHECK_POLICY_SOME ? sc == POLICY_SCOPE_NONE
		                                      : sc != POLICY_SCOPE_ALL)
			return n;
	}
	return NULL;
}

/* 403 with the route's detail, audited as it declares. */
static void
refuse(struct api_call *c, const struct api_need *n)
{
	char action[64];
	if (c->decl->denied != API_DENIED_SILENT) {
		snprintf(action, sizeof(action), "%s.%s", policy_resource_name(n->res),
		         policy_action_name(n->act));
		session_audit(c->r, c->actor, action,
		              c->decl->denied == API_DENIED_PATH ? c->r->path
		                                                 : c->rd.a.production.id,
		              "denied");
	}
	http_end_problem(c->r, 403, c->decl->refused);
}

/* The check before the handler: 0, or -1 after answering. */
static int
check(struct api_call *c)
{
	const struct route_decl *d = c->decl;
	const struct api_need *n;
	switch (d->check) {
	case API_CHECK_POLICY:
	case API_CHECK_POLICY_SOME:
		if (api_reader_load(c->r, &c->rd) == -1)
			return -1;
		if ((n = need_unmet(d, &c->rd)) != NULL) {
			refuse(c, n);
			return -1;
		}
		return 0;
	case API_CHECK_VIEW:
	case API_CHECK_RECORD:
	case API_CHECK_OWN: return api_reader_load(c->r, &c->rd);
	case API_CHECK_MEMBER:
		if (api_reader_load(c->r, &c->rd) == -1)
			return -1;
		if (!c->rd.a.member) {
			http_end_problem(c->r, 403, d->refused);
			return -1;
		}
		return 0;
	case API_CHECK_INSTANCE_ADMIN:
		if (!session_of(c->r)->session.user.is_instance_admin) {
			session_audit(c->r, c->actor, "admin.access", c->r->path, "denied");
			http_end_problem(c->r, 403, "instance administrators only");
			return -1;
		}
		return 0;
	case API_CHECK_PUBLIC:
	case API_CHECK_SELF:
	case API_CHECK_IN_HANDLER: return 0;
	case API_CHECK_UNSET: break;
	}
	http_end_problem(c->r, 500, "this route declares no check"); /* fail closed */
	return -1;
}

void
api_dispatch(struct http_req *r)
{
	struct api_call c;

	memset(&c, 0, sizeof(c));
	c.r = r;
	c.decl = r->match.route->decl;
	assert(c.decl != NULL && c.decl->run != NULL);
	if (c.decl->check != API_CHECK_PUBLIC)
		c.actor = session_of(r)->session.user.id;
	if (check(&c) == 0 && (c.decl->precheck == NULL || c.decl->precheck(&c) == 0) &&
	    (c.decl->body == NULL ||
	     (c.body = c.decl->body_open ? http_json_body_open(r, c.decl->body, c.decl->nbody)
	                                 : http_json_body(r, c.decl->body, c.decl->nbody)) != NULL))
		c.decl->run(&c);
	json_decref(c.body);
	api_reader_free(&c.rd);
}

int
api_dispatch_head(struct http_req *r)
{
	struct api_call c;
	int rc;

	memset(&c, 0, sizeof(c));
	c.r = r;
	c.decl = r->match.route->decl;
	assert(c.decl != NULL && c.decl->head != NULL);
	if (c.decl->check != API_CHECK_PUBLIC)
		c.actor = session_of(r)->session.user.id;
	rc = check(&c) == 0 ? c.decl->head(&c) : -1;
	api_reader_free(&c.rd);
	return rc;
}

int
api_from_own_pages(struct api_call *c)
{
	assert(c->decl->refused != NULL);
	if (!session_same_origin(c->r)) {
		http_end_problem(c->r, 403, c->decl->refused);
		return -1;
	}
	return 0;
}

void
api_end_list(struct api_call *c, const char *key, json_t *arr, int listed, const struct err *e)
{
	if (listed == -1) {
		json_decref(arr);
		api_unavailable(c->r, e);
		return;
	}
	http_end_reply_json(c->r, 200, json_pack("{s:o}", key, arr));
}

void
api_audit_caller(struct http_req *r, const char *action, const char *object, const char *outcome)
{
	session_audit(r, session_of(r)->session.user.id, action, object, outcome);
}

struct store *
api_call_store(struct api_call *c)
{
	return http_req_store(c->r);
}

int
api_call_begin(struct api_call *c)
{
	struct err e;
	if (store_begin(api_call_store(c), &e) == -1) {
		store_rollback(api_call_store(c));
		api_unavailable(c->r, &e);
		return -1;
	}
	return 0;
}

void
api_call_abort(struct api_call *c)
{
	store_rollback(api_call_store(c));
}

/* The production a request is about, as session_audit records it. */
static const char *
call_production(struct http_req *r)
{
	static const char prefix[] = "/api/v1/productions/";
	return strncmp(r->path, prefix, sizeof(prefix) - 1) == 0 ? router_param(&r->match, "id")
	                                                         : NULL;
}

int
api_audit_in(struct http_req *r, const char *action, const char *object, struct err *e)
{
	const struct api_auth *auth = session_of(r);
	return api_audit_as(r, auth != NULL ? auth->session.user.id : NULL, action, object, e);
}

int
api_audit_as(struct http_req *r, const char *actor, const char *action, const char *object,
             struct err *e)
{
	char src[SESSION_SOURCE_LEN];
	struct audit_entry a = {actor,         session_source(r, src), action, object, "success",
	                        r->request_id, call_production(r)};

	assert(action != NULL);
	if (audit_record(http_req_store(r), &a, e) == -1) {
		log_event(LOG_ERROR, "audit event not written: the change is not kept",
		          LOG_STR("action", action), LOG_STR("error", e->msg), LOG_END);
		return -1;
	}
	return 0;
}

int
api_call_audit(struct api_call *c, const char *action, const char *object)
{
	struct err e;

	if (api_audit_in(c->r, action, object, &e) == -1) {
		store_rollback(api_call_store(c));
		api_unavailable(c->r, &e);
		return -1;
	}
	return 0;
}

int
api_call_commit(struct api_call *c, const char *action, const char *object)
{
	const char *one = action ? action : c->decl->audit;
	return api_call_commit_all(c, &one, 1, object);
}

int
api_call_commit_all(struct api_call *c, const char *const *actions, size_t n, const char *object)
{
	struct store *s = api_call_store(c);
	struct err e;

	for (size_t i = 0; i < n; i++)
		if (api_call_audit(c, actions[i], object) == -1)
			return -1;
	if (store_commit(s, &e) == -1) {
		store_rollback(s);
		api_unavailable(c->r, &e);
		return -1;
	}
	return 0;
}

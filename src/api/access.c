/*
 * access.c — the caller's standing in a production. See access.h.
 *
 * Access is decided on every request from the membership as stored now, so
 * a role change or a revocation applies to the very next request. A
 * production the caller does not belong to answers 404 (it might as well
 * not exist); a revoked member gets 403. An instance administrator who is
 * not a member (or whose membership is revoked) keeps only the right to
 * manage the production and its members (api_scope).
 */
#include <string.h>
#include <time.h>

#include "api/access.h"
#include "api/call.h"
#include "api/reply.h"
#include "api/session.h"
#include "http/router.h"
#include "store/store.h"

int
api_production_access(struct http_req *r, struct api_access *a)
{
	const struct api_auth *auth = session_of(r);
	const char *id = router_param(&r->match, "id");
	struct store *s = http_req_store(r);
	struct err e;
	int found;

	memset(a, 0, sizeof(*a));
	a->instance_admin = auth->session.user.is_instance_admin;
	if ((found = store_production_get(s, id, &a->production, &e)) == -1) {
		api_unavailable(r, &e);
		return -1;
	}
	if (found &&
	    (found = store_membership_standing(s, id, auth->session.user.id, &a->me, &e)) == -1) {
		api_unavailable(r, &e);
		return -1;
	}
	a->member = found == 1;
	if (!a->member && !(a->instance_admin && a->production.id[0])) {
		http_end_problem(r, 404, "there is no such production");
		return -1;
	}
	if (a->member && a->me.revoked && !a->instance_admin) {
		session_audit(r, auth->session.user.id, "production.access", id, "denied");
		http_end_problem(r, 403, "your access to this production has been revoked");
		return -1;
	}
	if (a->member && a->me.revoked)
		a->member = 0; /* an instance admin keeps only the admin right */
	return 0;
}

enum policy_scope
api_scope(const struct api_access *a, enum policy_resource res, enum policy_action act)
{
	enum policy_role role;
	if (a->instance_admin &&
	    (res == POLICY_RESOURCE_MEMBER || res == POLICY_RESOURCE_PRODUCTION))
		return POLICY_SCOPE_ALL;
	if (!a->member || policy_role_parse(a->me.role, &role) == -1)
		return POLICY_SCOPE_NONE;
	return policy_scope(role, res, act);
}

int
api_end_reads(const struct api_access *a, long read_days, long long now)
{
	const struct store_production *p = &a->production;
	if (p->archived_at == 0 ||
	    api_scope(a, POLICY_RESOURCE_PRODUCTION, POLICY_ACTION_WRITE) == POLICY_SCOPE_ALL)
		return 1;
	return p->closed_at == 0 && now < p->archived_at + (long long)read_days * 86400;
}

int
api_production_end_check(struct http_req *r, const struct api_access *a)
{
	const struct store_production *p = &a->production;
	const struct route_decl *d = r->match.route->decl;
	const struct api_auth *auth = session_of(r);

	if (p->archived_at == 0)
		return 0;
	if (!api_end_reads(a, http_req_config(r)->archive_read_days, (long long)time(NULL))) {
		session_audit(r, auth->session.user.id, "production.access", p->id, "denied");
		http_end_problem(r, 403,
		                 p->closed_at
		                     ? "the production is closed: only its production admins "
		                       "and producers read it until its data is deleted"
		                     : "the production is archived and its reading time for "
		                       "your role is over");
		return -1;
	}
	if (strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0 ||
	    (d != NULL && d->end_ok))
		return 0;
	http_end_problem(r, 409,
	                 p->closed_at ? "the production is archived and closed: it is read-only "
	                                "until its data is deleted"
	                              : "the production is archived: it is read-only");
	return -1;
}

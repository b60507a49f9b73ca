/*
 * productions.c — productions and who belongs to them.
 *
 * POST  /api/v1/productions                          {name, timezone}   instance admins
 * GET   /api/v1/productions                          the caller's productions
 * GET   /api/v1/productions/{id}
 * GET   /api/v1/productions/{id}/members             shaped by member:read scope
 * POST  /api/v1/productions/{id}/members             {email, role, department?}
 * PATCH /api/v1/productions/{id}/members/{mid}       {role?, department?}
 * POST  /api/v1/productions/{id}/members/{mid}/revoke
 * POST  /api/v1/productions/{id}/members/{mid}/reinstate
 * POST  /api/v1/productions/{id}/invitations        {email, role, department?}
 * GET   /api/v1/productions/{id}/invitations        pending invitations
 * POST  /api/v1/invitations/accept                  {token, display_name?, password?}
 *
 * An invitation mails a single-use link valid 7 days. Accepting it adds the
 * membership to the account with that email, or creates the account (with
 * a password the policy accepts) when there is none. The link itself is the
 * credential: it went to that mailbox.
 *
 * Access is decided on every request from the membership as stored now, so
 * a role change or a revocation applies to the very next request. A
 * production the caller does not belong to answers 404 (it might as well
 * not exist); a revoked member gets 403. Instance administrators, who run
 * the installation, may create productions and manage their members, but
 * see no production data by that right alone. That right never reaches their
 * own membership: adding, inviting, changing, revoking or reinstating
 * themselves needs a member-managing role of their own in the production
 * (may_manage_self), so a production admin's revocation of an instance
 * administrator sticks.
 *
 * The rules of membership changes (roles, departments, the last production
 * admin or producer, sessions ending with the last membership) live in
 * domain/members.c, shared with `slate member`.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/access.h"
#include "api/handlers.h"
#include "api/reply.h"
#include "api/call.h"
#include "api/session.h"
#include "api/view.h"
#include "crypto/password.h"
#include "crypto/token.h"
#include "domain/members.h"
#include "domain/policy.h"
#include "store/store.h"
#include "notify/notify.h"
#include "util/email.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/timefmt.h"
#include "util/xalloc.h"
#include "util/zone.h"

static json_t *
production_json(const struct store_production *p, const char *role)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:b, s:b, s:i}", "id", p->id, "name", p->name,
	                      "timezone", p->timezone, "require_mfa", p->require_mfa, "link_access",
	                      p->link_access, "remind_hours_before", p->remind_hours_before);
	if (role != NULL)
		json_object_set_new(j, "role", json_string(role));
	/* its end (api/closing.c): RFC 3339 UTC, null while not */
	json_object_set_new(j, "archived_at", api_time_or_null(p->archived_at));
	json_object_set_new(j, "closed_at", api_time_or_null(p->closed_at));
	json_object_set_new(j, "deletion_due", api_time_or_null(p->deletion_due));
	return j;
}

static json_t *
member_json(const struct store_membership *m)
{
	json_t *j =
	    json_pack("{s:s, s:s, s:s, s:s, s:b}", "id", m->id, "user_id", m->user.id, "email",
	              m->user.email, "display_name", m->user.display_name, "revoked", m->revoked);
	json_object_set_new(j, "role", json_string(m->role));
	json_object_set_new(j, "department",
	                    m->department[0] ? json_string(m->department) : json_null());
	return j;
}

/* A membership as GET …/members answers it (the export reuses it). */
json_t *
api_member_json(const struct store_membership *m)
{
	return member_json(m);
}

/*
 * An IANA zone name the system knows: Area/Location with letters, digits,
 * '_', '-', '+', '/' (checked first: the name becomes a path into tzdata).
 */
static int
timezone_ok(const char *tz)
{
	if (strcmp(tz, "UTC") == 0)
		return 1;
	if (strchr(tz, '/') == NULL || tz[0] == '/' || strstr(tz, "..") != NULL)
		return 0;
	for (const char *p = tz; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '+' || *p == '/'))
			return 0;
	return zone_known(tz);
}

int
api_timezone_ok(const char *tz)
{
	return timezone_ok(tz);
}

/* Only instance administrators create productions (before the body is read). */
int
productions_may_create(struct api_call *c)
{
	if (!session_of(c->r)->session.user.is_instance_admin) {
		http_end_problem(c->r, 403, "only instance administrators create productions");
		return -1;
	}
	return 0;
}

void
productions_create(struct api_call *c)
{
	struct http_req *r = c->r;
	struct store *s = api_call_store(c);
	struct store_production p;
	char mid[STORE_ID_LEN + 8];
	struct err e;

	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "%s", json_string_value(json_object_get(c->body, "name")));
	snprintf(p.timezone, sizeof(p.timezone), "%s",
	         json_string_value(json_object_get(c->body, "timezone")));
	if (p.name[0] == '\0' || !timezone_ok(p.timezone)) {
		http_end_problem_errors(
		    r, 400, "the production needs a name and a time zone",
		    json_pack(
		        "[{s:s, s:s}]", "pointer", p.name[0] ? "/timezone" : "/name", "detail",
		        p.name[0]
		            ? "must be an IANA time zone this system knows, such as Europe/London"
		            : "must not be empty"));
		return;
	}
	p.link_access = 1; /* the column's default */
	if (api_call_begin(c) == -1)
		return;
	if (store_production_create(s, &p, &e) == -1 ||
	    store_membership_add(s, p.id, c->actor, "production_admin", NULL, mid, sizeof(mid),
	                         &e) == -1) {
		api_call_abort(c);
		api_unavailable(r, &e);
		return;
	}
	if (api_call_commit(c, NULL, p.id) == -1)
		return;
	http_end_reply_json(r, 201, production_json(&p, "production_admin"));
}

struct listing {
	json_t *arr;
	int instance_admin;
	long read_days;
	long long now;
};

/* Lists p unless its end keeps the caller out (api_end_reads: closed, or past its reading time). */
static void
add_production(const struct store_production *p, const char *role, void *arg)
{
	struct listing *l = arg;
	struct api_access a;
	memset(&a, 0, sizeof(a));
	a.production = *p;
	a.instance_admin = l->instance_admin;
	a.member = role != NULL;
	snprintf(a.me.role, sizeof(a.me.role), "%s", role != NULL ? role : "");
	if (api_end_reads(&a, l->read_days, l->now))
		json_array_append_new(l->arr, production_json(p, role));
}

/*
 * GET /api/v1/productions: each with the caller's role there and, as
 * person_id, their own person record's id (null when none), so that a page
 * can open "my details".
 */
void
productions_list(struct api_call *c)
{
	const struct api_auth *auth = session_of(c->r);
	json_t *arr = json_array(), *p;
	struct err e;
	size_t i;
	int rc;
	struct listing l = {arr, auth->session.user.is_instance_admin,
	                    http_req_config(c->r)->archive_read_days, (long long)time(NULL)};

	rc = store_production_list(api_call_store(c), c->actor,
	                           auth->session.user.is_instance_admin, add_production, &l, &e);
	json_array_foreach (arr, i, p) {
		char pid[STORE_ID_LEN + 8];
		int found;
		if (rc == -1)
			break;
		found = store_person_id_of_user(api_call_store(c),
		                                json_string_value(json_object_get(p, "id")),
		                                c->actor, pid, &e);
		if (found == -1)
			rc = -1;
		else
			json_object_set_new(p, "person_id", found ? json_string(pid) : json_null());
	}
	api_end_list(c, "productions", arr, rc, &e);
}

/*
 * The caller's scope for every resource × action the policy table defines
 * ({"person": {"read": "all", "write": "department"}, …}), from the same
 * table every request is checked against: the web app draws the controls a
 * role may use from it, and the API still refuses whatever it does not allow.
 * Asked with a read-only API token, nothing but reading is allowed, and the
 * answer says so: such a token is refused every write whatever the role.
 */
static json_t *
rights_json(const struct api_access *a, int read_only)
{
	json_t *rights = json_object();
	for (unsigned r = 0; r < POLICY_RESOURCE_COUNT; r++) {
		enum policy_resource res = (enum policy_resource)r;
		json_t *acts = json_object();
		for (unsigned k = 0; k < POLICY_ACTION_COUNT; k++) {
			enum policy_action act = (enum policy_action)k;
			if (policy_applies(res, act))
				json_object_set_new(acts, policy_action_name(act),
				                    json_string(policy_scope_name(
				                        read_only && act != POLICY_ACTION_READ
				                            ? POLICY_SCOPE_NONE
				                            : api_scope(a, res, act))));
		}
		json_object_set_new(rights, policy_resource_name(res), acts);
	}
	return rights;
}

/*
 * GET /api/v1/productions/{id}: the production, the caller's role and
 * department there, and their rights (rights_json).
 */
void
productions_get(struct api_call *c)
{
	const struct api_access *a = &c->rd.a;
	json_t *j = production_json(&a->production, a->member ? a->me.role : NULL);
	if (a->member)
		json_object_set_new(j, "department",
		                    a->me.department[0]
		                        ? json_pack("{s:s, s:s}", "id", a->me.department_id, "name",
		                                    a->me.department)
		                        : json_null());
	json_object_set_new(j, "rights", rights_json(a, session_of(c->r)->token_read_only));
	http_end_reply_json(c->r, 200, j);
}

/*
 * PATCH /api/v1/productions/{id} {name?, timezone?, require_mfa?,
 * link_access?, remind_hours_before?}: production admins and producers. Any
 * subset; at least one field. A new time zone is an IANA zone this system
 * knows; shoot-day times stay the local HH:MM they were, now read in the
 * new zone. link_access false makes a call sheet's personal link ask for
 * sign-in (api/distribution.c); remind_hours_before (0 to 72, 0 off) has
 * whoever has not acknowledged a call sheet reminded that many hours before
 * general call (api/reminders.c). Audited once per field changed, in the
 * transaction of the write.
 */
void
productions_update(struct api_call *c)
{
	const struct api_access *a = &c->rd.a;
	struct http_req *r = c->r;
	struct store_production p;
	json_t *name, *tz, *mfa, *links, *remind;
	json_t *errs = json_array();
	const char *events[5];
	size_t nevents = 0;
	struct err e;

	p = a->production;
	name = json_object_get(c->body, "name");
	tz = json_object_get(c->body, "timezone");
	mfa = json_object_get(c->body, "require_mfa");
	links = json_object_get(c->body, "link_access");
	remind = json_object_get(c->body, "remind_hours_before");
	if (name != NULL)
		snprintf(p.name, sizeof(p.name), "%s", json_string_value(name));
	if (tz != NULL)
		snprintf(p.timezone, sizeof(p.timezone), "%s", json_string_value(tz));
	if (mfa != NULL)
		p.require_mfa = json_is_true(mfa);
	if (links != NULL)
		p.link_access = json_is_true(links);
	if (remind != NULL) {
		json_int_t h = json_integer_value(remind);
		if (h < 0 || h > 72)
			json_array_append_new(errs, json_pack("{s:s, s:s}", "pointer",
			                                      "/remind_hours_before", "detail",
			                                      "hours from 0 (no reminder) to 72"));
		else
			p.remind_hours_before = (int)h;
	}
	if (name == NULL && tz == NULL && mfa == NULL && links == NULL && remind == NULL)
		json_array_append_new(
		    errs,
		    json_pack("{s:s, s:s}", "pointer", "/", "detail",
		              "name, timezone, require_mfa, link_access or remind_hours_before"));
	if (name != NULL && p.name[0] == '\0')
		json_array_append_new(errs, json_pack("{s:s, s:s}", "pointer", "/name", "detail",
		                                      "must not be empty"));
	if (tz != NULL && !timezone_ok(p.timezone))
		json_array_append_new(
		    errs, json_pack("{s:s, s:s}", "pointer", "/timezone", "detail",
		                    "must be an IANA time zone this system knows, such as "
		                    "Europe/London"));
	if (json_array_size(errs) > 0) {
		http_end_problem_errors(r, 400, "the production cannot be changed so", errs);
		return;
	}
	json_decref(errs);
	if (name != NULL && strcmp(p.name, a->production.name) != 0)
		events[nevents++] = c->decl->audit; /* production.rename */
	if (tz != NULL && strcmp(p.timezone, a->production.timezone) != 0)
		events[nevents++] = "production.timezone";
	if (mfa != NULL)
		events[nevents++] =
		    p.require_mfa ? "production.require_mfa" : "production.allow_no_mfa";
	if (links != NULL)
		events[nevents++] =
		    p.link_access ? "production.link_access_on" : "production.link_access_off";
	if (remind != NULL)
		events[nevents++] = "production.remind_hours";
	if (api_call_begin(c) == -1)
		return;
	if (store_production_update(api_call_store(c), &p, &e) == -1 ||
	    (links != NULL &&
	     store_production_set_link_access(api_call_store(c), p.id, p.link_access, &e) == -1) ||
	    (remind != NULL && store_production_set_remind_hours(
	                           api_call_store(c), p.id, p.remind_hours_before, &e) == -1)) {
		api_call_abort(c);
		api_unavailable(r, &e);
		return;
	}
	if (api_call_commit_all(c, events, nevents, p.id) == -1)
		return;
	http_end_reply_json(r, 200, production_json(&p, a->member ? a->me.role : NULL));
}

struct member_list {
	json_t *arr;
	const struct api_access *a;
	enum policy_scope scope;
	const char *role; /* ?role=, or NULL */
};

static void
add_member(const struct store_membership *m, void *arg)
{
	struct member_list *l = arg;
	int visible = l->scope == POLICY_SCOPE_ALL ||
	              (l->scope == POLICY_SCOPE_SELF && strcmp(m->id, l->a->me.id) == 0) ||
	              (l->scope == POLICY_SCOPE_DEPARTMENT && l->a->me.department_id[0] &&
	               strcmp(m->department_id, l->a->me.department_id) == 0);
	if (visible && (l->role == NULL || strcmp(m->role, l->role) == 0))
		json_array_append_new(l->arr, member_json(m));
}

void
members_list(struct api_call *c)
{
	struct http_req *r = c->r;
	struct member_list l;
	struct err e;
	char role[32];
	enum policy_role parsed;
	int got;

	l.a = &c->rd.a;
	l.role = NULL;
	if ((got = router_query_param(r->query, "role", role, sizeof(role))) != 0) {
		if (got == -1 || policy_role_parse(role, &parsed) == -1) {
			api_bad_field(
			    r, "?role",
			    "production_admin, producer, ad, department_head, crew or cast");
			return;
		}
		l.role = role;
	}
	l.scope = api_scope(l.a, POLICY_RESOURCE_MEMBER, POLICY_ACTION_READ);
	if (l.scope == POLICY_SCOPE_NONE) {
		http_end_problem(r, 403, "your role cannot see the members");
		return;
	}
	l.arr = json_array();
	api_end_list(
	    c, "members", l.arr,
	    store_membership_list(api_call_store(c), l.a->production.id, add_member, &l, &e), &e);
}

/* 1 when the caller's own role in the production manages members (not the instance right). */
static int
own_member_right(const struct api_access *a)
{
	enum policy_role role;
	return a->member && policy_role_parse(a->me.role, &role) == 0 &&
	       policy_scope(role, POLICY_RESOURCE_MEMBER, POLICY_ACTION_WRITE) == POLICY_SCOPE_ALL;
}

/*
 * A membership write aimed at the caller's own account (target_user, or
 * NULL/"" when it names nobody known) needs the caller's own member-managing
 * role: the instance administrator's right does not reach their own
 * membership. 0 after answering 403.
 */
static int
may_manage_self(struct http_req *r, const struct api_access *a, const char *target_user)
{
	const char *me = session_of(r)->session.user.id;
	if (target_user == NULL || target_user[0] == '\0' || strcmp(target_user, me) != 0 ||
	    own_member_right(a))
		return 1;
	session_audit(r, me, "member.write_self", a->production.id, "denied");
	http_end_problem(r, 403,
	                 "an instance administrator cannot add, invite, change or reinstate "
	                 "themselves; a production admin or producer of this production must");
	return 0;
}

/* may_manage_self for membership {mid}, before any body: 0, or -1 after answering (403, 503). */
int
members_may_manage_member(struct api_call *c)
{
	struct store_membership m;
	struct err e;
	int found = store_membership_get(api_call_store(c), c->rd.a.production.id,
	                                 router_param(&c->r->match, "mid"), &m, &e);
	if (found == -1) {
		api_unavailable(c->r, &e);
		return -1;
	}
	return may_manage_self(c->r, &c->rd.a, found == 1 ? m.user.id : NULL) ? 0 : -1;
}

/* may_manage_self for the account with email (if any): 0 after answering (403 or 503). */
static int
may_manage_email(struct http_req *r, const struct api_access *a, const char *email)
{
	struct store_user u;
	struct err e;
	int found = email != NULL ? store_user_by_email(http_req_store(r), email, &u, &e) : 0;
	if (found == -1) {
		api_unavailable(r, &e);
		return 0;
	}
	found = may_manage_self(r, a, found == 1 ? u.id : NULL);
	sodium_memzero(&u, sizeof(u));
	return found;
}

/* Answers a failure of the members service: 400 naming the field, 404, 409 or 503. */
static void
refuse(struct http_req *r, const struct err *e)
{
	if (e->status == 400 || e->status == 404 || e->status == 409) {
		if (e->field[0] != '\0')
			http_end_problem_errors(
			    r, e->status,
			    e->status == 404 ? "there is no such account"
			                     : "the member cannot be set so",
			    json_pack("[{s:s, s:s}]", "pointer", e->field, "detail", e->msg));
		else
			http_end_problem(r, e->status, e->msg);
		return;
	}
	api_unavailable(r, e);
}

/* The audit event of a member write, in the members service's transaction. */
struct member_audit {
	struct http_req *r;
	const char *action;
};

static int
member_audit(void *arg, const struct store_membership *m, struct err *e)
{
	const struct member_audit *ma = arg;
	return api_audit_in(ma->r, ma->action, m->id, e);
}

void
members_add(struct api_call *c)
{
	const struct api_access *a = &c->rd.a;
	struct store_membership m;
	struct err e;

	if (!may_manage_email(c->r, a, json_string_value(json_object_get(c->body, "email"))))
		return;
	struct member_audit ma = {c->r, c->decl->audit};
	struct members_then then = {member_audit, &ma};
	if (members_add_one(api_call_store(c), a->production.id,
	                    json_string_value(json_object_get(c->body, "email")),
	                    json_string_value(json_object_get(c->body, "role")),
	                    json_string_value(json_object_get(c->body, "department")), &m, &then,
	                    &e) == -1)
		refuse(c->r, &e);
	else
		http_end_reply_json(c->r, 201, member_json(&m));
}

void
members_update(struct api_call *c)
{
	struct store_membership m;
	struct err e;
	struct member_audit ma = {c->r, c->decl->audit};
	struct members_then then = {member_audit, &ma};

	if (members_change(
	        api_call_store(c), c->rd.a.production.id, router_param(&c->r->match, "mid"), 0,
	        json_string_value(json_object_get(c->body, "role")),
	        json_string_value(json_object_get(c->body, "department")), &m, &then, &e) == -1)
		refuse(c->r, &e);
	else
		http_end_reply_json(c->r, 200, member_json(&m));
}

static void
set_revoked(struct api_call *c, int revoke)
{
	struct store_membership m;
	int ended;
	json_t *j;
	struct err e;
	struct member_audit ma = {c->r, c->decl->audit};
	struct members_then then = {member_audit, &ma};

	if (members_set_revoked(api_call_store(c), c->rd.a.production.id,
	                        router_param(&c->r->match, "mid"), 0, revoke, &ended, &m, &then,
	                        &e) == -1) {
		refuse(c->r, &e);
		return;
	}
	j = member_json(&m);
	json_object_set_new(j, "sessions_ended", json_boolean(ended));
	http_end_reply_json(c->r, 200, j);
}

void
members_revoke(struct api_call *c)
{
	set_revoked(c, 1);
}

void
members_reinstate(struct api_call *c)
{
	set_revoked(c, 0);
}

#define INVITATION_LIFETIME (7L * 86400L)

static json_t *
invitation_json(const struct store_invitation *v)
{
	return json_pack("{s:s, s:s, s:s, s:o, s:o}", "id", v->id, "email", v->email, "role",
	                 v->role, "created_at", api_time_json(v->created_at), "expires_at",
	                 api_time_json(v->expires_at));
}

/* A pending invitation as GET …/invitations answers it: no token material. */
json_t *
api_invitation_json(const struct store_invitation *v)
{
	return invitation_json(v);
}

void
invitations_create(struct api_call *c)
{
	const struct config *cf = http_req_config(c->r);
	const struct api_access *a = &c->rd.a;
	struct store *s = api_call_store(c);
	struct store_invitation v;
	char token[TOKEN_TEXT_LEN], hash[TOKEN_HASH_LEN];
	char *text = NULL;
	struct err e;

	memset(&v, 0, sizeof(v));
	snprintf(v.production_id, sizeof(v.production_id), "%s", a->production.id);
	snprintf(v.email, sizeof(v.email), "%s",
	         json_string_value(json_object_get(c->body, "email")));
	snprintf(v.role, sizeof(v.role), "%s", json_string_value(json_object_get(c->body, "role")));
	if (!email_plausible(v.email)) {
		err_field(&e, 400, "/email", "must be an address like name@example.org");
		refuse(c->r, &e);
		return;
	}
	if (!may_manage_email(c->r, a, v.email))
		return;
	if (members_check_role(s, a->production.id, v.role,
	                       json_string_value(json_object_get(c->body, "department")),
	                       v.department_id, &e) == -1) {
		refuse(c->r, &e);
		return;
	}
	token_new(token, hash);
	text = xasprintf("Hello,\n\n%s invites you to the production \"%s\" on Slate as %s.\n"
	                 "This link works once, for 7 days:\n\n  %s/invitation#token=%s\n",
	                 session_of(c->r)->session.user.display_name, a->production.name, v.role,
	                 cf->public_url, token);
	sodium_memzero(token, sizeof(token));
	if (api_call_begin(c) == -1)
		goto out;
	if (store_invitation_create(s, &v, hash, c->actor, (long long)time(NULL),
	                            INVITATION_LIFETIME, &e) == -1 ||
	    notify_enqueue(s, v.email, "You are invited to a production on Slate", text, &e) ==
	        -1) {
		api_call_abort(c);
		api_unavailable(c->r, &e);
		goto out;
	}
	if (api_call_commit(c, NULL, v.id) == 0)
		http_end_reply_json(c->r, 201, invitation_json(&v));
out:
	sodium_memzero(text, strlen(text));
	free(text);
}

static void
add_invitation(const struct store_invitation *v, void *arg)
{
	json_array_append_new(arg, invitation_json(v));
}

void
invitations_list(struct api_call *c)
{
	json_t *arr = json_array();
	struct err e;

	api_end_list(c, "invitations", arr,
	             store_invitation_list(api_call_store(c), c->rd.a.production.id,
	                                   (long long)time(NULL), add_invitation, arr, &e),
	             &e);
}

struct accept_job {
	struct job job;
	struct http_req *r;
	struct store_invitation v;
	char display_name[256];
	struct secret password;
	char hash[PASSWORD_HASH_MAX];
	struct password_cost cost;
	int existing; /* the account exists: no password, no hashing */
	int failed;
};

static void
accept_work(struct job *j)
{
	struct accept_job *aj = (struct accept_job *)j;
	struct err e;
	if (!aj->existing)
		aj->failed = password_hash((const char *)aj->password.p, aj->password.len,
		                           &aj->cost, aj->hash, &e) == -1;
}

static void
accept_done(struct job *j)
{
	struct accept_job *aj = (struct accept_job *)j;
	struct http_req *r = aj->r;
	struct store *s = http_req_store(r);
	const struct store_invitation *v = &aj->v;
	char mid[STORE_ID_LEN + 8];
	struct store_user u;
	struct err e;
	int spent = 0, found;

	secret_free(&aj->password);
	if (aj->failed) {
		http_end_problem(r, 500, "the account could not be created");
		goto out;
	}
	if (store_begin(s, &e) == -1 ||
	    (spent = store_invitation_spend(s, v->id, time(NULL), &e)) == -1)
		goto fail;
	if (spent == 0) {
		store_rollback(s);
		http_end_problem(r, 400, "the invitation has been used or has expired");
		goto out;
	}
	if ((found = store_user_by_email(s, v->email, &u, &e)) == -1)
		goto fail;
	if (found == 0) {
		memset(&u, 0, sizeof(u));
		snprintf(u.email, sizeof(u.email), "%s", v->email);
		snprintf(u.display_name, sizeof(u.display_name), "%s", aj->display_name);
		memcpy(u.password_hash, aj->hash, sizeof(aj->hash));
		if (store_user_create(s, &u, &e) == -1)
			goto fail;
	}
	if (store_membership_add(s, v->production_id, u.id, v->role,
	                         v->department_id[0] ? v->department_id : NULL, mid, sizeof(mid),
	                         &e) == -1 &&
	    e.status != 409) /* already a member: the invitation is spent all the same */
		goto fail;
	if (api_audit_as(r, u.id, "invitation.accept", v->id, &e) == -1 ||
	    store_commit(s, &e) == -1)
		goto fail;
	http_end_reply_json(r, found ? 200 : 201,
	                    json_pack("{s:s, s:s, s:s}", "production_id", v->production_id, "role",
	                              v->role, "account", found ? "existing" : "created"));
	goto out;
fail:
	store_rollback(s);
	log_event(LOG_ERROR, "invitation not accepted", LOG_STR("error", e.msg), LOG_END);
	http_end_problem(r, 503, "the invitation could not be accepted; try again");
out:
	sodium_memzero(aj, sizeof(*aj));
	free(aj);
}

/*
 * POST /api/v1/invitations/preview {token}: what a live invitation is for
 * — the production's name, the role, the invited email and whether an
 * account with that email exists ("existing": sign in, then accept; "new":
 * choose a password) — before anyone accepts it. Public and checked as
 * accept is (from Slate's own pages, the token is the credential); an
 * unknown, used, withdrawn or expired token gets accept's own 400, so the
 * answers cannot tell them apart. Changes nothing; each preview of a live
 * invitation is one "invitation.preview" event, written with the reads
 * (session_audit_read), not as an accept.
 */
void
invitations_preview(struct api_call *c)
{
	struct http_req *r = c->r;
	struct store *s = api_call_store(c);
	struct store_invitation v;
	struct store_production p;
	struct store_user u;
	char hash[TOKEN_HASH_LEN];
	struct err e;
	int found, existing;

	token_hash(json_string_value(json_object_get(c->body, "token")), hash);
	if ((found = store_invitation_peek(s, hash, time(NULL), &v, &e)) != 1) {
		http_end_problem(r, found == -1 ? 503 : 400,
		                 found == -1 ? "invitations are unavailable right now"
		                             : "the invitation is unknown, used or expired");
		return;
	}
	if ((found = store_production_get(s, v.production_id, &p, &e)) != 1 ||
	    (existing = store_user_by_email(s, v.email, &u, &e)) == -1) {
		http_end_problem(r, found == 0 ? 400 : 503,
		                 found == 0 ? "the invitation is unknown, used or expired"
		                            : "invitations are unavailable right now");
		goto out;
	}
	if (existing == 1 && u.disabled) {
		http_end_problem(r, 403, "this invitation cannot be accepted");
		goto out;
	}
	session_audit_read(r, NULL, c->decl->audit, v.id, "success");
	http_end_reply_json(r, 200,
	                    json_pack("{s:{s:s}, s:s, s:s, s:s}", "production", "name", p.name,
	                              "role", v.role, "email", v.email, "account",
	                              existing == 1 ? "existing" : "new"));
out:
	sodium_memzero(&u, sizeof(u));
	sodium_memzero(&v, sizeof(v));
}

void
invitations_accept(struct api_call *c)
{
	struct http_req *r = c->r;
	struct store *s = api_call_store(c);
	struct accept_job *aj;
	char hash[TOKEN_HASH_LEN];
	struct store_user u;
	const char *pw, *name;
	struct err e;
	int found;

	aj = xcalloc(1, sizeof(*aj));
	aj->r = r;
	aj->cost = password_cost_of(http_req_config(r));
	token_hash(json_string_value(json_object_get(c->body, "token")), hash);
	if ((found = store_invitation_peek(s, hash, time(NULL), &aj->v, &e)) != 1) {
		http_end_problem(r, found == -1 ? 503 : 400,
		                 found == -1 ? "invitations are unavailable right now"
		                             : "the invitation is unknown, used or expired");
		goto fail;
	}
	/* an archived production takes no new member (api/closing.c) */
	{
		struct store_production p;
		if ((found = store_production_get(s, aj->v.production_id, &p, &e)) == -1) {
			http_end_problem(r, 503, "invitations are unavailable right now");
			goto fail;
		}
		if (found == 1 && p.archived_at != 0) {
			http_end_problem(r, 409,
			                 "the production is archived: it takes no new members");
			goto fail;
		}
	}
	if ((found = store_user_by_email(s, aj->v.email, &u, &e)) == -1) {
		http_end_problem(r, 503, "invitations are unavailable right now");
		goto fail;
	}
	if (found == 1 && u.disabled) {
		http_end_problem(r, 403, "this invitation cannot be accepted");
		goto fail;
	}
	aj->existing = found == 1;
	if (!aj->existing) {
		pw = json_string_value(json_object_get(c->body, "password"));
		if (pw == NULL || password_acceptable(pw, aj->v.email, &e) == -1) {
			http_end_problem_errors(
			    r, 400, "a new account needs a password",
			    json_pack("[{s:s, s:s}]", "pointer", "/password", "detail",
			              pw == NULL ? "is required to create the account" : e.msg));
			goto fail;
		}
		name = json_string_value(json_object_get(c->body, "display_name"));
		if (name != NULL && name[0] != '\0')
			snprintf(aj->display_name, sizeof(aj->display_name), "%s", name);
		else
			snprintf(aj->display_name, sizeof(aj->display_name), "%.*s",
			         (int)(strchr(aj->v.email, '@') - aj->v.email), aj->v.email);
		secret_take_string(&aj->password, (char *)pw);
	}
	sodium_memzero(r->body, r->body_len);
	aj->job.work = accept_work;
	aj->job.done = accept_done;
	http_defer(r, &aj->job);
	return;
fail:
	free(aj);
}

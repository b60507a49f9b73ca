/*
 * call.h — what a route declares, and the checked request its handler gets.
 *
 * A route of the table (api/routes.c) says what it needs in a struct
 * route_decl: which check stands before it (a production policy from the
 * role matrix of docs/ROLES.md, or one of the few checks that are not a
 * production's: public, the caller's own account, the instance admin), the
 * JSON body it takes (its fields, types, limits) and the audit action it
 * writes. Dispatch (api_dispatch, the table's handler for every declared
 * route) does that work once, in one order, for every route:
 *
 *   1. a production route loads the caller's standing (api_reader_load:
 *      404 for an unknown production, 403 for a non-member, before
 *      anything else);
 *   2. the declared policy, at production level (api_allows with no record:
 *      "this role may write locations at all"), else 403 with the route's
 *      `refused` detail;
 *   3. the route's precheck, if any (a check of the caller's own standing that
 *      must come before the body, e.g. "your roles require a second factor");
 *   4. the body against the declared schema, every bad field at once
 *      (http_json_body_open: a body that parses comes back with its field
 *      errors waiting, the handler adds its own and answers them together);
 *   5. the handler, with a struct api_call: the request, the reader, the
 *      body. It does only its own work: record-level checks ("only your
 *      department"), the store, the answer.
 *
 * Every route declares (tests/unit/api/test_routes.c walks the table and
 * refuses a route with no declaration or a declaration that names no check,
 * no schema for its body, or no audit action for its write). The slow-work
 * routes (imports, exports, the sustainability routes and report) declare
 * API_CHECK_IN_HANDLER: their handlers check and defer the work themselves.
 *
 * Errors, one convention. A function that takes the request (a struct
 * api_call or a struct http_req) answers every failure it meets itself and
 * returns -1 (0 on success; a look-up returns 1 found, 0 answered); its
 * caller just returns. A function that takes no request answers nothing: it
 * returns -1 with a struct err set, and its caller answers (api_unavailable,
 * api_refuse). No third shape.
 *
 * A write and its audit event commit together: api_call_begin opens the
 * transaction, the handler writes, api_call_commit appends the audit event
 * to the same transaction and commits, api_call_abort rolls back. When the
 * audit event cannot be written the write is rolled back and the request
 * answered 503: no change is ever kept without its event.
 */
#ifndef SLATE_API_CALL_H
#define SLATE_API_CALL_H

#include <stddef.h>

#include <jansson.h>

#include "api/view.h"
#include "domain/policy.h"
#include "http/body.h"

/* The check that stands before a route's handler. Zero is no check: the walk test refuses it. */
enum api_check {
	API_CHECK_UNSET,
	/* production route: the reader is loaded and each declared need must reach every record of
	   the production (scope all; the instance admin's right counts for production and member)
	 */
	API_CHECK_POLICY,
	/* production route whose policy has record-level scope only (self, department): the reader
	   is loaded and each need must reach some records (scope not none) */
	API_CHECK_POLICY_SOME,
	/* production read route: the reader is loaded and nothing refused up front; every record it
	   answers goes through the view, which checks the declared needs record by record */
	API_CHECK_VIEW,
	/* production write route whose policy is record-level only (a person's own fields, their
	   department's): the reader is loaded and the handler checks each record it writes against
	   the declared needs, refusing there (403 naming the field) */
	API_CHECK_RECORD,
	/* production route for members only, not a policy of the matrix (the caller's own calendar
	   feed): the reader is loaded, 403 `refused` unless the caller is a member */
	API_CHECK_MEMBER,
	/* production route on the caller's own data there only (revoking their own feed): the
	   reader is loaded, nothing refused up front */
	API_CHECK_OWN,
	API_CHECK_PUBLIC,         /* no session: anyone (the route is ROUTE_PUBLIC) */
	API_CHECK_SELF,           /* the caller's own account (/me): any signed-in caller */
	API_CHECK_INSTANCE_ADMIN, /* the instance administrator: 403 for anyone else */
	/* checked in the handler, for the slow-work files only (sustainability, import, exports,
	   carbon report), which another change restructures */
	API_CHECK_IN_HANDLER,
};

/* One resource × action a production route needs. */
struct api_need {
	enum policy_resource res;
	enum policy_action act;
};

#define API_MAX_NEEDS 2

/* What a refusal of the declared policy writes to the audit log. */
enum api_denied {
	API_DENIED_SILENT,     /* nothing */
	API_DENIED_PATH,       /* "<resource>.<action>" of the unmet need, on the request's path */
	API_DENIED_PRODUCTION, /* the same, on the production's id */
};

struct api_call;

struct route_decl {
	enum api_check check;
	size_t nneeds;
	struct api_need needs[API_MAX_NEEDS];
	const char *refused; /* the 403 detail when a need is not met */
	enum api_denied denied;
	const struct body_field *body; /* the JSON body's schema (ROUTE_JSON_BODY), else NULL */
	size_t nbody;
	/* 0: a body with a bad field is refused at once (http_json_body); 1: its field errors wait
	   on the request for the handler's own, answered together (http_json_body_open) */
	int body_open;
	const char *audit; /* the audit action of a write, else NULL */
	/* 1: a write that still answers while the production is archived or closed (its end's own
	   routes, a member revoking their own feed); every other write answers 409 then
	   (api_production_end_check) */
	int end_ok;
	/* a check of the caller's own standing that comes before the body is read (0, or -1 after
	   answering), else NULL */
	int (*precheck)(struct api_call *c);
	/* an upload's work from its head, once the check held, before any byte of its body is read
	   (api_dispatch_head): 0, or -1 after answering; NULL for every other route */
	int (*head)(struct api_call *c);
	void (*run)(struct api_call *c);
};

/* The request as a declared route's handler receives it: checked, its body parsed. */
struct api_call {
	struct http_req *r;
	const struct route_decl *decl;
	struct api_reader rd; /* production routes (API_CHECK_POLICY*); else zero */
	json_t *body;         /* the body of a route that declares one, field errors waiting on r */
	const char *actor;    /* the signed-in user's id; NULL on a public route */
};

/* The handler of every declared route: checks as its declaration says, then calls run. */
void api_dispatch(struct http_req *r);

/*
 * The head of a declared upload route, before its body is read
 * (api_before_body): the declared check, then the route's head; 0, or -1
 * after answering. Dispatch checks again once the body is in: a right may
 * have ended meanwhile.
 */
int api_dispatch_head(struct http_req *r);

/*
 * An event of the signed-in caller outside any write (a refusal a handler
 * makes record by record, a file read): written at once, answers nothing.
 */
void api_audit_caller(struct http_req *r, const char *action, const char *object,
                      const char *outcome);

/*
 * A precheck for the public forms that take a password or a link (sign-in,
 * password reset, accepting an invitation): sent from Slate's own pages, else
 * 403 with the route's `refused` detail; 0, or -1 after answering.
 */
int api_from_own_pages(struct api_call *c);

/*
 * Answers a list the store filled into arr: 200 {key: arr} when listed is 0,
 * else (-1, e set) arr freed and 503. The one ending of every plain list.
 */
void api_end_list(struct api_call *c, const char *key, json_t *arr, int listed,
                  const struct err *e);

/* The store connection of the request. */
struct store *api_call_store(struct api_call *c);
/* Opens the write transaction: 0, or -1 after answering 503. */
int api_call_begin(struct api_call *c);
/* Rolls back the open transaction (after a failed write, which the caller answers). */
void api_call_abort(struct api_call *c);
/*
 * The audit event (success) of a write whose transaction another owns (a
 * domain service: domain/members.h): appended to that open transaction,
 * 0 or -1 with e set; answers nothing, so that its owner rolls back and
 * answers. The one exception to the convention above: it runs inside
 * another's transaction.
 */
int api_audit_in(struct http_req *r, const char *action, const char *object, struct err *e);
/* The same for a request whose actor is not its session's (a public route acting for an account).
 */
int api_audit_as(struct http_req *r, const char *actor, const char *action, const char *object,
                 struct err *e);
/*
 * Appends one more audit event (success) to the open transaction: 0, or -1
 * after rolling back and answering 503.
 */
int api_call_audit(struct api_call *c, const char *action, const char *object);
/*
 * Appends the audit event `action` (the route's own when NULL) on object to
 * the open transaction and commits both: 0, or -1 after rolling back and
 * answering 503.
 */
int api_call_commit(struct api_call *c, const char *action, const char *object);
/*
 * Appends the n audit events actions[] on object (n may be 0: a write that
 * changed nothing an event records) and commits: 0, or -1 after rolling back
 * and answering 503.
 */
int api_call_commit_all(struct api_call *c, const char *const *actions, size_t n,
                        const char *object);

/*
 * The handlers of declared routes, by file. Each runs only after its
 * route's declaration held (api/routes.c).
 */
/* api/health.c */
void health_live(struct api_call *c);
void health_ready(struct api_call *c);
void health_security_txt(struct api_call *c);
void health_security_policy(struct api_call *c);
/* GET /api/v1/subprocessors (api/subprocessors.c), public */
void subprocessors_list(struct api_call *c);
void health_metrics(struct api_call *c);
/* api/auth.c */
void auth_login(struct api_call *c);
void auth_logout(struct api_call *c);
/* api/reset.c */
void reset_request(struct api_call *c);
void reset_complete(struct api_call *c);
/* api/productions.c */
int productions_may_create(struct api_call *c);
void productions_create(struct api_call *c);
void productions_list(struct api_call *c);
void productions_get(struct api_call *c);
void productions_update(struct api_call *c);
void members_list(struct api_call *c);
int members_may_manage_member(struct api_call *c);
void members_add(struct api_call *c);
void members_update(struct api_call *c);
void members_revoke(struct api_call *c);
void members_reinstate(struct api_call *c);
void invitations_create(struct api_call *c);
void invitations_list(struct api_call *c);
void invitations_accept(struct api_call *c);
void invitations_preview(struct api_call *c);
/* api/closing.c: a production's end */
void closing_archive(struct api_call *c);
void closing_unarchive(struct api_call *c);
void closing_close(struct api_call *c);
void closing_reopen(struct api_call *c);
/* api/attachments.c */
int attachments_upload_head(struct api_call *c);
void attachments_upload(struct api_call *c);
void attachments_list(struct api_call *c);
void attachments_download(struct api_call *c);
/* api/locations.c */
void locations_list(struct api_call *c);
void locations_get(struct api_call *c);
void locations_create(struct api_call *c);
void locations_update(struct api_call *c);
/* api/admin.c */
void admin_users(struct api_call *c);
void admin_user_sessions(struct api_call *c);
void admin_user_sessions_end(struct api_call *c);
void admin_sessions_end_all(struct api_call *c);
void admin_users_add(struct api_call *c);
void admin_user_disable(struct api_call *c);
void admin_user_enable(struct api_call *c);
void admin_user_close(struct api_call *c);
void admin_user_reopen(struct api_call *c);
/* api/audit.c */
void audit_list(struct api_call *c);
/* api/incidents.c */
void incidents_list_all(struct api_call *c);
void incidents_create(struct api_call *c);
void incidents_show(struct api_call *c);
void incidents_patch(struct api_call *c);
void incidents_authority_notification(struct api_call *c);
void incidents_compute_affected(struct api_call *c);
void incidents_notices(struct api_call *c);
void incidents_notices_draft(struct api_call *c);
void incidents_notices_send(struct api_call *c);
/* api/callsheets.c */
void callsheets_publish(struct api_call *c);
void callsheets_list(struct api_call *c);
void callsheets_get(struct api_call *c);
void callsheets_pdf(struct api_call *c);
void callsheets_ack(struct api_call *c);
void callsheets_acks(struct api_call *c);
void callsheets_diff(struct api_call *c);
void callsheets_preview(struct api_call *c);
/* api/distribution.c */
void distribution_remind(struct api_call *c);
void distribution_deliveries(struct api_call *c);
void sheetlink_open(struct api_call *c);
void sheetlink_ack(struct api_call *c);
void sheetlink_pdf(struct api_call *c);
/* api/feeds.c */
void feeds_create(struct api_call *c);
void feeds_revoke(struct api_call *c);
void feeds_get(struct api_call *c);
/* api/mfa.c */
void mfa_totp_begin(struct api_call *c);
void mfa_totp_confirm(struct api_call *c);
void mfa_totp_disable(struct api_call *c);
int mfa_removable(struct api_call *c);
/* api/me.c */
void me_get(struct api_call *c);
void me_password(struct api_call *c);
void me_close(struct api_call *c);
void me_sessions_list(struct api_call *c);
/* The account's live sessions as GET /me/sessions lists them (current marked), or NULL. */
json_t *me_sessions_json(struct store *s, const char *user_id, const char *current, struct err *e);
/* Everything Slate holds about the caller (api/me_export.c). */
void me_export(struct api_call *c);
void me_sessions_end_all(struct api_call *c);
void me_sessions_end_one(struct api_call *c);
/* api/mycallsheets.c */
void me_callsheets(struct api_call *c);
/* api/people.c */
void departments_list(struct api_call *c);
void departments_create(struct api_call *c);
void departments_update(struct api_call *c);
void people_list(struct api_call *c);
void people_get(struct api_call *c);
void people_create(struct api_call *c);
void people_update(struct api_call *c);
void people_delete(struct api_call *c);
void people_confirm_link(struct api_call *c);
/* api/schedule.c */
void days_list(struct api_call *c);
void days_get(struct api_call *c);
void days_create(struct api_call *c);
void days_update(struct api_call *c);
void scenes_list(struct api_call *c);
void scenes_create(struct api_call *c);
void scenes_update(struct api_call *c);
void calls_list(struct api_call *c);
void calls_put(struct api_call *c);
void calls_delete(struct api_call *c);
void department_calls_put(struct api_call *c);
void department_calls_delete(struct api_call *c);
void department_calls_call_everyone(struct api_call *c);
/* api/tokens.c */
void tokens_create(struct api_call *c);
void tokens_list(struct api_call *c);
/* The account's live API tokens as GET /me/tokens lists them, or NULL. */
json_t *tokens_json(struct store *s, const char *user_id, struct err *e);
void tokens_revoke(struct api_call *c);
/* api/undo.c */
void days_delete(struct api_call *c);
void days_cancel(struct api_call *c);
void days_reinstate(struct api_call *c);
void scenes_get(struct api_call *c);
void scenes_delete(struct api_call *c);
void locations_delete(struct api_call *c);
void departments_delete(struct api_call *c);
void invitations_withdraw(struct api_call *c);

#endif

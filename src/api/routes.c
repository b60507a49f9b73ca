/*
 * routes.c — every address Slate answers, in one table. The router, the
 * metrics and the docs all read this table; nothing else lists routes.
 */
#include "api/handlers.h"
#include "api/call.h"
#include "api/web.h"
#include "crypto/password.h"
#include "util/nitems.h"

/*
 * A declared route (api/call.h): dispatch checks what the declaration says,
 * then calls fn with the checked request. POLICY: every record (scope all);
 * VIEW: the reader, each record through its view. The counts are the
 * compiler's, never a hand's.
 */
#define CALL(fn, flags, ...)                                                                       \
	api_dispatch, (flags), &(const struct route_decl)                                          \
	{                                                                                          \
		.run = (fn), __VA_ARGS__                                                           \
	}
#define NEED(res, act)                                                                             \
	{                                                                                          \
		POLICY_RESOURCE_##res, POLICY_ACTION_##act                                         \
	}
#define NEEDS(...)                                                                                 \
	.needs = {__VA_ARGS__}, .nneeds = nitems(((const struct api_need[]){__VA_ARGS__}))
#define POLICY(...) .check = API_CHECK_POLICY, NEEDS(__VA_ARGS__)
#define VIEW(...)   .check = API_CHECK_VIEW, NEEDS(__VA_ARGS__)
#define BODY(...)                                                                                  \
	.body = (const struct body_field[]){__VA_ARGS__},                                          \
	.nbody = nitems(((const struct body_field[]){__VA_ARGS__}))

/*
 * The slow-work routes (sustainability, imports, exports, the carbon
 * report), which another change moves to the worker pool: their handlers
 * keep their checks for now, and say so.
 */
#define IN_HANDLER (&(const struct route_decl){.check = API_CHECK_IN_HANDLER})

/* A route not yet declared: its handler checks everything itself (the walk test lists them). */
#define OLD_STYLE NULL

#define SCHEDULE_WRITE                                                                             \
	POLICY(NEED(SCHEDULE, WRITE)), .refused = "your role cannot change the schedule",          \
	                               .denied = API_DENIED_PATH
#define LOCATION_WRITE                                                                             \
	POLICY(NEED(LOCATION, WRITE), NEED(LOCATION_ADDRESS, WRITE)),                              \
	    .refused = "your role cannot change locations"

/* POST and PATCH …/locations: name required on create by the handler (PATCH: any subset) */
#define LOCATION_BODY                                                                              \
	BODY({"name", JF_STRING, JF_NONBLANK, 200}, {"parking", JF_STRING, JF_MULTILINE, 500},     \
	     {"nearest_hospital", JF_STRING, 0, 250}, {"confidential", JF_BOOLEAN, 0, 0},          \
	     {"address", JF_STRING, JF_MULTILINE, 500}, {"latitude", JF_NUMBER, 0, 0},             \
	     {"longitude", JF_NUMBER, 0, 0}, {"access_notes", JF_STRING, JF_MULTILINE, 1000},      \
	     {"contact", JF_STRING, 0, 250}),                                                      \
	    .body_open = 1

#define PRODUCTION_WRITE                                                                           \
	POLICY(NEED(PRODUCTION, WRITE)),                                                           \
	    .refused = "your role cannot change this production's departments"
/* archive, unarchive, close, reopen: production:write, and they answer on an archived one */
#define PRODUCTION_END                                                                             \
	POLICY(NEED(PRODUCTION, WRITE)),                                                           \
	    .refused = "your role cannot archive or close this "                                   \
	               "production",                                                               \
	    .denied = API_DENIED_PRODUCTION, .end_ok = 1
#define DEPARTMENT_BODY BODY({"name", JF_STRING, JF_REQUIRED | JF_NONBLANK, 60})

/*
 * POST and PATCH …/people, and each row of POST …/people/import (api/people.c
 * checks a row against this same list): each field's right is checked per
 * record by the handler
 */
const struct body_field api_person_fields[] = {
    {"name", JF_STRING, JF_NONBLANK, 200},
    {"kind", JF_STRING, 0, 8},
    {"department", JF_STRING, 0, 60},
    {"job_title", JF_STRING, 0, 120},
    {"character_name", JF_STRING, 0, 120},
    {"key_contact", JF_BOOLEAN, 0, 0},
    {"account_email", JF_STRING, 0, 254},
    {"work_phone", JF_STRING, 0, 40},
    {"work_email", JF_STRING, 0, 254},
    {"personal_phone", JF_STRING, 0, 40},
    {"personal_email", JF_STRING, 0, 254},
    {"home_address", JF_STRING, JF_MULTILINE, 500},
    {"emergency_contact", JF_STRING, JF_MULTILINE, 500},
    {"date_of_birth", JF_STRING, 0, 10},
    {"dietary", JF_STRING, JF_MULTILINE, 500},
    {"medical", JF_STRING, JF_MULTILINE, 1000},
    {"id_numbers", JF_STRING, 0, 250},
};
const size_t api_person_nfields = nitems(api_person_fields);
#define PERSON_BODY .body = api_person_fields, .nbody = nitems(api_person_fields), .body_open = 1
#define PERSON_RECORD_WRITE                                                                        \
	.check = API_CHECK_RECORD, NEEDS(NEED(PERSON, WRITE), NEED(PERSON_PRIVATE, WRITE))

#define SCHEDULE_SAVE                                                                              \
	POLICY(NEED(SCHEDULE, WRITE)), .refused = "your role cannot change the schedule"
#define DAY_BODY                                                                                   \
	BODY({"date", JF_STRING, 0, 10}, {"unit", JF_STRING, JF_NONBLANK, 30},                     \
	     {"general_call", JF_STRING, 0, 5}, {"wrap_estimate", JF_STRING, 0, 5},                \
	     {"locations", JF_ARRAY, 0, 0}, {"scenes", JF_ARRAY, 0, 0}),                           \
	    .body_open = 1
#define SCENE_BODY                                                                                 \
	BODY({"number", JF_STRING, JF_NONBLANK, 12}, {"int_ext", JF_STRING, 0, 7},                 \
	     {"day_night", JF_STRING, 0, 5}, {"set", JF_STRING, JF_NONBLANK, 200},                 \
	     {"eighths", JF_INTEGER, 0, 0}, {"synopsis", JF_STRING, JF_MULTILINE, 2000},           \
	     {"cast", JF_ARRAY, 0, 0}),                                                            \
	    .body_open = 1
/* a person's or a department's calls: call write, checked per record by the handler */
#define CALL_WRITE .check = API_CHECK_RECORD, NEEDS(NEED(CALL, WRITE))
#define CALL_BODY                                                                                  \
	BODY({"call", JF_STRING, 0, 5}, {"pickup", JF_STRING, 0, 5},                               \
	     {"hair_makeup", JF_STRING, 0, 5}, {"on_set", JF_STRING, 0, 5},                        \
	     {"cast_status", JF_STRING, 0, 6}),                                                    \
	    .body_open = 1

#define PUBLIC .check = API_CHECK_PUBLIC
#define ATTACHMENT_READ                                                                            \
	POLICY(NEED(ATTACHMENT, READ)), .refused = "your role does not see this production's "     \
	                                           "files"
/* member writes (and the pending invitations): member:write over the whole production */
#define MEMBER_WRITE                                                                               \
	POLICY(NEED(MEMBER, WRITE)), .refused = "your role cannot manage members",                 \
	                             .denied = API_DENIED_PRODUCTION
/* POST …/members and …/invitations: department only for department roles (the handler) */
#define MEMBER_BODY                                                                                \
	BODY({"email", JF_STRING, JF_REQUIRED, 254}, {"role", JF_STRING, JF_REQUIRED, 32},         \
	     {"department", JF_STRING, 0, 60})

#define SHEET_LINK_BODY BODY({"token", JF_STRING, JF_REQUIRED | JF_SECRET, 64})

#define MFA_CODE_BODY BODY({"code", JF_STRING, JF_REQUIRED, 32})

/* POST and PATCH /api/v1/incidents: the free text (domain/incidents.c checks the rest) */
#define INCIDENT_BODY(...)                                                                         \
	BODY({"nature", JF_STRING, JF_MULTILINE, 4000},                                            \
	     {"contact", JF_STRING, JF_MULTILINE, 4000},                                           \
	     {"data_categories", JF_STRING, JF_MULTILINE, 4000},                                   \
	     {"people_categories", JF_STRING, JF_MULTILINE, 4000},                                 \
	     {"approx_people", JF_STRING, JF_MULTILINE, 4000},                                     \
	     {"approx_records", JF_STRING, JF_MULTILINE, 4000},                                    \
	     {"consequences", JF_STRING, JF_MULTILINE, 4000},                                      \
	     {"measures", JF_STRING, JF_MULTILINE, 4000},                                          \
	     {"advice", JF_STRING, JF_MULTILINE, 4000}, __VA_ARGS__)
const struct route api_routes[] = {
    {"GET", "/healthz", CALL(health_live, ROUTE_PUBLIC, PUBLIC)},
    {"GET", "/readyz", CALL(health_ready, ROUTE_PUBLIC, PUBLIC)},
    {"GET", "/.well-known/security.txt", CALL(health_security_txt, ROUTE_PUBLIC, PUBLIC)},
    {"GET", "/security-policy", CALL(health_security_policy, ROUTE_PUBLIC, PUBLIC)},
    /* who else handles this instance's data, as /security-policy says (api/subprocessors.c) */
    {"GET", "/api/v1/subprocessors", CALL(subprocessors_list, ROUTE_PUBLIC, PUBLIC)},
    /* loopback or the configured bearer token: the handler checks it */
    {"GET", "/metrics", CALL(health_metrics, ROUTE_PUBLIC, PUBLIC)},
    /* the token is the credential: the handler finds the feed by its hash */
    {"GET", "/feeds/{token}", CALL(feeds_get, ROUTE_PUBLIC, .check = API_CHECK_PUBLIC)},
    /* the web app (api/web.c): every app path answers its one page; the assets live under the
       version of the whole app, the rest of the path naming the file */
    {"GET", "/", CALL(web_page, ROUTE_PUBLIC, PUBLIC)},
    {"GET", "/sign-in", CALL(web_page, ROUTE_PUBLIC, PUBLIC)},
    {"GET", "/forgot-password", CALL(web_page, ROUTE_PUBLIC, PUBLIC)},
    {"GET", "/reset-password", CALL(web_page, ROUTE_PUBLIC, PUBLIC)},
    {"GET", "/invitation", CALL(web_page, ROUTE_PUBLIC, PUBLIC)},
    {"GET", "/sheet", CALL(web_page, ROUTE_PUBLIC, PUBLIC)},
    {"GET", "/first-password", CALL(web_page, ROUTE_PUBLIC, PUBLIC)},
    {"GET", "/second-factor", CALL(web_page, ROUTE_PUBLIC, PUBLIC)},
    {"GET", "/productions", CALL(web_page, ROUTE_PUBLIC, PUBLIC)},
    {"GET", "/callsheet", CALL(web_page, ROUTE_PUBLIC, PUBLIC)},
    {"GET", "/my-details", CALL(web_page, ROUTE_PUBLIC, PUBLIC)},
    {"GET", "/admin", CALL(web_page, ROUTE_PUBLIC, PUBLIC)},
    /* the production office: the app reads the rest of the address */
    {"GET", "/office/{id}", CALL(web_page, ROUTE_PUBLIC, PUBLIC)},
    {"GET", "/office/{id}/{page}", CALL(web_page, ROUTE_PUBLIC | ROUTE_TAIL, PUBLIC)},
    {"GET", "/sw.js", CALL(web_worker, ROUTE_PUBLIC, PUBLIC)},
    {"GET", "/assets/{version}/{path}", CALL(web_asset, ROUTE_PUBLIC | ROUTE_TAIL, PUBLIC)},
    /* auth.login: success, failure or throttled, written by the handler once it knows which */
    {"POST", "/api/v1/auth/login",
     CALL(auth_login, ROUTE_PUBLIC | ROUTE_JSON_BODY, PUBLIC, .precheck = api_from_own_pages,
          .refused = "sign in from Slate's own pages",
          BODY({"email", JF_STRING, JF_REQUIRED, 254},
               {"password", JF_STRING, JF_REQUIRED | JF_SECRET, PASSWORD_MAX_BYTES},
               /* six digits, or a recovery code */
               {"totp", JF_STRING, 0, 32},
               /* true: reopen the account its person closed (api/auth.c) */
               {"reopen", JF_BOOLEAN, 0, 0}),
          .audit = "auth.login")},
    {"POST", "/api/v1/auth/logout",
     CALL(auth_logout, ROUTE_PENDING_OK, .check = API_CHECK_SELF, .audit = "auth.logout")},
    {"POST", "/api/v1/auth/password-reset",
     CALL(reset_request, ROUTE_PUBLIC | ROUTE_JSON_BODY, PUBLIC, .precheck = api_from_own_pages,
          .refused = "ask from Slate's own pages", BODY({"email", JF_STRING, JF_REQUIRED, 254}),
          .audit = "auth.password_reset_request")}, /* by the reset desk, once it looked */
    {"POST", "/api/v1/auth/password-reset/complete",
     CALL(reset_complete, ROUTE_PUBLIC | ROUTE_JSON_BODY, PUBLIC, .precheck = api_from_own_pages,
          .refused = "reset from Slate's own pages",
          BODY({"token", JF_STRING, JF_REQUIRED, 64},
               {"new_password", JF_STRING, JF_REQUIRED | JF_SECRET, PASSWORD_MAX_BYTES}),
          .audit = "auth.password_reset")},
    /* a call sheet's personal link (api/distribution.c): the token, in the body, is the
       credential; each handler audits every use (success, failure, denied, throttled) */
    {"POST", "/api/v1/sheet-links/open",
     CALL(sheetlink_open, ROUTE_PUBLIC | ROUTE_JSON_BODY, PUBLIC, .precheck = api_from_own_pages,
          .refused = "open the link from Slate's own pages", SHEET_LINK_BODY,
          .audit = "callsheet.link_open")},
    {"POST", "/api/v1/sheet-links/ack",
     CALL(sheetlink_ack, ROUTE_PUBLIC | ROUTE_JSON_BODY, PUBLIC, .precheck = api_from_own_pages,
          .refused = "acknowledge from Slate's own pages", SHEET_LINK_BODY,
          .audit = "callsheet.ack")},
    {"POST", "/api/v1/sheet-links/pdf",
     CALL(sheetlink_pdf, ROUTE_PUBLIC | ROUTE_JSON_BODY, PUBLIC, .precheck = api_from_own_pages,
          .refused = "ask from Slate's own pages", SHEET_LINK_BODY, .audit = "callsheet.link_pdf")},
    {"GET", "/api/v1/me", CALL(me_get, ROUTE_PENDING_OK, .check = API_CHECK_SELF)},
    {"POST", "/api/v1/me/password",
     CALL(me_password, ROUTE_PENDING_OK | ROUTE_JSON_BODY, .check = API_CHECK_SELF,
          BODY({"current_password", JF_STRING, JF_REQUIRED | JF_SECRET, PASSWORD_MAX_BYTES},
               {"new_password", JF_STRING, JF_REQUIRED | JF_SECRET, PASSWORD_MAX_BYTES}),
          .audit = "auth.password_change")},
    /* the caller closes their own account (issue 22): the password again, and the code */
    {"POST", "/api/v1/me/close",
     CALL(me_close, ROUTE_JSON_BODY, .check = API_CHECK_SELF,
          BODY({"password", JF_STRING, JF_REQUIRED | JF_SECRET, PASSWORD_MAX_BYTES},
               {"totp", JF_STRING, 0, 32}),
          .audit = "account.close")},
    {"GET", "/api/v1/me/sessions",
     CALL(me_sessions_list, ROUTE_PENDING_OK, .check = API_CHECK_SELF)},
    /* everything Slate holds about the caller (GDPR Art. 15 and 20), audited */
    {"GET", "/api/v1/me/export", CALL(me_export, 0, .check = API_CHECK_SELF, .audit = "me.export")},
    /* the caller's call sheets of today and next, each as GET …/callsheets/{cid} answers it */
    {"GET", "/api/v1/me/callsheets", CALL(me_callsheets, ROUTE_GZIP, .check = API_CHECK_SELF)},
    {"POST", "/api/v1/me/tokens",
     CALL(tokens_create, ROUTE_JSON_BODY, .check = API_CHECK_SELF,
          BODY({"name", JF_STRING, JF_REQUIRED | JF_NONBLANK, 100},
               {"production_id", JF_STRING, JF_REQUIRED, 64},
               {"access", JF_STRING, JF_REQUIRED, 16}, {"expires_in_days", JF_INTEGER, 0, 0}),
          .audit = "token.create")},
    {"GET", "/api/v1/me/tokens", CALL(tokens_list, 0, .check = API_CHECK_SELF)},
    {"DELETE", "/api/v1/me/tokens/{id}",
     CALL(tokens_revoke, 0, .check = API_CHECK_SELF, .audit = "token.revoke")},
    {"POST", "/api/v1/me/mfa/totp",
     CALL(mfa_totp_begin, ROUTE_PENDING_OK, .check = API_CHECK_SELF, .audit = "auth.mfa_begin")},
    {"POST", "/api/v1/me/mfa/totp/confirm",
     CALL(mfa_totp_confirm, ROUTE_PENDING_OK | ROUTE_JSON_BODY, .check = API_CHECK_SELF,
          MFA_CODE_BODY, .audit = "auth.mfa_enable")},
    {"POST", "/api/v1/me/mfa/totp/disable",
     CALL(mfa_totp_disable, ROUTE_JSON_BODY, .check = API_CHECK_SELF, .precheck = mfa_removable,
          MFA_CODE_BODY, .audit = "auth.mfa_disable")},
    {"DELETE", "/api/v1/me/sessions",
     CALL(me_sessions_end_all, ROUTE_PENDING_OK, .check = API_CHECK_SELF,
          .audit = "auth.logout_everywhere")},
    {"DELETE", "/api/v1/me/sessions/{id}",
     CALL(me_sessions_end_one, ROUTE_PENDING_OK, .check = API_CHECK_SELF,
          .audit = "auth.session_end")},
    {"GET", "/api/v1/admin/users", CALL(admin_users, 0, .check = API_CHECK_INSTANCE_ADMIN)},
    {"GET", "/api/v1/admin/users/{id}/sessions",
     CALL(admin_user_sessions, 0, .check = API_CHECK_INSTANCE_ADMIN,
          .audit = "admin.sessions_list")},
    {"DELETE", "/api/v1/admin/users/{id}/sessions",
     CALL(admin_user_sessions_end, 0, .check = API_CHECK_INSTANCE_ADMIN,
          .audit = "admin.sessions_end")},
    {"DELETE", "/api/v1/admin/sessions",
     CALL(admin_sessions_end_all, 0, .check = API_CHECK_INSTANCE_ADMIN,
          .audit = "admin.sessions_end_all")},
    /* the incident register (domain/incidents.h): the domain writes each change's event */
    {"GET", "/api/v1/incidents", CALL(incidents_list_all, 0, .check = API_CHECK_INSTANCE_ADMIN)},
    {"POST", "/api/v1/incidents",
     CALL(incidents_create, ROUTE_JSON_BODY, .check = API_CHECK_INSTANCE_ADMIN,
          INCIDENT_BODY({"discovered_at", JF_STRING, JF_REQUIRED, 40},
                        {"aware_at", JF_STRING, JF_REQUIRED, 40}),
          .audit = "incident.open")},
    {"GET", "/api/v1/incidents/{id}", CALL(incidents_show, 0, .check = API_CHECK_INSTANCE_ADMIN)},
    {"PATCH", "/api/v1/incidents/{id}",
     CALL(incidents_patch, ROUTE_JSON_BODY, .check = API_CHECK_INSTANCE_ADMIN,
          INCIDENT_BODY({"status", JF_STRING, 0, 16},
                        {"no_notification_reason", JF_STRING, JF_MULTILINE, 4000}),
          .audit = "incident.update")},
    {"POST", "/api/v1/incidents/{id}/authority-notification",
     CALL(incidents_authority_notification, ROUTE_JSON_BODY, .check = API_CHECK_INSTANCE_ADMIN,
          BODY({"reference", JF_STRING, JF_REQUIRED | JF_NONBLANK, 200},
               {"notified_at", JF_STRING, 0, 40}, {"late_reason", JF_STRING, JF_MULTILINE, 4000}),
          .audit = "incident.notify_authority")},
    {"POST", "/api/v1/incidents/{id}/affected",
     CALL(incidents_compute_affected, ROUTE_JSON_BODY, .check = API_CHECK_INSTANCE_ADMIN,
          BODY({"account", JF_STRING, 0, 254}, {"token", JF_STRING, 0, 64},
               {"from", JF_STRING, JF_REQUIRED, 40}, {"to", JF_STRING, JF_REQUIRED, 40}),
          .audit = "incident.affected")},
    /* telling the affected people (domain/incident_notice.c) */
    {"GET", "/api/v1/incidents/{id}/notifications",
     CALL(incidents_notices, 0, .check = API_CHECK_INSTANCE_ADMIN)},
    {"POST", "/api/v1/incidents/{id}/notifications/draft",
     CALL(incidents_notices_draft, 0, .check = API_CHECK_INSTANCE_ADMIN,
          .audit = "incident.notify_draft")},
    {"POST", "/api/v1/incidents/{id}/notifications/send",
     CALL(incidents_notices_send, 0, .check = API_CHECK_INSTANCE_ADMIN,
          .audit = "incident.notify_people")},
    /* accounts, as `slate user add|disable` (domain/accounts.h); enable undoes disable */
    {"POST", "/api/v1/admin/users",
     CALL(admin_users_add, ROUTE_JSON_BODY, .check = API_CHECK_INSTANCE_ADMIN,
          BODY({"email", JF_STRING, JF_REQUIRED, 254},
               {"display_name", JF_STRING, JF_NONBLANK, 200}, {"instance_admin", JF_BOOLEAN, 0, 0}),
          .audit = "user.add")}, /* user.add_admin for an instance administrator */
    {"POST", "/api/v1/admin/users/{id}/disable",
     CALL(admin_user_disable, 0, .check = API_CHECK_INSTANCE_ADMIN, .audit = "user.disable")},
    {"POST", "/api/v1/admin/users/{id}/enable",
     CALL(admin_user_enable, 0, .check = API_CHECK_INSTANCE_ADMIN, .audit = "user.enable")},
    /* closing an account (issue 22): deleted for good after the grace period */
    {"POST", "/api/v1/admin/users/{id}/close",
     CALL(admin_user_close, 0, .check = API_CHECK_INSTANCE_ADMIN, .audit = "account.close")},
    {"POST", "/api/v1/admin/users/{id}/reopen",
     CALL(admin_user_reopen, 0, .check = API_CHECK_INSTANCE_ADMIN, .audit = "account.reopen")},
    {"POST", "/api/v1/productions",
     CALL(productions_create, ROUTE_JSON_BODY, .check = API_CHECK_SELF,
          .precheck = productions_may_create,
          BODY({"name", JF_STRING, JF_REQUIRED | JF_NONBLANK, 200},
               {"timezone", JF_STRING, JF_REQUIRED, 60}),
          .audit = "production.create")},
    {"POST", "/api/v1/productions/import", productions_import, ROUTE_IMPORT | ROUTE_SESSION_ONLY,
     IN_HANDLER},
    /* the caller's own productions (every one for the instance administrator) */
    {"GET", "/api/v1/productions", CALL(productions_list, 0, .check = API_CHECK_SELF)},
    {"GET", "/api/v1/productions/{id}",
     CALL(productions_get, 0, .check = API_CHECK_POLICY_SOME, NEEDS(NEED(PRODUCTION, READ)),
          .refused = "your role cannot see this")},
    /* one event per field changed: production.rename, .timezone, .require_mfa or .allow_no_mfa,
       .link_access_on or .link_access_off */
    {"PATCH", "/api/v1/productions/{id}",
     CALL(productions_update, ROUTE_JSON_BODY | ROUTE_SESSION_ONLY, POLICY(NEED(PRODUCTION, WRITE)),
          .refused = "your role cannot change this production",
          BODY({"name", JF_STRING, 0, 200}, {"timezone", JF_STRING, 0, 60},
               {"require_mfa", JF_BOOLEAN, 0, 0}, {"link_access", JF_BOOLEAN, 0, 0},
               {"remind_hours_before", JF_INTEGER, 0, 0}),
          .audit = "production.rename")},
    /* a production's end (api/closing.c): leaders only; they answer while it is archived */
    {"POST", "/api/v1/productions/{id}/archive",
     CALL(closing_archive, ROUTE_SESSION_ONLY, PRODUCTION_END, .audit = "production.archive")},
    {"POST", "/api/v1/productions/{id}/unarchive",
     CALL(closing_unarchive, ROUTE_SESSION_ONLY, PRODUCTION_END, .audit = "production.unarchive")},
    {"POST", "/api/v1/productions/{id}/close",
     CALL(closing_close, ROUTE_SESSION_ONLY, PRODUCTION_END, .audit = "production.close")},
    {"POST", "/api/v1/productions/{id}/reopen",
     CALL(closing_reopen, ROUTE_SESSION_ONLY, PRODUCTION_END, .audit = "production.reopen")},
    /* a bad ?role is answered before the scope: the handler checks member:read itself */
    {"GET", "/api/v1/productions/{id}/members", CALL(members_list, 0, VIEW(NEED(MEMBER, READ)))},
    {"POST", "/api/v1/productions/{id}/me/calendar-feed",
     CALL(feeds_create, ROUTE_SESSION_ONLY, .check = API_CHECK_MEMBER,
          .refused = "only a member of the production has a calendar feed here",
          .audit = "calendar_feed.create")},
    {"DELETE", "/api/v1/productions/{id}/me/calendar-feed",
     CALL(feeds_revoke, ROUTE_SESSION_ONLY, .check = API_CHECK_OWN, .end_ok = 1,
          .audit = "calendar_feed.revoke")},
    /* checked from the head (api_before_body), then again once the body is in */
    {"POST", "/api/v1/productions/{id}/attachments",
     CALL(attachments_upload, ROUTE_UPLOAD, POLICY(NEED(ATTACHMENT, WRITE)),
          .refused = "your role does not upload files to this production",
          .head = attachments_upload_head, .audit = "attachment.upload")},
    {"GET", "/api/v1/productions/{id}/attachments", CALL(attachments_list, 0, ATTACHMENT_READ)},
    {"GET", "/api/v1/productions/{id}/attachments/{aid}",
     CALL(attachments_download, 0, ATTACHMENT_READ)},
    {"POST", "/api/v1/productions/{id}/members",
     CALL(members_add, ROUTE_JSON_BODY | ROUTE_SESSION_ONLY, MEMBER_WRITE, MEMBER_BODY,
          .audit = "member.add")},
    {"PATCH", "/api/v1/productions/{id}/members/{mid}",
     CALL(members_update, ROUTE_JSON_BODY | ROUTE_SESSION_ONLY, MEMBER_WRITE,
          .precheck = members_may_manage_member,
          BODY({"role", JF_STRING, 0, 32}, {"department", JF_STRING, 0, 60}),
          .audit = "member.change")},
    {"POST", "/api/v1/productions/{id}/members/{mid}/revoke",
     CALL(members_revoke, 0, MEMBER_WRITE, .precheck = members_may_manage_member,
          .audit = "member.revoke")},
    {"POST", "/api/v1/productions/{id}/members/{mid}/reinstate",
     CALL(members_reinstate, ROUTE_SESSION_ONLY, MEMBER_WRITE,
          .precheck = members_may_manage_member, .audit = "member.reinstate")},
    {"POST", "/api/v1/productions/{id}/invitations",
     CALL(invitations_create, ROUTE_JSON_BODY | ROUTE_SESSION_ONLY, MEMBER_WRITE, MEMBER_BODY,
          .audit = "invitation.create")},
    {"GET", "/api/v1/productions/{id}/invitations", CALL(invitations_list, 0, MEMBER_WRITE)},
    {"DELETE", "/api/v1/productions/{id}/invitations/{iid}",
     CALL(invitations_withdraw, 0, MEMBER_WRITE, .audit = "invitation.withdraw")},
    {"GET", "/api/v1/productions/{id}/departments",
     CALL(departments_list, 0, .check = API_CHECK_POLICY_SOME, NEEDS(NEED(PRODUCTION, READ)),
          .refused = "your role cannot see this")},
    {"POST", "/api/v1/productions/{id}/departments",
     CALL(departments_create, ROUTE_JSON_BODY, PRODUCTION_WRITE, DEPARTMENT_BODY,
          .audit = "department.create")},
    {"PATCH", "/api/v1/productions/{id}/departments/{did}",
     CALL(departments_update, ROUTE_JSON_BODY, PRODUCTION_WRITE, DEPARTMENT_BODY,
          .audit = "department.rename")},
    {"DELETE", "/api/v1/productions/{id}/departments/{did}",
     CALL(departments_delete, 0, POLICY(NEED(PRODUCTION, WRITE)),
          .refused = "your role cannot change this production's departments",
          .audit = "department.delete")},
    /* each person through the view (api_person_readable): who, and which sealed groups */
    {"GET", "/api/v1/productions/{id}/people",
     CALL(people_list, 0, VIEW(NEED(PERSON, READ), NEED(PERSON_PRIVATE, READ)))},
    {"POST", "/api/v1/productions/{id}/people",
     CALL(people_create, ROUTE_JSON_BODY, PERSON_RECORD_WRITE, PERSON_BODY,
          .audit = "person.create")},
    /* CSV, every row checked as POST …/people checks its body; all rows or none */
    {"POST", "/api/v1/productions/{id}/people/import", people_import, ROUTE_IMPORT, IN_HANDLER},
    {"GET", "/api/v1/productions/{id}/people/{pid}",
     CALL(people_get, 0, VIEW(NEED(PERSON, READ), NEED(PERSON_PRIVATE, READ)))},
    {"PATCH", "/api/v1/productions/{id}/people/{pid}",
     CALL(people_update, ROUTE_JSON_BODY, PERSON_RECORD_WRITE, PERSON_BODY,
          .audit = "person.update")},
    {"DELETE", "/api/v1/productions/{id}/people/{pid}",
     CALL(people_delete, 0, .check = API_CHECK_RECORD, NEEDS(NEED(PERSON, WRITE)),
          .audit = "person.delete")},
    /* the linked account only: the handler compares the record's link with the caller */
    {"POST", "/api/v1/productions/{id}/people/{pid}/confirm-link",
     CALL(people_confirm_link, 0, .check = API_CHECK_RECORD, NEEDS(NEED(PERSON, READ)),
          .audit = "person.confirm_link")},
    {"GET", "/api/v1/productions/{id}/locations",
     CALL(locations_list, 0, VIEW(NEED(LOCATION, READ), NEED(LOCATION_ADDRESS, READ)))},
    {"POST", "/api/v1/productions/{id}/locations",
     CALL(locations_create, ROUTE_JSON_BODY, LOCATION_WRITE, LOCATION_BODY,
          .audit = "location.create")},
    {"GET", "/api/v1/productions/{id}/locations/{lid}",
     CALL(locations_get, 0, VIEW(NEED(LOCATION, READ), NEED(LOCATION_ADDRESS, READ)))},
    {"PATCH", "/api/v1/productions/{id}/locations/{lid}",
     CALL(locations_update, ROUTE_JSON_BODY, LOCATION_WRITE, LOCATION_BODY,
          .audit = "location.update")},
    {"DELETE", "/api/v1/productions/{id}/locations/{lid}",
     CALL(locations_delete, 0, LOCATION_WRITE, .denied = API_DENIED_PATH,
          .audit = "location.delete")},
    {"GET", "/api/v1/productions/{id}/days", CALL(days_list, 0, VIEW(NEED(SCHEDULE, READ)))},
    {"POST", "/api/v1/productions/{id}/days",
     CALL(days_create, ROUTE_JSON_BODY, SCHEDULE_SAVE, DAY_BODY, .audit = "day.create")},
    {"GET", "/api/v1/productions/{id}/days/{did}",
     CALL(days_get, 0, VIEW(NEED(SCHEDULE, READ), NEED(CALL, READ)))},
    {"PATCH", "/api/v1/productions/{id}/days/{did}",
     CALL(days_update, ROUTE_JSON_BODY, SCHEDULE_SAVE, DAY_BODY, .audit = "day.update")},
    {"DELETE", "/api/v1/productions/{id}/days/{did}",
     CALL(days_delete, 0, SCHEDULE_WRITE, .audit = "day.delete")},
    {"POST", "/api/v1/productions/{id}/days/{did}/cancel",
     CALL(days_cancel, 0, SCHEDULE_WRITE, .audit = "day.cancel")},
    {"POST", "/api/v1/productions/{id}/days/{did}/reinstate",
     CALL(days_reinstate, 0, SCHEDULE_WRITE, .audit = "day.reinstate")},
    {"GET", "/api/v1/productions/{id}/days/{did}/calls",
     CALL(calls_list, 0, VIEW(NEED(CALL, READ), NEED(SCHEDULE, READ)))},
    {"PUT", "/api/v1/productions/{id}/days/{did}/calls/{pid}",
     CALL(calls_put, ROUTE_JSON_BODY, CALL_WRITE, CALL_BODY, .audit = "call.set")},
    {"DELETE", "/api/v1/productions/{id}/days/{did}/calls/{pid}",
     CALL(calls_delete, 0, CALL_WRITE, .audit = "call.delete")},
    {"PUT", "/api/v1/productions/{id}/days/{did}/department-calls/{dept}",
     CALL(department_calls_put, ROUTE_JSON_BODY, CALL_WRITE,
          BODY({"call", JF_STRING, JF_REQUIRED, 5}), .body_open = 1,
          .audit = "department_call.set")},
    {"DELETE", "/api/v1/productions/{id}/days/{did}/department-calls/{dept}",
     CALL(department_calls_delete, 0, CALL_WRITE, .audit = "department_call.delete")},
    /* call sheets: the right depends on the day (called on it or not), checked per day */
    {"POST", "/api/v1/productions/{id}/days/{did}/callsheets",
     CALL(callsheets_publish, 0, .check = API_CHECK_RECORD, NEEDS(NEED(CALLSHEET, PUBLISH)),
          .audit = "callsheet.publish")},
    {"GET", "/api/v1/productions/{id}/days/{did}/callsheets",
     CALL(callsheets_list, 0, VIEW(NEED(CALLSHEET, READ)))},
    /* before …/{cid}, which would take "{cid}.pdf" whole (http/router.h) */
    {"GET", "/api/v1/productions/{id}/callsheets/{cid}.pdf",
     CALL(callsheets_pdf, 0, VIEW(NEED(CALLSHEET, READ)))},
    {"GET", "/api/v1/productions/{id}/callsheets/{cid}",
     CALL(callsheets_get, ROUTE_GZIP, VIEW(NEED(CALLSHEET, READ)))},
    {"POST", "/api/v1/productions/{id}/callsheets/{cid}/ack",
     CALL(callsheets_ack, 0, .check = API_CHECK_RECORD, NEEDS(NEED(CALLSHEET_ACK, WRITE)),
          .audit = "callsheet.ack")},
    {"GET", "/api/v1/productions/{id}/callsheets/{cid}/acks",
     CALL(callsheets_acks, 0, VIEW(NEED(CALLSHEET, READ), NEED(CALLSHEET_ACK, READ)))},
    /* what changed between two versions, read as the reader reads each (api/sheetdiff.c) */
    /* what became of each message of a version: those who may publish call sheets */
    {"GET", "/api/v1/productions/{id}/callsheets/{cid}/deliveries",
     CALL(distribution_deliveries, 0, POLICY(NEED(CALLSHEET, PUBLISH)),
          .refused = "your role cannot see call sheet deliveries")},
    {"POST", "/api/v1/productions/{id}/callsheets/{cid}/remind",
     CALL(distribution_remind, 0, POLICY(NEED(CALLSHEET, PUBLISH)),
          .refused = "your role cannot send call sheets", .audit = "callsheet.remind")},
    {"GET", "/api/v1/productions/{id}/callsheets/{cid}/diff",
     CALL(callsheets_diff, ROUTE_GZIP, VIEW(NEED(CALLSHEET, READ)))},
    /* the next version before publishing it: the publish right, checked per day as publishing */
    {"GET", "/api/v1/productions/{id}/days/{did}/callsheets/preview",
     CALL(callsheets_preview, ROUTE_GZIP, .check = API_CHECK_RECORD,
          NEEDS(NEED(CALLSHEET, PUBLISH)))},
    /* a call for every person of a department: call write for that department, as its call */
    {"POST", "/api/v1/productions/{id}/days/{did}/department-calls/{dept}/call-everyone",
     CALL(department_calls_call_everyone, ROUTE_JSON_BODY, CALL_WRITE,
          BODY({"call", JF_STRING, JF_REQUIRED | JF_NONBLANK, 5}, {"pickup", JF_STRING, 0, 5},
               {"hair_makeup", JF_STRING, 0, 5}, {"on_set", JF_STRING, 0, 5},
               {"overwrite", JF_BOOLEAN, 0, 0}),
          .audit = "department_call.call_everyone")},
    {"GET", "/api/v1/productions/{id}/scenes",
     CALL(scenes_list, 0, VIEW(NEED(SCHEDULE, READ), NEED(SCENE_SYNOPSIS, READ)))},
    {"POST", "/api/v1/productions/{id}/scenes",
     CALL(scenes_create, ROUTE_JSON_BODY, SCHEDULE_SAVE, SCENE_BODY, .audit = "scene.create")},
    {"PATCH", "/api/v1/productions/{id}/scenes/{sid}",
     CALL(scenes_update, ROUTE_JSON_BODY, SCHEDULE_SAVE, SCENE_BODY, .audit = "scene.update")},
    {"GET", "/api/v1/productions/{id}/scenes/{sid}",
     CALL(scenes_get, 0, VIEW(NEED(SCHEDULE, READ), NEED(SCENE_SYNOPSIS, READ)))},
    {"DELETE", "/api/v1/productions/{id}/scenes/{sid}",
     CALL(scenes_delete, 0, SCHEDULE_WRITE, .audit = "scene.delete")},
    {"GET", "/api/v1/productions/{id}/export", exports_get, 0, IN_HANDLER},
    {"GET", "/api/v1/productions/{id}/audit",
     CALL(audit_list, 0, POLICY(NEED(AUDIT, READ)),
          .refused = "your role does not see this production's audit log")},
    {"GET", "/api/v1/factor-sets", factor_sets_list, 0, IN_HANDLER},
    {"GET", "/api/v1/factor-sets/{sid}/factors", factor_sets_factors, 0, IN_HANDLER},
    {"GET", "/api/v1/productions/{id}/sustainability/settings", sustainability_settings_get, 0,
     IN_HANDLER},
    {"PUT", "/api/v1/productions/{id}/sustainability/settings", sustainability_settings_put,
     ROUTE_JSON_BODY, IN_HANDLER},
    {"PATCH", "/api/v1/productions/{id}/sustainability/settings", sustainability_settings_patch,
     ROUTE_JSON_BODY, IN_HANDLER},
    {"GET", "/api/v1/productions/{id}/sustainability/factors", sustainability_factors_list, 0,
     IN_HANDLER},
    {"POST", "/api/v1/productions/{id}/sustainability/factors", sustainability_factors_create,
     ROUTE_JSON_BODY, IN_HANDLER},
    {"GET", "/api/v1/productions/{id}/sustainability/entries", sustainability_entries_list, 0,
     IN_HANDLER},
    {"POST", "/api/v1/productions/{id}/sustainability/entries", sustainability_entries_create,
     ROUTE_JSON_BODY, IN_HANDLER},
    {"GET", "/api/v1/productions/{id}/sustainability/entries/{eid}", sustainability_entries_get, 0,
     IN_HANDLER},
    {"PATCH", "/api/v1/productions/{id}/sustainability/entries/{eid}", sustainability_entries_patch,
     ROUTE_JSON_BODY, IN_HANDLER},
    {"DELETE", "/api/v1/productions/{id}/sustainability/entries/{eid}",
     sustainability_entries_delete, 0, IN_HANDLER},
    {"PUT", "/api/v1/productions/{id}/sustainability/entries/{eid}/evidence",
     sustainability_evidence_put, ROUTE_UPLOAD, IN_HANDLER},
    {"GET", "/api/v1/productions/{id}/sustainability/entries/{eid}/evidence",
     sustainability_evidence_get, 0, IN_HANDLER},
    {"POST", "/api/v1/productions/{id}/sustainability/import", sustainability_import, ROUTE_IMPORT,
     IN_HANDLER},
    {"POST", "/api/v1/productions/{id}/sustainability/recalculate", sustainability_recalculate,
     ROUTE_JSON_BODY, IN_HANDLER},
    {"GET", "/api/v1/productions/{id}/sustainability/report", sustainability_report_get, 0,
     IN_HANDLER},
    /* the token is the credential: it went to the invited mailbox */
    {"POST", "/api/v1/invitations/accept",
     CALL(invitations_accept, ROUTE_PUBLIC | ROUTE_JSON_BODY, PUBLIC,
          .precheck = api_from_own_pages, .refused = "accept from Slate's own pages",
          BODY({"token", JF_STRING, JF_REQUIRED, 64}, {"display_name", JF_STRING, 0, 200},
               {"password", JF_STRING, JF_SECRET, PASSWORD_MAX_BYTES}),
          .audit = "invitation.accept")},
    /* what an invitation is for, before accepting it: read only, the token as for accept */
    {"POST", "/api/v1/invitations/preview",
     CALL(invitations_preview, ROUTE_PUBLIC | ROUTE_JSON_BODY, PUBLIC,
          .precheck = api_from_own_pages, .refused = "open invitations from Slate's own pages",
          BODY({"token", JF_STRING, JF_REQUIRED, 64}), .audit = "invitation.preview")},
};

const size_t api_nroutes = nitems(api_routes);

/*
 * The checks a route makes from its head, before its body is read (see
 * http_server_opts.before_body): who may send it, and for an upload where it
 * streams. Every ROUTE_UPLOAD and ROUTE_IMPORT route has one (a unit test
 * walks the table).
 */
static const struct {
	http_handler handler;
	int (*check)(struct http_req *r);
} head_checks[] = {
    {sustainability_evidence_put, sustainability_evidence_head},
    {sustainability_import, sustainability_import_head},
    {productions_import, productions_import_head},
    {people_import, people_import_head},
};

int
api_route_checks_head(const struct route *rt)
{
	if (rt->decl != NULL && rt->decl->head != NULL)
		return rt->handler == api_dispatch;
	for (size_t i = 0; i < nitems(head_checks); i++)
		if (head_checks[i].handler == rt->handler)
			return 1;
	return 0;
}

int
api_before_body(struct http_req *r)
{
	const struct route_decl *d = r->match.route->decl;
	if (d != NULL && d->head != NULL && r->match.route->handler == api_dispatch)
		return api_dispatch_head(r);
	for (size_t i = 0; i < nitems(head_checks); i++)
		if (head_checks[i].handler == r->match.route->handler)
			return head_checks[i].check(r);
	if (r->match.route->flags & (ROUTE_UPLOAD | ROUTE_IMPORT)) {
		http_end_problem(r, 500, "this upload cannot be accepted"); /* fail closed */
		return -1;
	}
	return 0;
}

/*
 * routes.c — every address Slate answers, in one table. The router, the
 * metrics and the docs all read this table; nothing else lists routes.
 */
#include "api/handlers.h"
#include "util/nitems.h"

const struct route api_routes[] = {
    {"GET", "/healthz", health_live, ROUTE_PUBLIC},
    {"GET", "/readyz", health_ready, ROUTE_PUBLIC},
    {"GET", "/.well-known/security.txt", health_security_txt, ROUTE_PUBLIC},
    {"GET", "/security-policy", health_security_policy, ROUTE_PUBLIC},
    {"GET", "/metrics", health_metrics, ROUTE_PUBLIC},
    {"GET", "/feeds/{token}", feeds_get, ROUTE_PUBLIC},
    {"POST", "/api/v1/auth/login", auth_login, ROUTE_PUBLIC | ROUTE_JSON_BODY},
    {"POST", "/api/v1/auth/logout", auth_logout, ROUTE_PENDING_OK},
    {"POST", "/api/v1/auth/password-reset", reset_request, ROUTE_PUBLIC | ROUTE_JSON_BODY},
    {"POST", "/api/v1/auth/password-reset/complete", reset_complete,
     ROUTE_PUBLIC | ROUTE_JSON_BODY},
    {"GET", "/api/v1/me", me_get, ROUTE_PENDING_OK},
    {"POST", "/api/v1/me/password", me_password, ROUTE_PENDING_OK | ROUTE_JSON_BODY},
    {"GET", "/api/v1/me/sessions", me_sessions_list, ROUTE_PENDING_OK},
    {"POST", "/api/v1/me/tokens", tokens_create, ROUTE_JSON_BODY},
    {"GET", "/api/v1/me/tokens", tokens_list, 0},
    {"DELETE", "/api/v1/me/tokens/{id}", tokens_revoke, 0},
    {"POST", "/api/v1/me/mfa/totp", mfa_totp_begin, ROUTE_PENDING_OK},
    {"POST", "/api/v1/me/mfa/totp/confirm", mfa_totp_confirm, ROUTE_PENDING_OK | ROUTE_JSON_BODY},
    {"POST", "/api/v1/me/mfa/totp/disable", mfa_totp_disable, ROUTE_JSON_BODY},
    {"DELETE", "/api/v1/me/sessions", me_sessions_end_all, ROUTE_PENDING_OK},
    {"DELETE", "/api/v1/me/sessions/{id}", me_sessions_end_one, ROUTE_PENDING_OK},
    {"GET", "/api/v1/admin/users", admin_users, 0},
    {"GET", "/api/v1/admin/users/{id}/sessions", admin_user_sessions, 0},
    {"DELETE", "/api/v1/admin/users/{id}/sessions", admin_user_sessions_end, 0},
    {"DELETE", "/api/v1/admin/sessions", admin_sessions_end_all, 0},
    {"POST", "/api/v1/productions", productions_create, ROUTE_JSON_BODY},
    {"POST", "/api/v1/productions/import", productions_import, ROUTE_IMPORT | ROUTE_SESSION_ONLY},
    {"GET", "/api/v1/productions", productions_list, 0},
    {"GET", "/api/v1/productions/{id}", productions_get, 0},
    {"PATCH", "/api/v1/productions/{id}", productions_update, ROUTE_JSON_BODY | ROUTE_SESSION_ONLY},
    {"GET", "/api/v1/productions/{id}/members", members_list, 0},
    {"POST", "/api/v1/productions/{id}/me/calendar-feed", feeds_create, ROUTE_SESSION_ONLY},
    {"DELETE", "/api/v1/productions/{id}/me/calendar-feed", feeds_revoke, ROUTE_SESSION_ONLY},
    {"POST", "/api/v1/productions/{id}/attachments", attachments_upload, ROUTE_UPLOAD},
    {"GET", "/api/v1/productions/{id}/attachments", attachments_list, 0},
    {"GET", "/api/v1/productions/{id}/attachments/{aid}", attachments_download, 0},
    {"POST", "/api/v1/productions/{id}/members", members_add, ROUTE_JSON_BODY | ROUTE_SESSION_ONLY},
    {"PATCH", "/api/v1/productions/{id}/members/{mid}", members_update,
     ROUTE_JSON_BODY | ROUTE_SESSION_ONLY},
    {"POST", "/api/v1/productions/{id}/members/{mid}/revoke", members_revoke, 0},
    {"POST", "/api/v1/productions/{id}/members/{mid}/reinstate", members_reinstate,
     ROUTE_SESSION_ONLY},
    {"POST", "/api/v1/productions/{id}/invitations", invitations_create,
     ROUTE_JSON_BODY | ROUTE_SESSION_ONLY},
    {"GET", "/api/v1/productions/{id}/invitations", invitations_list, 0},
    {"DELETE", "/api/v1/productions/{id}/invitations/{iid}", invitations_withdraw, 0},
    {"GET", "/api/v1/productions/{id}/departments", departments_list, 0},
    {"POST", "/api/v1/productions/{id}/departments", departments_create, ROUTE_JSON_BODY},
    {"PATCH", "/api/v1/productions/{id}/departments/{did}", departments_update, ROUTE_JSON_BODY},
    {"DELETE", "/api/v1/productions/{id}/departments/{did}", departments_delete, 0},
    {"GET", "/api/v1/productions/{id}/people", people_list, 0},
    {"POST", "/api/v1/productions/{id}/people", people_create, ROUTE_JSON_BODY},
    {"GET", "/api/v1/productions/{id}/people/{pid}", people_get, 0},
    {"PATCH", "/api/v1/productions/{id}/people/{pid}", people_update, ROUTE_JSON_BODY},
    {"DELETE", "/api/v1/productions/{id}/people/{pid}", people_delete, 0},
    {"POST", "/api/v1/productions/{id}/people/{pid}/confirm-link", people_confirm_link, 0},
    {"GET", "/api/v1/productions/{id}/locations", locations_list, 0},
    {"POST", "/api/v1/productions/{id}/locations", locations_create, ROUTE_JSON_BODY},
    {"GET", "/api/v1/productions/{id}/locations/{lid}", locations_get, 0},
    {"PATCH", "/api/v1/productions/{id}/locations/{lid}", locations_update, ROUTE_JSON_BODY},
    {"DELETE", "/api/v1/productions/{id}/locations/{lid}", locations_delete, 0},
    {"GET", "/api/v1/productions/{id}/days", days_list, 0},
    {"POST", "/api/v1/productions/{id}/days", days_create, ROUTE_JSON_BODY},
    {"GET", "/api/v1/productions/{id}/days/{did}", days_get, 0},
    {"PATCH", "/api/v1/productions/{id}/days/{did}", days_update, ROUTE_JSON_BODY},
    {"DELETE", "/api/v1/productions/{id}/days/{did}", days_delete, 0},
    {"POST", "/api/v1/productions/{id}/days/{did}/cancel", days_cancel, 0},
    {"POST", "/api/v1/productions/{id}/days/{did}/reinstate", days_reinstate, 0},
    {"GET", "/api/v1/productions/{id}/days/{did}/calls", calls_list, 0},
    {"PUT", "/api/v1/productions/{id}/days/{did}/calls/{pid}", calls_put, ROUTE_JSON_BODY},
    {"DELETE", "/api/v1/productions/{id}/days/{did}/calls/{pid}", calls_delete, 0},
    {"PUT", "/api/v1/productions/{id}/days/{did}/department-calls/{dept}", department_calls_put,
     ROUTE_JSON_BODY},
    {"DELETE", "/api/v1/productions/{id}/days/{did}/department-calls/{dept}",
     department_calls_delete, 0},
    {"POST", "/api/v1/productions/{id}/days/{did}/callsheets", callsheets_publish, 0},
    {"GET", "/api/v1/productions/{id}/days/{did}/callsheets", callsheets_list, 0},
    {"GET", "/api/v1/productions/{id}/callsheets/{cid}", callsheets_get, 0},
    {"POST", "/api/v1/productions/{id}/callsheets/{cid}/ack", callsheets_ack, 0},
    {"GET", "/api/v1/productions/{id}/callsheets/{cid}/acks", callsheets_acks, 0},
    {"GET", "/api/v1/productions/{id}/scenes", scenes_list, 0},
    {"POST", "/api/v1/productions/{id}/scenes", scenes_create, ROUTE_JSON_BODY},
    {"PATCH", "/api/v1/productions/{id}/scenes/{sid}", scenes_update, ROUTE_JSON_BODY},
    {"GET", "/api/v1/productions/{id}/scenes/{sid}", scenes_get, 0},
    {"DELETE", "/api/v1/productions/{id}/scenes/{sid}", scenes_delete, 0},
    {"GET", "/api/v1/productions/{id}/export", exports_get, 0},
    {"GET", "/api/v1/productions/{id}/audit", audit_list, 0},
    {"GET", "/api/v1/factor-sets", factor_sets_list, 0},
    {"GET", "/api/v1/factor-sets/{sid}/factors", factor_sets_factors, 0},
    {"GET", "/api/v1/productions/{id}/sustainability/settings", carbon_settings_get, 0},
    {"PUT", "/api/v1/productions/{id}/sustainability/settings", carbon_settings_put,
     ROUTE_JSON_BODY},
    {"PATCH", "/api/v1/productions/{id}/sustainability/settings", carbon_settings_patch,
     ROUTE_JSON_BODY},
    {"GET", "/api/v1/productions/{id}/sustainability/factors", carbon_factors_list, 0},
    {"POST", "/api/v1/productions/{id}/sustainability/factors", carbon_factors_create,
     ROUTE_JSON_BODY},
    {"GET", "/api/v1/productions/{id}/sustainability/entries", carbon_entries_list, 0},
    {"POST", "/api/v1/productions/{id}/sustainability/entries", carbon_entries_create,
     ROUTE_JSON_BODY},
    {"GET", "/api/v1/productions/{id}/sustainability/entries/{eid}", carbon_entries_get, 0},
    {"DELETE", "/api/v1/productions/{id}/sustainability/entries/{eid}", carbon_entries_delete, 0},
    {"PUT", "/api/v1/productions/{id}/sustainability/entries/{eid}/evidence", carbon_evidence_put,
     ROUTE_UPLOAD},
    {"GET", "/api/v1/productions/{id}/sustainability/entries/{eid}/evidence", carbon_evidence_get,
     0},
    {"POST", "/api/v1/productions/{id}/sustainability/import", carbon_import, ROUTE_IMPORT},
    {"POST", "/api/v1/productions/{id}/sustainability/recalculate", carbon_recalculate,
     ROUTE_JSON_BODY},
    {"GET", "/api/v1/productions/{id}/sustainability/report", carbon_report_get, 0},
    {"POST", "/api/v1/invitations/accept", invitations_accept, ROUTE_PUBLIC | ROUTE_JSON_BODY},
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
    {attachments_upload, attachments_upload_head},
    {carbon_evidence_put, carbon_evidence_head},
    {carbon_import, carbon_import_head},
    {productions_import, productions_import_head},
};

int
api_route_checks_head(const struct route *rt)
{
	for (size_t i = 0; i < nitems(head_checks); i++)
		if (head_checks[i].handler == rt->handler)
			return 1;
	return 0;
}

int
api_before_body(struct http_req *r)
{
	for (size_t i = 0; i < nitems(head_checks); i++)
		if (head_checks[i].handler == r->match.route->handler)
			return head_checks[i].check(r);
	if (r->match.route->flags & (ROUTE_UPLOAD | ROUTE_IMPORT)) {
		http_problem(r, 500, "this upload cannot be accepted"); /* fail closed */
		return -1;
	}
	return 0;
}

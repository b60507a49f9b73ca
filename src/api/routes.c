/*
 * routes.c — every address Slate answers, in one table. The router, the
 * metrics and the docs all read this table; nothing else lists routes.
 */
#include "api/api.h"

const struct route api_routes[] = {
    {"GET", "/healthz", health_live, ROUTE_PUBLIC},
    {"GET", "/readyz", health_ready, ROUTE_PUBLIC},
    {"GET", "/.well-known/security.txt", health_security_txt, ROUTE_PUBLIC},
    {"GET", "/security-policy", health_security_policy, ROUTE_PUBLIC},
    {"GET", "/metrics", health_metrics, ROUTE_PUBLIC},
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
    {"GET", "/api/v1/productions", productions_list, 0},
    {"GET", "/api/v1/productions/{id}", productions_get, 0},
    {"PATCH", "/api/v1/productions/{id}", productions_update, ROUTE_JSON_BODY},
    {"GET", "/api/v1/productions/{id}/members", members_list, 0},
    {"POST", "/api/v1/productions/{id}/attachments", attachments_upload, ROUTE_UPLOAD},
    {"GET", "/api/v1/productions/{id}/attachments", attachments_list, 0},
    {"GET", "/api/v1/productions/{id}/attachments/{aid}", attachments_download, 0},
    {"POST", "/api/v1/productions/{id}/members", members_add, ROUTE_JSON_BODY},
    {"PATCH", "/api/v1/productions/{id}/members/{mid}", members_update, ROUTE_JSON_BODY},
    {"POST", "/api/v1/productions/{id}/members/{mid}/revoke", members_revoke, 0},
    {"POST", "/api/v1/productions/{id}/members/{mid}/reinstate", members_reinstate, 0},
    {"POST", "/api/v1/productions/{id}/invitations", invitations_create, ROUTE_JSON_BODY},
    {"GET", "/api/v1/productions/{id}/invitations", invitations_list, 0},
    {"POST", "/api/v1/invitations/accept", invitations_accept, ROUTE_PUBLIC | ROUTE_JSON_BODY},
};

const size_t api_nroutes = sizeof(api_routes) / sizeof(api_routes[0]);

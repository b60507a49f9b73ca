/*
 * api.h — the route table and the handlers behind it.
 */
#ifndef SLATE_API_API_H
#define SLATE_API_API_H

#include <stddef.h>

#include "http/router.h"
#include "http/server.h"

extern const struct route api_routes[];
extern const size_t api_nroutes;

void health_live(struct http_req *r);
void health_ready(struct http_req *r);
void health_security_txt(struct http_req *r);
void health_security_policy(struct http_req *r);
void health_metrics(struct http_req *r);
void auth_login(struct http_req *r);
void auth_logout(struct http_req *r);
void reset_request(struct http_req *r);
void reset_complete(struct http_req *r);
void me_get(struct http_req *r);
void tokens_create(struct http_req *r);
void tokens_list(struct http_req *r);
void tokens_revoke(struct http_req *r);
void admin_users(struct http_req *r);
void admin_user_sessions(struct http_req *r);
void admin_user_sessions_end(struct http_req *r);
void admin_sessions_end_all(struct http_req *r);
void mfa_totp_begin(struct http_req *r);
void mfa_totp_confirm(struct http_req *r);
void mfa_totp_disable(struct http_req *r);
void productions_create(struct http_req *r);
void productions_list(struct http_req *r);
void productions_get(struct http_req *r);
void productions_update(struct http_req *r);
void members_list(struct http_req *r);
void members_add(struct http_req *r);
void members_update(struct http_req *r);
void members_revoke(struct http_req *r);
void members_reinstate(struct http_req *r);
void invitations_create(struct http_req *r);
void invitations_list(struct http_req *r);
void invitations_accept(struct http_req *r);
void me_password(struct http_req *r);
void me_sessions_list(struct http_req *r);
void me_sessions_end_all(struct http_req *r);
void me_sessions_end_one(struct http_req *r);

#endif

/*
 * api.h — the route table and the handlers behind it.
 */
#ifndef SLATE_API_API_H
#define SLATE_API_API_H

#include <stddef.h>

#include "domain/policy.h"
#include "http/router.h"
#include "http/server.h"
#include "store/store.h"

/* What the caller may do in one production (api/productions.c). */
struct api_access {
	struct store_production production;
	struct store_membership me; /* valid when member */
	int member;
	int instance_admin;
};
/* Loads production {id} and the caller's standing in it; answers and returns -1 when refused. */
int api_production_access(struct http_req *r, struct api_access *a);
/* The caller's scope for resource × action, counting the instance admin's member right. */
enum policy_scope api_scope(const struct api_access *a, enum policy_resource res,
                            enum policy_action act);
/* Logs e and answers 503. */
void api_unavailable(struct http_req *r, const struct err *e);

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
void attachments_upload(struct http_req *r);
void attachments_list(struct http_req *r);
void attachments_download(struct http_req *r);

#endif

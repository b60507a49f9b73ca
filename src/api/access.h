/*
 * access.h — the caller's standing in a production (api/access.c): whether
 * they belong to it, with which membership, and the scope the role matrix
 * (domain/policy.h) gives them for a resource and action.
 */
#ifndef SLATE_API_ACCESS_H
#define SLATE_API_ACCESS_H

#include "domain/policy.h"
#include "http/server.h"
#include "store/store.h"

/* What the caller may do in one production (api/access.c). */
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

#endif

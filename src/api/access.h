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
/*
 * A production's end (api/closing.c): whether the caller still reads it at
 * now. Leaders (production:write over all of it: production admins,
 * producers, the instance administrator) read it until its rows are gone;
 * everyone else reads an archived production for read_days after it was
 * archived, and a closed one never. 1 reads, 0 not.
 */
int api_end_reads(const struct api_access *a, long read_days, long long now);
/*
 * The one gate of an archived or closed production, for every production
 * route (api_reader_load, cached reader or not): 403 when the caller no
 * longer reads it (api_end_reads), else 409 for a write (any method but GET
 * and HEAD) unless its route declares end_ok. 0 passes, -1 after answering.
 */
int api_production_end_check(struct http_req *r, const struct api_access *a);
/* The caller's scope for resource × action, counting the instance admin's member right. */
enum policy_scope api_scope(const struct api_access *a, enum policy_resource res,
                            enum policy_action act);

#endif

/*
 * members.h — the rules for changing who belongs to a production, shared
 * by the API (api/productions.c) and the shell (cli/member.c).
 *
 * - A role is one of the policy's roles; a department head needs a
 *   department; a department must be one of the production's.
 * - A production never loses its last live production admin or producer.
 * - When a revocation leaves a person with no live membership anywhere,
 *   their sessions end too (instance administrators keep theirs).
 *
 * Every function runs in one write transaction and fills e with the HTTP
 * status to answer (400 with e->field naming the input, 404, 409, 503).
 */
#ifndef SLATE_DOMAIN_MEMBERS_H
#define SLATE_DOMAIN_MEMBERS_H

#include "store/store.h"
#include "util/err.h"

/*
 * Checks role and department for this production; fills dep_id with the
 * department's id ("" for none). 400 with e->field on a bad value.
 */
int members_check_role(struct store *s, const char *production_id, const char *role,
                       const char *department, char dep_id[STORE_ID_LEN + 8], struct err *e);

/*
 * What runs inside a write's transaction, after the change and before the
 * commit (its audit event): fn returns 0, or -1 with e set, which rolls the
 * change back. NULL: nothing.
 */
struct members_then {
	int (*fn)(void *arg, const struct store_membership *m, struct err *e);
	void *arg;
};

/* Adds the account with that email; out is the new membership. */
int members_add_one(struct store *s, const char *production_id, const char *email, const char *role,
                    const char *department, struct store_membership *out,
                    const struct members_then *then, struct err *e);
/*
 * Changes role and/or department of member_id (by membership id, or by the
 * member's email when by_email). role NULL keeps it; department NULL keeps
 * it and "" clears it.
 */
int members_change(struct store *s, const char *production_id, const char *member, int by_email,
                   const char *role, const char *department, struct store_membership *out,
                   const struct members_then *then, struct err *e);
/* Revokes (revoke != 0) or reinstates; *sessions_ended tells whether sessions ended. */
int members_set_revoked(struct store *s, const char *production_id, const char *member,
                        int by_email, int revoke, int *sessions_ended, struct store_membership *out,
                        const struct members_then *then, struct err *e);

#endif

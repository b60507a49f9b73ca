/*
 * members.c — see members.h.
 */
#include "domain/members.h"

#include <string.h>
#include <time.h>

#include "domain/policy.h"

static int
is_leader(const char *role)
{
	return strcmp(role, "production_admin") == 0 || strcmp(role, "producer") == 0;
}

/* Validates role and department; fills dep_id ("" for none). */
int
members_check_role(struct store *s, const char *production_id, const char *role,
                   const char *department, char dep_id[STORE_ID_LEN + 8], struct err *e)
{
	enum policy_role pr = POLICY_ROLE_COUNT;
	int found;

	dep_id[0] = '\0';
	if (policy_role_parse(role, &pr) == -1)
		return err_field(
		    e, 400, "/role",
		    "must be production_admin, producer, ad, department_head, crew or cast");
	if (department == NULL || department[0] == '\0') {
		if (pr == POLICY_ROLE_DEPARTMENT_HEAD)
			return err_field(e, 400, "/department", "is required for department_head");
		return 0;
	}
	found = store_department_find(s, production_id, department, dep_id, STORE_ID_LEN + 8, e);
	if (found == 0)
		return err_field(e, 400, "/department", "is not a department of this production");
	return found == 1 ? 0 : -1;
}

/* Refuses a change that would leave no live production admin or producer. */
static int
keep_a_leader(struct store *s, const struct store_membership *target, const char *new_role,
              int revoking, struct err *e)
{
	long n = 0;
	if (target->revoked || !is_leader(target->role) || (!revoking && is_leader(new_role)))
		return 0;
	if (store_membership_leaders(s, target->production_id, &n, e) == -1)
		return -1;
	if (n <= 1)
		return err_set(e, 409,
		               "a production keeps at least one production admin or producer");
	return 0;
}

static int
find(struct store *s, const char *production_id, const char *member, int by_email,
     struct store_membership *out, struct err *e)
{
	int found;
	if (by_email) {
		struct store_user u;
		found = store_user_by_email(s, member, &u, e);
		if (found == 1)
			found = store_membership_of(s, production_id, u.id, out, e);
	} else {
		found = store_membership_get(s, production_id, member, out, e);
	}
	if (found == 1)
		return 0;
	if (found == 0)
		err_set(e, 404, "there is no such member in this production");
	return -1;
}

static int
finish(struct store *s, int rc, const struct members_then *then, const struct store_membership *out,
       struct err *e)
{
	if (rc == 0 && then != NULL && then->fn(then->arg, out, e) == -1)
		rc = -1;
	if (rc == 0 && store_commit(s, e) == 0)
		return 0;
	store_rollback(s);
	return -1;
}

int
members_add_one(struct store *s, const char *production_id, const char *email, const char *role,
                const char *department, struct store_membership *out,
                const struct members_then *then, struct err *e)
{
	char dep[STORE_ID_LEN + 8], mid[STORE_ID_LEN + 8];
	struct store_user u;
	int rc = -1, found;

	if (store_begin(s, e) == -1)
		return -1;
	if (members_check_role(s, production_id, role, department, dep, e) == -1)
		goto out;
	if ((found = store_user_by_email(s, email, &u, e)) == 0)
		err_field(e, 404, "/email", "has no account; invite them instead");
	if (found != 1)
		goto out;
	if (store_membership_add(s, production_id, u.id, role, dep[0] ? dep : NULL, mid,
	                         sizeof(mid), e) == -1 ||
	    store_membership_get(s, production_id, mid, out, e) != 1)
		goto out;
	rc = 0;
out:
	return finish(s, rc, then, out, e);
}

int
members_change(struct store *s, const char *production_id, const char *member, int by_email,
               const char *role, const char *department, struct store_membership *out,
               const struct members_then *then, struct err *e)
{
	char dep[STORE_ID_LEN + 8];
	struct store_membership m;
	int rc = -1;

	if (store_begin(s, e) == -1)
		return -1;
	if (find(s, production_id, member, by_email, &m, e) == -1)
		goto out;
	if (role == NULL)
		role = m.role;
	if (department == NULL)
		department = m.department;
	if (members_check_role(s, production_id, role, department, dep, e) == -1 ||
	    keep_a_leader(s, &m, role, 0, e) == -1 ||
	    store_membership_set(s, m.id, role, dep[0] ? dep : NULL, e) == -1 ||
	    store_membership_get(s, production_id, m.id, out, e) != 1)
		goto out;
	rc = 0;
out:
	return finish(s, rc, then, out, e);
}

int
members_set_revoked(struct store *s, const char *production_id, const char *member, int by_email,
                    int revoke, int *sessions_ended, struct store_membership *out,
                    const struct members_then *then, struct err *e)
{
	struct store_membership m;
	long live = 0;
	int rc = -1;

	*sessions_ended = 0;
	if (store_begin(s, e) == -1)
		return -1;
	if (find(s, production_id, member, by_email, &m, e) == -1 ||
	    (revoke && keep_a_leader(s, &m, m.role, 1, e) == -1) ||
	    store_membership_revoke(s, m.id, revoke, e) == -1 ||
	    store_membership_count(s, m.user.id, &live, e) == -1)
		goto out;
	if (revoke && live == 0 && !m.user.is_instance_admin) {
		if (store_session_revoke_all(s, m.user.id, NULL, (long long)time(NULL), e) == -1)
			goto out;
		*sessions_ended = 1;
	}
	if (store_membership_get(s, production_id, m.id, out, e) != 1)
		goto out;
	rc = 0;
out:
	return finish(s, rc, then, out, e);
}

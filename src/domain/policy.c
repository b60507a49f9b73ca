/*
 * policy.c — the role matrix, and the three-line evaluation of a scope.
 *
 * `rules` below is the access policy of Slate. It is indexed by resource and
 * action, and each entry lists the scope of every role in the order of enum
 * policy_role: production_admin, producer, ad, department_head, crew, cast.
 * docs/ROLES.md is the same table written out for people, one markdown table
 * per action, and tests/unit/domain/test_policy.c fails when the two differ in
 * any cell, row or column. Change both together.
 *
 * Invariants the layout keeps:
 *
 *   - An entry the table does not mention is zero: `defined` 0 and every
 *     scope POLICY_SCOPE_NONE (asserted to be 0). Forgetting a rule refuses;
 *     it never grants.
 *   - Entries use designated initializers, so a resource × action written
 *     twice is a compile error (-Woverride-init under -Wextra -Werror), not a
 *     silent shadowing of one rule by another.
 *   - RULE takes its six scopes in enum order, asserted below, so reordering
 *     the roles cannot quietly move a grant to another role.
 *   - The name tables are indexed by the enums too, and their sizes are
 *     asserted; the unit test round-trips every name.
 *
 * Data rules that depend on a record's contents (a confidential location's
 * address stays hidden below ad until a call sheet using it is published;
 * another production's ids answer 404) are applied by the callers on top of
 * this table. This file only narrows: nothing here widens what the table says.
 *
 * Memory: everything here is static and constant. policy_allows reads the
 * caller's strings during the call and keeps nothing.
 */
#include "domain/policy.h"

#include <stddef.h>
#include <string.h>

struct rule {
	unsigned char defined;
	enum policy_scope by_role[POLICY_ROLE_COUNT];
};

_Static_assert(POLICY_SCOPE_NONE == 0, "an entry the table leaves out must mean none");
_Static_assert(POLICY_ROLE_PRODUCTION_ADMIN == 0 && POLICY_ROLE_PRODUCER == 1 &&
                   POLICY_ROLE_AD == 2 && POLICY_ROLE_DEPARTMENT_HEAD == 3 &&
                   POLICY_ROLE_CREW == 4 && POLICY_ROLE_CAST == 5 && POLICY_ROLE_COUNT == 6,
               "RULE lists scopes in this role order");

/* clang-format off */
#define RULE(admin, producer, ad, head, crew, cast) {1, {admin, producer, ad, head, crew, cast}}
#define N POLICY_SCOPE_NONE
#define S POLICY_SCOPE_SELF
#define C POLICY_SCOPE_CALLED
#define D POLICY_SCOPE_DEPARTMENT
#define A POLICY_SCOPE_ALL

static const struct rule rules[POLICY_RESOURCE_COUNT][POLICY_ACTION_COUNT] = {
	/* [resource][action] = RULE(production_admin, producer, ad, department_head, crew, cast) */
	[POLICY_RESOURCE_PRODUCTION][POLICY_ACTION_READ]             = RULE(A, A, A, A, A, A),
	[POLICY_RESOURCE_PRODUCTION][POLICY_ACTION_WRITE]            = RULE(A, A, N, N, N, N),

	[POLICY_RESOURCE_MEMBER][POLICY_ACTION_READ]                 = RULE(A, A, A, D, S, S),
	[POLICY_RESOURCE_MEMBER][POLICY_ACTION_WRITE]                = RULE(A, A, N, N, N, N),

	[POLICY_RESOURCE_PERSON][POLICY_ACTION_READ]                 = RULE(A, A, A, A, A, S),
	[POLICY_RESOURCE_PERSON][POLICY_ACTION_WRITE]                = RULE(A, A, A, D, S, S),

	[POLICY_RESOURCE_PERSON_WORK_CONTACT][POLICY_ACTION_READ]    = RULE(A, A, A, D, D, S),
	[POLICY_RESOURCE_PERSON_WORK_CONTACT][POLICY_ACTION_WRITE]   = RULE(A, A, A, D, S, S),

	[POLICY_RESOURCE_PERSON_PERSONAL_PHONE][POLICY_ACTION_READ]  = RULE(A, A, A, D, S, S),
	[POLICY_RESOURCE_PERSON_PERSONAL_PHONE][POLICY_ACTION_WRITE] = RULE(A, A, S, S, S, S),

	[POLICY_RESOURCE_PERSON_PRIVATE][POLICY_ACTION_READ]         = RULE(A, A, S, S, S, S),
	[POLICY_RESOURCE_PERSON_PRIVATE][POLICY_ACTION_WRITE]        = RULE(A, A, S, S, S, S),

	[POLICY_RESOURCE_KEY_CONTACT][POLICY_ACTION_READ]            = RULE(A, A, A, A, A, A),
	[POLICY_RESOURCE_KEY_CONTACT][POLICY_ACTION_WRITE]           = RULE(A, A, A, N, N, N),

	[POLICY_RESOURCE_LOCATION][POLICY_ACTION_READ]               = RULE(A, A, A, A, C, C),
	[POLICY_RESOURCE_LOCATION][POLICY_ACTION_WRITE]              = RULE(A, A, A, N, N, N),

	[POLICY_RESOURCE_LOCATION_ADDRESS][POLICY_ACTION_READ]       = RULE(A, A, A, A, C, C),
	[POLICY_RESOURCE_LOCATION_ADDRESS][POLICY_ACTION_WRITE]      = RULE(A, A, A, N, N, N),

	[POLICY_RESOURCE_SCHEDULE][POLICY_ACTION_READ]               = RULE(A, A, A, A, C, C),
	[POLICY_RESOURCE_SCHEDULE][POLICY_ACTION_WRITE]              = RULE(A, A, A, N, N, N),

	[POLICY_RESOURCE_SCENE_SYNOPSIS][POLICY_ACTION_READ]         = RULE(A, A, A, A, N, C),
	[POLICY_RESOURCE_SCENE_SYNOPSIS][POLICY_ACTION_WRITE]        = RULE(A, A, A, N, N, N),

	[POLICY_RESOURCE_CALL][POLICY_ACTION_READ]                   = RULE(A, A, A, D, S, S),
	[POLICY_RESOURCE_CALL][POLICY_ACTION_WRITE]                  = RULE(A, A, A, D, N, N),

	[POLICY_RESOURCE_CALLSHEET][POLICY_ACTION_READ]              = RULE(A, A, A, A, C, C),
	[POLICY_RESOURCE_CALLSHEET][POLICY_ACTION_WRITE]             = RULE(A, A, A, N, N, N),
	[POLICY_RESOURCE_CALLSHEET][POLICY_ACTION_PUBLISH]           = RULE(A, A, A, N, N, N),

	[POLICY_RESOURCE_CALLSHEET_ACK][POLICY_ACTION_READ]          = RULE(A, A, A, D, S, S),
	[POLICY_RESOURCE_CALLSHEET_ACK][POLICY_ACTION_WRITE]         = RULE(S, S, S, S, S, S),

	[POLICY_RESOURCE_SUSTAINABILITY][POLICY_ACTION_READ]         = RULE(A, A, N, D, N, N),
	[POLICY_RESOURCE_SUSTAINABILITY][POLICY_ACTION_WRITE]        = RULE(A, A, N, D, N, N),
	/* Crew and cast: only while the production shares its totals (api/sustainability.c). */
	[POLICY_RESOURCE_SUSTAINABILITY_TOTALS][POLICY_ACTION_READ]  = RULE(A, A, A, D, A, A),

	/* Only Slate writes the audit log; the rule is here so nobody adds a grant by accident. */
	[POLICY_RESOURCE_AUDIT][POLICY_ACTION_READ]                  = RULE(A, A, N, N, N, N),
	[POLICY_RESOURCE_AUDIT][POLICY_ACTION_WRITE]                 = RULE(N, N, N, N, N, N),

	/* An export is only read: everything, or the person's own data. */
	[POLICY_RESOURCE_EXPORT][POLICY_ACTION_READ]                 = RULE(A, A, S, S, S, S),

	[POLICY_RESOURCE_ATTACHMENT][POLICY_ACTION_READ]             = RULE(A, A, A, A, N, N),
	[POLICY_RESOURCE_ATTACHMENT][POLICY_ACTION_WRITE]            = RULE(A, A, A, N, N, N),
};
/* clang-format on */

#undef N
#undef S
#undef C
#undef D
#undef A
#undef RULE

static const char *const role_names[POLICY_ROLE_COUNT] = {
    [POLICY_ROLE_PRODUCTION_ADMIN] = "production_admin",
    [POLICY_ROLE_PRODUCER] = "producer",
    [POLICY_ROLE_AD] = "ad",
    [POLICY_ROLE_DEPARTMENT_HEAD] = "department_head",
    [POLICY_ROLE_CREW] = "crew",
    [POLICY_ROLE_CAST] = "cast",
};

static const char *const resource_names[POLICY_RESOURCE_COUNT] = {
    [POLICY_RESOURCE_PRODUCTION] = "production",
    [POLICY_RESOURCE_MEMBER] = "member",
    [POLICY_RESOURCE_PERSON] = "person",
    [POLICY_RESOURCE_PERSON_WORK_CONTACT] = "person_work_contact",
    [POLICY_RESOURCE_PERSON_PERSONAL_PHONE] = "person_personal_phone",
    [POLICY_RESOURCE_PERSON_PRIVATE] = "person_private",
    [POLICY_RESOURCE_KEY_CONTACT] = "key_contact",
    [POLICY_RESOURCE_LOCATION] = "location",
    [POLICY_RESOURCE_LOCATION_ADDRESS] = "location_address",
    [POLICY_RESOURCE_SCHEDULE] = "schedule",
    [POLICY_RESOURCE_SCENE_SYNOPSIS] = "scene_synopsis",
    [POLICY_RESOURCE_CALL] = "call",
    [POLICY_RESOURCE_CALLSHEET] = "callsheet",
    [POLICY_RESOURCE_CALLSHEET_ACK] = "callsheet_ack",
    [POLICY_RESOURCE_SUSTAINABILITY] = "sustainability",
    [POLICY_RESOURCE_SUSTAINABILITY_TOTALS] = "sustainability_totals",
    [POLICY_RESOURCE_AUDIT] = "audit",
    [POLICY_RESOURCE_EXPORT] = "export",
    [POLICY_RESOURCE_ATTACHMENT] = "attachment",
};

static const char *const action_names[POLICY_ACTION_COUNT] = {
    [POLICY_ACTION_READ] = "read",
    [POLICY_ACTION_WRITE] = "write",
    [POLICY_ACTION_PUBLISH] = "publish",
};

static const char *const scope_names[POLICY_SCOPE_COUNT] = {
    [POLICY_SCOPE_NONE] = "none",     [POLICY_SCOPE_SELF] = "self",
    [POLICY_SCOPE_CALLED] = "called", [POLICY_SCOPE_DEPARTMENT] = "department",
    [POLICY_SCOPE_ALL] = "all",
};

/* Enums may be signed or unsigned underneath; an out-of-range value of either kind is unknown. */
static int
known(unsigned v, unsigned count)
{
	return v < count;
}

static const struct rule *
rule_for(enum policy_resource res, enum policy_action act)
{
	if (!known((unsigned)res, POLICY_RESOURCE_COUNT) ||
	    !known((unsigned)act, POLICY_ACTION_COUNT))
		return NULL;
	if (!rules[res][act].defined)
		return NULL;
	return &rules[res][act];
}

enum policy_scope
policy_scope(enum policy_role role, enum policy_resource res, enum policy_action act)
{
	const struct rule *r = rule_for(res, act);

	if (r == NULL || !known((unsigned)role, POLICY_ROLE_COUNT))
		return POLICY_SCOPE_NONE;
	return r->by_role[role];
}

int
policy_applies(enum policy_resource res, enum policy_action act)
{
	return rule_for(res, act) != NULL;
}

/* Two ids name the same thing only when both are present and non-empty. */
static int
same_id(const char *a, const char *b)
{
	return a != NULL && b != NULL && a[0] != '\0' && strcmp(a, b) == 0;
}

int
policy_allows(enum policy_role role, enum policy_resource res, enum policy_action act,
              const struct policy_subject *who, const struct policy_object *what)
{
	if (who == NULL || what == NULL)
		return 0;
	switch (policy_scope(role, res, act)) {
	case POLICY_SCOPE_ALL: return 1;
	case POLICY_SCOPE_SELF: return same_id(who->person_id, what->person_id);
	case POLICY_SCOPE_DEPARTMENT: return same_id(who->department_id, what->department_id);
	case POLICY_SCOPE_CALLED: return what->subject_is_called != 0;
	case POLICY_SCOPE_NONE:
	case POLICY_SCOPE_COUNT: break;
	}
	return 0;
}

static const char *
name_of(const char *const *names, unsigned count, unsigned v)
{
	return known(v, count) && names[v] != NULL ? names[v] : "?";
}

/* The index of s in names, or -1. */
static int
index_of(const char *const *names, unsigned count, const char *s)
{
	if (s == NULL)
		return -1;
	for (unsigned i = 0; i < count; i++)
		if (names[i] != NULL && strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

const char *
policy_role_name(enum policy_role r)
{
	return name_of(role_names, POLICY_ROLE_COUNT, (unsigned)r);
}

const char *
policy_resource_name(enum policy_resource r)
{
	return name_of(resource_names, POLICY_RESOURCE_COUNT, (unsigned)r);
}

const char *
policy_action_name(enum policy_action a)
{
	return name_of(action_names, POLICY_ACTION_COUNT, (unsigned)a);
}

const char *
policy_scope_name(enum policy_scope s)
{
	return name_of(scope_names, POLICY_SCOPE_COUNT, (unsigned)s);
}

int
policy_role_parse(const char *s, enum policy_role *out)
{
	int i = index_of(role_names, POLICY_ROLE_COUNT, s);

	if (i == -1 || out == NULL)
		return -1;
	*out = (enum policy_role)i;
	return 0;
}

int
policy_resource_parse(const char *s, enum policy_resource *out)
{
	int i = index_of(resource_names, POLICY_RESOURCE_COUNT, s);

	if (i == -1 || out == NULL)
		return -1;
	*out = (enum policy_resource)i;
	return 0;
}

int
policy_action_parse(const char *s, enum policy_action *out)
{
	int i = index_of(action_names, POLICY_ACTION_COUNT, s);

	if (i == -1 || out == NULL)
		return -1;
	*out = (enum policy_action)i;
	return 0;
}

int
policy_scope_parse(const char *s, enum policy_scope *out)
{
	int i = index_of(scope_names, POLICY_SCOPE_COUNT, s);

	if (i == -1 || out == NULL)
		return -1;
	*out = (enum policy_scope)i;
	return 0;
}

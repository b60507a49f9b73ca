/*
 * policy.h — who may do what in a production: the role matrix.
 *
 * One table (policy.c) maps role × resource × action to a scope. It is the
 * single source of truth: docs/ROLES.md shows it, tests/unit/domain/
 * test_policy.c checks that document against this table cell by cell, and
 * the API asks this table on every request. Pure code: no I/O.
 *
 * Scopes: none; self (the person's own record); called (days the person is
 * called on); department (the person's own department); all. Anything not
 * in the table is none, and unknown values are refused.
 */
#ifndef SLATE_DOMAIN_POLICY_H
#define SLATE_DOMAIN_POLICY_H

enum policy_role {
	POLICY_ROLE_PRODUCTION_ADMIN,
	POLICY_ROLE_PRODUCER,
	POLICY_ROLE_AD,
	POLICY_ROLE_DEPARTMENT_HEAD,
	POLICY_ROLE_CREW,
	POLICY_ROLE_CAST,
	POLICY_ROLE_COUNT
};

enum policy_resource {
	POLICY_RESOURCE_PRODUCTION,
	POLICY_RESOURCE_MEMBER,
	POLICY_RESOURCE_PERSON,
	POLICY_RESOURCE_PERSON_WORK_CONTACT,
	POLICY_RESOURCE_PERSON_PERSONAL_PHONE,
	POLICY_RESOURCE_PERSON_PRIVATE,
	POLICY_RESOURCE_KEY_CONTACT,
	POLICY_RESOURCE_LOCATION,
	POLICY_RESOURCE_LOCATION_ADDRESS,
	POLICY_RESOURCE_SCHEDULE,
	POLICY_RESOURCE_SCENE_SYNOPSIS,
	POLICY_RESOURCE_CALL,
	POLICY_RESOURCE_CALLSHEET,
	POLICY_RESOURCE_CALLSHEET_ACK,
	POLICY_RESOURCE_SUSTAINABILITY,
	POLICY_RESOURCE_AUDIT,
	POLICY_RESOURCE_EXPORT,
	POLICY_RESOURCE_COUNT
};

enum policy_action {
	POLICY_ACTION_READ,
	POLICY_ACTION_WRITE,
	POLICY_ACTION_PUBLISH,
	POLICY_ACTION_COUNT
};

enum policy_scope {
	POLICY_SCOPE_NONE,
	POLICY_SCOPE_SELF,
	POLICY_SCOPE_CALLED,
	POLICY_SCOPE_DEPARTMENT,
	POLICY_SCOPE_ALL,
	POLICY_SCOPE_COUNT
};

enum policy_scope policy_scope(enum policy_role role, enum policy_resource res,
                               enum policy_action act);

/* Who asks, and about what. NULL ids never match. */
struct policy_subject {
	const char *person_id;
	const char *department_id;
};
struct policy_object {
	const char *person_id;
	const char *department_id;
	int subject_is_called; /* the asking person is called on the object's day */
};

/* 1 when role may act on the object for that subject. */
int policy_allows(enum policy_role role, enum policy_resource res, enum policy_action act,
                  const struct policy_subject *who, const struct policy_object *what);

const char *policy_role_name(enum policy_role r);
const char *policy_resource_name(enum policy_resource r);
const char *policy_action_name(enum policy_action a);
const char *policy_scope_name(enum policy_scope s);
int policy_role_parse(const char *s, enum policy_role *out);
int policy_resource_parse(const char *s, enum policy_resource *out);
int policy_action_parse(const char *s, enum policy_action *out);
int policy_scope_parse(const char *s, enum policy_scope *out);

#endif

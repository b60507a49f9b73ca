/*
 * policy.h — who may do what in a production: the role matrix.
 *
 * One table (policy.c) maps role × resource × action to a scope. It is the
 * single source of truth: docs/ROLES.md shows it to people,
 * tests/unit/domain/test_policy.c checks that document against this table
 * cell by cell, and the API asks this table on every request. Pure code: no
 * I/O, no allocation.
 *
 * A role is what a person holds in one production (their membership).
 * Instance administrators run the installation; that is not a production role
 * and is not in this table.
 *
 * A scope says which records of a resource the role reaches:
 *
 *   none        never
 *   self        records about the asking person: their own entry, their own
 *               calls, their own membership, their own acknowledgements
 *   called      records that belong to days the asking person is called on
 *   department  records in the asking person's own department
 *   all         the whole production
 *
 * Not every action applies to every resource: only call sheets are published,
 * an export is only read. policy_applies() says which pairs the table defines;
 * for any other pair every role's scope is none.
 *
 * Refusal is the default. Unknown roles, resources, actions and scopes, NULL
 * arguments, and NULL or empty ids all deny; two missing ids are never "the
 * same person" or "the same department".
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
	POLICY_RESOURCE_PRODUCTION,          /* the production record and settings */
	POLICY_RESOURCE_MEMBER,              /* memberships: who, which role, which department */
	POLICY_RESOURCE_PERSON,              /* directory entry: name, department, job, character */
	POLICY_RESOURCE_PERSON_WORK_CONTACT, /* work phone and email */
	POLICY_RESOURCE_PERSON_PERSONAL_PHONE, /* personal phone and email */
	POLICY_RESOURCE_PERSON_PRIVATE,   /* address, emergency contact, birth date, health, ids */
	POLICY_RESOURCE_KEY_CONTACT,      /* the key contacts printed on call sheets */
	POLICY_RESOURCE_LOCATION,         /* name, parking, nearest hospital */
	POLICY_RESOURCE_LOCATION_ADDRESS, /* address, coordinates, access notes */
	POLICY_RESOURCE_SCHEDULE,         /* shoot days, scenes, day order */
	POLICY_RESOURCE_SCENE_SYNOPSIS,   /* what happens in a scene */
	POLICY_RESOURCE_CALL,             /* per-person call times */
	POLICY_RESOURCE_CALLSHEET,        /* published call sheets */
	POLICY_RESOURCE_CALLSHEET_ACK,    /* who has acknowledged a call sheet */
	POLICY_RESOURCE_SUSTAINABILITY,   /* activity entries, evidence, own factors */
	POLICY_RESOURCE_SUSTAINABILITY_TOTALS, /* carbon reports: totals, never entries */
	POLICY_RESOURCE_AUDIT,                 /* the production's audit log */
	POLICY_RESOURCE_EXPORT,                /* whole-production export */
	POLICY_RESOURCE_ATTACHMENT,            /* uploaded files (stored encrypted) */
	POLICY_RESOURCE_COUNT
};

enum policy_action {
	POLICY_ACTION_READ,
	POLICY_ACTION_WRITE, /* create, update, delete */
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

/* The scope role has for act on res; POLICY_SCOPE_NONE for anything unknown. */
enum policy_scope policy_scope(enum policy_role role, enum policy_resource res,
                               enum policy_action act);

/* 1 when the table has a rule for res × act (the action exists for it), else 0. */
int policy_applies(enum policy_resource res, enum policy_action act);

/* Who asks. The strings are borrowed for the call only. */
struct policy_subject {
	const char *person_id;
	const char *department_id;
};

/* What they ask about: the person and department the record belongs to. */
struct policy_object {
	const char *person_id;
	const char *department_id;
	int subject_is_called; /* the asking person is called on the record's day */
};

/*
 * 1 when role may do act on what for who, else 0. The scope decides:
 * all → 1; none → 0; self → both person ids set and equal; department → both
 * department ids set and equal; called → what->subject_is_called.
 */
int policy_allows(enum policy_role role, enum policy_resource res, enum policy_action act,
                  const struct policy_subject *who, const struct policy_object *what);

/* Names as the API, the database and docs/ROLES.md spell them; "?" when out of range. */
const char *policy_role_name(enum policy_role r);
const char *policy_resource_name(enum policy_resource r);
const char *policy_action_name(enum policy_action a);
const char *policy_scope_name(enum policy_scope s);

/* Exact, case-sensitive names back to values: 0, or -1 (out untouched) when unknown. */
int policy_role_parse(const char *s, enum policy_role *out);
int policy_resource_parse(const char *s, enum policy_resource *out);
int policy_action_parse(const char *s, enum policy_action *out);
int policy_scope_parse(const char *s, enum policy_scope *out);

#endif

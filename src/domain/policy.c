/*
 * policy.c — the role matrix. See policy.h; docs/ROLES.md is this table
 * written out for people, and a test keeps the two equal.
 *
 * Each rule gives one resource × action the scope of every role, in the
 * order production_admin, producer, ad, department_head, crew, cast.
 */
#include "domain/policy.h"

#include <string.h>

#define N POLICY_SCOPE_NONE
#define S POLICY_SCOPE_SELF
#define C POLICY_SCOPE_CALLED
#define D POLICY_SCOPE_DEPARTMENT
#define A POLICY_SCOPE_ALL

struct rule {
	enum policy_resource res;
	enum policy_action act;
	enum policy_scope by_role[POLICY_ROLE_COUNT];
};

/* clang-format off */
static const struct rule rules[] = {
	/*                                                          admin prod  ad  head crew cast */
	{POLICY_RESOURCE_PRODUCTION,            POLICY_ACTION_READ,    {A, A, A, A, A, A}},
	{POLICY_RESOURCE_PRODUCTION,            POLICY_ACTION_WRITE,   {A, A, N, N, N, N}},
	{POLICY_RESOURCE_MEMBER,                POLICY_ACTION_READ,    {A, A, A, D, S, S}},
	{POLICY_RESOURCE_MEMBER,                POLICY_ACTION_WRITE,   {A, A, N, N, N, N}},
	{POLICY_RESOURCE_PERSON,                POLICY_ACTION_READ,    {A, A, A, A, A, S}},
	{POLICY_RESOURCE_PERSON,                POLICY_ACTION_WRITE,   {A, A, A, D, S, S}},
	{POLICY_RESOURCE_PERSON_WORK_CONTACT,   POLICY_ACTION_READ,    {A, A, A, D, D, S}},
	{POLICY_RESOURCE_PERSON_WORK_CONTACT,   POLICY_ACTION_WRITE,   {A, A, A, D, S, S}},
	{POLICY_RESOURCE_PERSON_PERSONAL_PHONE, POLICY_ACTION_READ,    {A, A, A, D, S, S}},
	{POLICY_RESOURCE_PERSON_PERSONAL_PHONE, POLICY_ACTION_WRITE,   {A, A, S, S, S, S}},
	{POLICY_RESOURCE_PERSON_PRIVATE,        POLICY_ACTION_READ,    {A, A, S, S, S, S}},
	{POLICY_RESOURCE_PERSON_PRIVATE,        POLICY_ACTION_WRITE,   {A, A, S, S, S, S}},
	{POLICY_RESOURCE_KEY_CONTACT,           POLICY_ACTION_READ,    {A, A, A, A, A, A}},
	{POLICY_RESOURCE_KEY_CONTACT,           POLICY_ACTION_WRITE,   {A, A, A, N, N, N}},
	{POLICY_RESOURCE_LOCATION,              POLICY_ACTION_READ,    {A, A, A, A, C, C}},
	{POLICY_RESOURCE_LOCATION,              POLICY_ACTION_WRITE,   {A, A, A, N, N, N}},
	{POLICY_RESOURCE_LOCATION_ADDRESS,      POLICY_ACTION_READ,    {A, A, A, A, C, C}},
	{POLICY_RESOURCE_LOCATION_ADDRESS,      POLICY_ACTION_WRITE,   {A, A, A, N, N, N}},
	{POLICY_RESOURCE_SCHEDULE,              POLICY_ACTION_READ,    {A, A, A, A, C, C}},
	{POLICY_RESOURCE_SCHEDULE,              POLICY_ACTION_WRITE,   {A, A, A, N, N, N}},
	{POLICY_RESOURCE_SCENE_SYNOPSIS,        POLICY_ACTION_READ,    {A, A, A, A, N, C}},
	{POLICY_RESOURCE_SCENE_SYNOPSIS,        POLICY_ACTION_WRITE,   {A, A, A, N, N, N}},
	{POLICY_RESOURCE_CALL,                  POLICY_ACTION_READ,    {A, A, A, D, S, S}},
	{POLICY_RESOURCE_CALL,                  POLICY_ACTION_WRITE,   {A, A, A, D, N, N}},
	{POLICY_RESOURCE_CALLSHEET,             POLICY_ACTION_READ,    {A, A, A, A, C, C}},
	{POLICY_RESOURCE_CALLSHEET,             POLICY_ACTION_WRITE,   {A, A, A, N, N, N}},
	{POLICY_RESOURCE_CALLSHEET,             POLICY_ACTION_PUBLISH, {A, A, A, N, N, N}},
	{POLICY_RESOURCE_CALLSHEET_ACK,         POLICY_ACTION_READ,    {A, A, A, S, S, S}},
	{POLICY_RESOURCE_CALLSHEET_ACK,         POLICY_ACTION_WRITE,   {S, S, S, S, S, S}},
	{POLICY_RESOURCE_SUSTAINABILITY,        POLICY_ACTION_READ,    {A, A, A, D, N, N}},
	{POLICY_RESOURCE_SUSTAINABILITY,        POLICY_ACTION_WRITE,   {A, A, N, D, N, N}},
	{POLICY_RESOURCE_AUDIT,                 POLICY_ACTION_READ,    {A, A, N, N, N, N}},
	{POLICY_RESOURCE_EXPORT,                POLICY_ACTION_READ,    {A, A, S, S, S, S}},
};
/* clang-format on */

static const char *const role_names[] = {"production_admin", "producer", "ad",
                                         "department_head",  "crew",     "cast"};
static const char *const resource_names[] = {
    "production",     "member",      "person",    "person_work_contact", "person_personal_phone",
    "person_private", "key_contact", "location",  "location_address",    "schedule",
    "scene_synopsis", "call",        "callsheet", "callsheet_ack",       "sustainability",
    "audit",          "export"};
static const char *const action_names[] = {"read", "write", "publish"};
static const char *const scope_names[] = {"none", "self", "called", "department", "all"};

_Static_assert(sizeof(role_names) / sizeof(role_names[0]) == POLICY_ROLE_COUNT, "roles");
_Static_assert(sizeof(resource_names) / sizeof(resource_names[0]) == POLICY_RESOURCE_COUNT,
               "resources");
_Static_assert(sizeof(action_names) / sizeof(action_names[0]) == POLICY_ACTION_COUNT, "actions");
_Static_assert(sizeof(scope_names) / sizeof(scope_names[0]) == POLICY_SCOPE_COUNT, "scopes");

enum policy_scope
policy_scope(enum policy_role role, enum policy_resource res, enum policy_action act)
{
	if ((unsigned)role >= POLICY_ROLE_COUNT || (unsigned)res >= POLICY_RESOURCE_COUNT ||
	    (unsigned)act >= POLICY_ACTION_COUNT)
		return POLICY_SCOPE_NONE;
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (rules[i].res == res && rules[i].act == act)
			return rules[i].by_role[role];
	return POLICY_SCOPE_NONE;
}

static int
same(const char *a, const char *b)
{
	return a != NULL && b != NULL && a[0] != '\0' && strcmp(a, b) == 0;
}

int
policy_allows(enum policy_role role, enum policy_resource res, enum policy_action act,
              const struct policy_subject *who, const struct policy_object *what)
{
	switch (policy_scope(role, res, act)) {
	case POLICY_SCOPE_ALL: return 1;
	case POLICY_SCOPE_SELF: return same(who->person_id, what->person_id);
	case POLICY_SCOPE_DEPARTMENT: return same(who->department_id, what->department_id);
	case POLICY_SCOPE_CALLED: return what->subject_is_called != 0;
	case POLICY_SCOPE_NONE:
	case POLICY_SCOPE_COUNT: break;
	}
	return 0;
}

static int
parse(const char *const *names, int n, const char *s, int *out)
{
	for (int i = 0; s != NULL && i < n; i++)
		if (strcmp(names[i], s) == 0) {
			*out = i;
			return 0;
		}
	return -1;
}

static const char *
name_of(const char *const *names, unsigned count, unsigned v)
{
	return v < count ? names[v] : "?";
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
	int i;
	if (parse(role_names, POLICY_ROLE_COUNT, s, &i) == -1)
		return -1;
	*out = (enum policy_role)i;
	return 0;
}

int
policy_resource_parse(const char *s, enum policy_resource *out)
{
	int i;
	if (parse(resource_names, POLICY_RESOURCE_COUNT, s, &i) == -1)
		return -1;
	*out = (enum policy_resource)i;
	return 0;
}

int
policy_action_parse(const char *s, enum policy_action *out)
{
	int i;
	if (parse(action_names, POLICY_ACTION_COUNT, s, &i) == -1)
		return -1;
	*out = (enum policy_action)i;
	return 0;
}

int
policy_scope_parse(const char *s, enum policy_scope *out)
{
	int i;
	if (parse(scope_names, POLICY_SCOPE_COUNT, s, &i) == -1)
		return -1;
	*out = (enum policy_scope)i;
	return 0;
}

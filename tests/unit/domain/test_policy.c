/*
 * The role matrix: docs/ROLES.md and src/domain/policy.c agree cell by cell,
 * and the promises people rely on hold.
 */
#include "cmocka_all.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/policy.h"

static FILE *
open_roles(void)
{
	char path[1024];
	const char *root = getenv("SLATE_ROOT");
	snprintf(path, sizeof(path), "%s/docs/ROLES.md", root ? root : ".");
	return fopen(path, "r");
}

/* Splits "| a | b | c |" into trimmed cells; returns how many. */
static int
cells(char *line, char *out[], int max)
{
	int n = 0;
	char *p = line;
	if (*p != '|')
		return 0;
	p++;
	while (n < max) {
		char *bar = strchr(p, '|');
		char *end;
		if (bar == NULL)
			break;
		*bar = '\0';
		while (*p == ' ' || *p == '`')
			p++;
		end = p + strlen(p);
		while (end > p && (end[-1] == ' ' || end[-1] == '`'))
			*--end = '\0';
		out[n++] = p;
		p = bar + 1;
	}
	return n;
}

static void
the_document_and_the_code_agree_cell_by_cell(void **state)
{
	FILE *f = open_roles();
	char line[1024];
	int seen[POLICY_RESOURCE_COUNT][POLICY_ACTION_COUNT] = {{0}};
	int action = -1;
	enum policy_role columns[POLICY_ROLE_COUNT];
	int header = 0, rows = 0;
	(void)state;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		char *c[16];
		int n;
		enum policy_action act;
		enum policy_resource res;

		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "## ", 3) == 0) {
			action = policy_action_parse(line + 3, &act) == 0 ? (int)act : -1;
			header = 0;
			continue;
		}
		if (action < 0 || (n = cells(line, c, 16)) == 0)
			continue;
		if (!header) { /* | resource | role | role | ... | */
			assert_int_equal(n, 1 + POLICY_ROLE_COUNT);
			assert_string_equal(c[0], "resource");
			for (int i = 0; i < POLICY_ROLE_COUNT; i++) {
				if (policy_role_parse(c[1 + i], &columns[i]) == -1)
					fail_msg("ROLES.md: unknown role column '%s'", c[1 + i]);
			}
			header = 1;
			continue;
		}
		if (strncmp(c[0], "---", 3) == 0)
			continue;
		if (policy_resource_parse(c[0], &res) == -1)
			fail_msg("ROLES.md: unknown resource '%s'", c[0]);
		assert_int_equal(n, 1 + POLICY_ROLE_COUNT);
		assert_int_equal(seen[res][action], 0); /* no row twice */
		seen[res][action] = 1;
		rows++;
		for (int i = 0; i < POLICY_ROLE_COUNT; i++) {
			enum policy_scope want;
			if (policy_scope_parse(c[1 + i], &want) == -1)
				fail_msg("ROLES.md: unknown scope '%s'", c[1 + i]);
			if (policy_scope(columns[i], res, (enum policy_action)action) != want)
				fail_msg(
				    "ROLES.md says %s may %s %s with scope %s; the code says %s",
				    policy_role_name(columns[i]),
				    policy_action_name((enum policy_action)action),
				    policy_resource_name(res), c[1 + i],
				    policy_scope_name(
				        policy_scope(columns[i], res, (enum policy_action)action)));
		}
	}
	fclose(f);
	assert_true(rows > 0);
	/* every read row is written down, and every other cell the code grants */
	for (int res = 0; res < POLICY_RESOURCE_COUNT; res++)
		for (int act = 0; act < POLICY_ACTION_COUNT; act++) {
			int grants = 0;
			for (int r = 0; r < POLICY_ROLE_COUNT; r++)
				grants |=
				    policy_scope((enum policy_role)r, (enum policy_resource)res,
				                 (enum policy_action)act) != POLICY_SCOPE_NONE;
			if ((act == POLICY_ACTION_READ || grants) && !seen[res][act])
				fail_msg("ROLES.md has no %s row for %s",
				         policy_action_name((enum policy_action)act),
				         policy_resource_name((enum policy_resource)res));
		}
}

static const struct policy_subject crew_member = {"per_crew", "dep_grip"};

static void
crew_cannot_read_a_cast_members_phone(void **state)
{
	struct policy_object cast_phone = {"per_cast", "dep_cast", 1};
	struct policy_object own_phone = {"per_crew", "dep_grip", 1};
	(void)state;
	assert_false(policy_allows(POLICY_ROLE_CREW, POLICY_RESOURCE_PERSON_PERSONAL_PHONE,
	                           POLICY_ACTION_READ, &crew_member, &cast_phone));
	assert_true(policy_allows(POLICY_ROLE_CREW, POLICY_RESOURCE_PERSON_PERSONAL_PHONE,
	                          POLICY_ACTION_READ, &crew_member, &own_phone));
}

static void
only_producers_admins_and_the_person_read_private_fields(void **state)
{
	struct policy_object other = {"per_other", "dep_grip", 1};
	struct policy_object self = {"per_crew", "dep_grip", 1};
	(void)state;
	for (int r = 0; r < POLICY_ROLE_COUNT; r++) {
		int leader = r == POLICY_ROLE_PRODUCTION_ADMIN || r == POLICY_ROLE_PRODUCER;
		assert_int_equal(policy_allows((enum policy_role)r, POLICY_RESOURCE_PERSON_PRIVATE,
		                               POLICY_ACTION_READ, &crew_member, &other),
		                 leader);
		assert_true(policy_allows((enum policy_role)r, POLICY_RESOURCE_PERSON_PRIVATE,
		                          POLICY_ACTION_READ, &crew_member, &self));
	}
}

static void
department_heads_see_work_contacts_in_their_department_only(void **state)
{
	struct policy_subject head = {"per_head", "dep_camera"};
	struct policy_object camera = {"per_op", "dep_camera", 0};
	struct policy_object grip = {"per_grip", "dep_grip", 0};
	struct policy_object nobody = {"per_x", NULL, 0};
	struct policy_subject no_dept = {"per_head", NULL};
	(void)state;
	assert_true(policy_allows(POLICY_ROLE_DEPARTMENT_HEAD, POLICY_RESOURCE_PERSON_WORK_CONTACT,
	                          POLICY_ACTION_READ, &head, &camera));
	assert_false(policy_allows(POLICY_ROLE_DEPARTMENT_HEAD, POLICY_RESOURCE_PERSON_WORK_CONTACT,
	                           POLICY_ACTION_READ, &head, &grip));
	/* no department on either side never matches */
	assert_false(policy_allows(POLICY_ROLE_DEPARTMENT_HEAD, POLICY_RESOURCE_PERSON_WORK_CONTACT,
	                           POLICY_ACTION_READ, &no_dept, &nobody));
}

static void
crew_and_cast_read_a_callsheet_only_when_called(void **state)
{
	struct policy_object called = {NULL, NULL, 1};
	struct policy_object not_called = {NULL, NULL, 0};
	(void)state;
	assert_true(policy_allows(POLICY_ROLE_CREW, POLICY_RESOURCE_CALLSHEET, POLICY_ACTION_READ,
	                          &crew_member, &called));
	assert_false(policy_allows(POLICY_ROLE_CREW, POLICY_RESOURCE_CALLSHEET, POLICY_ACTION_READ,
	                           &crew_member, &not_called));
	assert_false(policy_allows(POLICY_ROLE_CAST, POLICY_RESOURCE_CALLSHEET,
	                           POLICY_ACTION_PUBLISH, &crew_member, &called));
	assert_true(policy_allows(POLICY_ROLE_AD, POLICY_RESOURCE_CALLSHEET, POLICY_ACTION_PUBLISH,
	                          &crew_member, &not_called));
}

static void
nobody_writes_the_audit_log_and_unknown_values_are_refused(void **state)
{
	struct policy_object any = {"per_crew", "dep_grip", 1};
	(void)state;
	for (int r = 0; r < POLICY_ROLE_COUNT; r++)
		assert_int_equal(
		    policy_scope((enum policy_role)r, POLICY_RESOURCE_AUDIT, POLICY_ACTION_WRITE),
		    POLICY_SCOPE_NONE);
	assert_int_equal(policy_scope(POLICY_ROLE_COUNT, POLICY_RESOURCE_AUDIT, POLICY_ACTION_READ),
	                 POLICY_SCOPE_NONE);
	assert_false(policy_allows((enum policy_role)99, POLICY_RESOURCE_PRODUCTION,
	                           POLICY_ACTION_READ, &crew_member, &any));
}

static void
names_round_trip(void **state)
{
	enum policy_role r;
	enum policy_resource res;
	enum policy_action a;
	enum policy_scope s;
	(void)state;
	for (int i = 0; i < POLICY_ROLE_COUNT; i++) {
		assert_int_equal(policy_role_parse(policy_role_name((enum policy_role)i), &r), 0);
		assert_int_equal(r, i);
	}
	for (int i = 0; i < POLICY_RESOURCE_COUNT; i++) {
		assert_int_equal(
		    policy_resource_parse(policy_resource_name((enum policy_resource)i), &res), 0);
		assert_int_equal(res, i);
	}
	for (int i = 0; i < POLICY_ACTION_COUNT; i++) {
		assert_int_equal(policy_action_parse(policy_action_name((enum policy_action)i), &a),
		                 0);
		assert_int_equal(a, i);
	}
	for (int i = 0; i < POLICY_SCOPE_COUNT; i++) {
		assert_int_equal(policy_scope_parse(policy_scope_name((enum policy_scope)i), &s),
		                 0);
		assert_int_equal(s, i);
	}
	assert_int_equal(policy_role_parse("gaffer", &r), -1);
	assert_int_equal(policy_role_parse(NULL, &r), -1);
	assert_string_equal(policy_role_name((enum policy_role)42), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(the_document_and_the_code_agree_cell_by_cell),
	    cmocka_unit_test(crew_cannot_read_a_cast_members_phone),
	    cmocka_unit_test(only_producers_admins_and_the_person_read_private_fields),
	    cmocka_unit_test(department_heads_see_work_contacts_in_their_department_only),
	    cmocka_unit_test(crew_and_cast_read_a_callsheet_only_when_called),
	    cmocka_unit_test(nobody_writes_the_audit_log_and_unknown_values_are_refused),
	    cmocka_unit_test(names_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

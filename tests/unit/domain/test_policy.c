/*
 * The role matrix (src/domain/policy.c): docs/ROLES.md shows exactly the
 * code's table (every cell, no missing or extra rows or columns), and the
 * promises people rely on hold when asked through policy_allows.
 */
#include "cmocka_all.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/policy.h"

#define ROLES_MD  "docs/ROLES.md"
#define MAX_CELLS 16

/* The whole of docs/ROLES.md. Static, so a failing assertion (a longjmp) leaks nothing. */
static char doc[1 << 16];

/* Reads ROLES_MD from the working directory (make runs tests from the repo root), else from
 * $SLATE_ROOT. */
static void
read_roles_md(void)
{
	char path[4096];
	const char *root = getenv("SLATE_ROOT");
	FILE *f = fopen(ROLES_MD, "r");
	size_t n;
	int too_big;

	if (f == NULL && root != NULL && root[0] != '\0') {
		int w = snprintf(path, sizeof(path), "%s/%s", root, ROLES_MD);
		if (w > 0 && (size_t)w < sizeof(path))
			f = fopen(path, "r");
	}
	if (f == NULL)
		fail_msg("cannot open %s: run from the repository root or set SLATE_ROOT",
		         ROLES_MD);
	n = fread(doc, 1, sizeof(doc) - 1, f);
	too_big = fgetc(f) != EOF;
	fclose(f);
	doc[n] = '\0';
	if (too_big)
		fail_msg("%s is larger than the test's %zu-byte buffer", ROLES_MD, sizeof(doc) - 1);
}

/* Trims spaces, then one pair of surrounding backticks. */
static char *
trim(char *p)
{
	char *end;

	while (*p == ' ' || *p == '\t')
		p++;
	end = p + strlen(p);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	if (end - p >= 2 && p[0] == '`' && end[-1] == '`') {
		end[-1] = '\0';
		p++;
	}
	return p;
}

/* Splits a table line "| a | b | c |" into trimmed cells in place; 0 when it is not one. */
static int
split_row(char *line, char *out[], int max)
{
	size_t len = strlen(line);
	int n = 0;
	char *p;

	if (len < 2 || line[0] != '|' || line[len - 1] != '|')
		return 0;
	line[len - 1] = '\0';
	p = line + 1;
	for (;;) {
		char *bar = strchr(p, '|');
		if (n == max)
			fail_msg("%s: a table row with more than %d cells", ROLES_MD, max);
		if (bar != NULL)
			*bar = '\0';
		out[n++] = trim(p);
		if (bar == NULL)
			return n;
		p = bar + 1;
	}
}

enum table_state { BEFORE_TABLE, WANT_RULE, IN_ROWS, AFTER_TABLE };

static void
the_document_and_the_code_agree_cell_by_cell(void **state)
{
	int row_seen[POLICY_RESOURCE_COUNT][POLICY_ACTION_COUNT] = {{0}};
	int section_seen[POLICY_ACTION_COUNT] = {0};
	enum policy_role column[POLICY_ROLE_COUNT];
	enum table_state table = BEFORE_TABLE;
	int action = -1; /* the "## <action>" section we are in, or -1 */
	int lineno = 0, cells_checked = 0;
	(void)state;

	read_roles_md();
	for (char *line = doc, *next; line != NULL; line = next) {
		char *c[MAX_CELLS];
		int n;
		enum policy_action act;
		enum policy_resource res;

		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		line[strcspn(line, "\r")] = '\0';
		lineno++;

		if (strncmp(line, "## ", 3) == 0) {
			action = -1;
			if (policy_action_parse(trim(line + 3), &act) == 0) {
				if (section_seen[act])
					fail_msg("%s:%d: a second '## %s' section", ROLES_MD,
					         lineno, policy_action_name(act));
				section_seen[act] = 1;
				action = (int)act;
				table = BEFORE_TABLE;
			}
			continue;
		}
		if (action < 0)
			continue;
		if ((n = split_row(line, c, MAX_CELLS)) == 0) {
			if (table != BEFORE_TABLE)
				table = AFTER_TABLE;
			continue;
		}

		switch (table) {
		case BEFORE_TABLE: { /* | resource | <every role once> | */
			int role_seen[POLICY_ROLE_COUNT] = {0};
			if (n != 1 + POLICY_ROLE_COUNT || strcmp(c[0], "resource") != 0)
				fail_msg("%s:%d: the header must be 'resource' and then each role: "
				         "%d cells, found %d",
				         ROLES_MD, lineno, 1 + POLICY_ROLE_COUNT, n);
			for (int i = 0; i < POLICY_ROLE_COUNT; i++) {
				if (policy_role_parse(c[1 + i], &column[i]) == -1)
					fail_msg("%s:%d: unknown role column '%s'", ROLES_MD,
					         lineno, c[1 + i]);
				if (role_seen[column[i]]++)
					fail_msg("%s:%d: role column '%s' twice", ROLES_MD, lineno,
					         c[1 + i]);
			}
			table = WANT_RULE;
			break;
		}
		case WANT_RULE:
			for (int i = 0; i < n; i++)
				if (strspn(c[i], "-:") < 3 || c[i][strspn(c[i], "-:")] != '\0')
					fail_msg("%s:%d: expected the |---| line under the header",
					         ROLES_MD, lineno);
			table = IN_ROWS;
			break;
		case IN_ROWS:
			act = (enum policy_action)action;
			if (policy_resource_parse(c[0], &res) == -1)
				fail_msg("%s:%d: unknown resource '%s'", ROLES_MD, lineno, c[0]);
			if (n != 1 + POLICY_ROLE_COUNT)
				fail_msg("%s:%d: %s has %d cells, expected %d", ROLES_MD, lineno,
				         c[0], n, 1 + POLICY_ROLE_COUNT);
			if (!policy_applies(res, act))
				fail_msg("%s:%d: an extra row: the code has no %s rule for %s",
				         ROLES_MD, lineno, policy_action_name(act), c[0]);
			if (row_seen[res][act]++)
				fail_msg("%s:%d: %s appears twice under %s", ROLES_MD, lineno, c[0],
				         policy_action_name(act));
			for (int i = 0; i < POLICY_ROLE_COUNT; i++) {
				enum policy_scope want, have = policy_scope(column[i], res, act);
				if (policy_scope_parse(c[1 + i], &want) == -1)
					fail_msg("%s:%d: unknown scope '%s'", ROLES_MD, lineno,
					         c[1 + i]);
				if (want != have)
					fail_msg(
					    "%s:%d: the page says %s may %s %s with scope %s; the "
					    "code says %s",
					    ROLES_MD, lineno, policy_role_name(column[i]),
					    policy_action_name(act), c[0], c[1 + i],
					    policy_scope_name(have));
				cells_checked++;
			}
			break;
		case AFTER_TABLE:
			fail_msg("%s:%d: a second table in the '## %s' section", ROLES_MD, lineno,
			         policy_action_name((enum policy_action)action));
		}
	}

	/* every rule in the code has its row */
	for (int a = 0; a < POLICY_ACTION_COUNT; a++)
		for (int r = 0; r < POLICY_RESOURCE_COUNT; r++) {
			enum policy_action act = (enum policy_action)a;
			enum policy_resource res = (enum policy_resource)r;
			if (policy_applies(res, act) && !section_seen[a])
				fail_msg("%s has no '## %s' section", ROLES_MD,
				         policy_action_name(act));
			if (policy_applies(res, act) && !row_seen[r][a])
				fail_msg("%s has no %s row for %s", ROLES_MD,
				         policy_action_name(act), policy_resource_name(res));
		}
	assert_true(cells_checked > 0);
}

static void
an_action_the_table_leaves_out_grants_nothing(void **state)
{
	(void)state;
	for (int r = 0; r < POLICY_RESOURCE_COUNT; r++)
		for (int a = 0; a < POLICY_ACTION_COUNT; a++) {
			if (policy_applies((enum policy_resource)r, (enum policy_action)a))
				continue;
			for (int role = 0; role < POLICY_ROLE_COUNT; role++)
				assert_int_equal(policy_scope((enum policy_role)role,
				                              (enum policy_resource)r,
				                              (enum policy_action)a),
				                 POLICY_SCOPE_NONE);
		}
	/* only call sheets are published; an export is only read; every resource is read */
	for (int r = 0; r < POLICY_RESOURCE_COUNT; r++) {
		assert_true(policy_applies((enum policy_resource)r, POLICY_ACTION_READ));
		assert_int_equal(policy_applies((enum policy_resource)r, POLICY_ACTION_PUBLISH),
		                 r == POLICY_RESOURCE_CALLSHEET);
	}
	assert_false(policy_applies(POLICY_RESOURCE_EXPORT, POLICY_ACTION_WRITE));
	assert_true(policy_applies(POLICY_RESOURCE_AUDIT, POLICY_ACTION_WRITE));
}

/* The people in these tests. */
static const struct policy_subject grip = {"per_grip", "dep_grip"};
static const struct policy_subject lead_actor = {"per_lead", "dep_cast"};
static const struct policy_subject camera_head = {"per_dop", "dep_camera"};

/* A record of someone else in the asker's own department, on a day the asker is called: the
 * case that leaks if a rule is wider than it should be. */
static const struct policy_object grip_colleague = {"per_best_boy", "dep_grip", 1};
static const struct policy_object lead_actor_record = {"per_lead", "dep_cast", 1};
static const struct policy_object own_record = {"per_grip", "dep_grip", 1};

static int
is_leader(int role)
{
	return role == POLICY_ROLE_PRODUCTION_ADMIN || role == POLICY_ROLE_PRODUCER;
}

static void
crew_cannot_read_a_cast_members_personal_phone(void **state)
{
	(void)state;
	assert_false(policy_allows(POLICY_ROLE_CREW, POLICY_RESOURCE_PERSON_PERSONAL_PHONE,
	                           POLICY_ACTION_READ, &grip, &lead_actor_record));
	/* nor a colleague's in their own department; their own, yes */
	assert_false(policy_allows(POLICY_ROLE_CREW, POLICY_RESOURCE_PERSON_PERSONAL_PHONE,
	                           POLICY_ACTION_READ, &grip, &grip_colleague));
	assert_true(policy_allows(POLICY_ROLE_CREW, POLICY_RESOURCE_PERSON_PERSONAL_PHONE,
	                          POLICY_ACTION_READ, &grip, &own_record));
	/* and cast cannot read crew's */
	assert_false(policy_allows(POLICY_ROLE_CAST, POLICY_RESOURCE_PERSON_PERSONAL_PHONE,
	                           POLICY_ACTION_READ, &lead_actor, &own_record));
	/* a department head reads it for their own department only */
	assert_false(policy_allows(POLICY_ROLE_DEPARTMENT_HEAD,
	                           POLICY_RESOURCE_PERSON_PERSONAL_PHONE, POLICY_ACTION_READ,
	                           &camera_head, &grip_colleague));
}

static void
only_producers_admins_and_the_person_see_private_fields(void **state)
{
	(void)state;
	for (int r = 0; r < POLICY_ROLE_COUNT; r++)
		for (int a = POLICY_ACTION_READ; a <= POLICY_ACTION_WRITE; a++) {
			enum policy_role role = (enum policy_role)r;
			enum policy_action act = (enum policy_action)a;
			assert_int_equal(policy_allows(role, POLICY_RESOURCE_PERSON_PRIVATE, act,
			                               &grip, &grip_colleague),
			                 is_leader(r));
			assert_int_equal(policy_allows(role, POLICY_RESOURCE_PERSON_PRIVATE, act,
			                               &grip, &lead_actor_record),
			                 is_leader(r));
			assert_true(policy_allows(role, POLICY_RESOURCE_PERSON_PRIVATE, act, &grip,
			                          &own_record));
		}
}

static void
department_heads_read_work_contacts_in_their_department_only(void **state)
{
	struct policy_object camera_op = {"per_op", "dep_camera", 0};
	struct policy_object grip_record = {"per_best_boy", "dep_grip", 0};
	struct policy_object no_department = {"per_x", NULL, 0};
	struct policy_object empty_department = {"per_x", "", 0};
	struct policy_subject head_without_department = {"per_dop", NULL};
	struct policy_subject head_with_empty_department = {"per_dop", ""};
	(void)state;
	assert_true(policy_allows(POLICY_ROLE_DEPARTMENT_HEAD, POLICY_RESOURCE_PERSON_WORK_CONTACT,
	                          POLICY_ACTION_READ, &camera_head, &camera_op));
	assert_false(policy_allows(POLICY_ROLE_DEPARTMENT_HEAD, POLICY_RESOURCE_PERSON_WORK_CONTACT,
	                           POLICY_ACTION_READ, &camera_head, &grip_record));
	/* no department on either side is not "the same department" */
	assert_false(policy_allows(POLICY_ROLE_DEPARTMENT_HEAD, POLICY_RESOURCE_PERSON_WORK_CONTACT,
	                           POLICY_ACTION_READ, &head_without_department, &no_department));
	assert_false(policy_allows(POLICY_ROLE_DEPARTMENT_HEAD, POLICY_RESOURCE_PERSON_WORK_CONTACT,
	                           POLICY_ACTION_READ, &head_with_empty_department,
	                           &empty_department));
	/* crew read their own department's work contacts; cast only their own */
	assert_true(policy_allows(POLICY_ROLE_CREW, POLICY_RESOURCE_PERSON_WORK_CONTACT,
	                          POLICY_ACTION_READ, &grip, &grip_colleague));
	assert_false(policy_allows(POLICY_ROLE_CREW, POLICY_RESOURCE_PERSON_WORK_CONTACT,
	                           POLICY_ACTION_READ, &grip, &camera_op));
	assert_false(policy_allows(POLICY_ROLE_CAST, POLICY_RESOURCE_PERSON_WORK_CONTACT,
	                           POLICY_ACTION_READ, &lead_actor, &camera_op));
	assert_true(policy_allows(POLICY_ROLE_CAST, POLICY_RESOURCE_PERSON_WORK_CONTACT,
	                          POLICY_ACTION_READ, &lead_actor, &lead_actor_record));
}

static void
crew_and_cast_see_a_days_call_sheet_and_places_only_when_called(void **state)
{
	static const enum policy_resource by_day[] = {
	    POLICY_RESOURCE_CALLSHEET,
	    POLICY_RESOURCE_LOCATION,
	    POLICY_RESOURCE_LOCATION_ADDRESS,
	    POLICY_RESOURCE_SCHEDULE,
	};
	struct policy_object called = {"per_other", "dep_other", 1};
	struct policy_object not_called = {"per_grip", "dep_grip", 0};
	(void)state;
	for (size_t i = 0; i < sizeof(by_day) / sizeof(by_day[0]); i++) {
		assert_true(
		    policy_allows(POLICY_ROLE_CREW, by_day[i], POLICY_ACTION_READ, &grip, &called));
		assert_false(policy_allows(POLICY_ROLE_CREW, by_day[i], POLICY_ACTION_READ, &grip,
		                           &not_called));
		assert_true(policy_allows(POLICY_ROLE_CAST, by_day[i], POLICY_ACTION_READ,
		                          &lead_actor, &called));
		assert_false(policy_allows(POLICY_ROLE_CAST, by_day[i], POLICY_ACTION_READ,
		                           &lead_actor, &not_called));
	}
	/* scene synopses: cast when called, crew never */
	assert_true(policy_allows(POLICY_ROLE_CAST, POLICY_RESOURCE_SCENE_SYNOPSIS,
	                          POLICY_ACTION_READ, &lead_actor, &called));
	assert_false(policy_allows(POLICY_ROLE_CAST, POLICY_RESOURCE_SCENE_SYNOPSIS,
	                           POLICY_ACTION_READ, &lead_actor, &not_called));
	assert_false(policy_allows(POLICY_ROLE_CREW, POLICY_RESOURCE_SCENE_SYNOPSIS,
	                           POLICY_ACTION_READ, &grip, &called));
}

static void
only_admins_producers_and_ads_publish_a_callsheet(void **state)
{
	(void)state;
	for (int r = 0; r < POLICY_ROLE_COUNT; r++)
		assert_int_equal(policy_allows((enum policy_role)r, POLICY_RESOURCE_CALLSHEET,
		                               POLICY_ACTION_PUBLISH, &grip, &own_record),
		                 is_leader(r) || r == POLICY_ROLE_AD);
}

static void
only_admins_and_producers_manage_members_and_the_production(void **state)
{
	(void)state;
	for (int r = 0; r < POLICY_ROLE_COUNT; r++) {
		assert_int_equal(policy_allows((enum policy_role)r, POLICY_RESOURCE_MEMBER,
		                               POLICY_ACTION_WRITE, &grip, &own_record),
		                 is_leader(r));
		assert_int_equal(policy_allows((enum policy_role)r, POLICY_RESOURCE_PRODUCTION,
		                               POLICY_ACTION_WRITE, &grip, &own_record),
		                 is_leader(r));
		assert_true(policy_allows((enum policy_role)r, POLICY_RESOURCE_PRODUCTION,
		                          POLICY_ACTION_READ, &grip, &grip_colleague));
	}
}

static void
nobody_writes_the_audit_log_and_only_admins_and_producers_read_it(void **state)
{
	(void)state;
	for (int r = 0; r < POLICY_ROLE_COUNT; r++) {
		assert_int_equal(
		    policy_scope((enum policy_role)r, POLICY_RESOURCE_AUDIT, POLICY_ACTION_WRITE),
		    POLICY_SCOPE_NONE);
		assert_false(policy_allows((enum policy_role)r, POLICY_RESOURCE_AUDIT,
		                           POLICY_ACTION_WRITE, &grip, &own_record));
		assert_int_equal(policy_allows((enum policy_role)r, POLICY_RESOURCE_AUDIT,
		                               POLICY_ACTION_READ, &grip, &own_record),
		                 is_leader(r));
	}
}

static void
everyone_acknowledges_only_their_own_callsheet(void **state)
{
	(void)state;
	for (int r = 0; r < POLICY_ROLE_COUNT; r++) {
		assert_true(policy_allows((enum policy_role)r, POLICY_RESOURCE_CALLSHEET_ACK,
		                          POLICY_ACTION_WRITE, &grip, &own_record));
		assert_false(policy_allows((enum policy_role)r, POLICY_RESOURCE_CALLSHEET_ACK,
		                           POLICY_ACTION_WRITE, &grip, &grip_colleague));
	}
}

static void
crew_and_cast_keep_out_of_sustainability_and_ads_only_read_totals(void **state)
{
	(void)state;
	assert_false(policy_allows(POLICY_ROLE_CREW, POLICY_RESOURCE_SUSTAINABILITY,
	                           POLICY_ACTION_READ, &grip, &own_record));
	assert_false(policy_allows(POLICY_ROLE_CAST, POLICY_RESOURCE_SUSTAINABILITY,
	                           POLICY_ACTION_READ, &lead_actor, &lead_actor_record));
	assert_false(policy_allows(POLICY_ROLE_AD, POLICY_RESOURCE_SUSTAINABILITY,
	                           POLICY_ACTION_READ, &grip, &grip_colleague));
	assert_false(policy_allows(POLICY_ROLE_AD, POLICY_RESOURCE_SUSTAINABILITY,
	                           POLICY_ACTION_WRITE, &grip, &grip_colleague));
	assert_true(policy_allows(POLICY_ROLE_AD, POLICY_RESOURCE_SUSTAINABILITY_TOTALS,
	                          POLICY_ACTION_READ, &grip, &grip_colleague));
	assert_false(policy_applies(POLICY_RESOURCE_SUSTAINABILITY_TOTALS, POLICY_ACTION_WRITE));
}

static void
unknown_values_and_missing_ids_are_refused(void **state)
{
	struct policy_subject nobody = {NULL, NULL};
	struct policy_object no_one = {NULL, NULL, 0};
	struct policy_subject empty = {"", ""};
	struct policy_object empty_record = {"", "", 0};
	(void)state;
	assert_int_equal(
	    policy_scope(POLICY_ROLE_COUNT, POLICY_RESOURCE_PRODUCTION, POLICY_ACTION_READ),
	    POLICY_SCOPE_NONE);
	assert_int_equal(
	    policy_scope((enum policy_role) - 1, POLICY_RESOURCE_PRODUCTION, POLICY_ACTION_READ),
	    POLICY_SCOPE_NONE);
	assert_int_equal(
	    policy_scope(POLICY_ROLE_PRODUCER, POLICY_RESOURCE_COUNT, POLICY_ACTION_READ),
	    POLICY_SCOPE_NONE);
	assert_int_equal(
	    policy_scope(POLICY_ROLE_PRODUCER, POLICY_RESOURCE_PRODUCTION, POLICY_ACTION_COUNT),
	    POLICY_SCOPE_NONE);
	assert_false(policy_applies(POLICY_RESOURCE_COUNT, POLICY_ACTION_READ));
	assert_false(policy_applies(POLICY_RESOURCE_PRODUCTION, (enum policy_action)99));
	assert_false(policy_allows((enum policy_role)99, POLICY_RESOURCE_PRODUCTION,
	                           POLICY_ACTION_READ, &grip, &own_record));
	/* NULL arguments refuse, even where the scope is all */
	assert_false(policy_allows(POLICY_ROLE_PRODUCER, POLICY_RESOURCE_PRODUCTION,
	                           POLICY_ACTION_READ, NULL, &own_record));
	assert_false(policy_allows(POLICY_ROLE_PRODUCER, POLICY_RESOURCE_PRODUCTION,
	                           POLICY_ACTION_READ, &grip, NULL));
	/* two missing or empty ids are not the same person or department */
	assert_false(policy_allows(POLICY_ROLE_CREW, POLICY_RESOURCE_PERSON_PRIVATE,
	                           POLICY_ACTION_READ, &nobody, &no_one));
	assert_false(policy_allows(POLICY_ROLE_CREW, POLICY_RESOURCE_PERSON_PRIVATE,
	                           POLICY_ACTION_READ, &empty, &empty_record));
	assert_false(policy_allows(POLICY_ROLE_DEPARTMENT_HEAD, POLICY_RESOURCE_CALL,
	                           POLICY_ACTION_WRITE, &nobody, &no_one));
	assert_false(policy_allows(POLICY_ROLE_DEPARTMENT_HEAD, POLICY_RESOURCE_CALL,
	                           POLICY_ACTION_WRITE, &empty, &empty_record));
}

static void
names_round_trip(void **state)
{
	enum policy_role r = POLICY_ROLE_CAST;
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
	assert_string_equal(policy_role_name(POLICY_ROLE_DEPARTMENT_HEAD), "department_head");
	assert_string_equal(policy_resource_name(POLICY_RESOURCE_PERSON_PERSONAL_PHONE),
	                    "person_personal_phone");
	assert_string_equal(policy_scope_name(POLICY_SCOPE_DEPARTMENT), "department");

	/* names are exact; a failed parse leaves out alone */
	r = POLICY_ROLE_CAST;
	assert_int_equal(policy_role_parse("gaffer", &r), -1);
	assert_int_equal(policy_role_parse("Crew", &r), -1);
	assert_int_equal(policy_role_parse("crew ", &r), -1);
	assert_int_equal(policy_role_parse("", &r), -1);
	assert_int_equal(policy_role_parse(NULL, &r), -1);
	assert_int_equal(r, POLICY_ROLE_CAST);
	assert_int_equal(policy_role_parse("crew", NULL), -1);
	assert_int_equal(policy_resource_parse("instance_admin", &res), -1);
	assert_int_equal(policy_action_parse("delete", &a), -1);
	assert_int_equal(policy_scope_parse("everyone", &s), -1);

	assert_string_equal(policy_role_name(POLICY_ROLE_COUNT), "?");
	assert_string_equal(policy_resource_name((enum policy_resource) - 1), "?");
	assert_string_equal(policy_action_name(POLICY_ACTION_COUNT), "?");
	assert_string_equal(policy_scope_name((enum policy_scope)42), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(the_document_and_the_code_agree_cell_by_cell),
	    cmocka_unit_test(an_action_the_table_leaves_out_grants_nothing),
	    cmocka_unit_test(crew_cannot_read_a_cast_members_personal_phone),
	    cmocka_unit_test(only_producers_admins_and_the_person_see_private_fields),
	    cmocka_unit_test(department_heads_read_work_contacts_in_their_department_only),
	    cmocka_unit_test(crew_and_cast_see_a_days_call_sheet_and_places_only_when_called),
	    cmocka_unit_test(only_admins_producers_and_ads_publish_a_callsheet),
	    cmocka_unit_test(only_admins_and_producers_manage_members_and_the_production),
	    cmocka_unit_test(nobody_writes_the_audit_log_and_only_admins_and_producers_read_it),
	    cmocka_unit_test(everyone_acknowledges_only_their_own_callsheet),
	    cmocka_unit_test(crew_and_cast_keep_out_of_sustainability_and_ads_only_read_totals),
	    cmocka_unit_test(unknown_values_and_missing_ids_are_refused),
	    cmocka_unit_test(names_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

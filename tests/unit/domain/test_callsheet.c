/* Call sheet assembly: department calls with individual overrides, and the order of the calls. */
#include "cmocka_all.h"

#include "domain/callsheet.h"

static void
a_person_follows_their_department_unless_they_have_their_own_call(void **state)
{
	int dept;
	(void)state;
	assert_string_equal(callsheet_effective_call("06:30", "07:00", &dept), "06:30");
	assert_int_equal(dept, 0);
	assert_string_equal(callsheet_effective_call("", "07:00", &dept), "07:00");
	assert_int_equal(dept, 1);
	assert_string_equal(callsheet_effective_call("", "", &dept), "");
	assert_int_equal(dept, 0);
	assert_string_equal(callsheet_effective_call(NULL, NULL, &dept), "");
}

static void
calls_run_by_department_then_time_then_name(void **state)
{
	struct callsheet_line l[] = {
	    {.name = "Zoe", .department_position = 2, .own_call = "", .department_call = "07:00"},
	    {.name = "Ann",
	     .department_position = 2,
	     .own_call = "06:30",
	     .department_call = "07:00"},
	    {.name = "Bob", .department_position = 0, .own_call = "25:30", .department_call = ""},
	    {.name = "Cat", .department_position = 0, .own_call = "23:00", .department_call = ""},
	    {.name = "Dan", .department_position = -1, .own_call = "05:00", .department_call = ""},
	    {.name = "Eve", .department_position = 2, .own_call = "", .department_call = "07:00"},
	    {.name = "Fay", .department_position = 1, .own_call = "", .department_call = ""},
	};
	const char *order[] = {"Cat", "Bob", "Fay", "Ann", "Eve", "Zoe", "Dan"};
	const char *calls[] = {"23:00", "25:30", "", "06:30", "07:00", "07:00", "05:00"};
	const int from_dept[] = {0, 0, 0, 0, 1, 1, 0};
	(void)state;
	callsheet_order(l, sizeof(l) / sizeof(l[0]));
	for (size_t i = 0; i < sizeof(l) / sizeof(l[0]); i++) {
		assert_string_equal(l[i].name, order[i]);
		assert_string_equal(l[i].call, calls[i]);
		assert_int_equal(l[i].from_department, from_dept[i]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_person_follows_their_department_unless_they_have_their_own_call),
	    cmocka_unit_test(calls_run_by_department_then_time_then_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

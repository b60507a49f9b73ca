/* Wall-clock times in a named zone: which instants a local time names, around daylight-saving
 * changes. */
#include "cmocka_all.h"

#include <string.h>

#include "util/zone.h"

static void
an_ordinary_time_is_one_instant(void **state)
{
	struct zone_local zl;
	char s[32];
	(void)state;
	assert_int_equal(zone_local_instants("Europe/London", "2027-03-27", 90, &zl), 1);
	zone_rfc3339(zl.at[0], zl.off[0], s);
	assert_string_equal(s, "2027-03-27T01:30:00+00:00");
	assert_int_equal(zone_local_instants("Europe/London", "2027-07-01", 7 * 60, &zl), 1);
	zone_rfc3339(zl.at[0], zl.off[0], s);
	assert_string_equal(s, "2027-07-01T07:00:00+01:00");
	/* a night shoot's 26:30 is 02:30 the next morning */
	assert_int_equal(zone_local_instants("UTC", "2027-12-31", 26 * 60 + 30, &zl), 1);
	zone_rfc3339(zl.at[0], zl.off[0], s);
	assert_string_equal(s, "2028-01-01T02:30:00+00:00");
}

static void
a_time_the_clocks_skip_is_a_gap(void **state)
{
	struct zone_local zl;
	(void)state;
	/* London goes forward at 01:00 GMT on 2027-03-28 */
	assert_int_equal(zone_local_instants("Europe/London", "2027-03-28", 90, &zl), 0);
	assert_int_equal(zl.gap_minutes, 60);
	assert_int_equal(zone_local_instants("Europe/London", "2027-03-28", 60, &zl), 0);
	assert_int_equal(zone_local_instants("Europe/London", "2027-03-28", 120, &zl), 1);
	assert_int_equal(zone_local_instants("Europe/London", "2027-03-28", 59, &zl), 1);
	/* New York goes forward at 02:00 on 2027-03-14; 25:30 of the day before lands in it */
	assert_int_equal(zone_local_instants("America/New_York", "2027-03-13", 26 * 60 + 30, &zl),
	                 0);
	/* Lord Howe moves by half an hour */
	assert_int_equal(zone_local_instants("Australia/Lord_Howe", "2027-10-03", 2 * 60 + 15, &zl),
	                 0);
	assert_int_equal(zl.gap_minutes, 30);
}

static void
a_time_the_clocks_repeat_is_a_fold_of_two_instants(void **state)
{
	struct zone_local zl;
	char a[32], b[32];
	(void)state;
	assert_int_equal(zone_local_instants("Europe/London", "2027-10-31", 90, &zl), 2);
	zone_rfc3339(zl.at[0], zl.off[0], a);
	zone_rfc3339(zl.at[1], zl.off[1], b);
	assert_string_equal(a, "2027-10-31T01:30:00+01:00");
	assert_string_equal(b, "2027-10-31T01:30:00+00:00");
	assert_int_equal(zl.at[1] - zl.at[0], 3600);
	assert_int_equal(zone_local_instants("America/Los_Angeles", "2027-11-07", 75, &zl), 2);
	zone_rfc3339(zl.at[0], zl.off[0], a);
	assert_string_equal(a, "2027-11-07T01:15:00-07:00");
}

static void
an_unknown_zone_is_refused(void **state)
{
	struct zone_local zl;
	(void)state;
	assert_int_equal(zone_local_instants("Mars/Olympus", "2027-10-31", 90, &zl), -1);
	assert_int_equal(zone_local_instants(NULL, "2027-10-31", 90, &zl), -1);
	assert_int_equal(zone_local_instants("UTC", "2027", 90, &zl), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(an_ordinary_time_is_one_instant),
	    cmocka_unit_test(a_time_the_clocks_skip_is_a_gap),
	    cmocka_unit_test(a_time_the_clocks_repeat_is_a_fold_of_two_instants),
	    cmocka_unit_test(an_unknown_zone_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

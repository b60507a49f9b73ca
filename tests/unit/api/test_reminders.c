/*
 * When a version's automatic reminder is due (api/reminders.c,
 * reminder_when): hours before general call in the production's zone,
 * never sooner than the gap after publishing, and of use only before
 * general call; a call past midnight and the daylight-saving days.
 */
#include "cmocka_all.h"

#include <time.h>

#include "api/reminders.h"

static long long
utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm = {
	    .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
	return (long long)timegm(&tm);
}

static void
due_hours_before_general_call_in_the_production_zone(void **state)
{
	struct reminder_when w;
	(void)state;
	/* 07:00 in London in summer is 06:00 UTC; 12 hours before: 18:00 UTC the day before */
	assert_int_equal(reminder_when("Europe/London", "2027-06-10", "07:00", 12,
	                               utc(2027, 6, 8, 0, 0), 3600, &w),
	                 0);
	assert_int_equal(w.call, utc(2027, 6, 10, 6, 0));
	assert_int_equal(w.due, utc(2027, 6, 9, 18, 0));
	assert_true(w.useful);
	/* a call past midnight: 25:30 is 01:30 the next day */
	assert_int_equal(
	    reminder_when("UTC", "2027-06-10", "25:30", 2, utc(2027, 6, 1, 0, 0), 0, &w), 0);
	assert_int_equal(w.call, utc(2027, 6, 11, 1, 30));
	assert_int_equal(w.due, utc(2027, 6, 10, 23, 30));
}

static void
never_sooner_than_the_gap_after_publishing(void **state)
{
	struct reminder_when w;
	(void)state;
	/* published at 20:00 for a 07:00 call with 12 hours: due at 21:00, not 19:00 */
	assert_int_equal(
	    reminder_when("UTC", "2027-06-10", "07:00", 12, utc(2027, 6, 9, 20, 0), 3600, &w), 0);
	assert_int_equal(w.due, utc(2027, 6, 9, 21, 0));
	assert_true(w.useful);
	/* published half an hour before the call: a reminder could only come after it */
	assert_int_equal(
	    reminder_when("UTC", "2027-06-10", "07:00", 12, utc(2027, 6, 10, 6, 30), 3600, &w), 0);
	assert_false(w.useful);
}

static void
daylight_saving_days_and_bad_input(void **state)
{
	struct reminder_when w;
	(void)state;
	/* London, 2027-03-28: 01:30 does not exist (clocks go 01:00 → 02:00); it counts from the
	 * jump */
	assert_int_equal(
	    reminder_when("Europe/London", "2027-03-28", "01:30", 1, utc(2027, 3, 1, 0, 0), 0, &w),
	    0);
	assert_int_equal(w.call, utc(2027, 3, 28, 1, 30));
	/* London, 2027-10-31: 01:30 happens twice; the first (00:30 UTC) */
	assert_int_equal(
	    reminder_when("Europe/London", "2027-10-31", "01:30", 1, utc(2027, 10, 1, 0, 0), 0, &w),
	    0);
	assert_int_equal(w.call, utc(2027, 10, 31, 0, 30));
	assert_int_equal(reminder_when("Nowhere/Atlantis", "2027-06-10", "07:00", 1, 0, 0, &w), -1);
	assert_int_equal(reminder_when("UTC", "2027-06-10", "7", 1, 0, 0, &w), -1);
	assert_int_equal(reminder_when("UTC", "2027-06-10", "07:60", 1, 0, 0, &w), -1);
	assert_int_equal(reminder_when("UTC", "2027-06-10", "07:00x", 1, 0, 0, &w), -1);
	assert_int_equal(reminder_when("UTC", "2027-13-10", "07:00", 1, 0, 0, &w), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(due_hours_before_general_call_in_the_production_zone),
	    cmocka_unit_test(never_sooner_than_the_gap_after_publishing),
	    cmocka_unit_test(daylight_saving_days_and_bad_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

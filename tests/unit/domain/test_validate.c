/* The shapes of production data: local times of a shoot day, calendar dates, phone numbers. */
#include "cmocka_all.h"

#include "domain/validate.h"

static void
times_read_as_minutes_and_run_past_midnight(void **state)
{
	(void)state;
	assert_int_equal(validate_time("00:00"), 0);
	assert_int_equal(validate_time("07:30"), 450);
	assert_int_equal(validate_time("23:59"), 1439);
	assert_int_equal(validate_time("26:30"), 1590); /* 02:30 after a night shoot's midnight */
	assert_int_equal(validate_time("35:59"), 2159);
	const char *bad[] = {"36:00", "7:30", "07:60", "07-30", "0730",
	                     "07:3a", "",     " 7:30", "07:30 "};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(validate_time(bad[i]), -1);
	assert_int_equal(validate_time(NULL), -1);
}

static void
dates_are_real_calendar_days(void **state)
{
	(void)state;
	assert_true(validate_date("2027-03-01"));
	assert_true(validate_date("2024-02-29"));  /* leap year */
	assert_true(validate_date("2000-02-29"));  /* divisible by 400 */
	assert_false(validate_date("1900-02-29")); /* divisible by 100 */
	assert_false(validate_date("2027-02-29"));
	assert_false(validate_date("2027-04-31"));
	assert_false(validate_date("2027-13-01"));
	assert_false(validate_date("2027-00-10"));
	assert_false(validate_date("2027-01-00"));
	assert_false(validate_date("1899-12-31"));
	assert_false(validate_date("27-03-01"));
	assert_false(validate_date("2027/03/01"));
	assert_false(validate_date("2027-3-1"));
	assert_false(validate_date(NULL));
}

static void
phones_take_digits_and_punctuation_only(void **state)
{
	(void)state;
	assert_true(validate_phone("+44 20 7946 0000"));
	assert_true(validate_phone("(555) 010-4477"));
	assert_true(validate_phone("999"));
	assert_false(validate_phone("12"));
	assert_false(validate_phone("+-()"));
	assert_false(validate_phone("call me"));
	assert_false(validate_phone("+44 20 7946 0000 ext. 5"));
	assert_false(validate_phone("12345678901234567890123456789012345678901")); /* 41 */
	assert_false(validate_phone(""));
	assert_false(validate_phone(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(times_read_as_minutes_and_run_past_midnight),
	    cmocka_unit_test(dates_are_real_calendar_days),
	    cmocka_unit_test(phones_take_digits_and_punctuation_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Sunrise and sunset against published values (NOAA solar calculator, as
 * printed in almanac tables), to within two minutes. Times are UTC minutes
 * after midnight of the date.
 */
#include "cmocka_all.h"

#include "domain/sun.h"

#define HM(h, m) ((h)*60 + (m))

struct place_day {
	const char *what;
	int y, m, d;
	double lat, lon;
	int rise, set; /* UTC minutes */
};

static const struct place_day known[] = {
    /* London, summer solstice: 04:43 and 21:21 BST */
    {"London 2024-06-20", 2024, 6, 20, 51.5074, -0.1278, HM(3, 43), HM(20, 21)},
    /* London, winter solstice: 08:03 and 15:53 GMT */
    {"London 2024-12-21", 2024, 12, 21, 51.5074, -0.1278, HM(8, 3), HM(15, 53)},
    /* Sydney, its summer solstice: 05:41 and 20:05 AEDT (UTC+11), so the day before in UTC */
    {"Sydney 2024-12-21", 2024, 12, 21, -33.8688, 151.2093, HM(5, 41) - 660, HM(20, 5) - 660},
    /* Reykjavik at midsummer: up at 02:55, down at 00:04 the next day (UTC all year) */
    {"Reykjavik 2024-06-21", 2024, 6, 21, 64.1466, -21.9426, HM(2, 55), HM(24, 4)},
};

static void
published_sunrises_and_sunsets(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		const struct place_day *k = &known[i];
		double rise = -1, set = -1;
		assert_int_equal(sun_times(k->y, k->m, k->d, k->lat, k->lon, &rise, &set),
		                 SUN_RISES_AND_SETS);
		if (rise < k->rise - 2 || rise > k->rise + 2 || set < k->set - 2 ||
		    set > k->set + 2)
			fail_msg("%s: got %.1f / %.1f, published %d / %d", k->what, rise, set,
			         k->rise, k->set);
	}
}

static void
polar_night_and_midnight_sun(void **state)
{
	double rise = -1, set = -1;
	(void)state;
	/* Tromsø */
	assert_int_equal(sun_times(2024, 12, 21, 69.6492, 18.9553, &rise, &set), SUN_NEVER_RISES);
	assert_int_equal(sun_times(2024, 6, 21, 69.6492, 18.9553, &rise, &set), SUN_NEVER_SETS);
	assert_true(rise == -1 && set == -1); /* untouched */
}

static void
day_length_grows_towards_midsummer(void **state)
{
	double r1, s1, r2, s2;
	(void)state;
	assert_int_equal(sun_times(2027, 3, 1, 55.6089, -1.7099, &r1, &s1), SUN_RISES_AND_SETS);
	assert_int_equal(sun_times(2027, 3, 26, 55.6089, -1.7099, &r2, &s2), SUN_RISES_AND_SETS);
	assert_true(s2 - r2 > s1 - r1 + 60); /* Northumberland gains over an hour in March */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(published_sunrises_and_sunsets),
	    cmocka_unit_test(polar_night_and_midnight_sun),
	    cmocka_unit_test(day_length_grows_towards_midsummer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

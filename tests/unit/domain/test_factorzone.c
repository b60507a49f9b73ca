/*
 * The factor set a production starts with, by time zone: the United States
 * zones (as tzdata's zone.tab lists them, and their old names) get the US
 * EPA set; the UK, the rest of Europe and everywhere else the UK DESNZ set.
 * When this machine has zone.tab, every line of it is checked: a zone with
 * country code US is counted US, any other is not.
 */
#include "cmocka_all.h"

#include <stdio.h>
#include <string.h>

#include "domain/factorzone.h"

static void
us_zones_get_the_epa_set(void **state)
{
	static const char *const us[] = {"America/New_York",
	                                 "America/Chicago",
	                                 "America/Denver",
	                                 "America/Phoenix",
	                                 "America/Los_Angeles",
	                                 "America/Anchorage",
	                                 "Pacific/Honolulu",
	                                 "America/Indiana/Indianapolis",
	                                 "America/Indianapolis",
	                                 "US/Eastern",
	                                 "US/Pacific",
	                                 "Navajo",
	                                 "EST5EDT",
	                                 NULL};
	(void)state;
	for (size_t i = 0; us[i] != NULL; i++)
		assert_string_equal(factorzone_default_set(us[i]), FACTORZONE_SET_US);
}

static void
other_zones_get_the_desnz_set(void **state)
{
	static const char *const other[] = {"Europe/London",
	                                    "Europe/Paris",
	                                    "Europe/Berlin",
	                                    "UTC",
	                                    "America/Toronto",
	                                    "America/Mexico_City",
	                                    "America/Puerto_Rico",
	                                    "Australia/Sydney",
	                                    "Asia/Tokyo",
	                                    "US/",
	                                    "America/New_York_City",
	                                    "",
	                                    NULL};
	(void)state;
	for (size_t i = 0; other[i] != NULL; i++)
		assert_string_equal(factorzone_default_set(other[i]), FACTORZONE_SET_UK);
	assert_string_equal(factorzone_default_set(NULL), FACTORZONE_SET_UK);
}

static void
the_table_agrees_with_zone_tab(void **state)
{
	FILE *f = fopen("/usr/share/zoneinfo/zone.tab", "r");
	char line[512], cc[8], coord[32], tz[128];
	int checked = 0;
	(void)state;
	/* tzdata is a bootstrap package: a missing zone.tab is a broken machine, not a pass */
	if (f == NULL)
		fail_msg("/usr/share/zoneinfo/zone.tab is missing (install tzdata)");
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#' || sscanf(line, "%7s %31s %127s", cc, coord, tz) != 3)
			continue;
		if (factorzone_is_us(tz) != (strcmp(cc, "US") == 0))
			fail_msg("%s (%s) is counted %s", tz, cc,
			         factorzone_is_us(tz) ? "US" : "not US");
		checked++;
	}
	fclose(f);
	assert_true(checked > 300);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(us_zones_get_the_epa_set),
	    cmocka_unit_test(other_zones_get_the_desnz_set),
	    cmocka_unit_test(the_table_agrees_with_zone_tab),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

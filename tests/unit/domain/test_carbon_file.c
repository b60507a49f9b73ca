/* Reading a factor file into the store's rows (domain/carbon_file.c): rows in order with their
 * lines, the file's hash, and the errors that name the line at fault. */
#include "cmocka_all.h"

#include <string.h>

#include "domain/carbon_file.h"

static const char good[] = "category,activity,unit,kg_co2e_per_unit,source,year,notes\n"
                           "fuel,Diesel,litres,2.5,Test source,2024,\n"
                           "\n"
                           "fuel,Petrol,litres,2.1,Test source,2024,\"two\nlines\"\n";

static void
rows_come_in_order_with_their_lines(void **state)
{
	struct carbon_file cf;
	struct store_factor f;
	struct err e;
	long line = 0;
	(void)state;
	assert_int_equal(carbon_file_open(&cf, good, sizeof(good) - 1, &e), 0);
	assert_int_equal(strlen(cf.sha256), 64);
	memset(&f, 0, sizeof(f));
	assert_int_equal(carbon_file_next(&cf, &f, &line, &e), 1);
	assert_string_equal(f.activity, "Diesel");
	assert_string_equal(f.kg_text, "2.5");
	assert_int_equal(f.year, 2024);
	assert_int_equal(line, 2);
	assert_int_equal(carbon_file_next(&cf, &f, &line, &e), 1);
	assert_string_equal(f.activity, "Petrol");
	assert_int_equal(line, 4);
	assert_int_equal(carbon_file_next(&cf, &f, &line, &e), 0);
}

static void
a_bad_file_is_refused_naming_the_line(void **state)
{
	static const char header_only[] = "category,activity,unit,kg_co2e_per_unit,source,year\n";
	static const char bad_kg[] = "category,activity,unit,kg_co2e_per_unit,source,year\n"
	                             "fuel,Diesel,litres,2.5,S,2024\n"
	                             "fuel,Petrol,litres,lots,S,2024\n";
	static const char no_unit[] = "category,activity,kg_co2e_per_unit,source,year\n";
	struct carbon_file cf;
	struct store_factor f;
	struct err e;
	long line = 0;
	(void)state;
	assert_int_equal(carbon_file_open(&cf, "", 0, &e), -1);
	assert_int_equal(e.status, 400);
	assert_non_null(strstr(e.msg, "empty"));
	assert_int_equal(carbon_file_open(&cf, no_unit, sizeof(no_unit) - 1, &e), -1);
	assert_non_null(strstr(e.msg, "line 1"));
	assert_int_equal(carbon_file_open(&cf, header_only, sizeof(header_only) - 1, &e), 0);
	assert_int_equal(carbon_file_next(&cf, &f, &line, &e), -1);
	assert_non_null(strstr(e.msg, "no factors"));
	assert_int_equal(carbon_file_open(&cf, bad_kg, sizeof(bad_kg) - 1, &e), 0);
	assert_int_equal(carbon_file_next(&cf, &f, &line, &e), 1);
	assert_int_equal(carbon_file_next(&cf, &f, &line, &e), -1);
	assert_int_equal(e.status, 400);
	assert_non_null(strstr(e.msg, "line 3"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(rows_come_in_order_with_their_lines),
	    cmocka_unit_test(a_bad_file_is_refused_naming_the_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

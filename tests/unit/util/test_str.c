/* str_copy: snprintf(dst, cap, "%s", src) without the format machinery. */
#include "cmocka_all.h"

#include <stdio.h>
#include <string.h>

#include "util/str.h"

static void
copies_whole_strings_and_truncates_long_ones_as_snprintf_does(void **state)
{
	char dst[8], ref[8];
	static const char *const in[] = {"", "a", "1234567", "12345678", "a much longer string"};
	(void)state;
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		for (size_t cap = 1; cap <= sizeof(dst); cap++) {
			memset(dst, 'x', sizeof(dst));
			memset(ref, 'x', sizeof(ref));
			size_t n = str_copy(dst, cap, in[i]);
			snprintf(ref, cap, "%s", in[i]);
			assert_memory_equal(dst, ref, sizeof(dst)); /* nothing written past cap */
			assert_int_equal(n, strlen(ref));
		}
	}
}

static void
a_zero_capacity_writes_nothing(void **state)
{
	char dst[1] = {'x'};
	(void)state;
	assert_int_equal(str_copy(dst, 0, "abc"), 0);
	assert_int_equal(dst[0], 'x');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(copies_whole_strings_and_truncates_long_ones_as_snprintf_does),
	    cmocka_unit_test(a_zero_capacity_writes_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

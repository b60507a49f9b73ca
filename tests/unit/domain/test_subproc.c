/*
 * The subprocessor list (domain/subproc.c): a good list reads whole, each
 * entry's hash changes with any member and only then, and a bad one is
 * refused naming the entry and the member.
 */
#include "cmocka_all.h"

#include <string.h>

#include "domain/subproc.h"

#define RELAY                                                                                      \
	"{\"name\":\"Relay\",\"purpose\":\"mail\",\"location\":\"NL\",\"data_categories\":["       \
	"\"email "                                                                                 \
	"addresses\"],\"since\":\"2026-01-01\"}"

static void
a_list_reads_and_each_version_has_its_hash(void **state)
{
	struct subproc_list a, b, c;
	struct err e;
	const char *one = "[" RELAY "]";
	const char *moved = "[{\"name\":\"Relay\",\"purpose\":\"mail\",\"location\":\"IE\","
	                    "\"data_categories\":[\"email addresses\"],\"since\":\"2026-01-01\"}]";
	(void)state;
	assert_int_equal(subproc_parse(one, strlen(one), "t", &a, &e), 0);
	assert_int_equal(a.n, 1);
	assert_string_equal(a.v[0].name, "Relay");
	assert_int_equal(a.v[0].ncategories, 1);
	assert_int_equal(strlen(a.v[0].hash), 64);
	assert_int_equal(subproc_parse(one, strlen(one), "t", &b, &e), 0);
	assert_string_equal(a.v[0].hash, b.v[0].hash);
	assert_int_equal(subproc_parse(moved, strlen(moved), "t", &c, &e), 0);
	assert_string_not_equal(a.v[0].hash, c.v[0].hash);
	subproc_free(&a);
	subproc_free(&b);
	subproc_free(&c);
	assert_int_equal(subproc_parse("[]", 2, "t", &a, &e), 0);
	assert_int_equal(a.n, 0);
	subproc_free(&a);
}

static void
a_bad_list_is_refused_naming_what(void **state)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
	    {"[" RELAY "," RELAY "]", "entries 1 and 2 have the same name"},
	    {"[{\"name\":\"R\"}]", "entry 1: \"purpose\" is missing"},
	    {"[" RELAY
	     ",{\"name\":\"S\",\"purpose\":\"p\",\"location\":\"l\",\"data_categories\":[],"
	     "\"since\":\"2026-01-01\"}]",
	     "entry 2: \"data_categories\" must be a list"},
	    {"[{\"name\":\"R\",\"purpose\":\"p\",\"location\":\"l\",\"data_categories\":[\"x\"],"
	     "\"since\":\"2026-13-01\"}]",
	     "entry 1: \"since\" must be a date"},
	    {"[{\"name\":\"R\",\"purpose\":\"p\",\"location\":\"l\",\"data_categories\":[\"x\"],"
	     "\"since\":\"2026-01-01\",\"name\":\"S\"}]",
	     "is not JSON"},
	    {"{}", "must be a JSON list"},
	    {"[1]", "entry 1 is not an object"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct subproc_list l;
		struct err e;
		assert_int_equal(subproc_parse(bad[i].text, strlen(bad[i].text), "t", &l, &e), -1);
		if (strstr(e.msg, bad[i].why) == NULL)
			fail_msg("%s: %s", bad[i].text, e.msg);
		assert_int_equal(l.n, 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_list_reads_and_each_version_has_its_hash),
	    cmocka_unit_test(a_bad_list_is_refused_naming_what),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

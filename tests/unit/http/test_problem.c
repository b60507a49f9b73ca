/* Problem documents (RFC 9457): the fields, and nothing unsafe echoed. */
#include "cmocka_all.h"

#include <stdlib.h>
#include <string.h>

#include "http/problem.h"

static void
a_problem_has_the_rfc_9457_fields(void **state)
{
	char *s = problem_json(413, "too big", "rid", NULL);
	json_t *j = json_loads(s, 0, NULL);
	(void)state;
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "type")), "about:blank");
	assert_string_equal(json_string_value(json_object_get(j, "title")), "Content Too Large");
	assert_int_equal(json_integer_value(json_object_get(j, "status")), 413);
	assert_string_equal(json_string_value(json_object_get(j, "detail")), "too big");
	assert_string_equal(json_string_value(json_object_get(j, "request_id")), "rid");
	assert_null(json_object_get(j, "errors"));
	json_decref(j);
	free(s);
}

static void
errors_are_attached(void **state)
{
	json_t *errs = json_pack("[{s:s, s:s}]", "pointer", "/email", "detail", "is required");
	char *s = problem_json(400, "bad", "rid", errs);
	(void)state;
	assert_non_null(
	    strstr(s, "\"errors\":[{\"pointer\":\"/email\",\"detail\":\"is required\"}]"));
	free(s);
}

static void
a_detail_that_is_not_utf8_is_dropped(void **state)
{
	char *s = problem_json(400, "bad \xff byte", "rid", NULL);
	(void)state;
	assert_non_null(s);
	assert_null(strstr(s, "detail"));
	free(s);
}

static void
reason_phrases(void **state)
{
	(void)state;
	assert_string_equal(http_reason(405), "Method Not Allowed");
	assert_string_equal(http_reason(431), "Request Header Fields Too Large");
	assert_string_equal(http_reason(299), "Unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_problem_has_the_rfc_9457_fields),
	    cmocka_unit_test(errors_are_attached),
	    cmocka_unit_test(a_detail_that_is_not_utf8_is_dropped),
	    cmocka_unit_test(reason_phrases),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

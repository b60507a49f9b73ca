/* The router: exact literals, {param} capture and decoding, 404 vs 405 with Allow. */
#include "cmocka_all.h"

#include <string.h>

#include "http/router.h"

static void
h(struct http_req *r)
{
	(void)r;
}

static const struct route table[] = {
    {"GET", "/healthz", h, 0, NULL},
    {"GET", "/api/v1/productions/{id}", h, 0, NULL},
    {"DELETE", "/api/v1/productions/{id}", h, 0, NULL},
    {"POST", "/api/v1/productions/{id}/members/{member}", h, ROUTE_JSON_BODY, NULL},
    {"GET", "/assets/{version}/{path}", h, ROUTE_TAIL, NULL},
    {"GET", "/sheets/{cid}.pdf", h, 0, NULL},
    {"GET", "/sheets/{cid}", h, 0, NULL},
};
#define N (sizeof(table) / sizeof(table[0]))

static int
match(const char *method, const char *path, struct route_match *m)
{
	return router_match(table, N, method, strlen(method), path, strlen(path), m);
}

static void
literal_routes_match_exactly(void **state)
{
	struct route_match m;
	(void)state;
	assert_int_equal(match("GET", "/healthz", &m), 200);
	assert_ptr_equal(m.route, &table[0]);
	assert_int_equal(m.index, 0);
	assert_int_equal(match("GET", "/healthz/", &m), 404);
	assert_int_equal(match("GET", "/healthzz", &m), 404);
	assert_int_equal(match("GET", "/Healthz", &m), 404);
	assert_int_equal(match("GET", "/", &m), 404);
}

static void
params_are_captured_and_decoded(void **state)
{
	struct route_match m;
	(void)state;
	assert_int_equal(match("POST", "/api/v1/productions/prd_1/members/a%20b", &m), 200);
	assert_ptr_equal(m.route, &table[3]);
	assert_string_equal(router_param(&m, "id"), "prd_1");
	assert_string_equal(router_param(&m, "member"), "a b");
	assert_null(router_param(&m, "nope"));
}

static void
unsafe_params_do_not_match(void **state)
{
	struct route_match m;
	(void)state;
	/* an encoded slash, a control character, a truncated escape, an empty segment */
	assert_int_equal(match("GET", "/api/v1/productions/a%2Fb", &m), 404);
	assert_int_equal(match("GET", "/api/v1/productions/a%0Ab", &m), 404);
	assert_int_equal(match("GET", "/api/v1/productions/a%4", &m), 404);
	assert_int_equal(match("GET", "/api/v1/productions/", &m), 404);
	assert_int_equal(match("GET", "/api/v1/productions//x", &m), 404);
}

static void
wrong_method_is_405_with_allow(void **state)
{
	struct route_match m;
	(void)state;
	assert_int_equal(match("DELETE", "/healthz", &m), 405);
	assert_string_equal(m.allow, "GET, HEAD");
	assert_int_equal(match("PUT", "/api/v1/productions/x", &m), 405);
	assert_string_equal(m.allow, "GET, HEAD, DELETE");
}

static void
head_is_served_by_get(void **state)
{
	struct route_match m;
	(void)state;
	assert_int_equal(match("HEAD", "/healthz", &m), 200);
	assert_ptr_equal(m.route, &table[0]);
	assert_int_equal(match("HEAD", "/api/v1/productions/x/members/y", &m), 405);
	assert_string_equal(m.allow, "POST");
}

static void
overlong_param_does_not_match(void **state)
{
	char path[600];
	struct route_match m;
	(void)state;
	strcpy(path, "/api/v1/productions/");
	memset(path + strlen(path), 'a', 300);
	path[20 + 300] = '\0';
	assert_int_equal(match("GET", path, &m), 404);
}

static void
a_tail_takes_the_rest_of_the_path_segment_by_segment(void **state)
{
	struct route_match m;
	(void)state;
	assert_int_equal(match("GET", "/assets/v1/app.js", &m), 200);
	assert_ptr_equal(m.route, &table[4]);
	assert_string_equal(router_param(&m, "version"), "v1");
	assert_string_equal(router_param(&m, "path"), "app.js");
	assert_int_equal(match("GET", "/assets/v1/js/screens/call%20sheet.js", &m), 200);
	assert_string_equal(router_param(&m, "path"), "js/screens/call sheet.js");
	/* decoded segment by segment: an encoded dot is a dot, an encoded slash never a slash */
	assert_int_equal(match("GET", "/assets/v1/%2e%2e/x.js", &m), 200);
	assert_string_equal(router_param(&m, "path"), "../x.js");
	assert_int_equal(match("GET", "/assets/v1/js%2Fapp.js", &m), 404);
	/* no empty segment anywhere, nothing after the version, no control character */
	assert_int_equal(match("GET", "/assets/v1/", &m), 404);
	assert_int_equal(match("GET", "/assets/v1", &m), 404);
	assert_int_equal(match("GET", "/assets/v1//app.js", &m), 404);
	assert_int_equal(match("GET", "/assets/v1/js//app.js", &m), 404);
	assert_int_equal(match("GET", "/assets/v1/js/", &m), 404);
	assert_int_equal(match("GET", "/assets/v1/a%0A.js", &m), 404);
	/* the parameters before the tail stay one segment each */
	assert_int_equal(match("GET", "/assets//app.js", &m), 404);
	assert_int_equal(match("POST", "/assets/v1/js/app.js", &m), 405);
	assert_string_equal(m.allow, "GET, HEAD");
}

static void
a_parameter_may_end_in_a_literal_suffix(void **state)
{
	struct route_match m;
	(void)state;
	assert_int_equal(match("GET", "/sheets/cs_1.pdf", &m), 200);
	assert_ptr_equal(m.route, &table[5]);
	assert_string_equal(router_param(&m, "cid"), "cs_1");
	/* without the suffix, the plain route; the suffix alone is no value */
	assert_int_equal(match("GET", "/sheets/cs_1", &m), 200);
	assert_ptr_equal(m.route, &table[6]);
	assert_string_equal(router_param(&m, "cid"), "cs_1");
	assert_int_equal(match("GET", "/sheets/.pdf", &m), 200);
	assert_ptr_equal(m.route, &table[6]);
	assert_int_equal(match("GET", "/sheets/cs_1.pdfx", &m), 200);
	assert_ptr_equal(m.route, &table[6]);
	assert_int_equal(match("GET", "/sheets/cs_1.pdf/x", &m), 404);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(literal_routes_match_exactly),
	    cmocka_unit_test(params_are_captured_and_decoded),
	    cmocka_unit_test(unsafe_params_do_not_match),
	    cmocka_unit_test(wrong_method_is_405_with_allow),
	    cmocka_unit_test(head_is_served_by_get),
	    cmocka_unit_test(overlong_param_does_not_match),
	    cmocka_unit_test(a_tail_takes_the_rest_of_the_path_segment_by_segment),
	    cmocka_unit_test(a_parameter_may_end_in_a_literal_suffix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

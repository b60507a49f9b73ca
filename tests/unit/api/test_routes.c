/*
 * The route table's promises about bodies (api/routes.c, http/server.c):
 * a route that takes more than a JSON body checks its caller from the head,
 * before any byte of that body is read.
 */
#include "cmocka_all.h"

#include <stdio.h>

#include "api/handlers.h"

static void
every_upload_and_import_route_checks_its_head(void **state)
{
	size_t large = 0;
	(void)state;
	for (size_t i = 0; i < api_nroutes; i++) {
		const struct route *rt = &api_routes[i];
		if (!(rt->flags & (ROUTE_UPLOAD | ROUTE_IMPORT)))
			continue;
		large++;
		if (!api_route_checks_head(rt))
			fail_msg("%s %s takes a large body but checks nothing before it",
			         rt->method, rt->pattern);
		if (rt->flags & ROUTE_PUBLIC)
			fail_msg("%s %s takes a large body from anyone", rt->method, rt->pattern);
	}
	assert_int_equal(large,
	                 4); /* attachments, evidence, the CSV import, a production's import */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(every_upload_and_import_route_checks_its_head),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

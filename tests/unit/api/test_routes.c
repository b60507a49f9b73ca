/*
 * The route table's promises about bodies (api/routes.c, http/server.c):
 * a route that takes more than a JSON body checks its caller from the head,
 * before any byte of that body is read.
 */
#include "cmocka_all.h"

#include <stdio.h>
#include <string.h>

#include "api/handlers.h"
#include "api/call.h"

static void
every_upload_and_import_route_checks_its_head(void **state)
{
	size_t large = 0;
	(void)state;
	for (size_t i = 0; i < api_nroutes; i++) {
		const struct route *rt = &api_routes[i];
		if (rt->decl != NULL && rt->decl->head != NULL &&
		    (!(rt->flags & ROUTE_UPLOAD) || rt->decl->check == API_CHECK_PUBLIC))
			fail_msg("%s %s works from its head but is no checked upload", rt->method,
			         rt->pattern);
		if (!(rt->flags & (ROUTE_UPLOAD | ROUTE_IMPORT)))
			continue;
		large++;
		if (!api_route_checks_head(rt))
			fail_msg("%s %s takes a large body but checks nothing before it",
			         rt->method, rt->pattern);
		if (rt->flags & ROUTE_PUBLIC)
			fail_msg("%s %s takes a large body from anyone", rt->method, rt->pattern);
	}
	assert_int_equal(large, 5); /* attachments, evidence, the CSV import, a production's import,
	                               the people import */
}

/* The slow-work routes another change restructures may keep their checks in their handlers. */
static int
slow_work_route(const struct route *rt)
{
	return strstr(rt->pattern, "/sustainability/") != NULL ||
	       strstr(rt->pattern, "/factor-sets") != NULL ||
	       strstr(rt->pattern, "/export") != NULL || strstr(rt->pattern, "/import") != NULL;
}

static void
every_route_declares_its_check(void **state)
{
	(void)state;
	for (size_t i = 0; i < api_nroutes; i++) {
		const struct route *rt = &api_routes[i];
		const struct route_decl *d = rt->decl;
		if (d == NULL) {
			fail_msg("%s %s declares no check (api/call.h)", rt->method, rt->pattern);
			continue;
		}
		if (d->check == API_CHECK_IN_HANDLER) {
			if (rt->handler == api_dispatch || d->run != NULL)
				fail_msg("%s %s checks in its handler: it is called directly",
				         rt->method, rt->pattern);
		} else if (rt->handler != api_dispatch || d->run == NULL) {
			fail_msg("%s %s declares but is not dispatched", rt->method, rt->pattern);
		}
		switch (d->check) {
		case API_CHECK_POLICY:
		case API_CHECK_POLICY_SOME:
		case API_CHECK_VIEW:
		case API_CHECK_RECORD:
			if (d->nneeds == 0 || d->nneeds > API_MAX_NEEDS)
				fail_msg("%s %s names no resource and action", rt->method,
				         rt->pattern);
			for (size_t k = 0; k < d->nneeds; k++)
				if (!policy_applies(d->needs[k].res, d->needs[k].act))
					fail_msg("%s %s needs a pair the matrix does not define",
					         rt->method, rt->pattern);
			if (strncmp(rt->pattern, "/api/v1/productions/{id}", 24) != 0)
				fail_msg("%s %s: a production policy on a route of no production",
				         rt->method, rt->pattern);
			if (d->check != API_CHECK_VIEW && d->check != API_CHECK_RECORD &&
			    (d->refused == NULL || !d->refused[0]))
				fail_msg("%s %s refuses without saying why", rt->method,
				         rt->pattern);
			break;
		case API_CHECK_PUBLIC:
			if (!(rt->flags & ROUTE_PUBLIC))
				fail_msg("%s %s declares public but authenticates", rt->method,
				         rt->pattern);
			break;
		case API_CHECK_MEMBER:
			if (d->refused == NULL || !d->refused[0])
				fail_msg("%s %s refuses without saying why", rt->method,
				         rt->pattern);
			/* fall through */
		case API_CHECK_OWN:
			if (strncmp(rt->pattern, "/api/v1/productions/{id}", 24) != 0)
				fail_msg("%s %s: a member's route of no production", rt->method,
				         rt->pattern);
			break;
		case API_CHECK_SELF:
		case API_CHECK_INSTANCE_ADMIN: break;
		case API_CHECK_IN_HANDLER:
			if (!slow_work_route(rt))
				fail_msg(
				    "%s %s: only the slow-work routes may check in their handler",
				    rt->method, rt->pattern);
			break;
		default: fail_msg("%s %s forgets its policy", rt->method, rt->pattern);
		}
		if (d->check != API_CHECK_PUBLIC && (rt->flags & ROUTE_PUBLIC))
			fail_msg("%s %s is public but declares a check", rt->method, rt->pattern);
		if (d->check != API_CHECK_IN_HANDLER &&
		    !(rt->flags & ROUTE_JSON_BODY) != (d->body == NULL))
			fail_msg("%s %s: a JSON body route declares its schema, and only it",
			         rt->method, rt->pattern);
		if (d->body != NULL && d->nbody == 0)
			fail_msg("%s %s: an empty body schema", rt->method, rt->pattern);
		if (strcmp(rt->method, "GET") != 0 && d->check != API_CHECK_IN_HANDLER &&
		    d->check != API_CHECK_VIEW && d->audit == NULL)
			fail_msg("%s %s writes without naming its audit action", rt->method,
			         rt->pattern);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(every_upload_and_import_route_checks_its_head),
	    cmocka_unit_test(every_route_declares_its_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * reply.c — the answers every handler gives alike. See reply.h.
 *
 * Below api/access.c and api/view.c, which answer through it: it calls no
 * other module of api/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/reply.h"
#include "http/problem.h"
#include "http/router.h"
#include "util/log.h"

void
api_unavailable(struct http_req *r, const struct err *e)
{
	log_event(LOG_ERROR, "store error", LOG_STR("error", e->msg), LOG_END);
	http_end_problem(r, 503, "the production data is unavailable right now");
}

int
api_found(struct http_req *r, int found, const struct err *e, const char *what)
{
	char detail[128];
	if (found == 1)
		return 1;
	if (found == -1) {
		api_unavailable(r, e);
		return 0;
	}
	snprintf(detail, sizeof(detail), "there is no such %s in this production", what);
	http_end_problem(r, 404, detail);
	return 0;
}

void
api_bad_field(struct http_req *r, const char *pointer, const char *detail)
{
	http_field_error(r, pointer, detail);
	(void)http_field_errors_answer(r);
}

void
api_refuse(struct http_req *r, const struct err *e, const char *title)
{
	if ((e->status == 400 || e->status == 404 || e->status == 409) && e->field[0] != '\0') {
		http_end_problem_errors(
		    r, e->status, title,
		    json_pack("[{s:s, s:s}]", "pointer", e->field, "detail", e->msg));
		return;
	}
	api_unavailable(r, e);
}

long
api_query_long(struct http_req *r, const char *name, long def, long lo, long hi)
{
	char buf[24], *end;
	long v;
	int got = router_query_param(r->query, name, buf, sizeof(buf));
	if (got == 0)
		return def;
	if (got != 1 || buf[0] == '\0')
		return -1;
	v = strtol(buf, &end, 10);
	return *end != '\0' || v < lo || v > hi ? -1 : v;
}

void
api_end_problem_with(struct http_req *r, int status, const char *detail, const char *name,
                     json_t *value)
{
	char *s = problem_json(status, detail, r->request_id, NULL);
	json_t *j = s != NULL ? json_loads(s, 0, NULL) : NULL;
	char *out;

	free(s);
	if (j == NULL) {
		json_decref(value);
		http_end_problem(r, status, detail);
		return;
	}
	json_object_set_new(j, name, value);
	out = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	http_end_reply(r, status, "application/problem+json", out, out ? strlen(out) : 0);
	free(out);
}

/*
 * bench/audit_off.c — the baseline of bench/run's people_audit scenario: the
 * same Slate with the audit of personal-data reads (src/api/audit_read.c)
 * left out, so that the scenario can set the people list's rate with that
 * audit against its rate without. Linked only into build/bench/slate-audit-off
 * (Makefile), never into build/slate: it replaces audit_read.o, and every
 * function but audit_read_ids and audit_read_done (the two that write the
 * event: a page kept by the loop calls the first directly) is the real one.
 */
#define audit_read_done audit_read_done_unused
#define audit_read_ids  audit_read_ids_unused
#include "api/audit_read.c"
#undef audit_read_done
#undef audit_read_ids

void audit_read_ids(struct http_req *r, const char *ids);
void audit_read_done(struct http_req *r, struct audit_read *ar);

void
audit_read_ids(struct http_req *r, const char *ids)
{
	(void)r;
	(void)ids;
}

void
audit_read_done(struct http_req *r, struct audit_read *ar)
{
	(void)r;
	free(ar->ids);
	memset(ar, 0, sizeof(*ar));
}

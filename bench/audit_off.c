/*
 * bench/audit_off.c — the baseline of bench/run's people_audit scenario: the
 * same Slate with the audit of personal-data reads (src/api/audit_read.c)
 * left out, so that the scenario can set the people list's rate with that
 * audit against its rate without. Linked only into build/bench/slate-audit-off
 * (Makefile), never into build/slate: it replaces audit_read.o, and every
 * function but audit_read_done is the real one.
 */
#define audit_read_done audit_read_done_unused
#include "api/audit_read.c"
#undef audit_read_done

void audit_read_done(struct http_req *r, struct audit_read *ar);

void
audit_read_done(struct http_req *r, struct audit_read *ar)
{
	(void)r;
	free(ar->ids);
	memset(ar, 0, sizeof(*ar));
}

/*
 * production.c — `slate production archive|unarchive|close|reopen`: a
 * production's end from the shell (api/closing.h), the same steps as the
 * routes POST /api/v1/productions/{id}/archive|unarchive|close|reopen: the
 * same checks, the same final export offer mailed on close, one
 * transaction with the step's audit event (actor "cli:<login name>").
 * Erasure, once a closed production's grace period is over, is the
 * deletion job's (`slate purge`, and `slate serve` on its own).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/closing.h"
#include "audit/audit.h"
#include "cli/cli.h"
#include "crypto/keyring.h"
#include "store/store.h"
#include "util/nitems.h"
#include "util/timefmt.h"

static const char help[] =
    "usage: slate production archive|unarchive|close|reopen --data DIR --id PRODUCTION_ID\n"
    "\n"
    "archive:   read-only for everyone; members read it for archive_read_days more\n"
    "unarchive: open for changes again (not once it is closed)\n"
    "close:     an archived production is deleted for good close_grace_days later\n"
    "           (SLATE_PRODUCTION_CLOSE_GRACE_DAYS, default 30); its production admins and\n"
    "           producers are mailed the date and the offer of a final export\n"
    "reopen:    calls the deletion off, before it is due (it stays archived)\n"
    "`slate member list` lists the productions and their ids.\n";

static const char *const steps[] = {
    [CLOSING_ARCHIVE] = "archive",
    [CLOSING_UNARCHIVE] = "unarchive",
    [CLOSING_CLOSE] = "close",
    [CLOSING_REOPEN] = "reopen",
};

/* "2026-12-05T03:00:00Z", or "-" for 0. */
static const char *
when(long long t, char buf[TIMEFMT_LEN])
{
	if (t == 0)
		return "-";
	time_rfc3339((time_t)t, buf);
	return buf;
}

static int
step_cmd(struct store *s, const struct config *c, enum closing_step step, const char *id)
{
	struct audit_entry a = {cli_actor(), "cli", closing_step_action[step], id, "success",
	                        NULL,        id};
	struct store_production p;
	struct closing_state after;
	char t1[TIMEFMT_LEN], t2[TIMEFMT_LEN], t3[TIMEFMT_LEN];
	struct err e;
	int found;

	if ((found = store_production_get(s, id, &p, &e)) != 1) {
		cli_error("production", "%s",
		          found == 0 ? "there is no production with that id (slate member list)"
		                     : e.msg);
		return EXIT_FAIL;
	}
	if (store_begin(s, &e) == -1 ||
	    closing_step(s, &p, step, (long long)time(NULL), c->close_grace_days, &after, &e) ==
	        -1 ||
	    audit_record(s, &a, &e) == -1 || store_commit(s, &e) == -1) {
		store_rollback(s);
		cli_error("production", "%s", e.msg);
		return EXIT_FAIL;
	}
	printf("%s: archived %s, closed %s, deletion due %s\n", p.name, when(after.archived_at, t1),
	       when(after.closed_at, t2), when(after.deletion_due, t3));
	return EXIT_OK;
}

int
cmd_production(int argc, char **argv)
{
	static const char *id;
	static const struct cli_flag flags[] = {
	    {"--data", "data", NULL, NULL},
	    {"--id", NULL, NULL, &id},
	    {NULL, NULL, NULL, NULL},
	};
	const char *sub = argc > 0 ? argv[0] : "";
	struct keyring *keys = NULL;
	struct store *s;
	struct config c;
	int done, rc, step = -1;

	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
		fputs(help, stdout);
		return EXIT_OK;
	}
	for (size_t i = 0; i < nitems(steps); i++)
		if (strcmp(sub, steps[i]) == 0)
			step = (int)i;
	if (step == -1) {
		cli_error("production",
		          "say archive, unarchive, close or reopen (see slate production "
		          "--help)");
		return EXIT_USAGE;
	}
	rc = cli_config("production", argc - 1, argv + 1, flags, help, &c, &done);
	if (rc != EXIT_OK || done)
		goto out;
	if (id == NULL) {
		cli_error("production", "%s needs --id PRODUCTION_ID (slate member list)", sub);
		rc = EXIT_USAGE;
		goto out;
	}
	if ((s = cli_open_store("production", &c, &keys)) == NULL) {
		rc = EXIT_FAIL;
		goto out;
	}
	rc = step_cmd(s, &c, (enum closing_step)step, id);
	store_close(s);
	keyring_close(keys);
out:
	config_free(&c);
	return rc;
}

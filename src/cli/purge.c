/*
 * purge.c — `slate purge`: the deletion job by hand (backup/erasure.h).
 *
 * The same job `slate serve` runs on its own: the deletion log replayed
 * (whatever a logged deletion left is deleted again: after a restore from
 * before it), then every closed account whose grace period is over deleted
 * with every person record linked to it, their keys destroyed, and every
 * closed production whose grace period is over erased (api/closing.h). --dry-run
 * says what would go and changes nothing. Safe beside a running server
 * (each deletion is one transaction, as the server's would be); ids only
 * on the output, never a name or an address.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/closing.h"
#include "backup/erasure.h"
#include "cli/cli.h"
#include "crypto/keyring.h"
#include "store/store.h"

static const char help[] =
    "usage: slate purge --data DIR [--key-file PATH] [--config FILE] [--dry-run]\n"
    "\n"
    "Runs the deletion job now. It replays the deletion log (DIR/deletions.log), so that\n"
    "what was deleted before a restore is deleted again; then it deletes every closed\n"
    "account whose grace period (deletion_grace_days) is over, with every person record\n"
    "linked to it, and destroys their keys, and erases every closed production whose\n"
    "grace period (close_grace_days) is over. Each deletion is written to the deletion log\n"
    "first and audited (account.delete). --dry-run: says what would be deleted and\n"
    "changes nothing.\n";

static void
say(const char *line, void *arg)
{
	(void)arg;
	printf("%s\n", line);
}

int
cmd_purge(int argc, char **argv)
{
	static int dry_run;
	static const struct cli_flag flags[] = {
	    {"--data", "data", NULL, NULL},
	    {"--key-file", "key_file", NULL, NULL},
	    {"--dry-run", NULL, &dry_run, NULL},
	    {NULL, NULL, NULL, NULL},
	};
	struct erasure_report rep = {0};
	struct closing_report prods = {0, 0, 0, 0};
	long long now = (long long)time(NULL);
	struct keyring *keys = NULL;
	struct store *s = NULL;
	struct config c;
	struct err e;
	int done, rc;

	rc = cli_config("purge", argc, argv, flags, help, &c, &done);
	if (rc != EXIT_OK || done)
		goto out;
	rc = EXIT_FAIL;
	if ((s = cli_open_store("purge", &c, &keys)) == NULL)
		goto out;
	if (erasure_replay(s, keys, c.data_dir, dry_run, say, NULL, &rep, &e) == -1 ||
	    erasure_due(s, keys, c.data_dir, now, dry_run, say, NULL, &rep, &e) == -1 ||
	    productions_close_due(s, keys, c.data_dir, c.upload_dir, now, dry_run, &prods, &e) ==
	        -1) {
		cli_error("purge", "%s", e.msg);
		goto out;
	}
	printf("%s %d account(s) and %d person record(s) linked to them, and %ld closed "
	       "production(s) (%ld key(s), %ld file(s)); %d of %d deletion log entries %s.\n",
	       dry_run ? "Would delete" : "Deleted", rep.accounts, rep.people, prods.productions,
	       prods.keys, prods.files, rep.replayed, rep.entries,
	       dry_run ? "would be replayed" : "replayed");
	if (prods.failed > 0) {
		cli_error("purge",
		          "%ld closed production(s) could not be erased (the log says why)",
		          prods.failed);
		goto out;
	}
	/* the log's copies at the destinations: a failure here loses nothing (the server's next
	   pass copies it again) */
	if (!dry_run && erasure_ship(&c, &e) == -1)
		cli_error("purge", "warning: the deletion log was not copied to the backups: %s",
		          e.msg);
	rc = EXIT_OK;
out:
	store_close(s);
	keyring_close(keys);
	config_free(&c);
	return rc;
}

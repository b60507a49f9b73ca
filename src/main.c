/*
 * main.c — `slate COMMAND …`: dispatch only. Each command lives in cli/.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "cli/cli.h"
#include "store/pagecrypt.h"
#include "util/log.h"
#include "util/nitems.h"
#include "util/wipe.h"

#ifndef SLATE_VERSION
#define SLATE_VERSION "0.0.0-dev"
#endif

static const char usage[] =
    "usage: slate COMMAND [OPTIONS]\n"
    "\n"
    "Slate is a self-hosted, security-first data server for film and TV productions.\n"
    "\n"
    "Commands:\n"
    "  init     create a data directory: master key, development certificate,\n"
    "           first administrator, demo production\n"
    "  serve    run the HTTPS server\n"
    "  user     add, list, disable, close and reopen accounts (slate user --help)\n"
    "  production\n"
    "           a production's end: archive, unarchive, close, reopen\n"
    "           (slate production --help)\n"
    "  purge    the deletion job now: closed accounts past their grace period, the\n"
    "           deletion log replayed (slate purge --help)\n"
    "  member   production membership: add, list, set-role, revoke (slate member --help)\n"
    "  keys     the keystore: status, rotate, backup, shred-person (slate keys --help)\n"
    "  export   a production's data as JSON, CSV, iCalendar or vCard (slate export --help)\n"
    "  import   load a JSON export as a new production (slate import --help)\n"
    "  factors  emission factor sets: import a newer set, list them (slate factors --help)\n"
    "  migrate-encryption\n"
    "           convert a plaintext database into an encrypted one\n"
    "  sql      run SQL on the decrypted database (read-only unless --write)\n"
    "  accept-restore\n"
    "           accept an older slate.db restored from a backup on purpose\n"
    "  fsck     the files the database names against the upload directory: orphans,\n"
    "           missing files (slate fsck --help)\n"
    "  backup   encrypted snapshots to backup_dir: now, verify (a restore drill),\n"
    "           status (slate backup --help)\n"
    "  restore  a new data directory from a snapshot (slate restore --help)\n"
    "  incident the incident register and its 72-hour clock: open, list, show, update,\n"
    "           notify-authority, close, affected (slate incident --help)\n"
    "  audit    verify the audit log's hash chain (slate audit --help)\n"
    "\n"
    "  slate COMMAND --help   options of one command\n"
    "  slate --version        print the version\n";

static const struct {
	const char *name;
	int (*fn)(int, char **);
} commands[] = {
    {"init", cmd_init},         {"serve", cmd_serve},
    {"user", cmd_user},         {"member", cmd_member},
    {"keys", cmd_keys},         {"export", cmd_export},
    {"factors", cmd_factors},   {"migrate-encryption", cmd_migrate_encryption},
    {"sql", cmd_sql},           {"accept-restore", cmd_accept_restore},
    {"import", cmd_import},     {"fsck", cmd_fsck},
    {"backup", cmd_backup},     {"restore", cmd_restore},
    {"incident", cmd_incident}, {"purge", cmd_purge},
    {"audit", cmd_audit},       {"production", cmd_production},
};

int
main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("slate %s\n", SLATE_VERSION);
		return EXIT_OK;
	}
	if (sodium_init() < 0) {
		fputs("slate: cannot initialise libsodium\n", stderr);
		return EXIT_FAIL;
	}
	/* Before any JSON value or libevent object exists: freed memory is wiped (util/wipe.h). */
	wipe_install_jansson();
	wipe_install_libevent();
	/* Commands other than serve speak in one line on stderr, not in log lines. */
	if (strcmp(argv[1], "serve") != 0)
		log_set_level(LOG_ERROR);
	{
		/* Before any database opens: every one Slate opens is encrypted unless it says not.
		 */
		struct err e;
		if (pagecrypt_register(&e) == -1) {
			fprintf(stderr, "slate: %s\n", e.msg);
			return EXIT_FAIL;
		}
	}
	for (size_t i = 0; i < nitems(commands); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 2, argv + 2);
	fprintf(stderr, "slate: '%s' is not a command (see slate --help)\n", argv[1]);
	return EXIT_USAGE;
}

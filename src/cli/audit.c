/*
 * audit.c — `slate audit verify`: walks the audit log's hash chain
 * (audit/audit.c) of a data directory, beside a running server or not, and
 * says whether it is whole: every link, and a start that is seq 1 or the
 * cut the newest retention event names (domain/retention.h). Exit 0 when
 * sound, 1 when broken (the first broken seq is named) or unreadable.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "audit/audit.h"
#include "cli/cli.h"
#include "crypto/keyring.h"
#include "store/store.h"

static const char help[] =
    "usage: slate audit verify --data DIR [--json] [--key-file PATH] [--config FILE]\n"
    "\n"
    "Verifies the audit log's hash chain: every event links to the one before,\n"
    "and the chain starts at its first event or where the retention job last cut\n"
    "it (docs/SECURITY.md, Retention). Exit 1 names the first broken event.\n";

int
cmd_audit(int argc, char **argv)
{
	static int as_json;
	static const struct cli_flag flags[] = {
	    {"--data", "data", NULL, NULL},
	    {"--key-file", "key_file", NULL, NULL},
	    {"--json", NULL, &as_json, NULL},
	    {NULL, NULL, NULL, NULL},
	};
	struct config c;
	struct store *s = NULL;
	struct keyring *keys = NULL;
	struct err e;
	long long count = 0, bad = 0;
	int rc, done;

	if (argc > 0 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
		fputs(help, stdout);
		return EXIT_OK;
	}
	if (argc < 1 || strcmp(argv[0], "verify") != 0) {
		cli_error("audit", "say what to do: slate audit verify --data DIR");
		return EXIT_USAGE;
	}
	rc = cli_config("audit", argc - 1, argv + 1, flags, help, &c, &done);
	if (rc != EXIT_OK || done)
		goto out;
	rc = EXIT_FAIL;
	if ((s = cli_open_store("audit", &c, &keys)) == NULL)
		goto out;
	if (audit_verify(s, &count, &bad, &e) == -1) {
		cli_error("audit", "%s", e.msg);
		goto out;
	}
	if (as_json)
		cli_print_json(json_pack("{s:b, s:I, s:I}", "ok", bad == 0, "events",
		                         (json_int_t)count, "first_bad", (json_int_t)bad),
		               1);
	else if (bad == 0)
		printf("the audit chain is whole: %lld events\n", count);
	if (bad != 0) {
		cli_error("audit", "the audit chain breaks at event %lld", bad);
		goto out;
	}
	rc = EXIT_OK;
out:
	store_close(s);
	keyring_close(keys);
	config_free(&c);
	return rc;
}

/*
 * import.c — `slate import`: a production exported from another Slate
 * (`slate export`, or GET …/export?format=json by a production admin or
 * producer) loaded into this data directory as a new production, by the
 * operator who holds the directory and its keys.
 *
 * The work is api/import.c's, as for POST /api/v1/productions/import: the
 * same checks, one transaction, the same report (printed as one JSON line).
 * Records whose author has no account here (call sheets' publisher,
 * entries whose member is not matched) are attributed to the first
 * instance administrator of this directory. Audited as `production.import`
 * by actor "cli:<login>". An export that does not fit prints one line
 * naming the record at fault ("/people/3/work_email: …") and exits 1 with
 * nothing written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/import.h"
#include "cli/archive.h"
#include "cli/cli.h"
#include "crypto/keyring.h"
#include "store/store.h"

static const char help[] =
    "usage: slate import --data DIR [--attachments TAR] FILE\n"
    "\n"
    "Loads FILE, a JSON export of a whole production (version 2: `slate export`, or\n"
    "GET .../export?format=json by a production admin or producer), into DIR as a new\n"
    "production with the same ids. Members are matched to this instance's accounts by\n"
    "email; what cannot come in is listed in the report (docs/CONTRACT.md, Import).\n"
    "--attachments TAR: the files, as `slate export --format attachments` wrote them,\n"
    "re-encrypted here under new keys (without it, attachments are not imported).\n"
    "All or nothing: on an error nothing is written.\n";

static void
first_admin(const struct store_user *u, void *arg)
{
	char *id = arg;
	if (id[0] == '\0' && u->is_instance_admin && !u->disabled)
		snprintf(id, STORE_ID_LEN + 8, "%s", u->id);
}

int
cmd_import(int argc, char **argv)
{
	static const char *tar;
	static const struct cli_flag flags[] = {
	    {"--data", "data", NULL, NULL},
	    {"--attachments", NULL, NULL, &tar},
	    {NULL, NULL, NULL, NULL},
	};
	struct archive_import ai = {NULL, NULL, NULL, 0};
	struct import_files files = {archive_import, &ai};
	struct config c;
	struct store *s = NULL;
	struct keyring *keys = NULL;
	json_t *set = NULL, *report = NULL;
	json_error_t je;
	const char *file = NULL;
	char actor[STORE_ID_LEN + 8] = "";
	struct err e;
	int rc, done;

	/* FILE is the one argument that is not an option or an option's value */
	if (argc > 0 && argv[argc - 1][0] != '-' &&
	    (argc < 2 || strcmp(argv[argc - 2], "--data") != 0) &&
	    (argc < 2 || strcmp(argv[argc - 2], "--attachments") != 0) &&
	    (argc < 2 || strcmp(argv[argc - 2], "--config") != 0)) {
		file = argv[argc - 1];
		argc--;
	}
	rc = cli_config("import", argc, argv, flags, help, &c, &done);
	if (rc != EXIT_OK || done)
		goto out;
	if (file == NULL) {
		cli_error("import", "say which export to load: slate import --data DIR FILE");
		rc = EXIT_USAGE;
		goto out;
	}
	rc = EXIT_FAIL;
	if ((set = json_load_file(file, JSON_REJECT_DUPLICATES, &je)) == NULL) {
		cli_error("import", "%s is not one JSON document (line %d: %s)", file, je.line,
		          je.text);
		goto out;
	}
	if ((s = cli_open_store("import", &c, &keys)) == NULL)
		goto out;
	if (store_user_list(s, first_admin, actor, &e) == -1) {
		cli_error("import", "%s", e.msg);
		goto out;
	}
	if (actor[0] == '\0') {
		cli_error("import",
		          "this data directory has no instance administrator (slate init)");
		goto out;
	}
	ai.path = tar;
	ai.upload_dir = c.upload_dir;
	report = import_dataset(s, set, actor, tar != NULL ? &files : NULL, &e);
	archive_undo(&ai, report != NULL);
	if (report == NULL) {
		cli_error("import", "%s%s%s", e.field[0] ? e.field : "", e.field[0] ? ": " : "",
		          e.msg);
		goto out;
	}
	cli_audit("import", s, "production.import",
	          json_string_value(json_object_get(json_object_get(report, "production"), "id")),
	          json_string_value(json_object_get(json_object_get(report, "production"), "id")));
	cli_print_json(report, 1);
	report = NULL;
	rc = EXIT_OK;
out:
	json_decref(report);
	json_decref(set);
	store_close(s);
	keyring_close(keys);
	config_free(&c);
	return rc;
}

/*
 * export.c — `slate export`: a production's data from the shell, as the
 * operator who holds the data directory and its keys.
 *
 * The operator exports as a production admin (everything), through the same
 * data set and writers as GET …/export (api/export.c), so the bytes are the
 * ones an admin downloads. Output goes to standard output, or to --out FILE,
 * created 0600 and never over an existing file. Audited as
 * `production.export` by actor "cli:<login>".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/export.h"
#include "cli/archive.h"
#include "cli/cli.h"
#include "crypto/keyring.h"
#include "store/store.h"

static const char help[] =
    "usage: slate export --data DIR --production ID [--format FORMAT] [--table TABLE]\n"
    "                    [--person ID] [--callsheet ID] [--paper a4|letter] [--out FILE]\n"
    "\n"
    "FORMAT: json (the whole data set, the default), csv (one --table: departments,\n"
    "people, locations, days, scenes, calls or callsheets), ics (the shoot days, or\n"
    "--person ID's calls), vcf (the people as vCard 4.0), callsheet (one published\n"
    "--callsheet ID), pdf (that call sheet drawn for print, on --paper a4 or letter,\n"
    "--person ID's call highlighted), attachments (the files of the JSON export's attachments as a "
    "tar,\n"
    "for `slate import --attachments`). --out FILE is created with mode 0600 and never\n"
    "overwritten.\n"
    "`slate member list` lists the productions and their ids.\n";

/* The destination: stdout, or a new 0600 file; NULL after saying why. */
static FILE *
open_out(const char *path)
{
	int fd;
	FILE *f;
	if (path == NULL)
		return stdout;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) == -1) {
		cli_error("export", "cannot create %s: %s", path, strerror(errno));
		return NULL;
	}
	if ((f = fdopen(fd, "w")) == NULL)
		close(fd);
	return f;
}

int
cmd_export(int argc, char **argv)
{
	static const char *production, *format, *table, *person, *callsheet, *paper, *out;
	static const struct cli_flag flags[] = {
	    {"--data", "data", NULL, NULL},    {"--production", NULL, NULL, &production},
	    {"--format", NULL, NULL, &format}, {"--table", NULL, NULL, &table},
	    {"--person", NULL, NULL, &person}, {"--callsheet", NULL, NULL, &callsheet},
	    {"--paper", NULL, NULL, &paper},   {"--out", NULL, NULL, &out},
	    {NULL, NULL, NULL, NULL},
	};
	struct export_query q;
	struct api_reader rd;
	struct store_production p;
	struct config c;
	struct store *s = NULL;
	struct keyring *keys = NULL;
	json_t *set = NULL;
	FILE *f = NULL;
	struct err e;
	char object[64];
	int rc, done, found, files;

	memset(&rd, 0, sizeof(rd));
	rc = cli_config("export", argc, argv, flags, help, &c, &done);
	if (rc != EXIT_OK || done)
		goto out;
	if (production == NULL) {
		cli_error("export", "say which production with --production ID");
		rc = EXIT_USAGE;
		goto out;
	}
	q = (struct export_query){format ? format : "json", table, person, callsheet, paper};
	files = format != NULL && strcmp(format, "attachments") == 0;
	if (!files && export_check(&q, &e) == -1) {
		cli_error("export", "--%s must be %s", e.field + 1, e.msg);
		rc = EXIT_USAGE;
		goto out;
	}
	rc = EXIT_FAIL;
	if ((s = cli_open_store("export", &c, &keys)) == NULL)
		goto out;
	if ((found = store_production_get(s, production, &p, &e)) != 1) {
		if (found == 0)
			err_set(&e, 404, "there is no production %s", production);
		cli_error("export", "%s", e.msg);
		goto out;
	}
	api_reader_operator(&rd, &p);
	if ((set = export_dataset(s, &rd, 0, &e)) == NULL) {
		cli_error("export", "%s", e.msg);
		goto out;
	}
	if ((f = open_out(out)) == NULL)
		goto out;
	if (files) {
		if (fflush(f) != 0 ||
		    archive_export(fileno(f), s, c.upload_dir, p.id,
		                   json_object_get(set, "attachments"), &e) == -1) {
			cli_error("export", "%s", e.msg);
			goto out;
		}
	} else if (export_write(f, s, &rd, set, &q, &e) == -1) {
		cli_error("export", "%s%s%s", e.field[0] ? e.field + 1 : "", e.field[0] ? ": " : "",
		          e.msg);
		goto out;
	}
	if (fflush(f) != 0) {
		cli_error("export", "cannot write the export: %s", strerror(errno));
		goto out;
	}
	snprintf(object, sizeof(object), "%s:%s%s%s", p.id, q.format, q.table ? ":" : "",
	         q.table ? q.table : "");
	cli_audit("export", s, "production.export", object, p.id);
	rc = EXIT_OK;
out:
	if (f != NULL && f != stdout) {
		fclose(f);
		if (rc != EXIT_OK) /* no half-written export left behind */
			unlink(out);
	}
	api_reader_free(&rd);
	json_decref(set);
	store_close(s);
	keyring_close(keys);
	config_free(&c);
	return rc;
}

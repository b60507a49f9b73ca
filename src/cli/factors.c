/*
 * factors.c — `slate factors import|list`: the emission factor sets of the
 * installation (docs/SUSTAINABILITY.md).
 *
 * import reads a CSV file (the columns of the files in data/factors) whole into
 * memory (at most 16 MiB); domain/carbon_file.c reads its rows into
 * store_factor_set_import, which takes every row or none. The same bytes imported again change
 * nothing; other bytes under an existing set id become its next version, and the versions before
 * stay for the entries computed with them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cli.h"
#include "crypto/keyring.h"
#include "domain/carbon_file.h"
#include "store/store.h"
#include "util/io.h"
#include "util/xalloc.h"

#define FACTOR_FILE_MAX (16L * 1024 * 1024)

static const char help[] =
    "usage: slate factors import FILE --data DIR --set ID [--name TEXT]\n"
    "       slate factors list --data DIR\n"
    "\n"
    "import: adds the emission factors of FILE (CSV with the columns category,\n"
    "        activity, unit, kg_co2e_per_unit, source, year, and optionally notes and\n"
    "        factor_id) as factor set ID, such as uk-desnz-2025; a set that exists\n"
    "        with other factors gets a new version. Every row is checked first: one\n"
    "        bad row imports nothing and is named with its line number.\n"
    "list:   every factor set and version with its number of factors (JSON lines)\n";

/* ID: lower-case letters, digits and '-', 2 to 63 characters, not "custom". */
static int
set_id_ok(const char *id)
{
	size_t n = strlen(id);
	if (n < 2 || n > 63 || strcmp(id, STORE_FACTOR_SET_CUSTOM) == 0)
		return 0;
	for (const char *p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return 0;
	return 1;
}

/* The file whole, NUL-terminated; NULL after saying why. */
static char *
read_file(const char *path, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1 || fstat(fd, &st) == -1) {
		cli_error("factors", "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > FACTOR_FILE_MAX) {
		cli_error("factors", "%s is not a regular file of at most 16 MiB", path);
		goto out;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	if (io_read_full(fd, buf, (size_t)st.st_size, len) == -1 || *len != (size_t)st.st_size) {
		cli_error("factors", "cannot read %s: %s", path, strerror(errno));
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[*len] = '\0';
out:
	if (fd != -1)
		close(fd);
	return buf;
}

static void
print_set(const struct store_factor_set *set, void *arg)
{
	(void)arg;
	cli_print_json(json_pack("{s:s, s:i, s:s, s:I, s:s}", "id", set->id, "version",
	                         set->version, "name", set->name, "factors",
	                         (json_int_t)set->factors, "imported_at", set->imported_at),
	               1);
}

int
cmd_factors(int argc, char **argv)
{
	static const char *set, *name;
	static const struct cli_flag flags[] = {
	    {"--data", "data", NULL, NULL},
	    {"--set", NULL, NULL, &set},
	    {"--name", NULL, NULL, &name},
	    {NULL, NULL, NULL, NULL},
	};
	const char *sub = argc > 0 ? argv[0] : "", *file = NULL;
	struct config c;
	struct store *s = NULL;
	struct keyring *keys = NULL;
	struct carbon_file cf;
	char *csv = NULL, object[96];
	size_t len = 0;
	struct err e;
	int rc, done, version, skip = 1;

	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
		fputs(help, stdout);
		return EXIT_OK;
	}
	if (strcmp(sub, "import") == 0) {
		if (argc < 2 || argv[1][0] == '-') {
			cli_error("factors", "say which file: slate factors import FILE --set ID");
			return EXIT_USAGE;
		}
		file = argv[1];
		skip = 2;
	} else if (strcmp(sub, "list") != 0) {
		cli_error("factors", "say import or list (see slate factors --help)");
		return EXIT_USAGE;
	}
	rc = cli_config("factors", argc - skip, argv + skip, flags, help, &c, &done);
	if (rc != EXIT_OK || done)
		goto out;
	if (file != NULL && (set == NULL || !set_id_ok(set))) {
		cli_error("factors",
		          "--set must name the set: 2 to 63 of a-z, 0-9 and '-', such as "
		          "uk-desnz-2025");
		rc = EXIT_USAGE;
		goto out;
	}
	rc = EXIT_FAIL;
	if (file != NULL && (csv = read_file(file, &len)) == NULL)
		goto out;
	if ((s = cli_open_store("factors", &c, &keys)) == NULL)
		goto out;
	if (file == NULL) {
		if (store_factor_sets(s, print_set, NULL, &e) == -1) {
			cli_error("factors", "%s", e.msg);
			goto out;
		}
		rc = EXIT_OK;
		goto out;
	}
	if (carbon_file_open(&cf, csv, len, &e) == -1) {
		cli_error("factors", "%s: %s", file, e.msg);
		goto out;
	}
	switch (
	    store_factor_set_import(s, set, name, cf.sha256, carbon_file_next, &cf, &version, &e)) {
	case -1: cli_error("factors", "%s: %s", file, e.msg); goto out;
	case 0:
		printf("factor set %s version %d already holds these factors\n", set, version);
		break;
	default:
		printf("factor set %s version %d imported\n", set, version);
		snprintf(object, sizeof(object), "%s@%d", set, version);
		cli_audit("factors", s, "sustainability.factors.import", object, NULL);
	}
	rc = EXIT_OK;
out:
	free(csv);
	store_close(s);
	keyring_close(keys);
	config_free(&c);
	return rc;
}

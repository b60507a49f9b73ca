/*
 * fsck.c — `slate fsck`: the database's rows against the files they name.
 *
 * An attachment (a file, or a sustainability entry's evidence) is a row and
 * an encrypted file under the upload directory (DATA/uploads unless
 * upload_dir says otherwise). The file is written before its row commits
 * and removed after the commit that removes its row (store/store.h),
 * so a crash between can leave an orphan — a file no row names — but never
 * a row naming a file that is gone. fsck lists both:
 *
 *   orphan FILE            a file under the upload directory that no row names
 *   missing FILE ATT_ID    a row whose file is not there (damage, or a restore
 *                          of the database without its files)
 *
 * one line each on stdout, and exits 1 when there is any, 0 when the two
 * agree. --remove-orphans removes the orphans (printing "removed FILE"); a
 * missing file cannot be made again and still exits 1.
 *
 * A running server may be receiving an upload: its file exists before its
 * row. A file is judged only once it is older than request_timeout and a
 * minute, by which time such an upload has either committed or been
 * removed; younger files are passed over in silence.
 *
 * Memory: the rows' file names are one jansson object (name -> id) for the
 * run; nothing is kept after.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cli.h"
#include "crypto/keyring.h"
#include "store/store.h"

static const char help[] =
    "usage: slate fsck --data DIR [--remove-orphans]\n"
    "\n"
    "Compares the attachments the database names with the files of the upload\n"
    "directory. Prints one line per problem and exits 1 when there is any:\n"
    "  orphan FILE           a file no attachment names (left by a crash)\n"
    "  missing FILE ATT_ID   an attachment whose file is gone\n"
    "--remove-orphans removes the orphan files (\"removed FILE\"). Files younger\n"
    "than request_timeout plus a minute are skipped: an upload may be arriving.\n";

static void
add_file(const char *id, const char *stored_name, void *arg)
{
	json_object_set_new(arg, stored_name, json_string(id));
}

int
cmd_fsck(int argc, char **argv)
{
	static int remove_orphans;
	static const struct cli_flag flags[] = {
	    {"--data", "data", NULL, NULL},
	    {"--remove-orphans", NULL, &remove_orphans, NULL},
	    {NULL, NULL, NULL, NULL},
	};
	struct config c;
	struct store *s = NULL;
	struct keyring *keys = NULL;
	json_t *named = json_object();
	DIR *d = NULL;
	struct dirent *de;
	const char *name;
	json_t *id;
	char path[4200];
	time_t young;
	long problems = 0;
	int rc, done;
	struct err e;

	rc = cli_config("fsck", argc, argv, flags, help, &c, &done);
	if (rc != EXIT_OK || done)
		goto out;
	rc = EXIT_FAIL;
	if ((s = cli_open_store("fsck", &c, &keys)) == NULL)
		goto out;
	if (store_attachment_files(s, add_file, named, &e) == -1) {
		cli_error("fsck", "%s", e.msg);
		goto out;
	}
	young = time(NULL) - (time_t)c.request_timeout - 60;
	if ((d = opendir(c.upload_dir)) == NULL && errno != ENOENT) {
		cli_error("fsck", "cannot read %s: %s", c.upload_dir, strerror(errno));
		goto out;
	}
	while (d != NULL && (de = readdir(d)) != NULL) {
		struct stat st;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    json_object_get(named, de->d_name) != NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", c.upload_dir, de->d_name);
		if (lstat(path, &st) == -1 || st.st_mtime > young)
			continue; /* gone meanwhile, or perhaps an upload still arriving */
		if (remove_orphans && S_ISREG(st.st_mode) && unlink(path) == 0) {
			printf("removed %s\n", path);
			continue;
		}
		if (remove_orphans)
			cli_error("fsck", "cannot remove %s: %s", path,
			          S_ISREG(st.st_mode) ? strerror(errno) : "not a file");
		printf("orphan %s\n", path);
		problems++;
	}
	json_object_foreach (named, name, id) {
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", c.upload_dir, name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			continue;
		printf("missing %s %s\n", path, json_string_value(id));
		problems++;
	}
	rc = problems == 0 ? EXIT_OK : EXIT_FAIL;
out:
	if (d != NULL)
		closedir(d);
	json_decref(named);
	store_close(s);
	keyring_close(keys);
	config_free(&c);
	return rc;
}

/*
 * keys.c — `slate keys status|rotate|shred-person`: the operator's view of
 * the keystore (crypto/keyring.h).
 *
 * status prints ids, kinds, versions and times, never key material.
 *
 * rotate makes a new master key and re-wraps every data key under it, in
 * three steps that survive a crash at any point:
 *   1. the new key is written to KEY_FILE.new (0600, O_EXCL, fsync);
 *   2. one keystore transaction re-wraps every live data key and replaces
 *      the master key check — from here only the new key opens the keystore;
 *   3. KEY_FILE.new is renamed over KEY_FILE and the directory synced.
 * A crash before 2 leaves a stale KEY_FILE.new, removed by the next rotate;
 * a crash between 2 and 3 is finished by the next command that opens the
 * keystore (cli_open_keys). A serving `slate serve` keeps answering: it
 * notices the rotation at its next key lookup and reads the new key file.
 *
 * backup copies the keystore to BACKUP_DIR/keys-YYYYMMDDTHHMMSSZ.db (-2 … -9
 * before .db for more copies within one second) and
 * removes the copies there older than keystore_backup_days (30 at most, so
 * no keystore copy outlives the deletion grace period: a person key
 * destroyed today is gone from every keystore backup within 30 days). Run
 * it from cron, daily; the age comes from the name, not the file time.
 *
 * shred-person destroys an account's person key and the keys of the
 * person records linked to that account in every production: every copy
 * of that person's sealed fields, in the live database and in every backup
 * taken before, reads as erased from then on.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cli.h"
#include "crypto/keyring.h"
#include "crypto/masterkey.h"
#include "store/store.h"
#include "util/xalloc.h"

static const char help[] =
    "usage: slate keys status       --data DIR [--key-file PATH] [--json]\n"
    "       slate keys rotate       --data DIR [--key-file PATH]\n"
    "       slate keys backup       --data DIR [--key-file PATH]\n"
    "       slate keys shred-person --data DIR [--key-file PATH] --email EMAIL\n"
    "\n"
    "status:       the master key's id and every data key's id, kind, version and times\n"
    "              (never key material)\n"
    "rotate:       a new master key in the key file; every data key re-wrapped under it;\n"
    "              the old master key opens nothing afterwards\n"
    "backup:       copies the keystore into keystore_backup_dir and removes copies older\n"
    "              than keystore_backup_days (at most 30)\n"
    "shred-person: destroys the person key of the account with this email, and of its\n"
    "              person records in every production: their sealed fields read as\n"
    "              erased everywhere, backups included\n";

struct listing {
	json_t *arr;
};

static int
print_key(const struct keyring_info *k, void *arg)
{
	struct listing *l = arg;
	if (l->arr != NULL) {
		json_t *o = json_pack("{s:s, s:s, s:i, s:s}", "id", k->id, "kind", k->kind,
		                      "version", k->version, "created_at", k->created_at);
		json_object_set_new(o, "destroyed_at",
		                    k->destroyed_at[0] ? json_string(k->destroyed_at)
		                                       : json_null());
		json_array_append_new(l->arr, o);
	} else {
		printf("%-32s %-10s %-3d %-20s %s\n", k->id, k->kind, k->version, k->created_at,
		       k->destroyed_at[0] ? k->destroyed_at : "-");
	}
	return 0;
}

static int
status(struct keyring *kr, int as_json)
{
	char id[KEYRING_ID_MAX], created[32];
	struct listing l = {as_json ? json_array() : NULL};
	struct err e;

	if (keyring_kek_info(kr, id, created, &e) == -1) {
		json_decref(l.arr);
		cli_error("keys", "%s", e.msg);
		return EXIT_FAIL;
	}
	if (!as_json) {
		printf("master key %s, in use since %s\n\n", id, created);
		printf("%-32s %-10s %-3s %-20s %s\n", "ID", "KIND", "VER", "CREATED", "DESTROYED");
	}
	if (keyring_each(kr, print_key, &l, &e) == -1) {
		json_decref(l.arr);
		cli_error("keys", "%s", e.msg);
		return EXIT_FAIL;
	}
	if (as_json)
		cli_print_json(json_pack("{s:{s:s, s:s}, s:o}", "master_key", "id", id,
		                         "created_at", created, "data_keys", l.arr),
		               1);
	return EXIT_OK;
}

static int
sync_dir_of(const char *path)
{
	char *copy = xstrdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = -1;
	if (fd != -1) {
		rc = fsync(fd);
		close(fd);
	}
	free(copy);
	return rc;
}

static int
rotate(struct keyring *kr, const struct config *c)
{
	char pending[4200], before[KEYRING_ID_MAX], after[KEYRING_ID_MAX], when[32];
	struct secret next = {NULL, 0};
	struct err e;
	int rc = EXIT_FAIL;

	snprintf(pending, sizeof(pending), "%s.new", c->key_file);
	/* The keystore opened with the current key, so a KEY_FILE.new is from a rotation that never
	 * committed. */
	if (unlink(pending) == -1 && errno != ENOENT) {
		cli_error("keys", "cannot remove the stale %s: %s", pending, strerror(errno));
		return EXIT_FAIL;
	}
	if (keyring_kek_info(kr, before, when, &e) == -1 || masterkey_create(pending, &e) == -1 ||
	    masterkey_load(pending, &next, &e) == -1) {
		cli_error("keys", "%s", e.msg);
		unlink(pending);
		goto out;
	}
	if (keyring_rotate(kr, &next, &e) == -1) {
		cli_error("keys", "%s; the old master key is still in use", e.msg);
		unlink(pending);
		goto out;
	}
	if (rename(pending, c->key_file) == -1 || sync_dir_of(c->key_file) == -1) {
		cli_error(
		    "keys",
		    "the keys were re-wrapped but %s could not replace %s (%s); the next slate "
		    "command finishes this",
		    pending, c->key_file, strerror(errno));
		goto out;
	}
	keyring_kek_info(kr, after, when, &e);
	printf("Master key rotated: %s -> %s. The old key opens nothing now; keystore backups "
	       "taken before this moment need the old key, so let them expire.\n",
	       before, after);
	rc = EXIT_OK;
out:
	secret_free(&next);
	return rc;
}

/* The time in a backup's name keys-YYYYMMDDTHHMMSSZ[-N].db, or -1. */
static time_t
backup_time(const char *name)
{
	struct tm tm;
	const char *end;
	memset(&tm, 0, sizeof(tm));
	if (strncmp(name, "keys-", 5) != 0 ||
	    (end = strptime(name + 5, "%Y%m%dT%H%M%SZ", &tm)) == NULL)
		return -1;
	if (end[0] == '-' && end[1] >= '2' && end[1] <= '9') /* a second copy within one second */
		end += 2;
	if (strcmp(end, ".db") != 0)
		return -1;
	return timegm(&tm);
}

static int
backup(struct keyring *kr, const struct config *c)
{
	char dest[4400], stamp[32], old[4400];
	time_t now = time(NULL), cutoff = now - (time_t)c->keystore_backup_days * 86400;
	struct tm tm;
	struct dirent *de;
	struct err e;
	DIR *d;
	int removed = 0;

	if (mkdir(c->keystore_backup_dir, 0700) == -1 && errno != EEXIST) {
		cli_error("keys", "cannot create %s: %s", c->keystore_backup_dir, strerror(errno));
		return EXIT_FAIL;
	}
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(dest, sizeof(dest), "%s/keys-%s.db", c->keystore_backup_dir, stamp);
	for (int n = 2; n <= 9 && access(dest, F_OK) == 0; n++)
		snprintf(dest, sizeof(dest), "%s/keys-%s-%d.db", c->keystore_backup_dir, stamp, n);
	if (keyring_backup(kr, dest, &e) == -1 || sync_dir_of(dest) == -1) {
		cli_error("keys", "%s", e.msg);
		return EXIT_FAIL;
	}
	if ((d = opendir(c->keystore_backup_dir)) == NULL) {
		cli_error("keys", "cannot read %s: %s", c->keystore_backup_dir, strerror(errno));
		return EXIT_FAIL;
	}
	while ((de = readdir(d)) != NULL) {
		time_t t = backup_time(de->d_name);
		if (t == -1 || t >= cutoff)
			continue;
		snprintf(old, sizeof(old), "%s/%s", c->keystore_backup_dir, de->d_name);
		if (unlink(old) == 0)
			removed++;
	}
	closedir(d);
	printf("Keystore copied to %s; %d copies older than %ld days removed.\n", dest, removed,
	       c->keystore_backup_days);
	return EXIT_OK;
}

struct shred_records {
	struct keyring *keys;
	int destroyed, failed;
	struct err e;
};

/* Destroys the key of one person record linked to the account. */
static void
shred_record(const char *id, void *arg)
{
	struct shred_records *sr = arg;
	int rc = sr->failed ? 0 : keyring_destroy(sr->keys, id, &sr->e);
	if (rc == -1)
		sr->failed = 1;
	sr->destroyed += rc == 1;
}

static int
shred(const struct config *c, const char *email)
{
	struct shred_records sr = {0};
	struct keyring *store_keys = NULL;
	struct store *s;
	struct store_user u;
	struct err e;
	int found, rc = EXIT_FAIL;

	if (email == NULL) {
		cli_error("keys", "shred-person needs --email");
		return EXIT_USAGE;
	}
	if ((s = cli_open_store("keys", c, &store_keys)) == NULL)
		return EXIT_FAIL;
	if ((found = store_user_by_email(s, email, &u, &e)) != 1) {
		cli_error("keys", "%s", found == 0 ? "no account has that email" : e.msg);
		goto out;
	}
	sr.keys = store_keys;
	if ((found = keyring_destroy(store_keys, u.id, &e)) == -1 ||
	    store_person_ids_of_user(s, u.id, shred_record, &sr, &e) == -1 || sr.failed) {
		cli_error("keys", "%s", sr.failed ? sr.e.msg : e.msg);
		goto out;
	}
	if (found == 0 && sr.destroyed == 0) {
		cli_error("keys", "the person key of %s was already destroyed", u.id);
		goto out;
	}
	cli_audit("keys", s, "keys.shred_person", u.id, NULL);
	printf("Destroyed the person key of %s and of %d person record(s) linked to it: their "
	       "sealed fields read as erased, in backups too.\nKeystore backups older than now "
	       "still hold it until they expire "
	       "(keystore_backup_days); rotate the master key to retire them at once.\n",
	       u.id, sr.destroyed);
	rc = EXIT_OK;
out:
	store_close(s);
	keyring_close(store_keys);
	return rc;
}

int
cmd_keys(int argc, char **argv)
{
	static int as_json;
	static const char *email;
	static const struct cli_flag flags[] = {
	    {"--data", "data", NULL, NULL},  {"--key-file", "key_file", NULL, NULL},
	    {"--email", NULL, NULL, &email}, {"--json", NULL, &as_json, NULL},
	    {NULL, NULL, NULL, NULL},
	};
	struct config c;
	struct keyring *kr = NULL;
	const char *sub = argc > 0 ? argv[0] : "";
	char path[4096];
	int done, rc;

	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
		fputs(help, stdout);
		return EXIT_OK;
	}
	if (strcmp(sub, "status") != 0 && strcmp(sub, "rotate") != 0 &&
	    strcmp(sub, "backup") != 0 && strcmp(sub, "shred-person") != 0) {
		cli_error("keys",
		          "say status, rotate, backup or shred-person (see slate keys --help)");
		return EXIT_USAGE;
	}
	rc = cli_config("keys", argc - 1, argv + 1, flags, help, &c, &done);
	if (rc != EXIT_OK || done)
		goto out;
	rc = EXIT_FAIL;
	snprintf(path, sizeof(path), "%s/keys.db", c.data_dir);
	if (access(path, F_OK) == -1) {
		cli_error("keys", "%s is not a Slate data directory (run slate init first)",
		          c.data_dir);
		goto out;
	}
	if (strcmp(sub, "shred-person") == 0) {
		rc = shred(&c, email);
		goto out;
	}
	if ((kr = cli_open_keys("keys", &c, 0)) == NULL)
		goto out;
	rc = strcmp(sub, "status") == 0   ? status(kr, as_json)
	     : strcmp(sub, "backup") == 0 ? backup(kr, &c)
	                                  : rotate(kr, &c);
out:
	keyring_close(kr);
	config_free(&c);
	return rc;
}

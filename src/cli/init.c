/*
 * init.c — `slate init`: a new data directory.
 *
 * Creates, in this order: DIR (0700), the master key file (0600; DIR/master.key
 * unless --key-file names another place, which may already hold a key), in
 * development a self-signed certificate under DIR/tls, the database with
 * every migration, the first instance administrator (must change the
 * password at first sign-in) and, in development, a demo production.
 *
 * It never touches a directory that has anything in it, and when a step
 * fails it removes what it created, so a failed init leaves nothing behind.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "cli/cli.h"
#include "cli/demo.h"
#include "crypto/keyring.h"
#include "crypto/masterkey.h"
#include "crypto/password.h"
#include "crypto/tlscert.h"
#include "store/store.h"
#include "util/secret.h"
#include "util/xalloc.h"
#include "util/nitems.h"

static const char help[] =
    "usage: slate init --data DIR [--key-file PATH] [--config FILE] [--json]\n"
    "\n"
    "Creates a data directory. DIR must not exist or be empty.\n"
    "  --data DIR        data directory (SLATE_DATA)\n"
    "  --key-file PATH   master key file (SLATE_MASTER_KEY_FILE; default DIR/master.key;\n"
    "                    production keeps it outside DIR); an existing key file is used\n"
    "  --config FILE     INI configuration (SLATE_CONFIG)\n"
    "  --json            print the result as one JSON object\n"
    "Environment: SLATE_ENVIRONMENT, SLATE_ADMIN_EMAIL (admin@localhost),\n"
    "SLATE_ADMIN_PASSWORD (default: a random one, printed once).\n";

/* Files init may create, relative to DIR, removed again on failure. */
static const char *const created_files[] = {"slate.db-wal", "slate.db-shm", "slate.db",
                                            "keys.db-wal",  "keys.db-shm",  "keys.db",
                                            "tls/cert.pem", "tls/key.pem"};

static int
dir_state(const char *path, int *exists)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int empty = 1;

	*exists = 0;
	if (d == NULL)
		return errno == ENOENT ? 1 : -1;
	*exists = 1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	return empty;
}

static void
undo(const char *dir, int made_dir, const char *key_file, int made_key)
{
	char p[PATH_MAX];
	for (size_t i = 0; i < nitems(created_files); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, created_files[i]);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/tls", dir);
	rmdir(p);
	if (made_key)
		unlink(key_file);
	if (made_dir)
		rmdir(dir);
}

static int
is_inside(const char *dir, const char *file)
{
	char rd[PATH_MAX], rf[PATH_MAX], parent[PATH_MAX];
	char *slash;
	size_t n;

	snprintf(parent, sizeof(parent), "%s", file);
	slash = strrchr(parent, '/');
	if (slash == NULL)
		snprintf(parent, sizeof(parent), ".");
	else if (slash == parent)
		parent[1] = '\0';
	else
		*slash = '\0';
	if (realpath(dir, rd) == NULL || realpath(parent, rf) == NULL)
		return 0;
	n = strlen(rd);
	return strncmp(rd, rf, n) == 0 && (rf[n] == '\0' || rf[n] == '/');
}

static int
create_admin(struct store *s, const struct password_cost *cost, const char *email,
             const char *password, char *id, size_t idlen, struct err *e)
{
	struct store_user u;
	memset(&u, 0, sizeof(u));
	snprintf(u.email, sizeof(u.email), "%s", email);
	snprintf(u.display_name, sizeof(u.display_name), "Administrator");
	if (password_hash(password, strlen(password), cost, u.password_hash, e) == -1)
		return -1;
	u.must_change_password = 1;
	u.is_instance_admin = 1;
	if (store_user_create(s, &u, e) == -1)
		return -1;
	snprintf(id, idlen, "%s", u.id);
	return 0;
}

/* The demo production, with the first administrator as its production admin. */
static int
create_demo(struct store *s, const char *admin_id, struct err *e)
{
	struct store_production p;
	char mid[STORE_ID_LEN + 8];
	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "Northern Lights (demo)");
	snprintf(p.timezone, sizeof(p.timezone), "Europe/London");
	if (store_production_create(s, &p, e) == -1 ||
	    store_membership_add(s, p.id, admin_id, "production_admin", NULL, mid, sizeof(mid),
	                         e) == -1)
		return -1;
	return demo_load(s, p.id, admin_id, e);
}

int
cmd_init(int argc, char **argv)
{
	static int as_json;
	static const struct cli_flag flags[] = {
	    {"--data", "data", NULL, NULL},
	    {"--key-file", "key_file", NULL, NULL},
	    {"--json", NULL, &as_json, NULL},
	    {NULL, NULL, NULL, NULL},
	};
	struct config c;
	struct err e;
	struct store *s = NULL;
	struct keyring *keys = NULL;
	struct secret key = {NULL, 0};
	struct password_cost cost;
	char password[64], db[PATH_MAX], tls[PATH_MAX], admin_id[STORE_ID_LEN + 8];
	const char *given = getenv("SLATE_ADMIN_PASSWORD");
	int done, rc, exists, made_dir = 0, made_key = 0, state;

	rc = cli_config("init", argc, argv, flags, help, &c, &done);
	if (rc != EXIT_OK || done)
		goto out_config;
	rc = EXIT_FAIL;
	if (given != NULL && (strlen(given) < 12 || strlen(given) >= sizeof(password))) {
		cli_error("init", "SLATE_ADMIN_PASSWORD must be 12 to 63 characters");
		goto out_config;
	}
	if ((state = dir_state(c.data_dir, &exists)) == -1) {
		cli_error("init", "cannot read %s: %s", c.data_dir, strerror(errno));
		goto out_config;
	}
	if (state == 0) {
		cli_error("init", "%s is not empty; refusing to touch an existing data directory",
		          c.data_dir);
		goto out_config;
	}
	if (!exists) {
		if (mkdir(c.data_dir, 0700) == -1) {
			cli_error("init", "cannot create %s: %s", c.data_dir, strerror(errno));
			goto out_config;
		}
		made_dir = 1;
	} else if (chmod(c.data_dir, 0700) == -1) {
		cli_error("init", "cannot set the mode of %s: %s", c.data_dir, strerror(errno));
		goto out_config;
	}
	if (c.environment == ENV_PRODUCTION && is_inside(c.data_dir, c.key_file)) {
		cli_error("init", "in production the master key file must live outside the data "
		                  "directory (use --key-file)");
		goto fail;
	}
	if (access(c.key_file, F_OK) == 0) {
		if (masterkey_load(c.key_file, &key, &e) == -1) {
			cli_error("init", "%s", e.msg);
			goto fail;
		}
	} else {
		if (masterkey_create(c.key_file, &e) == -1) {
			cli_error("init", "%s", e.msg);
			goto fail;
		}
		made_key = 1;
		if (masterkey_load(c.key_file, &key, &e) == -1) {
			cli_error("init", "%s", e.msg);
			goto fail;
		}
	}
	if (c.environment == ENV_DEVELOPMENT) {
		snprintf(tls, sizeof(tls), "%s/tls", c.data_dir);
		if (mkdir(tls, 0700) == -1 || tlscert_create_dev(c.tls_cert, c.tls_key, &e) == -1) {
			cli_error("init", "%s",
			          errno && e.msg[0] == '\0' ? strerror(errno) : e.msg);
			goto fail;
		}
	}
	snprintf(db, sizeof(db), "%s/keys.db", c.data_dir);
	if ((keys = keyring_open(db, &key, c.key_file, 1, &e)) == NULL) {
		cli_error("init", "%s", e.msg);
		goto fail;
	}
	snprintf(db, sizeof(db), "%s/slate.db", c.data_dir);
	if ((s = store_open(db, 1, keys, &e)) == NULL) {
		cli_error("init", "%s", e.msg);
		goto fail;
	}
	cost = password_cost_of(&c);
	if (given != NULL)
		snprintf(password, sizeof(password), "%s", given);
	else
		password_generate(password);
	if (store_begin(s, &e) == -1 ||
	    create_admin(s, &cost, c.admin_email, password, admin_id, sizeof(admin_id), &e) == -1 ||
	    (c.environment == ENV_DEVELOPMENT && create_demo(s, admin_id, &e) == -1) ||
	    store_commit(s, &e) == -1) {
		store_rollback(s);
		cli_error("init", "%s", e.msg);
		goto fail;
	}
	store_close(s);
	s = NULL;
	if (as_json) {
		json_t *j =
		    json_pack("{s:s, s:s}", "data", c.data_dir, "admin_email", c.admin_email);
		if (given == NULL)
			json_object_set_new(j, "admin_password", json_string(password));
		cli_print_json(j, 1);
	} else {
		printf("Slate data directory created at %s\n", c.data_dir);
		printf("First administrator: %s\n", c.admin_email);
		if (given == NULL)
			printf(
			    "One-time password:   %s\n(shown only now; it must be changed at first "
			    "sign-in)\n",
			    password);
	}
	sodium_memzero(password, sizeof(password));
	rc = EXIT_OK;
	goto out_config;
fail:
	store_close(s);
	keyring_close(keys);
	keys = NULL;
	undo(c.data_dir, made_dir, c.key_file, made_key);
out_config:
	keyring_close(keys);
	secret_free(&key);
	config_free(&c);
	return rc;
}

/*
 * cli.c — see cli.h.
 */
#include "cli/cli.h"
#include "store/store_sqlite.h"
#include "backup/ship.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <pwd.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "audit/audit.h"
#include "crypto/keyring.h"
#include "crypto/masterkey.h"
#include "store/store.h"
#include "util/log.h"
#include "util/xalloc.h"

void
cli_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "slate: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char *
env(const char *name)
{
	return getenv(name);
}

int
cli_config(const char *cmd, int argc, char **argv, const struct cli_flag *flags, const char *help,
           struct config *c, int *done)
{
	const char **values = xcalloc((size_t)argc + 1, sizeof(char *));
	const struct cli_flag **which = xcalloc((size_t)argc + 1, sizeof(const struct cli_flag *));
	const char *config_file = getenv("SLATE_CONFIG");
	size_t nset = 0;
	int rc = EXIT_USAGE;
	struct err e;

	*done = 0;
	config_defaults(c);
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char *eq = strchr(a, '=');
		size_t alen = eq ? (size_t)(eq - a) : strlen(a);
		const struct cli_flag *f = NULL;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(help, stdout);
			*done = 1;
			rc = EXIT_OK;
			goto out;
		}
		for (const struct cli_flag *k = flags; k->flag != NULL; k++)
			if (strlen(k->flag) == alen && strncmp(k->flag, a, alen) == 0)
				f = k;
		if (strcmp(a, "--config") == 0 || strncmp(a, "--config=", 9) == 0) {
			if (eq == NULL && i + 1 >= argc) {
				cli_error(cmd, "--config needs a value");
				goto out;
			}
			config_file = eq ? eq + 1 : argv[++i];
			continue;
		}
		if (f == NULL) {
			cli_error(cmd, "unknown option '%.*s' (see slate %s --help)", (int)alen, a,
			          cmd);
			goto out;
		}
		if (f->key == NULL && f->value == NULL) {
			if (eq != NULL) {
				cli_error(cmd, "%s takes no value", f->flag);
				goto out;
			}
			*f->boolean = 1;
			continue;
		}
		if (eq == NULL && i + 1 >= argc) {
			cli_error(cmd, "%s needs a value", f->flag);
			goto out;
		}
		if (f->value != NULL) {
			*f->value = eq ? eq + 1 : argv[++i];
			continue;
		}
		which[nset] = f;
		values[nset++] = eq ? eq + 1 : argv[++i];
	}
	rc = EXIT_FAIL;
	if (config_file != NULL && config_file[0] != '\0') {
		if (config_load_file(c, config_file, &e) == -1) {
			cli_error(cmd, "%s", e.msg);
			goto out;
		}
		c->config_file = xstrdup(config_file);
	}
	if (config_load_env(c, env, &e) == -1) {
		cli_error(cmd, "%s", e.msg);
		goto out;
	}
	rc = EXIT_USAGE;
	for (size_t i = 0; i < nset; i++) {
		if (config_set(c, which[i]->key, values[i], &e) == -1) {
			cli_error(cmd, "%s: %s", which[i]->flag, e.msg);
			goto out;
		}
	}
	if (c->data_dir == NULL || c->data_dir[0] == '\0') {
		cli_error(cmd, "the data directory is required: --data DIR or SLATE_DATA");
		goto out;
	}
	if (config_finish(c, &e) == -1) {
		cli_error(cmd, "%s", e.msg);
		goto out;
	}
	/*
	 * Backups on (backup_dir, or s3_endpoint alone): Slate owns checkpoints in
	 * every process (backup/ship.c). A
	 * data directory whose WAL a shipper works on (its backup.lock exists) is
	 * treated the same by a command run without the backup settings (a shell
	 * without the service's SLATE_BACKUP_*): its checkpoint would backfill
	 * frames not shipped yet behind the shipper's back. `slate serve` without
	 * backups removes the marker: backups were turned off.
	 */
	if ((c->backup_dir != NULL && c->backup_dir[0] != '\0') ||
	    (c->s3_endpoint != NULL && c->s3_endpoint[0] != '\0')) {
		store_sqlite_own_checkpoints(1, ship_commit_hook);
	} else {
		char marker[4096];
		int n = snprintf(marker, sizeof(marker), "%s/backup.lock", c->data_dir);
		if (n > 0 && (size_t)n < sizeof(marker)) {
			if (strcmp(cmd, "serve") == 0) {
				if (unlink(marker) == -1 && errno != ENOENT)
					log_event(LOG_WARN, "cannot remove the backup marker",
					          LOG_STR("path", marker),
					          LOG_STR("error", strerror(errno)), LOG_END);
			} else if (access(marker, F_OK) == 0) {
				store_sqlite_own_checkpoints(1, ship_commit_hook);
			}
		}
	}
	rc = EXIT_OK;
out:
	free(values);
	free(which);
	return rc;
}

struct keyring *
cli_open_keys(const char *cmd, const struct config *c, int from_stdin)
{
	char path[4096], pending[4200];
	struct secret key = {NULL, 0};
	struct keyring *kr = NULL;
	struct err e;

	snprintf(path, sizeof(path), "%s/keys.db", c->data_dir);
	if ((from_stdin ? masterkey_read_fd(0, &key, &e) : masterkey_load(c->key_file, &key, &e)) ==
	    -1) {
		cli_error(cmd, "%s", e.msg);
		return NULL;
	}
	{
		/* A data directory from before the keystore existed gets one now (its rows are
		 * sealed at the store's open). */
		char db[4200];
		int upgrade;
		snprintf(db, sizeof(db), "%s/slate.db", c->data_dir);
		upgrade = access(path, F_OK) == -1 && access(db, F_OK) == 0;
		kr = keyring_open(path, &key, from_stdin ? NULL : c->key_file, upgrade, &e);
		if (kr != NULL && upgrade)
			log_event(LOG_WARN, "created the keystore of an older data directory",
			          LOG_STR("keystore", path), LOG_END);
	}
	secret_free(&key);
	snprintf(pending, sizeof(pending), "%s.new", c->key_file);
	if (kr == NULL && !from_stdin && e.status == 401 && access(pending, F_OK) == 0) {
		struct err e2;
		if (masterkey_load(pending, &key, &e2) == 0 &&
		    (kr = keyring_open(path, &key, c->key_file, 0, &e2)) != NULL) {
			if (rename(pending, c->key_file) == -1) {
				cli_error(cmd, "cannot finish the key rotation: rename %s: %s",
				          pending, strerror(errno));
				keyring_close(kr);
				kr = NULL;
			} else {
				log_event(LOG_WARN, "finished an interrupted key rotation",
				          LOG_STR("key_file", c->key_file), LOG_END);
			}
			secret_free(&key);
			return kr;
		}
		secret_free(&key);
	}
	if (kr == NULL)
		cli_error(cmd, "%s", e.msg);
	return kr;
}

struct keyring *
cli_open_data(const char *cmd, const struct config *c, char *db, size_t cap)
{
	struct stat st;

	snprintf(db, cap, "%s/slate.db", c->data_dir);
	if (stat(db, &st) == -1) {
		cli_error(cmd, "%s is not a Slate data directory (run slate init first)",
		          c->data_dir);
		return NULL;
	}
	return cli_open_keys(cmd, c, 0);
}

struct store *
cli_open_store(const char *cmd, const struct config *c, struct keyring **keys)
{
	char db[4096];
	struct err e;
	struct store *s;

	if ((*keys = cli_open_data(cmd, c, db, sizeof(db))) == NULL)
		return NULL;
	if ((s = store_open(db, 0, *keys, &e)) == NULL) {
		cli_error(cmd, "%s", e.msg);
		keyring_close(*keys);
		*keys = NULL;
	}
	return s;
}

const char *
cli_actor(void)
{
	static char actor[64];
	struct passwd *pw = getpwuid(geteuid());
	snprintf(actor, sizeof(actor), "cli:%s", pw != NULL ? pw->pw_name : "unknown");
	return actor;
}

void
cli_audit(const char *cmd, struct store *s, const char *action, const char *object,
          const char *production)
{
	struct audit_entry a = {cli_actor(), "cli", action, object, "success", NULL, production};
	struct err e;
	if (audit_record(s, &a, &e) == -1)
		cli_error(cmd, "warning: the audit event was not written: %s", e.msg);
}

void
cli_print_json(json_t *j, int ok)
{
	char *out;
	if (j == NULL)
		return;
	out = json_dumps(j, JSON_COMPACT);
	if (ok && out != NULL)
		puts(out);
	if (out != NULL) /* it may carry a one-time password */
		sodium_memzero(out, strlen(out));
	free(out);
	json_decref(j);
}

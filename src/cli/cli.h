/*
 * cli.h — what every subcommand shares: exit codes, the one-line error, and
 * building the configuration from defaults, file, environment and flags.
 */
#ifndef SLATE_CLI_CLI_H
#define SLATE_CLI_CLI_H

#include "util/config.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

struct cli_flag {
	const char *flag;   /* "--listen" */
	const char *key;    /* the config key it sets, or NULL */
	int *boolean;       /* or: set to 1 when the flag is present */
	const char **value; /* or: points at the flag's value (the command's own options) */
};

/*
 * Parses argv (after the subcommand) against flags, then builds c:
 * defaults < --config/SLATE_CONFIG file < SLATE_* environment < flags.
 * Prints help and returns EXIT_OK with *done = 1 for --help. Returns an exit
 * code; EXIT_OK means go on.
 */
int cli_config(const char *cmd, int argc, char **argv, const struct cli_flag *flags,
               const char *help, struct config *c, int *done);

/* "slate: CMD: message" on stderr. */
__attribute__((format(printf, 2, 3))) void cli_error(const char *cmd, const char *fmt, ...);

int cmd_init(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_member(int argc, char **argv);
int cmd_keys(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_factors(int argc, char **argv);
int cmd_migrate_encryption(int argc, char **argv);
int cmd_sql(int argc, char **argv);
int cmd_accept_restore(int argc, char **argv);
int cmd_fsck(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_purge(int argc, char **argv);
int cmd_production(int argc, char **argv);
int cmd_incident(int argc, char **argv);
int cmd_audit(int argc, char **argv);

/* Prints j on one line when ok, then wipes and releases it (NULL is fine). */
struct json_t;
void cli_print_json(struct json_t *j, int ok);

/*
 * Opens the keystore DATA/keys.db with the master key from key_file (or
 * standard input when from_stdin). A rotation that stopped between
 * re-wrapping the keys and replacing the key file (key_file.new left
 * behind and the only key that opens the keystore) is finished here.
 * Prints the error itself.
 */
struct keyring;
struct keyring *cli_open_keys(const char *cmd, const struct config *c, int from_stdin);

/*
 * Checks that DATA/slate.db exists (its path written to db) and opens the
 * keystore; prints the error itself.
 */
struct keyring *cli_open_data(const char *cmd, const struct config *c, char *db, size_t cap);
/* Opens the keystore and DATA/slate.db (applying migrations); prints the error itself. */
struct store;
struct store *cli_open_store(const char *cmd, const struct config *c, struct keyring **keys);
/* The actor named in audit events written from the shell: "cli:<login name>". */
const char *cli_actor(void);
/* Records a successful shell action (production may be NULL); a failure is a warning line. */
void cli_audit(const char *cmd, struct store *s, const char *action, const char *object,
               const char *production);

#endif

/*
 * store.h — the only door to persistent data.
 *
 * Domain and API code talk to this interface, never to SQLite or libpq, so a
 * second backend (PostgreSQL) can sit behind the same calls. A struct store
 * is one connection: it belongs to one thread (each HTTP loop and each
 * command opens its own) and is never shared.
 *
 * Conventions: functions return 0 on success and -1 on error with e filled;
 * look-ups return 1 when found and 0 when not. Identifiers are opaque text
 * (128 random bits, see store_new_id) so that ids are neither guessable nor
 * countable, and the same SQL runs on SQLite and PostgreSQL. Times are UTC
 * RFC 3339 text.
 */
#ifndef SLATE_STORE_STORE_H
#define SLATE_STORE_STORE_H

#include <stddef.h>

#include "util/err.h"

struct store;

#define STORE_ID_LEN 30 /* prefix (3) + '_' + 26 base32 characters (128 random bits) */

struct store_user {
	char id[STORE_ID_LEN + 8];
	char email[256];
	char display_name[256];
	char password_hash[256];
	int must_change_password;
	int is_instance_admin;
	int disabled;
};

struct store_production {
	char id[STORE_ID_LEN + 8];
	char name[256];
	char timezone[64];
};

/* Opens (creating when `create`) the database at path and applies pending migrations. */
struct store *store_open(const char *path, int create, struct err *e);
void store_close(struct store *s);

/* Migrations compiled into the binary: the newest version this binary knows. */
int store_known_version(void);
int store_schema_version(struct store *s, int *version, struct err *e);
int store_ping(struct store *s, struct err *e);

/* Write transactions (BEGIN IMMEDIATE on SQLite). */
int store_begin(struct store *s, struct err *e);
int store_commit(struct store *s, struct err *e);
void store_rollback(struct store *s);

/* Fills buf (at least STORE_ID_LEN + 1 bytes) with "pfx_" and 26 base32 characters. */
void store_new_id(char *buf, size_t len, const char *prefix);

int store_user_create(struct store *s, struct store_user *u, struct err *e);
int store_user_by_email(struct store *s, const char *email, struct store_user *out, struct err *e);
int store_production_create(struct store *s, struct store_production *p, struct err *e);
int store_production_count(struct store *s, long *n, struct err *e);

/* A new session for user_id; token_hash is the hex SHA-256 of the cookie token. */
int store_session_create(struct store *s, const char *user_id, const char *token_hash,
                         long lifetime_seconds, struct err *e);

#endif

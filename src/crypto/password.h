/*
 * password.h — password hashing with Argon2id (libsodium crypto_pwhash).
 *
 * Hashes are PHC strings ($argon2id$v=19$m=...,t=...,p=1$salt$hash). The cost
 * never goes below OWASP's minimum (19 MiB, t=2, p=1). These calls take tens
 * of milliseconds on purpose: the server runs them on the worker pool.
 */
#ifndef SLATE_CRYPTO_PASSWORD_H
#define SLATE_CRYPTO_PASSWORD_H

#include <stddef.h>

#include "util/err.h"

#define PASSWORD_HASH_MAX 128 /* crypto_pwhash_STRBYTES */

struct password_cost {
	unsigned long long opslimit; /* t */
	size_t memlimit;             /* bytes */
};

/* OWASP minimum: m = 19 MiB, t = 2. */
extern const struct password_cost password_cost_default;

struct config;
/* The configured cost (config bounds keep it at or above the default). */
struct password_cost password_cost_of(const struct config *c);
/* 1 when hash was made at another cost than `cost` and should be made again. */
int password_needs_rehash(const char *hash, const struct password_cost *cost);

int password_hash(const char *pw, size_t len, const struct password_cost *cost,
                  char out[PASSWORD_HASH_MAX], struct err *e);
/* 1 when pw matches hash, 0 when it does not (or the hash is malformed). */
int password_verify(const char *hash, const char *pw, size_t len);
/* Hashes a fixed password so that a login for an unknown user costs the same time. */
void password_burn(const struct password_cost *cost);
#define PASSWORD_MIN_CHARS 12
#define PASSWORD_MAX_BYTES 1024

/*
 * The password policy (NIST SP 800-63B): at least 12 characters, up to 1024
 * bytes, used whole (no truncation), no composition rules; refused when it
 * is a dictionary word or trivially weak (libpwquality with cracklib), or
 * built from the account's email. e->msg says why, for the person choosing.
 */
int password_acceptable(const char *pw, const char *email, struct err *e);

/* Fills out with a random password of 20 characters from an unambiguous alphabet. */
void password_generate(char out[21]);

#endif

/*
 * accounts.h — the rules for adding an account, shared by the shell
 * (`slate user add`, cli/user.c) and the API (POST /api/v1/admin/users,
 * api/admin.c), so that both make the same account from the same input.
 *
 * - The email must be plausible (util/email.h): else 400 naming /email.
 * - The display name is the one given, else the email's part before '@'.
 * - The password is one-time: generated (20 characters, shown once), or,
 *   for the shell only, given (SLATE_USER_PASSWORD) and held to the policy
 *   (crypto/password.h). Either way it must be changed at first sign-in.
 * - An email already in use (case-insensitive) → 409 naming /email.
 * - The audit action is user.add, or user.add_admin for an instance
 *   administrator; the caller writes it with its own actor.
 *
 * Three steps, because hashing is slow on purpose and the server runs it on
 * its worker pool: accounts_prepare (the rules, fast), accounts_hash
 * (Argon2id, no store), accounts_create (the store, in the caller's
 * transaction when it holds one). A struct accounts_new holds the one-time
 * password: accounts_wipe clears it.
 */
#ifndef SLATE_DOMAIN_ACCOUNTS_H
#define SLATE_DOMAIN_ACCOUNTS_H

#include <jansson.h>

#include "crypto/password.h"
#include "store/store.h"
#include "util/err.h"

struct accounts_new {
	struct store_user u;                   /* the account; u.id once created */
	char password[PASSWORD_MAX_BYTES + 1]; /* the one-time password */
	int given;                             /* given by the caller: never shown back */
};

/*
 * Fills n from the input (name and given may be NULL): 0, or -1 with e set
 * (400 naming /email; 400 for a given password the policy refuses).
 */
int accounts_prepare(struct accounts_new *n, const char *email, const char *name, const char *given,
                     int admin, struct err *e);
/* Hashes n's password into n->u.password_hash (slow): 0, or -1 with e set. */
int accounts_hash(struct accounts_new *n, const struct password_cost *cost, struct err *e);
/* Creates the account (n->u.id filled): 0, or -1 with e set (409 naming /email when taken). */
int accounts_create(struct store *s, struct accounts_new *n, struct err *e);
/* The audit action of adding n. */
const char *accounts_action(const struct accounts_new *n);
/*
 * The answer: {"id", "email", "display_name", "instance_admin", "password"?}, the password
 * only when generated (shown once). The caller wipes its serialised form.
 */
json_t *accounts_json(const struct accounts_new *n);
/*
 * Closing an account (issue 22), shared by POST /api/v1/me/close, the
 * administrators' POST /api/v1/admin/users/{id}/close and `slate user
 * close`. In the caller's transaction: an account that is the last live
 * production admin or producer of a production is refused (409; *held, when
 * not NULL, gets [{kind: "production", id, name}] to hand over first);
 * otherwise it is closed (store_user_close: it cannot sign in, its sessions,
 * API tokens and reset links end) with its deletion due at now + grace, and
 * the person is told by mail (to `email`) when everything about them will be
 * deleted and how to keep it (sign in and reopen, by_self; else ask an
 * administrator). 1 closed (*due filled), 0 closed already, -1 with e set.
 */
int accounts_close(struct store *s, const char *user_id, const char *email, int by_self,
                   long long now, long long grace, const char *public_url, long long *due,
                   json_t **held, struct err *e);

/* Wipes n (the password and the hash). */
void accounts_wipe(struct accounts_new *n);

#endif

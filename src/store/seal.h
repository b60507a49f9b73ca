/*
 * seal.h — field sealing, the part of the store that is the same whatever
 * database holds the rows: which fields are sealed together, under which
 * key, bound to which place, and the blind index that finds a sealed
 * email. A backend stores the envelopes these functions make as text in
 * the named columns and hands them back; it never builds an envelope, an
 * associated-data place or a group itself (store/sqlite*.c calls these; a
 * PostgreSQL backend would call the same).
 *
 * Envelopes are crypto/keyring.h's: "sf1.<key id>.<base64url>", AES-256-GCM
 * under the data key with associated data that binds (table, column, row
 * id, key id), so an envelope copied to another place does not open.
 *
 * Groups. Some columns hold one envelope whose plaintext is several fields
 * joined by NUL bytes (JSON strings cannot hold NUL, so a field never holds
 * the separator). A group whose fields are all empty is stored as NULL.
 * Readers name the groups to open; the others are never decrypted.
 *
 *   person.work_contact      work phone, work email           the person's key
 *   person.personal_contact  personal phone, personal email   the person's key
 *   person.private           address, emergency contact, date of birth,
 *                            dietary, medical, id numbers     the person's key
 *   location.site, scene.synopsis ...                         the production key
 *   app_user.email, mfa_totp.secret (single fields)           the user's key
 *
 * Opening. An envelope under a destroyed key opens to KEYRING_ERASED; one
 * that does not open at all (altered, moved) reads as SEAL_UNREADABLE in
 * every field and is logged (table, column, row; never a value), so damaged
 * data is never passed on as if it were true. Readers of many envelopes
 * open them through one keyring snapshot (keyring_snap_begin).
 */
#ifndef SLATE_STORE_SEAL_H
#define SLATE_STORE_SEAL_H

#include <stddef.h>

#include "crypto/keyring.h"
#include "store/store.h"
#include "util/err.h"

/* What a sealed field whose envelope does not open reads as. */
#define SEAL_UNREADABLE "[unreadable]"
/* The most fields one group holds. */
#define SEAL_GROUP_MAX  8

/* One field of a group: where its text lives (NUL-terminated, cap bytes). */
struct seal_field {
	char *p;
	size_t cap;
};

/* A malloc'd envelope of value under key_id for (table, column, row_id); NULL with e set. */
char *seal_text(struct keyring *kr, const char *key_id, const char *table, const char *column,
                const char *row_id, const char *value, struct err *e);
/*
 * Opens envelope (NULL or "" reads as "") into dst. snap NULL means no
 * keystore: the field reads as SEAL_UNREADABLE.
 */
void seal_open_text(const struct keyring_snap *snap, const char *table, const char *column,
                    const char *row_id, const char *envelope, char *dst, size_t len);
/* The blind index of an email address, normalised first (util/email.h). */
int seal_email_index(struct keyring *kr, const char *email, char out[65], struct err *e);

/* Seals the NUL-joined fields under key_id; *out NULL when every field is empty. */
int seal_group(struct keyring *kr, const char *key_id, const char *table, const char *column,
               const char *row_id, const struct seal_field *f, size_t n, char **out, struct err *e);
/* Opens envelope into the fields: "" each when NULL or "", else as seal_open_text. */
void seal_open_group(const struct keyring_snap *snap, const char *table, const char *column,
                     const char *row_id, const char *envelope, const struct seal_field *f,
                     size_t n);

/* ---- a person's sealed groups ---- */

#define SEAL_PERSON_GROUPS 3
/* The person table's sealed columns, in this order: work_contact, personal_contact, private. */
extern const char *const seal_person_column[SEAL_PERSON_GROUPS];
/* The STORE_PERSON_* bit of each column above. */
extern const unsigned seal_person_bit[SEAL_PERSON_GROUPS];

/*
 * Seals p's groups named in `groups` under p's own key into env[] (NULL for a
 * group not asked for or empty); free them with seal_free_env. -1 with e set.
 */
int seal_person(struct keyring *kr, const struct store_person *p, unsigned groups,
                char *env[SEAL_PERSON_GROUPS], struct err *e);
/*
 * Opens the groups of p named in `open` from env[] (the columns' text, NULL
 * for NULL) into p's fields, and adds them to p->opened. The other groups
 * are not decrypted.
 */
void seal_open_person(const struct keyring_snap *snap, struct store_person *p, unsigned open,
                      const char *const env[SEAL_PERSON_GROUPS]);
void seal_free_env(char *env[], size_t n);

#endif

/*
 * keyring.h — the data keys of an installation, and the one API through
 * which the rest of Slate encrypts at rest.
 *
 *   master key (KEK, crypto/masterkey.h; never stored by Slate)
 *    ├─ "idx"            index key: HMAC-SHA256 for blind indexes
 *    ├─ "ins"            instance key: installation-wide confidential fields
 *    │                   (outbox messages, invitation addresses)
 *    ├─ production id    production key: confidential production fields and
 *    │                   the per-file keys of its uploads
 *    ├─ user/person id   person key: that person's personal fields; destroying
 *                        it (crypto-shredding) erases them in every copy
 *    └─ "db-" + hex id   database key: every page of the database file and
 *                        its WAL (store/pagecrypt.c)
 *
 * Data keys live only wrapped (AES-256-GCM under the KEK) in their own file,
 * DATA/keys.db, described at the top of keyring.c. Callers name a key by id
 * and a place (table, column, row id); they never see a key, a nonce or a
 * tag. A struct keyring is shared by every thread of a process (it locks);
 * it notices keys destroyed and a master key rotated by another process at
 * the next use.
 */
#ifndef SLATE_CRYPTO_KEYRING_H
#define SLATE_CRYPTO_KEYRING_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/secret.h"

#define KEYRING_INDEX    "idx"
#define KEYRING_INSTANCE "ins"
/* What a field sealed under a destroyed key reads as. */
#define KEYRING_ERASED   "[erased]"
#define KEYRING_ID_MAX   48

struct keyring;

/* Where a sealed value lives; bound into its associated data. */
struct keyring_place {
	const char *table;
	const char *column;
	const char *row_id;
};

struct keyring_info {
	char id[KEYRING_ID_MAX];
	char kind[16];
	int version;
	char created_at[32];
	char destroyed_at[32]; /* "" while the key lives */
};

/*
 * Opens the keystore at path with the master key kek (copied). create makes
 * a new keystore (path must not exist) with its index and instance keys.
 * A master key that is not the keystore's → 401-class error naming the file;
 * nothing is written then. key_file (may be NULL) is where the master key
 * is re-read after `slate keys rotate` by another process.
 */
struct keyring *keyring_open(const char *path, const struct secret *kek, const char *key_file,
                             int create, struct err *e);
void keyring_close(struct keyring *kr);

/* Makes a data key of kind "production" or "person" with this id; an existing one is kept. */
int keyring_create(struct keyring *kr, const char *id, const char *kind, struct err *e);
/*
 * Copies the database key id (kind "database") into out (guarded memory,
 * AEAD_KEY_LEN bytes), making it first when create is set. This is the one
 * key the keyring hands out: SQLite's pages are sealed below the keyring,
 * by the VFS in store/pagecrypt.c. An unknown or destroyed key is an error
 * (status 404 for unknown).
 */
int keyring_export(struct keyring *kr, const char *id, int create, struct secret *out,
                   struct err *e);
/* Destroys a person key for good: 1 done, 0 no such live person key. */
int keyring_destroy(struct keyring *kr, const char *id, struct err *e);
/* The same for a production key, when its production is erased (api/closing.c). */
int keyring_destroy_production(struct keyring *kr, const char *id, struct err *e);
/* Re-wraps every live data key under new_kek in one transaction; the old master key then opens
 * nothing. */
int keyring_rotate(struct keyring *kr, const struct secret *new_kek, struct err *e);
/*
 * Copies the keystore (SQLite online backup, consistent while others write)
 * to dest, a new file of mode 0600. The copy holds wrapped keys only; it
 * opens with the master key of the moment it was taken.
 */
int keyring_backup(struct keyring *kr, const char *dest, struct err *e);
/*
 * The commit counter (seal epoch, store/pagecrypt.c) last recorded for the
 * database of key id: 1 with *epoch, 0 when none is recorded, -1 when the
 * record does not authenticate under the master key (or on error).
 */
int keyring_epoch_get(struct keyring *kr, const char *id, uint64_t *epoch, struct err *e);
/*
 * Records epoch for the database of key id. A record is never lowered
 * unless lower is set (an operator accepting a restored copy), which also
 * replaces a record that does not authenticate (refused otherwise);
 * recording the value held already writes nothing.
 */
int keyring_epoch_record(struct keyring *kr, const char *id, uint64_t epoch, int lower,
                         struct err *e);
/* The master key's id and creation time, and every data key's metadata. */
int keyring_kek_info(struct keyring *kr, char id[KEYRING_ID_MAX], char created_at[32],
                     struct err *e);
int keyring_each(struct keyring *kr, int (*fn)(const struct keyring_info *, void *), void *arg,
                 struct err *e);

/*
 * Seals n bytes under key id for place p. Returns a text envelope (malloc'd):
 * "sf1.<key id>.<base64url of nonce || ciphertext || tag>".
 */
char *keyring_seal(struct keyring *kr, const char *id, const struct keyring_place *p,
                   const void *pt, size_t n, struct err *e);
/*
 * Opens an envelope sealed for place p. Returns 1 with *out (malloc'd,
 * NUL-terminated, *n bytes before the NUL; wipe before freeing when it held
 * a key), 0 when its key was destroyed (*out is KEYRING_ERASED, malloc'd),
 * -1 when it does not open: moved to another place, altered, or unknown key.
 */
int keyring_unseal(struct keyring *kr, const struct keyring_place *p, const char *envelope,
                   char **out, size_t *n, struct err *e);
/*
 * A snapshot of the keyring for one request (or one store call): the
 * keystore is asked once, at keyring_snap_begin, whether another process
 * destroyed a key or rotated the master key; an envelope whose key is
 * cached then opens through the snapshot with no keystore query and only a
 * shared lock, so that readers on several threads do not queue behind each
 * other (a key not cached yet is read from the keystore as by
 * keyring_unseal). A snapshot holds no key and needs no end; it must not
 * outlive its keyring. A key destroyed after keyring_snap_begin may still
 * open through it (at most until the request ends); a new snapshot sees
 * the destruction.
 */
struct keyring_snap {
	struct keyring *kr;
};
int keyring_snap_begin(struct keyring *kr, struct keyring_snap *snap, struct err *e);
/* keyring_unseal through a snapshot (same results). */
int keyring_snap_unseal(const struct keyring_snap *snap, const struct keyring_place *p,
                        const char *envelope, char **out, size_t *n, struct err *e);
/* True when s looks like an envelope (legacy rows hold plain text). */
int keyring_is_sealed(const char *s);

/* hex(HMAC-SHA256(index key, domain || 0x00 || value)): equality search on sealed values. */
int keyring_blind_index(struct keyring *kr, const char *domain, const char *value, char out[65],
                        struct err *e);

#endif

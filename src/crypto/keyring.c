/*
 * keyring.c — the keystore file and the key cache (see keyring.h).
 *
 * The keystore, DATA/keys.db, is an SQLite file of mode 0600 in WAL mode
 * with secure_delete on (freed bytes are zeroed), user_version 1:
 *
 *   kek (id TEXT PRIMARY KEY, created_at TEXT, check_box BLOB)
 *       One row: the master key that wraps the data keys now. check_box is
 *       AES-256-GCM under that master key of the 22 bytes
 *       "slate master key check" with associated data "slate-kek" 0x00 id:
 *       a master key that does not open it is the wrong one, and nothing is
 *       written.
 *   data_key (id TEXT PRIMARY KEY, kind TEXT, version INTEGER,
 *             created_at TEXT, kek_id TEXT, wrapped BLOB, destroyed_at TEXT)
 *       kind is index, instance, production or person. wrapped is
 *       nonce (12) || AES-256-GCM ciphertext of the 32-byte key || tag (16)
 *       under the master key, associated data
 *       "slate-dek" 0x00 id 0x00 version (decimal) 0x00 kind.
 *       Destroying a key sets wrapped to NULL and destroyed_at (the row
 *       stays, so a sealed field of that key reads as erased rather than as
 *       damage), then checkpoints the WAL so the bytes leave it.
 *
 *   db_epoch (id TEXT PRIMARY KEY, epoch INTEGER, mac BLOB)
 *       For each database key id ("db-" hex), the last seal epoch of its
 *       database file that a Slate process saw made durable (pagecrypt.c):
 *       at open, a file whose epoch is lower was rolled back. mac is
 *       HMAC-SHA256 of "slate-db-epoch" 0x00 id 0x00 epoch (decimal) under
 *       HMAC-SHA256(master key, "slate-db-epoch-key"): a record cannot be
 *       forged, lowered or moved to another database without the master
 *       key, only deleted or replaced by an older copy of itself (which is
 *       rolling the keystore back). Made by the first open of a keystore
 *       that lacks it (the file keeps user_version 1: older binaries ignore
 *       the table); re-authenticated by a rotation.
 *
 * A sealed field is the text "sf1." key-id "." base64url(nonce || ciphertext
 * || tag), no padding, sealed under the data key with associated data
 * "slate-field" 0x00 table 0x00 column 0x00 row-id 0x00 key-id: copied into
 * another row, column or table, or relabelled with another key, it fails.
 *
 * Cache: unwrapped keys are kept in guarded memory (struct secret) in a
 * hash table, behind one read-write lock: the write lock for the keystore
 * handle and every change to the cache, the read lock for opening a field
 * with a key already cached. Before each use the keyring asks SQLite
 * whether another connection changed the file (PRAGMA data_version); if so
 * the cache is emptied, and when the master key has been rotated the new
 * one is read from key_file. A destroyed key therefore stops working at
 * the next use in every process. A reader of many fields takes a snapshot
 * (keyring_snap_begin) instead: one such question per request, not one
 * per field (a keystore read takes SQLite's file locks, fcntl system
 * calls), asked under the read lock by one reader at a time (version_mu),
 * so that a request's start does not wait for the fields other threads
 * are opening; the write lock only when the answer is "changed".
 */
#include "crypto/keyring.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto/aead.h"
#include "crypto/masterkey.h"
#include "util/lockheld.h"
#include "util/nitems.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

#define BUCKETS    1024
#define CACHE_MAX  8192
#define CHECK_TEXT "slate master key check"
#define EPOCH_TABLE                                                                                \
	"CREATE TABLE IF NOT EXISTS db_epoch (id TEXT PRIMARY KEY, epoch INTEGER NOT NULL,"        \
	" mac BLOB NOT NULL)"
#define ENVELOPE_PREFIX "sf1."

struct cached {
	struct cached *next;
	char id[KEYRING_ID_MAX];
	struct secret key;
};

struct keyring {
	pthread_rwlock_t mu; /* written: the keystore handle, the cache; read: a cache hit */
	sqlite3 *db;
	sqlite3_stmt *version_st; /* PRAGMA data_version, asked before every use */
	/* version_st under the read lock (keyring_snap_begin: readers ask the question one at a
	   time, and nothing else uses the handle while anyone reads) */
	pthread_mutex_t version_mu;
	char *key_file;
	struct secret kek;
	char kek_id[KEYRING_ID_MAX];
	long long data_version;
	struct cached *bucket[BUCKETS];
	size_t ncached;
};

static const char schema[] =
    "CREATE TABLE kek (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, check_box BLOB NOT NULL);"
    "CREATE TABLE data_key (id TEXT PRIMARY KEY, kind TEXT NOT NULL, version INTEGER NOT NULL,"
    " created_at TEXT NOT NULL, kek_id TEXT, wrapped BLOB, destroyed_at TEXT);"
    "PRAGMA user_version = 1;";

static int
db_error(struct keyring *kr, const char *what, struct err *e)
{
	return err_set(e, 500, "keystore: %s: %s", what, sqlite3_errmsg(kr->db));
}

static size_t
hash_id(const char *id)
{
	size_t h = 1469598103934665603ULL;
	for (; *id; id++)
		h = (h ^ (unsigned char)*id) * 1099511628211ULL;
	return h % BUCKETS;
}

static void
cache_flush(struct keyring *kr)
{
	for (size_t i = 0; i < BUCKETS; i++) {
		struct cached *c = kr->bucket[i], *next;
		for (; c != NULL; c = next) {
			next = c->next;
			secret_free(&c->key);
			free(c);
		}
		kr->bucket[i] = NULL;
	}
	kr->ncached = 0;
}

static void
now_text(char out[TIMEFMT_LEN])
{
	time_rfc3339(time(NULL), out);
}

static void
dek_aad(char *buf, size_t len, size_t *used, const char *id, int version, const char *kind)
{
	int n = snprintf(buf, len, "slate-dek%c%s%c%d%c%s", 0, id, 0, version, 0, kind);
	*used = n < 0 ? 0 : (size_t)n;
}

static int
kek_check_box(const struct secret *kek, const char *id, unsigned char *box, struct err *e)
{
	char aad[64];
	int n = snprintf(aad, sizeof(aad), "slate-kek%c%s", 0, id);
	return aead_seal(kek->p, aad, (size_t)n, (const unsigned char *)CHECK_TEXT,
	                 sizeof(CHECK_TEXT) - 1, box, e);
}

/* 1 when kek opens the check box of the keystore's kek row (id filled), 0 when not. */
static int
kek_matches(struct keyring *kr, const struct secret *kek, char id[KEYRING_ID_MAX], struct err *e)
{
	sqlite3_stmt *st = NULL;
	unsigned char pt[sizeof(CHECK_TEXT)];
	char aad[64];
	int rc = -1, n;

	if (sqlite3_prepare_v2(kr->db, "SELECT id, check_box FROM kek", -1, &st, NULL) != SQLITE_OK)
		return db_error(kr, "reading the master key check", e);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return err_set(e, 500, "keystore: no master key check; the file is damaged");
	}
	snprintf(id, KEYRING_ID_MAX, "%s", (const char *)sqlite3_column_text(st, 0));
	n = snprintf(aad, sizeof(aad), "slate-kek%c%s", 0, id);
	if ((size_t)sqlite3_column_bytes(st, 1) != sizeof(CHECK_TEXT) - 1 + AEAD_OVERHEAD)
		rc = 0;
	else
		rc = aead_open(kek->p, aad, (size_t)n, sqlite3_column_blob(st, 1),
		               (size_t)sqlite3_column_bytes(st, 1), pt, e) == 0;
	sqlite3_finalize(st);
	return rc;
}

static long long
data_version(struct keyring *kr)
{
	long long v = -1;
	if (kr->version_st == NULL && sqlite3_prepare_v2(kr->db, "PRAGMA data_version", -1,
	                                                 &kr->version_st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(kr->version_st) == SQLITE_ROW)
		v = sqlite3_column_int64(kr->version_st, 0);
	sqlite3_reset(kr->version_st);
	return v;
}

/*
 * The new master key after a rotation: key_file, or while the rotation is
 * between committing the keystore and renaming its KEY_FILE.new over
 * key_file (cli/keys.c), KEY_FILE.new. 1 found into *next, 0 neither opens
 * the keystore, -1 e set.
 */
static int
next_kek(struct keyring *kr, struct secret *next, char id[KEYRING_ID_MAX], struct err *e)
{
	char pending[4200];
	/* key_file again: KEY_FILE.new may have been renamed over it between the first two reads */
	const char *paths[3] = {kr->key_file, pending, kr->key_file};

	snprintf(pending, sizeof(pending), "%s.new", kr->key_file);
	for (size_t i = 0; i < 3; i++) {
		struct err ignored;
		int m;
		if (masterkey_load(paths[i], next, &ignored) == -1)
			continue;
		if ((m = kek_matches(kr, next, id, e)) == 1)
			return 1;
		secret_free(next);
		if (m == -1)
			return -1;
	}
	return 0;
}

/*
 * Called under the lock before every use: when another connection wrote
 * the keystore, forget every cached key, and follow a master key rotation.
 * The keystore's version is taken as seen only once that worked, so a
 * rotation caught halfway is followed at the next use. Another process's
 * rotation is not atomic with these reads (its commit, then the rename of
 * KEY_FILE.new; a second rotation may begin at once): when neither file
 * holds the key the keystore names, look again, a few times, before
 * calling the key file wrong.
 */
static int
refresh(struct keyring *kr, struct err *e)
{
	char id[KEYRING_ID_MAX];

	assert_write_held(&kr->mu); /* the cache and the master key change only under it */
	for (int attempt = 0; attempt < 5; attempt++) {
		long long v = data_version(kr);
		struct secret next = {NULL, 0};
		int m;
		if (v == kr->data_version)
			return 0;
		cache_flush(kr);
		if ((m = kek_matches(kr, &kr->kek, id, e)) == -1)
			return -1;
		if (m == 0) {
			if (kr->key_file == NULL)
				return err_set(
				    e, 500, "the master key was rotated; restart with the new key");
			if ((m = next_kek(kr, &next, id, e)) == -1)
				return -1;
			if (m == 0) {
				struct timespec pause = {0, 2000000};
				nanosleep(&pause,
				          NULL); /* a rotation in flight: its rename comes next */
				continue;
			}
			secret_free(&kr->kek);
			kr->kek = next;
		}
		snprintf(kr->kek_id, sizeof(kr->kek_id), "%s", id);
		kr->data_version = v;
		return 0;
	}
	return err_set(e, 500, "the master key was rotated and %s does not hold the new one",
	               kr->key_file);
}

static int
exec(struct keyring *kr, const char *sql, struct err *e)
{
	if (sqlite3_exec(kr->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_error(kr, sql, e);
	return 0;
}

static int
insert_key(struct keyring *kr, const char *id, const char *kind, struct err *e)
{
	struct secret k;
	unsigned char box[AEAD_KEY_LEN + AEAD_OVERHEAD];
	char aad[128], created[TIMEFMT_LEN];
	size_t aadlen;
	sqlite3_stmt *st = NULL;
	int rc = -1;

	/* An existing key (live or destroyed) stays as it is, and nothing is written. */
	if (sqlite3_prepare_v2(kr->db, "SELECT 1 FROM data_key WHERE id = ?", -1, &st, NULL) !=
	    SQLITE_OK)
		return db_error(kr, "looking up a key", e);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	st = NULL;
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return db_error(kr, "looking up a key", e);
	rc = -1;
	secret_alloc(&k, AEAD_KEY_LEN);
	randombytes_buf(k.p, k.len);
	dek_aad(aad, sizeof(aad), &aadlen, id, 1, kind);
	if (aead_seal(kr->kek.p, aad, aadlen, k.p, k.len, box, e) == -1)
		goto out;
	now_text(created);
	if (sqlite3_prepare_v2(
	        kr->db,
	        "INSERT INTO data_key (id, kind, version, created_at, kek_id, wrapped) "
	        "VALUES (?, ?, 1, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
	        -1, &st, NULL) != SQLITE_OK) {
		db_error(kr, "preparing a key", e);
		goto out;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, created, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, kr->kek_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, box, sizeof(box), SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		db_error(kr, "storing a key", e);
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	secret_free(&k);
	return rc;
}

static int
write_kek_row(struct keyring *kr, const struct secret *kek, const char *id, struct err *e)
{
	unsigned char box[sizeof(CHECK_TEXT) - 1 + AEAD_OVERHEAD];
	char created[TIMEFMT_LEN];
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (kek_check_box(kek, id, box, e) == -1)
		return -1;
	now_text(created);
	if (exec(kr, "DELETE FROM kek", e) == -1)
		return -1;
	if (sqlite3_prepare_v2(kr->db,
	                       "INSERT INTO kek (id, created_at, check_box) VALUES (?, ?, ?)", -1,
	                       &st, NULL) != SQLITE_OK)
		return db_error(kr, "preparing the master key check", e);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, created, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, box, sizeof(box), SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		db_error(kr, "storing the master key check", e);
	else
		rc = 0;
	sqlite3_finalize(st);
	return rc;
}

static void
new_kek_id(char id[KEYRING_ID_MAX])
{
	unsigned char r[8];
	char hex[17];
	randombytes_buf(r, sizeof(r));
	sodium_bin2hex(hex, sizeof(hex), r, sizeof(r));
	snprintf(id, KEYRING_ID_MAX, "kek_%s", hex);
}

/* A new, empty file of mode 0600, so SQLite (and its -wal and -shm) never make a wider one. */
static int
create_file(const char *path, struct err *e)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		return err_set(e, 500, "cannot create keystore %s: %s", path, strerror(errno));
	close(fd);
	return 0;
}

struct keyring *
keyring_open(const char *path, const struct secret *kek, const char *key_file, int create,
             struct err *e)
{
	struct keyring *kr = xcalloc(1, sizeof(*kr));
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, version = 0, m;
	sqlite3_stmt *st = NULL;

	if (kek->p == NULL || kek->len != AEAD_KEY_LEN) {
		free(kr);
		err_set(e, 500, "the master key must be %d bytes", AEAD_KEY_LEN);
		return NULL;
	}
	pthread_rwlock_init(&kr->mu, NULL);
	pthread_mutex_init(&kr->version_mu, NULL);
	secret_alloc(&kr->kek, kek->len);
	memcpy(kr->kek.p, kek->p, kek->len);
	kr->key_file = key_file != NULL ? xstrdup(key_file) : NULL;
	if (create && create_file(path, e) == -1)
		goto fail;
	if (!create && access(path, F_OK) == -1) {
		err_set(e, 500, "no keystore at %s (slate init makes one)", path);
		goto fail;
	}
	/* The keystore holds wrapped keys only, and is itself never page-encrypted. */
	if (sqlite3_open_v2(path, &kr->db, flags, "unix") != SQLITE_OK) {
		err_set(e, 500, "cannot open keystore %s: %s", path,
		        kr->db ? sqlite3_errmsg(kr->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(kr->db, 10000);
	if (exec(kr,
	         "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
	         "PRAGMA secure_delete = ON;",
	         e) == -1)
		goto fail;
	if (create) {
		new_kek_id(kr->kek_id);
		if (exec(kr, "BEGIN IMMEDIATE", e) == -1 || exec(kr, schema, e) == -1 ||
		    write_kek_row(kr, &kr->kek, kr->kek_id, e) == -1 ||
		    insert_key(kr, KEYRING_INDEX, "index", e) == -1 ||
		    insert_key(kr, KEYRING_INSTANCE, "instance", e) == -1 ||
		    exec(kr, "COMMIT", e) == -1)
			goto fail;
	}
	if (sqlite3_prepare_v2(kr->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version != 1) {
		err_set(e, 500, "%s is not a Slate keystore (or one from a newer version)", path);
		goto fail;
	}
	if ((m = kek_matches(kr, &kr->kek, kr->kek_id, e)) == -1)
		goto fail;
	if (m == 0) {
		err_set(e, 401, "the master key does not open the keystore %s (wrong key file?)",
		        path);
		goto fail;
	}
	if (exec(kr, EPOCH_TABLE, e) == -1)
		goto fail;
	kr->data_version = data_version(kr);
	return kr;
fail:
	keyring_close(kr);
	return NULL;
}

void
keyring_close(struct keyring *kr)
{
	if (kr == NULL)
		return;
	cache_flush(kr);
	sqlite3_finalize(kr->version_st);
	sqlite3_close_v2(kr->db);
	secret_free(&kr->kek);
	free(kr->key_file);
	pthread_rwlock_destroy(&kr->mu);
	pthread_mutex_destroy(&kr->version_mu);
	free(kr);
}

/* Under the lock (read or write): the cached key id, or NULL. */
static const struct cached *
cache_find(const struct keyring *kr, const char *id)
{
	for (const struct cached *c = kr->bucket[hash_id(id)]; c != NULL; c = c->next)
		if (strcmp(c->id, id) == 0)
			return c;
	return NULL;
}

/*
 * Under the write lock, the keystore's version already checked: the
 * unwrapped key, 1; destroyed, 0; -1 unknown or damaged.
 */
static int
key_fetch(struct keyring *kr, const char *id, const unsigned char **key, struct err *e)
{
	size_t h = hash_id(id);
	const struct cached *hit = cache_find(kr, id);
	struct cached *c;
	sqlite3_stmt *st = NULL;
	char aad[128];
	size_t aadlen;
	int rc = -1;

	if (hit != NULL) {
		*key = hit->key.p;
		return 1;
	}
	if (sqlite3_prepare_v2(kr->db, "SELECT kind, version, wrapped FROM data_key WHERE id = ?",
	                       -1, &st, NULL) != SQLITE_OK)
		return db_error(kr, "reading a key", e);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		err_set(e, 500, "keystore: no key %s", id);
		goto out;
	}
	if (sqlite3_column_type(st, 2) == SQLITE_NULL) {
		rc = 0;
		goto out;
	}
	if ((size_t)sqlite3_column_bytes(st, 2) != AEAD_KEY_LEN + AEAD_OVERHEAD) {
		err_set(e, 500, "keystore: key %s is damaged", id);
		goto out;
	}
	dek_aad(aad, sizeof(aad), &aadlen, id, sqlite3_column_int(st, 1),
	        (const char *)sqlite3_column_text(st, 0));
	if (kr->ncached >= CACHE_MAX)
		cache_flush(kr);
	c = xcalloc(1, sizeof(*c));
	snprintf(c->id, sizeof(c->id), "%s", id);
	secret_alloc(&c->key, AEAD_KEY_LEN);
	if (aead_open(kr->kek.p, aad, aadlen, sqlite3_column_blob(st, 2),
	              AEAD_KEY_LEN + AEAD_OVERHEAD, c->key.p, e) == -1) {
		secret_free(&c->key);
		free(c);
		err_set(e, 500, "keystore: key %s does not open under the master key", id);
		goto out;
	}
	c->next = kr->bucket[h];
	kr->bucket[h] = c;
	kr->ncached++;
	assert(kr->ncached <= CACHE_MAX);
	*key = c->key.p;
	rc = 1;
out:
	sqlite3_finalize(st);
	return rc;
}

/*
 * Under the write lock: key_fetch after following any change to the
 * keystore. The version check and the read of the wrapped key are two
 * statements: a rotation committed between them leaves a key wrapped under
 * a master key this keyring does not hold yet, so a failed read after the
 * keystore moved is followed and tried again.
 */
static int
key_get(struct keyring *kr, const char *id, const unsigned char **key, struct err *e)
{
	for (int attempt = 0;; attempt++) {
		int got;
		if (refresh(kr, e) == -1)
			return -1;
		got = key_fetch(kr, id, key, e);
		if (got != -1 || attempt == 4 || data_version(kr) == kr->data_version)
			return got;
	}
}

int
keyring_create(struct keyring *kr, const char *id, const char *kind, struct err *e)
{
	int rc;
	if (strlen(id) >= KEYRING_ID_MAX || strchr(id, '.') != NULL)
		return err_set(e, 500, "keystore: bad key id");
	pthread_rwlock_wrlock(&kr->mu);
	rc = refresh(kr, e) == -1 ? -1 : insert_key(kr, id, kind, e);
	pthread_rwlock_unlock(&kr->mu);
	return rc;
}

int
keyring_export(struct keyring *kr, const char *id, int create, struct secret *out, struct err *e)
{
	const unsigned char *key;
	int rc;

	out->p = NULL;
	out->len = 0;
	pthread_rwlock_wrlock(&kr->mu);
	rc = refresh(kr, e);
	if (rc == 0 && create)
		rc = insert_key(kr, id, "database", e);
	if (rc == 0) {
		struct err lookup;
		rc = key_get(kr, id, &key, &lookup);
		if (rc == 1) {
			secret_alloc(out, AEAD_KEY_LEN);
			memcpy(out->p, key, AEAD_KEY_LEN);
			rc = 0;
		} else if (rc == 0)
			rc = err_set(e, 500, "keystore: the database key %s was destroyed", id);
		else
			rc = err_set(e, 404, "%s", lookup.msg);
	}
	pthread_rwlock_unlock(&kr->mu);
	return rc;
}

static int destroy_kind(struct keyring *kr, const char *id, const char *kind, struct err *e);

int
keyring_destroy(struct keyring *kr, const char *id, struct err *e)
{
	return destroy_kind(kr, id, "person", e);
}

int
keyring_destroy_production(struct keyring *kr, const char *id, struct err *e)
{
	return destroy_kind(kr, id, "production", e);
}

/* Destroys the live data key id of this kind (person or production): 1, 0 none, -1. */
static int
destroy_kind(struct keyring *kr, const char *id, const char *kind, struct err *e)
{
	sqlite3_stmt *st = NULL;
	char when[TIMEFMT_LEN];
	int rc = -1;

	now_text(when);
	pthread_rwlock_wrlock(&kr->mu);
	if (sqlite3_prepare_v2(kr->db,
	                       "UPDATE data_key SET wrapped = NULL, destroyed_at = ? "
	                       "WHERE id = ? AND wrapped IS NOT NULL AND kind = ?",
	                       -1, &st, NULL) != SQLITE_OK) {
		db_error(kr, "preparing to destroy a key", e);
		goto out;
	}
	sqlite3_bind_text(st, 1, when, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		db_error(kr, "destroying a key", e);
		goto out;
	}
	rc = sqlite3_changes(kr->db) > 0;
	/* Move the zeroed page into the main file and empty the WAL, so the old bytes are gone. */
	if (rc == 1 && exec(kr, "PRAGMA wal_checkpoint(TRUNCATE)", e) == -1)
		rc = -1;
	cache_flush(kr);
out:
	sqlite3_finalize(st);
	pthread_rwlock_unlock(&kr->mu);
	return rc;
}

/* The MAC of a db_epoch row under the master key kek. */
static void
epoch_mac(const unsigned char *kek, const char *id, long long epoch,
          unsigned char mac[crypto_auth_hmacsha256_BYTES])
{
	static const char label[] = "slate-db-epoch-key";
	unsigned char sub[crypto_auth_hmacsha256_BYTES];
	char msg[KEYRING_ID_MAX + 48];
	int n = snprintf(msg, sizeof(msg), "slate-db-epoch%c%s%c%lld", 0, id, 0, epoch);
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, kek, AEAD_KEY_LEN);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)label, sizeof(label) - 1);
	crypto_auth_hmacsha256_final(&st, sub);
	crypto_auth_hmacsha256(mac, (const unsigned char *)msg, (unsigned long long)(n < 0 ? 0 : n),
	                       sub);
	sodium_memzero(sub, sizeof(sub));
	sodium_memzero(&st, sizeof(st));
}

/* Under the lock: 1 with *epoch, 0 no record, -1 a record that does not authenticate. */
static int
epoch_read(struct keyring *kr, const char *id, long long *epoch, struct err *e)
{
	sqlite3_stmt *st = NULL;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	int rc;

	assert_write_held(&kr->mu);
	*epoch = 0;
	if (sqlite3_prepare_v2(kr->db, "SELECT epoch, mac FROM db_epoch WHERE id = ?", -1, &st,
	                       NULL) != SQLITE_OK)
		return db_error(kr, "reading a commit counter", e);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_DONE)
		rc = 0;
	else if (rc != SQLITE_ROW)
		rc = db_error(kr, "reading a commit counter", e);
	else {
		*epoch = sqlite3_column_int64(st, 0);
		epoch_mac(kr->kek.p, id, *epoch, mac);
		rc = 1;
		if (*epoch < 0 || sqlite3_column_bytes(st, 1) != (int)sizeof(mac) ||
		    sodium_memcmp(mac, sqlite3_column_blob(st, 1), sizeof(mac)) != 0)
			rc = err_set(e, 500,
			             "keystore: the commit counter of %s does not authenticate "
			             "(keys.db was altered)",
			             id);
	}
	sqlite3_finalize(st);
	return rc;
}

int
keyring_epoch_get(struct keyring *kr, const char *id, uint64_t *epoch, struct err *e)
{
	long long v = 0;
	int rc;

	pthread_rwlock_wrlock(&kr->mu);
	rc = refresh(kr, e) == -1 ? -1 : epoch_read(kr, id, &v, e);
	pthread_rwlock_unlock(&kr->mu);
	*epoch = (uint64_t)v;
	return rc;
}

int
keyring_epoch_record(struct keyring *kr, const char *id, uint64_t epoch, int lower, struct err *e)
{
	sqlite3_stmt *st = NULL;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	long long now = 0, v = (long long)epoch;
	int rc = -1, had;

	if (epoch > (uint64_t)INT64_MAX)
		return err_set(e, 500, "keystore: commit counter out of range");
	pthread_rwlock_wrlock(&kr->mu);
	/* under the write lock, so that a rotation cannot come between the MAC and its row */
	if (exec(kr, "BEGIN IMMEDIATE", e) == -1)
		goto out;
	if (refresh(kr, e) == -1)
		goto rollback;
	/* an unauthentic record is no floor; only an operator's lower replaces it */
	if ((had = epoch_read(kr, id, &now, e)) == -1 && !lower)
		goto rollback;
	if (had == 1 && (now == v || (now > v && !lower))) {
		rc = exec(kr, "COMMIT", e);
		goto out;
	}
	epoch_mac(kr->kek.p, id, v, mac);
	if (sqlite3_prepare_v2(kr->db,
	                       "INSERT INTO db_epoch (id, epoch, mac) VALUES (?, ?, ?) "
	                       "ON CONFLICT (id) DO UPDATE SET epoch = excluded.epoch, "
	                       "mac = excluded.mac",
	                       -1, &st, NULL) != SQLITE_OK) {
		db_error(kr, "preparing a commit counter", e);
		goto rollback;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, v);
	sqlite3_bind_blob(st, 3, mac, sizeof(mac), SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		db_error(kr, "storing a commit counter", e);
		goto rollback;
	}
	if (exec(kr, "COMMIT", e) == -1)
		goto rollback;
	rc = 0;
	goto out;
rollback:
	sqlite3_exec(kr->db, "ROLLBACK", NULL, NULL, NULL);
out:
	sqlite3_finalize(st);
	pthread_rwlock_unlock(&kr->mu);
	return rc;
}

/* Under the lock, in the rotation's transaction: every commit counter MACed under new_kek. */
static int
rotate_epochs(struct keyring *kr, const struct secret *new_kek, struct err *e)
{
	sqlite3_stmt *sel = NULL, *upd = NULL;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	int rc = -1, s;

	if (sqlite3_prepare_v2(kr->db, "SELECT id, epoch, mac FROM db_epoch", -1, &sel, NULL) !=
	        SQLITE_OK ||
	    sqlite3_prepare_v2(kr->db, "UPDATE db_epoch SET mac = ? WHERE id = ?", -1, &upd,
	                       NULL) != SQLITE_OK) {
		db_error(kr, "preparing the rotation of commit counters", e);
		goto out;
	}
	while ((s = sqlite3_step(sel)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(sel, 0);
		long long v = sqlite3_column_int64(sel, 1);
		epoch_mac(kr->kek.p, id, v, mac);
		if (sqlite3_column_bytes(sel, 2) != (int)sizeof(mac) ||
		    sodium_memcmp(mac, sqlite3_column_blob(sel, 2), sizeof(mac)) != 0) {
			err_set(e, 500,
			        "keystore: the commit counter of %s does not authenticate; nothing "
			        "was rotated",
			        id);
			goto out;
		}
		epoch_mac(new_kek->p, id, v, mac);
		sqlite3_reset(upd);
		sqlite3_bind_blob(upd, 1, mac, sizeof(mac), SQLITE_TRANSIENT);
		sqlite3_bind_text(upd, 2, id, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(upd) != SQLITE_DONE) {
			db_error(kr, "re-authenticating a commit counter", e);
			goto out;
		}
	}
	if (s != SQLITE_DONE)
		db_error(kr, "reading commit counters to rotate", e);
	else
		rc = 0;
out:
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	return rc;
}

int
keyring_rotate(struct keyring *kr, const struct secret *new_kek, struct err *e)
{
	sqlite3_stmt *sel = NULL, *upd = NULL;
	char id[KEYRING_ID_MAX], aad[128];
	unsigned char key[AEAD_KEY_LEN], box[AEAD_KEY_LEN + AEAD_OVERHEAD];
	size_t aadlen;
	int rc = -1, s;

	pthread_rwlock_wrlock(&kr->mu);
	if (refresh(kr, e) == -1 || exec(kr, "BEGIN IMMEDIATE", e) == -1)
		goto out;
	new_kek_id(id);
	if (sqlite3_prepare_v2(kr->db,
	                       "SELECT id, kind, version, wrapped FROM data_key "
	                       "WHERE wrapped IS NOT NULL",
	                       -1, &sel, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(kr->db, "UPDATE data_key SET wrapped = ?, kek_id = ? WHERE id = ?",
	                       -1, &upd, NULL) != SQLITE_OK) {
		db_error(kr, "preparing the rotation", e);
		goto rollback;
	}
	while ((s = sqlite3_step(sel)) == SQLITE_ROW) {
		const char *kid = (const char *)sqlite3_column_text(sel, 0);
		dek_aad(aad, sizeof(aad), &aadlen, kid, sqlite3_column_int(sel, 2),
		        (const char *)sqlite3_column_text(sel, 1));
		if ((size_t)sqlite3_column_bytes(sel, 3) != sizeof(box) ||
		    aead_open(kr->kek.p, aad, aadlen, sqlite3_column_blob(sel, 3), sizeof(box), key,
		              e) == -1) {
			err_set(e, 500, "keystore: key %s does not open; nothing was rotated", kid);
			goto rollback;
		}
		s = aead_seal(new_kek->p, aad, aadlen, key, sizeof(key), box, e);
		sodium_memzero(key, sizeof(key));
		if (s == -1)
			goto rollback;
		sqlite3_reset(upd);
		sqlite3_bind_blob(upd, 1, box, sizeof(box), SQLITE_STATIC);
		sqlite3_bind_text(upd, 2, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(upd, 3, kid, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(upd) != SQLITE_DONE) {
			db_error(kr, "re-wrapping a key", e);
			goto rollback;
		}
	}
	if (s != SQLITE_DONE) {
		db_error(kr, "reading keys to rotate", e);
		goto rollback;
	}
	if (rotate_epochs(kr, new_kek, e) == -1 || write_kek_row(kr, new_kek, id, e) == -1 ||
	    exec(kr, "COMMIT", e) == -1)
		goto rollback;
	secret_free(&kr->kek);
	secret_alloc(&kr->kek, new_kek->len);
	memcpy(kr->kek.p, new_kek->p, new_kek->len);
	snprintf(kr->kek_id, sizeof(kr->kek_id), "%s", id);
	exec(kr, "PRAGMA wal_checkpoint(TRUNCATE)", e);
	cache_flush(kr);
	rc = 0;
	goto out;
rollback:
	sqlite3_exec(kr->db, "ROLLBACK", NULL, NULL, NULL);
out:
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	pthread_rwlock_unlock(&kr->mu);
	return rc;
}

int
keyring_backup(struct keyring *kr, const char *dest, struct err *e)
{
	sqlite3 *out = NULL;
	sqlite3_backup *b;
	int rc = -1;

	if (create_file(dest, e) == -1)
		return -1;
	if (sqlite3_open_v2(dest, &out, SQLITE_OPEN_READWRITE, "unix") != SQLITE_OK) {
		err_set(e, 500, "cannot open %s: %s", dest,
		        out ? sqlite3_errmsg(out) : "out of memory");
		goto out;
	}
	pthread_rwlock_wrlock(&kr->mu);
	b = sqlite3_backup_init(out, "main", kr->db, "main");
	if (b == NULL) {
		err_set(e, 500, "cannot back up the keystore: %s", sqlite3_errmsg(out));
	} else {
		int s = sqlite3_backup_step(b, -1);
		sqlite3_backup_finish(b);
		if (s != SQLITE_DONE)
			err_set(e, 500, "cannot back up the keystore: %s", sqlite3_errstr(s));
		else
			rc = 0;
	}
	pthread_rwlock_unlock(&kr->mu);
	/* One file, no journal beside it: the copy is self-contained. */
	if (rc == 0 &&
	    sqlite3_exec(out, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL) != SQLITE_OK)
		rc = err_set(e, 500, "cannot finish %s: %s", dest, sqlite3_errmsg(out));
out:
	sqlite3_close_v2(out);
	if (rc == -1)
		unlink(dest);
	return rc;
}

int
keyring_kek_info(struct keyring *kr, char id[KEYRING_ID_MAX], char created_at[32], struct err *e)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	pthread_rwlock_wrlock(&kr->mu);
	if (sqlite3_prepare_v2(kr->db, "SELECT id, created_at FROM kek", -1, &st, NULL) !=
	        SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		db_error(kr, "reading the master key's record", e);
	} else {
		snprintf(id, KEYRING_ID_MAX, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(created_at, 32, "%s", (const char *)sqlite3_column_text(st, 1));
		rc = 0;
	}
	sqlite3_finalize(st);
	pthread_rwlock_unlock(&kr->mu);
	return rc;
}

int
keyring_each(struct keyring *kr, int (*fn)(const struct keyring_info *, void *), void *arg,
             struct err *e)
{
	sqlite3_stmt *st = NULL;
	struct keyring_info ki;
	int rc = 0;

	pthread_rwlock_wrlock(&kr->mu);
	if (sqlite3_prepare_v2(kr->db,
	                       "SELECT id, kind, version, created_at, COALESCE(destroyed_at, '') "
	                       "FROM data_key ORDER BY created_at, id",
	                       -1, &st, NULL) != SQLITE_OK) {
		rc = db_error(kr, "listing keys", e);
		goto out;
	}
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		snprintf(ki.id, sizeof(ki.id), "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(ki.kind, sizeof(ki.kind), "%s", (const char *)sqlite3_column_text(st, 1));
		ki.version = sqlite3_column_int(st, 2);
		snprintf(ki.created_at, sizeof(ki.created_at), "%s",
		         (const char *)sqlite3_column_text(st, 3));
		snprintf(ki.destroyed_at, sizeof(ki.destroyed_at), "%s",
		         (const char *)sqlite3_column_text(st, 4));
		rc = fn(&ki, arg);
	}
out:
	sqlite3_finalize(st);
	pthread_rwlock_unlock(&kr->mu);
	return rc;
}

/*
 * "slate-field" NUL table NUL column NUL row NUL key id, in buf (its length;
 * 0 when it does not fit). Opened once per sealed field read: no printf.
 */
static size_t
field_aad(char *buf, size_t len, const struct keyring_place *p, const char *id)
{
	const char *part[] = {"slate-field", p->table, p->column, p->row_id, id};
	size_t o = 0;

	for (size_t i = 0; i < nitems(part); i++) {
		size_t k = strlen(part[i]);
		if (k + 1 > len - o)
			return 0;
		memcpy(buf + o, part[i], k);
		o += k;
		buf[o++] = '\0';
	}
	return o - 1; /* the last NUL is not part of it */
}

char *
keyring_seal(struct keyring *kr, const char *id, const struct keyring_place *p, const void *pt,
             size_t n, struct err *e)
{
	char aad[512], *out = NULL;
	const unsigned char *key = NULL;
	unsigned char *box = NULL;
	size_t aadlen = field_aad(aad, sizeof(aad), p, id), b64len, prefix;
	int got;

	if (aadlen == 0) {
		err_set(e, 500, "keystore: the place of a sealed field is too long");
		return NULL;
	}
	box = xmalloc(n + AEAD_OVERHEAD);
	pthread_rwlock_wrlock(&kr->mu);
	got = key_get(kr, id, &key, e);
	if (got == 0)
		err_set(e, 410, "the key %s was destroyed", id);
	if (got == 1 && aead_seal(key, aad, aadlen, pt, n, box, e) == 0) {
		b64len = sodium_base64_encoded_len(n + AEAD_OVERHEAD,
		                                   sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		prefix = strlen(ENVELOPE_PREFIX) + strlen(id) + 1;
		out = xmalloc(prefix + b64len);
		snprintf(out, prefix + 1, "%s%s.", ENVELOPE_PREFIX, id);
		sodium_bin2base64(out + prefix, b64len, box, n + AEAD_OVERHEAD,
		                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	}
	pthread_rwlock_unlock(&kr->mu);
	free(box);
	return out;
}

int
keyring_is_sealed(const char *s)
{
	return strncmp(s, ENVELOPE_PREFIX, strlen(ENVELOPE_PREFIX)) == 0;
}

/*
 * base64url without padding into out (room for len * 3 / 4 bytes): the
 * envelope's box. 0 with *outlen, -1 on a character outside the alphabet, a
 * length no encoding has, or unused low bits that are not zero (the same
 * inputs libsodium's decoder refuses). Not constant-time, unlike
 * sodium_base642bin: a box is ciphertext, nonce and tag, none of them
 * secret, and the table lookup is a tenth of the cost of the decoder that
 * hides its timing.
 */
static unsigned char b64url_val[256]; /* 6-bit value, or 0xff: not in the alphabet */
static pthread_once_t b64url_once = PTHREAD_ONCE_INIT;

static void
b64url_table(void)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	memset(b64url_val, 0xff, sizeof(b64url_val));
	for (size_t i = 0; i < 64; i++)
		b64url_val[(unsigned char)alphabet[i]] = (unsigned char)i;
}

/*
 * Four characters give three bytes; a last group of two or three gives one
 * or two, and its unused low bits must be zero (the one spelling the
 * encoder writes). Any character outside the alphabet fails the whole
 * decode: its table value has bit 7 set, which the OR of all values keeps.
 */
static int
b64url_decode(const char *in, size_t len, unsigned char *out, size_t *outlen)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, o = 0, whole = len / 4 * 4;
	unsigned bad = 0;

	pthread_once(&b64url_once, b64url_table);
	if (len % 4 == 1)
		return -1;
	for (; i < whole; i += 4, o += 3) {
		unsigned a = b64url_val[s[i]], b = b64url_val[s[i + 1]], c = b64url_val[s[i + 2]],
		         d = b64url_val[s[i + 3]];
		unsigned long v = (unsigned long)a << 18 | b << 12 | c << 6 | d;
		bad |= a | b | c | d;
		out[o] = (unsigned char)(v >> 16);
		out[o + 1] = (unsigned char)(v >> 8);
		out[o + 2] = (unsigned char)v;
	}
	if (len - whole == 2) {
		unsigned a = b64url_val[s[i]], b = b64url_val[s[i + 1]];
		bad |= a | b | (b & 15u ? 0x80u : 0u);
		out[o++] = (unsigned char)(a << 2 | b >> 4);
	} else if (len - whole == 3) {
		unsigned a = b64url_val[s[i]], b = b64url_val[s[i + 1]], c = b64url_val[s[i + 2]];
		bad |= a | b | c | (c & 3u ? 0x80u : 0u);
		out[o++] = (unsigned char)(a << 2 | b >> 4);
		out[o++] = (unsigned char)(b << 4 | c >> 2);
	}
	if (bad > 63)
		return -1;
	*outlen = o;
	return 0;
}

/*
 * The question under the read lock, so that a request beginning its
 * snapshot does not wait for the readers opening fields on other threads
 * (a loop thread would stall its connections behind a worker's page); the
 * write lock only when the keystore changed and the cache must follow.
 */
int
keyring_snap_begin(struct keyring *kr, struct keyring_snap *snap, struct err *e)
{
	int rc, same;
	snap->kr = NULL;
	pthread_rwlock_rdlock(&kr->mu);
	pthread_mutex_lock(&kr->version_mu);
	same = data_version(kr) == kr->data_version;
	pthread_mutex_unlock(&kr->version_mu);
	pthread_rwlock_unlock(&kr->mu);
	if (!same) {
		pthread_rwlock_wrlock(&kr->mu);
		rc = refresh(kr, e);
		pthread_rwlock_unlock(&kr->mu);
		if (rc == -1)
			return -1;
	}
	snap->kr = kr;
	return 0;
}

/*
 * Opens box (nonce || ciphertext || tag) with key id into pt: a cached key
 * under the read lock, so that readers on other threads do not wait on
 * each other; a key not cached yet is read from the keystore under the
 * write lock, after asking the keystore's version again (a master key
 * rotated since the snapshot would not unwrap it otherwise: a cache hit
 * needs no such question, a miss pays for a keystore read anyway).
 * 1 opened, 0 key destroyed, -1 unknown key or does not open
 * (*had_key tells the two apart: 1 when the key was there).
 */
static int
snap_open(struct keyring *kr, const char *id, const char *aad, size_t aadlen,
          const unsigned char *box, size_t boxlen, unsigned char *pt, int *had_key, struct err *e)
{
	const struct cached *c;
	const unsigned char *key = NULL;
	int got;

	*had_key = 0;
	pthread_rwlock_rdlock(&kr->mu);
	if ((c = cache_find(kr, id)) != NULL) {
		*had_key = 1;
		got = aead_open(c->key.p, aad, aadlen, box, boxlen, pt, e) == 0 ? 1 : -1;
		pthread_rwlock_unlock(&kr->mu);
		return got;
	}
	pthread_rwlock_unlock(&kr->mu);
	pthread_rwlock_wrlock(&kr->mu);
	/* a miss reads the keystore anyway: follow a rotation committed since the snapshot */
	got = key_get(kr, id, &key, e);
	if (got == 1) {
		*had_key = 1;
		got = aead_open(key, aad, aadlen, box, boxlen, pt, e) == 0 ? 1 : -1;
	}
	pthread_rwlock_unlock(&kr->mu);
	return got;
}

int
keyring_snap_unseal(const struct keyring_snap *snap, const struct keyring_place *p,
                    const char *envelope, char **out, size_t *n, struct err *e)
{
	char id[KEYRING_ID_MAX], aad[512];
	const char *dot, *b64;
	unsigned char *box = NULL, *pt = NULL;
	size_t boxlen = 0, aadlen, idlen, b64len;
	int got, had_key, rc = -1;

	*out = NULL;
	*n = 0;
	assert(snap->kr != NULL);
	if (!keyring_is_sealed(envelope))
		return err_set(e, 500, "%s.%s of %s is not sealed", p->table, p->column, p->row_id);
	dot = strchr(envelope + strlen(ENVELOPE_PREFIX), '.');
	idlen = dot ? (size_t)(dot - envelope) - strlen(ENVELOPE_PREFIX) : 0;
	if (dot == NULL || idlen == 0 || idlen >= sizeof(id))
		return err_set(e, 500, "%s.%s of %s is damaged", p->table, p->column, p->row_id);
	memcpy(id, envelope + strlen(ENVELOPE_PREFIX), idlen);
	id[idlen] = '\0';
	b64 = dot + 1;
	b64len = strlen(b64);
	box = xmalloc(b64len + 1);
	if (b64url_decode(b64, b64len, box, &boxlen) != 0 || boxlen < AEAD_OVERHEAD) {
		free(box);
		return err_set(e, 500, "%s.%s of %s is damaged", p->table, p->column, p->row_id);
	}
	aadlen = field_aad(aad, sizeof(aad), p, id);
	pt = xmalloc(boxlen - AEAD_OVERHEAD + 1);
	got = snap_open(snap->kr, id, aad, aadlen, box, boxlen, pt, &had_key, e);
	if (got == 1) {
		pt[boxlen - AEAD_OVERHEAD] = '\0';
		*out = (char *)pt;
		*n = boxlen - AEAD_OVERHEAD;
		pt = NULL;
		rc = 1;
	} else if (got == 0) {
		*out = xstrdup(KEYRING_ERASED);
		*n = strlen(KEYRING_ERASED);
		rc = 0;
	} else if (had_key) {
		err_set(e, 500, "%s.%s of %s does not open: altered, or moved from another place",
		        p->table, p->column, p->row_id);
	}
	free(pt);
	free(box);
	return rc;
}

int
keyring_unseal(struct keyring *kr, const struct keyring_place *p, const char *envelope, char **out,
               size_t *n, struct err *e)
{
	struct keyring_snap snap;
	*out = NULL;
	*n = 0;
	if (keyring_snap_begin(kr, &snap, e) == -1)
		return -1;
	return keyring_snap_unseal(&snap, p, envelope, out, n, e);
}

int
keyring_blind_index(struct keyring *kr, const char *domain, const char *value, char out[65],
                    struct err *e)
{
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	const unsigned char *key = NULL;
	int got;

	pthread_rwlock_wrlock(&kr->mu);
	got = key_get(kr, KEYRING_INDEX, &key, e);
	if (got == 1 && key != NULL) {
		crypto_auth_hmacsha256_init(&st, key, AEAD_KEY_LEN);
		crypto_auth_hmacsha256_update(&st, (const unsigned char *)domain,
		                              strlen(domain) + 1);
		crypto_auth_hmacsha256_update(&st, (const unsigned char *)value, strlen(value));
		crypto_auth_hmacsha256_final(&st, mac);
		sodium_memzero(&st, sizeof(st));
	}
	pthread_rwlock_unlock(&kr->mu);
	if (got != 1)
		return got == 0 ? err_set(e, 500, "keystore: the index key is gone") : -1;
	sodium_bin2hex(out, 65, mac, sizeof(mac));
	return 0;
}

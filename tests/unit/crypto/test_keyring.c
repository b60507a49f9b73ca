/*
 * AES-256-GCM known answers (the GCM specification's test cases 13, 14 and
 * 16) from each implementation the machine has (libsodium's, OpenSSL's),
 * each opening what the other sealed, and the keyring: sealed fields bound to their place, blind
 * indexes, destroyed keys reading as erased, a wrong master key writing nothing, rotation retiring
 * the old master key, and the database's commit counter (never lowered but on purpose,
 * authenticated, kept through a rotation).
 */
#include "cmocka_all.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/aead.h"
#include "crypto/keyring.h"
#include "crypto/masterkey.h"
#include "util/nitems.h"
#include "tmpdb.h"

static void
hex(const char *h, unsigned char *out, size_t n)
{
	size_t got = 0;
	assert_int_equal(sodium_hex2bin(out, n, h, strlen(h), NULL, &got, NULL), 0);
	assert_int_equal(got, n);
}

/* Runs the GCM specification's vectors through the implementation in use. */
static void
spec_vectors_hold(void)
{
	static const struct {
		const char *key, *iv, *pt, *aad, *ct, *tag;
	} v[] = {
	    {"0000000000000000000000000000000000000000000000000000000000000000",
	     "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"},
	    {"0000000000000000000000000000000000000000000000000000000000000000",
	     "000000000000000000000000", "00000000000000000000000000000000", "",
	     "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
	    {"feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
	     "cafebabefacedbaddecaf888",
	     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0"
	     "e2449a6"
	     "b525b16aedf5aa0de657ba637b39",
	     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
	     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08"
	     "b1056"
	     "828838c5f61e6393ba7a0abcc9f662",
	     "76fc6ece0f4e1768cddf8853bb2d551b"},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		unsigned char key[32], iv[12], pt[64], aad[32], ct[64], tag[16], got[64], gtag[16],
		    back[64];
		size_t n = strlen(v[i].pt) / 2, an = strlen(v[i].aad) / 2;
		struct err e;
		hex(v[i].key, key, 32);
		hex(v[i].iv, iv, 12);
		hex(v[i].pt, pt, n);
		hex(v[i].aad, aad, an);
		hex(v[i].ct, ct, n);
		hex(v[i].tag, tag, 16);
		assert_int_equal(aead_seal_nonce(key, iv, aad, an, pt, n, got, gtag, &e), 0);
		assert_memory_equal(got, ct, n);
		assert_memory_equal(gtag, tag, 16);
		assert_int_equal(aead_open_nonce(key, iv, aad, an, ct, n, tag, back, &e), 0);
		assert_memory_equal(back, pt, n);
		tag[15] ^= 1;
		assert_int_equal(aead_open_nonce(key, iv, aad, an, ct, n, tag, back, &e), -1);
	}
}

/* Each implementation the machine has passes the vectors; the one Slate picked is restored. */
static void
gcm_spec_vectors_hold(void **state)
{
	enum aead_impl was = aead_impl_pick();
	int ran = 0;
	(void)state;
	assert_int_equal(aead_impl_use(AEAD_OPENSSL), 0);
	spec_vectors_hold();
	if (aead_impl_use(AEAD_SODIUM) == 0) {
		spec_vectors_hold();
		ran = 1;
	}
	/* the pick: libsodium's exactly when this CPU has its AES-GCM */
	assert_int_equal(was == AEAD_SODIUM, crypto_aead_aes256gcm_is_available());
	assert_int_equal(ran, crypto_aead_aes256gcm_is_available());
	assert_int_equal(aead_impl_use(was), 0);
}

/*
 * Boxes of every length up to 300 bytes and around the 1 KB past which
 * OpenSSL does every box, and a 64 KB upload chunk, with and without
 * associated data, sealed by each implementation this CPU has and opened
 * by each (both ways where there are two).
 */
static void
each_implementation_opens_what_the_other_sealed(void **state)
{
	static unsigned char pt[65536], box[65536 + AEAD_OVERHEAD], out[65536];
	static const size_t big[] = {1000, 1023, 1024, 1025, 1100, 65536};
	enum aead_impl was = aead_impl_pick(), impl[2] = {AEAD_OPENSSL, AEAD_SODIUM};
	size_t nimpl = crypto_aead_aes256gcm_is_available() ? 2 : 1;
	unsigned char key[32];
	struct err e;
	(void)state;
	randombytes_buf(key, sizeof(key));
	randombytes_buf(pt, sizeof(pt));
	for (size_t k = 0; k <= 300 + sizeof(big) / sizeof(big[0]); k++) {
		size_t n = k <= 300 ? k : big[k - 301], an = n % 3 == 0 ? 0 : n % 97;
		for (size_t i = 0; i < nimpl; i++) {
			for (size_t j = 0; j < nimpl; j++) {
				assert_int_equal(aead_impl_use(impl[i]), 0);
				assert_int_equal(aead_seal(key, pt, an, pt, n, box, &e), 0);
				assert_int_equal(aead_impl_use(impl[j]), 0);
				assert_int_equal(
				    aead_open(key, pt, an, box, n + AEAD_OVERHEAD, out, &e), 0);
				assert_memory_equal(out, pt, n);
				box[n + AEAD_OVERHEAD - 1] ^= 1; /* the tag */
				assert_int_equal(
				    aead_open(key, pt, an, box, n + AEAD_OVERHEAD, out, &e), -1);
			}
		}
	}
	assert_int_equal(aead_impl_use(was), 0);
}

static void
a_box_opens_only_with_its_key_and_associated_data(void **state)
{
	unsigned char key[32], box[5 + AEAD_OVERHEAD], out[5];
	struct err e;
	(void)state;
	randombytes_buf(key, sizeof(key));
	assert_int_equal(aead_seal(key, "here", 4, (const unsigned char *)"hello", 5, box, &e), 0);
	assert_int_equal(aead_open(key, "here", 4, box, sizeof(box), out, &e), 0);
	assert_memory_equal(out, "hello", 5);
	assert_int_equal(aead_open(key, "there", 5, box, sizeof(box), out, &e), -1);
	box[AEAD_NONCE_LEN] ^= 0x80;
	assert_int_equal(aead_open(key, "here", 4, box, sizeof(box), out, &e), -1);
	assert_int_equal(aead_open(key, "here", 4, box, AEAD_OVERHEAD - 1, out, &e), -1);
}

static struct secret
random_kek(void)
{
	struct secret k;
	secret_alloc(&k, 32);
	randombytes_buf(k.p, k.len);
	return k;
}

static char ks_path[160];

static struct keyring *
fresh(struct secret *kek)
{
	struct err e;
	struct keyring *kr;
	snprintf(ks_path, sizeof(ks_path), "%s/keys.db", tmpdb_dir);
	*kek = random_kek();
	kr = keyring_open(ks_path, kek, NULL, 1, &e);
	assert_non_null(kr);
	return kr;
}

#define cleanup tmpdb_teardown

static void
a_sealed_field_opens_only_in_its_place(void **state)
{
	struct secret kek;
	struct keyring *kr = fresh(&kek);
	struct keyring_place here = {"person", "home_address", "per_1"};
	struct keyring_place row = {"person", "home_address", "per_2"};
	struct keyring_place col = {"person", "emergency_contact", "per_1"};
	struct err e;
	char *env, *out;
	size_t n;
	(void)state;
	assert_int_equal(keyring_create(kr, "per_1", "person", &e), 0);
	env = keyring_seal(kr, "per_1", &here, "12 Elm Street", 13, &e);
	assert_non_null(env);
	assert_true(keyring_is_sealed(env));
	assert_null(strstr(env, "Elm"));
	assert_int_equal(keyring_unseal(kr, &here, env, &out, &n, &e), 1);
	assert_string_equal(out, "12 Elm Street");
	assert_int_equal(n, 13);
	free(out);
	assert_int_equal(keyring_unseal(kr, &row, env, &out, &n, &e), -1);
	assert_null(out);
	assert_int_equal(keyring_unseal(kr, &col, env, &out, &n, &e), -1);
	/* relabelled with another live key */
	{
		char *moved = NULL;
		assert_int_equal(keyring_create(kr, "per_2", "person", &e), 0);
		assert_true(asprintf(&moved, "sf1.per_2%s", strchr(env + 4, '.')) > 0);
		assert_int_equal(keyring_unseal(kr, &here, moved, &out, &n, &e), -1);
		free(moved);
	}
	/* two seals of one value differ (random nonce) */
	{
		char *again = keyring_seal(kr, "per_1", &here, "12 Elm Street", 13, &e);
		assert_string_not_equal(env, again);
		free(again);
	}
	assert_int_equal(keyring_unseal(kr, &here, "sf1.per_1.AAAA", &out, &n, &e), -1);
	assert_int_equal(keyring_unseal(kr, &here, "12 Elm Street", &out, &n, &e), -1);
	assert_int_equal(keyring_unseal(kr, &here,
	                                "sf1.nobody.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &out,
	                                &n, &e),
	                 -1);
	free(env);
	keyring_close(kr);
	secret_free(&kek);
}

/*
 * An envelope's base64url has one spelling. Values of 13, 14 and 15 bytes
 * make boxes whose text ends in a group of 3, 4 and 2 characters: each
 * opens; any character outside the alphabet, anywhere, fails; and so does a
 * last character whose unused low bits are set, which would decode to the
 * same box (and so pass the tag) were they ignored.
 */
static void
an_envelope_opens_only_in_its_one_spelling(void **state)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	static const char *const values[] = {"12 Elm Street", "12 Elm Street.", "12 Elm Street.."};
	struct secret kek;
	struct keyring *kr = fresh(&kek);
	struct keyring_place here = {"person", "home_address", "per_1"};
	struct err e;
	char *out;
	size_t n;
	(void)state;
	assert_int_equal(keyring_create(kr, "per_1", "person", &e), 0);
	for (size_t v = 0; v < nitems(values); v++) {
		char *env = keyring_seal(kr, "per_1", &here, values[v], strlen(values[v]), &e);
		char *b64 = strchr(env + 4, '.') + 1;
		size_t len = strlen(b64), tail = len % 4;
		char *last = b64 + len - 1;
		const char *at = strchr(alphabet, *last);

		static const size_t tails[] = {3, 0, 2};
		assert_int_equal(tail, tails[v]);
		assert_int_equal(keyring_unseal(kr, &here, env, &out, &n, &e), 1);
		assert_string_equal(out, values[v]);
		free(out);
		for (size_t i = 0; i < len; i++) {
			char was = b64[i];
			b64[i] = '=';
			assert_int_equal(keyring_unseal(kr, &here, env, &out, &n, &e), -1);
			assert_null(out);
			b64[i] = was;
		}
		if (tail !=
		    0) { /* the last character's unused bits: 4 of a 2-group, 2 of a 3-group */
			char was = *last;
			assert_non_null(at);
			assert_int_equal((at - alphabet) & (tail == 2 ? 15 : 3), 0);
			*last = alphabet[(at - alphabet) | 1];
			assert_int_equal(keyring_unseal(kr, &here, env, &out, &n, &e), -1);
			*last = was;
		}
		assert_int_equal(keyring_unseal(kr, &here, env, &out, &n, &e), 1);
		free(out);
		free(env);
	}
	keyring_close(kr);
	secret_free(&kek);
}

/*
 * Every part of a field's place is in its associated data, each on its own:
 * the same column and row id under another table does not open (an
 * app_user.email copied into invitation.email), nor may the parts slide into
 * one another ("ab"+"c" is not "a"+"bc").
 */
static void
a_sealed_field_does_not_open_under_another_table(void **state)
{
	struct secret kek;
	struct keyring *kr = fresh(&kek);
	struct keyring_place here = {"app_user", "email", "usr_1"};
	struct keyring_place tables[] = {
	    {"invitation", "email", "usr_1"},
	    {"outbox", "email", "usr_1"},
	    {"app_users", "email", "usr_1"},
	    {"", "email", "usr_1"},
	};
	struct keyring_place slid[] = {
	    {"app_useremail", "", "usr_1"}, /* the table swallows the column */
	    {"app_user", "emailusr_1", ""}, /* the column swallows the row */
	    {"app_user", "email", "usr_1per_1"},
	    {"app_user", "email", ""},
	};
	struct err e;
	char *env, *out;
	size_t n;
	(void)state;
	assert_int_equal(keyring_create(kr, "per_1", "person", &e), 0);
	env = keyring_seal(kr, "per_1", &here, "grip@example.org", 16, &e);
	assert_non_null(env);
	assert_int_equal(keyring_unseal(kr, &here, env, &out, &n, &e), 1);
	assert_string_equal(out, "grip@example.org");
	free(out);
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		assert_int_equal(keyring_unseal(kr, &tables[i], env, &out, &n, &e), -1);
		assert_null(out);
		assert_non_null(strstr(e.msg, "does not open"));
	}
	for (size_t i = 0; i < sizeof(slid) / sizeof(slid[0]); i++) {
		assert_int_equal(keyring_unseal(kr, &slid[i], env, &out, &n, &e), -1);
		assert_null(out);
	}
	free(env);
	keyring_close(kr);
	secret_free(&kek);
}

static void
a_destroyed_person_key_reads_as_erased_and_seals_nothing(void **state)
{
	struct secret kek;
	struct keyring *kr = fresh(&kek);
	struct keyring_place p = {"app_user", "email", "usr_1"};
	struct err e;
	char *env, *out;
	size_t n;
	(void)state;
	assert_int_equal(keyring_create(kr, "usr_1", "person", &e), 0);
	env = keyring_seal(kr, "usr_1", &p, "grip@example.org", 16, &e);
	assert_int_equal(keyring_destroy(kr, "usr_1", &e), 1);
	assert_int_equal(keyring_destroy(kr, "usr_1", &e), 0);
	assert_int_equal(keyring_destroy(kr, KEYRING_INDEX, &e), 0); /* only person keys */
	assert_int_equal(keyring_unseal(kr, &p, env, &out, &n, &e), 0);
	assert_string_equal(out, KEYRING_ERASED);
	free(out);
	assert_null(keyring_seal(kr, "usr_1", &p, "x", 1, &e));
	/* a second process sees the destruction at its next use */
	{
		struct keyring *other = keyring_open(ks_path, &kek, NULL, 0, &e);
		assert_non_null(other);
		assert_int_equal(keyring_create(other, "usr_9", "person", &e), 0);
		assert_int_equal(keyring_unseal(other, &p, env, &out, &n, &e), 0);
		free(out);
		keyring_close(other);
	}
	free(env);
	keyring_close(kr);
	secret_free(&kek);
}

static void
blind_indexes_are_stable_and_keyed(void **state)
{
	struct secret kek, kek2;
	struct keyring *kr = fresh(&kek), *kr2;
	char a[65], b[65], c[65], d[65];
	struct err e;
	(void)state;
	assert_int_equal(keyring_blind_index(kr, "email", "grip@example.org", a, &e), 0);
	assert_int_equal(keyring_blind_index(kr, "email", "grip@example.org", b, &e), 0);
	assert_int_equal(keyring_blind_index(kr, "phone", "grip@example.org", c, &e), 0);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_int_equal(strlen(a), 64);
	keyring_close(kr);
	cleanup(state);
	tmpdb_setup(state);
	kr2 = fresh(&kek2);
	assert_int_equal(keyring_blind_index(kr2, "email", "grip@example.org", d, &e), 0);
	assert_string_not_equal(a, d); /* another installation's index key */
	keyring_close(kr2);
	secret_free(&kek);
	secret_free(&kek2);
}

static void
file_digest(const char *path, unsigned char out[32])
{
	FILE *f = fopen(path, "rb");
	unsigned char buf[4096];
	size_t n;
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	assert_non_null(f);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		crypto_hash_sha256_update(&st, buf, n);
	fclose(f);
	crypto_hash_sha256_final(&st, out);
}

static void
a_wrong_master_key_opens_nothing_and_writes_nothing(void **state)
{
	struct secret kek, wrong = random_kek();
	struct keyring *kr = fresh(&kek);
	unsigned char before[32], after[32];
	char wal[200];
	struct stat st;
	struct err e;
	(void)state;
	keyring_close(kr);
	file_digest(ks_path, before);
	assert_null(keyring_open(ks_path, &wrong, NULL, 0, &e));
	assert_non_null(strstr(e.msg, "does not open the keystore"));
	file_digest(ks_path, after);
	assert_memory_equal(before, after, 32);
	snprintf(wal, sizeof(wal), "%s-wal", ks_path);
	assert_true(stat(wal, &st) == -1 || st.st_size == 0);
	assert_int_equal(stat(ks_path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	secret_free(&kek);
	secret_free(&wrong);
}

static void
rotation_rewraps_every_key_and_retires_the_old_master_key(void **state)
{
	struct secret kek, next = random_kek();
	struct keyring *kr = fresh(&kek), *again;
	struct keyring_place p = {"production", "address", "prd_1"};
	char before_idx[65], after_idx[65], kid1[KEYRING_ID_MAX], kid2[KEYRING_ID_MAX], when[32];
	struct err e;
	char *env, *out;
	size_t n;
	(void)state;
	assert_int_equal(keyring_create(kr, "prd_1", "production", &e), 0);
	env = keyring_seal(kr, "prd_1", &p, "Stage 4", 7, &e);
	assert_int_equal(keyring_blind_index(kr, "email", "x@example.org", before_idx, &e), 0);
	assert_int_equal(keyring_kek_info(kr, kid1, when, &e), 0);
	assert_int_equal(keyring_rotate(kr, &next, &e), 0);
	assert_int_equal(keyring_kek_info(kr, kid2, when, &e), 0);
	assert_string_not_equal(kid1, kid2);
	keyring_close(kr);
	assert_null(keyring_open(ks_path, &kek, NULL, 0, &e));
	again = keyring_open(ks_path, &next, NULL, 0, &e);
	assert_non_null(again);
	assert_int_equal(keyring_unseal(again, &p, env, &out, &n, &e), 1);
	assert_string_equal(out, "Stage 4");
	free(out);
	assert_int_equal(keyring_blind_index(again, "email", "x@example.org", after_idx, &e), 0);
	assert_string_equal(before_idx, after_idx);
	keyring_close(again);
	free(env);
	secret_free(&kek);
	secret_free(&next);
}

/*
 * A serving keyring follows a rotation made by another process even when it
 * looks between the keystore's commit and the rename of KEY_FILE.new over
 * KEY_FILE (cli/keys.c): it takes the new key from KEY_FILE.new then, and a
 * failed look is tried again at the next use rather than taken as done.
 */
static void
a_server_follows_a_rotation_caught_before_the_key_file_is_renamed(void **state)
{
	char key_file[256], pending[300];
	struct secret kek, next;
	struct keyring *server, *cli;
	struct keyring_place p = {"production", "address", "prd_1"};
	struct err e;
	char *env, *out;
	size_t n;
	(void)state;
	snprintf(ks_path, sizeof(ks_path), "%s/keys.db", tmpdb_dir);
	snprintf(key_file, sizeof(key_file), "%s/master.key", tmpdb_dir);
	snprintf(pending, sizeof(pending), "%s.new", key_file);
	assert_int_equal(masterkey_create(key_file, &e), 0);
	assert_int_equal(masterkey_load(key_file, &kek, &e), 0);
	server = keyring_open(ks_path, &kek, key_file, 1, &e);
	assert_non_null(server);
	assert_int_equal(keyring_create(server, "prd_1", "production", &e), 0);
	env = keyring_seal(server, "prd_1", &p, "Stage 4", 7, &e);
	assert_non_null(env);
	/* `slate keys rotate`, stopped after the keystore's commit: the new key only in .new */
	cli = keyring_open(ks_path, &kek, key_file, 0, &e);
	assert_non_null(cli);
	assert_int_equal(masterkey_create(pending, &e), 0);
	assert_int_equal(masterkey_load(pending, &next, &e), 0);
	assert_int_equal(keyring_rotate(cli, &next, &e), 0);
	keyring_close(cli);
	assert_int_equal(keyring_unseal(server, &p, env, &out, &n, &e), 1);
	assert_string_equal(out, "Stage 4");
	free(out);
	/* and the rename that finishes it changes nothing */
	assert_int_equal(rename(pending, key_file), 0);
	assert_int_equal(keyring_unseal(server, &p, env, &out, &n, &e), 1);
	assert_string_equal(out, "Stage 4");
	free(out);
	keyring_close(server);
	free(env);
	secret_free(&kek);
	secret_free(&next);
}

struct rotator {
	char key_file[256];
	struct secret kek;
	int rounds, failed;
	atomic_int stop; /* set by the reader: end early */
};

/* `slate keys rotate` over and over, as another process would run it (cli/keys.c). */
static void *
rotate_again_and_again(void *arg)
{
	struct rotator *r = arg;
	char pending[300];
	struct err e;
	struct keyring *cli = keyring_open(ks_path, &r->kek, r->key_file, 0, &e);

	snprintf(pending, sizeof(pending), "%s.new", r->key_file);
	for (int i = 0; cli != NULL && i < r->rounds && !r->failed && !atomic_load(&r->stop); i++) {
		struct secret next;
		if (masterkey_create(pending, &e) == -1 ||
		    masterkey_load(pending, &next, &e) == -1) {
			r->failed = 1;
			break;
		}
		if (keyring_rotate(cli, &next, &e) == -1 || rename(pending, r->key_file) == -1)
			r->failed = 1;
		secret_free(&next);
	}
	if (cli == NULL)
		r->failed = 1;
	keyring_close(cli);
	return NULL;
}

/*
 * A server reading keys while another process rotates the master key again
 * and again: every read opens. A rotation committed between the server's
 * look at the keystore's version and its read of a wrapped key must be
 * followed, not taken for a key that does not open.
 */
static void
reads_open_while_another_process_rotates_the_master_key(void **state)
{
	enum { KEYS = 40 };
	struct rotator r = {.rounds = 300};
	struct keyring *server;
	struct keyring_place p[KEYS];
	char ids[KEYS][16], *env[KEYS], *out;
	struct err e;
	pthread_t th;
	size_t n;
	int reads = 0, bad = 0;
	(void)state;
	snprintf(ks_path, sizeof(ks_path), "%s/keys.db", tmpdb_dir);
	snprintf(r.key_file, sizeof(r.key_file), "%s/master.key", tmpdb_dir);
	assert_int_equal(masterkey_create(r.key_file, &e), 0);
	assert_int_equal(masterkey_load(r.key_file, &r.kek, &e), 0);
	server = keyring_open(ks_path, &r.kek, r.key_file, 1, &e);
	assert_non_null(server);
	/* many keys: every rotation empties the cache, and each key read again is a window */
	for (int k = 0; k < KEYS; k++) {
		snprintf(ids[k], sizeof(ids[k]), "prd_%d", k);
		p[k] = (struct keyring_place){"production", "address", ids[k]};
		assert_int_equal(keyring_create(server, ids[k], "production", &e), 0);
		env[k] = keyring_seal(server, ids[k], &p[k], "Stage 4", 7, &e);
		assert_non_null(env[k]);
	}
	assert_int_equal(pthread_create(&th, NULL, rotate_again_and_again, &r), 0);
	for (int done = 0; !done;) {
		done = pthread_tryjoin_np(th, NULL) == 0;
		for (int k = 0; k < KEYS && bad == 0; k++, reads++) {
			int got = keyring_unseal(server, &p[k], env[k], &out, &n, &e);
			if (got != 1)
				bad = got - 10;
			else if (strcmp(out, "Stage 4") != 0)
				bad = 1;
			free(out);
		}
		if (bad != 0 && !done) {
			/* stop the rotations before failing: the thread uses r, on this stack */
			atomic_store(&r.stop, 1);
			pthread_join(th, NULL);
			done = 1;
		}
	}
	if (bad != 0)
		fail_msg("read %d during the rotations: %d (%s)", reads, bad, e.msg);
	assert_false(r.failed);
	keyring_close(server);
	for (int k = 0; k < KEYS; k++)
		free(env[k]);
	secret_free(&r.kek);
}

static void
keystore_sql(const char *sql)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(ks_path, &db, SQLITE_OPEN_READWRITE, "unix"), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void
the_commit_counter_never_goes_down_is_authenticated_and_survives_rotation(void **state)
{
	struct secret kek, next = random_kek();
	struct keyring *kr = fresh(&kek), *again;
	uint64_t v = 99;
	struct err e;
	(void)state;
	assert_int_equal(keyring_epoch_get(kr, "db-aa", &v, &e), 0);
	assert_int_equal(v, 0);
	assert_int_equal(keyring_epoch_record(kr, "db-aa", 5, 0, &e), 0);
	assert_int_equal(keyring_epoch_record(kr, "db-aa", 3, 0, &e), 0);
	assert_int_equal(keyring_epoch_get(kr, "db-aa", &v, &e), 1);
	assert_int_equal(v, 5);
	assert_int_equal(keyring_epoch_record(kr, "db-aa", 7, 0, &e), 0);
	assert_int_equal(keyring_epoch_get(kr, "db-aa", &v, &e), 1);
	assert_int_equal(v, 7);
	/* lowered only when asked (slate accept-restore) */
	assert_int_equal(keyring_epoch_record(kr, "db-aa", 2, 1, &e), 0);
	assert_int_equal(keyring_epoch_get(kr, "db-aa", &v, &e), 1);
	assert_int_equal(v, 2);
	assert_int_equal(keyring_epoch_record(kr, "db-bb", 9, 0, &e), 0);
	/* kept through a rotation, under the new master key */
	assert_int_equal(keyring_rotate(kr, &next, &e), 0);
	keyring_close(kr);
	again = keyring_open(ks_path, &next, NULL, 0, &e);
	assert_non_null(again);
	assert_int_equal(keyring_epoch_get(again, "db-aa", &v, &e), 1);
	assert_int_equal(v, 2);
	/* lowered in the file, or moved to another database, it does not authenticate */
	keystore_sql("UPDATE db_epoch SET epoch = 1 WHERE id = 'db-aa'");
	assert_int_equal(keyring_epoch_get(again, "db-aa", &v, &e), -1);
	assert_non_null(strstr(e.msg, "does not authenticate"));
	keystore_sql("UPDATE db_epoch SET mac = (SELECT mac FROM db_epoch WHERE id = 'db-bb'), "
	             "epoch = 9 WHERE id = 'db-aa'");
	assert_int_equal(keyring_epoch_get(again, "db-aa", &v, &e), -1);
	/* an unauthentic record is not the floor of the next one */
	assert_int_equal(keyring_epoch_record(again, "db-aa", 4, 0, &e), -1);
	assert_int_equal(keyring_epoch_record(again, "db-aa", 4, 1, &e), 0);
	assert_int_equal(keyring_epoch_get(again, "db-aa", &v, &e), 1);
	assert_int_equal(v, 4);
	keyring_close(again);
	secret_free(&kek);
	secret_free(&next);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(gcm_spec_vectors_hold),
	    cmocka_unit_test(each_implementation_opens_what_the_other_sealed),
	    cmocka_unit_test(a_box_opens_only_with_its_key_and_associated_data),
	    cmocka_unit_test_setup_teardown(a_sealed_field_opens_only_in_its_place, tmpdb_setup,
	                                    cleanup),
	    cmocka_unit_test_setup_teardown(an_envelope_opens_only_in_its_one_spelling, tmpdb_setup,
	                                    cleanup),
	    cmocka_unit_test_setup_teardown(a_sealed_field_does_not_open_under_another_table,
	                                    tmpdb_setup, cleanup),
	    cmocka_unit_test_setup_teardown(
	        a_destroyed_person_key_reads_as_erased_and_seals_nothing, tmpdb_setup, cleanup),
	    cmocka_unit_test_setup_teardown(blind_indexes_are_stable_and_keyed, tmpdb_setup,
	                                    cleanup),
	    cmocka_unit_test_setup_teardown(a_wrong_master_key_opens_nothing_and_writes_nothing,
	                                    tmpdb_setup, cleanup),
	    cmocka_unit_test_setup_teardown(
	        rotation_rewraps_every_key_and_retires_the_old_master_key, tmpdb_setup, cleanup),
	    cmocka_unit_test_setup_teardown(
	        a_server_follows_a_rotation_caught_before_the_key_file_is_renamed, tmpdb_setup,
	        cleanup),
	    cmocka_unit_test_setup_teardown(reads_open_while_another_process_rotates_the_master_key,
	                                    tmpdb_setup, cleanup),
	    cmocka_unit_test_setup_teardown(
	        the_commit_counter_never_goes_down_is_authenticated_and_survives_rotation,
	        tmpdb_setup, cleanup),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

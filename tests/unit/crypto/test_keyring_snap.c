/*
 * The keyring's snapshot and store/seal.c: what opens through a snapshot
 * is what keyring_unseal opens, byte for byte, and what it refuses; an
 * envelope's base64 is decoded exactly as strictly as libsodium's decoder
 * (no padding, no stray characters, no set unused bits); a person's groups
 * open only when asked for; two threads opening fields at once through
 * snapshots while a third destroys a key see only the field or [erased].
 */
#include "cmocka_all.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/keyring.h"
#include "crypto/masterkey.h"
#include "store/seal.h"
#include "tmpdb.h"

static void
a_snapshot_opens_what_unseal_opens(void **state)
{
	struct keyring *kr = tmpdb_keys();
	struct keyring_place here = {"person", "private", "per_1"};
	struct keyring_place there = {"person", "private", "per_2"};
	struct keyring_snap snap;
	struct err e;
	char *env, *a, *b;
	size_t na, nb;
	(void)state;
	assert_int_equal(keyring_create(kr, "per_1", "person", &e), 0);
	/* every length mod 3, so every tail of the base64 is exercised */
	for (size_t len = 0; len < 40; len++) {
		char value[64];
		memset(value, 'x', len);
		value[len] = '\0';
		env = keyring_seal(kr, "per_1", &here, value, len, &e);
		assert_non_null(env);
		assert_int_equal(keyring_snap_begin(kr, &snap, &e), 0);
		assert_int_equal(keyring_unseal(kr, &here, env, &a, &na, &e), 1);
		assert_int_equal(keyring_snap_unseal(&snap, &here, env, &b, &nb, &e), 1);
		assert_int_equal(na, len);
		assert_int_equal(nb, len);
		assert_memory_equal(a, b, len + 1);
		free(a);
		free(b);
		assert_int_equal(keyring_snap_unseal(&snap, &there, env, &b, &nb, &e), -1);
		assert_null(b);
		free(env);
	}
}

static void
a_damaged_envelope_is_refused_as_libsodium_refuses_it(void **state)
{
	static const char alpha[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	struct keyring *kr = tmpdb_keys();
	struct keyring_place here = {"person", "private", "per_1"};
	struct keyring_snap snap;
	struct err e;
	char *env, *out, bad[128];
	size_t n, len, v;
	(void)state;
	assert_int_equal(keyring_create(kr, "per_1", "person", &e), 0);
	assert_int_equal(keyring_snap_begin(kr, &snap, &e), 0);
	/* 2 bytes: a box of 30, 40 characters */
	env = keyring_seal(kr, "per_1", &here, "ab", 2, &e);
	assert_non_null(env);
	len = strlen(env);
	assert_true(len + 2 < sizeof(bad));
	snprintf(bad, sizeof(bad), "%s", env);
	bad[len - 1] = '='; /* padding is not in the alphabet */
	assert_int_equal(keyring_snap_unseal(&snap, &here, bad, &out, &n, &e), -1);
	snprintf(bad, sizeof(bad), "%s", env);
	bad[len - 3] = '+'; /* the standard alphabet's, not the URL-safe one's */
	assert_int_equal(keyring_snap_unseal(&snap, &here, bad, &out, &n, &e), -1);
	snprintf(bad, sizeof(bad), "%sA", env); /* 41 characters: no encoding is 4k+1 long */
	assert_int_equal(keyring_snap_unseal(&snap, &here, bad, &out, &n, &e), -1);
	snprintf(bad, sizeof(bad), "%s", env);
	bad[len - 1] = bad[len - 1] == 'A' ? 'B' : 'A'; /* altered: the tag refuses it */
	assert_int_equal(keyring_snap_unseal(&snap, &here, bad, &out, &n, &e), -1);
	free(env);
	/* 3 bytes: a box of 31, 42 characters, the last with 4 unused bits */
	env = keyring_seal(kr, "per_1", &here, "abc", 3, &e);
	assert_non_null(env);
	len = strlen(env);
	snprintf(bad, sizeof(bad), "%s", env);
	v = (size_t)(strchr(alpha, env[len - 1]) - alpha);
	assert_int_equal(v & 15, 0);
	bad[len - 1] = alpha[v | 1]; /* the same bytes, with an unused bit set */
	{
		unsigned char box[64];
		size_t got = 0;
		const char *b64 = strrchr(bad, '.') + 1;
		assert_int_not_equal(sodium_base642bin(box, sizeof(box), b64, strlen(b64), NULL,
		                                       &got, NULL,
		                                       sodium_base64_VARIANT_URLSAFE_NO_PADDING),
		                     0);
	}
	assert_int_equal(keyring_snap_unseal(&snap, &here, bad, &out, &n, &e), -1);
	assert_int_equal(keyring_snap_unseal(&snap, &here, env, &out, &n, &e), 1);
	assert_string_equal(out, "abc");
	free(out);
	free(env);
}

static void
a_person_opens_only_the_groups_asked_for(void **state)
{
	struct keyring *kr = tmpdb_keys();
	struct store_person p, back;
	struct keyring_snap snap;
	char *env[SEAL_PERSON_GROUPS];
	struct err e;
	(void)state;
	memset(&p, 0, sizeof(p));
	snprintf(p.id, sizeof(p.id), "per_9");
	snprintf(p.work_phone, sizeof(p.work_phone), "+44 20 7946 0000");
	snprintf(p.personal_email, sizeof(p.personal_email), "me@example.com");
	snprintf(p.medical, sizeof(p.medical), "asthma");
	assert_int_equal(keyring_create(kr, "per_9", "person", &e), 0);
	assert_int_equal(seal_person(kr, &p, STORE_PERSON_ALL, env, &e), 0);
	for (size_t g = 0; g < SEAL_PERSON_GROUPS; g++) {
		assert_non_null(env[g]);
		assert_null(strstr(env[g], "example"));
	}
	memset(&back, 0, sizeof(back));
	snprintf(back.id, sizeof(back.id), "per_9");
	assert_int_equal(keyring_snap_begin(kr, &snap, &e), 0);
	seal_open_person(&snap, &back, STORE_PERSON_WORK, (const char *const *)env);
	assert_string_equal(back.work_phone, "+44 20 7946 0000");
	assert_string_equal(back.personal_email, "");
	assert_string_equal(back.medical, "");
	assert_int_equal(back.opened, STORE_PERSON_WORK);
	seal_open_person(&snap, &back, STORE_PERSON_PRIVATE | STORE_PERSON_PERSONAL,
	                 (const char *const *)env);
	assert_string_equal(back.personal_email, "me@example.com");
	assert_string_equal(back.medical, "asthma");
	assert_int_equal(back.opened, STORE_PERSON_ALL);
	/* an envelope in another group's column does not open: unreadable, not another field */
	{
		const char *swapped[SEAL_PERSON_GROUPS] = {env[1], env[0], env[2]};
		struct store_person q;
		memset(&q, 0, sizeof(q));
		snprintf(q.id, sizeof(q.id), "per_9");
		seal_open_person(&snap, &q, STORE_PERSON_WORK, swapped);
		assert_string_equal(q.work_phone, SEAL_UNREADABLE);
	}
	/* the key destroyed: every field reads as erased through a new snapshot */
	assert_int_equal(keyring_destroy(kr, "per_9", &e), 1);
	assert_int_equal(keyring_snap_begin(kr, &snap, &e), 0);
	memset(&back, 0, sizeof(back));
	snprintf(back.id, sizeof(back.id), "per_9");
	seal_open_person(&snap, &back, STORE_PERSON_ALL, (const char *const *)env);
	assert_string_equal(back.work_phone, KEYRING_ERASED);
	assert_string_equal(back.medical, KEYRING_ERASED);
	seal_free_env(env, SEAL_PERSON_GROUPS);
	sodium_memzero(&p, sizeof(p));
}

struct reader {
	struct keyring *kr;
	const char *env;
	int bad;
};

static void *
read_many(void *arg)
{
	struct reader *rd = arg;
	struct keyring_place here = {"person", "private", "per_t"};
	for (int i = 0; i < 2000; i++) {
		struct keyring_snap snap;
		struct err e;
		char *out;
		size_t n;
		int rc;
		if (keyring_snap_begin(rd->kr, &snap, &e) == -1) {
			rd->bad++;
			continue;
		}
		rc = keyring_snap_unseal(&snap, &here, rd->env, &out, &n, &e);
		if (rc == 1 && strcmp(out, "secret") != 0)
			rd->bad++;
		if (rc == 0 && strcmp(out, KEYRING_ERASED) != 0)
			rd->bad++;
		if (rc == -1)
			rd->bad++;
		free(out);
	}
	return NULL;
}

/* Two threads read env through kr's snapshots while destroyer destroys per_t: every
   read is the field or "[erased]". */
static void
read_on_two_threads_while_destroyed(struct keyring *kr, struct keyring *destroyer, const char *env)
{
	struct reader r1 = {kr, env, 0}, r2 = r1;
	pthread_t t1, t2;
	struct err e;
	assert_int_equal(pthread_create(&t1, NULL, read_many, &r1), 0);
	assert_int_equal(pthread_create(&t2, NULL, read_many, &r2), 0);
	assert_int_equal(keyring_destroy(destroyer, "per_t", &e), 1);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	assert_int_equal(r1.bad, 0);
	assert_int_equal(r2.bad, 0);
}

static void
readers_on_two_threads_see_the_field_or_erased_while_its_key_is_destroyed(void **state)
{
	struct keyring *kr = tmpdb_keys();
	struct keyring_place here = {"person", "private", "per_t"};
	struct err e;
	char *env;
	(void)state;
	assert_int_equal(keyring_create(kr, "per_t", "person", &e), 0);
	env = keyring_seal(kr, "per_t", &here, "secret", 6, &e);
	assert_non_null(env);
	read_on_two_threads_while_destroyed(kr, kr, env);
	free(env);
}

/* Two handles on the keystore ks, as the server and another process (the CLI) hold. */
static void
two_handles(const char *ks, const struct secret *kek, const char *key_file, struct keyring **server,
            struct keyring **cli)
{
	struct err e;
	*server = keyring_open(ks, kek, key_file, 1, &e);
	assert_non_null(*server);
	*cli = keyring_open(ks, kek, key_file, 0, &e);
	assert_non_null(*cli);
}

/*
 * A snapshot taken before another process rotates the master key still
 * opens a field whose key it had not cached: the rewrapped key is read
 * under the new master key, not the old one the snapshot saw.
 */
static void
a_snapshot_follows_a_rotation_for_a_key_it_had_not_cached(void **state)
{
	char ks[200], key_file[200], pending[220];
	struct secret kek, next;
	struct keyring *server, *cli;
	struct keyring_place p = {"person", "private", "per_r"};
	struct keyring_snap snap;
	struct err e;
	char *env, *out;
	size_t n;
	(void)state;
	snprintf(ks, sizeof(ks), "%s/rot.db", tmpdb_dir);
	snprintf(key_file, sizeof(key_file), "%s/master.key", tmpdb_dir);
	snprintf(pending, sizeof(pending), "%s.new", key_file);
	assert_int_equal(masterkey_create(key_file, &e), 0);
	assert_int_equal(masterkey_load(key_file, &kek, &e), 0);
	/* sealed by another process: the server has never cached per_r */
	two_handles(ks, &kek, key_file, &server, &cli);
	assert_int_equal(keyring_create(cli, "per_r", "person", &e), 0);
	env = keyring_seal(cli, "per_r", &p, "Stage 4", 7, &e);
	assert_non_null(env);
	assert_int_equal(keyring_snap_begin(server, &snap, &e), 0);
	/* `slate keys rotate` between the snapshot and the read */
	assert_int_equal(masterkey_create(pending, &e), 0);
	assert_int_equal(masterkey_load(pending, &next, &e), 0);
	assert_int_equal(keyring_rotate(cli, &next, &e), 0);
	keyring_close(cli);
	assert_int_equal(rename(pending, key_file), 0);
	assert_int_equal(keyring_snap_unseal(&snap, &p, env, &out, &n, &e), 1);
	assert_string_equal(out, "Stage 4");
	free(out);
	keyring_close(server);
	free(env);
	secret_free(&kek);
	secret_free(&next);
}

/*
 * A key destroyed by another process (another handle on the keystore, as
 * `slate keys shred-person`) no longer opens through this handle's next
 * snapshot, though this handle had it cached; readers on two threads
 * beginning snapshots meanwhile see the field or "[erased]", never an error.
 */
static void
the_next_snapshot_sees_a_key_another_process_destroyed(void **state)
{
	char ks[200];
	struct secret kek;
	struct keyring *server, *cli;
	struct keyring_place here = {"person", "private", "per_t"};
	struct keyring_snap snap;
	struct err e;
	char *env, *out;
	size_t n;
	(void)state;
	snprintf(ks, sizeof(ks), "%s/shared.db", tmpdb_dir);
	secret_alloc(&kek, 32);
	randombytes_buf(kek.p, kek.len);
	two_handles(ks, &kek, NULL, &server, &cli);
	assert_int_equal(keyring_create(server, "per_t", "person", &e), 0);
	env = keyring_seal(server, "per_t", &here, "secret", 6, &e);
	assert_non_null(env);
	/* the server has the key cached */
	assert_int_equal(keyring_snap_begin(server, &snap, &e), 0);
	assert_int_equal(keyring_snap_unseal(&snap, &here, env, &out, &n, &e), 1);
	free(out);

	read_on_two_threads_while_destroyed(server, cli, env);

	assert_int_equal(keyring_snap_begin(server, &snap, &e), 0);
	assert_int_equal(keyring_snap_unseal(&snap, &here, env, &out, &n, &e), 0);
	assert_string_equal(out, KEYRING_ERASED);
	free(out);
	keyring_close(cli);
	keyring_close(server);
	free(env);
	secret_free(&kek);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(a_snapshot_opens_what_unseal_opens, tmpdb_setup,
	                                    tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(a_damaged_envelope_is_refused_as_libsodium_refuses_it,
	                                    tmpdb_setup, tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(a_person_opens_only_the_groups_asked_for, tmpdb_setup,
	                                    tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(
	        readers_on_two_threads_see_the_field_or_erased_while_its_key_is_destroyed,
	        tmpdb_setup, tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(
	        a_snapshot_follows_a_rotation_for_a_key_it_had_not_cached, tmpdb_setup,
	        tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(the_next_snapshot_sees_a_key_another_process_destroyed,
	                                    tmpdb_setup, tmpdb_teardown),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

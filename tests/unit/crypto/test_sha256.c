/*
 * SHA-256 (crypto/sha256.c): the FIPS 180-2 examples, a long input fed in
 * uneven pieces equal to one call, and agreement with libsodium's, which
 * the audit chain and tokens use.
 */
#include "cmocka_all.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/sha256.h"

static void
hex_equal(const unsigned char d[SHA256_LEN], const char *want)
{
	char got[2 * SHA256_LEN + 1];
	sodium_bin2hex(got, sizeof(got), d, SHA256_LEN);
	assert_string_equal(got, want);
}

static void
the_fips_examples_hold(void **state)
{
	unsigned char d[SHA256_LEN];
	struct sha256 h;
	(void)state;
	sha256(d, "abc", 3);
	hex_equal(d, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256(d, "", 0);
	hex_equal(d, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256(d, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56);
	hex_equal(d, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	/* a million 'a', in pieces of 1000 */
	{
		char piece[1000];
		memset(piece, 'a', sizeof(piece));
		sha256_init(&h);
		for (int i = 0; i < 1000; i++)
			sha256_update(&h, piece, sizeof(piece));
		sha256_final(&h, d);
		hex_equal(d, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	}
}

static void
pieces_equal_one_call_and_libsodium(void **state)
{
	enum { N = 1 << 20 };
	unsigned char *buf = malloc(N), one[SHA256_LEN], parts[SHA256_LEN],
	              na[crypto_hash_sha256_BYTES];
	struct sha256 h;
	size_t off = 0, step = 1;
	(void)state;
	assert_non_null(buf);
	randombytes_buf(buf, N);
	sha256(one, buf, N);
	sha256_init(&h);
	while (off < N) {
		size_t n = step < N - off ? step : N - off;
		sha256_update(&h, buf + off, n);
		off += n;
		step = step * 3 + 1;
	}
	sha256_final(&h, parts);
	assert_memory_equal(one, parts, SHA256_LEN);
	crypto_hash_sha256(na, buf, N);
	assert_memory_equal(one, na, SHA256_LEN);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(the_fips_examples_hold),
	    cmocka_unit_test(pieces_equal_one_call_and_libsodium),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * The upload file format: known answers computed independently (Python's
 * cryptography AESGCM over the format of stream.c), round trips, and every
 * kind of damage — a flipped byte, truncation at and inside a chunk,
 * reordered chunks, an extra chunk, a wrong key — refused.
 */
#include "cmocka_all.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/stream.h"

static unsigned char key[32], prefix[7];

static void
setup_key(void)
{
	for (int i = 0; i < 32; i++)
		key[i] = (unsigned char)i;
	for (int i = 0; i < 7; i++)
		prefix[i] = (unsigned char)(0xa0 + i);
}

/* The format with a fixed prefix (stream_encode draws a random one). */
static unsigned char *
encode_fixed(const unsigned char *pt, size_t n, size_t *outlen)
{
	struct stream st;
	struct err e;
	size_t total = stream_sealed_size(n), off = 0, o = STREAM_HEADER_LEN;
	unsigned char *out = malloc(total);
	stream_writer_prefix(&st, key, prefix);
	memcpy(out, st.header, STREAM_HEADER_LEN);
	for (;;) {
		int last = n - off < STREAM_CHUNK;
		size_t take = last ? n - off : STREAM_CHUNK;
		assert_int_equal(stream_seal(&st, pt + off, take, last, out + o, &e), 0);
		off += take;
		o += take + AEAD_TAG_LEN;
		if (last)
			break;
	}
	assert_int_equal(o, total);
	*outlen = total;
	return out;
}

static void
sha256_hex(const unsigned char *p, size_t n, char out[65])
{
	unsigned char h[32];
	crypto_hash_sha256(h, p, n);
	sodium_bin2hex(out, 65, h, 32);
}

static void
known_answers_hold(void **state)
{
	unsigned char *pt = malloc(70000), *enc, *zero = calloc(1, 65536);
	size_t n;
	char hex[65], ehex[81];
	(void)state;
	setup_key();
	for (size_t i = 0; i < 70000; i++)
		pt[i] = (unsigned char)((i * 7) & 0xff);
	enc = encode_fixed(pt, 70000, &n);
	assert_int_equal(n, 70056);
	sha256_hex(enc, n, hex);
	assert_string_equal(hex,
	                    "19f10739ab4cac77daa56624d5c9faf188e9796e2aca8d68ebc524e9c51dda7d");
	free(enc);
	enc = encode_fixed(NULL, 0, &n);
	assert_int_equal(n, 40);
	sodium_bin2hex(ehex, sizeof(ehex), enc, n);
	assert_string_equal(ehex, "534c41544546533100010000a0a1a2a3a4a5a60000000000c80351dc970af6ce"
	                          "98987f92cb88841e");
	free(enc);
	/* exactly one chunk of data still ends with an (empty) last record */
	enc = encode_fixed(zero, 65536, &n);
	assert_int_equal(n, 65592);
	sha256_hex(enc, n, hex);
	assert_string_equal(hex,
	                    "bc3120f4ada634fa8a725790a8c5ab1d39fc8b94fefdbc3de1cb937a87206ac0");
	free(enc);
	free(zero);
	free(pt);
}

static void
every_size_round_trips(void **state)
{
	static const size_t sizes[] = {0, 1, 65535, 65536, 65537, 200000};
	(void)state;
	setup_key();
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i], elen, dlen;
		unsigned char *pt = malloc(n + 1), *enc, *dec;
		struct err e;
		randombytes_buf(pt, n);
		enc = stream_encode(key, pt, n, &elen, &e);
		assert_non_null(enc);
		assert_int_equal(elen, stream_sealed_size(n));
		assert_int_equal(stream_decode(key, enc, elen, &dec, &dlen, &e), 0);
		assert_int_equal(dlen, n);
		if (n > 0)
			assert_memory_equal(dec, pt, n);
		free(dec);
		free(enc);
		free(pt);
	}
}

struct collect {
	unsigned char *p;
	size_t len;
};

static int
collect_out(const unsigned char *p, size_t n, void *arg, struct err *e)
{
	struct collect *c = arg;
	(void)e;
	c->p = realloc(c->p, c->len + n + 1);
	memcpy(c->p + c->len, p, n);
	c->len += n;
	return 0;
}

/* Written piece by piece, in pieces of every awkward size, the format reads back whole. */
static void
pieces_write_the_same_format(void **state)
{
	static const size_t sizes[] = {0, 1, 65535, 65536, 65537, 131072, 200000};
	static const size_t pieces[] = {1, 7, 4096, 65535, 65536, 65537, 1000000};
	(void)state;
	setup_key();
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (size_t k = 0; k < sizeof(pieces) / sizeof(pieces[0]); k++) {
			size_t n = sizes[i], off = 0, dlen;
			unsigned char *pt = malloc(n + 1), *dec;
			struct collect c = {NULL, 0};
			struct stream_out w;
			struct err e;
			randombytes_buf(pt, n);
			assert_int_equal(stream_out_begin(&w, key, collect_out, &c, &e), 0);
			while (off < n) {
				size_t take = n - off < pieces[k] ? n - off : pieces[k];
				assert_int_equal(stream_out_push(&w, pt + off, take, &e), 0);
				off += take;
			}
			assert_int_equal(stream_out_end(&w, &e), 0);
			stream_out_free(&w);
			assert_int_equal(c.len, stream_sealed_size(n));
			assert_int_equal(stream_decode(key, c.p, c.len, &dec, &dlen, &e), 0);
			assert_int_equal(dlen, n);
			if (n > 0)
				assert_memory_equal(dec, pt, n);
			free(dec);
			free(c.p);
			free(pt);
		}
	}
}

static void
damage_is_refused(void **state)
{
	size_t n = 3 * STREAM_CHUNK + 100, elen, dlen;
	unsigned char *pt = calloc(1, n), *enc, *bad, *dec, other[32];
	struct err e;
	(void)state;
	setup_key();
	enc = stream_encode(key, pt, n, &elen, &e);
	bad = malloc(elen);
	/* a flipped byte anywhere: header, a middle chunk, a tag, the last chunk */
	{
		const size_t at[] = {3, 15, STREAM_HEADER_LEN + 5,
		                     STREAM_HEADER_LEN + STREAM_RECORD - 1, elen - 1};
		for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
			memcpy(bad, enc, elen);
			bad[at[i]] ^= 0x01;
			assert_int_equal(stream_decode(key, bad, elen, &dec, &dlen, &e), -1);
			assert_null(dec);
		}
	}
	/* truncated at a chunk boundary, and inside a chunk */
	assert_int_equal(
	    stream_decode(key, enc, STREAM_HEADER_LEN + 2 * STREAM_RECORD, &dec, &dlen, &e), -1);
	assert_int_equal(stream_decode(key, enc, elen - 10, &dec, &dlen, &e), -1);
	assert_int_equal(stream_decode(key, enc, STREAM_HEADER_LEN, &dec, &dlen, &e), -1);
	assert_int_equal(stream_decode(key, enc, 10, &dec, &dlen, &e), -1);
	/* two middle chunks swapped */
	memcpy(bad, enc, elen);
	memcpy(bad + STREAM_HEADER_LEN, enc + STREAM_HEADER_LEN + STREAM_RECORD, STREAM_RECORD);
	memcpy(bad + STREAM_HEADER_LEN + STREAM_RECORD, enc + STREAM_HEADER_LEN, STREAM_RECORD);
	assert_int_equal(stream_decode(key, bad, elen, &dec, &dlen, &e), -1);
	/* trailing bytes after the last chunk */
	{
		unsigned char *longer = malloc(elen + 20);
		memcpy(longer, enc, elen);
		memset(longer + elen, 0, 20);
		assert_int_equal(stream_decode(key, longer, elen + 20, &dec, &dlen, &e), -1);
		free(longer);
	}
	/* another key */
	randombytes_buf(other, sizeof(other));
	assert_int_equal(stream_decode(other, enc, elen, &dec, &dlen, &e), -1);
	assert_int_equal(stream_decode(key, enc, elen, &dec, &dlen, &e), 0);
	free(dec);
	free(bad);
	free(enc);
	free(pt);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(known_answers_hold),
	    cmocka_unit_test(every_size_round_trips),
	    cmocka_unit_test(pieces_write_the_same_format),
	    cmocka_unit_test(damage_is_refused),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* WAL segments (backup/ship.c): parsing, the trailing hash, lengths, and the sync interval. */
#include "cmocka_all.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backup/ship.h"
#include "util/bigend.h"

/* A segment of frames first..last of generation 7, one commit at last, built as the format says. */
static unsigned char *
build(uint32_t first, uint32_t last, size_t *n)
{
	size_t frames = last - first + 1;
	int walhdr = first == 1;
	unsigned char *b, *q;

	*n = (size_t)(SHIP_HDR + SHIP_COMMIT_LEN + (walhdr ? SHIP_WAL_HDR : 0) + SHIP_HASH) +
	     frames * SHIP_FRAME;
	b = calloc(1, *n);
	memcpy(b, SHIP_MAGIC, 8);
	put_be32(b + 8, SHIP_VERSION);
	put_be32(b + 12, SHIP_HDR);
	put_be64(b + 16, 7);
	put_be32(b + 24, 3);
	put_be32(b + 28, 0x11111111);
	put_be32(b + 32, 0x22222222);
	put_be32(b + 36, first);
	put_be32(b + 40, last);
	put_be32(b + 44, 1);
	put_be64(b + 48, 1796000000123ULL);
	put_be64(b + 56, 1796000000123ULL);
	memset(b + 64, walhdr ? 0 : 0xab, SHIP_HASH);
	put_be32(b + 96, walhdr ? 1 : 0);
	q = b + SHIP_HDR;
	put_be32(q, last);
	put_be64(q + 4, 1796000000123ULL);
	q += SHIP_COMMIT_LEN;
	if (walhdr) {
		put_be32(q, 0x377f0682);
		q += SHIP_WAL_HDR;
	}
	for (size_t i = 0; i < frames; i++)
		memset(q + i * SHIP_FRAME, (int)(first + i), SHIP_FRAME);
	q += frames * SHIP_FRAME;
	crypto_hash_sha256(q, b, (size_t)(q - b));
	return b;
}

static void
rehash(unsigned char *b, size_t n)
{
	crypto_hash_sha256(b + n - SHIP_HASH, b, n - SHIP_HASH);
}

static void
a_segment_parses_into_its_parts(void **state)
{
	size_t n;
	unsigned char *b = build(1, 3, &n), hash[SHIP_HASH];
	const unsigned char *commits, *walhdr, *frames;
	struct ship_seg s;
	struct err e;
	(void)state;

	assert_int_equal(ship_seg_parse(b, n, &s, &commits, &walhdr, &frames, hash, &e), 0);
	assert_int_equal(s.generation, 7);
	assert_int_equal(s.ckpt_seq, 3);
	assert_int_equal(s.salt1, 0x11111111);
	assert_int_equal(s.salt2, 0x22222222);
	assert_int_equal(s.first, 1);
	assert_int_equal(s.last, 3);
	assert_int_equal(s.commits, 1);
	assert_int_equal(s.first_ms, 1796000000123LL);
	assert_true(s.has_wal_header);
	assert_non_null(walhdr);
	assert_ptr_equal(commits, b + SHIP_HDR);
	assert_int_equal(frames[0], 1);
	assert_int_equal(frames[2 * SHIP_FRAME], 3);
	assert_memory_equal(hash, b + n - SHIP_HASH, SHIP_HASH);
	free(b);

	/* a later segment of the generation has no WAL header */
	b = build(4, 4, &n);
	assert_int_equal(ship_seg_parse(b, n, &s, &commits, &walhdr, &frames, hash, &e), 0);
	assert_false(s.has_wal_header);
	assert_null(walhdr);
	assert_int_equal(frames[0], 4);
	free(b);
}

static void
an_altered_or_truncated_segment_is_refused(void **state)
{
	size_t n;
	unsigned char *b = build(1, 2, &n), hash[SHIP_HASH];
	const unsigned char *c, *w, *f;
	struct ship_seg s;
	struct err e;
	(void)state;

	for (size_t at = 0; at < n; at += 997) {
		b[at] ^= 0x01;
		assert_int_equal(ship_seg_parse(b, n, &s, &c, &w, &f, hash, &e), -1);
		b[at] ^= 0x01;
	}
	assert_int_equal(ship_seg_parse(b, n - 1, &s, &c, &w, &f, hash, &e), -1);
	assert_non_null(strstr(e.msg, "SHA-256"));
	assert_int_equal(ship_seg_parse(b, 40, &s, &c, &w, &f, hash, &e), -1);
	free(b);
}

static void
lengths_and_versions_must_agree_even_under_a_fresh_hash(void **state)
{
	size_t n;
	unsigned char *b = build(1, 2, &n), hash[SHIP_HASH];
	const unsigned char *c, *w, *f;
	struct ship_seg s;
	struct err e;
	(void)state;

	put_be32(b + 40, 3); /* says three frames, holds two */
	rehash(b, n);
	assert_int_equal(ship_seg_parse(b, n, &s, &c, &w, &f, hash, &e), -1);
	assert_non_null(strstr(e.msg, "header says"));
	put_be32(b + 40, 2);
	put_be32(b + 8, 2); /* a format this binary does not know */
	rehash(b, n);
	assert_int_equal(ship_seg_parse(b, n, &s, &c, &w, &f, hash, &e), -1);
	assert_non_null(strstr(e.msg, "format 2"));
	put_be32(b + 8, SHIP_VERSION);
	put_be32(b + 36, 3); /* first after last */
	rehash(b, n);
	assert_int_equal(ship_seg_parse(b, n, &s, &c, &w, &f, hash, &e), -1);
	assert_non_null(strstr(e.msg, "frame range"));
	free(b);
}

static void
the_sync_interval_reads_seconds_fractions_and_ms(void **state)
{
	(void)state;
	assert_true(ship_parse_interval("1") == 1.0);
	assert_true(ship_parse_interval("0.2") > 0.199 && ship_parse_interval("0.2") < 0.201);
	assert_true(ship_parse_interval("200ms") > 0.199 && ship_parse_interval("200ms") < 0.201);
	assert_true(ship_parse_interval("2s") == 2.0);
	assert_true(ship_parse_interval("") < 0);
	assert_true(ship_parse_interval("fast") < 0);
	assert_true(ship_parse_interval("0") < 0);
	assert_true(ship_parse_interval("1h") < 0);
	assert_true(ship_parse_interval("nan") < 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_segment_parses_into_its_parts),
	    cmocka_unit_test(an_altered_or_truncated_segment_is_refused),
	    cmocka_unit_test(lengths_and_versions_must_agree_even_under_a_fresh_hash),
	    cmocka_unit_test(the_sync_interval_reads_seconds_fractions_and_ms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

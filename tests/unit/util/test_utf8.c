/* Strict UTF-8 (RFC 3629) and JSON-escaped log text. */
#include "cmocka_all.h"

#include <stdlib.h>
#include <string.h>

#include "util/json_escape.h"
#include "util/utf8.h"

static void
utf8_rules(void **state)
{
	(void)state;
	assert_true(utf8_valid("plain", 5));
	assert_true(utf8_valid("\xc3\xa9\xe2\x82\xac\xf0\x9f\x8e\xac", 9)); /* é € 🎬 */
	assert_false(utf8_valid("\xc3\x28", 2));                            /* bad continuation */
	assert_false(utf8_valid("\xc0\xaf", 2));                            /* overlong '/' */
	assert_false(utf8_valid("\xe0\x80\xaf", 3));                        /* overlong */
	assert_false(utf8_valid("\xed\xa0\x80", 3));                        /* surrogate */
	assert_false(utf8_valid("\xf4\x90\x80\x80", 4));                    /* above U+10FFFF */
	assert_false(utf8_valid("\xe2\x82", 2));                            /* truncated */
	assert_false(utf8_valid("a\0b", 3));                                /* NUL */
}

/* The rules byte by byte, as utf8_valid read them before it took ASCII eight bytes at a time. */
static int
valid_bytewise(const unsigned char *u, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned char one[5] = {0};
		size_t k, avail = n - i < 4 ? n - i : 4;
		if (u[i] >= 0x01 && u[i] <= 0x7f) {
			i++;
			continue;
		}
		memcpy(one, u + i, avail);
		k = utf8_seq_len(one);
		if (k == 0 || k > avail)
			return 0;
		i += k;
	}
	return 1;
}

/*
 * A NUL, a stray high byte or a whole sequence at every offset of text
 * longer than a word, and at every length: the same answer as byte by byte.
 */
static void
utf8_valid_agrees_at_every_offset(void **state)
{
	static const char *const plants[] = {"\0",       "\x80",         "\xff",
	                                     "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x8e\xac",
	                                     "\xc3",     "\xed\xa0\x80"};
	static const size_t plant_len[] = {1, 1, 1, 2, 3, 4, 1, 3};
	unsigned char buf[40];
	(void)state;
	for (size_t p = 0; p < sizeof(plant_len) / sizeof(plant_len[0]); p++)
		for (size_t len = 0; len <= 32; len++)
			for (size_t at = 0; at + plant_len[p] <= len; at++) {
				memset(buf, 'a', sizeof(buf));
				memcpy(buf + at, plants[p], plant_len[p]);
				assert_int_equal(utf8_valid((const char *)buf, len),
				                 valid_bytewise(buf, len));
			}
	for (size_t len = 0; len <= 32; len++) {
		memset(buf, 'a', sizeof(buf));
		assert_true(utf8_valid((const char *)buf, len));
	}
	assert_false(utf8_valid("abcdefghijklmno\0", 16));
	assert_false(utf8_valid("abcdefgh\x80", 9));
	assert_true(utf8_valid("abcdefgh\x7f\x01", 10));
}

static void
escaped_text_is_valid_json(void **state)
{
	char out[64];
	struct jbuf b = {out, sizeof(out), 0};
	(void)state;
	jbuf_str(&b, "a\"b\\c\n\x01\xff\xc3\xa9");
	out[b.len] = '\0';
	assert_string_equal(out, "\"a\\\"b\\\\c\\u000a\\u0001\\ufffd\xc3\xa9\"");
}

static void
a_full_buffer_never_overflows(void **state)
{
	char out[8];
	struct jbuf b = {out, 4, 0};
	(void)state;
	memset(out, 'z', sizeof(out));
	jbuf_str(&b, "abcdefgh");
	assert_true(b.len > b.cap);
	assert_int_equal(out[4], 'z');
}

static void
folding_lowers_capitals_and_keeps_lengths(void **state)
{
	/* ASCII; É Ÿ Ł Ő; Greek ΣΊΣΥΦΟΣ with final sigma; Cyrillic ЁЛКА; × and 🎬 stay */
	char s[] = "AbZ \xc3\x89\xc5\xb8\xc5\x81\xc5\x90 \xce\xa3\xce\x8a\xcf\x82 "
	           "\xd0\x81\xd0\x9b \xc3\x97\xf0\x9f\x8e\xac";
	size_t n = strlen(s);
	(void)state;
	utf8_fold(s);
	assert_int_equal(strlen(s), n);
	assert_string_equal(s, "abz \xc3\xa9\xc3\xbf\xc5\x82\xc5\x91 \xcf\x83\xce\xaf\xcf\x83 "
	                       "\xd1\x91\xd0\xbb \xc3\x97\xf0\x9f\x8e\xac");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(utf8_rules),
	    cmocka_unit_test(utf8_valid_agrees_at_every_offset),
	    cmocka_unit_test(escaped_text_is_valid_json),
	    cmocka_unit_test(a_full_buffer_never_overflows),
	    cmocka_unit_test(folding_lowers_capitals_and_keeps_lengths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

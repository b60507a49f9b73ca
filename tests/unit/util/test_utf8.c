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
	    cmocka_unit_test(escaped_text_is_valid_json),
	    cmocka_unit_test(a_full_buffer_never_overflows),
	    cmocka_unit_test(folding_lowers_capitals_and_keeps_lengths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

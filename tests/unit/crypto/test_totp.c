/* TOTP: RFC 6238/4226/4648 vectors, one use per code, the key URI, its QR code, recovery codes. */
#include "cmocka_all.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/totp.h"

/* The secret of RFC 4226 Appendix D and RFC 6238 Appendix B (SHA1). */
static const unsigned char rfc_key[] = "12345678901234567890";
#define RFC_KEY_LEN 20

static void
rfc6238_sha1_vectors_hold_at_eight_digits(void **state)
{
	static const struct {
		int64_t t;
		uint32_t code;
	} v[] = {
	    {59, 94287082},         {1111111109, 7081804},  {1111111111, 14050471},
	    {1234567890, 89005924}, {2000000000, 69279037}, {20000000000, 65353130},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint64_t step = (uint64_t)v[i].t / TOTP_PERIOD;
		assert_int_equal(totp_code(rfc_key, RFC_KEY_LEN, step, 8), v[i].code);
	}
	/* 07081804 keeps its leading zero when formatted as the RFC prints it */
	char buf[16];
	snprintf(buf, sizeof(buf), "%08" PRIu32, totp_code(rfc_key, RFC_KEY_LEN, 37037036, 8));
	assert_string_equal(buf, "07081804");
}

static void
rfc4226_hotp_values_hold_for_counters_0_to_9(void **state)
{
	static const uint32_t want[] = {755224, 287082, 359152, 969429, 338314,
	                                254676, 287922, 162583, 399871, 520489};
	(void)state;
	for (uint64_t c = 0; c < 10; c++)
		assert_int_equal(totp_code(rfc_key, RFC_KEY_LEN, c, 6), want[c]);
}

static void
codes_are_refused_for_an_empty_secret_or_odd_digit_counts(void **state)
{
	(void)state;
	assert_int_equal(totp_code(rfc_key, 0, 1, 6), TOTP_CODE_ERROR);
	assert_int_equal(totp_code(rfc_key, RFC_KEY_LEN, 1, 5), TOTP_CODE_ERROR);
	assert_int_equal(totp_code(rfc_key, RFC_KEY_LEN, 1, 9), TOTP_CODE_ERROR);
}

static void
new_secrets_are_random(void **state)
{
	unsigned char a[TOTP_SECRET_LEN], b[TOTP_SECRET_LEN];
	(void)state;
	totp_secret_new(a);
	totp_secret_new(b);
	assert_memory_not_equal(a, b, TOTP_SECRET_LEN);
	assert_false(sodium_is_zero(a, TOTP_SECRET_LEN));
}

static void
base32_matches_rfc4648_vectors_without_padding(void **state)
{
	static const char *const v[][2] = {
	    {"", ""},
	    {"f", "MY"},
	    {"fo", "MZXQ"},
	    {"foo", "MZXW6"},
	    {"foob", "MZXW6YQ"},
	    {"fooba", "MZXW6YTB"},
	    {"foobar", "MZXW6YTBOI"},
	};
	char enc[32];
	unsigned char dec[16];
	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t n = strlen(v[i][0]);
		assert_int_equal(
		    totp_base32_encode((const unsigned char *)v[i][0], n, enc, sizeof(enc)),
		    (int)strlen(v[i][1]));
		assert_string_equal(enc, v[i][1]);
		assert_int_equal(totp_base32_decode(v[i][1], dec, sizeof(dec)), (int)n);
		assert_memory_equal(dec, v[i][0], n);
	}
	assert_int_equal(totp_base32_encode(rfc_key, RFC_KEY_LEN, enc, sizeof(enc)), -1);
	char secret[TOTP_SECRET_B32_LEN];
	assert_int_equal(totp_base32_encode(rfc_key, RFC_KEY_LEN, secret, sizeof(secret)), 32);
	assert_string_equal(secret, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
}

static void
base32_decoding_takes_any_case_and_spaces(void **state)
{
	unsigned char dec[16];
	(void)state;
	assert_int_equal(totp_base32_decode("mzxw6ytboi", dec, sizeof(dec)), 6);
	assert_memory_equal(dec, "foobar", 6);
	assert_int_equal(totp_base32_decode(" MzXw 6yTb Oi ", dec, sizeof(dec)), 6);
	assert_memory_equal(dec, "foobar", 6);
}

static void
base32_decoding_refuses_anything_else(void **state)
{
	static const char *const bad[] = {
	    "MZXW6YTBOI=",                                 /* padding */
	    "MZXW6===",                                    /* padding */
	    "MZ0Q",                                        /* 0, 1, 8, 9 are not in the alphabet */
	    "MZ1Q",        "MZ8Q",        "MZ9Q", "MZ-XQ", /* punctuation */
	    "MZXQ\n",                                      /* other whitespace */
	    "MZXQ\t",      "MZ\xc3\x89Q",                  /* non-ASCII */
	    "M",                                           /* lengths no encoder produces */
	    "MZX",         "MZXW6Y",      "MZ",            /* "f" is MY: non-zero trailing bits */
	    "MZXR",                                        /* "fo" is MZXQ */
	};
	unsigned char dec[16];
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(totp_base32_decode(bad[i], dec, sizeof(dec)), -1);
	/* output too small: refused and wiped */
	memset(dec, 0xaa, sizeof(dec));
	assert_int_equal(totp_base32_decode("MZXW6YTBOI", dec, 5), -1);
	assert_true(sodium_is_zero(dec, 5));
}

/* The code for a time step, as the user would type it. */
static void
code_for(int64_t step, char out[7])
{
	snprintf(out, 7, "%06" PRIu32, totp_code(rfc_key, RFC_KEY_LEN, (uint64_t)step, 6));
}

#define NOW  ((time_t)1111111111)
#define STEP ((int64_t)1111111111 / TOTP_PERIOD)

static void
verify_accepts_one_step_of_drift_either_way(void **state)
{
	char c[7];
	int64_t m;
	(void)state;
	for (int64_t d = -1; d <= 1; d++) {
		code_for(STEP + d, c);
		m = -42;
		assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, c, NOW, -1, &m), 1);
		assert_int_equal(m, STEP + d);
	}
	/* the window follows floor(t / 30): a step's code lives from its first second to the
	 * last second of the step after it, and from the last second of the step before it */
	code_for(STEP, c);
	assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, c, (time_t)(STEP * 30 - 30), -1, &m), 1);
	assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, c, (time_t)(STEP * 30 - 31), -1, &m), 0);
	assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, c, (time_t)(STEP * 30 + 59), -1, &m), 1);
	assert_int_equal(m, STEP);
	assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, c, (time_t)(STEP * 30 + 60), -1, &m), 0);
}

static void
verify_refuses_codes_two_steps_away(void **state)
{
	char c[7];
	int64_t m = -42;
	(void)state;
	code_for(STEP - 2, c);
	assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, c, NOW, -1, &m), 0);
	code_for(STEP + 2, c);
	assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, c, NOW, -1, &m), 0);
	assert_int_equal(m, -42); /* untouched on failure */
}

static void
a_code_is_accepted_only_once(void **state)
{
	char c[7];
	int64_t m, last = -1;
	(void)state;
	code_for(STEP, c);
	assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, c, NOW, last, &m), 1);
	last = m;
	/* the same code again, in the same step and in the next */
	assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, c, NOW, last, &m), 0);
	assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, c, NOW + TOTP_PERIOD, last, &m), 0);
	/* an earlier step's code, though still within the drift window */
	code_for(STEP - 1, c);
	assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, c, NOW, last, &m), 0);
	/* the next step's code is fresh */
	code_for(STEP + 1, c);
	assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, c, NOW, last, &m), 1);
	assert_int_equal(m, STEP + 1);
	/* once a future step was used, the current one is spent too */
	last = m;
	code_for(STEP, c);
	assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, c, NOW, last, &m), 0);
}

static void
verify_takes_exactly_six_ascii_digits(void **state)
{
	char c[7], shorter[6], longer[8], spaced[8];
	int64_t m;
	(void)state;
	code_for(STEP, c);
	memcpy(shorter, c, 5);
	shorter[5] = '\0';
	snprintf(longer, sizeof(longer), "%s0", c);
	snprintf(spaced, sizeof(spaced), " %s", c);
	assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, c, NOW, -1, &m), 1);
	assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, shorter, NOW, -1, &m), 0);
	assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, longer, NOW, -1, &m), 0);
	assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, spaced, NOW, -1, &m), 0);
	assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, "12345", NOW, -1, &m), 0);
	assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, "1234567", NOW, -1, &m), 0);
	assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, "12a456", NOW, -1, &m), 0);
	assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, "", NOW, -1, &m), 0);
	assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, NULL, NOW, -1, &m), 0);
	/* an empty secret or a time before 1970 never verifies */
	assert_int_equal(totp_verify(rfc_key, 0, c, NOW, -1, &m), 0);
	assert_int_equal(totp_verify(rfc_key, RFC_KEY_LEN, "287082", (time_t)-1, -1, &m), 0);
}

static void
the_key_uri_percent_encodes_issuer_and_account(void **state)
{
	char *uri;
	(void)state;
	uri = totp_uri("Slate: Films", "ana@example.com", rfc_key, RFC_KEY_LEN);
	assert_non_null(uri);
	assert_string_equal(uri, "otpauth://totp/Slate%3A%20Films:ana%40example.com"
	                         "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Slate%3A%20Films"
	                         "&algorithm=SHA1&digits=6&period=30");
	free(uri);
	uri = totp_uri("Slate", "a-b.c_d~e/f?g&h=i", rfc_key, RFC_KEY_LEN);
	assert_non_null(uri);
	assert_non_null(strstr(uri, "totp/Slate:a-b.c_d~e%2Ff%3Fg%26h%3Di?secret="));
	free(uri);
	assert_null(totp_uri("", "ana", rfc_key, RFC_KEY_LEN));
	assert_null(totp_uri("Slate", "", rfc_key, RFC_KEY_LEN));
	assert_null(totp_uri(NULL, "ana", rfc_key, RFC_KEY_LEN));
	assert_null(totp_uri("Slate", "ana", rfc_key, 0));
}

static void
the_qr_code_is_a_standalone_svg_path(void **state)
{
	char *uri, *svg;
	(void)state;
	uri = totp_uri("Slate Films", "ana@example.com", rfc_key, RFC_KEY_LEN);
	svg = totp_qr_svg(uri);
	assert_non_null(svg);
	assert_memory_equal(svg, "<svg", 4);
	assert_non_null(strstr(svg, "xmlns=\"http://www.w3.org/2000/svg\""));
	assert_non_null(strstr(svg, "shape-rendering=\"crispEdges\""));
	assert_non_null(strstr(svg, "<path"));
	assert_null(strstr(strstr(svg, "<path") + 1, "<path")); /* just one */
	assert_string_equal(svg + strlen(svg) - 6, "</svg>");
	/* the top-left finder pattern starts its 7-module row inside the quiet zone */
	assert_non_null(strstr(svg, "d=\"M4 4h7v1h-7z"));
	/* the viewBox is the symbol plus 4 modules each side: 21 + 4k modules, k >= 0 */
	int size = 0;
	const char *vb = strstr(svg, "viewBox=\"0 0 ");
	assert_non_null(vb);
	assert_int_equal(sscanf(vb, "viewBox=\"0 0 %d", &size), 1);
	assert_true(size >= 29 && (size - 29) % 4 == 0);
	sodium_memzero(uri, strlen(uri));
	sodium_memzero(svg, strlen(svg));
	free(uri);
	free(svg);
	assert_null(totp_qr_svg(NULL));
}

static int
is_b32(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7');
}

static void
recovery_codes_are_distinct_and_well_formed(void **state)
{
	char codes[TOTP_RECOVERY_COUNT][TOTP_RECOVERY_LEN];
	unsigned char raw[16];
	char norm[TOTP_RECOVERY_LEN];
	(void)state;
	totp_recovery_codes(codes);
	for (int i = 0; i < TOTP_RECOVERY_COUNT; i++) {
		assert_int_equal(strlen(codes[i]), 19);
		for (int k = 0; k < 19; k++) {
			if (k % 5 == 4)
				assert_int_equal(codes[i][k], '-');
			else
				assert_true(is_b32(codes[i][k]));
		}
		/* 16 base32 characters: exactly 80 bits */
		totp_recovery_normalise(codes[i], norm, sizeof(norm));
		assert_int_equal(totp_base32_decode(norm, raw, sizeof(raw)), 10);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(codes[i], codes[j]);
	}
	sodium_memzero(codes, sizeof(codes));
}

static void
recovery_codes_normalise_as_typed(void **state)
{
	char codes[TOTP_RECOVERY_COUNT][TOTP_RECOVERY_LEN];
	char a[TOTP_RECOVERY_LEN], b[TOTP_RECOVERY_LEN], typed[40];
	(void)state;
	totp_recovery_codes(codes);
	totp_recovery_normalise(codes[0], a, sizeof(a));
	assert_int_equal(strlen(a), 16);
	/* lower case, spaces for dashes, stray spaces: the same code */
	snprintf(typed, sizeof(typed), " %.4s %.4s-%.4s  %.4s ", codes[0], codes[0] + 5,
	         codes[0] + 10, codes[0] + 15);
	for (char *p = typed; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	totp_recovery_normalise(typed, b, sizeof(b));
	assert_string_equal(a, b);
	/* normalising is idempotent */
	totp_recovery_normalise(a, b, sizeof(b));
	assert_string_equal(a, b);

	totp_recovery_normalise("abcd-efgh ijkl-mnop", b, sizeof(b));
	assert_string_equal(b, "ABCDEFGHIJKLMNOP");
	/* other characters stay, so a typo stays a typo */
	totp_recovery_normalise("abcd_efgh", b, sizeof(b));
	assert_string_equal(b, "ABCD_EFGH");
	/* too long for the buffer: empty, never a code (not a truncated match) */
	totp_recovery_normalise("ABCD-EFGH-IJKL-MNOP-QRST", b, sizeof(b));
	assert_string_equal(b, "");
	sodium_memzero(codes, sizeof(codes));
}

static int
setup(void **state)
{
	(void)state;
	return sodium_init() < 0 ? -1 : 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(rfc6238_sha1_vectors_hold_at_eight_digits),
	    cmocka_unit_test(rfc4226_hotp_values_hold_for_counters_0_to_9),
	    cmocka_unit_test(codes_are_refused_for_an_empty_secret_or_odd_digit_counts),
	    cmocka_unit_test(new_secrets_are_random),
	    cmocka_unit_test(base32_matches_rfc4648_vectors_without_padding),
	    cmocka_unit_test(base32_decoding_takes_any_case_and_spaces),
	    cmocka_unit_test(base32_decoding_refuses_anything_else),
	    cmocka_unit_test(verify_accepts_one_step_of_drift_either_way),
	    cmocka_unit_test(verify_refuses_codes_two_steps_away),
	    cmocka_unit_test(a_code_is_accepted_only_once),
	    cmocka_unit_test(verify_takes_exactly_six_ascii_digits),
	    cmocka_unit_test(the_key_uri_percent_encodes_issuer_and_account),
	    cmocka_unit_test(the_qr_code_is_a_standalone_svg_path),
	    cmocka_unit_test(recovery_codes_are_distinct_and_well_formed),
	    cmocka_unit_test(recovery_codes_normalise_as_typed),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}

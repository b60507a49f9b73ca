/* Passwords: Argon2id at no less than OWASP's minimum, and the policy. */
#include "cmocka_all.h"

#include <string.h>

#include "crypto/password.h"

static void
hashes_are_argon2id_at_owasp_minimum(void **state)
{
	char h[PASSWORD_HASH_MAX];
	struct err e;
	(void)state;
	assert_int_equal(password_hash("a sturdy passphrase", 19, &password_cost_default, h, &e),
	                 0);
	assert_non_null(strstr(h, "$argon2id$v=19$m=19456,t=2,p=1$"));
	assert_true(password_verify(h, "a sturdy passphrase", 19));
	assert_false(password_verify(h, "a sturdy passphrasf", 19));
	assert_false(password_verify(h, "a sturdy passphrase", 18)); /* no truncation */
	assert_false(password_verify("$argon2i$v=19$m=19456,t=2,p=1$x$y", "x", 1));
}

static void
the_policy_takes_long_passphrases_without_composition_rules(void **state)
{
	struct err e;
	char longpw[1100];
	(void)state;
	assert_int_equal(
	    password_acceptable("a sturdy passphrase for the night shoot", "ada@x", &e), 0);
	assert_int_equal(password_acceptable("lowercase only but long enough", "ada@x", &e), 0);
	/* a passphrase with digits is not a decorated word */
	assert_int_equal(password_acceptable("thirty years of night shoots behind me", "ada@x", &e),
	                 0);
	assert_int_equal(password_acceptable("Correct-Horse-Battery-Staple-42!", "ada@x", &e), 0);
	memset(longpw, 'x', 64);
	strcpy(longpw + 64, "yz0123 ok");
	assert_int_equal(password_acceptable(longpw, "ada@x", &e), 0); /* at least 64 accepted */
	memset(longpw, 'a', 1025);
	longpw[1025] = '\0';
	assert_int_equal(password_acceptable(longpw, "ada@x", &e), -1);
}

static void
the_policy_refuses_short_and_trivial_passwords(void **state)
{
	struct err e;
	(void)state;
	assert_int_equal(password_acceptable("eleven char", "ada@x", &e), -1);
	assert_non_null(strstr(e.msg, "at least 12"));
	/* twelve characters, counted as characters, not bytes */
	assert_int_equal(
	    password_acceptable("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9x", "ada@x", &e), -1);
	assert_int_equal(password_acceptable("passwordpassword", "ada@x", &e), -1);
	assert_int_equal(password_acceptable("aaaaaaaaaaab", "ada@x", &e), -1);
	assert_int_equal(password_acceptable("123456789012", "ada@x", &e), -1);
	/* a dictionary word with digits or symbols around it */
	assert_int_equal(password_acceptable("password1234", "ada@x", &e), -1);
	assert_int_equal(password_acceptable("Sunshine#2025", "ada@x", &e), -1);
	assert_non_null(strstr(e.msg, "dictionary word"));
	assert_int_equal(password_acceptable("adalovelace123", "adalovelace@x", &e), -1);
	assert_int_equal(password_acceptable("bad \xff utf-8 bytes here", "ada@x", &e), -1);
}

static void
generated_passwords_pass_the_policy(void **state)
{
	char pw[21];
	struct err e;
	(void)state;
	for (int i = 0; i < 20; i++) {
		password_generate(pw);
		assert_int_equal(strlen(pw), 20);
		assert_int_equal(password_acceptable(pw, "admin@localhost", &e), 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(hashes_are_argon2id_at_owasp_minimum),
	    cmocka_unit_test(the_policy_takes_long_passphrases_without_composition_rules),
	    cmocka_unit_test(the_policy_refuses_short_and_trivial_passwords),
	    cmocka_unit_test(generated_passwords_pass_the_policy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

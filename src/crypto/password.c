/*
 * password.c — see password.h.
 */
#include "crypto/password.h"

#include <pwquality.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "util/config.h"
#include "util/utf8.h"

const struct password_cost password_cost_default = {2, (size_t)19 * 1024 * 1024};

struct password_cost
password_cost_of(const struct config *c)
{
	struct password_cost pc = {(unsigned long long)c->password_iterations,
	                           (size_t)c->password_memory_kib * 1024u};
	if (pc.opslimit < password_cost_default.opslimit)
		pc.opslimit = password_cost_default.opslimit;
	if (pc.memlimit < password_cost_default.memlimit)
		pc.memlimit = password_cost_default.memlimit;
	return pc;
}

int
password_needs_rehash(const char *hash, const struct password_cost *cost)
{
	return crypto_pwhash_str_needs_rehash(hash, cost->opslimit, cost->memlimit) != 0;
}

int
password_hash(const char *pw, size_t len, const struct password_cost *cost,
              char out[PASSWORD_HASH_MAX], struct err *e)
{
	if (crypto_pwhash_str_alg(out, pw, len, cost->opslimit, cost->memlimit,
	                          crypto_pwhash_ALG_ARGON2ID13) != 0)
		return err_set(e, 500, "password hashing ran out of memory");
	return 0;
}

int
password_verify(const char *hash, const char *pw, size_t len)
{
	if (strncmp(hash, "$argon2id$", 10) != 0)
		return 0;
	return crypto_pwhash_str_verify(hash, pw, len) == 0;
}

void
password_burn(const struct password_cost *cost)
{
	static const char fixed[] = "slate-timing-equaliser";
	char out[PASSWORD_HASH_MAX];
	if (crypto_pwhash_str_alg(out, fixed, sizeof(fixed) - 1, cost->opslimit, cost->memlimit,
	                          crypto_pwhash_ALG_ARGON2ID13) != 0)
		out[0] = '\0'; /* only the time spent matters here */
}

static size_t
chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* "passwordpassword", "abcabcabcabc": a shorter string said again and again. */
static int
repeats_a_unit(const char *pw)
{
	size_t n = strlen(pw);
	for (size_t unit = 1; unit <= n / 2; unit++) {
		size_t i;
		if (n % unit != 0)
			continue;
		for (i = unit; i < n && pw[i] == pw[i - unit]; i++)
			;
		if (i == n)
			return 1;
	}
	return 0;
}

/* Fewer than five different bytes: "aaaaaaaaaaab", "121212121213". */
static int
too_few_distinct(const char *pw)
{
	unsigned char seen[256] = {0};
	int distinct = 0;
	for (const unsigned char *p = (const unsigned char *)pw; *p; p++)
		if (!seen[*p]++)
			distinct++;
	return distinct < 5;
}

/*
 * "password1234", "Summer2024!": CrackLib passes these. Its check runs again
 * on the letters alone, lower-cased, when they are few enough (6 to 14) to
 * be one word; a core that fails means the rest is decoration. Longer cores
 * are passphrases, which CrackLib's word rules would wrongly refuse.
 */
static int
decorated_word(const char *pw)
{
	char core[PASSWORD_MAX_BYTES + 1];
	size_t n = 0;
	void *aux = NULL;
	pwquality_settings_t *pq;
	int score;

	for (const char *p = pw; *p; p++) {
		if (*p >= 'a' && *p <= 'z')
			core[n++] = *p;
		else if (*p >= 'A' && *p <= 'Z')
			core[n++] = (char)(*p - 'A' + 'a');
	}
	core[n] = '\0';
	/* a single word is short: a long core is a passphrase, which CrackLib would misjudge */
	if (n < 6 || n > 14 || n == strlen(pw))
		return 0; /* too short for the checker, a passphrase, or nothing around it */
	if ((pq = pwquality_default_settings()) == NULL)
		return 0;
	pwquality_set_int_value(pq, PWQ_SETTING_MIN_LENGTH, 6); /* the checker's floor */
	pwquality_set_int_value(pq, PWQ_SETTING_DICT_CHECK, 1);
	score = pwquality_check(pq, core, NULL, NULL, &aux);
	pwquality_free_settings(pq);
	sodium_memzero(core, sizeof(core));
	return score == PWQ_ERROR_CRACKLIB_CHECK;
}

int
password_acceptable(const char *pw, const char *email, struct err *e)
{
	pwquality_settings_t *pq;
	char user[256];
	const char *at;
	void *aux = NULL;
	int score, rc = -1;

	if (strlen(pw) > PASSWORD_MAX_BYTES || !utf8_valid(pw, strlen(pw)))
		return err_set(e, 400, "the password must be valid text of at most %d bytes",
		               PASSWORD_MAX_BYTES);
	if (chars(pw) < PASSWORD_MIN_CHARS)
		return err_set(e, 400, "the password must have at least %d characters",
		               PASSWORD_MIN_CHARS);
	if (repeats_a_unit(pw) || too_few_distinct(pw))
		return err_set(e, 400, "the password is too easy to guess: it repeats itself");
	if ((pq = pwquality_default_settings()) == NULL)
		return err_set(e, 500, "the password checker is unavailable");
	/* length and dictionary only: no composition rules, no credits */
	pwquality_set_int_value(pq, PWQ_SETTING_MIN_LENGTH, PASSWORD_MIN_CHARS);
	pwquality_set_int_value(pq, PWQ_SETTING_DIG_CREDIT, 0);
	pwquality_set_int_value(pq, PWQ_SETTING_UP_CREDIT, 0);
	pwquality_set_int_value(pq, PWQ_SETTING_LOW_CREDIT, 0);
	pwquality_set_int_value(pq, PWQ_SETTING_OTH_CREDIT, 0);
	pwquality_set_int_value(pq, PWQ_SETTING_MIN_CLASS, 0);
	pwquality_set_int_value(pq, PWQ_SETTING_MAX_REPEAT, 0);
	pwquality_set_int_value(pq, PWQ_SETTING_MAX_CLASS_REPEAT, 0);
	pwquality_set_int_value(pq, PWQ_SETTING_MAX_SEQUENCE, 0);
	pwquality_set_int_value(pq, PWQ_SETTING_DICT_CHECK, 1);
	pwquality_set_int_value(pq, PWQ_SETTING_USER_CHECK, 1);
	at = strchr(email, '@');
	snprintf(user, sizeof(user), "%.*s", (int)(at ? at - email : (long)strlen(email)), email);
	score = pwquality_check(pq, pw, NULL, user, &aux);
	if (score < 0)
		err_set(e, 400, "the password is too easy to guess: %s",
		        pwquality_strerror(NULL, 0, score, aux));
	else if (decorated_word(pw))
		err_set(e, 400,
		        "the password is too easy to guess: it is a dictionary word with "
		        "digits or symbols around it");
	else
		rc = 0;
	pwquality_free_settings(pq);
	return rc;
}

/*
 * Draws again until the policy accepts it (CrackLib calls roughly one
 * random string in 400 "systematic"), so what init prints always meets the
 * policy people face.
 */
void
password_generate(char out[21])
{
	struct err e;
	static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY346789";
	do {
		for (int i = 0; i < 20; i++)
			out[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
		out[20] = '\0';
	} while (password_acceptable(out, "", &e) == -1);
}

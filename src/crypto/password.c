/*
 * password.c — see password.h.
 */
#include "crypto/password.h"

#include <sodium.h>
#include <string.h>

const struct password_cost password_cost_default = {2, (size_t)19 * 1024 * 1024};

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

void
password_generate(char out[21])
{
	static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY346789";
	for (int i = 0; i < 20; i++)
		out[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
	out[20] = '\0';
}

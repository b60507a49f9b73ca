/*
 * token.c — see token.h.
 */
#include "crypto/token.h"

#include <sodium.h>
#include <string.h>

void
token_hash(const char *text, char hash[TOKEN_HASH_LEN])
{
	unsigned char d[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(d, (const unsigned char *)text, strlen(text));
	sodium_bin2hex(hash, TOKEN_HASH_LEN, d, sizeof(d));
}

void
token_new(char text[TOKEN_TEXT_LEN], char hash[TOKEN_HASH_LEN])
{
	unsigned char raw[32];
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(text, TOKEN_TEXT_LEN, raw, sizeof(raw),
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	token_hash(text, hash);
}

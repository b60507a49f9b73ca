/*
 * token.h — bearer secrets (session cookies, later API tokens and links).
 *
 * A token is 256 bits from the CSPRNG, shown to its holder once as 43
 * base64url characters. The server keeps only the hex SHA-256 of it: a
 * token is already high-entropy, so a fast hash suffices and a stolen
 * database yields nothing usable.
 */
#ifndef SLATE_CRYPTO_TOKEN_H
#define SLATE_CRYPTO_TOKEN_H

#define TOKEN_TEXT_LEN 44 /* 43 characters + NUL */
#define TOKEN_HASH_LEN 65 /* 64 hex characters + NUL */

void token_new(char text[TOKEN_TEXT_LEN], char hash[TOKEN_HASH_LEN]);
void token_hash(const char *text, char hash[TOKEN_HASH_LEN]);

#endif

/*
 * sha256.h — SHA-256 for bulk data: snapshots, segments, restores.
 *
 * libsodium's SHA-256 is portable C, about 0.35 GB/s here; OpenSSL's uses
 * the CPU's SHA extensions where it has them (about 1.7 GB/s on the
 * machines Slate is measured on), and a restore hashes every byte of a
 * snapshot once. The audit chain uses it too: the event of a people list
 * read names a hundred people (4 KB), 10 µs in libsodium and under 3 here,
 * and a small event is no slower (0.5 µs against 0.7). Tokens and factor
 * files keep libsodium's one-call form.
 */
#ifndef SLATE_CRYPTO_SHA256_H
#define SLATE_CRYPTO_SHA256_H

#include <stddef.h>

#define SHA256_LEN 32

struct sha256 {
	void *ctx; /* OpenSSL's EVP_MD_CTX */
};

/* Starts a hash (aborts when out of memory, like xmalloc). */
void sha256_init(struct sha256 *h);
void sha256_update(struct sha256 *h, const void *p, size_t n);
/* The digest into out; the hash is finished and its memory freed. */
void sha256_final(struct sha256 *h, unsigned char out[SHA256_LEN]);
/* Frees a hash given up before its final (none: h->ctx NULL, as sha256_final leaves it). */
void sha256_free(struct sha256 *h);
/* One call: the digest of p. */
void sha256(unsigned char out[SHA256_LEN], const void *p, size_t n);

#endif

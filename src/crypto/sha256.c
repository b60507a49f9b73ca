/*
 * sha256.c — SHA-256 through OpenSSL's EVP interface (see sha256.h).
 *
 * EVP calls fail only when out of memory or with a broken library; like
 * xmalloc, this aborts then rather than hand back a digest that is not one.
 */
#include "crypto/sha256.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>

static void
die(const char *what)
{
	fprintf(stderr, "slate: SHA-256: %s failed\n", what);
	abort();
}

void
sha256_init(struct sha256 *h)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (c == NULL || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1)
		die("init");
	h->ctx = c;
}

void
sha256_update(struct sha256 *h, const void *p, size_t n)
{
	if (n > 0 && EVP_DigestUpdate(h->ctx, p, n) != 1)
		die("update");
}

void
sha256_final(struct sha256 *h, unsigned char out[SHA256_LEN])
{
	unsigned int len = 0;
	if (EVP_DigestFinal_ex(h->ctx, out, &len) != 1 || len != SHA256_LEN)
		die("final");
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

void
sha256_free(struct sha256 *h)
{
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

void
sha256(unsigned char out[SHA256_LEN], const void *p, size_t n)
{
	struct sha256 h;
	sha256_init(&h);
	sha256_update(&h, p, n);
	sha256_final(&h, out);
}

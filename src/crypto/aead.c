/*
 * aead.c — AES-256-GCM (see aead.h), by one of two implementations that
 * give the same bytes.
 *
 * Small boxes (sealed fields, wrapped keys: up to AEAD_SMALL bytes) go to
 * libsodium's crypto_aead_aes256gcm where the CPU has AES-NI and PCLMUL
 * (nearly every x86-64 server): it sets the key up on the stack, with no
 * allocation, and opens a 160-byte field in 280 ns against OpenSSL's 740
 * (the people list opens two hundred fields a page). OpenSSL's EVP does
 * the rest: larger boxes (upload chunks of 64 KB: its VAES code runs at
 * 4.7 GB/s here, libsodium's at 1.7-2.1; the two cross near 1.4 KB) and
 * everything on CPUs libsodium has no AES-GCM for, since Slate must run
 * (more slowly) on any machine. OpenSSL's context is made per call and the
 * cipher fetched once (OpenSSL 3 looks a cipher named by EVP_aes_256_gcm()
 * up again at every init; a fetched EVP_CIPHER is read-only and shared
 * safely between threads).
 *
 * The choice is made once per process (aead_impl_pick). The known-answer
 * tests run both implementations where the machine has both, and open what
 * one sealed with the other.
 */
#include "crypto/aead.h"

#include <limits.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <sodium.h>
#include <string.h>

static pthread_once_t pick_once = PTHREAD_ONCE_INIT;
static EVP_CIPHER *gcm_fetched;
static enum aead_impl picked; /* written once, under pick_once; by tests through aead_impl_use */

#define AEAD_SMALL 1024 /* bytes of plaintext up to which libsodium's code is the faster */

static void
pick(void)
{
	gcm_fetched = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	/* sodium_init is idempotent and finds the CPU's features; -1 only when it cannot start */
	picked =
	    sodium_init() >= 0 && crypto_aead_aes256gcm_is_available() ? AEAD_SODIUM : AEAD_OPENSSL;
}

enum aead_impl
aead_impl_pick(void)
{
	pthread_once(&pick_once, pick);
	return picked;
}

int
aead_impl_use(enum aead_impl impl)
{
	aead_impl_pick();
	if (impl == AEAD_SODIUM && !crypto_aead_aes256gcm_is_available())
		return -1;
	picked = impl;
	return 0;
}

/* 1 when a box of n bytes of plaintext goes to libsodium's code (see the head of this file). */
static int
by_sodium(size_t n)
{
	return aead_impl_pick() == AEAD_SODIUM && n <= AEAD_SMALL;
}

/* AES-256-GCM, fetched once (never freed: it lives as long as the process). */
static const EVP_CIPHER *
gcm(void)
{
	return gcm_fetched != NULL ? gcm_fetched : EVP_aes_256_gcm();
}

static int
openssl_seal(const unsigned char key[AEAD_KEY_LEN], const unsigned char nonce[AEAD_NONCE_LEN],
             const void *aad, size_t aadlen, const unsigned char *pt, size_t n, unsigned char *ct,
             unsigned char tag[AEAD_TAG_LEN])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	unsigned char fin[AEAD_TAG_LEN];
	int len = 0, rc = -1;

	if (c == NULL)
		goto out;
	if (EVP_EncryptInit_ex(c, gcm(), NULL, key, nonce) != 1)
		goto out;
	if (aadlen > 0 && EVP_EncryptUpdate(c, NULL, &len, aad, (int)aadlen) != 1)
		goto out;
	if (n > 0 && EVP_EncryptUpdate(c, ct, &len, pt, (int)n) != 1)
		goto out;
	if (EVP_EncryptFinal_ex(c, fin, &len) != 1) /* GCM writes nothing here */
		goto out;
	if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, AEAD_TAG_LEN, tag) != 1)
		goto out;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(c);
	return rc;
}

static int
openssl_open(const unsigned char key[AEAD_KEY_LEN], const unsigned char nonce[AEAD_NONCE_LEN],
             const void *aad, size_t aadlen, const unsigned char *ct, size_t n,
             const unsigned char tag[AEAD_TAG_LEN], unsigned char *pt)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	unsigned char t[AEAD_TAG_LEN], fin[AEAD_TAG_LEN];
	int len = 0, rc = -1;

	if (c == NULL)
		goto out;
	memcpy(t, tag, sizeof(t));
	if (EVP_DecryptInit_ex(c, gcm(), NULL, key, nonce) != 1)
		goto out;
	if (aadlen > 0 && EVP_DecryptUpdate(c, NULL, &len, aad, (int)aadlen) != 1)
		goto out;
	if (n > 0 && EVP_DecryptUpdate(c, pt, &len, ct, (int)n) != 1)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, AEAD_TAG_LEN, t) != 1)
		goto out;
	if (EVP_DecryptFinal_ex(c, fin, &len) != 1) /* checks the tag; writes nothing */
		goto out;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(c);
	return rc;
}

int
aead_seal_nonce(const unsigned char key[AEAD_KEY_LEN], const unsigned char nonce[AEAD_NONCE_LEN],
                const void *aad, size_t aadlen, const unsigned char *pt, size_t n,
                unsigned char *ct, unsigned char tag[AEAD_TAG_LEN], struct err *e)
{
	int rc = -1;

	if (n <= INT_MAX && aadlen <= INT_MAX) {
		if (by_sodium(n))
			rc = crypto_aead_aes256gcm_encrypt_detached(ct, tag, NULL, pt, n, aad,
			                                            aadlen, NULL, nonce, key);
		else
			rc = openssl_seal(key, nonce, aad, aadlen, pt, n, ct, tag);
	}
	if (rc != 0)
		return err_set(e, 500, "encryption failed");
	return 0;
}

int
aead_seal(const unsigned char key[AEAD_KEY_LEN], const void *aad, size_t aadlen,
          const unsigned char *pt, size_t n, unsigned char *out, struct err *e)
{
	randombytes_buf(out, AEAD_NONCE_LEN);
	return aead_seal_nonce(key, out, aad, aadlen, pt, n, out + AEAD_NONCE_LEN,
	                       out + AEAD_NONCE_LEN + n, e);
}

int
aead_open_nonce(const unsigned char key[AEAD_KEY_LEN], const unsigned char nonce[AEAD_NONCE_LEN],
                const void *aad, size_t aadlen, const unsigned char *ct, size_t n,
                const unsigned char tag[AEAD_TAG_LEN], unsigned char *pt, struct err *e)
{
	int rc = -1;

	if (n <= INT_MAX && aadlen <= INT_MAX) {
		if (by_sodium(n))
			rc = crypto_aead_aes256gcm_decrypt_detached(pt, NULL, ct, n, tag, aad,
			                                            aadlen, nonce, key);
		else
			rc = openssl_open(key, nonce, aad, aadlen, ct, n, tag, pt);
	}
	if (rc != 0) {
		if (n > 0)
			sodium_memzero(pt, n);
		return err_set(e, 422, "the encrypted data does not open: wrong key, or altered");
	}
	return 0;
}

int
aead_open(const unsigned char key[AEAD_KEY_LEN], const void *aad, size_t aadlen,
          const unsigned char *box, size_t n, unsigned char *out, struct err *e)
{
	if (n < AEAD_OVERHEAD)
		return err_set(e, 422, "the encrypted data does not open: too short");
	return aead_open_nonce(key, box, aad, aadlen, box + AEAD_NONCE_LEN, n - AEAD_OVERHEAD,
	                       box + n - AEAD_TAG_LEN, out, e);
}

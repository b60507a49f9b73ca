/*
 * aead.c — AES-256-GCM through OpenSSL's EVP interface (see aead.h).
 *
 * OpenSSL rather than libsodium's crypto_aead_aes256gcm: libsodium offers
 * AES-GCM only on CPUs with AES-NI and refuses elsewhere, while Slate must
 * run (more slowly) on any machine. OpenSSL picks AES-NI/VAES when present.
 * A context is made per call: EVP_CIPHER_CTX_new is cheap next to the
 * database work around every use, and no state is shared between threads
 * but the cipher itself, fetched once (OpenSSL 3 looks a cipher named by
 * EVP_aes_256_gcm() up again at every init, a tenth of the time it takes to
 * open a small field; a fetched EVP_CIPHER is read-only and shared safely).
 */
#include "crypto/aead.h"

#include <limits.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <sodium.h>
#include <string.h>

static pthread_once_t gcm_once = PTHREAD_ONCE_INIT;
static EVP_CIPHER *gcm_fetched;

static void
gcm_fetch(void)
{
	gcm_fetched = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
}

/* AES-256-GCM, fetched once (never freed: it lives as long as the process). */
static const EVP_CIPHER *
gcm(void)
{
	pthread_once(&gcm_once, gcm_fetch);
	return gcm_fetched != NULL ? gcm_fetched : EVP_aes_256_gcm();
}

int
aead_seal_nonce(const unsigned char key[AEAD_KEY_LEN], const unsigned char nonce[AEAD_NONCE_LEN],
                const void *aad, size_t aadlen, const unsigned char *pt, size_t n,
                unsigned char *ct, unsigned char tag[AEAD_TAG_LEN], struct err *e)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	unsigned char fin[AEAD_TAG_LEN];
	int len = 0, rc = -1;

	if (c == NULL || n > INT_MAX || aadlen > INT_MAX)
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
	if (rc == -1)
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
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	unsigned char t[AEAD_TAG_LEN], fin[AEAD_TAG_LEN];
	int len = 0, rc = -1;

	if (c == NULL || n > INT_MAX || aadlen > INT_MAX)
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
	if (rc == -1) {
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

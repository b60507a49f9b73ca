/*
 * aead.h — AES-256-GCM, the one cipher of Slate's encryption at rest.
 *
 * A sealed box is nonce (12 random bytes) || ciphertext || tag (16 bytes):
 * AEAD_OVERHEAD bytes longer than the plaintext. The associated data is
 * authenticated, not stored: the caller rebuilds it to open the box, so a
 * box moved to a place with other associated data fails to open.
 *
 * These are the primitives under keyring.h (wrapped keys, sealed fields)
 * and stream.h (uploads); domain code uses those, never this file.
 */
#ifndef SLATE_CRYPTO_AEAD_H
#define SLATE_CRYPTO_AEAD_H

#include <stddef.h>

#include "util/err.h"

#define AEAD_KEY_LEN   32
#define AEAD_NONCE_LEN 12
#define AEAD_TAG_LEN   16
#define AEAD_OVERHEAD  (AEAD_NONCE_LEN + AEAD_TAG_LEN)

/*
 * Seals n bytes of pt into out (n + AEAD_OVERHEAD bytes) under key with a
 * fresh random nonce. pt and out may not overlap.
 */
int aead_seal(const unsigned char key[AEAD_KEY_LEN], const void *aad, size_t aadlen,
              const unsigned char *pt, size_t n, unsigned char *out, struct err *e);

/* As aead_seal with the caller's nonce (stream chunks and known-answer tests). */
int aead_seal_nonce(const unsigned char key[AEAD_KEY_LEN],
                    const unsigned char nonce[AEAD_NONCE_LEN], const void *aad, size_t aadlen,
                    const unsigned char *pt, size_t n, unsigned char *ct,
                    unsigned char tag[AEAD_TAG_LEN], struct err *e);

/*
 * Opens a box of n bytes (n >= AEAD_OVERHEAD) into out (n - AEAD_OVERHEAD
 * bytes). Fails (400-class error "does not open") when anything — key,
 * associated data, nonce, ciphertext or tag — differs; out is then wiped.
 */
int aead_open(const unsigned char key[AEAD_KEY_LEN], const void *aad, size_t aadlen,
              const unsigned char *box, size_t n, unsigned char *out, struct err *e);

int aead_open_nonce(const unsigned char key[AEAD_KEY_LEN],
                    const unsigned char nonce[AEAD_NONCE_LEN], const void *aad, size_t aadlen,
                    const unsigned char *ct, size_t n, const unsigned char tag[AEAD_TAG_LEN],
                    unsigned char *pt, struct err *e);

/*
 * The implementation in use for boxes up to 1 KB of plaintext: libsodium's
 * (AES-NI and PCLMUL) where the CPU has them, else OpenSSL's, which does
 * every larger box; both give the same bytes. aead_impl_use makes the
 * known-answer tests run each (-1: not on this CPU); Slate never calls it.
 */
enum aead_impl { AEAD_SODIUM = 1, AEAD_OPENSSL };
enum aead_impl aead_impl_pick(void);
int aead_impl_use(enum aead_impl impl);

#endif

/*
 * totp.h — second factor: time-based one-time passwords and recovery codes.
 *
 * TOTP is RFC 6238 over HOTP (RFC 4226) with the parameters every
 * authenticator app understands: HMAC-SHA1, 6 digits, 30-second steps,
 * T0 = 0. A secret is 20 random bytes (160 bits, RFC 4226 R6's
 * recommendation), shown to the user once as unpadded RFC 4648 base32
 * (32 characters) inside a Google Authenticator key URI, as text and as a QR
 * code:
 *
 *   otpauth://totp/ISSUER:ACCOUNT?secret=BASE32&issuer=ISSUER
 *             &algorithm=SHA1&digits=6&period=30        (one line)
 *
 * ISSUER and ACCOUNT are percent-encoded (everything but RFC 3986 unreserved
 * characters, so a ':' inside either becomes %3A and cannot split the label).
 *
 * Replay. The caller stores, per user, the last time step a code was
 * accepted for (-1 before the first). totp_verify() accepts the steps
 * now-1, now and now+1 — one step of clock drift either way — but never a
 * step at or before that stored one, so every code works at most once and a
 * code observed over a shoulder is dead once its owner has used it. The
 * caller must store *matched_step before it answers the request, and must
 * rate-limit attempts (a 6-digit code over three steps is guessed with
 * probability 3e-6 per try).
 *
 * Recovery codes. Ten codes of 80 random bits each, shown once as
 * "ABCD-EFGH-IJKL-MNOP" (16 base32 characters in groups of four). The server
 * keeps only token_hash() (crypto/token.h, hex SHA-256) of each code after
 * totp_recovery_normalise(): 80 bits is already beyond guessing, so a fast
 * hash suffices, as for session tokens. To check a code a user types, normalise
 * it, token_hash() it, and look the hash up; delete it on use.
 *
 * Memory. Secrets, codes, the key URI and its QR image all let whoever holds
 * them log in as the user: callers wipe them with sodium_memzero (the URI and
 * the SVG over strlen() of them) before freeing. Functions here wipe every
 * temporary of their own.
 */
#ifndef SLATE_CRYPTO_TOTP_H
#define SLATE_CRYPTO_TOTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define TOTP_SECRET_LEN     20 /* bytes: 160 bits */
#define TOTP_SECRET_B32_LEN 33 /* 32 base32 characters + NUL */
#define TOTP_DIGITS         6
#define TOTP_PERIOD         30 /* seconds per time step */
#define TOTP_RECOVERY_COUNT 10
#define TOTP_RECOVERY_LEN   20 /* "ABCD-EFGH-IJKL-MNOP" + NUL */

/* Buffer size, NUL included, for the base32 text of n bytes. */
#define TOTP_BASE32_LEN(n) ((((n)*8) + 4) / 5 + 1)

/* What totp_code() returns when it cannot compute a code; never a valid code. */
#define TOTP_CODE_ERROR UINT32_MAX

/* Fills secret with TOTP_SECRET_LEN bytes from the CSPRNG. */
void totp_secret_new(unsigned char secret[TOTP_SECRET_LEN]);

/*
 * RFC 4648 base32, upper case, no padding, NUL-terminated. Returns the number
 * of characters written (NUL not counted), or -1 when out (outlen bytes,
 * TOTP_BASE32_LEN(len) are enough) is too small.
 */
int totp_base32_encode(const unsigned char *in, size_t len, char *out, size_t outlen);

/*
 * Decodes NUL-terminated base32: either case, spaces ignored ("JBSW Y3DP"
 * as apps display it), no padding. Anything else — other characters, '=',
 * a length no encoder produces, non-zero trailing bits — is refused.
 * Returns the number of bytes written to out, or -1 (out is then wiped).
 */
int totp_base32_decode(const char *in, unsigned char *out, size_t outlen);

/*
 * HOTP (RFC 4226): HMAC-SHA1 of the big-endian counter, dynamic truncation,
 * modulo 10^digits. digits is 6, 7 or 8. A TOTP code is the HOTP of
 * floor(unix time / TOTP_PERIOD). Returns TOTP_CODE_ERROR for an empty
 * secret, a bad digits or a failing libcrypto.
 */
uint32_t totp_code(const unsigned char *secret, size_t len, uint64_t counter, int digits);

/*
 * Checks a 6-digit code typed by the user against steps now-1, now and now+1,
 * skipping every step <= last_used_step (-1 when none was used yet). code
 * must be exactly six ASCII digits. The comparison is constant-time. Returns 1
 * and sets *matched_step (the latest step that matched) on success, 0
 * otherwise.
 */
int totp_verify(const unsigned char *secret, size_t len, const char *code, time_t now,
                int64_t last_used_step, int64_t *matched_step);

/*
 * The otpauth:// key URI above, malloc'ed. NULL when issuer or account is
 * NULL or empty, or the secret empty. Holds the secret: wipe before free.
 */
char *totp_uri(const char *issuer, const char *account, const unsigned char *secret, size_t len);

/*
 * text as a QR code (error correction M, byte mode, case kept) in a
 * standalone SVG: viewBox in modules with a 4-module quiet zone, a white
 * background and the dark modules as one <path>, crispEdges. Scales with its
 * container (no width/height). malloc'ed; NULL when text is NULL or too long
 * for a QR code.
 */
char *totp_qr_svg(const char *text);

/* Ten distinct recovery codes, "XXXX-XXXX-XXXX-XXXX", 80 random bits each. */
void totp_recovery_codes(char codes[TOTP_RECOVERY_COUNT][TOTP_RECOVERY_LEN]);

/*
 * The form a recovery code is hashed in: ASCII letters upper-cased, '-' and
 * spaces dropped, everything else kept (so a wrong character stays wrong).
 * When the result does not fit in outlen bytes, out is the empty string,
 * which is never a recovery code.
 */
void totp_recovery_normalise(const char *in, char *out, size_t outlen);

#endif

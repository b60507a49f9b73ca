/*
 * tlscert.h — the development certificate and the TLS server context.
 *
 * `slate init` in development makes a self-signed P-256 certificate for
 * localhost, 127.0.0.1 and ::1, valid 397 days, whose subject carries
 * OU=Slate development certificate. In production Slate refuses to serve
 * with a certificate that carries that mark.
 */
#ifndef SLATE_CRYPTO_TLSCERT_H
#define SLATE_CRYPTO_TLSCERT_H

#include "util/err.h"

#define TLSCERT_DEV_OU "Slate development certificate"

int tlscert_create_dev(const char *cert_path, const char *key_path, struct err *e);

/*
 * Builds the server SSL_CTX (returned as void * so that callers need not see
 * OpenSSL): TLS 1.2 and 1.3 only, ECDHE with AEAD suites only, no
 * compression, no renegotiation, server cipher preference, session tickets
 * with rotating keys. refuse_dev: fail when the certificate is the
 * development one.
 */
void *tlscert_server_ctx(const char *cert_path, const char *key_path, int refuse_dev,
                         struct err *e);

#endif

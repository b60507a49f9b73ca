/*
 * tlscert.c — see tlscert.h.
 */
#include "crypto/tlscert.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int
ossl_err(struct err *e, const char *what)
{
	char buf[160];
	unsigned long code = ERR_get_error();
	ERR_error_string_n(code, buf, sizeof(buf));
	ERR_clear_error();
	return err_set(e, 500, "%s: %s", what, code ? buf : "failed");
}

static FILE *
create_file(const char *path, mode_t mode, struct err *e)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	FILE *f;
	if (fd == -1) {
		err_set(e, 500, "cannot create %s: %s", path, strerror(errno));
		return NULL;
	}
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		err_set(e, 500, "cannot open %s: %s", path, strerror(errno));
	}
	return f;
}

static int
add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (ext == NULL)
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

int
tlscert_create_dev(const char *cert_path, const char *key_path, struct err *e)
{
	EVP_PKEY *pkey = NULL;
	X509 *x = NULL;
	X509_NAME *name;
	FILE *f = NULL;
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	int rc = -1;

	if ((pkey = EVP_EC_gen("P-256")) == NULL) {
		ossl_err(e, "generate P-256 key");
		goto out;
	}
	if ((x = X509_new()) == NULL || !X509_set_version(x, 2)) {
		ossl_err(e, "new certificate");
		goto out;
	}
	if (RAND_bytes(serial, sizeof(serial)) != 1) {
		ossl_err(e, "random serial");
		goto out;
	}
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	if (bn == NULL || BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL) {
		ossl_err(e, "serial");
		goto out;
	}
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 397L * 24 * 3600);
	X509_set_pubkey(x, pkey);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"Slate", -1, -1,
	                           0);
	X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_ASC, (const unsigned char *)TLSCERT_DEV_OU,
	                           -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1,
	                           -1, 0);
	X509_set_issuer_name(x, name);
	if (!add_ext(x, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1") ||
	    !add_ext(x, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
	    !add_ext(x, NID_key_usage, "critical,digitalSignature,keyCertSign") ||
	    !add_ext(x, NID_ext_key_usage, "serverAuth") ||
	    !add_ext(x, NID_subject_key_identifier, "hash")) {
		ossl_err(e, "certificate extensions");
		goto out;
	}
	if (!X509_sign(x, pkey, EVP_sha256())) {
		ossl_err(e, "sign certificate");
		goto out;
	}
	if ((f = create_file(key_path, 0600, e)) == NULL)
		goto out;
	if (!PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL)) {
		ossl_err(e, "write key");
		goto out;
	}
	if (fclose(f) != 0) {
		f = NULL;
		err_set(e, 500, "write %s: %s", key_path, strerror(errno));
		goto out;
	}
	if ((f = create_file(cert_path, 0644, e)) == NULL)
		goto out;
	if (!PEM_write_X509(f, x)) {
		ossl_err(e, "write certificate");
		goto out;
	}
	if (fclose(f) != 0) {
		f = NULL;
		err_set(e, 500, "write %s: %s", cert_path, strerror(errno));
		goto out;
	}
	f = NULL;
	rc = 0;
out:
	if (f != NULL)
		fclose(f);
	BN_free(bn);
	X509_free(x);
	EVP_PKEY_free(pkey);
	return rc;
}

static int
is_dev_cert(SSL_CTX *ctx)
{
	X509 *x = SSL_CTX_get0_certificate(ctx);
	char ou[128];
	if (x == NULL)
		return 0;
	if (X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_organizationalUnitName, ou,
	                              sizeof(ou)) < 0)
		return 0;
	return strcmp(ou, TLSCERT_DEV_OU) == 0;
}

void *
tlscert_server_ctx(const char *cert_path, const char *key_path, int refuse_dev, struct err *e)
{
	/* TLS 1.2: ECDHE key exchange with AEAD ciphers only (GCM, ChaCha20-Poly1305). */
	static const char ciphers12[] = "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
	                                "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
	                                "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256";
	static const char suites13[] =
	    "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256";
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL) {
		ossl_err(e, "TLS context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
	                             SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_set_cipher_list(ctx, ciphers12) != 1 ||
	    SSL_CTX_set_ciphersuites(ctx, suites13) != 1 ||
	    SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384") != 1) {
		ossl_err(e, "TLS cipher configuration");
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_path) != 1) {
		char msg[sizeof(e->msg)];
		ossl_err(e, "certificate");
		snprintf(msg, sizeof(msg), "%s", e->msg);
		err_set(e, 500, "cannot load TLS certificate %s (%s)", cert_path, msg);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key_path, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		ERR_clear_error();
		err_set(e, 500, "cannot load TLS key %s, or it does not match the certificate",
		        key_path);
		goto fail;
	}
	if (refuse_dev && is_dev_cert(ctx)) {
		err_set(e, 500,
		        "%s is the development certificate made by slate init; production needs a "
		        "real certificate (set tls_cert and tls_key)",
		        cert_path);
		goto fail;
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

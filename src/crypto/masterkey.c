/*
 * masterkey.c — see masterkey.h for the file format.
 */
#include "crypto/masterkey.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/io.h"

#define HEXLEN 64 /* two hex characters per key byte */
_Static_assert(HEXLEN == 2 * MASTERKEY_LEN, "hex length");

int
masterkey_create(const char *path, struct err *e)
{
	unsigned char key[MASTERKEY_LEN];
	char hex[HEXLEN + 2];
	int fd, rc = -1;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		return err_set(e, 500, "cannot create key file %s: %s", path, strerror(errno));
	randombytes_buf(key, sizeof(key));
	sodium_bin2hex(hex, sizeof(hex), key, sizeof(key));
	hex[HEXLEN] = '\n';
	if (io_write_all(fd, hex, HEXLEN + 1) == -1 || fsync(fd) == -1) {
		err_set(e, 500, "cannot write key file %s: %s", path, strerror(errno));
		unlink(path);
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(key, sizeof(key));
	sodium_memzero(hex, sizeof(hex));
	close(fd);
	return rc;
}

/* Decodes 64 hex characters (hex->p) into a new key; wipes and frees hex. */
static int
decode(struct secret *hex, struct secret *key, const char *what, struct err *e)
{
	size_t binlen = 0;
	int rc = 0;

	secret_alloc(key, MASTERKEY_LEN);
	if (hex->len < HEXLEN ||
	    sodium_hex2bin(key->p, key->len, (const char *)hex->p, HEXLEN, NULL, &binlen, NULL) !=
	        0 ||
	    binlen != MASTERKEY_LEN) {
		secret_free(key);
		rc = err_set(e, 500, "%s is not 64 hex characters and a newline", what);
	}
	secret_free(hex);
	return rc;
}

int
masterkey_load(const char *path, struct secret *key, struct err *e)
{
	struct secret hex;
	char what[4200];

	if (secret_read_file(path, "master key file", HEXLEN + 1, 0, &hex, e) == -1)
		return -1;
	snprintf(what, sizeof(what), "master key file %s", path);
	if (hex.len != HEXLEN + 1 || hex.p[HEXLEN] != '\n') {
		secret_free(&hex);
		return err_set(e, 500, "%s is not 64 hex characters and a newline", what);
	}
	return decode(&hex, key, what, e);
}

int
masterkey_read_fd(int fd, struct secret *key, struct err *e)
{
	struct secret hex;
	size_t got = 0;

	secret_alloc(&hex, HEXLEN + 2);
	if (io_read_full(fd, hex.p, HEXLEN + 2, &got) == -1)
		got = 0;
	if (got > 0 && hex.p[got - 1] == '\n')
		got--;
	if (got != HEXLEN) {
		secret_free(&hex);
		return err_set(e, 500, "the master key on standard input is not 64 hex characters");
	}
	hex.len = got;
	return decode(&hex, key, "the master key on standard input", e);
}

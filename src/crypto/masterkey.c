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
	if (write(fd, hex, HEXLEN + 1) != HEXLEN + 1 || fsync(fd) == -1) {
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

int
masterkey_load(const char *path, struct secret *key, struct err *e)
{
	struct secret hex;
	size_t binlen = 0;

	if (secret_read_file(path, "master key file", HEXLEN + 1, 0, &hex, e) == -1)
		return -1;
	if (hex.len != HEXLEN + 1 || hex.p[HEXLEN] != '\n') {
		secret_free(&hex);
		return err_set(e, 500, "master key file %s is not 64 hex characters and a newline",
		               path);
	}
	secret_alloc(key, MASTERKEY_LEN);
	if (sodium_hex2bin(key->p, key->len, (const char *)hex.p, HEXLEN, NULL, &binlen, NULL) !=
	        0 ||
	    binlen != MASTERKEY_LEN) {
		secret_free(key);
		secret_free(&hex);
		return err_set(e, 500, "master key file %s is not 64 hex characters and a newline",
		               path);
	}
	secret_free(&hex);
	return 0;
}

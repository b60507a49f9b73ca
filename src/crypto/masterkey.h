/*
 * masterkey.h — the master key (KEK) file.
 *
 * Format: 64 lowercase hexadecimal characters (256 bits) and one newline,
 * nothing else. The file must be a regular file of mode 0600 or stricter,
 * owned by the user running Slate. The key is only ever held in a struct
 * secret; it is never written to a database, a log or a backup.
 */
#ifndef SLATE_CRYPTO_MASTERKEY_H
#define SLATE_CRYPTO_MASTERKEY_H

#include "util/err.h"
#include "util/secret.h"

#define MASTERKEY_LEN 32

/* Creates path with a fresh random key (fails if it exists). */
int masterkey_create(const char *path, struct err *e);
/* Reads and checks path; fills key (allocated here; secret_free by the caller). */
int masterkey_load(const char *path, struct secret *key, struct err *e);
/* Reads the same format (the newline optional) from an open descriptor: `serve --key-stdin`. */
int masterkey_read_fd(int fd, struct secret *key, struct err *e);

#endif

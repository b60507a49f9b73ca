/*
 * secret.h — memory that holds key material, passwords or tokens.
 *
 * The bytes live in libsodium's guarded allocation (mlock'ed, guard pages,
 * wiped on free), so they are never swapped out, never left behind in a
 * freed heap block, and visible in the type wherever they travel.
 */
#ifndef SLATE_UTIL_SECRET_H
#define SLATE_UTIL_SECRET_H

#include <stddef.h>

#include "util/err.h"

struct secret {
	unsigned char *p;
	size_t len;
};

/* Allocates len zeroed bytes; aborts when guarded memory cannot be had. */
void secret_alloc(struct secret *s, size_t len);
void secret_free(struct secret *s);
/* Copies a string into a new secret (len = its length, NUL-terminated) and wipes the source. */
void secret_take_string(struct secret *s, char *str);

/*
 * Reads a whole secret file of at most max bytes into s (NUL-terminated,
 * len excludes it). The file must be a regular file owned by the user
 * running Slate and readable by nobody else (mode 0600 or stricter);
 * `what` names it in errors ("master key file"). One trailing newline is
 * dropped when strip_newline is set.
 */
int secret_read_file(const char *path, const char *what, size_t max, int strip_newline,
                     struct secret *s, struct err *e);

#endif

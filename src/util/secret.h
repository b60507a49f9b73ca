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

struct secret {
	unsigned char *p;
	size_t len;
};

/* Allocates len zeroed bytes; aborts when guarded memory cannot be had. */
void secret_alloc(struct secret *s, size_t len);
void secret_free(struct secret *s);
/* Copies a string into a new secret (len = its length, NUL-terminated) and wipes the source. */
void secret_take_string(struct secret *s, char *str);

#endif

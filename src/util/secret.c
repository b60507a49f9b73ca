/*
 * secret.c — see secret.h.
 */
#include "util/secret.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
secret_alloc(struct secret *s, size_t len)
{
	s->p = sodium_malloc(len);
	if (s->p == NULL) {
		fputs("slate: cannot allocate locked memory for key material\n", stderr);
		abort();
	}
	sodium_memzero(s->p, len);
	s->len = len;
}

void
secret_free(struct secret *s)
{
	if (s->p != NULL)
		sodium_free(s->p); /* wipes before unmapping */
	s->p = NULL;
	s->len = 0;
}

void
secret_take_string(struct secret *s, char *str)
{
	size_t n = strlen(str);
	secret_alloc(s, n + 1);
	memcpy(s->p, str, n);
	s->len = n;
	sodium_memzero(str, n);
}

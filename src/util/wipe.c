/*
 * wipe.c — see wipe.h.
 */
#include "util/wipe.h"

#include <event2/event.h>
#include <jansson.h>
#include <malloc.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static void (*observer)(const void *p, size_t n);

void *
wipe_malloc(size_t n)
{
	return malloc(n);
}

void
wipe_free(void *p)
{
	size_t n;

	if (p == NULL)
		return;
	n = malloc_usable_size(p);
	sodium_memzero(p, n);
	if (observer != NULL)
		observer(p, n);
	free(p);
}

void
wipe_install_jansson(void)
{
	json_set_alloc_funcs(wipe_malloc, wipe_free);
}

void
wipe_set_observer(void (*fn)(const void *p, size_t n))
{
	observer = fn;
}

void *
wipe_realloc(void *p, size_t n)
{
	size_t have;
	void *q;

	if (p == NULL)
		return malloc(n);
	if (n == 0) {
		wipe_free(p);
		return NULL;
	}
	have = malloc_usable_size(p);
	if ((q = malloc(n)) == NULL)
		return NULL; /* p is left as it was, as realloc leaves it */
	memcpy(q, p, have < n ? have : n);
	wipe_free(p);
	return q;
}

void
wipe_install_libevent(void)
{
	event_set_mem_functions(wipe_malloc, wipe_realloc, wipe_free);
}

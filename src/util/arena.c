/*
 * arena.c — see arena.h.
 */
#include "util/arena.h"

#include <assert.h>
#include <stdalign.h>
#include <stdint.h>
#include <string.h>

#include "util/wipe.h"
#include "util/xalloc.h"

struct arena_chunk {
	struct arena_chunk *next;
	size_t size; /* of data */
	size_t used; /* of data, a multiple of the alignment */
	alignas(max_align_t) unsigned char data[];
};

#define ALIGN      alignof(max_align_t)
#define CHUNK_DATA (ARENA_CHUNK - sizeof(struct arena_chunk))
#define LARGE      (ARENA_CHUNK / 4)

static struct arena_chunk *
chunk_new(size_t size)
{
	struct arena_chunk *c;
	if (size > SIZE_MAX - sizeof(*c))
		size = SIZE_MAX; /* xmalloc fails and aborts */
	else
		size += sizeof(*c);
	c = xmalloc(size);
	c->next = NULL;
	c->size = size - sizeof(*c);
	c->used = 0;
	return c;
}

void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_chunk *c = a->head;
	size_t need = (n + ALIGN - 1) & ~(ALIGN - 1);
	void *p;

	if (need < n) /* n near SIZE_MAX */
		need = SIZE_MAX;
	a->bytes += n;
	if (n > LARGE) {
		/* its own chunk, behind the head, so the head keeps its room for small pieces */
		struct arena_chunk *big = chunk_new(n);
		big->used = n;
		a->nchunks++;
		if (c == NULL) {
			a->head = big;
		} else {
			big->next = c->next;
			c->next = big;
		}
		return big->data;
	}
	if (c == NULL || c->size - c->used < need) {
		c = chunk_new(CHUNK_DATA);
		c->next = a->head;
		a->head = c;
		a->nchunks++;
	}
	assert(c->used + need <= c->size && c->used % ALIGN == 0);
	p = c->data + c->used;
	c->used += need;
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	size_t n = strlen(s);
	char *p = arena_alloc(a, n + 1);
	memcpy(p, s, n + 1);
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = arena_alloc(a, len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void
arena_free(struct arena *a)
{
	struct arena_chunk *c = a->head, *next;

	for (; c != NULL; c = next) {
		next = c->next;
		assert(c->used <= c->size);
		assert(a->nchunks > 0);
		a->nchunks--;
		wipe_free(c);
	}
	assert(a->nchunks == 0);
	a->head = NULL;
	a->bytes = 0;
	a->nchunks = 0;
}

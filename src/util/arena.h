/*
 * arena.h — memory with one owner that frees it all at once, wiped.
 *
 * An arena hands out pieces of larger chunks and never frees a piece on
 * its own: everything taken from it lives until arena_free, which zeroes
 * every chunk (util/wipe.h) and gives it back. A request owns one
 * (http_req_alloc, http/server.h), so what a handler allocates for the
 * request, personal data included, dies with the request and leaves
 * nothing readable in freed memory.
 *
 * Small pieces share chunks of ARENA_CHUNK bytes; a piece larger than a
 * quarter of that (a request body) gets a chunk of its own. Pieces are
 * aligned for any type (max_align_t) and not initialised, like malloc's.
 * Out of memory aborts, like xmalloc. An arena is used by one thread at a
 * time; a zeroed struct arena is an empty one.
 */
#ifndef SLATE_UTIL_ARENA_H
#define SLATE_UTIL_ARENA_H

#include <stddef.h>

#define ARENA_CHUNK 4096

struct arena_chunk;

struct arena {
	struct arena_chunk *head; /* the chunk small pieces are cut from, then the others */
	size_t bytes;             /* handed out so far (pieces, before alignment) */
	size_t nchunks;
};

void *arena_alloc(struct arena *a, size_t n);
char *arena_strdup(struct arena *a, const char *s);
/* The first n bytes of s (fewer when s ends sooner), NUL-terminated. */
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* Wipes and frees every chunk; a is empty afterwards and may be used again. */
void arena_free(struct arena *a);

#endif

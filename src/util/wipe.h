/*
 * wipe.h — memory that may have held personal data is zeroed before it
 * goes back to the allocator.
 *
 * A freed block keeps its bytes until malloc hands it out again: a heap
 * dump, a core file or a later read past the end of another block would
 * show a person's email or phone number long after the request that read
 * it. So the blocks that carry such data are wiped when they are freed:
 * jansson's whole tree (every string, every dumped text) once
 * wipe_install_jansson has run, libevent's buffers once
 * wipe_install_libevent has run, the request arena (util/arena.h), and the
 * JSON text of a reply (http/server.c).
 *
 * wipe_free zeroes the block's usable size (malloc_usable_size(3)), not
 * only what the caller asked for: jansson does not say how long a block is
 * when it frees it. Blocks must come from malloc (wipe_malloc is malloc):
 * a text json_dumps returns may still be freed with plain free.
 */
#ifndef SLATE_UTIL_WIPE_H
#define SLATE_UTIL_WIPE_H

#include <stddef.h>

/* malloc(3): NULL when memory is short (jansson reports that itself). */
void *wipe_malloc(size_t n);
/* Zeroes p's usable size, then free(3). NULL is ignored. */
void wipe_free(void *p);
/*
 * Makes jansson allocate with wipe_malloc and free with wipe_free. Once, in
 * main, before any thread starts and before any JSON value exists that is
 * freed later (a value made before is still freed correctly: both are malloc).
 */
void wipe_install_jansson(void);
/*
 * realloc(3) that moves: the old block is wiped before it is freed (NULL
 * p: malloc; n 0: wipe_free and NULL, as glibc's realloc).
 */
void *wipe_realloc(void *p, size_t n);
/*
 * Makes libevent allocate with wipe_malloc/wipe_realloc/wipe_free, so the
 * buffers a request and its answer pass through (evbuffer chains, the
 * bytes before TLS) are wiped when freed. Once, in main, before any other
 * libevent call.
 */
void wipe_install_libevent(void);
/*
 * For tests: fn(p, n) runs in wipe_free after the block's n bytes are
 * zeroed and before it is freed, so a test can see what was left. NULL
 * removes it. Set it only while no other thread frees.
 */
void wipe_set_observer(void (*fn)(const void *p, size_t n));

#endif

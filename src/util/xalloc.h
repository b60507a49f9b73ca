/*
 * xalloc.h — allocation that aborts on out-of-memory, so call sites stay
 * readable. A server that cannot allocate a few bytes cannot answer anyway.
 */
#ifndef SLATE_UTIL_XALLOC_H
#define SLATE_UTIL_XALLOC_H

#include <stddef.h>
#include <stdio.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
/* open_memstream(3) that aborts when it cannot; fclose, then free *buf. */
FILE *xopen_memstream(char **buf, size_t *len);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
__attribute__((format(printf, 1, 2))) char *xasprintf(const char *fmt, ...);

#endif

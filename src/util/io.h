/*
 * io.h — whole reads and writes on a file descriptor, retrying on EINTR and
 * short counts, and the removal of a directory tree. Each returns 0, or -1
 * with errno set.
 */
#ifndef SLATE_UTIL_IO_H
#define SLATE_UTIL_IO_H

#include <stddef.h>

int io_write_all(int fd, const void *p, size_t n);
/* Reads until want bytes or end of file; *got says how many (fewer only at the end). */
int io_read_full(int fd, void *buf, size_t want, size_t *got);
/* Removes path and, when it is a directory, everything below it (symbolic
   links are removed, never followed). Stops at the first entry it cannot remove. */
int io_remove_tree(const char *path);

#endif

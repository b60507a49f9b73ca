/*
 * io.c — see io.h.
 */
#include "util/io.h"

#include <errno.h>
#include <unistd.h>

int
io_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int
io_read_full(int fd, void *buf, size_t want, size_t *got)
{
	char *c = buf;
	*got = 0;
	while (*got < want) {
		ssize_t r = read(fd, c + *got, want - *got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		*got += (size_t)r;
	}
	return 0;
}

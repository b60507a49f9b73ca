/*
 * secret.c — see secret.h.
 */
#include "util/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/io.h"

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

int
secret_read_file(const char *path, const char *what, size_t max, int strip_newline,
                 struct secret *s, struct err *e)
{
	struct stat st;
	size_t got = 0;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return err_set(e, 500, "cannot open %s %s: %s", what, path, strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		err_set(e, 500, "%s %s is not a regular file", what, path);
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		err_set(e, 500, "%s %s is readable by others (mode %o); chmod 600 it", what, path,
		        (unsigned)(st.st_mode & 0777));
		goto out;
	}
	if (st.st_uid != geteuid()) {
		err_set(e, 500, "%s %s is not owned by the user running slate", what, path);
		goto out;
	}
	/* One byte more than allowed tells an over-long file from a full one. */
	secret_alloc(s, max + 2);
	if (io_read_full(fd, s->p, max + 1, &got) == -1) {
		err_set(e, 500, "cannot read %s %s: %s", what, path, strerror(errno));
		secret_free(s);
		goto out;
	}
	if (got > max) {
		err_set(e, 500, "%s %s is longer than %zu bytes", what, path, max);
		secret_free(s);
		goto out;
	}
	if (strip_newline && got > 0 && s->p[got - 1] == '\n')
		got--;
	s->p[got] = '\0';
	s->len = got;
	rc = 0;
out:
	close(fd);
	return rc;
}

/*
 * stream_bench.c — throughput of Slate's upload encryption on one core, the
 * way the API runs it (crypto/stream.c through one 64 KiB record buffer):
 * a BENCH_STREAM_MIB MiB (default 100) body encrypted into a file, then the
 * file decrypted back and compared, best of BENCH_STREAM_ROUNDS (3) rounds.
 * The file lives in BENCH_STREAM_DIR (default /tmp) and is removed.
 * Prints "encode_mib_s decode_mib_s"; bench/run sets them against
 * `openssl speed -evp aes-256-gcm` on the same machine.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "crypto/stream.h"
#include "util/io.h"

struct check {
	const unsigned char *want;
	size_t off;
	int bad;
};

static double
now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int
to_fd(const unsigned char *p, size_t n, void *arg, struct err *e)
{
	return io_write_all(*(int *)arg, p, n) == -1 ? err_set(e, 500, "write: %s", strerror(errno))
	                                             : 0;
}

static int
from_fd(unsigned char *buf, size_t want, size_t *got, void *arg, struct err *e)
{
	return io_read_full(*(int *)arg, buf, want, got) == -1
	           ? err_set(e, 500, "read: %s", strerror(errno))
	           : 0;
}

static int
compare(const unsigned char *p, size_t n, void *arg, struct err *e)
{
	struct check *c = arg;
	(void)e;
	if (memcmp(p, c->want + c->off, n) != 0)
		c->bad = 1;
	c->off += n;
	return 0;
}

int
main(void)
{
	const char *m = getenv("BENCH_STREAM_MIB"), *r = getenv("BENCH_STREAM_ROUNDS");
	const char *dir = getenv("BENCH_STREAM_DIR") ? getenv("BENCH_STREAM_DIR") : "/tmp";
	size_t mib = m ? (size_t)atoi(m) : 100, n = mib << 20;
	int rounds = r ? atoi(r) : 3;
	unsigned char key[32], *pt;
	double best_e = 0, best_d = 0;
	char path[4096];
	struct err e;

	if (sodium_init() < 0 || mib == 0 || rounds <= 0)
		return 2;
	snprintf(path, sizeof(path), "%s/slate-stream-bench-%d.sfe", dir, (int)getpid());
	if ((pt = malloc(n)) == NULL)
		return 1;
	randombytes_buf(key, sizeof(key));
	randombytes_buf(pt, n);
	for (int i = 0; i < rounds; i++) {
		struct check c = {pt, 0, 0};
		double t0, t1, t2;
		int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600), rc;
		if (fd == -1)
			return 1;
		t0 = now();
		rc = stream_write(key, pt, n, to_fd, &fd, &e);
		t1 = now();
		if (rc == 0 && lseek(fd, 0, SEEK_SET) == 0)
			rc = stream_read(key, from_fd, &fd, compare, &c, &e);
		t2 = now();
		close(fd);
		unlink(path);
		if (rc == -1 || c.bad || c.off != n) {
			fprintf(stderr, "stream_bench: round trip failed: %s\n",
			        rc == -1 ? e.msg : "bytes differ");
			return 1;
		}
		if ((double)mib / (t1 - t0) > best_e)
			best_e = (double)mib / (t1 - t0);
		if ((double)mib / (t2 - t1) > best_d)
			best_d = (double)mib / (t2 - t1);
	}
	printf("%.1f %.1f\n", best_e, best_d);
	free(pt);
	return 0;
}

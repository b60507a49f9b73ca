/*
 * fuzz_config.c — libFuzzer harness for the INI configuration reader
 * (config_load_file and config_finish in src/util/config.c, over inih).
 *
 * Each input is written to a fresh mkstemp file in /tmp, which is unlinked
 * again before the next input. The sequence is the one `slate` runs:
 * defaults, data dir set, file, finish, free. config_finish runs whether or
 * not the file loaded, since a file that fails half-way leaves settings that
 * a shorter, valid file could also have set. LeakSanitizer checks that every
 * string the config owns is released by config_free.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "util/config.h"
#include "util/err.h"

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/slate-fuzz-config-XXXXXX";
	struct config c;
	struct err e;
	int fd, loaded, finished;

	fd = mkstemp(path);
	if (fd < 0)
		return 0;
	if (write_all(fd, data, size) == -1) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);

	memset(&e, 0, sizeof(e));
	config_defaults(&c);
	CHECK(config_set(&c, "data", "/tmp/x", &e) == 0);
	loaded = config_load_file(&c, path, &e);
	unlink(path);
	CHECK(loaded == 0 || loaded == -1);
	if (loaded == -1)
		CHECK(e.status == 400 && e.msg[0] != '\0');

	memset(&e, 0, sizeof(e));
	finished = config_finish(&c, &e);
	CHECK(finished == 0 || finished == -1);
	if (finished == -1) {
		CHECK(e.status == 400 && e.msg[0] != '\0');
	} else {
		/* the promises of config_finish */
		CHECK(c.environment == ENV_DEVELOPMENT || c.environment == ENV_STAGING ||
		      c.environment == ENV_PRODUCTION);
		CHECK(strncmp(c.public_url, "https://", 8) == 0);
		CHECK(c.public_url[strlen(c.public_url) - 1] != '/');
		CHECK(strncmp(c.security_policy, "https://", 8) == 0);
		CHECK(c.tls_cert != NULL && c.tls_cert[0] != '\0');
		CHECK(c.tls_key != NULL && c.tls_key[0] != '\0');
		CHECK(c.key_file != NULL && c.key_file[0] != '\0');
		CHECK(c.threads >= 0 && c.threads <= 256);
		CHECK(c.max_header_bytes >= 1024 && c.max_header_bytes <= 1048576);
	}
	config_free(&c);
	return 0;
}

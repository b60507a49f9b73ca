/*
 * fuzz_s3list.c — libFuzzer harness for the S3 ListObjectsV2 answer reader
 * (backup/dest_s3.c): the input is the body an S3-compatible server (or
 * anything pretending to be one) answers to a list request.
 *
 * The input is parsed from an exact-size heap copy (no NUL after it, so a
 * read past the end is caught). Whatever it holds: the answer is 0 or -1;
 * every key given is non-empty, at most 1024 bytes, with no byte past what
 * the input could give; every size is 0 .. 10^18-1; the token is at most
 * 1024 bytes and set whenever the page says it is truncated; an error has
 * a message. No leaks.
 */
#include <string.h>

#include "backup/dest.h"
#include "fuzz_common.h"
#include "util/xalloc.h"

static size_t input_size;

static int
each(const char *key, long long size, void *arg)
{
	size_t *count = arg;
	size_t n = strlen(key);
	CHECK(n > 0 && n <= 1024 && n <= input_size);
	CHECK(size >= 0 && size <= 999999999999999999LL);
	(*count)++;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = xmalloc(size ? size : 1);
	struct s3_list_page page;
	struct err e = {0};
	size_t count = 0;
	int r;

	if (size > 0)
		memcpy(in, data, size);
	input_size = size;
	r = dest_s3_list_parse(in, size, each, &count, &page, &e);
	CHECK(r == 0 || r == -1);
	CHECK(strnlen(page.token, sizeof(page.token)) < sizeof(page.token));
	if (r == 0) {
		CHECK(!page.truncated || page.token[0] != '\0');
	} else {
		CHECK(e.msg[0] != '\0');
	}
	free(in);
	return 0;
}

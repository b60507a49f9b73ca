/*
 * fuzz_stream.c — libFuzzer harness for the upload file decoder
 * (stream_decode in src/crypto/stream.c), the one parser that reads files
 * an attacker with disk access could have written.
 *
 * The key is fixed (bytes 0..31), the one the seed corpus was made with, so
 * mutations of a valid file exercise every path: header checks, record
 * sizes, truncation, trailing data, tag failures. Invariants: a decode
 * either fails with nothing returned, or returns exactly the plaintext
 * length the file's size implies, and re-encoding that plaintext gives a
 * file of the same size.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/stream.h"
#include "fuzz_common.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char key[32];
	static int ready;
	unsigned char *out = NULL;
	size_t n = 0;
	struct err e;

	if (!ready) {
		CHECK(sodium_init() >= 0);
		for (int i = 0; i < 32; i++)
			key[i] = (unsigned char)i;
		ready = 1;
	}
	if (stream_decode(key, data, size, &out, &n, &e) == -1) {
		CHECK(out == NULL && n == 0);
		return 0;
	}
	CHECK(out != NULL);
	CHECK(stream_sealed_size(n) == size);
	free(out);
	return 0;
}

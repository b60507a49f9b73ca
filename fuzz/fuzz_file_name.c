/*
 * fuzz_file_name.c — libFuzzer harness for validate_file_name
 * (src/domain/validate.c), the check of an uploaded file's ?name.
 *
 * The input, cut at its first NUL, is copied to a heap block of exactly its
 * length plus the NUL, so ASan reports any read past it. A name accepted is
 * checked against validate.h byte by byte, independently of the decoder:
 * 1 to 255 bytes of valid UTF-8; no byte below 0x20, no DEL; no C1 control
 * (C2 80..C2 9F); none of the bidirectional controls U+061C (D8 9C), U+200E
 * and U+200F (E2 80 8E/8F), U+202A..U+202E (E2 80 AA..AE), U+2066..U+2069
 * (E2 81 A6..A9); no '/' or '\'; not dots only.
 */
#include <string.h>

#include "domain/validate.h"
#include "fuzz_common.h"
#include "util/utf8.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t n = nul != NULL ? (size_t)(nul - data) : size;
	char *s = malloc(n + 1);
	int dots_only = 1;

	if (s == NULL)
		return 0;
	memcpy(s, data, n);
	s[n] = '\0';
	if (validate_file_name(s)) {
		const unsigned char *u = (const unsigned char *)s;
		CHECK(n >= 1 && n <= 255);
		CHECK(utf8_valid(s, n));
		for (size_t i = 0; i < n; i++) {
			CHECK(u[i] >= 0x20 && u[i] != 0x7f && u[i] != '/' && u[i] != '\\');
			if (u[i] != '.')
				dots_only = 0;
			if (i + 1 < n) {
				CHECK(!(u[i] == 0xc2 && u[i + 1] >= 0x80 && u[i + 1] <= 0x9f));
				CHECK(!(u[i] == 0xd8 && u[i + 1] == 0x9c));
			}
			if (i + 2 < n && u[i] == 0xe2 && u[i + 1] == 0x80)
				CHECK(u[i + 2] != 0x8e && u[i + 2] != 0x8f &&
				      !(u[i + 2] >= 0xaa && u[i + 2] <= 0xae));
			if (i + 2 < n && u[i] == 0xe2 && u[i + 1] == 0x81)
				CHECK(!(u[i + 2] >= 0xa6 && u[i + 2] <= 0xa9));
		}
		CHECK(!dots_only);
	}
	free(s);
	return 0;
}

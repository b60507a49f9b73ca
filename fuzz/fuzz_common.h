/*
 * fuzz_common.h — what every harness shares: libFuzzer's entry point and
 * CHECK, which aborts (so libFuzzer saves the input) with the invariant
 * that failed.
 */
#ifndef SLATE_FUZZ_COMMON_H
#define SLATE_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__,       \
			        #cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#endif

/*
 * Request memory is wiped when it is given back: the request arena
 * (http_req_alloc) and every block jansson frees, so that a person's data
 * does not stay readable in freed memory.
 */
#include "cmocka_all.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "util/arena.h"
#include "util/wipe.h"

static const char marker[] = "MARKER-jo.bloggs@example.org-+447700900123";

/* what wipe_free showed the observer: blocks seen, and any that still held a nonzero byte */
static size_t seen_blocks, dirty_blocks, bytes_seen;
static const void *watch; /* a block the test wants to see freed */
static int watch_seen_clean;

static void
observe(const void *p, size_t n)
{
	const unsigned char *b = p;
	int clean = 1;
	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			clean = 0;
	seen_blocks++;
	bytes_seen += n;
	if (!clean)
		dirty_blocks++;
	if (watch != NULL && (const unsigned char *)watch >= b &&
	    (const unsigned char *)watch < b + n)
		watch_seen_clean = clean;
}

static int
setup(void **state)
{
	(void)state;
	seen_blocks = dirty_blocks = bytes_seen = 0;
	watch = NULL;
	watch_seen_clean = -1;
	wipe_set_observer(observe);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	wipe_set_observer(NULL);
	return 0;
}

static void
memory_taken_from_a_request_arena_is_wiped_when_the_request_ends(void **state)
{
	struct arena a = {0};
	char *small, *big;
	size_t nchunks;
	(void)state;

	small = arena_strdup(&a, marker);
	big = arena_alloc(&a, 100000); /* a body: a chunk of its own */
	memset(big, 'x', 100000);
	memcpy(big + 5000, marker, sizeof(marker));
	for (int i = 0; i < 200; i++) /* more small pieces than one chunk holds */
		memcpy(arena_alloc(&a, sizeof(marker)), marker, sizeof(marker));
	assert_string_equal(small, marker);
	nchunks = a.nchunks;
	assert_true(nchunks >= 3); /* the body's, and the small pieces' two or more */
	assert_true(a.bytes >= 100000 + 201 * sizeof(marker));

	watch = small;
	arena_free(&a);
	/* every chunk went back through wipe_free, zeroed whole, the body's included */
	assert_int_equal(seen_blocks, nchunks);
	assert_true(bytes_seen >= 100000 + 201 * sizeof(marker));
	assert_int_equal(dirty_blocks, 0);
	assert_int_equal(watch_seen_clean, 1);
	/* and the arena is empty and usable again */
	assert_null(a.head);
	assert_int_equal(a.nchunks, 0);
	assert_int_equal(a.bytes, 0);
	assert_string_equal(arena_strndup(&a, marker, 6), "MARKER");
	arena_free(&a);
}

static void
arena_pieces_are_aligned_and_do_not_overlap(void **state)
{
	struct arena a = {0};
	unsigned char *prev = NULL;
	(void)state;
	for (size_t n = 1; n < 3000; n += 37) {
		unsigned char *p = arena_alloc(&a, n);
		assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
		memset(p, 0xab, n);
		if (prev != NULL)
			assert_int_equal(prev[0], 0xab);
		prev = p;
	}
	arena_free(&a);
	assert_int_equal(dirty_blocks, 0);
}

static void
jansson_wipes_what_it_frees(void **state)
{
	json_t *person;
	char *text;
	(void)state;

	wipe_install_jansson();
	person = json_pack("{s:s, s:s}", "email", marker, "name", "Jo Bloggs");
	assert_non_null(person);
	watch = json_string_value(json_object_get(person, "email"));
	assert_string_equal(watch, marker);
	json_decref(person);
	/* the string holding the marker was zeroed before free, like every other block */
	assert_int_equal(watch_seen_clean, 1);
	assert_true(seen_blocks >= 3); /* object, its table, the strings */
	assert_int_equal(dirty_blocks, 0);

	/* a dumped text comes from the same allocator and is wiped by wipe_free */
	person = json_pack("{s:s}", "email", marker);
	text = json_dumps(person, JSON_COMPACT);
	json_decref(person);
	assert_non_null(strstr(text, marker));
	watch = text;
	watch_seen_clean = -1;
	wipe_free(text);
	assert_int_equal(watch_seen_clean, 1);
	assert_int_equal(dirty_blocks, 0);
}

static void
wipe_realloc_keeps_the_bytes_and_wipes_the_old_block(void **state)
{
	char *p = malloc(sizeof(marker)), *q;
	(void)state;
	memcpy(p, marker, sizeof(marker));
	watch = p;
	q = wipe_realloc(p, 4 * sizeof(marker));
	assert_non_null(q);
	assert_string_equal(q, marker);
	assert_int_equal(watch_seen_clean, 1);
	assert_null(wipe_realloc(q, 0));
	assert_int_equal(dirty_blocks, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        memory_taken_from_a_request_arena_is_wiped_when_the_request_ends, setup, teardown),
	    cmocka_unit_test_setup_teardown(arena_pieces_are_aligned_and_do_not_overlap, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(jansson_wipes_what_it_frees, setup, teardown),
	    cmocka_unit_test_setup_teardown(wipe_realloc_keeps_the_bytes_and_wipes_the_old_block,
	                                    setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

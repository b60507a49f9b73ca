/*
 * The call sheet PDF (render/sheetpdf.c) from a sheet of the shape
 * publishing writes: a PDF of the paper asked for, one page per about fifty
 * calls, and a refusal (not a crash) for a body of another shape. What the
 * pages say is read back with pdftotext by tests/api/callsheet_pdf.test.mjs.
 */
#include "cmocka_all.h"

#include <stdlib.h>
#include <string.h>

#include "render/sheetpdf.h"

static json_t *
sheet_with(int ncalls)
{
	json_t *calls = json_array();
	for (int i = 0; i < ncalls; i++) {
		char name[32];
		snprintf(name, sizeof(name), "Person %d", i);
		json_array_append_new(calls,
		                      json_pack("{s:s, s:s, s:s, s:s}", "person_id",
		                                i == 3 ? "per_me" : "per_other", "name", name,
		                                "department", "Camera", "call", "06:00"));
	}
	return json_pack("{s:{s:s}, s:s, s:i, s:i, s:s, s:[], s:[], s:o, s:[]}", "production",
	                 "name", "Test Show", "date", "2027-01-05", "day", 1, "of", 2,
	                 "general_call", "07:00", "locations", "scenes", "calls", calls,
	                 "key_contacts");
}

/* The page count and the media box of the first page, from the PDF's own objects. */
static int
pages_of(const unsigned char *pdf, size_t len, char *mediabox, size_t cap)
{
	int pages = 0;
	mediabox[0] = '\0';
	for (size_t i = 0; i + 9 < len; i++) {
		if (memcmp(pdf + i, "/Count ", 7) == 0)
			pages = atoi((const char *)pdf + i + 7);
		if (mediabox[0] == '\0' && memcmp(pdf + i, "/MediaBox [", 11) == 0) {
			size_t n = 0;
			while (i + 11 + n < len && pdf[i + 11 + n] != ']' && n + 1 < cap)
				n++;
			memcpy(mediabox, pdf + i + 11, n);
			mediabox[n] = '\0';
		}
	}
	return pages;
}

static void
a_sheet_is_drawn_on_the_paper_asked_for(void **state)
{
	json_t *sheet = sheet_with(4);
	struct sheetpdf_opts o = {
	    .person_id = "per_me", .version = 2, .published_at = "2027-01-04T18:00:00Z"};
	unsigned char *pdf = NULL;
	size_t len = 0;
	char box[64];
	struct err e;
	(void)state;

	assert_int_equal(sheetpdf_paper_named(NULL, &o.paper), 0);
	assert_int_equal(o.paper, SHEETPDF_A4);
	assert_int_equal(sheetpdf_render(sheet, &o, &pdf, &len, &e), 0);
	assert_true(len > 1000);
	assert_memory_equal(pdf, "%PDF-", 5);
	assert_int_equal(pages_of(pdf, len, box, sizeof(box)), 1);
	assert_string_equal(box, " 0 0 595.2756 841.8898 ");
	free(pdf);

	assert_int_equal(sheetpdf_paper_named("letter", &o.paper), 0);
	assert_int_equal(sheetpdf_render(sheet, &o, &pdf, &len, &e), 0);
	pages_of(pdf, len, box, sizeof(box));
	assert_string_equal(box, " 0 0 612 792 ");
	free(pdf);
	assert_int_equal(sheetpdf_paper_named("legal", &o.paper), -1);
	assert_int_equal(sheetpdf_paper_named("A4", &o.paper), -1);
	json_decref(sheet);
}

static void
many_calls_take_more_pages(void **state)
{
	json_t *sheet = sheet_with(300);
	struct sheetpdf_opts o = {.version = 1, .published_at = ""};
	unsigned char *pdf = NULL;
	size_t len = 0;
	char box[64];
	struct err e;
	(void)state;

	assert_int_equal(sheetpdf_render(sheet, &o, &pdf, &len, &e), 0);
	assert_true(pages_of(pdf, len, box, sizeof(box)) >= 4);
	free(pdf);
	json_decref(sheet);
}

static void
a_body_of_another_shape_is_refused(void **state)
{
	static const char *const bodies[] = {
	    "[]", "{}", "{\"production\":{},\"date\":\"x\",\"day\":1}",
	    "{\"production\":{},\"date\":\"x\",\"day\":1,\"locations\":[],"
	    "\"scenes\":[],\"calls\":{},\"key_contacts\":[]}"};
	struct sheetpdf_opts o = {0};
	(void)state;

	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		json_t *j = json_loads(bodies[i], 0, NULL);
		unsigned char *pdf = (unsigned char *)"untouched";
		size_t len = 7;
		struct err e;
		assert_non_null(j);
		assert_int_equal(sheetpdf_render(j, &o, &pdf, &len, &e), -1);
		assert_null(pdf);
		assert_int_equal(len, 0);
		assert_int_equal(e.status, 500);
		json_decref(j);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_sheet_is_drawn_on_the_paper_asked_for),
	    cmocka_unit_test(many_calls_take_more_pages),
	    cmocka_unit_test(a_body_of_another_shape_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

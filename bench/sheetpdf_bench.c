/*
 * sheetpdf_bench.c — the cost of drawing a large call sheet as a PDF
 * (render/sheetpdf.c), in process, without the server.
 *
 * Builds the JSON of a published sheet the way publishing writes it, with
 * BENCH_PDF_CALLS calls (default 400) over 12 departments, 6 locations, 30
 * scenes and 12 key contacts; every ninth name and title long enough to
 * wrap. Draws it once cold (fontconfig and pango load their fonts and
 * caches on the first layout of a thread) and BENCH_PDF_ROUNDS times
 * (default 7) warm, and prints one line:
 *
 *   calls pages bytes cold_ms median_ms best_ms
 *
 * bench/run sets the median against the target: well under a second.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "render/sheetpdf.h"

static double
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static int
by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static json_t *
sheet_of(int ncalls)
{
	static const char *const depts[] = {"Production", "Direction/AD", "Camera",  "Grip",
	                                    "Electric",   "Art",          "Costume", "Make-up",
	                                    "Sound",      "Locations",    "Transport", "Cast"};
	json_t *calls = json_array(), *locs = json_array(), *scenes = json_array(),
	       *contacts = json_array(), *dcalls = json_array();
	char name[160], title[160], when[6];

	for (int i = 0; i < ncalls; i++) {
		const char *d = depts[i * 12 / ncalls]; /* in department order, as published */
		snprintf(name, sizeof(name), "Person %03d%s", i,
		         i % 9 == 0 ? " Bartholomew-Featherstonehaugh of Little Snoring" : "");
		snprintf(title, sizeof(title), "%s%s", d,
		         i % 9 == 4 ? " assistant to the second unit standby" : " crew");
		snprintf(when, sizeof(when), "%02d:%02d", 5 + i % 3, (i * 15) % 60);
		json_array_append_new(
		    calls, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "person_id",
		                     "per_bench", "name", name, "job_title", title, "department", d,
		                     "call", when, "call_from", "person", "pickup", "", "hair_makeup",
		                     "", "on_set", "", "cast_status", ""));
	}
	for (int i = 0; i < 12; i++)
		json_array_append_new(dcalls, json_pack("{s:s, s:s, s:s}", "department_id", "dep",
		                                        "department", depts[i], "call", "06:00"));
	for (int i = 0; i < 6; i++)
		json_array_append_new(
		    locs, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", "loc", "name",
		                    "Harbour wall and lighthouse", "address",
		                    "3 Harbour Road, Lindesnes 4521, Norway", "parking",
		                    "Gravel lot by the gate, trucks on the quay", "nearest_hospital",
		                    "Flekkefjord sykehus, 40 min", "access_notes",
		                    "Gate code from the locations manager; no drones"));
	for (int i = 0; i < 30; i++) {
		char num[8];
		snprintf(num, sizeof(num), "%d", 10 + i);
		json_array_append_new(
		    scenes, json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:[s,s]}", "id", "sc", "number",
		                      num, "int_ext", i % 2 ? "INT" : "EXT", "day_night", "DAY", "set",
		                      "Lighthouse gallery, looking west", "eighths", 3 + i % 9, "cast",
		                      "Kapteinen", "The Keeper"));
	}
	for (int i = 0; i < 12; i++)
		json_array_append_new(contacts, json_pack("{s:s, s:s, s:s, s:s}", "name", "Key Person",
		                                          "job_title", "1st AD", "work_phone",
		                                          "+47 22 00 00 01", "work_email",
		                                          "ad@production.example"));
	return json_pack("{s:{s:s, s:s}, s:s, s:s, s:i, s:i, s:s, s:s, s:o, s:o, s:o, s:o, s:o, "
	                 "s:b}",
	                 "production", "name", "Big Crowd Pictures", "timezone", "UTC", "date",
	                 "2027-04-01", "unit", "Main", "day", 12, "of", 40, "general_call", "07:00",
	                 "wrap_estimate", "19:00", "locations", locs, "scenes", scenes, "calls",
	                 calls, "key_contacts", contacts, "department_calls", dcalls, "cancelled",
	                 0);
}

int
main(void)
{
	const char *env_calls = getenv("BENCH_PDF_CALLS"), *env_rounds = getenv("BENCH_PDF_ROUNDS");
	int ncalls = env_calls ? atoi(env_calls) : 400, rounds = env_rounds ? atoi(env_rounds) : 7;
	struct sheetpdf_opts o = {.paper = SHEETPDF_A4,
	                          .person_id = "per_bench",
	                          .version = 3,
	                          .published_at = "2027-03-31T18:00:00Z"};
	json_t *sheet;
	double cold, *ms;
	unsigned char *pdf = NULL;
	size_t len = 0;
	int pages = 0;
	struct err e;

	if (ncalls < 1 || rounds < 1 || rounds > 1000) {
		fprintf(stderr, "sheetpdf_bench: BENCH_PDF_CALLS and BENCH_PDF_ROUNDS must be positive\n");
		return 2;
	}
	sheet = sheet_of(ncalls);
	ms = calloc((size_t)rounds, sizeof(*ms));
	cold = now_ms();
	if (sheetpdf_render(sheet, &o, &pdf, &len, &e) == -1) {
		fprintf(stderr, "sheetpdf_bench: %s\n", e.msg);
		return 1;
	}
	cold = now_ms() - cold;
	/* the page count, from the PDF's own page tree ("/Type /Pages ... /Count n") */
	for (const unsigned char *p = pdf; p + 6 < pdf + len; p++)
		if (memcmp(p, "/Count", 6) == 0)
			pages = atoi((const char *)p + 6);
	free(pdf);
	for (int i = 0; i < rounds; i++) {
		double t = now_ms();
		if (sheetpdf_render(sheet, &o, &pdf, &len, &e) == -1) {
			fprintf(stderr, "sheetpdf_bench: %s\n", e.msg);
			return 1;
		}
		ms[i] = now_ms() - t;
		free(pdf);
	}
	qsort(ms, (size_t)rounds, sizeof(*ms), by_value);
	printf("%d %d %zu %.1f %.1f %.1f\n", ncalls, pages, len, cold, ms[rounds / 2], ms[0]);
	free(ms);
	json_decref(sheet);
	return 0;
}

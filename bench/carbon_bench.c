/*
 * carbon_bench.c — the cost of a production's full carbon report
 * (api/sustainability_report.c: totals by category, department, shoot day and week,
 * the running total, the budget and the cited sources) as its entries grow.
 *
 * Builds a fresh keystore and database in BENCH_CARBON_DIR (default /tmp),
 * one production with 25 shoot days, and adds entries in steps up to
 * BENCH_CARBON_MAX (default 100000) the way a production makes them: each
 * department logs its own handful of activities (BENCH_CARBON_FACTORS, default
 * 8 of the UK factors), on any of BENCH_CARBON_DAYS (default 120, at most 336)
 * days of prep, shoot and wrap, in quantities from 1 to 97 — a fixed
 * pseudo-random sequence, so every run adds the same entries. The report's
 * cost follows the distinct date × department × factor rows the entries fall
 * into (carbon_rollup), so those two settings decide it: the defaults give
 * 13,431 rows at 100,000 entries; BENCH_CARBON_FACTORS=120
 * BENCH_CARBON_DAYS=336 makes nearly every entry a row of its own. After each step it builds the report
 * BENCH_CARBON_ROUNDS times (default 7) and prints one line per step:
 *
 *   entries median_ms best_ms
 *
 * bench/run sets the largest step against the target (under 50 ms) and the
 * steps against each other (linear growth: ms per 10,000 entries).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "api/sustainability.h"
#include "crypto/keyring.h"
#include "store/store.h"

static double
now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void
die(const char *what, const struct err *e)
{
	fprintf(stderr, "carbon_bench: %s: %s\n", what, e != NULL ? e->msg : "failed");
	exit(1);
}

struct ids {
	size_t n;
	char id[64][STORE_ID_LEN + 8];
};

static void
add_dept(const char *id, const char *name, void *arg)
{
	struct ids *d = arg;
	(void)name;
	if (d->n < 64)
		snprintf(d->id[d->n++], sizeof(d->id[0]), "%s", id);
}

struct factors {
	size_t n;
	struct store_factor f[160];
};

static void
add_factor(const struct store_factor *f, void *arg)
{
	struct factors *fs = arg;
	if (fs->n < 160 && (f->rf < 0 || f->rf == 1))
		fs->f[fs->n++] = *f;
}

/* A fixed pseudo-random sequence (64-bit LCG, Knuth's MMIX constants). */
static uint64_t
next(uint64_t *seed)
{
	*seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return *seed >> 33;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int
main(void)
{
	const char *base = getenv("BENCH_CARBON_DIR") ? getenv("BENCH_CARBON_DIR") : "/tmp";
	long max = getenv("BENCH_CARBON_MAX") ? atol(getenv("BENCH_CARBON_MAX")) : 100000;
	int rounds = getenv("BENCH_CARBON_ROUNDS") ? atoi(getenv("BENCH_CARBON_ROUNDS")) : 7;
	long per_dept = getenv("BENCH_CARBON_FACTORS") ? atol(getenv("BENCH_CARBON_FACTORS")) : 8;
	long days = getenv("BENCH_CARBON_DAYS") ? atol(getenv("BENCH_CARBON_DAYS")) : 120;
	static const long steps[] = {10000, 25000, 50000, 100000, 200000};
	char dir[512], path[600];
	struct secret kek;
	struct keyring *keys;
	struct store *s;
	struct store_user u = {0};
	struct store_production p = {0};
	struct store_carbon_settings settings;
	struct ids depts = {0};
	static struct factors fs;
	struct err e;
	long have = 0;
	uint64_t seed = 42;

	if (sodium_init() < 0 || rounds < 1 || rounds > 100 || per_dept < 1 || per_dept > 160 ||
	    days < 1 || days > 336)
		die("setup (BENCH_CARBON_ROUNDS 1-100, BENCH_CARBON_FACTORS 1-160, BENCH_CARBON_DAYS "
		    "1-336)",
		    NULL);
	snprintf(dir, sizeof(dir), "%s/carbon-bench-XXXXXX", base);
	if (mkdtemp(dir) == NULL)
		die("mkdtemp", NULL);
	secret_alloc(&kek, 32);
	randombytes_buf(kek.p, kek.len);
	snprintf(path, sizeof(path), "%s/keys.db", dir);
	if ((keys = keyring_open(path, &kek, NULL, 1, &e)) == NULL)
		die("keystore", &e);
	snprintf(path, sizeof(path), "%s/slate.db", dir);
	if ((s = store_open(path, 1, keys, &e)) == NULL)
		die("database", &e);
	snprintf(u.email, sizeof(u.email), "bench@carbon.example");
	snprintf(u.display_name, sizeof(u.display_name), "Bench");
	snprintf(u.password_hash, sizeof(u.password_hash), "x");
	snprintf(p.name, sizeof(p.name), "Carbon bench");
	snprintf(p.timezone, sizeof(p.timezone), "Europe/London");
	if (store_user_create(s, &u, &e) == -1 || store_production_create(s, &p, &e) == -1 ||
	    store_department_list(s, p.id, add_dept, &depts, &e) == -1 ||
	    store_factors_list(s, STORE_FACTOR_SET_DEFAULT, 1, NULL, add_factor, &fs, &e) == -1 ||
	    store_carbon_settings_get(s, p.id, &settings, &e) == -1)
		die("production", &e);
	for (int d = 0; d < 25; d++) {
		struct store_day day = {0};
		snprintf(day.production_id, sizeof(day.production_id), "%s", p.id);
		snprintf(day.date, sizeof(day.date), "2027-03-%02d", d + 1);
		snprintf(day.unit, sizeof(day.unit), "Main");
		snprintf(day.general_call, sizeof(day.general_call), "07:00");
		snprintf(day.wrap_estimate, sizeof(day.wrap_estimate), "19:00");
		if (store_day_create(s, &day, &e) == -1)
			die("shoot day", &e);
	}
	for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]) && steps[k] <= max; k++) {
		double ms[100];
		if (store_begin(s, &e) == -1)
			die("begin", &e);
		for (; have < steps[k]; have++) {
			struct store_carbon_entry en = {0};
			size_t d = (size_t)(next(&seed) % depts.n),
			       day = (size_t)(next(&seed) % (uint64_t)days);
			const struct store_factor *f =
			    &fs.f[(d * (size_t)per_dept + next(&seed) % (uint64_t)per_dept) % fs.n];
			snprintf(en.production_id, sizeof(en.production_id), "%s", p.id);
			snprintf(en.date, sizeof(en.date), "2027-%02u-%02u", (unsigned)(1 + day / 28) % 100u,
			         (unsigned)(1 + day % 28) % 100u);
			snprintf(en.department_id, sizeof(en.department_id), "%s", depts.id[d]);
			snprintf(en.category, sizeof(en.category), "%s", f->category);
			snprintf(en.unit, sizeof(en.unit), "%s", f->unit);
			snprintf(en.entered_by, sizeof(en.entered_by), "%s", u.id);
			en.quantity = 1 + (double)(have % 97);
			en.factor_id = f->id;
			en.co2e_g = (long long)(en.quantity * f->kg_per_unit * 1000);
			if (store_carbon_entry_create(s, &en, &e) == -1)
				die("entry", &e);
		}
		if (store_commit(s, &e) == -1)
			die("commit", &e);
		for (int r = 0; r < rounds; r++) {
			double t0 = now_ms();
			json_t *rep = sustainability_report(s, &p, NULL, &settings, &e);
			if (rep == NULL)
				die("report", &e);
			ms[r] = now_ms() - t0;
			if (json_integer_value(json_object_get(json_object_get(rep, "total"), "entries")) !=
			    have)
				die("report total", NULL);
			json_decref(rep);
		}
		qsort(ms, (size_t)rounds, sizeof(ms[0]), cmp_double);
		printf("%ld %.2f %.2f\n", have, ms[rounds / 2], ms[0]);
		fflush(stdout);
	}
	store_close(s);
	keyring_close(keys);
	secret_free(&kek);
	if (getenv("BENCH_CARBON_KEEP") != NULL) {
		fprintf(stderr, "carbon_bench: kept %s\n", dir);
		return 0;
	}
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	return system(path) == 0 ? 0 : 1;
}

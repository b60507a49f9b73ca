/*
 * sustainability_report.c — a production's carbon report: totals in kg and tonnes
 * CO2e by category, department, shoot day and ISO week, CO2e per shoot day,
 * the running total over the shoot, progress against the budget, and the
 * sources of every factor used, cited at the foot. The same report is
 * rendered as JSON, as CSV and as two SVG charts (domain/svgchart.c).
 *
 * Cost: two GROUP BY queries over covering indexes (store/sqlite_carbon.c),
 * one pass over the shoot days and one over the factors used; memory is
 * proportional to the number of distinct dates, departments and factors,
 * not to the number of entries.
 *
 * A department head's report covers their department only and shows no
 * budget (the budget is the production's, and its use would tell them the
 * other departments' total).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "api/sustainability.h"
#include "domain/carbon.h"
#include "domain/csv.h"
#include "domain/svgchart.h"
#include "util/timefmt.h"
#include "util/xalloc.h"
#include "util/nitems.h"

static json_t *
amount(long long grams, long entries)
{
	json_t *j = json_pack("{s:f, s:f}", "kg", carbon_kg(grams), "t", carbon_tonnes(grams));
	if (entries >= 0)
		json_object_set_new(j, "entries", json_integer(entries));
	return j;
}

/* Adds fields to a fresh amount object. */
static json_t *
amount_with(long long grams, long entries, const char *k1, json_t *v1, const char *k2, json_t *v2)
{
	json_t *j = amount(grams, entries);
	json_object_set_new(j, k1, v1);
	if (k2 != NULL)
		json_object_set_new(j, k2, v2);
	return j;
}

struct sums {
	long long cat_g[16];
	long cat_n[16];
	long long total_g;
	long total_n;
	/* by department, in the order first seen */
	size_t ndept;
	struct dept_sum {
		char id[STORE_ID_LEN + 8];
		long long g;
		long n;
	} * dept;
	/* by date, ascending */
	size_t ndate;
	struct date_sum {
		char date[11];
		long long g;
		long n;
	} * date;
};

static void
by_category(const struct store_carbon_sum *x, void *arg)
{
	struct sums *s = arg;
	size_t i, d;
	for (i = 0; carbon_categories[i] != NULL && strcmp(carbon_categories[i], x->category) != 0;
	     i++)
		;
	if (carbon_categories[i] == NULL)
		i--; /* an unknown category counts as "other", the last */
	s->cat_g[i] += x->grams;
	s->cat_n[i] += x->entries;
	s->total_g += x->grams;
	s->total_n += x->entries;
	for (d = 0; d < s->ndept && strcmp(s->dept[d].id, x->department_id) != 0; d++)
		;
	if (d == s->ndept) {
		s->dept = xrealloc(s->dept, (s->ndept + 1) * sizeof(*s->dept));
		memset(&s->dept[d], 0, sizeof(s->dept[d]));
		snprintf(s->dept[d].id, sizeof(s->dept[d].id), "%s", x->department_id);
		s->ndept++;
	}
	s->dept[d].g += x->grams;
	s->dept[d].n += x->entries;
}

static void
by_date(const struct store_carbon_sum *x, void *arg)
{
	struct sums *s = arg;
	s->date = xrealloc(s->date, (s->ndate + 1) * sizeof(*s->date));
	snprintf(s->date[s->ndate].date, sizeof(s->date[s->ndate].date), "%s", x->date);
	s->date[s->ndate].g = x->grams;
	s->date[s->ndate].n = x->entries;
	s->ndate++;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
cmp_date(const void *a, const void *b)
{
	return strcmp(((const struct date_sum *)a)->date, ((const struct date_sum *)b)->date);
}

static void
dept_name(const char *id, const char *name, void *arg)
{
	json_object_set_new(arg, id, json_string(name));
}

/* Shoot days, grouped by date: date → [day ids]. */
static void
shoot_day(const struct store_day *d, void *arg)
{
	json_t *ids = json_object_get(arg, d->date);
	if (ids == NULL)
		json_object_set_new(arg, d->date, ids = json_array());
	json_array_append_new(ids, json_string(d->id));
}

struct sources {
	json_t *arr;
	json_t *cur; /* the entry of the set version being filled */
};

static void
source_factor(const struct store_factor *f, void *arg)
{
	struct sources *src = arg;
	json_t *cur = src->cur;
	if (cur == NULL || strcmp(json_string_value(json_object_get(cur, "set")), f->set_id) != 0 ||
	    json_integer_value(json_object_get(cur, "version")) != f->set_version) {
		cur = json_pack("{s:s, s:i, s:[]}", "set", f->set_id, "version", f->set_version,
		                "factors");
		json_array_append_new(src->arr, cur);
		src->cur = cur;
	}
	json_array_append_new(json_object_get(cur, "factors"),
	                      json_pack("{s:s, s:s, s:s, s:f, s:s, s:i, s:s}", "key", f->key,
	                                "activity", f->activity, "unit", f->unit,
	                                "kg_co2e_per_unit", f->kg_per_unit, "source", f->source,
	                                "year", f->year, "publisher_ref", f->publisher_ref));
}

/*
 * Which factor set is in force — the one new entries use — named on every
 * report beside `factor_set` (its id): `factor_set_name` and
 * `factor_set_version` (its latest version). The CSV and SVG say it from
 * these two fields.
 */
static int
report_factor_set(struct store *s, json_t *rep, const struct store_carbon_settings *settings,
                  struct err *e)
{
	struct store_factor_set set;
	int got = store_factor_set_latest(s, settings->factor_set, &set, e);

	if (got == -1)
		return -1;
	json_object_set_new(rep, "factor_set_name",
	                    json_string(got == 1 ? set.name : settings->factor_set));
	json_object_set_new(rep, "factor_set_version",
	                    got == 1 ? json_integer(set.version) : json_null());
	return 0;
}

json_t *
sustainability_report(struct store *s, const struct store_production *p, const char *department_id,
                      const struct store_carbon_settings *settings, struct err *e)
{
	struct sums sm;
	struct sources src = {json_array(), NULL};
	json_t *names = json_object(), *days = json_object(), *rep = NULL;
	json_t *cats, *depts, *byday, *weeks, *cum;
	long long shoot_g = 0, run = 0;
	long shoot_n = 0;
	size_t ndays;
	char now[TIMEFMT_LEN];

	memset(&sm, 0, sizeof(sm));
	if (store_carbon_sums_by_category(s, p->id, department_id, by_category, &sm, e) == -1 ||
	    store_carbon_sums_by_date(s, p->id, department_id, by_date, &sm, e) == -1 ||
	    store_department_list(s, p->id, dept_name, names, e) == -1 ||
	    store_day_list(s, p->id, shoot_day, days, e) == -1 ||
	    store_carbon_factors_used(s, p->id, department_id, source_factor, &src, e) == -1)
		goto out;
	if (sm.ndate > 0) /* no entries: sm.date is NULL, which qsort may not be given */
		qsort(sm.date, sm.ndate, sizeof(*sm.date), cmp_date);

	cats = json_array();
	for (size_t i = 0; carbon_categories[i] != NULL; i++)
		json_array_append_new(cats,
		                      amount_with(sm.cat_g[i], sm.cat_n[i], "category",
		                                  json_string(carbon_categories[i]), NULL, NULL));
	depts = json_array();
	for (size_t d = 0; d < sm.ndept; d++) {
		json_t *name = json_object_get(names, sm.dept[d].id);
		json_array_append_new(depts,
		                      amount_with(sm.dept[d].g, sm.dept[d].n, "department_id",
		                                  json_string(sm.dept[d].id), "department",
		                                  name ? json_incref(name) : json_string("")));
	}
	/* shoot days: every date the schedule shoots, with the entries of that date */
	byday = json_array();
	{
		const char **dates = xcalloc(json_object_size(days) + 1, sizeof(*dates));
		const char *date;
		json_t *ids;
		size_t k = 0;
		json_object_foreach (days, date, ids) {
			dates[k++] = date;
		}
		qsort(dates, k, sizeof(*dates), cmp_str);
		for (size_t i = 0; i < k; i++) {
			struct date_sum key = {0}, *hit;
			snprintf(key.date, sizeof(key.date), "%s", dates[i]);
			hit = sm.ndate > 0
			          ? bsearch(&key, sm.date, sm.ndate, sizeof(*sm.date), cmp_date)
			          : NULL;
			shoot_g += hit ? hit->g : 0;
			shoot_n += hit ? hit->n : 0;
			json_array_append_new(
			    byday, amount_with(hit ? hit->g : 0, hit ? hit->n : 0, "date",
			                       json_string(dates[i]), "day_ids",
			                       json_incref(json_object_get(days, dates[i]))));
		}
		ndays = k;
		free(dates);
	}
	weeks = json_array();
	cum = json_array();
	{
		char wk[9], cur[9] = "";
		long long wk_g = 0;
		long wk_n = 0;
		for (size_t i = 0; i <= sm.ndate; i++) {
			int valid = i < sm.ndate && carbon_iso_week(sm.date[i].date, wk) == 0;
			if (cur[0] && (i == sm.ndate || (valid && strcmp(cur, wk) != 0))) {
				json_array_append_new(
				    weeks,
				    amount_with(wk_g, wk_n, "week", json_string(cur), NULL, NULL));
				cur[0] = '\0';
				wk_g = 0;
				wk_n = 0;
			}
			if (i == sm.ndate)
				break;
			run += sm.date[i].g;
			json_array_append_new(cum, json_pack("{s:s, s:f}", "date", sm.date[i].date,
			                                     "kg", carbon_kg(run)));
			if (!valid)
				continue;
			memcpy(cur, wk, sizeof(cur));
			wk_g += sm.date[i].g;
			wk_n += sm.date[i].n;
		}
	}
	time_rfc3339(time(NULL), now);
	rep = json_pack(
	    "{s:s, s:s, s:s, s:o, s:s, s:s, s:b, s:o, s:o, s:o, s:o, s:o, s:i, s:o, s:o, s:o, s:o, "
	    "s:o}",
	    "production_id", p->id, "production", p->name, "scope",
	    department_id ? "department" : "production", "department_id",
	    department_id ? json_string(department_id) : json_null(), "generated_at", now,
	    "factor_set", settings->factor_set, "flights_include_rf", settings->include_rf, "total",
	    amount(sm.total_g, sm.total_n), "by_category", cats, "by_department", depts, "by_day",
	    byday, "off_shoot_days", amount(sm.total_g - shoot_g, sm.total_n - shoot_n),
	    "shoot_days", (int)ndays, "per_shoot_day",
	    ndays ? amount(llround((double)sm.total_g / (double)ndays), -1) : json_null(),
	    "by_week", weeks, "cumulative", cum, "budget",
	    department_id == NULL && settings->budget_g >= 0
	        ? json_pack("{s:f, s:f, s:f, s:f}", "kg", carbon_kg(settings->budget_g), "used_kg",
	                    carbon_kg(sm.total_g), "remaining_kg",
	                    carbon_kg(settings->budget_g - sm.total_g), "used_percent",
	                    settings->budget_g > 0 ? (double)llround((double)sm.total_g * 1000.0 /
	                                                             (double)settings->budget_g) /
	                                                 10.0
	                                           : 0.0)
	        : json_null(),
	    "sources", json_incref(src.arr));
	if (report_factor_set(s, rep, settings, e) == -1) {
		json_decref(rep);
		rep = NULL;
	}
out:
	json_decref(src.arr);
	json_decref(names);
	json_decref(days);
	free(sm.dept);
	free(sm.date);
	return rep;
}

/* ---- CSV ---- */

static void
csv_amount_row(FILE *f, const char *section, const char *key, const char *label, const json_t *a)
{
	json_t *n = json_object_get(a, "entries");
	csv_cell(f, section);
	fputc(',', f);
	csv_cell(f, key);
	fputc(',', f);
	csv_cell(f, label);
	fprintf(f, ",%.3f,%.3f,", json_real_value(json_object_get(a, "kg")),
	        json_real_value(json_object_get(a, "t")));
	if (n != NULL)
		fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(n));
	fputs("\r\n", f);
}

static const char *
str(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v ? v : "";
}

/* A category as a reader names it ("Air travel"), for the CSV label and the chart. */
static const char *
category_label(const char *key)
{
	static const struct {
		const char *key, *label;
	} names[] = {
	    {"fuel", "Fuel"},
	    {"electricity", "Electricity"},
	    {"travel_air", "Air travel"},
	    {"travel_land", "Land travel"},
	    {"travel_sea", "Sea travel"},
	    {"accommodation", "Accommodation"},
	    {"waste", "Waste"},
	    {"materials", "Materials"},
	    {"water", "Water"},
	    {"other", "Other"},
	};
	for (size_t i = 0; i < nitems(names); i++)
		if (strcmp(key, names[i].key) == 0)
			return names[i].label;
	return key;
}

char *
sustainability_report_csv(const json_t *rep)
{
	char *buf = NULL, label[640];
	size_t len = 0, i;
	FILE *f = xopen_memstream(&buf, &len);
	json_t *x, *b;

	fputs("section,key,label,kg_co2e,t_co2e,entries\r\n", f);
	snprintf(label, sizeof(label), "factor set in force: %s, version %" JSON_INTEGER_FORMAT,
	         str(rep, "factor_set_name"),
	         json_integer_value(json_object_get(rep, "factor_set_version")));
	csv_cell(f, "factor_set");
	fputc(',', f);
	csv_cell(f, str(rep, "factor_set"));
	fputc(',', f);
	csv_cell(f, label);
	fputs(",,,\r\n", f);
	csv_amount_row(f, "total", "total", str(rep, "production"), json_object_get(rep, "total"));
	json_array_foreach (json_object_get(rep, "by_category"), i, x) {
		csv_amount_row(f, "category", str(x, "category"),
		               category_label(str(x, "category")), x);
	}
	json_array_foreach (json_object_get(rep, "by_department"), i, x) {
		csv_amount_row(f, "department", str(x, "department_id"), str(x, "department"), x);
	}
	json_array_foreach (json_object_get(rep, "by_day"), i, x) {
		csv_amount_row(f, "shoot_day", str(x, "date"), str(x, "date"), x);
	}
	csv_amount_row(f, "off_shoot_days", "off_shoot_days", "entries on other dates",
	               json_object_get(rep, "off_shoot_days"));
	if ((x = json_object_get(rep, "per_shoot_day")) != NULL && !json_is_null(x))
		csv_amount_row(f, "per_shoot_day", "per_shoot_day", "total / shoot days", x);
	json_array_foreach (json_object_get(rep, "by_week"), i, x) {
		csv_amount_row(f, "week", str(x, "week"), str(x, "week"), x);
	}
	if ((b = json_object_get(rep, "budget")) != NULL && !json_is_null(b))
		fprintf(f,
		        "budget,budget,carbon budget,%.3f,,\r\nbudget,used,used,%.3f,,\r\n"
		        "budget,remaining,remaining,%.3f,,\r\n",
		        json_real_value(json_object_get(b, "kg")),
		        json_real_value(json_object_get(b, "used_kg")),
		        json_real_value(json_object_get(b, "remaining_kg")));
	json_array_foreach (json_object_get(rep, "sources"), i, x) {
		size_t k;
		json_t *fa;
		json_array_foreach (json_object_get(x, "factors"), k, fa) {
			snprintf(label, sizeof(label),
			         "%s: %s (%s), %g kg CO2e per %s; %s %" JSON_INTEGER_FORMAT,
			         str(x, "set"), str(fa, "activity"), str(fa, "publisher_ref"),
			         json_real_value(json_object_get(fa, "kg_co2e_per_unit")),
			         str(fa, "unit"), str(fa, "source"),
			         json_integer_value(json_object_get(fa, "year")));
			fputs("source,", f);
			csv_cell(f, str(fa, "key"));
			fputc(',', f);
			csv_cell(f, label);
			fputs(",,,\r\n", f);
		}
	}
	fclose(f);
	return buf;
}

/* ---- SVG ---- */

char *
sustainability_report_svg(const json_t *rep, const char *chart, const char *department)
{
	int cumulative = strcmp(chart, "cumulative") == 0;
	json_t *arr = json_object_get(rep, cumulative ? "cumulative" : "by_category");
	json_t *b = json_object_get(rep, "budget"), *srcs = json_object_get(rep, "sources"), *x;
	size_t n = json_array_size(arr), i;
	const char **label = xcalloc(n + 1, sizeof(*label));
	double *value = xcalloc(n + 1, sizeof(*value));
	char title[400], foot[480];
	size_t o;
	char *out;

	json_array_foreach (arr, i, x) {
		label[i] = cumulative ? str(x, "date") : category_label(str(x, "category"));
		value[i] = json_real_value(json_object_get(x, "kg"));
	}
	/* the sources at the foot, as in every report: the sets, and where each factor is cited */
	o = (size_t)snprintf(
	    foot, sizeof(foot),
	    "Factor set in force: %.63s version %lld. Emission factors:", str(rep, "factor_set"),
	    (long long)json_integer_value(json_object_get(rep, "factor_set_version")));
	json_array_foreach (srcs, i, x) {
		int w =
		    strcmp(str(x, "set"), STORE_FACTOR_SET_CUSTOM) == 0
		        ? snprintf(foot + o, sizeof(foot) - o, "%s the production's own",
		                   i ? ";" : "")
		        : snprintf(foot + o, sizeof(foot) - o, "%s %s version %lld", i ? ";" : "",
		                   str(x, "set"),
		                   (long long)json_integer_value(json_object_get(x, "version")));
		if (w < 0 || (size_t)w >= sizeof(foot) - o - 80) {
			foot[o] = '\0'; /* no half a name: what fits, and the pointer below */
			break;
		}
		o += (size_t)w;
	}
	snprintf(foot + o, sizeof(foot) - o, "%s",
	         json_array_size(srcs)
	             ? ". Each factor's source and year: the report as JSON or CSV."
	             : " none yet (no entries).");
	snprintf(title, sizeof(title), "%s%s%s — %s", str(rep, "production"),
	         department != NULL ? ", department " : "", department != NULL ? department : "",
	         cumulative ? "cumulative kg CO2e over the shoot" : "kg CO2e by category");
	{
		struct svg_series s = {
		    title,
		    "kg CO2e",
		    label,
		    value,
		    n,
		    b != NULL && !json_is_null(b) ? json_real_value(json_object_get(b, "kg")) : -1,
		    foot};
		out = cumulative ? svgchart_line(&s) : svgchart_bars(&s);
	}
	free(label);
	free(value);
	return out;
}

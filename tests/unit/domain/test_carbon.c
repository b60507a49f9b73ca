/*
 * The arithmetic of the carbon footprint (domain/carbon.c): units and their
 * conversions, CO2e to the gram with the rounding rule stated in carbon.h,
 * activity keys, ISO weeks, factor file rows, and the CSV reader that
 * imports them. Expected values are computed by hand from the factor table
 * (data/factors/uk-desnz-2024.csv).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmocka_all.h"

#include "domain/carbon.h"
#include "domain/csv.h"
#include "domain/svgchart.h"

static long long
grams(double q, double kg)
{
	long long g = -1;
	struct err e;
	assert_int_equal(carbon_grams(q, kg, &g, &e), 0);
	return g;
}

static double
convert(double q, const char *from, const char *to)
{
	double out = -1;
	assert_non_null(carbon_unit_find(from));
	assert_non_null(carbon_unit_find(to));
	assert_int_equal(carbon_convert(q, carbon_unit_find(from), carbon_unit_find(to), &out), 0);
	return out;
}

static void
a_thousand_litres_of_diesel_is_2512_79_kg(void **state)
{
	(void)state;
	/* DESNZ 2024, diesel (average biofuel blend): 2.51279 kg CO2e per litre */
	assert_int_equal(grams(1000, 2.51279), 2512790);
	assert_true(fabs(carbon_kg(2512790) - 2512.79) < 1e-9);
	assert_true(fabs(carbon_tonnes(2512790) - 2.513) < 1e-9);
	/* 250 US gallons = 946.352946 L → 2,377.986219… kg → 2,377,986 g */
	assert_int_equal(grams(convert(250, "US gallon", "litres"), 2.51279), 2377986);
	/* long-haul economy, 5,000 passenger km: 0.20011 with RF, 0.11812 without */
	assert_int_equal(grams(5000, 0.20011), 1000550);
	assert_int_equal(grams(5000, 0.11812), 590600);
	/* 500 kg of commercial waste to landfill: 0.5 t × 520.3342 kg/t */
	assert_int_equal(grams(convert(500, "kg", "tonnes"), 520.3342), 260167);
}

static void
rounding_is_half_away_from_zero_to_the_gram_once(void **state)
{
	(void)state;
	assert_int_equal(grams(1, 0.0005), 1);    /* 0.5 g → 1 g */
	assert_int_equal(grams(1, 0.0004999), 0); /* 0.4999 g → 0 g */
	assert_int_equal(grams(3, 0.0015), 5);    /* 4.5 g → 5 g */
	assert_int_equal(grams(1, 0.0025), 3);    /* 2.5 g → 3 g, not to even */
	/*
	 * Ties that binary floating point lands a hair below: 850 × 2.51279 kg
	 * is 2,135.8715 kg exactly (2,135,871.4999999995 g as doubles), 1 ×
	 * 0.5005 kg is 500.5 g (500.49999999999994); both round up.
	 */
	assert_int_equal(grams(850, 2.51279), 2135872);
	assert_int_equal(grams(1550, 2.51279), 3894825);
	assert_int_equal(grams(1, 0.5005), 501);
	assert_int_equal(grams(1, 0.5004999), 500);
	/* tonnes are rounded to the kilogram, half away from zero */
	assert_true(fabs(carbon_tonnes(1500) - 0.002) < 1e-12);
	assert_true(fabs(carbon_tonnes(1499) - 0.001) < 1e-12);
	assert_true(fabs(carbon_tonnes(0) - 0.0) < 1e-12);
}

static void
units_convert_within_a_dimension_only(void **state)
{
	double out;
	(void)state;
	assert_true(fabs(convert(1, "MWh", "kWh") - 1000) < 1e-9);
	assert_true(fabs(convert(100, "miles", "km") - 160.9344) < 1e-9);
	assert_true(fabs(convert(1, "short ton (2000 lb)", "kg") - 907.18474) < 1e-9);
	assert_true(fabs(convert(2, "t", "kg") - 2000) < 1e-9);
	assert_true(fabs(convert(1, "passenger-mile", "passenger.km") - 1.609344) < 1e-9);
	assert_true(fabs(convert(3, "room-nights", "Room per night") - 3) < 1e-12);
	/* different things that share a word never convert */
	assert_int_equal(carbon_convert(1, carbon_unit_find("kg"), carbon_unit_find("L"), &out),
	                 -1);
	assert_int_equal(
	    carbon_convert(1, carbon_unit_find("kWh"), carbon_unit_find("kWh (Gross CV)"), &out),
	    -1);
	assert_int_equal(
	    carbon_convert(1, carbon_unit_find("km"), carbon_unit_find("passenger.km"), &out), -1);
	assert_null(carbon_unit_find("furlongs"));
	assert_null(carbon_unit_find(""));
	assert_string_equal(carbon_unit_find("LITRES")->code, "L");
}

static void
absurd_quantities_and_results_are_refused(void **state)
{
	long long g = 7;
	struct err e;
	(void)state;
	assert_false(carbon_quantity_ok(0));
	assert_false(carbon_quantity_ok(-5));
	assert_false(carbon_quantity_ok(NAN));
	assert_false(carbon_quantity_ok(INFINITY));
	assert_false(carbon_quantity_ok(1e9 + 1));
	assert_true(carbon_quantity_ok(1e9));
	assert_true(carbon_quantity_ok(0.001));
	/* one entry over 1,000 t is refused, naming the quantity */
	assert_int_equal(carbon_grams(1e9, 2.51279, &g, &e), -1);
	assert_string_equal(e.field, "/quantity");
	assert_int_equal(g, 7);
	assert_int_equal(carbon_grams(397900, 2.51279, &g, &e), 0);  /* 999.84 t */
	assert_int_equal(carbon_grams(398000, 2.51279, &g, &e), -1); /* 1,000.09 t */
}

static void
flight_keys_drop_the_radiative_forcing_marker(void **state)
{
	char k[160];
	(void)state;
	carbon_activity_key("Long-haul flight to/from UK, economy (with RF)", k, sizeof(k));
	assert_string_equal(k, "long-haul-flight-to-from-uk-economy");
	carbon_activity_key("Long-haul flight to/from UK, economy (without RF)", k, sizeof(k));
	assert_string_equal(k, "long-haul-flight-to-from-uk-economy");
	assert_int_equal(carbon_activity_rf("Domestic flight (UK), average passenger (with RF)"),
	                 1);
	assert_int_equal(carbon_activity_rf("Domestic flight (UK), average passenger (without RF)"),
	                 0);
	assert_int_equal(carbon_activity_rf("Diesel (average biofuel blend)"), -1);
	carbon_activity_key("Diesel (100% mineral diesel)", k, sizeof(k));
	assert_string_equal(k, "diesel-100-mineral-diesel");
	carbon_activity_key("Diesel (100% mineral diesel)", k, 7);
	assert_string_equal(k, "diesel");
}

static void
iso_weeks_follow_their_thursday(void **state)
{
	char w[9];
	(void)state;
	assert_int_equal(carbon_iso_week("2027-03-01", w), 0);
	assert_string_equal(w, "2027-W09");
	assert_int_equal(carbon_iso_week("2027-01-01", w), 0); /* a Friday: last week of 2026 */
	assert_string_equal(w, "2026-W53");
	assert_int_equal(carbon_iso_week("2024-12-30", w), 0); /* a Monday: week 1 of 2025 */
	assert_string_equal(w, "2025-W01");
	assert_int_equal(carbon_iso_week("2026-12-31", w), 0);
	assert_string_equal(w, "2026-W53");
	assert_int_equal(carbon_iso_week("2027-02-30", w), -1);
	assert_int_equal(carbon_iso_week("monday", w), -1);
}

static int
parse_line(const char *header, const char *line, struct carbon_factor_row *row, struct err *e)
{
	struct csv_reader rd;
	struct carbon_columns c;
	char **h, **f, buf[2048];
	size_t nh, nf;
	long ln;
	int rc;

	snprintf(buf, sizeof(buf), "%s\n%s\n", header, line);
	csv_reader_init(&rd, buf, strlen(buf));
	assert_int_equal(csv_read(&rd, &h, &nh, &ln, e), 1);
	rc = carbon_columns_find(h, nh, &c, e);
	csv_fields_free(h, nh);
	if (rc == -1)
		return -1;
	assert_int_equal(csv_read(&rd, &f, &nf, &ln, e), 1);
	assert_int_equal(ln, 2);
	rc = carbon_factor_parse(&c, f, nf, row, e);
	csv_fields_free(f, nf);
	return rc;
}

#define HEADER "category,activity,unit,kg_co2e_per_unit,source,year,notes"

static void
factor_rows_keep_source_year_and_publisher_id(void **state)
{
	struct carbon_factor_row row;
	struct err e;
	(void)state;
	assert_int_equal(parse_line(HEADER,
	                            "fuel,Diesel (average biofuel blend),litres,2.51279,\"UK DESNZ "
	                            "2024, flat file\",2024,\"DESNZ ID 1_101_1011_8_1; Scope 1\"",
	                            &row, &e),
	                 0);
	assert_string_equal(row.unit, "L");
	assert_string_equal(row.kg_text, "2.51279");
	assert_string_equal(row.source, "UK DESNZ 2024, flat file");
	assert_int_equal(row.year, 2024);
	assert_string_equal(row.publisher_ref, "DESNZ 1_101_1011_8_1");
	assert_string_equal(row.key, "diesel-average-biofuel-blend");
	assert_int_equal(
	    parse_line(HEADER,
	               "waste,Food waste - composted (US),short ton (2000 lb),110,US EPA "
	               "Hub 2025,2025,Hub Table 9 (WARM)",
	               &row, &e),
	    0);
	assert_string_equal(row.publisher_ref, "EPA Hub Table 9");
	assert_string_equal(row.unit, "short_ton");
}

static void
bad_factor_rows_name_their_column(void **state)
{
	struct carbon_factor_row row;
	struct err e;
	(void)state;
	assert_int_equal(parse_line(HEADER, "fuel,Diesel,furlongs,1,S,2024,", &row, &e), -1);
	assert_string_equal(e.field, "/unit");
	assert_int_equal(parse_line(HEADER, "fuel,Diesel,litres,-1,S,2024,", &row, &e), -1);
	assert_string_equal(e.field, "/kg_co2e_per_unit");
	assert_int_equal(parse_line(HEADER, "fuel,Diesel,litres,0x10,S,2024,", &row, &e), -1);
	assert_string_equal(e.field, "/kg_co2e_per_unit");
	assert_int_equal(parse_line(HEADER, "fuel,Diesel,litres,nan,S,2024,", &row, &e), -1);
	assert_int_equal(parse_line(HEADER, "fuel,Diesel,litres,1,S,24,", &row, &e), -1);
	assert_string_equal(e.field, "/year");
	assert_int_equal(parse_line(HEADER, "rockets,Diesel,litres,1,S,2024,", &row, &e), -1);
	assert_string_equal(e.field, "/category");
	assert_int_equal(parse_line(HEADER, "fuel,Diesel,litres,1,,2024,", &row, &e), -1);
	assert_string_equal(e.field, "/source");
	assert_int_equal(parse_line("category,activity,unit,source,year", "x", &row, &e), -1);
	assert_string_equal(e.field, "/header");
}

static void
the_csv_reader_takes_rfc4180_and_refuses_what_is_broken(void **state)
{
	static const char ok[] = "\xEF\xBB\xBF"
	                         "a,\"b, with comma\",\"say \"\"hi\"\"\"\r\n"
	                         "\r\n"
	                         "\"two\nlines\",,last\n"
	                         "tail";
	struct csv_reader rd;
	char **f;
	size_t n;
	long line;
	struct err e;
	(void)state;
	csv_reader_init(&rd, ok, strlen(ok));
	assert_int_equal(csv_read(&rd, &f, &n, &line, &e), 1);
	assert_int_equal(n, 3);
	assert_int_equal(line, 1);
	assert_string_equal(f[0], "a");
	assert_string_equal(f[1], "b, with comma");
	assert_string_equal(f[2], "say \"hi\"");
	csv_fields_free(f, n);
	assert_int_equal(csv_read(&rd, &f, &n, &line, &e), 1);
	assert_int_equal(line, 3);
	assert_int_equal(n, 3);
	assert_string_equal(f[0], "two\nlines");
	assert_string_equal(f[1], "");
	csv_fields_free(f, n);
	assert_int_equal(csv_read(&rd, &f, &n, &line, &e), 1);
	assert_int_equal(line, 5);
	assert_string_equal(f[0], "tail");
	csv_fields_free(f, n);
	assert_int_equal(csv_read(&rd, &f, &n, &line, &e), 0);

	static const char *const bad[] = {"\"never closed\n", "a\"b\n", "\"x\"y\n", "\xff\xfe\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		csv_reader_init(&rd, bad[i], strlen(bad[i]));
		assert_int_equal(csv_read(&rd, &f, &n, &line, &e), -1);
		assert_non_null(strstr(e.msg, "line 1"));
		assert_null(f);
	}
}

static void
charts_escape_their_text_and_carry_no_script(void **state)
{
	const char *labels[] = {"fuel", "<script>alert(1)</script>"};
	double values[] = {2512.79, 40};
	struct svg_series s = {"Ships & \"Sails\"",           "kg CO2e", labels, values, 2, 3000,
	                       "Emission factors: <set> & co"};
	char *bars = svgchart_bars(&s), *line = svgchart_line(&s);
	(void)state;
	assert_non_null(strstr(bars, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
	assert_non_null(strstr(bars, "Ships &amp; &quot;Sails&quot;"));
	assert_null(strstr(bars, "<script"));
	assert_non_null(strstr(bars, "&lt;script&gt;"));
	assert_non_null(strstr(bars, "fuel: 2512.790"));
	assert_null(strstr(line, "<script"));
	assert_non_null(strstr(line, "budget: 3000.000"));
	assert_non_null(strstr(line, "<polyline"));
	assert_non_null(
	    strstr(bars, "Emission factors: &lt;set&gt; &amp; co</tspan></text>\n</svg>"));
	assert_non_null(
	    strstr(line, "Emission factors: &lt;set&gt; &amp; co</tspan></text>\n</svg>"));
	/* a line of footnote below the chart's 360 */
	assert_non_null(strstr(bars, "viewBox=\"0 0 720 372\" width=\"720\" height=\"372\""));
	s.footnote = NULL;
	free(bars);
	bars = svgchart_bars(&s);
	assert_non_null(strstr(bars, "viewBox=\"0 0 720 360\" width=\"720\" height=\"360\""));
	assert_null(strstr(bars, "<tspan"));
	free(bars);
	free(line);
}

/* The text of the footnote's lines (the chart's only tspans), joined by
   glue (by nothing when glue is 0); how many, and the longest's bytes. */
static char *
footnote_lines(const char *svg, int glue, size_t *lines, size_t *longest)
{
	char *out = calloc(1, strlen(svg) + 1);
	size_t o = 0;

	*lines = *longest = 0;
	for (const char *p = strstr(svg, "<tspan"); p != NULL; p = strstr(p, "<tspan")) {
		const char *a = strchr(p, '>') + 1, *b = strstr(a, "</tspan>");
		size_t n;
		assert_non_null(b);
		n = (size_t)(b - a);
		if (o && glue)
			out[o++] = (char)glue;
		memcpy(out + o, a, n);
		o += n;
		*longest = n > *longest ? n : *longest;
		(*lines)++;
		p = b;
	}
	out[o] = '\0';
	return out;
}

/* A footnote wider than the chart is broken at spaces into lines that fit
   (a word longer than a line cut between characters), below the chart, the
   view box taller by a line for each; nothing of it is lost. */
static void
a_long_footnote_wraps_inside_the_chart(void **state)
{
	const char *labels[] = {"fuel"};
	double values[] = {1};
	char foot[600], *joined, *svg, box[80];
	size_t lines, longest;
	struct svg_series s = {"t", "kg CO2e", labels, values, 1, -1, foot};
	(void)state;

	snprintf(
	    foot, sizeof(foot), "%s",
	    "Factor set in force: uk-desnz-2024 version 1. Emission factors: uk-desnz-2024 "
	    "version 1; us-epa-2025 version 3; the production own. Each factor, its source and "
	    "year: the report as JSON or CSV.");
	svg = svgchart_bars(&s);
	joined = footnote_lines(svg, ' ', &lines, &longest);
	assert_string_equal(joined, foot);
	assert_int_equal(lines, 2);
	assert_true(longest <= 100);
	snprintf(box, sizeof(box), "viewBox=\"0 0 720 %d\" width=\"720\" height=\"%d\"",
	         360 + 2 * 12, 360 + 2 * 12);
	assert_non_null(strstr(svg, box));
	free(joined);
	free(svg);

	/* no space to break at: cut at 100 bytes or fewer, never inside a character */
	memset(foot, 0, sizeof(foot));
	for (size_t i = 0; i + 2 < 250; i += 2)
		memcpy(foot + i, "\xc3\xa9", 2); /* é */
	svg = svgchart_line(&s);
	joined = footnote_lines(svg, 0, &lines, &longest);
	assert_string_equal(joined, foot);
	assert_int_equal(lines, 3);
	assert_int_equal(longest, 100);
	free(svg);
	free(joined);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_thousand_litres_of_diesel_is_2512_79_kg),
	    cmocka_unit_test(rounding_is_half_away_from_zero_to_the_gram_once),
	    cmocka_unit_test(units_convert_within_a_dimension_only),
	    cmocka_unit_test(absurd_quantities_and_results_are_refused),
	    cmocka_unit_test(flight_keys_drop_the_radiative_forcing_marker),
	    cmocka_unit_test(iso_weeks_follow_their_thursday),
	    cmocka_unit_test(factor_rows_keep_source_year_and_publisher_id),
	    cmocka_unit_test(bad_factor_rows_name_their_column),
	    cmocka_unit_test(the_csv_reader_takes_rfc4180_and_refuses_what_is_broken),
	    cmocka_unit_test(charts_escape_their_text_and_carry_no_script),
	    cmocka_unit_test(a_long_footnote_wraps_inside_the_chart),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

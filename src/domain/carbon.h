/*
 * carbon.h — the arithmetic of a production's carbon footprint: units and
 * their conversions, the CO2e of an activity, rounding, and the rows of an
 * emission factor file. Pure code: no I/O, no allocation.
 *
 * Rounding rules (docs/SUSTAINABILITY.md states them for users):
 *   - an entry's CO2e is quantity (converted to the factor's unit) × the
 *     factor in kg, rounded once, half away from zero, to whole grams
 *     (from the product taken to the microgram, so a tie its decimal inputs
 *     make is a tie, not a double a hair below it);
 *   - totals are exact sums of those grams, so a total always equals the sum
 *     of the entries it shows;
 *   - kilograms are shown with three decimals (the gram), tonnes with three
 *     decimals (the kilogram), each rounded half away from zero from grams.
 */
#ifndef SLATE_DOMAIN_CARBON_H
#define SLATE_DOMAIN_CARBON_H

#include <stddef.h>

#include "util/err.h"

/* The largest quantity of one entry, in any unit, and its largest CO2e (1,000 t). */
#define CARBON_QUANTITY_MAX 1e9
#define CARBON_ENTRY_MAX_G  1000000000LL

struct carbon_unit {
	const char *code;      /* what Slate stores and the API speaks: "L", "gal_us", "kWh" */
	const char *dimension; /* units convert only within one dimension */
	double to_base;        /* one of this unit in the dimension's base unit */
	const char *label;     /* for people: "litres" */
};

/* A unit by code or by a common name ("litres", "US gallon", "passenger.km"), any case; NULL. */
const struct carbon_unit *carbon_unit_find(const char *name);

/* q of from in to: 0, or -1 when the dimensions differ. */
int carbon_convert(double q, const struct carbon_unit *from, const struct carbon_unit *to,
                   double *out);

/* The categories of activity, in report order; NULL-terminated. */
extern const char *const carbon_categories[];
int carbon_category_valid(const char *c);

/* A quantity Slate accepts: finite, above 0 and at most CARBON_QUANTITY_MAX. */
int carbon_quantity_ok(double q);

/*
 * The CO2e in grams of q (in the factor's unit) at kg_per_unit: 0, or -1 with
 * e naming /quantity when the result is not finite or above CARBON_ENTRY_MAX_G.
 */
int carbon_grams(double q, double kg_per_unit, long long *grams, struct err *e);

/* Grams as kilograms (three decimals) and as tonnes rounded to the kilogram. */
double carbon_kg(long long grams);
double carbon_tonnes(long long grams);

/*
 * A flight factor's radiative-forcing marker: 1 "(with RF)", 0 "(without RF)",
 * -1 none. The key of an activity is its name without that marker, lower
 * case, runs of other characters as one '-': "long-haul-flight-to-from-uk-economy".
 */
int carbon_activity_rf(const char *activity);
void carbon_activity_key(const char *activity, char *out, size_t cap);

/* The ISO 8601 week of a YYYY-MM-DD date as "YYYY-Www": 0, or -1 when it is not a date. */
int carbon_iso_week(const char *date, char out[9]);

/*
 * One row of a factor file. The columns are named by the header line:
 * category, activity, unit, kg_co2e_per_unit, source and year are needed;
 * notes and factor_id may be there. The publisher's reference is factor_id,
 * else "DESNZ ID …" or "Hub Table …" found in notes.
 */
struct carbon_factor_row {
	char category[32];
	char activity[256];
	char unit[16]; /* a unit code */
	char kg_text[32];
	double kg_per_unit;
	char source[512];
	int year;
	char notes[1024];
	char publisher_ref[64];
	char key[160];
	int rf;
};

struct carbon_columns {
	int category, activity, unit, kg, source, year, notes, factor_id;
};

/* The columns of a header line: 0, or -1 with e naming the first missing column. */
int carbon_columns_find(char *const *header, size_t n, struct carbon_columns *c, struct err *e);

/* One data line: 0, or -1 with e naming the column at fault (field "/<column>"). */
int carbon_factor_parse(const struct carbon_columns *c, char *const *fields, size_t n,
                        struct carbon_factor_row *out, struct err *e);

#endif

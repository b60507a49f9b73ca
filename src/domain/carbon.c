/*
 * carbon.c — see carbon.h. The unit table below is the whole of what Slate
 * converts: a unit converts to another of the same dimension through the
 * dimension's base unit. Dimensions that look alike stay apart on purpose:
 * electricity kWh is not the gross or net calorific value of a fuel, and a
 * vehicle's kilometre is not a passenger's.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "domain/carbon.h"
#include "domain/validate.h"
#include "util/nitems.h"

static const struct carbon_unit units[] = {
    {"L", "volume", 1.0, "litres"},
    {"gal_us", "volume", 3.785411784, "US gallons"},
    {"m3", "volume", 1000.0, "cubic metres"},
    {"scf", "volume", 28.316846592, "standard cubic feet"},
    {"kWh", "electricity", 1.0, "kWh"},
    {"MWh", "electricity", 1000.0, "MWh"},
    {"kWh_gross", "energy_gross_cv", 1.0, "kWh (gross CV)"},
    {"MWh_gross", "energy_gross_cv", 1000.0, "MWh (gross CV)"},
    {"mmBtu_hhv", "energy_gross_cv", 293.07107017222, "mmBtu (HHV)"},
    {"kWh_net", "energy_net_cv", 1.0, "kWh (net CV)"},
    {"km", "vehicle_distance", 1.0, "km"},
    {"mi", "vehicle_distance", 1.609344, "miles"},
    {"passenger_km", "passenger_distance", 1.0, "passenger km"},
    {"passenger_mi", "passenger_distance", 1.609344, "passenger miles"},
    {"kg", "mass", 1.0, "kg"},
    {"t", "mass", 1000.0, "tonnes"},
    {"short_ton", "mass", 907.18474, "short tons (2,000 lb)"},
    {"lb", "mass", 0.45359237, "pounds"},
    {"room_night", "room_nights", 1.0, "room-nights"},
    {"fte_hour", "fte_hours", 1.0, "FTE working hours"},
};

/* Other names of a unit: the publishers' spellings and the usual ones. */
static const struct {
	const char *name, *code;
} aliases[] = {
    {"litres", "L"},
    {"litre", "L"},
    {"liters", "L"},
    {"liter", "L"},
    {"US gallon", "gal_us"},
    {"US gallons", "gal_us"},
    {"gallons", "gal_us"},
    {"gal", "gal_us"},
    {"cubic metres", "m3"},
    {"cubic meters", "m3"},
    {"MWh (Gross CV)", "MWh_gross"},
    {"kWh (Gross CV)", "kWh_gross"},
    {"kWh (Net CV)", "kWh_net"},
    {"mmBtu (HHV)", "mmBtu_hhv"},
    {"mmBtu", "mmBtu_hhv"},
    {"miles", "mi"},
    {"mile", "mi"},
    {"vehicle-mile", "mi"},
    {"vehicle-miles", "mi"},
    {"vehicle.km", "km"},
    {"kilometres", "km"},
    {"kilometers", "km"},
    {"passenger.km", "passenger_km"},
    {"passenger-km", "passenger_km"},
    {"passenger-mile", "passenger_mi"},
    {"passenger-miles", "passenger_mi"},
    {"passenger.mile", "passenger_mi"},
    {"tonnes", "t"},
    {"tonne", "t"},
    {"metric tons", "t"},
    {"short ton (2000 lb)", "short_ton"},
    {"short ton", "short_ton"},
    {"short tons", "short_ton"},
    {"pounds", "lb"},
    {"Room per night", "room_night"},
    {"room-night", "room_night"},
    {"room-nights", "room_night"},
    {"room nights", "room_night"},
    {"per FTE Working Hour", "fte_hour"},
};

#define COUNT(a) nitems(a)

const char *const carbon_categories[] = {
    "fuel",  "electricity", "travel_air", "travel_land", "travel_sea", "accommodation",
    "waste", "materials",   "water",      "other",       NULL,
};

const struct carbon_unit *
carbon_unit_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < COUNT(units); i++)
		if (strcasecmp(name, units[i].code) == 0)
			return &units[i];
	for (size_t i = 0; i < COUNT(aliases); i++)
		if (strcasecmp(name, aliases[i].name) == 0)
			return carbon_unit_find(aliases[i].code);
	return NULL;
}

int
carbon_convert(double q, const struct carbon_unit *from, const struct carbon_unit *to, double *out)
{
	if (strcmp(from->dimension, to->dimension) != 0)
		return -1;
	*out = from == to ? q : q * from->to_base / to->to_base;
	return 0;
}

int
carbon_category_valid(const char *c)
{
	for (size_t i = 0; carbon_categories[i] != NULL; i++)
		if (strcmp(c, carbon_categories[i]) == 0)
			return 1;
	return 0;
}

int
carbon_quantity_ok(double q)
{
	return isfinite(q) && q > 0 && q <= CARBON_QUANTITY_MAX;
}

int
carbon_grams(double q, double kg_per_unit, long long *grams, struct err *e)
{
	double g = q * kg_per_unit * 1000.0;

	if (!isfinite(g) || g < 0 || g > (double)CARBON_ENTRY_MAX_G) {
		err_field(e, 400, "/quantity",
		          "that is over 1,000 t CO2e in one entry; check the quantity and unit, or "
		          "split it");
		return -1;
	}
	/*
	 * The product of decimal inputs can land a hair off its value in binary
	 * floating point: 850 L × 2.51279 kg/L is 2,135.8715 kg exactly, but
	 * 2,135,871.4999999995 g as doubles, a tie the rule rounds up. So the
	 * product is taken to the microgram first (an integer a double holds
	 * exactly up to the 1,000 t cap, 1e15 µg) and the gram is rounded from
	 * that integer, half away from zero (g is never negative here).
	 */
	long long ug = llround(g * 1e6);
	*grams = (ug + 500000) / 1000000;
	return 0;
}

double
carbon_kg(long long grams)
{
	return (double)grams / 1000.0;
}

double
carbon_tonnes(long long grams)
{
	long long kg = grams >= 0 ? (grams + 500) / 1000 : -((-grams + 500) / 1000);
	return (double)kg / 1000.0;
}

int
carbon_activity_rf(const char *activity)
{
	if (strstr(activity, "(with RF)") != NULL)
		return 1;
	if (strstr(activity, "(without RF)") != NULL)
		return 0;
	return -1;
}

void
carbon_activity_key(const char *activity, char *out, size_t cap)
{
	size_t o = 0;
	int dash = 0;

	if (cap == 0)
		return;
	for (const char *p = activity; *p && o + 1 < cap; p++) {
		if (strncmp(p, "(with RF)", 9) == 0) {
			p += 8;
			continue;
		}
		if (strncmp(p, "(without RF)", 12) == 0) {
			p += 11;
			continue;
		}
		if (isalnum((unsigned char)*p) && !((unsigned char)*p & 0x80)) {
			if (dash && o > 0 && o + 2 < cap)
				out[o++] = '-';
			out[o++] = (char)tolower((unsigned char)*p);
			dash = 0;
		} else {
			dash = 1;
		}
	}
	out[o] = '\0';
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil). */
static long
days_from_civil(long y, unsigned m, unsigned d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long)doe - 719468;
}

int
carbon_iso_week(const char *date, char out[9])
{
	long y, days, wd, thursday, jan1;
	unsigned m, d;

	if (!validate_date(date))
		return -1;
	y = strtol(date, NULL, 10);
	m = (unsigned)strtoul(date + 5, NULL, 10);
	d = (unsigned)strtoul(date + 8, NULL, 10);
	days = days_from_civil(y, m, d);
	wd = ((days % 7) + 7 + 3) % 7; /* 0 = Monday; 1970-01-01 was a Thursday */
	thursday = days - wd + 3;      /* the week belongs to the year of its Thursday */
	/* the Thursday's year: the year of y-1, y or y+1 whose span holds it */
	if (thursday < days_from_civil(y, 1, 1))
		y--;
	else if (thursday >= days_from_civil(y + 1, 1, 1))
		y++;
	jan1 = days_from_civil(y, 1, 1);
	snprintf(out, 9, "%04u-W%02u", (unsigned)(y % 10000) % 10000u,
	         (unsigned)((thursday - jan1) / 7 + 1) % 100u);
	return 0;
}

/* ---- factor files ---- */

static const char *const column_names[] = {"category", "activity", "unit",  "kg_co2e_per_unit",
                                           "source",   "year",     "notes", "factor_id"};

int
carbon_columns_find(char *const *header, size_t n, struct carbon_columns *c, struct err *e)
{
	int *slot[] = {&c->category, &c->activity, &c->unit,  &c->kg,
	               &c->source,   &c->year,     &c->notes, &c->factor_id};

	for (size_t k = 0; k < COUNT(slot); k++) {
		*slot[k] = -1;
		for (size_t i = 0; i < n; i++)
			if (strcmp(header[i], column_names[k]) == 0)
				*slot[k] = (int)i;
		if (k < 6 && *slot[k] == -1)
			return err_field(e, 400, "/header", "the header has no column %s",
			                 column_names[k]);
	}
	return 0;
}

/* Field i of a line, "" when the line is short. */
static const char *
field(char *const *f, size_t n, int i)
{
	return i >= 0 && (size_t)i < n ? f[i] : "";
}

static int
copy_field(char *dst, size_t cap, const char *v, const char *column, int required, struct err *e)
{
	if (required && v[0] == '\0')
		return err_field(e, 400, column, "%s is empty", column + 1);
	if (strlen(v) >= cap)
		return err_field(e, 400, column, "%s is longer than %zu bytes", column + 1,
		                 cap - 1);
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

/* "DESNZ ID 1_101_1011_8_1; …" → "DESNZ 1_101_1011_8_1"; "… Hub Table 9 …" → "EPA Hub Table 9". */
static void
publisher_ref(const char *notes, char *out, size_t cap)
{
	const char *p;
	size_t n = 0;

	out[0] = '\0';
	if ((p = strstr(notes, "DESNZ ID ")) != NULL) {
		p += 9;
		while (p[n] != '\0' && p[n] != ';' && p[n] != ' ' && n + 7 < cap)
			n++;
		snprintf(out, cap, "DESNZ %.*s", (int)n, p);
	} else if ((p = strstr(notes, "Hub Table ")) != NULL) {
		p += 10;
		while (isdigit((unsigned char)p[n]) && n + 15 < cap)
			n++;
		snprintf(out, cap, "EPA Hub Table %.*s", (int)n, p);
	}
}

int
carbon_factor_parse(const struct carbon_columns *c, char *const *f, size_t n,
                    struct carbon_factor_row *out, struct err *e)
{
	const struct carbon_unit *u;
	const char *kg = field(f, n, c->kg), *year = field(f, n, c->year);
	char *end;

	memset(out, 0, sizeof(*out));
	if (copy_field(out->category, sizeof(out->category), field(f, n, c->category), "/category",
	               1, e) == -1 ||
	    copy_field(out->activity, sizeof(out->activity), field(f, n, c->activity), "/activity",
	               1, e) == -1 ||
	    copy_field(out->kg_text, sizeof(out->kg_text), kg, "/kg_co2e_per_unit", 1, e) == -1 ||
	    copy_field(out->source, sizeof(out->source), field(f, n, c->source), "/source", 1, e) ==
	        -1 ||
	    copy_field(out->notes, sizeof(out->notes), field(f, n, c->notes), "/notes", 0, e) == -1)
		return -1;
	if (!carbon_category_valid(out->category))
		return err_field(
		    e, 400, "/category",
		    "category '%.40s' is not one of fuel, electricity, travel_air, "
		    "travel_land, travel_sea, accommodation, waste, materials, water, other",
		    out->category);
	if ((u = carbon_unit_find(field(f, n, c->unit))) == NULL)
		return err_field(e, 400, "/unit", "unit '%.40s' is not one Slate knows",
		                 field(f, n, c->unit));
	snprintf(out->unit, sizeof(out->unit), "%s", u->code);
	out->kg_per_unit = strtod(kg, &end);
	if (*end != '\0' || end == kg || !isfinite(out->kg_per_unit) || out->kg_per_unit < 0 ||
	    out->kg_per_unit > 1e6 || strchr(kg, 'x') != NULL || strchr(kg, 'X') != NULL)
		return err_field(e, 400, "/kg_co2e_per_unit",
		                 "kg_co2e_per_unit must be a decimal number from 0 to 1000000");
	out->year = (int)strtol(year, &end, 10);
	if (*end != '\0' || strlen(year) != 4 || out->year < 1990 || out->year > 2100)
		return err_field(e, 400, "/year", "year must be a year such as 2024");
	if (field(f, n, c->factor_id)[0] != '\0') {
		if (copy_field(out->publisher_ref, sizeof(out->publisher_ref),
		               field(f, n, c->factor_id), "/factor_id", 0, e) == -1)
			return -1;
	} else {
		publisher_ref(out->notes, out->publisher_ref, sizeof(out->publisher_ref));
	}
	carbon_activity_key(out->activity, out->key, sizeof(out->key));
	if (out->key[0] == '\0')
		return err_field(e, 400, "/activity", "activity has no letters or digits");
	out->rf = carbon_activity_rf(out->activity);
	return 0;
}

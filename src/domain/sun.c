/*
 * sun.c — see sun.h. The steps follow NOAA's "General Solar Position
 * Calculations" spreadsheet column by column, evaluated at the place's
 * solar noon so the declination and the equation of time are those of the
 * day in question.
 */
#include <math.h>

#include "domain/sun.h"

#define PI 3.14159265358979323846

static double
rad(double deg)
{
	return deg * PI / 180.0;
}

static double
deg(double r)
{
	return r * 180.0 / PI;
}

/* Julian day number of the date at 12:00 UT (proleptic Gregorian). */
static long
julian_day_number(int y, int m, int d)
{
	long a = (14 - m) / 12, yy = y + 4800 - a, mm = m + 12 * a - 3;
	return d + (153 * mm + 2) / 5 + 365 * yy + yy / 4 - yy / 100 + yy / 400 - 32045;
}

enum sun_day
sun_times(int y, int m, int d, double lat, double lon, double *rise, double *set)
{
	/* the place's solar noon, roughly, as a fraction of the UT day */
	double jd = (double)julian_day_number(y, m, d) - 0.5 + 0.5 - lon / 360.0;
	double jc = (jd - 2451545.0) / 36525.0;
	double mean_long = fmod(280.46646 + jc * (36000.76983 + jc * 0.0003032), 360.0);
	double mean_anom = 357.52911 + jc * (35999.05029 - 0.0001537 * jc);
	double ecc = 0.016708634 - jc * (0.000042037 + 0.0000001267 * jc);
	double center = sin(rad(mean_anom)) * (1.914602 - jc * (0.004817 + 0.000014 * jc)) +
	                sin(rad(2 * mean_anom)) * (0.019993 - 0.000101 * jc) +
	                sin(rad(3 * mean_anom)) * 0.000289;
	double true_long = mean_long + center;
	double omega = 125.04 - 1934.136 * jc;
	double app_long = true_long - 0.00569 - 0.00478 * sin(rad(omega));
	double mean_obliq =
	    23.0 + (26.0 + (21.448 - jc * (46.815 + jc * (0.00059 - jc * 0.001813))) / 60.0) / 60.0;
	double obliq = mean_obliq + 0.00256 * cos(rad(omega));
	double decl = deg(asin(sin(rad(obliq)) * sin(rad(app_long))));
	double vy = tan(rad(obliq / 2)) * tan(rad(obliq / 2));
	double eq_time = 4.0 * deg(vy * sin(2 * rad(mean_long)) - 2 * ecc * sin(rad(mean_anom)) +
	                           4 * ecc * vy * sin(rad(mean_anom)) * cos(2 * rad(mean_long)) -
	                           0.5 * vy * vy * sin(4 * rad(mean_long)) -
	                           1.25 * ecc * ecc * sin(2 * rad(mean_anom)));
	double cos_ha =
	    cos(rad(90.833)) / (cos(rad(lat)) * cos(rad(decl))) - tan(rad(lat)) * tan(rad(decl));
	double noon, ha;

	if (cos_ha > 1.0)
		return SUN_NEVER_RISES;
	if (cos_ha < -1.0)
		return SUN_NEVER_SETS;
	ha = deg(acos(cos_ha));
	noon = 720.0 - 4.0 * lon - eq_time;
	*rise = noon - 4.0 * ha;
	*set = noon + 4.0 * ha;
	return SUN_RISES_AND_SETS;
}

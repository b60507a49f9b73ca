/*
 * sun.h — sunrise and sunset for a place and a date, for call sheets.
 *
 * NOAA's solar calculator algorithm (Meeus, "Astronomical Algorithms"),
 * good to about a minute between latitudes ±72°: the apparent sun's upper
 * limb on a sea-level horizon, refraction included (zenith 90.833°). Pure
 * code: the caller turns the UTC minutes into the production's local time.
 */
#ifndef SLATE_DOMAIN_SUN_H
#define SLATE_DOMAIN_SUN_H

enum sun_day {
	SUN_RISES_AND_SETS,
	SUN_NEVER_RISES, /* polar night */
	SUN_NEVER_SETS   /* midnight sun */
};

/*
 * For the calendar date y-m-d at latitude lat and longitude lon (degrees,
 * north and east positive): minutes after 00:00 UTC of that date at which
 * the sun rises and sets (either may fall outside 0..1439 far from
 * Greenwich). *rise and *set are set only for SUN_RISES_AND_SETS.
 */
enum sun_day sun_times(int y, int m, int d, double lat, double lon, double *rise, double *set);

#endif

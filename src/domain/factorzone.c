/*
 * factorzone.c — see factorzone.h. The table is zone.tab's US lines
 * (tzdata 2024) and their links; a zone tzdata adds later falls to the UK
 * set until it is listed here, which a production can always change.
 */
#include "domain/factorzone.h"

#include <string.h>

static const char *const us_zones[] = {
    /* zone.tab, country code US */
    "America/New_York", "America/Detroit", "America/Kentucky/Louisville",
    "America/Kentucky/Monticello", "America/Indiana/Indianapolis", "America/Indiana/Vincennes",
    "America/Indiana/Winamac", "America/Indiana/Marengo", "America/Indiana/Petersburg",
    "America/Indiana/Vevay", "America/Chicago", "America/Indiana/Tell_City", "America/Indiana/Knox",
    "America/Menominee", "America/North_Dakota/Center", "America/North_Dakota/New_Salem",
    "America/North_Dakota/Beulah", "America/Denver", "America/Boise", "America/Phoenix",
    "America/Los_Angeles", "America/Anchorage", "America/Juneau", "America/Sitka",
    "America/Metlakatla", "America/Yakutat", "America/Nome", "America/Adak", "Pacific/Honolulu",
    /* their backward-compatible links */
    "America/Indianapolis", "America/Fort_Wayne", "America/Knox_IN", "America/Louisville",
    "America/Atka", "America/Shiprock", "Navajo", "Pacific/Johnston",
    /* POSIX zones with the US rules */
    "EST5EDT", "CST6CDT", "MST7MDT", "PST8PDT", NULL};

int
factorzone_is_us(const char *tz)
{
	if (tz == NULL)
		return 0;
	if (strncmp(tz, "US/", 3) == 0 && tz[3] != '\0')
		return 1;
	for (size_t i = 0; us_zones[i] != NULL; i++)
		if (strcmp(tz, us_zones[i]) == 0)
			return 1;
	return 0;
}

const char *
factorzone_default_set(const char *tz)
{
	return factorzone_is_us(tz) ? FACTORZONE_SET_US : FACTORZONE_SET_UK;
}

/*
 * zone.c — see zone.h. libical loads each zone once (under its own lock)
 * and keeps it for the life of the process.
 */
#include <stdio.h>
#include <time.h>

#include <libical/ical.h>

#include "util/zone.h"

int
zone_known(const char *tz)
{
	return tz != NULL && icaltimezone_get_builtin_timezone(tz) != NULL;
}

int
zone_clock(const char *tz, long long utc, char out[6])
{
	icaltimezone *zone = tz ? icaltimezone_get_builtin_timezone(tz) : NULL;
	struct icaltimetype t;

	if (zone == NULL)
		return -1;
	t = icaltime_from_timet_with_zone((time_t)utc, 0, icaltimezone_get_utc_timezone());
	t = icaltime_convert_to_zone(t, zone);
	snprintf(out, 6, "%02u:%02u", (unsigned)t.hour % 24u, (unsigned)t.minute % 60u);
	return 0;
}

/*
 * zone.c — see zone.h. libical loads each zone once (under its own lock)
 * and keeps it for the life of the process.
 */
#include <stdio.h>
#include <string.h>
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

/* The UTC offset of zone at instant t, in seconds. */
static int
offset_at(icaltimezone *zone, long long t)
{
	struct icaltimetype u =
	    icaltime_from_timet_with_zone((time_t)t, 0, icaltimezone_get_utc_timezone());
	struct icaltimetype l = icaltime_convert_to_zone(u, zone);
	l.zone = NULL;
	l.is_date = 0;
	return (int)((long long)icaltime_as_timet(l) - t);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static long long
days_from_civil(long long y, unsigned m, unsigned d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

int
zone_local_instants(const char *tz, const char *date, int minutes, struct zone_local *out)
{
	icaltimezone *zone = tz ? icaltimezone_get_builtin_timezone(tz) : NULL;
	long long wall, cand[3];
	int offs[3], n = 0, y;
	unsigned mo, d;

	memset(out, 0, sizeof(*out));
	if (zone == NULL || date == NULL || strlen(date) != 10 || date[4] != '-' ||
	    date[7] != '-' || minutes < 0)
		return -1;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (date[i] < '0' || date[i] > '9'))
			return -1;
	y = (date[0] - '0') * 1000 + (date[1] - '0') * 100 + (date[2] - '0') * 10 + (date[3] - '0');
	mo = (unsigned)((date[5] - '0') * 10 + (date[6] - '0'));
	d = (unsigned)((date[8] - '0') * 10 + (date[9] - '0'));
	wall = days_from_civil(y, mo, d) * 86400 + minutes * 60LL;
	/*
	 * Every offset in force within a day of the wall time; an instant t
	 * reads wall when t + offset(t) == wall. None: a gap. Two: a fold.
	 */
	offs[0] = offset_at(zone, wall - 86400);
	offs[1] = offset_at(zone, wall);
	offs[2] = offset_at(zone, wall + 86400);
	for (int i = 0; i < 3; i++) {
		long long t = wall - offs[i];
		int dup = 0;
		for (int k = 0; k < n; k++)
			dup |= cand[k] == t;
		if (!dup && offset_at(zone, t) == offs[i])
			cand[n++] = t;
	}
	if (n == 0) {
		/* the offsets before and after the jump: it lies within a day of wall */
		int before = offs[0], after = offs[2];
		if (before == after)
			before = offs[1];
		out->gap_minutes = (after - before) / 60;
		out->at[0] = wall - before; /* read with the offset before the gap */
		out->off[0] = after;
		return 0;
	}
	if (n == 2 && cand[1] < cand[0]) {
		long long t = cand[0];
		cand[0] = cand[1];
		cand[1] = t;
	}
	for (int k = 0; k < n && k < 2; k++) {
		out->at[k] = cand[k];
		out->off[k] = (int)(wall - cand[k]);
	}
	return n > 2 ? 2 : n;
}

void
zone_rfc3339(long long at, int off, char out[32])
{
	time_t t = (time_t)(at + off);
	struct tm tm;
	unsigned a = (unsigned)(off < 0 ? -off : off) % 86400u;
	char date[24];
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		snprintf(date, sizeof(date), "?");
	snprintf(out, 32, "%.19s%c%02u:%02u", date, off < 0 ? '-' : '+', a / 3600u % 24u,
	         a % 3600u / 60u);
}

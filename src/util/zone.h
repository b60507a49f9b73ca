/*
 * zone.h — wall-clock time in a named time zone (IANA, e.g. Europe/London),
 * through libical's zone tables (the system's tzdata). Thread-safe, and
 * never touches the process's TZ.
 */
#ifndef SLATE_UTIL_ZONE_H
#define SLATE_UTIL_ZONE_H

/* 1 when the system knows zone tz (check its shape first: the name becomes a file path). */
int zone_known(const char *tz);
/* "HH:MM" in zone tz at utc (Unix seconds): 0, or -1 when the zone is unknown. */
int zone_clock(const char *tz, long long utc, char out[6]);

#endif

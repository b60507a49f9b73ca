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

/*
 * The instants at which the wall clock of zone tz reads date ("YYYY-MM-DD")
 * plus minutes (0.. : 26:30 is 02:30 the next day): 1 on an ordinary day
 * (at[0] set), 0 in a daylight-saving gap (the time does not exist; at[0]
 * is the instant the clock jumps, gap_minutes how far), 2 in a fold (it
 * happens twice: at[0] the earlier, at[1] the later; off[] their UTC offsets
 * in seconds), -1 when the zone is unknown or the date malformed.
 */
struct zone_local {
	long long at[2];
	int off[2];
	int gap_minutes;
};
int zone_local_instants(const char *tz, const char *date, int minutes, struct zone_local *out);
/* at with offset off as RFC 3339 ("2027-10-31T01:30:00+01:00"). */
void zone_rfc3339(long long at, int off, char out[32]);

#endif

/*
 * timefmt.c — see timefmt.h.
 */
#include "util/timefmt.h"

#include <stdio.h>

void
time_rfc3339(time_t t, char out[TIMEFMT_LEN])
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, TIMEFMT_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
time_rfc3339_ms_now(char out[TIMEFMT_LEN])
{
	struct timespec ts;
	struct tm tm;
	char base[24];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, TIMEFMT_LEN, "%.19s.%03uZ", base, (unsigned)(ts.tv_nsec / 1000000) % 1000u);
}

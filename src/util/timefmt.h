/*
 * timefmt.h — the two timestamp forms Slate writes: RFC 3339 UTC to the
 * second ("2026-11-23T09:30:00Z", stored data and documents) and to the
 * millisecond ("2026-11-23T09:30:00.123Z", logs and audit events).
 */
#ifndef SLATE_UTIL_TIMEFMT_H
#define SLATE_UTIL_TIMEFMT_H

#include <stddef.h>
#include <time.h>

#define TIMEFMT_LEN 32

void time_rfc3339(time_t t, char out[TIMEFMT_LEN]);
void time_rfc3339_ms_now(char out[TIMEFMT_LEN]);

#endif

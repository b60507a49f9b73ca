/*
 * reminders.h — automatic call sheet reminders (api/reminders.c): a thread
 * of `slate serve` that reminds whoever has not acknowledged the latest
 * version of a shoot day, remind_hours_before hours before general call.
 */
#ifndef SLATE_API_REMINDERS_H
#define SLATE_API_REMINDERS_H

#include "util/config.h"
#include "util/err.h"

struct keyring;

/* The instant a version's automatic reminder is due, and whether it may still go out. */
struct reminder_when {
	long long due;  /* the reminder's time: hours before general call, but never sooner
	                   than min_gap seconds after the version was published */
	long long call; /* general call */
	int useful;     /* due comes before general call */
};
/*
 * When the reminder of a version published at `published` (Unix seconds) for
 * a day `date` with general call `general_call` ("HH:MM", past 24:00 after
 * midnight) in zone tz is due: 0, or -1 for an unknown zone or a malformed
 * date or time. Pure arithmetic (unit-tested).
 */
int reminder_when(const char *tz, const char *date, const char *general_call, int hours,
                  long long published, long long min_gap, struct reminder_when *out);

int reminders_start(const struct config *c, const char *db_path, struct keyring *keys,
                    struct err *e);
/* Stops the thread after the reminder in hand (if any); harmless when never started. */
void reminders_stop(void);

#endif

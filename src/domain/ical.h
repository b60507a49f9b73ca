/*
 * ical.h — shoot days and calls as iCalendar (RFC 5545), through libical.
 *
 * A calendar is one VCALENDAR (VERSION 2.0, PRODID, CALSCALE GREGORIAN,
 * X-WR-CALNAME) holding the production's VTIMEZONE — libical's rules for
 * the zone, with the plain IANA name as TZID — and one VEVENT per event.
 * Every DTSTART / DTEND is a local time in that zone (TZID=Europe/London,
 * say), so a phone shows the call at the right hour wherever it is and
 * across a clock change. A time past midnight (25:30, the way a night
 * shoot writes it) falls on the next calendar day at 01:30.
 */
#ifndef SLATE_DOMAIN_ICAL_H
#define SLATE_DOMAIN_ICAL_H

#include <stddef.h>

struct ical_event {
	const char *uid;   /* stable across exports, so a re-import updates */
	const char *date;  /* YYYY-MM-DD: the shoot day */
	const char *start; /* HH:MM, up to 35:59 */
	const char *end;   /* HH:MM, or "" for none (an end before the start is dropped) */
	const char *summary;
	const char *description; /* may be "" */
	const char *location;    /* LOCATION: may be NULL or "" for none */
	int sequence; /* SEQUENCE: the call sheet version the event shows, 0 before the first */
};

/*
 * The events as a calendar named `name` in zone tz: the text (free it with
 * free()), or NULL when tz is not a zone the system knows or an event's
 * date or start is malformed.
 */
char *ical_calendar(const char *tz, const char *name, const struct ical_event *ev, size_t n);

#endif

/*
 * ical.c — see ical.h. The calendar is built as a libical component tree
 * and serialised once; libical escapes text and folds lines. Zones come
 * from libical's table of the system's tzdata (util/zone.c uses the same).
 */
#include <stdlib.h>
#include <string.h>

#include <libical/ical.h>

#include "domain/ical.h"
#include "domain/validate.h"
#include "util/zone.h"
#include "util/xalloc.h"

/*
 * date + HH:MM (hours past 23 run into the next day) in zone; 0, or -1
 * malformed. The API refuses a time the clocks skip (a daylight-saving gap),
 * but one can still be stored (a day moved onto the night the clocks go
 * forward after its calls were set); a calendar never carries such a local
 * time: it is read with the offset before the gap, as RFC 5545 (3.3.5) has
 * it, and written as the wall time that instant has (01:30 in a one-hour
 * gap at 01:00 becomes 02:30).
 */
static int
local_time(const char *tz, const char *date, const char *hhmm, icaltimezone *zone,
           struct icaltimetype *out)
{
	int minutes = validate_time(hhmm);
	struct icaltimetype t;
	struct zone_local zl;

	if (!validate_date(date) || minutes < 0)
		return -1;
	if (zone_local_instants(tz, date, minutes, &zl) == 0 && zl.gap_minutes > 0)
		minutes += zl.gap_minutes;
	t = icaltime_null_time();
	t.year =
	    (date[0] - '0') * 1000 + (date[1] - '0') * 100 + (date[2] - '0') * 10 + (date[3] - '0');
	t.month = (date[5] - '0') * 10 + (date[6] - '0');
	t.day = (date[8] - '0') * 10 + (date[9] - '0');
	icaltime_adjust(&t, 0, minutes / 60, minutes % 60, 0);
	*out = icaltime_set_timezone(&t, zone);
	return 0;
}

/* The property with exactly one TZID parameter: the zone's IANA name. */
static icalproperty *
zoned(icalproperty *p, const char *tzid)
{
	icalproperty_remove_parameter_by_kind(p, ICAL_TZID_PARAMETER);
	icalproperty_add_parameter(p, icalparameter_new_tzid(tzid));
	return p;
}

char *
ical_calendar(const char *tz, const char *name, const struct ical_event *ev, size_t n)
{
	icaltimezone *zone = tz != NULL ? icaltimezone_get_builtin_timezone(tz) : NULL;
	icalcomponent *cal, *vtz;
	icalproperty *id;
	struct icaltimetype now;
	char *text, *out;

	if (zone == NULL)
		return NULL;
	cal = icalcomponent_new(ICAL_VCALENDAR_COMPONENT);
	icalcomponent_add_property(cal, icalproperty_new_version("2.0"));
	icalcomponent_add_property(cal, icalproperty_new_prodid("-//Slate//Slate export//EN"));
	icalcomponent_add_property(cal, icalproperty_new_calscale("GREGORIAN"));
	{
		icalproperty *calname = icalproperty_new_x(name);
		icalproperty_set_x_name(calname, "X-WR-CALNAME");
		icalcomponent_add_property(cal, calname);
	}
	vtz = icalcomponent_new_clone(icaltimezone_get_component(zone));
	if ((id = icalcomponent_get_first_property(vtz, ICAL_TZID_PROPERTY)) != NULL)
		icalproperty_set_tzid(id, tz);
	icalcomponent_add_component(cal, vtz);

	now = icaltime_current_time_with_zone(icaltimezone_get_utc_timezone());
	for (size_t i = 0; i < n; i++) {
		struct icaltimetype start, end;
		icalcomponent *ve;
		if (local_time(tz, ev[i].date, ev[i].start, zone, &start) == -1) {
			icalcomponent_free(cal);
			return NULL;
		}
		ve = icalcomponent_new(ICAL_VEVENT_COMPONENT);
		icalcomponent_add_property(ve, icalproperty_new_uid(ev[i].uid));
		icalcomponent_add_property(ve, icalproperty_new_dtstamp(now));
		icalcomponent_add_property(ve, zoned(icalproperty_new_dtstart(start), tz));
		if (ev[i].end != NULL && ev[i].end[0] != '\0' &&
		    local_time(tz, ev[i].date, ev[i].end, zone, &end) == 0 &&
		    icaltime_compare(end, start) > 0)
			icalcomponent_add_property(ve, zoned(icalproperty_new_dtend(end), tz));
		icalcomponent_add_property(ve, icalproperty_new_summary(ev[i].summary));
		if (ev[i].description != NULL && ev[i].description[0] != '\0')
			icalcomponent_add_property(ve,
			                           icalproperty_new_description(ev[i].description));
		if (ev[i].location != NULL && ev[i].location[0] != '\0')
			icalcomponent_add_property(ve, icalproperty_new_location(ev[i].location));
		icalcomponent_add_property(ve, icalproperty_new_sequence(ev[i].sequence));
		icalcomponent_add_component(cal, ve);
	}
	text = icalcomponent_as_ical_string_r(cal);
	icalcomponent_free(cal);
	if (text == NULL)
		return NULL;
	out = xstrdup(text);
	icalmemory_free_buffer(text);
	return out;
}

/*
 * times.c — how the API writes a time.
 *
 * Every time in /api/v1 is an RFC 3339 string in UTC to the second
 * ("2027-03-01T06:30:00Z"): call sheets' published_at, attachments' and
 * audit events' times always were; sessions, invitations and API tokens
 * kept Unix seconds in the store and answered them as integers until API
 * contract version 2 (docs/CONTRACT.md "Versions"). The store keeps its
 * integers (the expiry arithmetic is simpler there); only the answer
 * changes, here.
 */
#include <jansson.h>
#include <time.h>

#include "api/view.h"
#include "util/timefmt.h"

json_t *
api_time_json(long long unix_seconds)
{
	char buf[TIMEFMT_LEN];

	time_rfc3339((time_t)unix_seconds, buf);
	return json_string(buf);
}

json_t *
api_time_or_null(long long unix_seconds)
{
	return unix_seconds == 0 ? json_null() : api_time_json(unix_seconds);
}

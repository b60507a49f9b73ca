/*
 * The export formats, each read back: CSV by RFC 4180's rules, iCalendar by
 * libical's own parser, vCard by unfolding and splitting its content lines.
 */
#include <stdlib.h>
#include <string.h>

#include <libical/ical.h>

#include "cmocka_all.h"

#include "domain/csv.h"
#include "domain/ical.h"
#include "domain/vcard.h"

/* What fn wrote to a memory stream, as a string the caller frees. */
static char *
captured(void (*fn)(FILE *, const void *), const void *arg)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	assert_non_null(f);
	fn(f, arg);
	fclose(f);
	return out;
}

static void
write_cell(FILE *f, const void *arg)
{
	csv_cell(f, arg);
}

static void
csv_cells_are_quoted_and_formulas_neutralised(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"plain", "plain"},
	    {"", ""},
	    {"a,b", "\"a,b\""},
	    {"say \"hi\"", "\"say \"\"hi\"\"\""},
	    {"two\nlines", "\"two\nlines\""},
	    {"=1+2", "'=1+2"},
	    {"+44 20 7946 0000", "'+44 20 7946 0000"},
	    {"-3", "'-3"},
	    {"@SUM(A1)", "'@SUM(A1)"},
	    {"\tx", "'\tx"},
	    {"=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""},
	    {"a=b", "a=b"}, /* only a leading character makes a formula */
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = captured(write_cell, cases[i].in);
		assert_string_equal(got, cases[i].out);
		free(got);
	}
}

static void
write_table(FILE *f, const void *arg)
{
	static const char *const cols[] = {"id", "n", "flag", "tags", "secret", NULL};
	csv_table(f, arg, cols);
}

static void
csv_tables_keep_numbers_and_drop_columns_nobody_has(void **state)
{
	json_t *rows = json_pack("[{s:s, s:i, s:b, s:[s,s]}, {s:s, s:i, s:n}]", "id", "a", "n", 7,
	                         "flag", 1, "tags", "x", "y", "id", "b", "n", -2, "flag");
	char *got;
	(void)state;
	got = captured(write_table, rows);
	/* no row has `secret`: no column; a negative number is a number, not a formula */
	assert_string_equal(got, "id,n,flag,tags\r\na,7,true,x y\r\nb,-2,,\r\n");
	free(got);
	json_decref(rows);
	rows = json_array();
	got = captured(write_table, rows);
	assert_string_equal(got, "id,n,flag,tags,secret\r\n");
	free(got);
	json_decref(rows);
}

static icalcomponent *
first_event(icalcomponent *cal)
{
	return icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
}

static void
ical_events_parse_back_with_zone_and_past_midnight_times(void **state)
{
	struct ical_event ev[] = {
	    {"day1@slate", "2027-03-27", "07:00", "19:00", "Day 1 of 2", "Call 07:00\nOn set 08:00",
	     "Harbour Wall, 3 Harbour Road; The Manor", 2},
	    {"day2@slate", "2027-03-28", "18:00", "28:30", "Night; day 2, of 2", "", NULL, 0},
	};
	char *text = ical_calendar("Europe/London", "Northern Lights", ev, 2);
	icalcomponent *cal, *e;
	struct icaltimetype start, end;
	int n = 0;
	(void)state;
	assert_non_null(text);
	cal = icalparser_parse_string(text);
	assert_non_null(cal);
	assert_int_equal(icalcomponent_isa(cal), ICAL_VCALENDAR_COMPONENT);
	assert_string_equal(icalproperty_get_tzid(icalcomponent_get_first_property(
	                        icalcomponent_get_first_component(cal, ICAL_VTIMEZONE_COMPONENT),
	                        ICAL_TZID_PROPERTY)),
	                    "Europe/London");
	for (e = first_event(cal); e != NULL;
	     e = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT))
		n++;
	assert_int_equal(n, 2);

	e = first_event(cal);
	assert_string_equal(icalcomponent_get_uid(e), "day1@slate");
	assert_string_equal(icalcomponent_get_summary(e), "Day 1 of 2");
	assert_string_equal(icalcomponent_get_description(e), "Call 07:00\nOn set 08:00");
	/* LOCATION and SEQUENCE come back as written (libical unescapes the ',' and ';') */
	assert_string_equal(icalcomponent_get_location(e),
	                    "Harbour Wall, 3 Harbour Road; The Manor");
	assert_int_equal(icalcomponent_get_sequence(e), 2);
	start = icalcomponent_get_dtstart(e);
	assert_string_equal(
	    icalparameter_get_tzid(icalproperty_get_first_parameter(
	        icalcomponent_get_first_property(e, ICAL_DTSTART_PROPERTY), ICAL_TZID_PARAMETER)),
	    "Europe/London");
	assert_int_equal(start.hour, 7);
	/* 07:00 on 27 March 2027 is GMT: 07:00 UTC */
	assert_int_equal((long)icaltime_as_timet_with_zone(
	                     start, icaltimezone_get_builtin_timezone("Europe/London")),
	                 1806130800L);

	e = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT);
	assert_string_equal(icalcomponent_get_summary(e), "Night; day 2, of 2");
	assert_null(icalcomponent_get_first_property(e, ICAL_DESCRIPTION_PROPERTY));
	assert_null(icalcomponent_get_first_property(e, ICAL_LOCATION_PROPERTY));
	assert_int_equal(icalcomponent_get_sequence(e), 0);
	end = icalcomponent_get_dtend(e);
	/* 28:30 on the 28th is 04:30 on the 29th, British Summer Time since the 28th */
	assert_int_equal(end.day, 29);
	assert_int_equal(end.hour, 4);
	assert_int_equal(end.minute, 30);
	assert_int_equal((long)icaltime_as_timet_with_zone(
	                     end, icaltimezone_get_builtin_timezone("Europe/London")),
	                 1806291000L);
	icalcomponent_free(cal);
	free(text);
}

static void
ical_refuses_unknown_zones_and_malformed_dates(void **state)
{
	struct ical_event bad_date = {"u", "2027-03-32", "07:00", "", "s", "", NULL, 0};
	struct ical_event bad_time = {"u", "2027-03-01", "7am", "", "s", "", NULL, 0};
	(void)state;
	assert_null(ical_calendar("Mars/Olympus_Mons", "x", NULL, 0));
	assert_null(ical_calendar("Europe/London", "x", &bad_date, 1));
	assert_null(ical_calendar("Europe/London", "x", &bad_time, 1));
}

static void
write_card(FILE *f, const void *arg)
{
	vcard_write(f, arg);
}

static void
vcards_escape_fold_and_leave_out_what_is_not_given(void **state)
{
	struct vcard v = {
	    .uid = "per_abc",
	    .name = "Ada Gallagher",
	    .org = "Northern Lights",
	    .department = "Hair & Make-up",
	    .title = "Chief; make-up, artist",
	    .work_phone = "+44 (0)191 496-0175",
	    .personal_phone = "0191 496 0175, ext. 12",
	    .home_address = "78 Saltings Way\nNewcastle upon Tyne",
	    .birthday = "1995-04-20",
	    .personal_email = "",
	};
	char *got = captured(write_card, &v);
	char *unfolded = malloc(strlen(got) + 1), *o = unfolded;
	(void)state;
	for (const char *p = got; *p; p++) {
		if (p[0] == '\r' && p[1] == '\n' && p[2] == ' ') {
			p += 2;
			continue;
		}
		*o++ = *p;
	}
	*o = '\0';
	assert_non_null(strstr(unfolded, "BEGIN:VCARD\r\nVERSION:4.0\r\n"));
	assert_non_null(strstr(unfolded, "\r\nUID;VALUE=text:per_abc\r\n"));
	assert_non_null(strstr(unfolded, "\r\nFN:Ada Gallagher\r\n"));
	assert_non_null(strstr(unfolded, "\r\nORG:Northern Lights;Hair & Make-up\r\n"));
	assert_non_null(strstr(unfolded, "\r\nTITLE:Chief\\; make-up\\, artist\r\n"));
	assert_non_null(strstr(unfolded, "\r\nN:Gallagher;Ada;;;\r\n"));
	assert_non_null(strstr(unfolded, "\r\nTEL;VALUE=uri;TYPE=work,voice;X-DISPLAY=\"+44 (0)191 "
	                                 "496-0175\":tel:+441914960175\r\n"));
	assert_non_null(strstr(unfolded, "\r\nTEL;VALUE=text;TYPE=home,voice:0191 496 0175\\, "
	                                 "ext. 12\r\n"));
	assert_non_null(
	    strstr(unfolded, "\r\nADR;TYPE=home:;;78 Saltings Way\\nNewcastle upon Tyne;;;;\r\n"));
	assert_non_null(strstr(unfolded, "\r\nBDAY:19950420\r\n"));
	assert_null(strstr(unfolded, "EMAIL"));
	assert_null(strstr(unfolded, "ROLE"));
	assert_true(strlen(got) > 10 && strcmp(got + strlen(got) - 11, "END:VCARD\r\n") == 0);
	free(unfolded);
	free(got);
}

/* Numbers as people type them in the UK, France, Germany, the US and the Netherlands. */
static void
phones_become_e164_when_international(void **state)
{
	static const struct {
		const char *typed, *e164; /* NULL: not normalised */
	} cases[] = {
	    {"+44 (0)20 7946 0958", "+442079460958"},
	    {"+44 20 7946 0958", "+442079460958"},
	    {"0044 7700 900123", "+447700900123"},
	    {"020 7946 0958", NULL}, /* national: which country? */
	    {"+33 (0)1 42 68 53 00", "+33142685300"},
	    {"+33 6 12 34 56 78", "+33612345678"},
	    {"0033 1.42.68.53.00", "+33142685300"},
	    {"+49 (0)30 901820", "+4930901820"},
	    {"+49 30/901820-0", "+49309018200"},
	    {"+49 (0) 89 1234567", "+49891234567"},
	    {"+1 (212) 555-0100", "+12125550100"},
	    {"+1-212-555-0100", "+12125550100"},
	    {"(212) 555-0100", NULL},
	    {"+31 (0)20 123 4567", "+31201234567"},
	    {"+31 6 12345678", "+31612345678"},
	    {"0031 (0)6-12345678", "+31612345678"},
	    {"+44 20 7946 0958 ext. 12", NULL},
	    {"+44 20 7946 0958 x12", NULL},
	    {"+44 (0", NULL},
	    {"+0 123 456 789", NULL},
	    {"+44 12", NULL},
	    {"+44 2079 4609 5812 3456", NULL}, /* 18 digits */
	    {"++44 20 7946 0958", NULL},
	    {"", NULL},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[VCARD_E164_LEN];
		int rc = vcard_tel_e164(cases[i].typed, out, sizeof(out));
		if (cases[i].e164 == NULL) {
			if (rc != -1)
				fail_msg("%s: normalised to %s", cases[i].typed, out);
		} else {
			if (rc != 0)
				fail_msg("%s: not normalised", cases[i].typed);
			assert_string_equal(out, cases[i].e164);
		}
	}
}

static void
vcard_lines_fold_at_75_octets_between_utf8_characters(void **state)
{
	char name[400] = "";
	struct vcard v = {.uid = "per_x", .name = name};
	char *got, *line;
	(void)state;
	for (int i = 0; i < 60; i++)
		strcat(name, "\xc3\xa9"); /* é: two octets each */
	got = captured(write_card, &v);
	for (line = got; *line;) {
		char *end = strstr(line, "\r\n");
		assert_non_null(end);
		assert_true(end - line <= 75);
		/* a continuation never starts inside a character */
		if (line[0] == ' ')
			assert_true(((unsigned char)line[1] & 0xC0) != 0x80);
		line = end + 2;
	}
	free(got);
}

/* Found by fuzz_vcard: a run of bytes that start no character made the folding loop forever. */
static void
vcard_lines_fold_even_when_the_text_is_not_utf8(void **state)
{
	char name[200];
	struct vcard v = {.uid = "per_x", .name = name};
	char *got;
	(void)state;
	memset(name, 0x86, sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	got = captured(write_card, &v);
	for (char *line = got; *line;) {
		char *end = strstr(line, "\r\n");
		assert_non_null(end);
		assert_true(end - line <= 75);
		line = end + 2;
	}
	free(got);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(csv_cells_are_quoted_and_formulas_neutralised),
	    cmocka_unit_test(csv_tables_keep_numbers_and_drop_columns_nobody_has),
	    cmocka_unit_test(ical_events_parse_back_with_zone_and_past_midnight_times),
	    cmocka_unit_test(ical_refuses_unknown_zones_and_malformed_dates),
	    cmocka_unit_test(vcards_escape_fold_and_leave_out_what_is_not_given),
	    cmocka_unit_test(vcard_lines_fold_at_75_octets_between_utf8_characters),
	    cmocka_unit_test(phones_become_e164_when_international),
	    cmocka_unit_test(vcard_lines_fold_even_when_the_text_is_not_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

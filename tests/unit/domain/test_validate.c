/* The shapes of production data: local times of a shoot day, calendar dates, phone numbers, file
 * names. */
#include "cmocka_all.h"

#include <string.h>

#include "domain/validate.h"

static void
times_read_as_minutes_and_run_past_midnight(void **state)
{
	(void)state;
	assert_int_equal(validate_time("00:00"), 0);
	assert_int_equal(validate_time("07:30"), 450);
	assert_int_equal(validate_time("23:59"), 1439);
	assert_int_equal(validate_time("26:30"), 1590); /* 02:30 after a night shoot's midnight */
	assert_int_equal(validate_time("35:59"), 2159);
	const char *bad[] = {"36:00", "7:30", "07:60", "07-30", "0730",
	                     "07:3a", "",     " 7:30", "07:30 "};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(validate_time(bad[i]), -1);
	assert_int_equal(validate_time(NULL), -1);
}

static void
dates_are_real_calendar_days(void **state)
{
	(void)state;
	assert_true(validate_date("2027-03-01"));
	assert_true(validate_date("2024-02-29"));  /* leap year */
	assert_true(validate_date("2000-02-29"));  /* divisible by 400 */
	assert_false(validate_date("1900-02-29")); /* divisible by 100 */
	assert_false(validate_date("2027-02-29"));
	assert_false(validate_date("2027-04-31"));
	assert_false(validate_date("2027-13-01"));
	assert_false(validate_date("2027-00-10"));
	assert_false(validate_date("2027-01-00"));
	assert_false(validate_date("1899-12-31"));
	assert_false(validate_date("27-03-01"));
	assert_false(validate_date("2027/03/01"));
	assert_false(validate_date("2027-3-1"));
	assert_false(validate_date(NULL));
}

static void
phones_take_digits_and_punctuation_only(void **state)
{
	(void)state;
	assert_true(validate_phone("+44 20 7946 0000"));
	assert_true(validate_phone("(555) 010-4477"));
	assert_true(validate_phone("999"));
	assert_false(validate_phone("12"));
	assert_false(validate_phone("+-()"));
	assert_false(validate_phone("call me"));
	assert_false(validate_phone("+44 20 7946 0000 ext. 5"));
	assert_false(validate_phone("12345678901234567890123456789012345678901")); /* 41 */
	assert_false(validate_phone(""));
	assert_false(validate_phone(NULL));
}

static void
file_names_refuse_controls_bidi_separators_and_dots(void **state)
{
	char longest[256], too_long[257];
	(void)state;
	memset(longest, 'a', 255);
	longest[255] = '\0';
	memset(too_long, 'a', 256);
	too_long[256] = '\0';
	assert_true(validate_file_name("quarry-permit.pdf"));
	assert_true(validate_file_name("Drehplan Tag 3 (endg\xc3\xbcltig).pdf")); /* ü */
	assert_true(validate_file_name(
	    "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d.txt")); /* Hebrew: RTL letters are fine */
	assert_true(validate_file_name(".env"));
	assert_true(validate_file_name("a..b"));
	assert_true(validate_file_name(longest));
	assert_false(validate_file_name(too_long));
	assert_false(validate_file_name(""));
	assert_false(validate_file_name(NULL));
	/* dot-only names */
	assert_false(validate_file_name("."));
	assert_false(validate_file_name(".."));
	assert_false(validate_file_name("..."));
	/* path separators */
	assert_false(validate_file_name("../etc/passwd"));
	assert_false(validate_file_name("a/b.pdf"));
	assert_false(validate_file_name("..\\boot.ini"));
	/* C0, DEL, C1 */
	assert_false(validate_file_name("a\tb.pdf"));
	assert_false(validate_file_name("a\nb.pdf"));
	assert_false(validate_file_name("a\x1b[31mb.pdf"));
	assert_false(validate_file_name("a\x7f.pdf"));
	assert_false(validate_file_name("a\xc2\x80.pdf")); /* U+0080 */
	assert_false(validate_file_name("a\xc2\x9b.pdf")); /* U+009B, CSI */
	assert_true(validate_file_name("a\xc2\xa0"
	                               "b.pdf")); /* U+00A0 is a space, not a control */
	/* bidirectional controls: U+202E makes "\u202Efdp.exe" read "exe.pdf" */
	assert_false(validate_file_name("invoice\xe2\x80\xae"
	                                "fdp.exe")); /* U+202E RLO */
	assert_false(validate_file_name("a\xe2\x80\xaa"
	                                "b")); /* U+202A LRE */
	assert_false(validate_file_name("a\xe2\x80\x8e"
	                                "b")); /* U+200E LRM */
	assert_false(validate_file_name("a\xe2\x80\x8f"
	                                "b")); /* U+200F RLM */
	assert_false(validate_file_name("a\xe2\x81\xa6"
	                                "b")); /* U+2066 LRI */
	assert_false(validate_file_name("a\xe2\x81\xa9"
	                                "b")); /* U+2069 PDI */
	assert_false(validate_file_name("a\xd8\x9c"
	                                "b")); /* U+061C ALM */
	assert_true(validate_file_name("a\xe2\x80\xaf"
	                               "b")); /* U+202F, a space */
	assert_true(validate_file_name("a\xe2\x81\xa5"
	                               "b")); /* U+2065, unassigned */
	/* not UTF-8 */
	assert_false(validate_file_name("a\xff.pdf"));
	assert_false(validate_file_name("a\xc0\xaf.pdf")); /* overlong '/' */
}

static void
text_refuses_controls_and_bidi_overrides(void **state)
{
	unsigned long cp = 0;
	(void)state;
	assert_int_equal(validate_text("Zoë Ødegård عمر 🎬", 0, &cp), -1);
	assert_int_equal(validate_text("", 0, &cp), -1);
	/* the list, one by one, at the third character */
	const char *bad[] = {"ab\x01",         "ab\t",          "ab\n",           "ab\r",
	                     "ab\x1f",         "ab\x7f",        "ab\xe2\x80\xaa", "ab\xe2\x80\xae",
	                     "ab\xe2\x81\xa6", "ab\xe2\x81\xa9"};
	const unsigned long cps[] = {0x01, 0x09,   0x0a,   0x0d,   0x1f,
	                             0x7f, 0x202a, 0x202e, 0x2066, 0x2069};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(validate_text(bad[i], 0, &cp), 2);
		assert_int_equal(cp, cps[i]);
	}
	/* the character index counts characters, not bytes */
	assert_int_equal(validate_text("éé\x07", 0, &cp), 2);
	/* a multi-line note keeps TAB and LF, and nothing else */
	assert_int_equal(validate_text("a\n\tb", 1, &cp), -1);
	assert_int_equal(validate_text("a\r\nb", 1, &cp), 1);
	assert_int_equal(cp, 0x0d);
	assert_int_equal(validate_text("a\xe2\x80\xae"
	                               "b",
	                               1, &cp),
	                 1);
	/* not flagged: marks a right-to-left name needs (LRM, RLM) and C1 (not in the list) */
	assert_int_equal(validate_text("\xe2\x80\x8f", 0, &cp), -1);
	assert_int_equal(validate_text(NULL, 0, &cp), -1);
}

static void
blank_means_empty_or_only_white_space(void **state)
{
	(void)state;
	assert_true(validate_blank(NULL));
	assert_true(validate_blank(""));
	assert_true(validate_blank("   "));
	assert_true(validate_blank(" \t\n"));
	assert_true(
	    validate_blank("\xc2\xa0\xe3\x80\x80\xe2\x80\x8b")); /* NBSP, ideographic, ZWSP */
	assert_false(validate_blank(" a "));
	assert_false(validate_blank("\xe5\xb1\xb1")); /* 山 */
}

static void
a_date_no_later_than_today(void **state)
{
	(void)state;
	assert_int_equal(validate_date_not_after("1990-05-01", "2026-12-03"), 1);
	assert_int_equal(validate_date_not_after("2026-12-03", "2026-12-03"), 1);
	assert_int_equal(validate_date_not_after("2026-12-04", "2026-12-03"), 0);
	assert_int_equal(validate_date_not_after("2027-01-01", "2026-12-31"), 0);
	assert_int_equal(validate_date_not_after("2026-02-30", "2026-12-03"), -1);
	assert_int_equal(validate_date_not_after("", "2026-12-03"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(times_read_as_minutes_and_run_past_midnight),
	    cmocka_unit_test(dates_are_real_calendar_days),
	    cmocka_unit_test(phones_take_digits_and_punctuation_only),
	    cmocka_unit_test(file_names_refuse_controls_bidi_separators_and_dots),
	    cmocka_unit_test(text_refuses_controls_and_bidi_overrides),
	    cmocka_unit_test(blank_means_empty_or_only_white_space),
	    cmocka_unit_test(a_date_no_later_than_today),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

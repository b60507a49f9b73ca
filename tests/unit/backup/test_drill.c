/* A drill's row counts (backup/backup.c, THE SENTINEL): the live counts recorded with the
 * sentinel against the restore's, and the first table that differs is named. */
#include "cmocka_all.h"

#include <string.h>

#include "backup/backup.h"

static const char live[] = "{\"audit_event\":19,\"backup_sentinel\":1,\"department\":7}";

static void
equal_counts_pass(void **state)
{
	char why[200];
	(void)state;
	assert_int_equal(backup_counts_differ(live, live, why, sizeof(why)), 0);
	/* the order of the keys does not matter */
	assert_int_equal(backup_counts_differ(live,
	                                      "{\"department\":7,\"backup_sentinel\":1,"
	                                      "\"audit_event\":19}",
	                                      why, sizeof(why)),
	                 0);
	assert_string_equal(why, "");
}

static void
a_count_that_differs_is_named(void **state)
{
	char why[200];
	(void)state;
	/* a restore that went one commit past the sentinel: one audit event more */
	assert_int_equal(backup_counts_differ(live,
	                                      "{\"audit_event\":20,\"backup_sentinel\":1,"
	                                      "\"department\":7}",
	                                      why, sizeof(why)),
	                 1);
	assert_string_equal(why, "table audit_event has 20 rows, the live database had 19 at that "
	                         "commit");
	/* a doctored record: fewer departments than the restore holds */
	assert_int_equal(
	    backup_counts_differ("{\"audit_event\":19,\"backup_sentinel\":1,\"department\":6}",
	                         live, why, sizeof(why)),
	    1);
	assert_string_equal(why, "table department has 7 rows, the live database had 6 at that "
	                         "commit");
}

static void
a_table_missing_on_either_side_is_named(void **state)
{
	char why[200];
	(void)state;
	assert_int_equal(
	    backup_counts_differ(live, "{\"audit_event\":19,\"department\":7}", why, sizeof(why)),
	    1);
	assert_string_equal(why,
	                    "table backup_sentinel is missing (the live database had 1 rows at "
	                    "that commit)");
	assert_int_equal(
	    backup_counts_differ("{\"audit_event\":19,\"department\":7}", live, why, sizeof(why)),
	    1);
	assert_string_equal(why, "table backup_sentinel (1 rows) was not in the live database at "
	                         "that commit");
}

static void
a_record_that_does_not_read_is_an_error(void **state)
{
	char why[200];
	(void)state;
	assert_int_equal(backup_counts_differ("", live, why, sizeof(why)), -1);
	assert_int_equal(backup_counts_differ(live, "[1,2]", why, sizeof(why)), -1);
	assert_int_equal(backup_counts_differ("{\"department\":\"7\"}", live, why, sizeof(why)),
	                 -1);
	assert_int_equal(backup_counts_differ(NULL, live, why, sizeof(why)), -1);
	assert_string_equal(why, "the row counts do not read");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(equal_counts_pass),
	    cmocka_unit_test(a_count_that_differs_is_named),
	    cmocka_unit_test(a_table_missing_on_either_side_is_named),
	    cmocka_unit_test(a_record_that_does_not_read_is_an_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

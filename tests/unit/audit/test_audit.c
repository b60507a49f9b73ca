/* The audit log's hash chain: appended in order, verified, and any edit or removal detected. */
#include "cmocka_all.h"
#include "tmpdb.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"

static struct store *
with_events(int n)
{
	struct err e;
	struct store *s = store_open(tmpdb_path, 1, tmpdb_keys(), &e);
	assert_non_null(s);
	for (int i = 0; i < n; i++) {
		struct audit_entry a = {
		    i % 2 ? "usr_a" : NULL,        "127.0.0.1", "auth.login", NULL,
		    i % 3 ? "success" : "failure", "rid",       NULL};
		assert_int_equal(audit_record(s, &a, &e), 0);
	}
	return s;
}

static void
tamper(const char *sql)
{
	sqlite3 *raw;
	assert_int_equal(sqlite3_open(tmpdb_path, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
}

static void
an_untouched_chain_verifies(void **state)
{
	struct err e;
	long long count, bad;
	struct store *s = with_events(5);
	(void)state;
	assert_int_equal(audit_verify(s, &count, &bad, &e), 0);
	assert_int_equal(count, 5);
	assert_int_equal(bad, 0);
	store_close(s);
}

static void
an_edited_row_breaks_the_chain_there(void **state)
{
	struct err e;
	long long count, bad;
	struct store *s = with_events(5);
	(void)state;
	tamper("UPDATE audit_event SET outcome = 'tampered' WHERE seq = 3");
	assert_int_equal(audit_verify(s, &count, &bad, &e), 0);
	assert_int_equal(bad, 3);
	store_close(s);
}

static void
a_removed_row_breaks_the_chain(void **state)
{
	struct err e;
	long long count, bad;
	struct store *s = with_events(5);
	(void)state;
	tamper("DELETE FROM audit_event WHERE seq = 2");
	assert_int_equal(audit_verify(s, &count, &bad, &e), 0);
	assert_int_equal(bad, 2);
	store_close(s);
}

static void
a_null_and_an_empty_field_hash_differently(void **state)
{
	struct err e;
	long long count, bad;
	struct store *s = with_events(2);
	(void)state;
	tamper("UPDATE audit_event SET actor = '' WHERE seq = 1");
	assert_int_equal(audit_verify(s, &count, &bad, &e), 0);
	assert_int_equal(bad, 1);
	store_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(an_untouched_chain_verifies, tmpdb_setup,
	                                    tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(an_edited_row_breaks_the_chain_there, tmpdb_setup,
	                                    tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(a_removed_row_breaks_the_chain, tmpdb_setup,
	                                    tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(a_null_and_an_empty_field_hash_differently, tmpdb_setup,
	                                    tmpdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

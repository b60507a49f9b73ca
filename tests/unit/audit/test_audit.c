/* The audit log's hash chain: appended in order, verified, and any edit or removal detected. */
#include "cmocka_all.h"
#include "tmpdb.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "domain/retention.h"
#include "util/config.h"

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

static int
first_hash(const struct store_audit_event *ev, void *arg)
{
	snprintf(arg, 65, "%s", ev->hash);
	return 1; /* the first event is enough */
}

/*
 * The hash of src/audit/audit.c's layout, computed apart (Python's hashlib)
 * for a read's event naming 100 people: any SHA-256 the chain uses must give it.
 */
static void
the_chain_hash_is_the_documented_sha256(void **state)
{
	struct err e;
	char ids[100 * 37], hash[65] = "";
	size_t len = 0;
	struct store *s = store_open(tmpdb_path, 1, tmpdb_keys(), &e);
	(void)state;
	assert_non_null(s);
	for (unsigned i = 0; i < 100; i++)
		len += (size_t)snprintf(ids + len, sizeof(ids) - len, "%s%08x-0000-4000-8000-%012x",
		                        i ? "," : "", i, i * 7919);
	assert_int_equal(len, 3699);
	{
		struct audit_entry a = {
		    "usr_ad", "127.0.0.1", "person.read_private", ids, "success", "req-1", NULL};
		assert_int_equal(audit_record_at(s, &a, "2026-12-05T10:00:00.000Z", &e), 0);
	}
	assert_int_equal(store_audit_scan(s, first_hash, hash, &e), 0);
	assert_string_equal(hash,
	                    "2d3661187ab5ebceedd9ebbcbfafe4bb7d97e08b5286f60f44efd3570ebf32de");
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

/* n events written at old times (2020), then n at now: a log with a prefix past retention. */
static struct store *
with_old_and_new(int n)
{
	struct err e;
	struct store *s = store_open(tmpdb_path, 1, tmpdb_keys(), &e);
	assert_non_null(s);
	for (int i = 0; i < 2 * n; i++) {
		char at[32];
		struct audit_entry a = {"usr_a",   "127.0.0.1", "auth.login", NULL,
		                        "success", NULL,        NULL};
		/* seconds 0 to 59: the old events (n is small) */
		snprintf(at, sizeof(at), "2020-01-01T00:00:%02u.000Z", (unsigned)i % 60u);
		if (i < n)
			assert_int_equal(audit_record_at(s, &a, at, &e), 0);
		else
			assert_int_equal(audit_record(s, &a, &e), 0);
	}
	return s;
}

static void
retention_config(struct config *c)
{
	config_defaults(c);
	free(c->data_dir);
	c->data_dir = strdup(tmpdb_dir);
}

/* The retention run's audit kind, with the settings' defaults (730 days) at now. */
static void
run_retention(struct store *s, int dry_run, struct retention_report *r)
{
	struct config c;
	struct err e;
	retention_config(&c);
	assert_int_equal(retention_run(s, &c, (long long)time(NULL), dry_run, r, &e), 0);
	config_free(&c);
}

static void
the_chain_verifies_after_retention_removes_its_oldest_events(void **state)
{
	struct err e;
	long long count, bad;
	struct retention_report r;
	struct store *s = with_old_and_new(4);
	(void)state;
	run_retention(s, 1, &r); /* a dry run counts and removes nothing */
	assert_int_equal(r.removed[RETENTION_AUDIT], 4);
	assert_int_equal(audit_verify(s, &count, &bad, &e), 0);
	assert_int_equal(count, 8);
	run_retention(s, 0, &r);
	assert_int_equal(r.ok, 1);
	assert_int_equal(r.removed[RETENTION_AUDIT], 4);
	assert_int_equal(r.audit_through, 4);
	assert_int_equal(audit_verify(s, &count, &bad, &e), 0);
	assert_int_equal(bad, 0);
	assert_int_equal(count, 5); /* the 4 new ones and retention.audit */
	/* a second run finds nothing more and writes no event */
	run_retention(s, 0, &r);
	assert_int_equal(r.removed[RETENTION_AUDIT], 0);
	assert_int_equal(audit_verify(s, &count, &bad, &e), 0);
	assert_int_equal(bad, 0);
	assert_int_equal(count, 5);
	store_close(s);
}

static void
after_retention_a_removed_middle_event_is_still_detected(void **state)
{
	struct err e;
	long long count, bad;
	struct retention_report r;
	struct store *s = with_old_and_new(3);
	(void)state;
	run_retention(s, 0, &r);
	assert_int_equal(r.audit_through, 3);
	tamper("DELETE FROM audit_event WHERE seq = 5");
	assert_int_equal(audit_verify(s, &count, &bad, &e), 0);
	assert_int_equal(bad, 5);
	store_close(s);
}

static void
removing_more_than_retention_did_is_detected(void **state)
{
	struct err e;
	long long count, bad;
	struct retention_report r;
	struct store *s = with_old_and_new(3);
	(void)state;
	run_retention(s, 0, &r);
	/* the first event after the cut goes too: the start no longer matches the cut */
	tamper("DELETE FROM audit_event WHERE seq = 4");
	assert_int_equal(audit_verify(s, &count, &bad, &e), 0);
	assert_int_equal(bad, 4);
	store_close(s);
}

static void
removing_the_retention_event_with_the_prefix_is_detected(void **state)
{
	struct err e;
	long long count, bad;
	struct retention_report r;
	struct store *s = with_old_and_new(2);
	struct audit_entry a = {"usr_a", "127.0.0.1", "auth.logout", NULL, "success", NULL, NULL};
	(void)state;
	run_retention(s, 0, &r);
	assert_int_equal(audit_record(s, &a, &e), 0); /* seq 6 */
	/* everything up to and with retention.audit (seq 5): no cut is named any more */
	tamper("DELETE FROM audit_event WHERE seq <= 5");
	assert_int_equal(audit_verify(s, &count, &bad, &e), 0);
	assert_int_equal(bad, 1);
	store_close(s);
}

static void
the_retention_event_names_counts_and_the_anchor_only(void **state)
{
	char o[160];
	(void)state;
	audit_retention_object(o, sizeof(o), 12, 40, "ab");
	assert_string_equal(o, "removed=12 through=40 anchor=ab");
}

static void
cutoffs_are_the_settings_before_now(void **state)
{
	struct config c;
	struct retention_cutoffs cut;
	(void)state;
	config_defaults(&c);
	retention_cutoffs(&c, 1700000000LL, &cut);
	assert_int_equal(cut.before[RETENTION_SESSIONS], 1700000000LL - 30LL * 86400);
	assert_int_equal(cut.before[RETENTION_API_TOKENS], 1700000000LL - 30LL * 86400);
	assert_int_equal(cut.before[RETENTION_THROTTLE], 1700000000LL - 30LL * 86400);
	assert_int_equal(cut.before[RETENTION_OUTBOX], 1700000000LL - 24LL * 3600);
	assert_int_equal(cut.before[RETENTION_AUDIT], 1700000000LL - 730LL * 86400);
	assert_int_equal(cut.before[RETENTION_DRILL_SCRATCH], 1700000000LL - 24LL * 3600);
	/* 1700000000 - 730 days = 2021-11-14T22:13:20Z, in the log's own form */
	assert_string_equal(cut.audit_before, "2021-11-14T22:13:20.000Z");
	config_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(the_chain_hash_is_the_documented_sha256, tmpdb_setup,
	                                    tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(an_untouched_chain_verifies, tmpdb_setup,
	                                    tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(an_edited_row_breaks_the_chain_there, tmpdb_setup,
	                                    tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(a_removed_row_breaks_the_chain, tmpdb_setup,
	                                    tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(a_null_and_an_empty_field_hash_differently, tmpdb_setup,
	                                    tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(
	        the_chain_verifies_after_retention_removes_its_oldest_events, tmpdb_setup,
	        tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(
	        after_retention_a_removed_middle_event_is_still_detected, tmpdb_setup,
	        tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(removing_more_than_retention_did_is_detected,
	                                    tmpdb_setup, tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(
	        removing_the_retention_event_with_the_prefix_is_detected, tmpdb_setup,
	        tmpdb_teardown),
	    cmocka_unit_test(the_retention_event_names_counts_and_the_anchor_only),
	    cmocka_unit_test(cutoffs_are_the_settings_before_now),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

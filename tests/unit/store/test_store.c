/* The SQLite store: migrations recorded once, newer schemas refused, users found
 * case-insensitively. */
#include "cmocka_all.h"
#include "tmpdb.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "store/store_sqlite.h"

static void
migrations_apply_once(void **state)
{
	struct err e;
	struct store *s;
	int v = -1;
	(void)state;
	s = store_open(tmpdb_path, 1, tmpdb_keys(), &e);
	assert_non_null(s);
	assert_int_equal(store_schema_version(s, &v, &e), 0);
	assert_int_equal(v, store_known_version());
	assert_int_equal(store_ping(s, &e), 0);
	store_close(s);
	s = store_open(tmpdb_path, 0, tmpdb_keys(),
	               &e); /* a second open applies nothing and fails nothing */
	assert_non_null(s);
	store_close(s);
}

static void
a_newer_schema_is_refused(void **state)
{
	struct err e;
	struct store *s;
	sqlite3 *raw;
	char sql[160];
	(void)state;
	s = store_open(tmpdb_path, 1, tmpdb_keys(), &e);
	store_close(s);
	assert_int_equal(sqlite3_open(tmpdb_path, &raw), SQLITE_OK);
	snprintf(
	    sql, sizeof(sql),
	    "INSERT INTO schema_migrations VALUES (%d, 'from_the_future', '2030-01-01T00:00:00Z')",
	    store_known_version() + 1);
	assert_int_equal(sqlite3_exec(raw, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
	assert_null(store_open(tmpdb_path, 0, tmpdb_keys(), &e));
	assert_non_null(strstr(e.msg, "newer than this slate knows"));
}

static void
a_missing_database_is_not_created_by_serve(void **state)
{
	struct err e;
	(void)state;
	assert_null(store_open(tmpdb_path, 0, tmpdb_keys(), &e));
	assert_int_equal(access(tmpdb_path, F_OK), -1);
}

static void
users_are_unique_and_found_case_insensitively(void **state)
{
	struct err e;
	struct store *s;
	struct store_user u, got;
	(void)state;
	s = store_open(tmpdb_path, 1, tmpdb_keys(), &e);
	memset(&u, 0, sizeof(u));
	strcpy(u.email, "Ada@Example.org");
	strcpy(u.display_name, "Ada");
	strcpy(u.password_hash, "$argon2id$x");
	assert_int_equal(store_user_create(s, &u, &e), 0);
	assert_int_equal(strncmp(u.id, "usr_", 4), 0);
	assert_int_equal(store_user_by_email(s, "ada@example.ORG", &got, &e), 1);
	assert_string_equal(got.id, u.id);
	assert_string_equal(got.email, "Ada@Example.org");
	assert_int_equal(store_user_by_email(s, "bob@example.org", &got, &e), 0);
	strcpy(u.email, "ADA@example.org");
	assert_int_equal(store_user_create(s, &u, &e), -1);
	assert_int_equal(e.status, 409);
	store_close(s);
}

/*
 * A database written before migration 0010 holds emails, secrets and mail in the clear, in a
 * plaintext file: it is refused until converted, then its rows are sealed at the next open.
 */
static void
rows_from_before_the_keystore_are_sealed_at_the_next_open(void **state)
{
	struct err e;
	struct store *s;
	struct store_user got;
	struct store_totp t;
	sqlite3 *db;
	sqlite3_stmt *st;
	(void)state;
	s = store_open(tmpdb_path, 1, NULL, &e); /* the schema, no keys: a plaintext file */
	assert_non_null(s);
	store_close(s);
	assert_int_equal(sqlite3_open_v2(tmpdb_path, &db, SQLITE_OPEN_READWRITE, "unix"),
	                 SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(
	        db,
	        "INSERT INTO app_user (id, email_sealed, email_index, display_name, "
	        "password_hash, created_at) VALUES ('usr_old', 'Old.Hand@Example.org', "
	        "'old.hand@example.org', 'Old Hand', '$argon2id$x', '2026-01-01T00:00:00Z');"
	        "INSERT INTO mfa_totp (user_id, secret) VALUES ('usr_old', 'JBSWY3DPEHPK3PXP');"
	        "INSERT INTO outbox (id, created_at, to_addr, subject, body) VALUES "
	        "('msg_old', 1, 'Old.Hand@Example.org', 'Hello', 'a link inside');",
	        NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	assert_null(store_open(tmpdb_path, 0, tmpdb_keys(), &e));
	assert_non_null(
	    strstr(e.msg, "is not encrypted: stop Slate and run slate migrate-encryption"));
	assert_int_equal(store_encrypt(tmpdb_path, tmpdb_keys(), &e), 0);
	assert_int_equal(store_encrypt(tmpdb_path, tmpdb_keys(), &e), 1); /* once is enough */
	assert_int_equal(access(tmpdb_path, F_OK), 0);
	{
		char copy[160];
		snprintf(copy, sizeof(copy), "%s.encrypting", tmpdb_path);
		assert_int_equal(access(copy, F_OK), -1);
	}
	s = store_open(tmpdb_path, 0, tmpdb_keys(), &e);
	assert_non_null(s);
	assert_int_equal(store_user_by_email(s, "old.hand@EXAMPLE.org", &got, &e), 1);
	assert_string_equal(got.email, "Old.Hand@Example.org");
	assert_int_equal(store_totp_get(s, "usr_old", &t, &e), 1);
	assert_string_equal(t.secret, "JBSWY3DPEHPK3PXP");
	store_close(s);
	assert_int_equal(sqlite3_open(tmpdb_path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
	                                    "SELECT COUNT(*) FROM app_user a, mfa_totp m, outbox o "
	                                    "WHERE a.email_sealed LIKE 'sf1.%' AND m.secret LIKE "
	                                    "'sf1.%' AND o.to_addr LIKE 'sf1.%' AND o.body LIKE "
	                                    "'sf1.%' AND length(a.email_index) = 64",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 1);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void
ids_are_random_and_well_formed(void **state)
{
	char a[40], b[40];
	(void)state;
	store_new_id(a, sizeof(a), "prd");
	store_new_id(b, sizeof(b), "prd");
	assert_int_equal(strlen(a), STORE_ID_LEN);
	assert_string_not_equal(a, b);
	assert_int_equal(strspn(a + 4, "abcdefghijklmnopqrstuvwxyz234567"), 26);
}

/*
 * Writers of one process queue on a mutex per database (store_begin): a
 * nested BEGIN fails without giving it up, and COMMIT and ROLLBACK hand it
 * on, so the next writer of another connection starts at once.
 */
static void
writers_hand_the_database_on(void **state)
{
	struct err e;
	struct store *a, *b;
	struct timespec t0, t1;
	(void)state;
	a = store_open(tmpdb_path, 1, tmpdb_keys(), &e);
	b = store_open(tmpdb_path, 0, tmpdb_keys(), &e);
	assert_non_null(a);
	assert_non_null(b);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(store_begin(a, &e), 0);
	assert_int_equal(store_begin(a, &e), -1); /* nested: SQLite refuses it */
	assert_int_equal(store_commit(a, &e), 0);
	assert_int_equal(store_begin(b, &e), 0);
	store_rollback(b);
	assert_int_equal(store_begin(a, &e), 0);
	store_rollback(a);
	assert_int_equal(store_begin(b, &e), 0);
	assert_int_equal(store_commit(b, &e), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 2); /* nobody waited for a timeout */
	store_close(b);
	store_close(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(migrations_apply_once, tmpdb_setup, tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(a_newer_schema_is_refused, tmpdb_setup, tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(a_missing_database_is_not_created_by_serve, tmpdb_setup,
	                                    tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(users_are_unique_and_found_case_insensitively,
	                                    tmpdb_setup, tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(
	        rows_from_before_the_keystore_are_sealed_at_the_next_open, tmpdb_setup,
	        tmpdb_teardown),
	    cmocka_unit_test(ids_are_random_and_well_formed),
	    cmocka_unit_test_setup_teardown(writers_hand_the_database_on, tmpdb_setup,
	                                    tmpdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

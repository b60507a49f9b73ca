/*
 * The store's generation and the loop caches built on it (api/cache.c): an
 * entry is given back only while no data has been written since it was
 * read — by this connection, by another one, or by another process. Audit
 * events and session touches are not data: they leave the generation alone.
 */
#include "cmocka_all.h"
#include "tmpdb.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/cache.h"
#include "audit/audit.h"
#include "store/store.h"

static struct store *
open_db(void)
{
	struct err e;
	struct store *s = store_open(tmpdb_path, 1, tmpdb_keys(), &e);
	assert_non_null(s);
	return s;
}

static struct store_gen
gen_of(struct store *s)
{
	struct store_gen g;
	struct err e;
	assert_int_equal(store_generation(s, &g, &e), 0);
	return g;
}

static void
write_user(struct store *s, const char *email)
{
	struct store_user u;
	struct err e;
	memset(&u, 0, sizeof(u));
	snprintf(u.email, sizeof(u.email), "%s", email);
	strcpy(u.display_name, "Someone");
	strcpy(u.password_hash, "$argon2id$x");
	assert_int_equal(store_user_create(s, &u, &e), 0);
}

static struct store_session
a_session(const char *id)
{
	struct store_session ses;
	memset(&ses, 0, sizeof(ses));
	snprintf(ses.id, sizeof(ses.id), "%s", id);
	strcpy(ses.user.id, "usr_someone");
	ses.expires_at = 1234;
	return ses;
}

static const char hash_a[] = "aaaa0000aaaa0000aaaa0000aaaa0000aaaa0000aaaa0000aaaa0000aaaa0000";
static const char csrf_a[] = "csrf-of-a";

static void
the_generation_stands_still_while_only_reads_happen(void **state)
{
	struct store *s = open_db();
	struct store_gen a, b;
	int v;
	struct err e;
	(void)state;
	a = gen_of(s);
	assert_int_equal(store_schema_version(s, &v, &e), 0);
	b = gen_of(s);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_int_equal(store_generation_own_same(s, &a), 1);
	store_close(s);
}

static void
an_own_write_moves_the_generation(void **state)
{
	struct store *s = open_db();
	struct store_gen a, b;
	(void)state;
	a = gen_of(s);
	write_user(s, "one@example.org");
	assert_int_equal(store_generation_own_same(s, &a), 0);
	b = gen_of(s);
	assert_true(a.changes != b.changes);
	store_close(s);
}

static void
a_commit_by_another_process_moves_the_generation(void **state)
{
	struct store *s = open_db();
	struct store_gen a, b;
	sqlite3 *raw;
	(void)state;
	a = gen_of(s);
	assert_int_equal(sqlite3_open(tmpdb_path, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, "CREATE TABLE scratch (x)", NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(raw);
	/* the connection itself wrote nothing... */
	assert_int_equal(store_generation_own_same(s, &a), 1);
	/* ...but the next request's generation is another */
	b = gen_of(s);
	assert_true(a.schema != b.schema || a.data != b.data);
	store_close(s);
}

static void
no_generation_is_given_inside_a_transaction(void **state)
{
	struct store *s = open_db();
	struct store_gen g;
	struct err e;
	(void)state;
	assert_int_equal(store_begin(s, &e), 0);
	assert_int_equal(store_generation(s, &g, &e), -1);
	store_rollback(s);
	store_close(s);
}

static void
a_kept_session_comes_back_only_at_its_generation(void **state)
{
	struct store *s = open_db();
	struct store_gen g = gen_of(s), later;
	struct store_session in = a_session("ses_1"), out;
	char csrf[TOKEN_TEXT_LEN];
	(void)state;
	cache_session_put(s, &g, hash_a, &in, csrf_a);
	assert_int_equal(cache_session_get(s, &g, hash_a, &out, csrf), 1);
	assert_string_equal(out.id, "ses_1");
	assert_int_equal(out.expires_at, 1234);
	assert_string_equal(csrf, csrf_a);
	/* another token misses */
	assert_int_equal(cache_session_get(s, &g, "bbbb", &out, csrf), 0);
	/* no generation: no cache */
	assert_int_equal(cache_session_get(s, NULL, hash_a, &out, csrf), 0);
	/* any write: the entry is stale, under the old generation and the new one */
	write_user(s, "two@example.org");
	assert_int_equal(cache_session_get(s, &g, hash_a, &out, csrf), 0);
	later = gen_of(s);
	assert_int_equal(cache_session_get(s, &later, hash_a, &out, csrf), 0);
	store_close(s);
}

static void
what_was_read_after_an_own_write_is_not_kept(void **state)
{
	struct store *s = open_db();
	struct store_gen g = gen_of(s), later;
	struct store_session in = a_session("ses_2"), out;
	char csrf[TOKEN_TEXT_LEN];
	(void)state;
	write_user(s, "three@example.org"); /* the request's own write, after g */
	cache_session_put(s, &g, hash_a, &in, csrf_a);
	later = gen_of(s);
	assert_int_equal(cache_session_get(s, &later, hash_a, &out, csrf), 0);
	assert_int_equal(cache_session_get(s, &g, hash_a, &out, csrf), 0);
	store_close(s);
}

static void
another_connection_never_sees_this_ones_entries(void **state)
{
	struct store *s = open_db(), *t = open_db();
	struct store_gen gs = gen_of(s), gt = gen_of(t);
	struct store_session in = a_session("ses_3"), out;
	char csrf[TOKEN_TEXT_LEN];
	(void)state;
	cache_session_put(s, &gs, hash_a, &in, csrf_a);
	assert_int_equal(cache_session_get(t, &gt, hash_a, &out, csrf), 0);
	/* nor with the first one's generation */
	assert_int_equal(cache_session_get(t, &gs, hash_a, &out, csrf), 0);
	assert_int_equal(cache_session_get(s, &gs, hash_a, &out, csrf), 1);
	store_close(t);
	store_close(s);
}

static void
a_kept_reader_knows_its_called_days_as_they_were(void **state)
{
	struct store *s = open_db();
	struct store_gen g = gen_of(s);
	struct api_reader rd, out;
	(void)state;
	memset(&rd, 0, sizeof(rd));
	strcpy(rd.a.production.id, "prd_one");
	strcpy(rd.person_id, "per_me");
	rd.has_role = 1;
	rd.role = POLICY_ROLE_CREW;
	rd.called_loaded = 1;
	rd.ncalled = 2;
	rd.called = calloc(API_MAX_CALLED, sizeof(rd.called[0]));
	strcpy(rd.called[0], "day_1");
	strcpy(rd.called[1], "day_2");
	cache_reader_put(s, &g, "usr_me", 0, &rd);
	assert_int_equal(cache_reader_get(s, &g, "usr_me", 1, "prd_one", &out),
	                 0); /* admin or not */
	assert_int_equal(cache_reader_get(s, &g, "usr_me", 0, "prd_two", &out), 0);
	assert_int_equal(cache_reader_get(s, &g, "usr_you", 0, "prd_one", &out), 0);
	assert_int_equal(cache_reader_get(s, &g, "usr_me", 0, NULL, &out), 0);
	assert_int_equal(cache_reader_get(s, &g, "usr_me", 0, "prd_one", &out), 1);
	assert_string_equal(out.person_id, "per_me");
	/* the called days stay in the cache: nothing in out to free */
	assert_int_equal(out.called_loaded, 0);
	assert_null(out.called);
	assert_int_equal(cache_reader_called(s, &g, "usr_me", 0, "prd_one", "day_2"), 1);
	assert_int_equal(cache_reader_called(s, &g, "usr_me", 0, "prd_one", "day_3"), 0);
	assert_int_equal(cache_reader_called(s, &g, "usr_me", 0, "prd_two", "day_2"), -1);
	/* the caller's copy is theirs: changing it changes nothing kept */
	strcpy(rd.called[1], "day_9");
	assert_int_equal(cache_reader_called(s, &g, "usr_me", 0, "prd_one", "day_2"), 1);
	api_reader_free(&rd);
	/* a reader kept before its days were loaded does not know them */
	rd = out;
	strcpy(rd.a.production.id, "prd_three");
	cache_reader_put(s, &g, "usr_me", 0, &rd);
	assert_int_equal(cache_reader_called(s, &g, "usr_me", 0, "prd_three", "day_2"), -1);
	write_user(s, "five@example.org");
	assert_int_equal(cache_reader_called(s, &g, "usr_me", 0, "prd_one", "day_2"), -1);
	store_close(s);
}

static void
a_kept_call_sheet_answers_only_for_its_production(void **state)
{
	struct store *s = open_db();
	struct store_gen g = gen_of(s);
	struct store_callsheet cs, got;
	struct store_day d, gotd;
	const char *resp = NULL;
	size_t len = 0;
	(void)state;
	memset(&cs, 0, sizeof(cs));
	memset(&d, 0, sizeof(d));
	strcpy(cs.id, "cs_1");
	strcpy(cs.production_id, "prd_one");
	strcpy(cs.day_id, "day_1");
	strcpy(d.id, "day_1");
	cache_sheet_put(s, &g, &cs, &d, "{\"sheet\":1}", 11);
	assert_int_equal(cache_sheet_get(s, &g, "prd_two", "cs_1", &got, &gotd, &resp, &len), 0);
	assert_int_equal(cache_sheet_get(s, &g, "prd_one", "cs_2", &got, &gotd, &resp, &len), 0);
	assert_int_equal(cache_sheet_get(s, &g, "prd_one", "cs_1", &got, &gotd, &resp, &len), 1);
	assert_int_equal(len, 11);
	assert_memory_equal(resp, "{\"sheet\":1}", 11);
	assert_string_equal(gotd.id, "day_1");
	assert_null(got.body);
	write_user(s, "four@example.org");
	assert_int_equal(cache_sheet_get(s, &g, "prd_one", "cs_1", &got, &gotd, &resp, &len), 0);
	store_close(s);
}

static void
a_kept_people_page_answers_only_its_key_at_its_generation(void **state)
{
	struct store *s = open_db();
	struct store_gen g = gen_of(s), later;
	const char *resp = NULL, *ids = NULL;
	size_t len = 0;
	char *big;
	(void)state;
	cache_people_put(s, &g, "usr_a|prd_one|100", "{\"people\":[1]}", 14, "per_a,per_b");
	cache_people_put(s, &g, "usr_a|prd_one|5", "{\"people\":[]}", 13, NULL);
	assert_int_equal(cache_people_get(s, &g, "usr_b|prd_one|100", &resp, &len, &ids), 0);
	assert_int_equal(cache_people_get(s, &g, "usr_a|prd_one|100", &resp, &len, &ids), 1);
	assert_int_equal(len, 14);
	assert_memory_equal(resp, "{\"people\":[1]}", 14);
	assert_string_equal(ids, "per_a,per_b");
	assert_int_equal(cache_people_get(s, &g, "usr_a|prd_one|5", &resp, &len, &ids), 1);
	assert_null(ids);
	/* a page too large to keep is not kept */
	big = calloc(1, 600 * 1024);
	assert_non_null(big);
	cache_people_put(s, &g, "usr_a|prd_one|500", big, 600 * 1024, NULL);
	free(big);
	assert_int_equal(cache_people_get(s, &g, "usr_a|prd_one|500", &resp, &len, &ids), 0);
	/* a write of data: gone for the next generation and for the old one */
	write_user(s, "five@example.org");
	later = gen_of(s);
	assert_int_equal(cache_people_get(s, &later, "usr_a|prd_one|100", &resp, &len, &ids), 0);
	assert_int_equal(cache_people_get(s, &g, "usr_a|prd_one|100", &resp, &len, &ids), 0);
	/* a put under a generation older than an own write keeps nothing */
	cache_people_put(s, &g, "usr_a|prd_one|100", "{}", 2, NULL);
	assert_int_equal(cache_people_get(s, &later, "usr_a|prd_one|100", &resp, &len, &ids), 0);
	store_close(s);
}

static void
audit(struct store *s)
{
	struct audit_entry a = {
	    "usr_x", "127.0.0.1", "person.read_private", "per_a,per_b", "success", "req", NULL};
	struct err e;
	assert_int_equal(audit_record(s, &a, &e), 0);
}

static int
same(const struct store_gen *a, const struct store_gen *b)
{
	return a->store == b->store && a->data == b->data && a->schema == b->schema &&
	       a->changes == b->changes;
}

static void
an_audit_event_leaves_the_generation_where_it_was(void **state)
{
	struct store *s = open_db(), *other = open_db();
	struct store_gen a, b;
	(void)state;
	a = gen_of(s);
	audit(s); /* this connection's own */
	assert_int_equal(store_generation_own_same(s, &a), 1);
	audit(other); /* another connection's: data_version moves, the data generation not */
	b = gen_of(s);
	assert_true(same(&a, &b));
	write_user(other, "five@example.org"); /* a data write by the other does move it */
	b = gen_of(s);
	assert_false(same(&a, &b));
	store_close(other);
	store_close(s);
}

static void
a_session_touch_is_quiet_and_a_revoke_is_not(void **state)
{
	struct store *s = open_db(), *other = open_db();
	struct store_user u;
	struct store_session ses;
	struct store_gen a, b;
	struct err e;
	(void)state;
	write_user(s, "six@example.org");
	assert_int_equal(store_user_by_email(s, "six@example.org", &u, &e), 1);
	assert_int_equal(store_session_create(s, u.id, hash_a, "agent", 1000, 3600, &ses, &e), 0);
	a = gen_of(s);
	assert_int_equal(store_session_touch(s, ses.id, 1100, &e), 0);
	assert_int_equal(store_generation_own_same(s, &a), 1);
	assert_int_equal(store_session_touch(other, ses.id, 1200, &e), 0);
	b = gen_of(s);
	assert_true(same(&a, &b));
	assert_int_equal(store_session_revoke(other, u.id, ses.id, 1300, &e), 1);
	b = gen_of(s);
	assert_false(same(&a, &b));
	store_close(other);
	store_close(s);
}

static void
a_table_added_later_gets_its_triggers_at_the_next_open(void **state)
{
	struct store *s = open_db(), *other;
	struct store_gen a, b;
	sqlite3 *raw;
	(void)state;
	assert_int_equal(sqlite3_open(tmpdb_path, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, "CREATE TABLE later (x)", NULL, NULL, NULL), SQLITE_OK);
	other = open_db(); /* its open adds the triggers */
	a = gen_of(s);
	assert_int_equal(sqlite3_exec(raw, "INSERT INTO later VALUES (1)", NULL, NULL, NULL),
	                 SQLITE_OK);
	b = gen_of(s);
	assert_true(a.data != b.data);
	a = b;
	assert_int_equal(sqlite3_exec(raw, "DELETE FROM later", NULL, NULL, NULL), SQLITE_OK);
	b = gen_of(s);
	assert_true(a.data != b.data);
	sqlite3_close(raw);
	store_close(other);
	store_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(the_generation_stands_still_while_only_reads_happen,
	                                    tmpdb_setup, tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(an_audit_event_leaves_the_generation_where_it_was,
	                                    tmpdb_setup, tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(a_session_touch_is_quiet_and_a_revoke_is_not,
	                                    tmpdb_setup, tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(a_table_added_later_gets_its_triggers_at_the_next_open,
	                                    tmpdb_setup, tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(
	        a_kept_people_page_answers_only_its_key_at_its_generation, tmpdb_setup,
	        tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(an_own_write_moves_the_generation, tmpdb_setup,
	                                    tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(a_commit_by_another_process_moves_the_generation,
	                                    tmpdb_setup, tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(no_generation_is_given_inside_a_transaction,
	                                    tmpdb_setup, tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(a_kept_session_comes_back_only_at_its_generation,
	                                    tmpdb_setup, tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(what_was_read_after_an_own_write_is_not_kept,
	                                    tmpdb_setup, tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(another_connection_never_sees_this_ones_entries,
	                                    tmpdb_setup, tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(a_kept_reader_knows_its_called_days_as_they_were,
	                                    tmpdb_setup, tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(a_kept_call_sheet_answers_only_for_its_production,
	                                    tmpdb_setup, tmpdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

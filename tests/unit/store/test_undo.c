/* Undoing mistakes in the store (sqlite_undo.c): holders are found, deletes stay in their
 * production, a cancelled day keeps its first cancel time, a production is renamed. */
#include "cmocka_all.h"
#include "tmpdb.h"

#include <stdio.h>
#include <string.h>

#include "store/store.h"

struct seen {
	int n;
	char kind[32], id[STORE_ID_LEN + 8], name[64];
};

static void
see(const char *kind, const char *id, const char *name, void *arg)
{
	struct seen *s = arg;
	s->n++;
	snprintf(s->kind, sizeof(s->kind), "%s", kind);
	snprintf(s->id, sizeof(s->id), "%s", id);
	snprintf(s->name, sizeof(s->name), "%s", name);
}

static struct store *
open_with_two(struct store_production *a, struct store_production *b)
{
	struct err e;
	struct store *s = store_open(tmpdb_path, 1, tmpdb_keys(), &e);
	assert_non_null(s);
	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	snprintf(a->name, sizeof(a->name), "A");
	snprintf(a->timezone, sizeof(a->timezone), "Europe/London");
	snprintf(b->name, sizeof(b->name), "B");
	snprintf(b->timezone, sizeof(b->timezone), "UTC");
	assert_int_equal(store_production_create(s, a, &e), 0);
	assert_int_equal(store_production_create(s, b, &e), 0);
	return s;
}

static void
a_location_on_a_day_is_held_and_deletes_stay_in_their_production(void **state)
{
	struct store_production a, b;
	struct store_location l;
	struct store_day d;
	struct seen seen = {0};
	struct err e;
	struct store *s = open_with_two(&a, &b);
	const char *ids[1];
	(void)state;

	memset(&l, 0, sizeof(l));
	snprintf(l.production_id, sizeof(l.production_id), "%s", a.id);
	snprintf(l.name, sizeof(l.name), "Quay");
	assert_int_equal(store_location_create(s, &l, &e), 0);
	memset(&d, 0, sizeof(d));
	snprintf(d.production_id, sizeof(d.production_id), "%s", a.id);
	snprintf(d.date, sizeof(d.date), "2027-03-01");
	snprintf(d.unit, sizeof(d.unit), "Main");
	snprintf(d.general_call, sizeof(d.general_call), "07:00");
	snprintf(d.wrap_estimate, sizeof(d.wrap_estimate), "19:00");
	assert_int_equal(store_day_create(s, &d, &e), 0);
	ids[0] = l.id;
	assert_int_equal(store_day_set_locations(s, d.id, ids, 1, &e), 0);

	assert_int_equal(store_location_holders(s, a.id, l.id, see, &seen, &e), 0);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.kind, "day");
	assert_string_equal(seen.id, d.id);
	assert_string_equal(seen.name, "2027-03-01 Main");
	/* another production neither sees the holder nor deletes the record */
	seen.n = 0;
	assert_int_equal(store_location_holders(s, b.id, l.id, see, &seen, &e), 0);
	assert_int_equal(seen.n, 0);
	assert_int_equal(store_location_delete(s, b.id, l.id, &e), 0);
	assert_int_equal(store_day_delete(s, b.id, d.id, &e), 0);

	assert_int_equal(store_day_delete(s, a.id, d.id, &e), 1);
	seen.n = 0;
	assert_int_equal(store_location_holders(s, a.id, l.id, see, &seen, &e), 0);
	assert_int_equal(seen.n, 0);
	assert_int_equal(store_location_delete(s, a.id, l.id, &e), 1);
	assert_int_equal(store_location_get(s, a.id, l.id, 0, &l, &e), 0);
	store_close(s);
}

static void
a_cancelled_day_keeps_its_first_cancel_time_until_reinstated(void **state)
{
	struct store_production a, b;
	struct store_day d, got;
	char first[32];
	struct err e;
	struct store *s = open_with_two(&a, &b);
	(void)state;

	memset(&d, 0, sizeof(d));
	snprintf(d.production_id, sizeof(d.production_id), "%s", a.id);
	snprintf(d.date, sizeof(d.date), "2027-03-02");
	snprintf(d.unit, sizeof(d.unit), "Main");
	snprintf(d.general_call, sizeof(d.general_call), "07:00");
	snprintf(d.wrap_estimate, sizeof(d.wrap_estimate), "19:00");
	assert_int_equal(store_day_create(s, &d, &e), 0);
	assert_int_equal(store_day_get(s, a.id, d.id, &got, &e), 1);
	assert_string_equal(got.cancelled_at, "");
	assert_int_equal(store_day_set_cancelled(s, b.id, d.id, 1, &e), 0);
	assert_int_equal(store_day_set_cancelled(s, a.id, d.id, 1, &e), 1);
	assert_int_equal(store_day_get(s, a.id, d.id, &got, &e), 1);
	assert_true(got.cancelled_at[0] != '\0');
	snprintf(first, sizeof(first), "%s", got.cancelled_at);
	assert_int_equal(store_day_set_cancelled(s, a.id, d.id, 1, &e), 1);
	assert_int_equal(store_day_get(s, a.id, d.id, &got, &e), 1);
	assert_string_equal(got.cancelled_at, first);
	assert_int_equal(store_day_set_cancelled(s, a.id, d.id, 0, &e), 1);
	assert_int_equal(store_day_get(s, a.id, d.id, &got, &e), 1);
	assert_string_equal(got.cancelled_at, "");
	store_close(s);
}

static void
a_production_is_renamed_and_moved(void **state)
{
	struct store_production a, b, got;
	struct err e;
	struct store *s = open_with_two(&a, &b);
	(void)state;

	snprintf(a.name, sizeof(a.name), "A, renamed");
	snprintf(a.timezone, sizeof(a.timezone), "America/New_York");
	assert_int_equal(store_production_update(s, &a, &e), 1);
	assert_int_equal(store_production_get(s, a.id, &got, &e), 1);
	assert_string_equal(got.name, "A, renamed");
	assert_string_equal(got.timezone, "America/New_York");
	assert_int_equal(store_production_get(s, b.id, &got, &e), 1);
	assert_string_equal(got.name, "B");
	store_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        a_location_on_a_day_is_held_and_deletes_stay_in_their_production, tmpdb_setup,
	        tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(
	        a_cancelled_day_keeps_its_first_cancel_time_until_reinstated, tmpdb_setup,
	        tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(a_production_is_renamed_and_moved, tmpdb_setup,
	                                    tmpdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Sign-in throttling: exponential backoff per account and address; an hourly cap that spares known
 * addresses. */
#include "cmocka_all.h"

#include "domain/throttle.h"

static const struct throttle_policy p = {5, 900, 100};

static void
free_failures_do_not_wait(void **state)
{
	struct throttle_state s = {4, 1000, 4, 990, 0};
	(void)state;
	assert_int_equal(throttle_wait(&p, &s, 1001), 0);
}

static void
backoff_doubles_and_is_capped(void **state)
{
	struct throttle_state s = {5, 1000, 5, 990, 0};
	(void)state;
	assert_int_equal(throttle_wait(&p, &s, 1000), 1); /* 2^0 */
	assert_int_equal(throttle_wait(&p, &s, 1001), 0);
	s.pair_failures = 8; /* 2^3 = 8 s after the last failure */
	assert_int_equal(throttle_wait(&p, &s, 1003), 5);
	assert_int_equal(throttle_wait(&p, &s, 1008), 0);
	s.pair_failures = 25; /* 2^20 capped at 900 */
	assert_int_equal(throttle_wait(&p, &s, 1000), 900);
	s.pair_failures = 90; /* no overflow */
	assert_int_equal(throttle_wait(&p, &s, 1100), 800);
}

static void
the_hourly_cap_holds_unknown_addresses_only(void **state)
{
	struct throttle_state s = {0, 0, 100, 1000, 0};
	(void)state;
	assert_int_equal(throttle_wait(&p, &s, 2000), 2600); /* until the oldest leaves the hour */
	s.account_failures = 99;
	assert_int_equal(throttle_wait(&p, &s, 2000), 0);
	s.account_failures = 100;
	s.source_known = 1; /* the real user's address */
	assert_int_equal(throttle_wait(&p, &s, 2000), 0);
}

static void
the_longer_wait_wins(void **state)
{
	struct throttle_state s = {15, 1990, 100, 1000, 0}; /* backoff 2^10 → capped 900 */
	(void)state;
	assert_int_equal(throttle_wait(&p, &s, 2000), 2600);
	s.account_oldest_at = 0; /* the hour has passed: a wait of at least 1 s stays */
	s.pair_failures = 5;
	s.pair_last_at = 0;
	assert_int_equal(throttle_wait(&p, &s, 5000), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(free_failures_do_not_wait),
	    cmocka_unit_test(backoff_doubles_and_is_capped),
	    cmocka_unit_test(the_hourly_cap_holds_unknown_addresses_only),
	    cmocka_unit_test(the_longer_wait_wins),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Sign-in throttling: exponential backoff per account and address; an hourly cap that spares known
 * addresses; a budget of failing accounts per address. */
#include "cmocka_all.h"

#include "domain/throttle.h"

static const struct throttle_policy p = {5, 900, 100, 0};

static void
free_failures_do_not_wait(void **state)
{
	struct throttle_state s = {4, 1000, 4, 990, 0, 0, 0};
	(void)state;
	assert_int_equal(throttle_wait(&p, &s, 1001), 0);
}

static void
backoff_doubles_and_is_capped(void **state)
{
	struct throttle_state s = {5, 1000, 5, 990, 0, 0, 0};
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
	struct throttle_state s = {0, 0, 100, 1000, 0, 0, 0};
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
	struct throttle_state s = {15, 1990, 100, 1000, 0, 0, 0}; /* backoff 2^10 → capped 900 */
	(void)state;
	assert_int_equal(throttle_wait(&p, &s, 2000), 2600);
	s.account_oldest_at = 0; /* the hour has passed: a wait of at least 1 s stays */
	s.pair_failures = 5;
	s.pair_last_at = 0;
	assert_int_equal(throttle_wait(&p, &s, 5000), 1);
}

static void
one_address_may_fail_only_so_many_accounts(void **state)
{
	static const struct throttle_policy q = {5, 900, 100, 30};
	struct throttle_state s = {0, 0, 0, 0, 0, 30, 2600};
	(void)state;
	assert_int_equal(throttle_wait(&q, &s, 2000), 600); /* until the first account leaves */
	assert_int_equal(throttle_wait(&q, &s, 2700), 1);   /* never less than a second */
	s.address_accounts = 29;
	assert_int_equal(throttle_wait(&q, &s, 2000), 0);
	s.address_accounts = 30;
	s.source_known = 1; /* a colleague who signed in from this address before */
	assert_int_equal(throttle_wait(&q, &s, 2000), 0);
	s.source_known = 0;
	s.address_accounts = 1000; /* a policy without the rule holds nobody */
	assert_int_equal(throttle_wait(&p, &s, 2000), 0);
}

static void
an_ipv6_address_counts_as_its_64(void **state)
{
	char out[64];
	(void)state;
	throttle_source("192.0.2.7", out, sizeof(out));
	assert_string_equal(out, "192.0.2.7");
	throttle_source("2001:db8:1:2:aaaa:bbbb:cccc:dddd", out, sizeof(out));
	assert_string_equal(out, "2001:db8:1:2::/64");
	throttle_source("2001:db8:1:2::1", out, sizeof(out));
	assert_string_equal(out, "2001:db8:1:2::/64");
	throttle_source("2001:db8:1:3::1", out, sizeof(out));
	assert_string_equal(out, "2001:db8:1:3::/64");
	throttle_source("::1", out, sizeof(out));
	assert_string_equal(out, "::/64");
	throttle_source("::ffff:192.0.2.7", out, sizeof(out)); /* IPv4 on a dual-stack socket */
	assert_string_equal(out, "::ffff:192.0.2.7");
	throttle_source("-", out, sizeof(out));
	assert_string_equal(out, "-");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(free_failures_do_not_wait),
	    cmocka_unit_test(backoff_doubles_and_is_capped),
	    cmocka_unit_test(the_hourly_cap_holds_unknown_addresses_only),
	    cmocka_unit_test(the_longer_wait_wins),
	    cmocka_unit_test(one_address_may_fail_only_so_many_accounts),
	    cmocka_unit_test(an_ipv6_address_counts_as_its_64),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

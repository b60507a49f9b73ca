/* Connections counted per client address: what counts as one address, and the limit. */
#include "cmocka_all.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sodium.h>
#include <string.h>

#include "http/connlimit.h"

static struct sockaddr_storage
addr(const char *text)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, text, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, text, &s4->sin_addr), 1);
	}
	return ss;
}

static int
same_key(const char *a, const char *b)
{
	struct sockaddr_storage x = addr(a), y = addr(b);
	unsigned char kx[CONNLIMIT_KEY_BYTES], ky[CONNLIMIT_KEY_BYTES];
	connlimit_key((struct sockaddr *)&x, kx);
	connlimit_key((struct sockaddr *)&y, ky);
	return memcmp(kx, ky, sizeof(kx)) == 0;
}

static void
one_address_is_an_ipv4_address_or_an_ipv6_64(void **state)
{
	(void)state;
	assert_true(same_key("192.0.2.7", "::ffff:192.0.2.7")); /* IPv4-mapped is IPv4 */
	assert_false(same_key("192.0.2.7", "192.0.2.8"));
	assert_false(same_key("127.0.0.1", "127.0.0.2"));
	assert_true(same_key("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff"));
	assert_false(same_key("2001:db8:1:2::1", "2001:db8:1:3::1"));
	assert_false(same_key("::1", "::2")); /* loopback is itself, not ::/64 */
	assert_false(same_key("::1", "0.0.0.1"));
}

static void
the_health_peers_are_127_0_0_1_and_ipv6_loopback(void **state)
{
	struct sockaddr_storage a;
	(void)state;
	a = addr("127.0.0.1");
	assert_true(connlimit_health_peer((struct sockaddr *)&a));
	a = addr("::1");
	assert_true(connlimit_health_peer((struct sockaddr *)&a));
	a = addr("::ffff:127.0.0.1");
	assert_true(connlimit_health_peer((struct sockaddr *)&a));
	a = addr("127.0.0.2");
	assert_false(connlimit_health_peer((struct sockaddr *)&a));
	a = addr("192.0.2.1");
	assert_false(connlimit_health_peer((struct sockaddr *)&a));
	a = addr("::2");
	assert_false(connlimit_health_peer((struct sockaddr *)&a));
}

static void
an_address_gets_its_limit_and_no_more(void **state)
{
	struct connlimit *t = connlimit_new(3);
	struct sockaddr_storage a = addr("198.51.100.1"), b = addr("198.51.100.2");
	unsigned char ka[CONNLIMIT_KEY_BYTES], kb[CONNLIMIT_KEY_BYTES];
	(void)state;
	connlimit_key((struct sockaddr *)&a, ka);
	connlimit_key((struct sockaddr *)&b, kb);
	for (int i = 0; i < 3; i++)
		assert_int_equal(connlimit_acquire(t, ka), 0);
	assert_int_equal(connlimit_acquire(t, ka), -1);
	assert_int_equal(connlimit_count(t, ka), 3);
	assert_int_equal(connlimit_acquire(t, kb), 0); /* another address is not affected */
	connlimit_release(t, ka);
	assert_int_equal(connlimit_acquire(t, ka), 0);
	for (int i = 0; i < 3; i++)
		connlimit_release(t, ka);
	assert_int_equal(connlimit_count(t, ka), 0);
	assert_int_equal(connlimit_count(t, kb), 1);
	connlimit_free(t); /* frees what is left (kb's entry) */
}

/*
 * Four threads take and give back places of one address whose limit is 2.
 * What must hold is the limit itself: never more than 2 held at once, and
 * every place given back. How the scheduler shares the places out among
 * the threads is not the limiter's to promise (under a sanitizer on a busy
 * machine one thread may find both taken every time), so the test counts
 * the places held, not each thread's share.
 */
static atomic_int holding;
static atomic_int most_held;

struct worker {
	struct connlimit *t;
	int granted;
};

static void *
churn(void *arg)
{
	struct worker *w = arg;
	struct sockaddr_storage a = addr("203.0.113.9");
	unsigned char k[CONNLIMIT_KEY_BYTES];
	connlimit_key((struct sockaddr *)&a, k);
	for (int i = 0; i < 20000; i++) {
		if (connlimit_acquire(w->t, k) == 0) {
			int now = atomic_fetch_add(&holding, 1) + 1;
			int most = atomic_load(&most_held);
			while (now > most && !atomic_compare_exchange_weak(&most_held, &most, now))
				;
			w->granted++;
			atomic_fetch_sub(&holding, 1);
			connlimit_release(w->t, k);
		}
	}
	return NULL;
}

static void
threads_share_the_counts(void **state)
{
	struct connlimit *t = connlimit_new(2);
	struct worker w[4];
	pthread_t th[4];
	struct sockaddr_storage a = addr("203.0.113.9");
	unsigned char k[CONNLIMIT_KEY_BYTES];
	(void)state;
	for (int i = 0; i < 4; i++) {
		w[i].t = t;
		w[i].granted = 0;
		assert_int_equal(pthread_create(&th[i], NULL, churn, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	connlimit_key((struct sockaddr *)&a, k);
	assert_int_equal(connlimit_count(t, k), 0);
	int granted = 0;
	for (int i = 0; i < 4; i++)
		granted += w[i].granted;
	assert_true(granted > 0);
	assert_true(atomic_load(&most_held) >= 1);
	assert_true(atomic_load(&most_held) <= 2); /* the limit held across threads */
	connlimit_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(one_address_is_an_ipv4_address_or_an_ipv6_64),
	    cmocka_unit_test(the_health_peers_are_127_0_0_1_and_ipv6_loopback),
	    cmocka_unit_test(an_address_gets_its_limit_and_no_more),
	    cmocka_unit_test(threads_share_the_counts),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

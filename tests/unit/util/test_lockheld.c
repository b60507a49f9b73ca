/* assert_held: a mutex counts as held by the thread that locked it, and by no other. */
#include "cmocka_all.h"

#include <pthread.h>

#include "util/lockheld.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void *
other_thread(void *arg)
{
	int *held = arg;
	*held = mutex_held(&mu);
	return NULL;
}

static void
a_mutex_is_held_only_by_the_thread_that_locked_it(void **state)
{
	pthread_t t;
	int held_elsewhere = -1;
	pthread_mutex_t dynamic;
	(void)state;

	assert_false(mutex_held(&mu));
	pthread_mutex_lock(&mu);
	assert_true(mutex_held(&mu));
	assert_int_equal(pthread_create(&t, NULL, other_thread, &held_elsewhere), 0);
	pthread_join(t, NULL);
	assert_int_equal(held_elsewhere, 0);
	pthread_mutex_unlock(&mu);
	assert_false(mutex_held(&mu));

	/* a mutex made with pthread_mutex_init(…, NULL), as keyring.c makes its own */
	pthread_mutex_init(&dynamic, NULL);
	assert_false(mutex_held(&dynamic));
	pthread_mutex_lock(&dynamic);
	assert_true(mutex_held(&dynamic));
	pthread_mutex_unlock(&dynamic);
	assert_false(mutex_held(&dynamic));
	pthread_mutex_destroy(&dynamic);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_mutex_is_held_only_by_the_thread_that_locked_it),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

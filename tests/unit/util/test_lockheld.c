/*
 * assert_held: a mutex counts as held by the thread that locked it, and by no other;
 * assert_write_held: a read-write lock, by the thread that took it for writing only.
 */
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

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;

static void *
other_writer_check(void *arg)
{
	int *held = arg;
	*held = rwlock_written(&rw);
	return NULL;
}

static void
a_rwlock_is_written_only_by_the_thread_that_took_it_for_writing(void **state)
{
	pthread_t t;
	int held_elsewhere = -1;
	(void)state;

	assert_false(rwlock_written(&rw));
	pthread_rwlock_rdlock(&rw);
	assert_false(rwlock_written(&rw)); /* a reader is not the writer */
	pthread_rwlock_unlock(&rw);
	pthread_rwlock_wrlock(&rw);
	assert_true(rwlock_written(&rw));
	assert_int_equal(pthread_create(&t, NULL, other_writer_check, &held_elsewhere), 0);
	pthread_join(t, NULL);
	assert_int_equal(held_elsewhere, 0);
	pthread_rwlock_unlock(&rw);
	assert_false(rwlock_written(&rw));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_mutex_is_held_only_by_the_thread_that_locked_it),
	    cmocka_unit_test(a_rwlock_is_written_only_by_the_thread_that_took_it_for_writing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

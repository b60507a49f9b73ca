/* The worker pool: work runs off the loop thread, done runs on the loop thread that submitted. */
#include "cmocka_all.h"

#include <event2/event.h>
#include <event2/thread.h>
#include <pthread.h>

#include "util/workq.h"

struct tjob {
	struct job job;
	pthread_t loop_thread;
	pthread_t worked_on;
	pthread_t done_on;
	int *remaining;
	struct event_base *base;
};

static void
work(struct job *j)
{
	struct tjob *t = (struct tjob *)j;
	t->worked_on = pthread_self();
}

static void
done(struct job *j)
{
	struct tjob *t = (struct tjob *)j;
	t->done_on = pthread_self();
	if (--*t->remaining == 0)
		event_base_loopexit(t->base, NULL);
}

static void
results_come_home_to_the_owning_loop(void **state)
{
	struct event_base *base;
	struct mailbox *mb;
	struct workq *q;
	struct tjob jobs[64];
	int remaining = 64;
	(void)state;

	evthread_use_pthreads();
	base = event_base_new();
	mb = mailbox_new(base);
	q = workq_new(3);
	for (int i = 0; i < 64; i++) {
		jobs[i] = (struct tjob){.job = {work, done, mb, NULL},
		                        .loop_thread = pthread_self(),
		                        .remaining = &remaining,
		                        .base = base};
		workq_submit(q, &jobs[i].job);
	}
	event_base_dispatch(base);
	assert_int_equal(remaining, 0);
	for (int i = 0; i < 64; i++) {
		assert_false(pthread_equal(jobs[i].worked_on, pthread_self()));
		assert_true(pthread_equal(jobs[i].done_on, pthread_self()));
	}
	workq_free(q);
	mailbox_free(mb);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(results_come_home_to_the_owning_loop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

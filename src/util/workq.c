/*
 * workq.c — see workq.h. One FIFO guarded by one mutex and one condition
 * variable; at Slate's job sizes (milliseconds each) contention on it is
 * negligible. A mailbox wakes its loop through an eventfd, which also keeps
 * the loop alive while results are outstanding.
 */
#include "util/workq.h"

#include <assert.h>
#include <event2/event.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util/xalloc.h"

struct workq {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *head, *tail;
	int stopping;
	size_t nthreads;
	pthread_t *threads;
};

struct mailbox {
	pthread_mutex_t mu;
	struct job *head, *tail;
	int fd;
	struct event *ev;
};

static void
post(struct mailbox *m, struct job *j)
{
	pthread_mutex_lock(&m->mu);
	assert((m->head == NULL) == (m->tail == NULL)); /* the FIFO's ends agree */
	j->next = NULL;
	if (m->tail)
		m->tail->next = j;
	else
		m->head = j;
	m->tail = j;
	pthread_mutex_unlock(&m->mu);
	{
		uint64_t one = 1;
		(void)!write(m->fd, &one, sizeof(one));
	}
}

static void *
worker(void *arg)
{
	struct workq *q = arg;
	for (;;) {
		struct job *j;
		pthread_mutex_lock(&q->mu);
		while (q->head == NULL && !q->stopping)
			pthread_cond_wait(&q->cv, &q->mu);
		assert((q->head == NULL) == (q->tail == NULL));
		j = q->head;
		if (j == NULL) { /* stopping and drained */
			pthread_mutex_unlock(&q->mu);
			return NULL;
		}
		q->head = j->next;
		if (q->head == NULL)
			q->tail = NULL;
		pthread_mutex_unlock(&q->mu);
		j->work(j);
		post(j->home, j);
	}
}

struct workq *
workq_new(size_t nthreads)
{
	struct workq *q = xcalloc(1, sizeof(*q));
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	q->nthreads = nthreads ? nthreads : 1;
	q->threads = xcalloc(q->nthreads, sizeof(pthread_t));
	for (size_t i = 0; i < q->nthreads; i++)
		if (pthread_create(&q->threads[i], NULL, worker, q) != 0)
			abort();
	return q;
}

void
workq_free(struct workq *q)
{
	if (q == NULL)
		return;
	pthread_mutex_lock(&q->mu);
	q->stopping = 1;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	for (size_t i = 0; i < q->nthreads; i++)
		pthread_join(q->threads[i], NULL);
	assert(q->head == NULL && q->tail == NULL); /* workers leave only once it is drained */
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	free(q->threads);
	free(q);
}

void
workq_submit(struct workq *q, struct job *j)
{
	/* a job knows its work, its done and the loop its result goes back to */
	assert(j->work != NULL && j->done != NULL && j->home != NULL);
	pthread_mutex_lock(&q->mu);
	assert(!q->stopping); /* nothing is submitted once workq_free has begun */
	assert((q->head == NULL) == (q->tail == NULL));
	j->next = NULL;
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

static void
deliver(evutil_socket_t fd, short what, void *arg)
{
	struct mailbox *m = arg;
	struct job *j;
	uint64_t n;
	(void)what;
	(void)!read(fd, &n, sizeof(n));
	pthread_mutex_lock(&m->mu);
	j = m->head;
	m->head = m->tail = NULL;
	pthread_mutex_unlock(&m->mu);
	while (j != NULL) {
		struct job *next = j->next;
		j->done(j); /* may free j */
		j = next;
	}
}

struct mailbox *
mailbox_new(struct event_base *base)
{
	struct mailbox *m = xcalloc(1, sizeof(*m));
	pthread_mutex_init(&m->mu, NULL);
	m->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (m->fd == -1)
		abort();
	m->ev = event_new(base, m->fd, EV_READ | EV_PERSIST, deliver, m);
	if (m->ev == NULL || event_add(m->ev, NULL) == -1)
		abort();
	return m;
}

void
mailbox_free(struct mailbox *m)
{
	if (m == NULL)
		return;
	event_free(m->ev);
	close(m->fd);
	pthread_mutex_destroy(&m->mu);
	free(m);
}

/*
 * workq.h — the worker pool and the mailboxes that carry results home.
 *
 * Slow work (Argon2id, exports, uploads) runs on worker threads so that an
 * HTTP loop never blocks. A job names a `work` function, run on a worker,
 * and a `done` function, run afterwards on the thread that owns the
 * mailbox the job was submitted with (an HTTP loop thread). So evhttp-style
 * objects that belong to one loop are only ever touched by that loop.
 *
 * A mailbox is a mutex-protected list plus an eventfd watched by the
 * owner's event_base; posting appends and writes the eventfd, and the
 * owner's loop runs the done callbacks.
 *
 * Ownership: the submitter owns the job memory; workq never frees it.
 */
#ifndef SLATE_UTIL_WORKQ_H
#define SLATE_UTIL_WORKQ_H

#include <stddef.h>

struct event_base;
struct workq;
struct mailbox;

struct job {
	void (*work)(struct job *j);
	void (*done)(struct job *j);
	struct mailbox *home;
	struct job *next; /* private */
};

struct workq *workq_new(size_t nthreads);
/* Finishes every queued job, then joins the workers. */
void workq_free(struct workq *q);
void workq_submit(struct workq *q, struct job *j);

struct mailbox *mailbox_new(struct event_base *base);
void mailbox_free(struct mailbox *m);

#endif

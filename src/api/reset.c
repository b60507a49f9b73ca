/*
 * reset.c — a forgotten password.
 *
 * POST /api/v1/auth/password-reset           {email} → 202, always the same
 * POST /api/v1/auth/password-reset/complete  {token, new_password} → 204
 *
 * The request answers identically whether or not the account exists, and
 * after the same work: the handler checks the body and hands the address
 * to the reset desk (below), a thread of its own, then answers; the
 * account is looked up only on the desk, off the response path. For an
 * account that exists (and is not disabled) the desk creates a single-use
 * link valid 30 minutes and queues a message with it (notify/notify.h) in
 * the same transaction; at most RESET_PER_HOUR links an hour per account,
 * so nobody can flood someone's mailbox. The link carries the token in the
 * URL fragment, which browsers never send to a server or a Referer.
 *
 * Completing checks the link and the policy, hashes on the worker pool,
 * then spends the link, sets the password and ends every session, API
 * token and other outstanding reset link of the account, atomically: a
 * link works once, even when two completions race, and a link sent before
 * a password change never works after it.
 * A second factor still applies at the next sign-in.
 */
#include <assert.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/call.h"
#include "api/handlers.h"
#include "api/session.h"
#include "audit/audit.h"
#include "crypto/password.h"
#include "crypto/token.h"
#include "notify/notify.h"
#include "store/store.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/xalloc.h"

#define RESET_LIFETIME (30L * 60L)
#define RESET_PER_HOUR 5

/*
 * The desk: one thread of its own, with its own store connection, that
 * turns the addresses asked about into links. The request handler only
 * checks the body, hands the address over (a copy in a bounded queue) and
 * answers; so an address with an account and one without are answered
 * after exactly the same work, and the reply's timing says nothing about
 * which it was. When the queue is full the address is dropped (logged,
 * without it): the answer is the same, and nobody is owed a link.
 */
#define DESK_QUEUE 256

struct reset_ask {
	char email[256];
	char peer[64];
	char request_id[32];
};

struct reset_desk {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stopping;
	int started;
	struct reset_ask q[DESK_QUEUE]; /* a ring: n entries from head */
	size_t head, n;
	char *db_path;
	char *public_url;
	struct keyring *keys;
};

static struct reset_desk *desk; /* the process's, between reset_desk_start and _stop */

static void
desk_audit(struct store *s, const struct reset_ask *q, const char *actor, const char *outcome)
{
	struct audit_entry a = {
	    actor, q->peer, "auth.password_reset_request", NULL, outcome, q->request_id, NULL};
	struct err e;
	if (audit_record(s, &a, &e) == -1)
		log_event(LOG_ERROR, "audit event not written",
		          LOG_STR("action", "auth.password_reset_request"), LOG_STR("error", e.msg),
		          LOG_END);
}

static void
queue_link(struct reset_desk *d, struct store *s, const struct reset_ask *q,
           const struct store_user *u)
{
	char token[TOKEN_TEXT_LEN], hash[TOKEN_HASH_LEN];
	long long now = (long long)time(NULL);
	char *body = NULL;
	struct err e;
	long recent = 0;

	if (store_reset_count(s, u->id, now - 3600, &recent, &e) == -1)
		goto fail;
	if (recent >= RESET_PER_HOUR) {
		desk_audit(s, q, u->id, "throttled");
		return;
	}
	token_new(token, hash);
	body = xasprintf("Hello %s,\n\nSomeone (we hope you) asked to reset the password of your "
	                 "Slate account.\nThis link works once, for 30 minutes:\n\n  "
	                 "%s/reset-password#token=%s\n\nIf it was not you, ignore this message: "
	                 "your password stays as it is.\n",
	                 u->display_name, d->public_url, token);
	sodium_memzero(token, sizeof(token));
	if (store_begin(s, &e) == -1 ||
	    store_reset_create(s, u->id, hash, now, RESET_LIFETIME, &e) == -1 ||
	    notify_enqueue(s, u->email, "Reset your Slate password", body, &e) == -1 ||
	    store_commit(s, &e) == -1) {
		store_rollback(s);
		goto fail;
	}
	desk_audit(s, q, u->id, "success");
	goto out;
fail:
	log_event(LOG_ERROR, "reset link not created", LOG_STR("error", e.msg), LOG_END);
out:
	if (body != NULL) {
		sodium_memzero(body, strlen(body));
		free(body);
	}
}

static void
desk_serve(struct reset_desk *d, struct store *s, const struct reset_ask *q)
{
	struct store_user u;
	struct err e;
	int found = store_user_by_email(s, q->email, &u, &e);

	if (found == -1)
		log_event(LOG_ERROR, "reset request not read", LOG_STR("error", e.msg), LOG_END);
	else if (found == 1 && !u.disabled)
		queue_link(d, s, q, &u);
	sodium_memzero(&u, sizeof(u));
}

static void *
desk_main(void *arg)
{
	struct reset_desk *d = arg;
	struct reset_ask q;
	struct store *s;
	struct err e;

	if ((s = store_open(d->db_path, 0, d->keys, &e)) == NULL)
		log_event(LOG_ERROR, "the reset desk cannot open the store",
		          LOG_STR("error", e.msg), LOG_END);
	pthread_mutex_lock(&d->mu);
	for (;;) {
		while (d->n == 0 && !d->stopping)
			pthread_cond_wait(&d->cv, &d->mu);
		if (d->n == 0)
			break; /* stopping, and every address asked about has been served */
		q = d->q[d->head];
		sodium_memzero(&d->q[d->head], sizeof(d->q[d->head]));
		d->head = (d->head + 1) % DESK_QUEUE;
		d->n--;
		pthread_mutex_unlock(&d->mu);
		if (s != NULL)
			desk_serve(d, s, &q);
		sodium_memzero(&q, sizeof(q));
		pthread_mutex_lock(&d->mu);
	}
	pthread_mutex_unlock(&d->mu);
	store_close(s);
	return NULL;
}

int
reset_desk_start(const struct config *c, const char *db_path, struct keyring *keys, struct err *e)
{
	struct reset_desk *d = xcalloc(1, sizeof(*d));

	assert(desk == NULL);
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->cv, NULL);
	d->db_path = xstrdup(db_path);
	d->public_url = xstrdup(c->public_url);
	d->keys = keys;
	if (pthread_create(&d->thread, NULL, desk_main, d) != 0) {
		d->started = 0;
		desk = d;
		reset_desk_stop();
		return err_set(e, 500, "cannot start the password-reset desk");
	}
	d->started = 1;
	desk = d;
	return 0;
}

void
reset_desk_stop(void)
{
	struct reset_desk *d = desk;

	if (d == NULL)
		return;
	pthread_mutex_lock(&d->mu);
	d->stopping = 1;
	pthread_cond_signal(&d->cv);
	pthread_mutex_unlock(&d->mu);
	if (d->started)
		pthread_join(d->thread, NULL);
	desk = NULL;
	pthread_cond_destroy(&d->cv);
	pthread_mutex_destroy(&d->mu);
	free(d->db_path);
	free(d->public_url);
	sodium_memzero(d, sizeof(*d));
	free(d);
}

/* Hands the address to the desk; the same steps whoever it belongs to. */
static int
desk_hand_over(struct http_req *r, const char *email)
{
	struct reset_desk *d = desk;
	int taken = 0;

	if (d == NULL)
		return -1;
	pthread_mutex_lock(&d->mu);
	if (d->n < DESK_QUEUE && !d->stopping) {
		struct reset_ask *q = &d->q[(d->head + d->n) % DESK_QUEUE];
		snprintf(q->email, sizeof(q->email), "%s", email);
		snprintf(q->peer, sizeof(q->peer), "%s", r->peer);
		snprintf(q->request_id, sizeof(q->request_id), "%s", r->request_id);
		d->n++;
		taken = 1;
		pthread_cond_signal(&d->cv);
	}
	pthread_mutex_unlock(&d->mu);
	if (!taken)
		log_event(LOG_WARN, "password-reset request dropped: the desk is full", LOG_END);
	return 0;
}

void
reset_request(struct api_call *c)
{
	static const char answer[] = "{\"status\":\"if an account has that email, a link to reset "
	                             "its password is on its way\"}";
	struct http_req *r = c->r;
	int rc;

	rc = desk_hand_over(r, json_string_value(json_object_get(c->body, "email")));
	sodium_memzero(r->body, r->body_len);
	if (rc == -1) {
		http_end_problem(r, 503, "password reset is unavailable right now");
		return;
	}
	http_end_reply(r, 202, "application/json", answer, sizeof(answer) - 1);
}

struct reset_job {
	struct job job;
	struct http_req *r;
	char token_hash[TOKEN_HASH_LEN];
	char user_id[STORE_ID_LEN + 8];
	struct secret password;
	char hash[PASSWORD_HASH_MAX];
	struct password_cost cost;
	int failed;
};

static void
reset_work(struct job *j)
{
	struct reset_job *rj = (struct reset_job *)j;
	struct err e;
	rj->failed = password_hash((const char *)rj->password.p, rj->password.len, &rj->cost,
	                           rj->hash, &e) == -1;
}

static void
reset_done(struct job *j)
{
	struct reset_job *rj = (struct reset_job *)j;
	struct http_req *r = rj->r;
	struct store *s = http_req_store(r);
	long long now = (long long)time(NULL);
	struct err e;
	int spent = 0;

	secret_free(&rj->password);
	if (rj->failed) {
		http_end_problem(r, 500, "the password could not be set");
		goto out;
	}
	if (store_begin(s, &e) == -1 ||
	    (spent = store_reset_spend(s, rj->token_hash, now, &e)) == -1)
		goto fail;
	if (spent == 0) { /* used by a racing completion, or expired meanwhile */
		store_rollback(s);
		http_end_problem(r, 400,
		                 "the link has been used or has expired; ask for a new one");
		goto out;
	}
	if (store_user_set_password(s, rj->user_id, rj->hash, 0, &e) == -1 ||
	    store_session_revoke_all(s, rj->user_id, NULL, now, &e) == -1 ||
	    store_token_revoke_all(s, rj->user_id, now, &e) == -1 ||
	    store_reset_revoke_all(s, rj->user_id, now, &e) == -1 ||
	    api_audit_as(r, rj->user_id, "auth.password_reset", NULL, &e) == -1 ||
	    store_commit(s, &e) == -1)
		goto fail;
	http_end_reply(r, 204, NULL, NULL, 0);
	goto out;
fail:
	store_rollback(s);
	log_event(LOG_ERROR, "password reset failed", LOG_STR("error", e.msg), LOG_END);
	http_end_problem(r, 503, "the password could not be set; try again");
out:
	sodium_memzero(rj, sizeof(*rj));
	free(rj);
}

void
reset_complete(struct api_call *c)
{
	struct http_req *r = c->r;
	struct store_user u;
	struct reset_job *rj;
	const char *token, *pw;
	struct err e;
	int found;

	rj = xcalloc(1, sizeof(*rj));
	rj->r = r;
	token = json_string_value(json_object_get(c->body, "token"));
	pw = json_string_value(json_object_get(c->body, "new_password"));
	token_hash(token, rj->token_hash);
	found = store_reset_peek(http_req_store(r), rj->token_hash, (long long)time(NULL), &u, &e);
	if (found != 1 || u.disabled) {
		http_end_problem(r, found == -1 ? 503 : 400,
		                 found == -1
		                     ? "password reset is unavailable right now"
		                     : "the link is unknown, used or expired; ask for a new one");
		goto fail;
	}
	if (password_acceptable(pw, u.email, &e) == -1) {
		http_end_problem_errors(
		    r, 400, "the new password is not acceptable",
		    json_pack("[{s:s, s:s}]", "pointer", "/new_password", "detail", e.msg));
		goto fail;
	}
	snprintf(rj->user_id, sizeof(rj->user_id), "%s", u.id);
	rj->cost = password_cost_of(http_req_config(r));
	secret_take_string(&rj->password, (char *)pw);
	sodium_memzero(r->body, r->body_len);
	rj->job.work = reset_work;
	rj->job.done = reset_done;
	http_defer(r, &rj->job);
	return;
fail:
	sodium_memzero(rj, sizeof(*rj));
	free(rj);
}

/*
 * audit.c — see audit.h.
 *
 * The chain. Row n's hash is the lowercase hex SHA-256 of:
 *
 *   prev_hash "\n" seq "\n" at "\n" F(actor) F(source) F(action) F(object)
 *   F(outcome) F(request_id) F(production_id)
 *
 * where prev_hash is row n-1's hash (64 '0' for the first row), seq is in
 * decimal, and F(v) is "-\n" for NULL and otherwise the byte length of v in
 * decimal, ":", the bytes of v, "\n". The length prefix makes the encoding
 * unambiguous whatever the fields contain. A verifier needs nothing else.
 */
#include "audit/audit.h"

#include <assert.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "util/timefmt.h"

static void
field(crypto_hash_sha256_state *h, const char *v)
{
	char len[24];
	if (v == NULL) {
		crypto_hash_sha256_update(h, (const unsigned char *)"-\n", 2);
		return;
	}
	snprintf(len, sizeof(len), "%zu:", strlen(v));
	crypto_hash_sha256_update(h, (const unsigned char *)len, strlen(len));
	crypto_hash_sha256_update(h, (const unsigned char *)v, strlen(v));
	crypto_hash_sha256_update(h, (const unsigned char *)"\n", 1);
}

static void
chain_hash(const struct store_audit_event *ev, char out[65])
{
	crypto_hash_sha256_state h;
	unsigned char d[crypto_hash_sha256_BYTES];
	char head[128];

	/* the head always fits: prev_hash, a long long in decimal, at and three newlines */
	_Static_assert(sizeof(ev->prev_hash) + 21 + sizeof(ev->at) + 1 <= sizeof(head),
	               "the chain head's buffer");
	snprintf(head, sizeof(head), "%s\n%lld\n%s\n", ev->prev_hash, ev->seq, ev->at);
	crypto_hash_sha256_init(&h);
	crypto_hash_sha256_update(&h, (const unsigned char *)head, strlen(head));
	field(&h, ev->actor);
	field(&h, ev->source);
	field(&h, ev->action);
	field(&h, ev->object);
	field(&h, ev->outcome);
	field(&h, ev->request_id);
	field(&h, ev->production_id);
	crypto_hash_sha256_final(&h, d);
	_Static_assert(2 * sizeof(d) + 1 == 65, "a hash is 64 hex digits");
	sodium_bin2hex(out, 65, d, sizeof(d));
}

static void
seal(struct store_audit_event *ev)
{
	/* the store numbered and linked the event; its time is set (audit_record_at) */
	assert(ev->at[0] != '\0');
	chain_hash(ev, ev->hash);
	assert(strlen(ev->hash) == 64);
}

int
audit_record(struct store *s, const struct audit_entry *a, struct err *e)
{
	return audit_record_at(s, a, NULL, e);
}

int
audit_record_at(struct store *s, const struct audit_entry *a, const char *at, struct err *e)
{
	struct store_audit_event ev;

	memset(&ev, 0, sizeof(ev));
	if (at != NULL)
		snprintf(ev.at, sizeof(ev.at), "%s", at);
	else
		time_rfc3339_ms_now(ev.at);
	ev.actor = a->actor;
	ev.source = a->source;
	ev.action = a->action;
	ev.object = a->object;
	ev.outcome = a->outcome;
	ev.request_id = a->request_id;
	ev.production_id = a->production_id;
	return store_audit_append(s, &ev, seal, e);
}

struct walk {
	long long count;
	long long first_bad;
	char prev[65];
};

static int
check(const struct store_audit_event *ev, void *arg)
{
	struct walk *w = arg;
	char want[65];

	w->count++;
	chain_hash(ev, want);
	if (ev->seq != w->count || strcmp(ev->prev_hash, w->prev) != 0 ||
	    strcmp(ev->hash, want) != 0) {
		w->first_bad = w->count;
		return 1;
	}
	memcpy(w->prev, ev->hash, sizeof(w->prev));
	return 0;
}

int
audit_verify(struct store *s, long long *count, long long *first_bad, struct err *e)
{
	struct walk w;
	memset(&w, 0, sizeof(w));
	snprintf(w.prev, sizeof(w.prev), "%064d", 0);
	if (store_audit_scan(s, check, &w, e) == -1)
		return -1;
	*count = w.count;
	*first_bad = w.first_bad;
	return 0;
}

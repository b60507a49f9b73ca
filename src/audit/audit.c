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
 *
 * Retention and the chain's anchor. Events older than the retention period
 * are removed from the front of the chain only (store_retention_audit: a
 * prefix, never the newest event). The first remaining event still carries
 * prev_hash, the hash of the last removed one: that is the anchor, and it is
 * kept where it cannot be edited alone, inside the chain. No table holds it,
 * which would be one more row to rewrite. In the transaction that removes
 * the prefix, the retention job appends the event
 *
 *   action "retention.audit", actor "slate",
 *   object "removed=N through=SEQ anchor=HASH"
 *
 * (SEQ the last removed seq, HASH its hash). A later run may remove that
 * event too, but then writes its own, so the newest such event always names
 * the chain's current start. audit_verify() walks every event checking seq
 * and prev_hash links as before, accepting whatever the first event's seq
 * and prev_hash say for the moment, and at the end requires:
 *
 *   - no retention event names a cut: the first event is seq 1 with
 *     prev_hash all '0' (the whole chain is there);
 *   - else the newest one's SEQ + 1 and HASH are the first event's seq and
 *     prev_hash.
 *
 * So dropping events at the front without the job's event is detected (the
 * start does not match, first_bad is the seq that should start the chain),
 * so is dropping more than the job did, or dropping the job's event with
 * them, and a removal in the middle breaks a link as before. What it cannot
 * stop is what the chain never stopped: someone who writes the database and
 * recomputes hashes (the chain is unkeyed) can forge anything, a retention
 * event included; backups and their drills are the check on that.
 */
#include "audit/audit.h"

#include <assert.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/sha256.h"
#include "util/timefmt.h"

static void
field(struct sha256 *h, const char *v)
{
	char len[24];
	size_t n;
	if (v == NULL) {
		sha256_update(h, "-\n", 2);
		return;
	}
	n = strlen(v);
	snprintf(len, sizeof(len), "%zu:", n);
	sha256_update(h, len, strlen(len));
	sha256_update(h, v, n);
	sha256_update(h, "\n", 1);
}

static void
chain_hash(const struct store_audit_event *ev, char out[65])
{
	struct sha256 h;
	unsigned char d[SHA256_LEN];
	char head[128];

	/* the head always fits: prev_hash, a long long in decimal, at and three newlines */
	_Static_assert(sizeof(ev->prev_hash) + 21 + sizeof(ev->at) + 1 <= sizeof(head),
	               "the chain head's buffer");
	snprintf(head, sizeof(head), "%s\n%lld\n%s\n", ev->prev_hash, ev->seq, ev->at);
	/* OpenSSL's SHA-256 (crypto/sha256.h): a read's event names up to hundreds of people, and
	   libsodium's portable one took four times as long over its 4 KB */
	sha256_init(&h);
	sha256_update(&h, head, strlen(head));
	field(&h, ev->actor);
	field(&h, ev->source);
	field(&h, ev->action);
	field(&h, ev->object);
	field(&h, ev->outcome);
	field(&h, ev->request_id);
	field(&h, ev->production_id);
	sha256_final(&h, d);
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

void
audit_retention_object(char *out, size_t len, long long removed, long long through,
                       const char *anchor)
{
	snprintf(out, len, "removed=%lld through=%lld anchor=%s", removed, through, anchor);
}

struct walk {
	long long count;
	long long first_bad;
	long long start; /* the first event's seq */
	char start_prev[65];
	char prev[65];
	long long cut; /* the newest retention event's SEQ (0: none) */
	char cut_hash[65];
};

/* The cut a retention event's object names: 1, or 0 when it names none. */
static int
parse_cut(const char *o, long long *through, char hash[65])
{
	const char *p;
	char *end;
	long long v;

	if (o == NULL || strncmp(o, "removed=", 8) != 0 || (p = strstr(o, " through=")) == NULL)
		return 0;
	v = strtoll(p + 9, &end, 10);
	if (end == p + 9 || v < 1 || strncmp(end, " anchor=", 8) != 0 || strlen(end + 8) != 64)
		return 0;
	*through = v;
	memcpy(hash, end + 8, 65);
	return 1;
}

static int
check(const struct store_audit_event *ev, void *arg)
{
	struct walk *w = arg;
	char want[65];

	if (w->count == 0) {
		/* the start is judged at the end, against the newest retention event */
		w->start = ev->seq;
		memcpy(w->start_prev, ev->prev_hash, sizeof(w->start_prev));
		memcpy(w->prev, ev->prev_hash, sizeof(w->prev));
	}
	w->count++;
	chain_hash(ev, want);
	if (ev->seq != w->start + w->count - 1 || strcmp(ev->prev_hash, w->prev) != 0 ||
	    strcmp(ev->hash, want) != 0) {
		w->first_bad = w->start + w->count - 1;
		return 1;
	}
	if (ev->action != NULL && strcmp(ev->action, AUDIT_RETENTION_ACTION) == 0 &&
	    ev->actor != NULL && strcmp(ev->actor, "slate") == 0)
		(void)parse_cut(ev->object, &w->cut, w->cut_hash);
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
	if (w.first_bad == 0 && w.count > 0) {
		char zero[65];
		snprintf(zero, sizeof(zero), "%064d", 0);
		if (w.cut == 0 ? w.start != 1 || strcmp(w.start_prev, zero) != 0
		               : w.start != w.cut + 1 || strcmp(w.start_prev, w.cut_hash) != 0)
			w.first_bad = w.cut + 1;
	}
	*count = w.count;
	*first_bad = w.first_bad;
	return 0;
}

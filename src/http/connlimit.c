/*
 * connlimit.c — how many connections each client address has open.
 *
 * max_connections is one cap for everybody, so a single address that opens
 * that many silent connections shuts everyone else out. This table counts
 * open connections per address so that accept can refuse the one address
 * over max_connections_per_address while others still get in.
 *
 * What "one address" is: an IPv4 address, or the /64 prefix of an IPv6
 * address, because a single IPv6 host (or home network) is usually handed a
 * whole /64 and can pick any address in it. IPv4-mapped IPv6 addresses
 * (::ffff:a.b.c.d on a dual-stack socket) count as the IPv4 address.
 * Keys are 16 bytes: ::ffff:a.b.c.d for IPv4, the prefix with 64 zero bits
 * for IPv6, ::1 for IPv6 loopback, zeros for anything else.
 *
 * Concurrency: every loop thread accepts and closes connections, so the
 * table is shared. It is a chained hash table whose buckets are guarded by
 * STRIPES mutexes (bucket i by mutex i % STRIPES), so two loops rarely wait
 * for each other. Bucket indexes come from keyed SipHash (crypto_shorthash)
 * with a random key, so no one can choose addresses that all fall into one
 * chain.
 *
 * Memory: an entry exists only while its count is above zero; it is freed
 * by the release that brings it to zero. There are therefore never more
 * entries than open connections.
 */
#include "http/connlimit.h"

#include <assert.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

#define BUCKETS 4096
#define STRIPES 32

struct entry {
	unsigned char key[CONNLIMIT_KEY_BYTES];
	long n;
	struct entry *next;
};

struct connlimit {
	long per_address;
	unsigned char hkey[crypto_shorthash_KEYBYTES];
	pthread_mutex_t mu[STRIPES];
	struct entry *bucket[BUCKETS];
};

struct connlimit *
connlimit_new(long per_address)
{
	struct connlimit *t = xcalloc(1, sizeof(*t));
	assert(per_address > 0);
	t->per_address = per_address;
	crypto_shorthash_keygen(t->hkey);
	for (size_t i = 0; i < STRIPES; i++)
		pthread_mutex_init(&t->mu[i], NULL);
	return t;
}

void
connlimit_free(struct connlimit *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < BUCKETS; i++) {
		struct entry *e, *next;
		for (e = t->bucket[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	}
	for (size_t i = 0; i < STRIPES; i++)
		pthread_mutex_destroy(&t->mu[i]);
	sodium_memzero(t->hkey, sizeof(t->hkey));
	free(t);
}

static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

void
connlimit_key(const struct sockaddr *sa, unsigned char key[CONNLIMIT_KEY_BYTES])
{
	memset(key, 0, CONNLIMIT_KEY_BYTES);
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
		memcpy(key, v4mapped, sizeof(v4mapped));
		memcpy(key + 12, &s4->sin_addr.s_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
		const unsigned char *a = s6->sin6_addr.s6_addr;
		if (memcmp(a, v4mapped, sizeof(v4mapped)) == 0 ||
		    IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
			memcpy(key, a, 16);
		else
			memcpy(key, a, 8);
	}
}

int
connlimit_health_peer(const struct sockaddr *sa)
{
	static const unsigned char lo4[4] = {127, 0, 0, 1};
	unsigned char key[CONNLIMIT_KEY_BYTES];
	connlimit_key(sa, key);
	if (memcmp(key, v4mapped, sizeof(v4mapped)) == 0)
		return memcmp(key + 12, lo4, 4) == 0;
	return sa->sa_family == AF_INET6 &&
	       IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr);
}

static size_t
bucket_of(const struct connlimit *t, const unsigned char *key)
{
	unsigned char h[crypto_shorthash_BYTES];
	unsigned long long v = 0;
	crypto_shorthash(h, key, CONNLIMIT_KEY_BYTES, t->hkey);
	for (size_t i = 0; i < sizeof(h); i++)
		v = (v << 8) | h[i];
	return (size_t)(v % BUCKETS);
}

static struct entry **
slot(struct connlimit *t, size_t b, const unsigned char *key)
{
	struct entry **p = &t->bucket[b];
	while (*p != NULL && memcmp((*p)->key, key, CONNLIMIT_KEY_BYTES) != 0)
		p = &(*p)->next;
	return p;
}

int
connlimit_acquire(struct connlimit *t, const unsigned char key[CONNLIMIT_KEY_BYTES])
{
	size_t b = bucket_of(t, key);
	pthread_mutex_t *mu = &t->mu[b % STRIPES];
	struct entry **p;
	int rc = -1;

	pthread_mutex_lock(mu);
	p = slot(t, b, key);
	if (*p == NULL) {
		struct entry *e = xcalloc(1, sizeof(*e));
		memcpy(e->key, key, CONNLIMIT_KEY_BYTES);
		e->next = t->bucket[b];
		t->bucket[b] = e;
		p = &t->bucket[b];
	}
	if ((*p)->n < t->per_address) {
		(*p)->n++;
		rc = 0;
	}
	pthread_mutex_unlock(mu);
	return rc;
}

void
connlimit_release(struct connlimit *t, const unsigned char key[CONNLIMIT_KEY_BYTES])
{
	size_t b = bucket_of(t, key);
	pthread_mutex_t *mu = &t->mu[b % STRIPES];
	struct entry **p;

	pthread_mutex_lock(mu);
	p = slot(t, b, key);
	assert(*p != NULL && (*p)->n > 0);
	if (*p != NULL && --(*p)->n == 0) {
		struct entry *e = *p;
		*p = e->next;
		free(e);
	}
	pthread_mutex_unlock(mu);
}

long
connlimit_count(struct connlimit *t, const unsigned char key[CONNLIMIT_KEY_BYTES])
{
	size_t b = bucket_of(t, key);
	pthread_mutex_t *mu = &t->mu[b % STRIPES];
	const struct entry *e;
	long n;

	pthread_mutex_lock(mu);
	e = *slot(t, b, key);
	n = e != NULL ? e->n : 0;
	pthread_mutex_unlock(mu);
	return n;
}

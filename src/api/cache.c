/*
 * cache.c — a loop thread's memory of sessions, readers, opened call
 * sheets and pages of the people list, so that a request that follows
 * another one does not read them again from the store.
 *
 * The one rule: an entry is used only while the data is exactly as it was
 * when the entry was read. Each request takes the store's generation
 * (store_generation) before it reads anything, and each entry carries the
 * generation of the request that read it. An entry is used only when the
 * two are equal and no data has been written through the connection since.
 * The generation (migration 0022, src/store/sqlite.c) is made of:
 *
 *   - the data generation, a counter row that a trigger on every table
 *     moves at every insert, update and delete, read again whenever SQLite's
 *     PRAGMA data_version says another connection or process committed
 *     (data_version is the cheap check, the counter decides);
 *   - the schema version;
 *   - this connection's count of changed rows, less the rows of its quiet
 *     writes (below), which moves at every write of its own.
 *
 * So a revoked member, a changed role or department, a disabled account, an
 * ended session, a new call, a new call sheet version — any write of data,
 * by Slate or by `slate` on the command line — makes every entry of every
 * thread stale at the next request, and what that request answers is what
 * the store says.
 *
 * Quiet writes move nothing: an audit event (no entry is read from the
 * log) and a session's or API token's touch (an update that changes only
 * last_seen_at / last_used_at; the 0022 triggers leave those out). Without
 * that, auditing every read of private fields would empty every cache at
 * every such read. The one thing a touch changes that an entry holds is a
 * session's last_seen_at, and the caller checks it itself: a kept session
 * is used only while its last_seen_at is younger than the touch interval,
 * older ones are read again (api/session.c), so the idle timeout is never
 * judged from an out-of-date time. What depends on the clock (a session's
 * idle and absolute timeouts) is checked again on every request by the
 * caller, from the times the entry holds.
 *
 * The generation is deliberately coarse (any data write anywhere empties
 * the caches): it needs no list of which write affects which entry, which is
 * where a cache would go wrong; the only list is the short one of what is
 * *not* data (the audit log, touches). A table a later migration adds is
 * data without that migration doing anything: store_open gives every table
 * its triggers. What it buys is the read-mostly path: the same session
 * asking again while nothing is written, the same call sheet read by many
 * people. Lookups are counted in /metrics (slate_cache_lookups_total).
 *
 * Memory: one struct cache per thread (a pthread key; freed, and wiped,
 * when the thread ends). A generation names its connection, so an entry
 * read through one store connection never answers for another (a worker
 * thread's, or one opened later at the same address). Fixed tables, one entry
 * per slot (a new entry replaces the one in its slot): at most
 * SESSION_SLOTS sessions, READER_SLOTS readers, SHEET_SLOTS call sheets
 * and PEOPLE_SLOTS people pages, each sheet and page with its own malloc'd
 * response. An entry leaving the cache is wiped (sodium_memzero): it holds
 * an account's password hash, a call sheet's names and numbers, a page's
 * contacts.
 */
#include "api/cache.h"

#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/metrics.h"
#include "util/xalloc.h"

#define SESSION_SLOTS 128
#define READER_SLOTS  128
#define SHEET_SLOTS   32
#define PEOPLE_SLOTS  16
#define PEOPLE_MAX    ((size_t)512 * 1024) /* a larger page is not kept */

struct session_slot {
	int used;
	struct store_gen gen;
	char token_hash[TOKEN_HASH_LEN];
	char csrf[TOKEN_TEXT_LEN];
	struct store_session session;
};

struct reader_slot {
	int used;
	struct store_gen gen;
	char user_id[STORE_ID_LEN + 8];
	int instance_admin;
	struct api_reader rd; /* rd.called: malloc'd, rd.ncalled entries */
};

struct sheet_slot {
	int used;
	struct store_gen gen;
	struct store_callsheet cs; /* body NULL */
	struct store_day day;
	char *resp;
	size_t len;
};

struct people_slot {
	int used;
	struct store_gen gen;
	char *key;  /* malloc'd: the reader and the query (api/people.c) */
	char *resp; /* malloc'd: the page's JSON */
	size_t len;
	char *ids; /* malloc'd: the ids its read audit names, or NULL */
};

struct cache {
	struct session_slot sessions[SESSION_SLOTS];
	struct reader_slot readers[READER_SLOTS];
	struct sheet_slot sheets[SHEET_SLOTS];
	struct people_slot people[PEOPLE_SLOTS];
};

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void
reader_drop(struct reader_slot *sl)
{
	free(sl->rd.called);
	sodium_memzero(sl, sizeof(*sl));
}

static void
sheet_drop(struct sheet_slot *sl)
{
	if (sl->resp != NULL) {
		sodium_memzero(sl->resp, sl->len);
		free(sl->resp);
	}
	sodium_memzero(sl, sizeof(*sl));
}

static void
people_drop(struct people_slot *sl)
{
	if (sl->resp != NULL)
		sodium_memzero(sl->resp, sl->len);
	free(sl->resp);
	free(sl->key);
	free(sl->ids);
	sodium_memzero(sl, sizeof(*sl));
}

static void
cache_free(void *p)
{
	struct cache *c = p;
	if (c == NULL)
		return;
	for (size_t i = 0; i < READER_SLOTS; i++)
		reader_drop(&c->readers[i]);
	for (size_t i = 0; i < SHEET_SLOTS; i++)
		sheet_drop(&c->sheets[i]);
	for (size_t i = 0; i < PEOPLE_SLOTS; i++)
		people_drop(&c->people[i]);
	sodium_memzero(c, sizeof(*c));
	free(c);
}

static void
make_key(void)
{
	if (pthread_key_create(&cache_key, cache_free) != 0)
		abort();
}

/* This thread's cache, or NULL when the request takes none (no generation). */
static struct cache *
mine(struct store *s, const struct store_gen *g)
{
	struct cache *c;

	if (g == NULL || s == NULL)
		return NULL;
	pthread_once(&cache_once, make_key);
	if ((c = pthread_getspecific(cache_key)) == NULL) {
		c = xcalloc(1, sizeof(*c));
		if (pthread_setspecific(cache_key, c) != 0) {
			free(c);
			return NULL;
		}
	}
	return c;
}

static int
same_gen(const struct store_gen *a, const struct store_gen *b)
{
	return a->store == b->store && a->data == b->data && a->schema == b->schema &&
	       a->changes == b->changes;
}

/* The entry read at g may be used now: nothing was committed since g (g is this request's) and
 * nothing written through s since. */
static int
fresh(struct store *s, const struct store_gen *entry, const struct store_gen *g)
{
	return same_gen(entry, g) && store_generation_own_same(s, g);
}

/* FNV-1a over the strings of a key. */
static uint32_t
hash(const char *a, const char *b)
{
	uint32_t h = 2166136261u;
	for (const char *p = a; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	h = (h ^ 0xffu) * 16777619u;
	for (const char *p = b ? b : ""; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h;
}

int
cache_session_get(struct store *s, const struct store_gen *g, const char *token_hash,
                  struct store_session *out, char csrf[TOKEN_TEXT_LEN])
{
	struct cache *c = mine(s, g);
	struct session_slot *sl;

	if (c == NULL)
		return 0;
	sl = &c->sessions[hash(token_hash, NULL) % SESSION_SLOTS];
	if (!sl->used || !fresh(s, &sl->gen, g) || strcmp(sl->token_hash, token_hash) != 0) {
		metrics_cache_lookup(METRICS_CACHE_SESSION, 0);
		return 0;
	}
	metrics_cache_lookup(METRICS_CACHE_SESSION, 1);
	*out = sl->session;
	memcpy(csrf, sl->csrf, TOKEN_TEXT_LEN);
	return 1;
}

void
cache_session_put(struct store *s, const struct store_gen *g, const char *token_hash,
                  const struct store_session *ses, const char *csrf)
{
	struct cache *c = mine(s, g);
	struct session_slot *sl;

	if (c == NULL || !store_generation_own_same(s, g))
		return;
	sl = &c->sessions[hash(token_hash, NULL) % SESSION_SLOTS];
	sodium_memzero(sl, sizeof(*sl));
	sl->used = 1;
	sl->gen = *g;
	snprintf(sl->token_hash, sizeof(sl->token_hash), "%s", token_hash);
	snprintf(sl->csrf, sizeof(sl->csrf), "%s", csrf);
	sl->session = *ses;
}

int
cache_reader_get(struct store *s, const struct store_gen *g, const char *user_id,
                 int instance_admin, const char *production_id, struct api_reader *out)
{
	struct cache *c = mine(s, g);
	struct reader_slot *sl;

	if (c == NULL || production_id == NULL)
		return 0;
	sl = &c->readers[hash(user_id, production_id) % READER_SLOTS];
	if (!sl->used || !fresh(s, &sl->gen, g) || sl->instance_admin != instance_admin ||
	    strcmp(sl->user_id, user_id) != 0 ||
	    strcmp(sl->rd.a.production.id, production_id) != 0) {
		metrics_cache_lookup(METRICS_CACHE_READER, 0);
		return 0;
	}
	metrics_cache_lookup(METRICS_CACHE_READER, 1);
	*out = sl->rd;
	out->called = NULL;
	out->ncalled = 0;
	out->called_loaded = 0;
	return 1;
}

int
cache_reader_called(struct store *s, const struct store_gen *g, const char *user_id,
                    int instance_admin, const char *production_id, const char *day_id)
{
	struct cache *c = mine(s, g);
	struct reader_slot *sl;

	if (c == NULL || production_id == NULL)
		return -1;
	sl = &c->readers[hash(user_id, production_id) % READER_SLOTS];
	if (!sl->used || !fresh(s, &sl->gen, g) || sl->instance_admin != instance_admin ||
	    strcmp(sl->user_id, user_id) != 0 ||
	    strcmp(sl->rd.a.production.id, production_id) != 0 || !sl->rd.called_loaded)
		return -1;
	for (size_t i = 0; i < sl->rd.ncalled; i++)
		if (strcmp(sl->rd.called[i], day_id) == 0)
			return 1;
	return 0;
}

void
cache_reader_put(struct store *s, const struct store_gen *g, const char *user_id,
                 int instance_admin, const struct api_reader *rd)
{
	struct cache *c = mine(s, g);
	struct reader_slot *sl;
	size_t n = rd->called_loaded ? rd->ncalled : 0;

	if (c == NULL || !store_generation_own_same(s, g))
		return;
	sl = &c->readers[hash(user_id, rd->a.production.id) % READER_SLOTS];
	reader_drop(sl);
	sl->used = 1;
	sl->gen = *g;
	snprintf(sl->user_id, sizeof(sl->user_id), "%s", user_id);
	sl->instance_admin = instance_admin;
	sl->rd = *rd;
	sl->rd.called = NULL;
	sl->rd.ncalled = n;
	sl->rd.called_loaded = rd->called_loaded;
	if (n > 0) {
		sl->rd.called = xcalloc(n, sizeof(sl->rd.called[0]));
		memcpy(sl->rd.called, rd->called, n * sizeof(sl->rd.called[0]));
	}
}

int
cache_sheet_get(struct store *s, const struct store_gen *g, const char *production_id,
                const char *id, struct store_callsheet *cs, struct store_day *d, const char **resp,
                size_t *len)
{
	struct cache *c = mine(s, g);
	struct sheet_slot *sl;

	if (c == NULL)
		return 0;
	sl = &c->sheets[hash(production_id, id) % SHEET_SLOTS];
	if (!sl->used || !fresh(s, &sl->gen, g) || strcmp(sl->cs.id, id) != 0 ||
	    strcmp(sl->cs.production_id, production_id) != 0) {
		metrics_cache_lookup(METRICS_CACHE_SHEET, 0);
		return 0;
	}
	metrics_cache_lookup(METRICS_CACHE_SHEET, 1);
	*cs = sl->cs;
	*d = sl->day;
	*resp = sl->resp;
	*len = sl->len;
	return 1;
}

void
cache_sheet_put(struct store *s, const struct store_gen *g, const struct store_callsheet *cs,
                const struct store_day *d, const char *resp, size_t len)
{
	struct cache *c = mine(s, g);
	struct sheet_slot *sl;

	if (c == NULL || !store_generation_own_same(s, g))
		return;
	sl = &c->sheets[hash(cs->production_id, cs->id) % SHEET_SLOTS];
	sheet_drop(sl);
	sl->used = 1;
	sl->gen = *g;
	sl->cs = *cs;
	sl->cs.body = NULL;
	sl->day = *d;
	sl->resp = xmalloc(len);
	memcpy(sl->resp, resp, len);
	sl->len = len;
}

int
cache_people_get(struct store *s, const struct store_gen *g, const char *key, const char **resp,
                 size_t *len, const char **ids)
{
	struct cache *c = mine(s, g);
	struct people_slot *sl;

	if (c == NULL)
		return 0;
	sl = &c->people[hash(key, NULL) % PEOPLE_SLOTS];
	if (!sl->used || !fresh(s, &sl->gen, g) || strcmp(sl->key, key) != 0) {
		metrics_cache_lookup(METRICS_CACHE_PEOPLE, 0);
		return 0;
	}
	metrics_cache_lookup(METRICS_CACHE_PEOPLE, 1);
	*resp = sl->resp;
	*len = sl->len;
	*ids = sl->ids;
	return 1;
}

void
cache_people_put(struct store *s, const struct store_gen *g, const char *key, const char *resp,
                 size_t len, const char *ids)
{
	struct cache *c = mine(s, g);
	struct people_slot *sl;

	if (c == NULL || len > PEOPLE_MAX || !store_generation_own_same(s, g))
		return;
	sl = &c->people[hash(key, NULL) % PEOPLE_SLOTS];
	people_drop(sl);
	sl->used = 1;
	sl->gen = *g;
	sl->key = xstrdup(key);
	sl->resp = xmalloc(len);
	memcpy(sl->resp, resp, len);
	sl->len = len;
	sl->ids = ids != NULL ? xstrdup(ids) : NULL;
}

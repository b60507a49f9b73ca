/*
 * metrics.h — request counters and latency histograms, Prometheus text.
 *
 * Counters are relaxed atomics indexed by route (the router table's index;
 * one extra slot for "no route"), so every loop thread adds without locks
 * and /metrics reads a consistent-enough snapshot.
 */
#ifndef SLATE_HTTP_METRICS_H
#define SLATE_HTTP_METRICS_H

#include <stddef.h>

#include "http/router.h"

struct evbuffer;

void metrics_init(const struct route *routes, size_t nroutes);
void metrics_free(void);
/* route_index -1: no route matched. */
void metrics_observe(int route_index, int status, double seconds);
/* The loop caches of api/cache.c; each lookup counts as a hit or a miss. */
enum metrics_cache {
	METRICS_CACHE_SESSION,
	METRICS_CACHE_READER,
	METRICS_CACHE_SHEET,
	METRICS_CACHE_PEOPLE
};
#define METRICS_CACHES 4
void metrics_cache_lookup(enum metrics_cache cache, int hit);
void metrics_conn_open(void);
void metrics_conn_close(void);
long metrics_open_connections(void);
void metrics_render(struct evbuffer *out);

#endif

/*
 * metrics.c — see metrics.h.
 */
#include "http/metrics.h"

#include <event2/buffer.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "api/housekeeping.h"
#include "backup/backup.h"
#include "backup/ship.h"
#include "util/xalloc.h"
#include "util/nitems.h"

static const int statuses[] = {200, 201, 204, 304, 308, 400, 401, 403, 404, 405, 409,
                               411, 413, 415, 422, 429, 431, 500, 501, 503, 505};
#define NSTATUS (nitems(statuses) + 1) /* + "other" */
static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                 0.1,    0.25,  0.5,    1,     2.5,  5,     10};
#define NBUCKET nitems(buckets)

struct route_stats {
	atomic_ulong count[NSTATUS];
	atomic_ulong le[NBUCKET]; /* non-cumulative here; summed when rendered */
	atomic_ulong total;
	atomic_ullong sum_us;
};

static const struct route *table;
static size_t ntable;
static struct route_stats *stats; /* ntable + 1 */
static atomic_long open_conns;
static const char *const cache_names[METRICS_CACHES] = {"session", "reader", "sheet", "people"};
static atomic_ulong cache_lookups[METRICS_CACHES][2]; /* [cache][hit] */

void
metrics_init(const struct route *routes, size_t nroutes)
{
	table = routes;
	ntable = nroutes;
	stats = xcalloc(nroutes + 1, sizeof(*stats));
}

void
metrics_free(void)
{
	free(stats);
	stats = NULL;
}

void
metrics_observe(int route_index, int status, double seconds)
{
	struct route_stats *s;
	size_t si = NSTATUS - 1, b;

	if (stats == NULL)
		return;
	s = &stats[route_index < 0 ? ntable : (size_t)route_index];
	for (size_t i = 0; i < NSTATUS - 1; i++)
		if (statuses[i] == status)
			si = i;
	atomic_fetch_add_explicit(&s->count[si], 1, memory_order_relaxed);
	for (b = 0; b < NBUCKET && seconds > buckets[b]; b++)
		;
	if (b < NBUCKET)
		atomic_fetch_add_explicit(&s->le[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->total, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->sum_us, (unsigned long long)(seconds * 1e6),
	                          memory_order_relaxed);
}

void
metrics_conn_open(void)
{
	atomic_fetch_add(&open_conns, 1);
}

void
metrics_conn_close(void)
{
	atomic_fetch_sub(&open_conns, 1);
}

void
metrics_cache_lookup(enum metrics_cache cache, int hit)
{
	atomic_fetch_add_explicit(&cache_lookups[cache][hit ? 1 : 0], 1, memory_order_relaxed);
}

long
metrics_open_connections(void)
{
	return atomic_load(&open_conns);
}

void
metrics_render(struct evbuffer *out)
{
	evbuffer_add_printf(out, "# HELP slate_http_requests_total HTTP requests answered.\n"
	                         "# TYPE slate_http_requests_total counter\n");
	for (size_t r = 0; r <= ntable; r++) {
		const char *route = r < ntable ? table[r].pattern : "unmatched";
		const char *method = r < ntable ? table[r].method : "any";
		for (size_t i = 0; i < NSTATUS; i++) {
			unsigned long n =
			    atomic_load_explicit(&stats[r].count[i], memory_order_relaxed);
			if (n == 0)
				continue;
			if (i < NSTATUS - 1)
				evbuffer_add_printf(
				    out,
				    "slate_http_requests_total{route=\"%s\",method=\"%s\","
				    "status=\"%d\"} %lu\n",
				    route, method, statuses[i], n);
			else
				evbuffer_add_printf(
				    out,
				    "slate_http_requests_total{route=\"%s\",method=\"%s\","
				    "status=\"other\"} %lu\n",
				    route, method, n);
		}
	}
	evbuffer_add_printf(out, "# HELP slate_http_request_duration_seconds Time to answer.\n"
	                         "# TYPE slate_http_request_duration_seconds histogram\n");
	for (size_t r = 0; r <= ntable; r++) {
		const char *route = r < ntable ? table[r].pattern : "unmatched";
		const char *method = r < ntable ? table[r].method : "any";
		unsigned long total = atomic_load_explicit(&stats[r].total, memory_order_relaxed);
		unsigned long cum = 0;
		if (total == 0)
			continue;
		for (size_t b = 0; b < NBUCKET; b++) {
			cum += atomic_load_explicit(&stats[r].le[b], memory_order_relaxed);
			evbuffer_add_printf(
			    out,
			    "slate_http_request_duration_seconds_bucket{route=\"%s\","
			    "method=\"%s\",le=\"%g\"} %lu\n",
			    route, method, buckets[b], cum);
		}
		evbuffer_add_printf(
		    out,
		    "slate_http_request_duration_seconds_bucket{route=\"%s\",method="
		    "\"%s\",le=\"+Inf\"} %lu\n"
		    "slate_http_request_duration_seconds_sum{route=\"%s\",method=\"%s\"} "
		    "%.6f\n"
		    "slate_http_request_duration_seconds_count{route=\"%s\",method=\"%s\"}"
		    " %lu\n",
		    route, method, total, route, method,
		    (double)atomic_load(&stats[r].sum_us) / 1e6, route, method, total);
	}
	evbuffer_add_printf(out,
	                    "# HELP slate_open_connections Connections open now.\n"
	                    "# TYPE slate_open_connections gauge\n"
	                    "slate_open_connections %ld\n",
	                    metrics_open_connections());
	{
		struct backup_state b;
		backup_state(&b);
		if (b.enabled) {
			/* the drill's gauges per destination: backup_dir ("dir"), then the S3 store
			 */
			const struct backup_drill *dr[2] = {&b.drill, &b.drill_s3};
			const char *label[2] = {"dir", "s3"};
			size_t nd = b.s3 ? 2 : 1;
			if (!b.dir) { /* the S3 store alone */
				dr[0] = &b.drill_s3;
				label[0] = "s3";
				nd = 1;
			}
			evbuffer_add_printf(
			    out,
			    "# HELP slate_backup_last_snapshot_timestamp Unix time of the newest "
			    "snapshot (0: none).\n"
			    "# TYPE slate_backup_last_snapshot_timestamp gauge\n"
			    "slate_backup_last_snapshot_timestamp %lld\n"
			    "# HELP slate_backup_last_drill_timestamp Unix time of the last "
			    "restore drill of the destination (0: none).\n"
			    "# TYPE slate_backup_last_drill_timestamp gauge\n",
			    (long long)b.last_snapshot);
			for (size_t i = 0; i < nd; i++)
				evbuffer_add_printf(
				    out,
				    "slate_backup_last_drill_timestamp{destination=\"%s\"} %lld\n",
				    label[i], (long long)(dr[i]->known ? dr[i]->at : 0));
			evbuffer_add_printf(out,
			                    "# HELP slate_backup_last_drill_ok 1 when the last "
			                    "restore drill of the destination passed.\n"
			                    "# TYPE slate_backup_last_drill_ok gauge\n");
			for (size_t i = 0; i < nd; i++)
				evbuffer_add_printf(
				    out, "slate_backup_last_drill_ok{destination=\"%s\"} %d\n",
				    label[i], dr[i]->known && dr[i]->ok);
			evbuffer_add_printf(out,
			                    "# HELP slate_backup_last_drill_seconds How long the "
			                    "last drill's restore took: the measured recovery "
			                    "time.\n"
			                    "# TYPE slate_backup_last_drill_seconds gauge\n");
			for (size_t i = 0; i < nd; i++)
				evbuffer_add_printf(
				    out,
				    "slate_backup_last_drill_seconds{destination=\"%s\"} %.3f\n",
				    label[i], dr[i]->seconds);
			evbuffer_add_printf(out,
			                    "# HELP slate_backup_last_drill_sentinel 1 when the "
			                    "last drill restored up to its sentinel's commit and "
			                    "checked every live row count.\n"
			                    "# TYPE slate_backup_last_drill_sentinel gauge\n");
			for (size_t i = 0; i < nd; i++)
				evbuffer_add_printf(
				    out,
				    "slate_backup_last_drill_sentinel{destination=\"%s\"} %d\n",
				    label[i], dr[i]->known && dr[i]->ok && dr[i]->sentinel);
		}
		if (b.enabled) {
			/* one line per destination, backup_dir ("dir") first */
			struct ship_status ss[2];
			size_t n = ship_state_all(ss, 2);
			evbuffer_add_printf(out, "# HELP slate_backup_ship_lag_seconds Age of the "
			                         "oldest commit not yet shipped to the destination "
			                         "(0: all shipped).\n"
			                         "# TYPE slate_backup_ship_lag_seconds gauge\n");
			for (size_t i = 0; i < n; i++)
				evbuffer_add_printf(
				    out,
				    "slate_backup_ship_lag_seconds{destination=\"%s\"} "
				    "%.3f\n",
				    ss[i].label, ss[i].lag_seconds);
			evbuffer_add_printf(out,
			                    "# HELP slate_backup_last_shipped_timestamp Unix "
			                    "time before which every commit is in the "
			                    "destination.\n"
			                    "# TYPE slate_backup_last_shipped_timestamp gauge\n");
			for (size_t i = 0; i < n; i++)
				evbuffer_add_printf(out,
				                    "slate_backup_last_shipped_timestamp{"
				                    "destination=\"%s\"} %.3f\n",
				                    ss[i].label, ss[i].last_shipped);
			evbuffer_add_printf(out,
			                    "# HELP slate_backup_queue_bytes WAL bytes waiting "
			                    "for the destination.\n"
			                    "# TYPE slate_backup_queue_bytes gauge\n");
			for (size_t i = 0; i < n; i++)
				evbuffer_add_printf(
				    out, "slate_backup_queue_bytes{destination=\"%s\"} %lld\n",
				    ss[i].label, ss[i].queue_bytes);
			evbuffer_add_printf(out, "# HELP slate_backup_ship_position The last WAL "
			                         "generation and frame shipped.\n"
			                         "# TYPE slate_backup_ship_position gauge\n");
			for (size_t i = 0; i < n; i++)
				evbuffer_add_printf(
				    out,
				    "slate_backup_ship_position{destination=\"%s\",part="
				    "\"generation\"} "
				    "%lld\n"
				    "slate_backup_ship_position{destination=\"%s\",part=\"frame\"} "
				    "%lld\n",
				    ss[i].label, ss[i].generation, ss[i].label, ss[i].frame);
		}
	}
	{
		struct retention_report r;
		int have = housekeeping_last(&r);
		evbuffer_add_printf(
		    out,
		    "# HELP slate_retention_last_run_timestamp Unix time of the last "
		    "retention pass (0: none yet).\n"
		    "# TYPE slate_retention_last_run_timestamp gauge\n"
		    "slate_retention_last_run_timestamp %lld\n"
		    "# HELP slate_retention_last_run_ok 1 when every kind of the last "
		    "retention pass ran.\n"
		    "# TYPE slate_retention_last_run_ok gauge\n"
		    "slate_retention_last_run_ok %d\n"
		    "# HELP slate_retention_last_run_dry 1 when the last pass was a "
		    "dry run (it removed nothing; the counts are what it would).\n"
		    "# TYPE slate_retention_last_run_dry gauge\n"
		    "slate_retention_last_run_dry %d\n"
		    "# HELP slate_retention_removed What the last retention pass "
		    "removed, by kind.\n"
		    "# TYPE slate_retention_removed gauge\n",
		    have ? r.at : 0LL, have && r.ok, have && r.dry_run);
		for (int k = 0; k < RETENTION_KINDS; k++)
			evbuffer_add_printf(out, "slate_retention_removed{kind=\"%s\"} %lld\n",
			                    retention_kind_name[k], have ? r.removed[k] : 0LL);
	}
	{
		struct housekeeping_deletion d;
		int have = housekeeping_deletion(&d);
		evbuffer_add_printf(
		    out,
		    "# HELP slate_deletion_last_run_timestamp Unix time of the last run "
		    "of the deletion job (0: none yet).\n"
		    "# TYPE slate_deletion_last_run_timestamp gauge\n"
		    "slate_deletion_last_run_timestamp %lld\n"
		    "# HELP slate_deletion_last_run_ok 1 when the last run dealt with "
		    "every closed account that was due.\n"
		    "# TYPE slate_deletion_last_run_ok gauge\n"
		    "slate_deletion_last_run_ok %d\n"
		    "# HELP slate_deletion_last_run_accounts Closed accounts the last "
		    "run deleted.\n"
		    "# TYPE slate_deletion_last_run_accounts gauge\n"
		    "slate_deletion_last_run_accounts %d\n"
		    "# HELP slate_deletion_last_run_productions Closed productions the last run "
		    "erased.\n"
		    "# TYPE slate_deletion_last_run_productions gauge\n"
		    "slate_deletion_last_run_productions %ld\n",
		    have ? d.at : 0LL, have && d.ok, d.accounts, d.productions);
	}
	evbuffer_add_printf(out, "# HELP slate_cache_lookups_total Lookups of the loop threads' "
	                         "caches (api/cache.c), by cache and result.\n"
	                         "# TYPE slate_cache_lookups_total counter\n");
	for (size_t c = 0; c < METRICS_CACHES; c++)
		for (int hit = 0; hit < 2; hit++)
			evbuffer_add_printf(
			    out, "slate_cache_lookups_total{cache=\"%s\",result=\"%s\"} %lu\n",
			    cache_names[c], hit ? "hit" : "miss",
			    atomic_load_explicit(&cache_lookups[c][hit], memory_order_relaxed));
}

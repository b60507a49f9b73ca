/*
 * throttle.c — see throttle.h.
 */
#include "domain/throttle.h"

long
throttle_wait(const struct throttle_policy *p, const struct throttle_state *s, long long now)
{
	long long wait = 0;

	if (!s->source_known && s->account_failures >= p->max_failures) {
		long long until = s->account_oldest_at + THROTTLE_WINDOW;
		wait = until > now ? until - now : 1;
	}
	if (!s->source_known && p->max_address_accounts > 0 &&
	    s->address_accounts >= p->max_address_accounts) {
		long long until = s->address_free_at;
		long long w = until > now ? until - now : 1;
		if (w > wait)
			wait = w;
	}
	if (s->pair_failures >= p->free_failures) {
		long k = s->pair_failures - p->free_failures;
		long long backoff = k >= 30 ? p->backoff_max : (1LL << k);
		long long since = now - s->pair_last_at;
		if (backoff > p->backoff_max)
			backoff = p->backoff_max;
		if (since < backoff && backoff - since > wait)
			wait = backoff - since;
	}
	return (long)wait;
}

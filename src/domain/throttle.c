/*
 * throttle.c — see throttle.h.
 */
#include "domain/throttle.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "store/store.h"

void
throttle_source(const char *peer, char *out, size_t len)
{
	struct in6_addr a;
	char text[INET6_ADDRSTRLEN];

	if (strchr(peer, ':') == NULL || inet_pton(AF_INET6, peer, &a) != 1 ||
	    IN6_IS_ADDR_V4MAPPED(&a)) {
		snprintf(out, len, "%s", peer);
		return;
	}
	memset(a.s6_addr + 8, 0, 8);
	if (inet_ntop(AF_INET6, &a, text, sizeof(text)) == NULL)
		snprintf(out, len, "%s", peer);
	else
		snprintf(out, len, "%s/64", text);
}

void
throttle_state_of(const struct store_login_state *in, struct throttle_state *out)
{
	out->pair_failures = in->pair_failures;
	out->pair_last_at = in->pair_last_at;
	out->account_failures = in->account_failures;
	out->account_oldest_at = in->account_oldest_at;
	out->source_known = in->source_known;
	out->address_accounts = in->address_accounts;
	/* the first of those accounts drops out of the window a window after its latest failure */
	out->address_free_at = in->address_first_last_at + THROTTLE_WINDOW;
}

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

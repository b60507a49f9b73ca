/*
 * throttle.h — how long a sign-in attempt must wait. Pure arithmetic.
 *
 * Two rules, both over the last hour of failed sign-ins:
 *
 *   1. Per account and source address: after `free_failures` failures, each
 *      further attempt from that address must wait 2^(k) seconds after the
 *      previous failure (k = failures beyond the free ones), at most
 *      `backoff_max` seconds. A guesser slows down exponentially; the real
 *      user, who gets it right, waits once and is in.
 *   2. Per account, all addresses: at most `max_failures` failures an hour
 *      from addresses that have never signed in to this account. An address
 *      that has (the real user's) is not held by this rule, so an attacker
 *      cannot lock anyone out by failing on purpose.
 *
 * Unknown emails are throttled exactly like known ones, so a 429 tells an
 * attacker nothing about which accounts exist.
 */
#ifndef SLATE_DOMAIN_THROTTLE_H
#define SLATE_DOMAIN_THROTTLE_H

struct throttle_policy {
	long free_failures;
	long backoff_max;  /* seconds */
	long max_failures; /* per account per hour, from unknown addresses */
};

struct throttle_state {
	long pair_failures;          /* this account, this address, last hour */
	long long pair_last_at;      /* the latest of those (Unix seconds) */
	long account_failures;       /* this account, every address, last hour */
	long long account_oldest_at; /* the oldest of those */
	int source_known;            /* this address has signed in to this account */
};

#define THROTTLE_WINDOW 3600

/* 0: go ahead; otherwise the seconds to wait (for Retry-After). */
long throttle_wait(const struct throttle_policy *p, const struct throttle_state *s, long long now);

#endif

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
 *   3. Per address, all accounts: at most `max_address_accounts` different
 *      accounts an hour may fail from one address, counting only accounts
 *      that have never signed in from it. This stops one address spraying a
 *      password over many emails (each attempt would cost an Argon2id hash).
 *      The same care as rule 2 for shared addresses: an account that has
 *      signed in from this address before (a colleague behind the same
 *      office NAT) is neither held by this rule nor counted by it, and a
 *      budget of accounts (not attempts) is generous for a whole office.
 *      0 turns the rule off.
 *
 * Unknown emails are throttled exactly like known ones, so a 429 tells an
 * attacker nothing about which accounts exist.
 *
 * An "address" is an IPv4 address, or an IPv6 /64 (one subscriber's
 * network: a host can pick any address in it, so counting single IPv6
 * addresses would give one attacker 2^64 budgets).
 */
#ifndef SLATE_DOMAIN_THROTTLE_H
#define SLATE_DOMAIN_THROTTLE_H

#include <stddef.h>

struct throttle_policy {
	long free_failures;
	long backoff_max;          /* seconds */
	long max_failures;         /* per account per hour, from unknown addresses */
	long max_address_accounts; /* failing accounts per address per hour; 0: no limit */
};

struct throttle_state {
	long pair_failures;          /* this account, this address, last hour */
	long long pair_last_at;      /* the latest of those (Unix seconds) */
	long account_failures;       /* this account, every address, last hour */
	long long account_oldest_at; /* the oldest of those */
	int source_known;            /* this address has signed in to this account */
	long address_accounts;       /* accounts that failed from this address, last hour,
	                                not counting those that have signed in from it */
	long long address_free_at;   /* when the first of those drops out of the hour */
};

#define THROTTLE_WINDOW 3600

struct store_login_state;
/* The store's record of the last window's failures (store_login_state) as the throttle reads it. */
void throttle_state_of(const struct store_login_state *in, struct throttle_state *out);

/*
 * The throttle's name for a peer address (as inet_ntop wrote it): an IPv4
 * address (also one mapped into IPv6) as it is, an IPv6 address as its /64
 * ("2001:db8:1:2::/64"); anything else as it is. out holds at least 64 bytes.
 */
void throttle_source(const char *peer, char *out, size_t len);

/* 0: go ahead; otherwise the seconds to wait (for Retry-After). */
long throttle_wait(const struct throttle_policy *p, const struct throttle_state *s, long long now);

#endif

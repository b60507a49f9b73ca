/*
 * connlimit.h — open connections counted per client address, shared by
 * every loop thread. See connlimit.c.
 */
#ifndef SLATE_HTTP_CONNLIMIT_H
#define SLATE_HTTP_CONNLIMIT_H

#include <sys/socket.h>

#define CONNLIMIT_KEY_BYTES 16

struct connlimit;

/* A table that lets at most per_address connections be open under one key. */
struct connlimit *connlimit_new(long per_address);
/* Frees the table and whatever counts are left. NULL is a no-op. */
void connlimit_free(struct connlimit *t);
/*
 * The key a peer's connections are counted under: an IPv4 address (also when
 * it arrives IPv4-mapped on an IPv6 socket) or the /64 prefix of an IPv6
 * address (one host or home network gets a /64), except ::1, which is itself.
 */
void connlimit_key(const struct sockaddr *sa, unsigned char key[CONNLIMIT_KEY_BYTES]);
/* Counts one more connection under key: 0, or -1 (nothing counted) when the limit is reached. */
int connlimit_acquire(struct connlimit *t, const unsigned char key[CONNLIMIT_KEY_BYTES]);
/* Counts one connection fewer under key; the key must have been acquired. */
void connlimit_release(struct connlimit *t, const unsigned char key[CONNLIMIT_KEY_BYTES]);
/* Connections counted under key now (for tests). */
long connlimit_count(struct connlimit *t, const unsigned char key[CONNLIMIT_KEY_BYTES]);
/* 1 when the peer is 127.0.0.1 or ::1 (also IPv4-mapped): the health checker's addresses. */
int connlimit_health_peer(const struct sockaddr *sa);

#endif

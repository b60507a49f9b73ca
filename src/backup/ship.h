/*
 * ship.h — continuous shipping of the sealed WAL to DEST/wal of each backup
 * destination (backup_dir, an S3-compatible store), and the
 * replay of shipped segments onto a restored snapshot (issue 21). The
 * segment format and the rules are described at the top of ship.c.
 */
#ifndef SLATE_BACKUP_SHIP_H
#define SLATE_BACKUP_SHIP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "util/config.h"
#include "util/err.h"

#define SHIP_MAGIC      "SLATESEG"
#define SHIP_VERSION    1
#define SHIP_HDR        128
#define SHIP_COMMIT_LEN 12
#define SHIP_WAL_HDR    32
#define SHIP_FRAME      (24 + 4096)
#define SHIP_HASH       32

/* A segment's fixed header, decoded. */
struct ship_seg {
	long long generation;
	uint32_t ckpt_seq, salt1, salt2;
	uint32_t first, last; /* frame numbers, 1-based, inclusive */
	uint32_t commits;
	long long first_ms, last_ms; /* commit times, ms since the epoch (UTC) */
	unsigned char prev[SHIP_HASH];
	int has_wal_header;
};

/*
 * Checks a whole segment held in buf (n bytes): magic, version, lengths, and
 * the trailing SHA-256; fills *s and points *commits (SHIP_COMMIT_LEN each:
 * frame u32, ms u64, big-endian), *walhdr (NULL when absent) and *frames
 * into buf; *hash gets the trailing SHA-256. Pure: 0 ok, -1 with a reason.
 */
int ship_seg_parse(const unsigned char *buf, size_t n, struct ship_seg *s,
                   const unsigned char **commits, const unsigned char **walhdr,
                   const unsigned char **frames, unsigned char hash[SHIP_HASH], struct err *e);

struct backup_dest;

/*
 * For a snapshot: under the lock, ships what is pending to every
 * destination in dests (each its own tail). One that fails makes the
 * snapshot fail (backfilling frames it lacks would break its chain), except
 * in `slate serve` for a destination after the first: it is left out
 * (ok[i] 0) and marked lost, so the shipper writes its BREAK and asks for a
 * fresh snapshot once it is back;
 * backfills the main file exactly up to the last shipped commit, and copies
 * the sealed main file as it is into the open file out_fd (hashed: hex,
 * size). generation[i] and frame[i]: the WAL position the copy holds in
 * dests[i]'s numbering (segments of that generation, frames 1..frame are in
 * it; later ones apply to it); *at_ms the time after which its content ends.
 */
int ship_snapshot_copy(struct backup_dest **dests, size_t n, const char *db_path, int out_fd,
                       long long *size, char hex[65], long long *generation, long long *frame,
                       int *ok, long long *at_ms, struct err *e);

/* Writes a drill's sentinel (ship_mark) in db, inside its write transaction: 0, or -1 and why. */
struct sqlite3;
typedef int (*ship_write_fn)(struct sqlite3 *db, void *arg, struct err *e);

/*
 * A marked commit, for a restore drill: under the lock (no checkpoint can
 * restart the WAL meanwhile), fn writes in one write transaction on its own
 * connection to db_path, whose commit is frame *frame of the WAL; then
 * what is pending is shipped to every destination in dests (all of them:
 * the WAL is backfilled only up to what each has), as `slate backup now`
 * does. ok[i] 1: dests[i] holds the commit, at generation[i] (its own
 * numbering) frame *frame; 0: why[i] says why not. -1: nothing was
 * committed or nothing could be shipped (e).
 */
int ship_mark(struct backup_dest **dests, size_t nd, const char *db_path, ship_write_fn fn,
              void *arg, long long *generation, long long *frame, int *ok, struct err *why,
              struct err *e);

/* What a replay did. */
struct ship_applied {
	long long generations, segments, commits;
	long long reached_ms; /* the last commit applied; 0 when none */
};

/*
 * Replays onto db (a restored snapshot whose key the process uses) the
 * segments in dest from generation gen on (gen's frames 1..: those up to
 * frame are in the copy already), up to the last commit at or before
 * at_ms (-1: all). Every segment's hash and chain is checked before any
 * frame is applied; an error names the segment.
 */
int ship_apply(const char *dest, long long gen, long long frame, long long at_ms, const char *db,
               struct ship_applied *out, struct err *e);
/*
 * ship_apply up to exactly the commit at frame stop_frame of generation
 * stop_gen (a ship_mark): never past it, and an error when the segments
 * end before it (stop_gen 0: no position, ship_apply).
 */
int ship_apply_upto(const char *dest, long long gen, long long frame, long long at_ms,
                    long long stop_gen, long long stop_frame, const char *db,
                    struct ship_applied *out, struct err *e);

/* DEST/wal/HEAD: the last segment shipped and its last commit's time. 1 found, 0 none. */
int ship_dest_head(const char *dest, long long *gen, unsigned long *frame, long long *last_ms);
/* The same of any destination (scratch: a directory an object store's objects are fetched to). */
int ship_dest_head_d(struct backup_dest *d, const char *scratch, long long *gen,
                     unsigned long *frame, long long *last_ms);

/* Removes the generations in dest below gen (older than the oldest snapshot kept). */
int ship_prune(const char *dest, long long gen, struct err *e);
int ship_prune_d(struct backup_dest *d, long long gen, struct err *e);

/*
 * The shipper thread of `slate serve` (nothing when neither backup_dir nor
 * s3_endpoint is set):
 * every tick ships to each destination (backup_dir, and the S3 store when
 * s3_endpoint is set) independently; the WAL is backfilled only up to what
 * every destination has, or past the bound (the lagging one is then marked
 * as needing a fresh snapshot, taken once it is back).
 */
int ship_start(const struct config *c, const char *db_path, struct err *e);
void ship_stop(void);

struct ship_status {
	int enabled;
	char label[8];               /* "dir" or "s3": the metrics' destination label */
	long long generation, frame; /* the last frame shipped */
	double last_shipped;         /* Unix time: every commit before it is shipped */
	double lag_seconds;          /* age of the oldest commit not shipped; 0 when none */
	long long queue_bytes;       /* WAL bytes not shipped yet */
	time_t failing_since;        /* 0: the destination is fine */
	int continuity_lost;         /* the WAL was checkpointed unshipped: a snapshot is due */
	char error[256];
};
void ship_state(struct ship_status *st); /* the first destination (backup_dir) */
/* Every destination's (at most cap): how many. */
size_t ship_state_all(struct ship_status *st, size_t cap);

/* The wal hook that records commit times (store_sqlite_own_checkpoints). */
struct sqlite3;
int ship_commit_hook(void *arg, struct sqlite3 *db, const char *name, int frames);

/* Parses "0.2", "1", "200ms" into seconds: -1 when it is not one. */
double ship_parse_interval(const char *s);

#endif

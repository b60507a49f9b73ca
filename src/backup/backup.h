/*
 * backup.h — encrypted snapshots of the database to a directory, restores
 * from them (to a snapshot, or to any second with the WAL segments of
 * backup/ship.h), and restore drills that prove a restore works (issue 21).
 * With s3_endpoint set, each snapshot is also put in the S3-compatible
 * store (dest.h) with the same names, and restores and drills read from
 * it through a scratch directory (backup_restore_from).
 *
 * The destination layout (DEST is backup_dir), described in full at the top
 * of backup.c:
 *
 *   DEST/snapshots/NAME.db       the database, sealed page by page as live
 *   DEST/snapshots/NAME.keys.db  the keystore as it was just after (wrapped
 *                                under the master key, never the key itself)
 *   DEST/snapshots/NAME.json     the manifest; written last: a snapshot
 *                                without one is incomplete and ignored
 *   DEST/last-drill.json         the outcome of the last restore drill
 *   DEST/wal/GEN/FIRST-LAST.seg  shipped WAL frames (ship.c); DEST/wal/HEAD
 *
 * NAME is YYYYMMDDTHHMMSSZ-POSITION (UTC; POSITION the store's change
 * counter at the snapshot), with -2 … -9 after it for more than one snapshot
 * of the same second and position.
 */
#ifndef SLATE_BACKUP_BACKUP_H
#define SLATE_BACKUP_BACKUP_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "util/config.h"
#include "util/err.h"

#define BACKUP_NAME_MAX 96

struct keyring;

struct backup_snapshot_info {
	char name[BACKUP_NAME_MAX];
	char created_at[32];
	long long position; /* data_generation.n in the copy */
	long long size;     /* bytes of NAME.db */
	double seconds;     /* the whole snapshot, from start to the manifest's rename */
	int pruned;         /* snapshots older than the retention removed after it */
	int pruned_s3;      /* the same in the S3 store */
	int s3_skipped;     /* the S3 store failed: this snapshot is in backup_dir alone */
};

struct backup_dest;

/*
 * Writes a snapshot of the encrypted database at db_path (whose key the
 * process uses already: store_open ran) and a keystore copy from keys into
 * dest, then removes snapshots older than retention_days (and the WAL
 * generations before the oldest kept). The copy is the raw sealed main file
 * at a shipped WAL position (ship_snapshot_copy): writers wait only while
 * the last few frames are shipped and the WAL is backfilled. With s3 (NULL:
 * none) the WAL is shipped to it too, the same three files are put there
 * (the manifest with the S3 store's own WAL position, last), and its
 * snapshots older than s3_retention_days are removed. When s3 fails, the
 * snapshot fails too (it would lose the frames s3 lacks), except in `slate
 * serve`: there it is taken into dest alone (s3_skipped) and s3 gets a
 * fresh one once it is back (ship.h).
 */
/* dest NULL: s3 alone (the files are staged in DATA/.snapshot-staging, put there, removed). */
int backup_snapshot(const char *dest, long retention_days, struct backup_dest *s3,
                    long s3_retention_days, const char *db_path, struct keyring *keys,
                    struct backup_snapshot_info *out, struct err *e);

/* Removes the snapshot files in dest whose name's time is older than days. *removed snapshots. */
int backup_prune(const char *dest, long days, time_t now, int *removed, struct err *e);

/* The newest complete snapshot's NAME: 1 found, 0 none, -1 error. */
int backup_latest(const char *dest, char name[BACKUP_NAME_MAX], struct err *e);

/* The time in a snapshot's NAME, or -1. */
time_t backup_name_time(const char *name);

struct backup_restored {
	char snapshot[BACKUP_NAME_MAX];
	char keystore[BACKUP_NAME_MAX];
	char created_at[32];
	long long size, position, audit_events;
	double seconds;
	/* a restore to a time (backup_restore_at) */
	int replayed;
	int sentinel; /* a drill's sentinel was checked (backup_drill_run) */
	long long commits, segments, generations;
	long long reached_ms; /* the last commit applied (the snapshot's time when none) */
};

/*
 * Rebuilds a data directory at `to` (absent or empty; never written into
 * otherwise) from snapshot name of dest (NULL: the newest) and the keystore
 * copy of snapshot keystore (NULL: its own; "latest": the newest copy),
 * opened with the master key in key_file. Checks the manifest's size and
 * SHA-256, PRAGMA integrity_check, every table's row count against the
 * manifest and the audit chain, and accepts the copy as restored (its
 * commit counter becomes the restored keystore's record). On any failure
 * every file it wrote is removed again (and `to`, when it made it).
 */
int backup_restore(const char *dest, const char *name, const char *keystore, const char *to,
                   const char *key_file, struct backup_restored *out, struct err *e);

/*
 * backup_restore, then the WAL segments shipped after the snapshot up to the
 * last commit at or before at_ms (ms since 1970 UTC; -1: every segment).
 * name NULL: the newest snapshot taken at or before at_ms. at_ms -2: the
 * snapshot alone (backup_restore); so is a snapshot named with at_ms -1 that
 * was taken before WAL shipping (a drill of it).
 */
int backup_restore_at(const char *dest, const char *name, const char *keystore, const char *to,
                      const char *key_file, long long at_ms, struct backup_restored *out,
                      struct err *e);

/*
 * backup_restore_at from any destination (an S3-compatible store): what the
 * restore needs (every manifest and keystore copy, the snapshot, wal/HEAD
 * and the segments from the snapshot's generation on) is fetched into a
 * private scratch directory (0700) beside `to`, restored from there with
 * every check, and the scratch directory removed.
 */
int backup_restore_from(struct backup_dest *src, const char *name, const char *keystore,
                        const char *to, const char *key_file, long long at_ms,
                        struct backup_restored *out, struct err *e);

struct backup_drill;
struct backup_sentinel;

/*
 * A restore drill from src (the S3 store): its outcome in *d and in src's
 * last-drill.json. name and sen as for backup_drill_run.
 */
int backup_drill_run_from(struct backup_dest *src, const char *name, const char *data_dir,
                          const char *key_file, const struct backup_sentinel *sen,
                          struct backup_drill *d, struct err *e);
/* The last drill recorded in src (fetched through scratch, a directory). */
void backup_drill_read_from(struct backup_dest *src, const char *scratch, struct backup_drill *d);
/* The newest complete snapshot in src: 1 found, 0 none, -1 error. */
int backup_latest_from(struct backup_dest *src, char name[BACKUP_NAME_MAX], struct err *e);

/* The S3 destination of c (*out NULL when s3_endpoint is not set): 0, or -1 and why. */
int backup_s3_open(const struct config *c, struct backup_dest **out, struct err *e);

/* The outcome of a restore drill, as DEST/last-drill.json holds it. */
struct backup_drill {
	int known; /* 0: no drill recorded */
	time_t at;
	char snapshot[BACKUP_NAME_MAX];
	int ok;
	double seconds; /* the restore's duration: the measured recovery time */
	char reason[256];
	/*
	 * 1: restored up to exactly the sentinel's commit, its nonce found and
	 * every table's row count equal to the live database's at that commit;
	 * 0: the counts were checked against the snapshot's manifest only
	 */
	int sentinel;
	long long generation, frame; /* the WAL position restored to (sentinel 1) */
};

/*
 * THE SENTINEL (backup.c): a fresh random nonce and every table's row
 * count, written in one write transaction on the live database
 * (backup_sentinel, migration 0028), and the WAL position of that commit in
 * each destination. counts_json is owned (backup_sentinel_free).
 */
struct backup_sentinel {
	char nonce[33];
	char *counts_json;
	char written_at[32];
	long long generation, frame; /* in the destination's own numbering */
};

/*
 * Writes the sentinel in the live database db_path (whose key the process
 * uses: store_open ran) and ships its commit to every destination in dests
 * (ship_mark): sen[i] is dests[i]'s; ok[i] 0 with why[i] when dests[i] did
 * not get it. -1 (e): nothing was written or shipped.
 */
int backup_sentinel_write(struct backup_dest **dests, size_t nd, const char *db_path,
                          struct backup_sentinel *sen, int *ok, struct err *why, struct err *e);
void backup_sentinel_free(struct backup_sentinel *sen);

/*
 * The row counts want and got (JSON objects {table: count}) compared: 0
 * equal, 1 not (why names the first table that differs, or is missing
 * from either), -1 when one does not read as such an object.
 */
int backup_counts_differ(const char *want, const char *got, char *why, size_t cap);

/*
 * A restore drill: snapshot name (NULL: the newest) and every WAL segment
 * after it restored into a scratch directory under data_dir (removed
 * afterwards) with every check backup_restore makes; with sen (NULL: none)
 * restored up to exactly the sentinel's commit, then its nonce and every
 * table's row count checked against the live ones recorded with it (a
 * snapshot taken before WAL shipping cannot be: its manifest's counts are
 * checked, d->sentinel 0). The outcome in *d and in DEST/last-drill.json.
 * 0 when the drill ran (ok or not: d->ok), -1 when its outcome could not
 * be recorded.
 */
int backup_drill_run(const char *dest, const char *name, const char *data_dir, const char *key_file,
                     const struct backup_sentinel *sen, struct backup_drill *d, struct err *e);
/*
 * The scratch directories of restore drills (data_dir/.drill-*) not changed
 * since before (Unix seconds): a drill that crashed or was killed leaves
 * one. Counted into *n, and removed unless dry_run; -1 when data_dir cannot
 * be read. Used by the retention job and before each drill.
 */
int backup_scratch_prune(const char *data_dir, long long before, int dry_run, long long *n);
/* A drill that could not start (why): recorded in dest as failed. */
int backup_drill_failed(const char *dest, struct backup_dest *src, const char *name,
                        const char *why, struct backup_drill *d, struct err *e);
/* The last drill recorded in dest (d->known 0 when none). */
void backup_drill_read(const char *dest, struct backup_drill *d);

/*
 * `slate serve`: a thread that takes a snapshot every backup_snapshot_interval
 * seconds and runs a drill every backup_drill_interval seconds (a child
 * process, `slate backup verify`, so that the server's own key and keystore
 * are never touched by the restore). Nothing starts when neither backup_dir
 * nor s3_endpoint is set; with s3_endpoint alone the store is the only
 * destination (snapshots staged beside the database, drills of the store).
 * key_from_stdin: the master key has no file a drill could read; drills off.
 */
int backup_start(const struct config *c, const char *db_path, struct keyring *keys,
                 int key_from_stdin, struct err *e);
void backup_stop(void);
/* Asks the thread for a snapshot now (the shipper lost continuity). */
void backup_request_snapshot(void);

/* What /metrics shows: enabled 0 when no destination is configured. */
struct backup_state {
	int enabled;
	time_t last_snapshot; /* 0: none */
	struct backup_drill drill;
	int dir;                      /* backup_dir is a destination (0: the S3 store alone) */
	int s3;                       /* the S3 store is a destination too */
	struct backup_drill drill_s3; /* its last drill, read after each scheduled one */
};
void backup_state(struct backup_state *st);
/* 1 with a reason when backups are failing or overdue (/readyz), else 0. */
int backup_unready(char *why, size_t cap);

/*
 * Hashes the file at path (SHA-256, hex into hex) and, when out_fd is not
 * -1, copies it there as it reads and fsyncs the copy; *size its bytes.
 * 0, or -1 e set. Snapshots and restores read each byte once.
 */
int backup_hash_file(const char *path, int out_fd, long long *size, char hex[65], struct err *e);

/* A drill's record as last-drill.json and `status --json` hold it. */
json_t *backup_drill_json(const struct backup_drill *d);

#endif

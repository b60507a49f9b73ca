/*
 * backup.c — snapshots of the encrypted database to a directory (and from
 * there to the S3-compatible store), restores from either, and restore
 * drills (see backup.h).
 *
 * THE S3 STORE holds the same objects under the same names; a snapshot is
 * written to the directory first, then NAME.db, NAME.keys.db and last its
 * own NAME.json (with the store's own WAL position) are put there. A
 * restore from it fetches what it needs into a scratch directory beside the
 * target and runs the directory restore on it, so every check is the same.
 *
 * WHAT A SNAPSHOT IS
 *
 * A raw copy of the sealed main file DATA/slate.db, bytes as they are on
 * disk (nothing is decrypted: there is never a plaintext copy), taken at a
 * WAL position (ship.c, ship_snapshot_copy): under the shipper's lock every
 * committed frame is shipped to DEST/wal, the WAL is backfilled whole while
 * writers wait for the last few frames to be shipped, then the main file is
 * copied while writers go on into the WAL (no Slate process checkpoints
 * without that lock, and the seal epoch, raised by every checkpoint, is
 * compared before and after the copy). The copy is the database as of
 * frame wal_frame of WAL generation wal_generation: the segments of that
 * generation and the ones after it replay onto it page for page (a
 * restore to a time). It is read back through the encrypting VFS with the
 * URI parameter slate_copy=1, so its own commit counter (seal epoch) is
 * never reported as the live file's.
 *
 * THE DESTINATION, DEST (backup_dir)
 *
 *   DEST/snapshots/.partial-PID.*   being written; never read
 *   DEST/snapshots/NAME.db          the sealed copy, renamed into place
 *                                   once written and fsynced
 *   DEST/snapshots/NAME.keys.db     the keystore just after the copy
 *                                   (keyring_backup: wrapped data keys,
 *                                   openable only with the master key)
 *   DEST/snapshots/NAME.json        the manifest, renamed into place last
 *   DEST/last-drill.json            the last restore drill's outcome: at,
 *                                   snapshot, ok, seconds, reason, sentinel
 *                                   (bool), position {generation, frame}
 *                                   (null without the sentinel)
 *
 * NAME = YYYYMMDDTHHMMSSZ-POSITION[-N]: the UTC time the snapshot began and
 * the store's change counter (data_generation.n) in the copy. The manifest
 * is one JSON object:
 *
 *   format        1
 *   snapshot      "NAME.db";  keystore: "NAME.keys.db"
 *   created_at    RFC 3339 UTC, when the copy began
 *   position      data_generation.n in the copy
 *   audit_events  rows of audit_event in the copy
 *   size          bytes of NAME.db
 *   sha256        hex SHA-256 of NAME.db
 *   database_key  the keystore id of the key it is sealed under ("db-…")
 *   slate_version the binary that wrote it
 *   tables        { table name: row count } of every table in the copy
 *   seconds       how long the snapshot took
 *   wal_generation, wal_frame  the WAL position the copy holds (ship.c)
 *   created_ms    when the copy's content ends, ms since 1970: a restore to
 *                 a time starts from the newest snapshot at or before it
 *
 * A restore refuses a snapshot whose file is missing or whose size or
 * SHA-256 differs from its manifest (naming it), then the page seals,
 * PRAGMA integrity_check, the row counts and the audit chain check the rest.
 *
 * THE SENTINEL (a drill against the live database): the drill first picks
 * each destination's newest snapshot, then writes in one write transaction
 * on the live database the row backup_sentinel (id 1, migration 0028): a
 * fresh random nonce (16 bytes, hex) and {table: row count} of every table
 * as read inside that transaction, after the row itself was written (so
 * the counts are exactly the state at that commit, the row included). It
 * is written and shipped under the shipper's lock (ship_mark): no
 * checkpoint can restart the WAL meanwhile, so the commit's frame (from a
 * wal hook on its own connection) and the WAL generation the destination
 * files it under are exact. The restore then replays the segments up to
 * exactly that commit (ship_apply_upto) and check_sentinel compares the
 * nonce and every count (backup_counts_differ names the first table that
 * differs). A snapshot taken before WAL shipping has no position: it is
 * restored alone and only its manifest's counts are checked (the record
 * says sentinel false). The live counts and the nonce stay in memory; the
 * restored row is read, never trusted for the counts.
 *
 * RETENTION removes NAME.db, NAME.keys.db and NAME.json once NAME's time is
 * older than backup_retention_days, and with them the WAL generations older
 * than the oldest snapshot kept (at most 30, the deletion grace period:
 * a person shredded today is gone from every snapshot and keystore copy
 * here within 30 days). The age comes from the name, not the file time.
 */
#include "backup/backup.h"
#include "crypto/sha256.h"
#include "backup/dest.h"
#include "backup/ship.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "crypto/keyring.h"
#include "crypto/masterkey.h"
#include "store/pagecrypt.h"
#include "store/store.h"
#include "store/store_sqlite.h"
#include "util/io.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

#ifndef SLATE_VERSION
#define SLATE_VERSION "0.0.0-dev"
#endif

#define COPY_BUF (1 << 20)

static double
mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = -1;
	if (fd != -1) {
		rc = fsync(fd);
		close(fd);
	}
	return rc;
}

static int
mkdir_0700(const char *dir, struct err *e)
{
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return err_set(e, 500, "cannot create %s: %s", dir, strerror(errno));
	return 0;
}

/* "file:" URI of path, every byte outside [A-Za-z0-9/._-] escaped, then "?" query. */
static char *
file_uri(const char *path, const char *query)
{
	size_t n = strlen(path);
	char *out = xmalloc(7 + 3 * n + strlen(query)), *p = out;

	p += sprintf(p, "file:");
	for (const unsigned char *c = (const unsigned char *)path; *c; c++) {
		if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
		    (*c >= '0' && *c <= '9') || *c == '/' || *c == '.' || *c == '_' || *c == '-')
			*p++ = (char)*c;
		else
			p += sprintf(p, "%%%02X", *c);
	}
	sprintf(p, "?%s", query);
	return out;
}

/* Hashes (and, when out_fd != -1, copies) the file at path; fsyncs the copy (backup.h). */
int
backup_hash_file(const char *path, int out_fd, long long *size, char hex[65], struct err *e)
{
	struct sha256 h = {NULL};
	unsigned char digest[SHA256_LEN];
	unsigned char *buf = xmalloc(COPY_BUF);
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = -1;
	size_t got;

	*size = 0;
	if (fd == -1) {
		err_set(e, 404, "%s: %s", path, strerror(errno));
		goto out;
	}
	sha256_init(&h);
	do {
		if (io_read_full(fd, buf, COPY_BUF, &got) == -1) {
			err_set(e, 500, "cannot read %s: %s", path, strerror(errno));
			goto out;
		}
		sha256_update(&h, buf, got);
		if (out_fd != -1 && io_write_all(out_fd, buf, got) == -1) {
			err_set(e, 500, "cannot write a copy of %s: %s", path, strerror(errno));
			goto out;
		}
		*size += (long long)got;
	} while (got == COPY_BUF);
	if (out_fd != -1 && fsync(out_fd) == -1) {
		err_set(e, 500, "cannot sync a copy of %s: %s", path, strerror(errno));
		goto out;
	}
	sha256_final(&h, digest);
	sodium_bin2hex(hex, 65, digest, sizeof(digest));
	rc = 0;
out:
	sha256_free(&h);
	if (fd != -1)
		close(fd);
	free(buf);
	return rc;
}

/* Copies src to a new file dst (0600), fsynced; hash and size when hex is not NULL. */
static int
copy_file(const char *src, const char *dst, long long *size, char hex[65], struct err *e)
{
	char ignored[65];
	long long n;
	int fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600), rc;

	if (fd == -1)
		return err_set(e, 500, "cannot create %s: %s", dst, strerror(errno));
	rc = backup_hash_file(src, fd, size ? size : &n, hex ? hex : ignored, e);
	if (close(fd) == -1 && rc == 0)
		rc = err_set(e, 500, "cannot write %s: %s", dst, strerror(errno));
	return rc;
}

static int
fsync_path(const char *path, struct err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;
	if (fd == -1 || fsync(fd) == -1)
		rc = err_set(e, 500, "cannot sync %s: %s", path, strerror(errno));
	if (fd != -1)
		close(fd);
	return rc;
}

/* Writes j to path through path.tmp, fsynced, renamed. */
static int
write_json(const char *path, json_t *j, struct err *e)
{
	char tmp[PATH_MAX + 8];
	FILE *f = NULL;
	int fd, rc = -1;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) != -1 &&
	    (f = fdopen(fd, "w")) == NULL)
		close(fd);
	if (f == NULL)
		return err_set(e, 500, "cannot create %s: %s", tmp, strerror(errno));
	if (json_dumpf(j, f, JSON_INDENT(2) | JSON_SORT_KEYS) == -1 || fputc('\n', f) == EOF ||
	    fflush(f) == EOF || fsync(fileno(f)) == -1) {
		err_set(e, 500, "cannot write %s: %s", tmp, strerror(errno));
		fclose(f);
		unlink(tmp);
		return -1;
	}
	fclose(f);
	if (rename(tmp, path) == -1) {
		err_set(e, 500, "cannot rename %s: %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	return rc;
}

static int
one_int(sqlite3 *db, const char *sql, long long *out)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

/* Every table's row count in db, as a JSON object. */
static json_t *
table_counts(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	json_t *o = json_object();

	if (sqlite3_prepare_v2(db,
	                       "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT "
	                       "LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
	                       -1, &st, NULL) != SQLITE_OK)
		goto fail;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		char *q = sqlite3_mprintf("SELECT COUNT(*) FROM \"%w\"", t);
		long long n;
		int rc = one_int(db, q, &n);
		sqlite3_free(q);
		if (rc == -1)
			goto fail;
		json_object_set_new(o, t, json_integer(n));
	}
	sqlite3_finalize(st);
	return o;
fail:
	sqlite3_finalize(st);
	json_decref(o);
	return NULL;
}

static void
remove_partials(const char *snapdir)
{
	static const char *const ext[] = {".db",     ".db-journal", ".db-wal",
	                                  ".db-shm", ".keys.db",    ".json.tmp"};
	char p[PATH_MAX + 64];
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		snprintf(p, sizeof(p), "%s/.partial-%ld%s", snapdir, (long)getpid(), ext[i]);
		unlink(p);
	}
}

/*
 * The copy: under the shipper's lock, the WAL shipped and backfilled up to
 * its last commit, then the sealed main file copied as it is (ship.c); then
 * its position, audit count and row counts read back from the copy.
 */
static int
copy_database(struct backup_dest **dests, size_t nd, const char *db_path, const char *tmp,
              long long *size, char hex[65], long long *position, long long *audits,
              json_t **tables, long long gen[2], long long frame[2], int ok[2], long long *at_ms,
              struct err *e)
{
	sqlite3 *snap = NULL;
	char *uri = file_uri(tmp, "slate_copy=1");
	int rc = -1, fd;

	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) == -1) {
		err_set(e, 500, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	rc = ship_snapshot_copy(dests, nd, db_path, fd, size, hex, gen, frame, ok, at_ms, e);
	if (close(fd) == -1 && rc == 0)
		rc = err_set(e, 500, "cannot write %s: %s", tmp, strerror(errno));
	if (rc == -1)
		goto out;
	rc = -1;
	if (sqlite3_open_v2(uri, &snap, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) !=
	        SQLITE_OK ||
	    one_int(snap, "SELECT n FROM data_generation", position) == -1 ||
	    one_int(snap, "SELECT COUNT(*) FROM audit_event", audits) == -1 ||
	    (*tables = table_counts(snap)) == NULL) {
		err_set(e, 500, "the copy of %s does not read back: %s", db_path,
		        sqlite3_errmsg(snap));
		goto out;
	}
	rc = 0;
out:
	sqlite3_close(snap);
	free(uri);
	return rc;
}

/* The WAL generation of the oldest snapshot kept (0 when one does not record it). */
static long long
oldest_generation(const char *snapdir)
{
	struct dirent *de;
	DIR *d = opendir(snapdir);
	long long low = -1;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		char p[PATH_MAX + 300];
		size_t n = strlen(de->d_name);
		json_t *m;
		long long g;
		if (n <= 5 || strcmp(de->d_name + n - 5, ".json") != 0 ||
		    backup_name_time(de->d_name) == -1)
			continue;
		snprintf(p, sizeof(p), "%s/%s", snapdir, de->d_name);
		if ((m = json_load_file(p, 0, NULL)) == NULL)
			continue;
		g = (long long)json_integer_value(json_object_get(m, "wal_generation"));
		json_decref(m);
		if (low == -1 || g < low)
			low = g;
	}
	closedir(d);
	return low < 0 ? 0 : low;
}

/* The S3 copy of the snapshot in snapdir: the files, then its own manifest (its WAL position). */
static int
upload(struct backup_dest *s3, const char *snapdir, const char *name, json_t *m, long long gen,
       long long frame, struct err *e)
{
	char path[PATH_MAX + 128], obj[BACKUP_NAME_MAX + 32];
	json_t *mine = json_deep_copy(m);
	char *text = NULL;
	int rc = -1;

	json_object_set_new(mine, "wal_generation", json_integer((json_int_t)gen));
	json_object_set_new(mine, "wal_frame", json_integer((json_int_t)frame));
	snprintf(path, sizeof(path), "%s/%s.db", snapdir, name);
	snprintf(obj, sizeof(obj), "snapshots/%s.db", name);
	if (dest_put_file(s3, obj, path, e) == -1)
		goto out;
	snprintf(path, sizeof(path), "%s/%s.keys.db", snapdir, name);
	snprintf(obj, sizeof(obj), "snapshots/%s.keys.db", name);
	if (dest_put_file(s3, obj, path, e) == -1)
		goto out;
	/* the manifest last: a snapshot without one is incomplete and ignored */
	if ((text = json_dumps(mine, JSON_INDENT(2) | JSON_SORT_KEYS)) == NULL) {
		err_set(e, 500, "cannot build the manifest of %s", name);
		goto out;
	}
	snprintf(obj, sizeof(obj), "snapshots/%s.json", name);
	if (dest_put_mem(s3, obj, text, strlen(text), e) == -1)
		goto out;
	rc = 0;
out:
	free(text);
	json_decref(mine);
	return rc;
}

struct s3_snaps {
	struct backup_dest *s3;
	time_t cutoff;
	const char *scratch;
	int removed;
	long long low; /* the oldest WAL generation of a snapshot kept */
	char **doomed;
	size_t n, cap;
};

static int
s3_snap(const char *name, long long size, void *arg)
{
	struct s3_snaps *x = arg;
	const char *base = name + strlen("snapshots/");
	time_t t = backup_name_time(base);
	size_t n = strlen(name);

	(void)size;
	if (t == -1)
		return 0;
	if (t < x->cutoff) {
		if (x->n == x->cap) {
			x->cap = x->cap ? x->cap * 2 : 16;
			x->doomed = xrealloc(x->doomed, x->cap * sizeof(char *));
		}
		x->doomed[x->n++] = xstrdup(name);
		x->removed += n > 5 && strcmp(name + n - 5, ".json") == 0;
	} else if (n > 5 && strcmp(name + n - 5, ".json") == 0) {
		char local[PATH_MAX];
		struct err ignored;
		json_t *m;
		snprintf(local, sizeof(local), "%s/.s3-manifest-%ld.json", x->scratch,
		         (long)getpid());
		if (dest_get_file(x->s3, name, local, &ignored) == 0 &&
		    (m = json_load_file(local, 0, NULL)) != NULL) {
			long long g =
			    (long long)json_integer_value(json_object_get(m, "wal_generation"));
			if (x->low == -1 || g < x->low)
				x->low = g;
			json_decref(m);
		}
		unlink(local);
	}
	return 0;
}

/* Removes the S3 snapshots older than days, then the WAL generations before the oldest kept. */
static int
s3_prune(struct backup_dest *s3, long days, time_t now, const char *scratch, int *removed,
         struct err *e)
{
	struct s3_snaps x = {s3, now - (time_t)days * 86400, scratch, 0, -1, NULL, 0, 0};
	int rc = -1;

	*removed = 0;
	if (dest_list(s3, "snapshots/", s3_snap, &x, e) != 0)
		goto out;
	for (size_t i = 0; i < x.n; i++)
		if (dest_delete(s3, x.doomed[i], e) == -1)
			goto out;
	*removed = x.removed;
	if (x.removed > 0 && x.low > 0 && ship_prune_d(s3, x.low, e) == -1)
		goto out;
	rc = 0;
out:
	for (size_t i = 0; i < x.n; i++)
		free(x.doomed[i]);
	free(x.doomed);
	return rc;
}

int
backup_snapshot(const char *dest, long retention_days, struct backup_dest *s3,
                long s3_retention_days, const char *db_path, struct keyring *keys,
                struct backup_snapshot_info *out, struct err *e)
{
	struct backup_dest *dests[2] = {NULL, s3};
	long long gen[2] = {0, 0}, frame[2] = {0, 0}, at_ms = 0;
	int ok[2] = {1, 1};
	char snapdir[PATH_MAX], tmp[PATH_MAX + 64], tmpkeys[PATH_MAX + 64], path[PATH_MAX + 128],
	    hex[65], stamp[32], kid[PAGECRYPT_KEY_ID_LEN + 1];
	unsigned char id[PAGECRYPT_ID_LEN];
	long long audits = 0;
	json_t *tables = NULL, *m = NULL;
	double t0 = mono();
	time_t now = time(NULL);
	struct tm tm;
	int rc = -1, staged = dest == NULL, si = dest == NULL ? 0 : 1;
	struct dest_spec sp;
	char staging[PATH_MAX - 32];

	memset(out, 0, sizeof(*out));
	if (staged) {
		/* the S3 store alone: written beside the database, put there, then removed */
		char *slash;
		if (s3 == NULL)
			return err_set(e, 400,
			               "no backup destination: set backup_dir or s3_endpoint");
		snprintf(staging, sizeof(staging), "%s", db_path);
		if ((slash = strrchr(staging, '/')) != NULL)
			snprintf(slash, sizeof(staging) - (size_t)(slash - staging),
			         "/.snapshot-staging");
		else
			snprintf(staging, sizeof(staging), ".snapshot-staging");
		dest = staging;
		dests[0] = s3;
	}
	snprintf(snapdir, sizeof(snapdir), "%s/snapshots", dest);
	if (mkdir_0700(dest, e) == -1 || mkdir_0700(snapdir, e) == -1)
		return -1;
	switch (pagecrypt_probe(db_path, id, e)) {
	case -1: return -1;
	case 0: return err_set(e, 500, "%s is not encrypted: no snapshot of it is taken", db_path);
	default: break;
	}
	memset(&sp, 0, sizeof(sp));
	sp.kind = DEST_DIR;
	sp.dir = dest;
	if (!staged && (dests[0] = dest_open(&sp, e)) == NULL)
		return -1;
	pagecrypt_key_id(id, kid);
	remove_partials(snapdir);
	snprintf(tmp, sizeof(tmp), "%s/.partial-%ld.db", snapdir, (long)getpid());
	snprintf(tmpkeys, sizeof(tmpkeys), "%s/.partial-%ld.keys.db", snapdir, (long)getpid());
	gmtime_r(&now, &tm);
	time_rfc3339(now, out->created_at);
	if (copy_database(dests, s3 && !staged ? 2 : 1, db_path, tmp, &out->size, hex,
	                  &out->position, &audits, &tables, gen, frame, ok, &at_ms, e) == -1)
		goto out;
	{
		/* a -wal or -shm the read-back left beside the copy is not part of it */
		char side[PATH_MAX + 80];
		snprintf(side, sizeof(side), "%s-wal", tmp);
		unlink(side);
		snprintf(side, sizeof(side), "%s-shm", tmp);
		unlink(side);
	}
	{
		/* the name's time is the copy's time: a restore to a time picks by it */
		time_t at = (time_t)(at_ms / 1000);
		now = at;
		gmtime_r(&now, &tm);
		time_rfc3339(now, out->created_at);
	}
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(out->name, sizeof(out->name), "%s-%lld", stamp, out->position);
	snprintf(path, sizeof(path), "%s/%s.json", snapdir, out->name);
	for (int n = 2; n <= 9 && access(path, F_OK) == 0; n++) {
		snprintf(out->name, sizeof(out->name), "%s-%lld-%d", stamp, out->position, n);
		snprintf(path, sizeof(path), "%s/%s.json", snapdir, out->name);
	}
	if (access(path, F_OK) == 0) {
		err_set(e, 409, "too many snapshots of %s in one second", stamp);
		goto out;
	}
	/* the keystore after the copy: it holds every key the copy's rows were sealed under */
	if (keyring_backup(keys, tmpkeys, e) == -1 || fsync_path(tmpkeys, e) == -1)
		goto out;
	snprintf(path, sizeof(path), "%s/%s.db", snapdir, out->name);
	if (rename(tmp, path) == -1) {
		err_set(e, 500, "cannot rename %s: %s", tmp, strerror(errno));
		goto out;
	}
	snprintf(path, sizeof(path), "%s/%s.keys.db", snapdir, out->name);
	if (rename(tmpkeys, path) == -1) {
		err_set(e, 500, "cannot rename %s: %s", tmpkeys, strerror(errno));
		goto out;
	}
	out->seconds = mono() - t0;
	m = json_pack("{s:i, s:s+, s:s+, s:s, s:I, s:I, s:I, s:s, s:s, s:s, s:O, s:f, s:I, s:I, "
	              "s:I}",
	              "format", 1, "snapshot", out->name, ".db", "keystore", out->name, ".keys.db",
	              "created_at", out->created_at, "position", (json_int_t)out->position,
	              "audit_events", (json_int_t)audits, "size", (json_int_t)out->size, "sha256",
	              hex, "database_key", kid, "slate_version", SLATE_VERSION, "tables", tables,
	              "seconds", out->seconds, "wal_generation", (json_int_t)gen[0], "wal_frame",
	              (json_int_t)frame[0], "created_ms", (json_int_t)at_ms);
	snprintf(path, sizeof(path), "%s/%s.json", snapdir, out->name);
	if (m == NULL) {
		err_set(e, 500, "cannot build the manifest of %s", out->name);
		goto out;
	}
	if (write_json(path, m, e) == -1 || sync_dir(snapdir) == -1)
		goto out;
	if (!staged && (backup_prune(dest, retention_days, now, &out->pruned, e) == -1 ||
	                (out->pruned > 0 && ship_prune(dest, oldest_generation(snapdir), e) == -1)))
		goto out;
	out->s3_skipped = s3 != NULL && !ok[si];
	if (s3 != NULL && ok[si]) {
		int removed = 0;
		if (upload(s3, snapdir, out->name, m, gen[si], frame[si], e) == -1 ||
		    s3_prune(s3, s3_retention_days, now, snapdir, &removed, e) == -1) {
			char why[sizeof(e->msg)];
			snprintf(why, sizeof(why), "%s", e->msg); /* e->msg is written next */
			if (staged)
				err_set(e, 503, "snapshot %s was not put in %s: %s", out->name,
				        dest_label(s3), why);
			else
				err_set(e, 503, "snapshot %s is in %s, not in %s: %s", out->name,
				        dest, dest_label(s3), why);
			goto out;
		}
		out->pruned_s3 = removed;
	}
	rc = 0;
out:
	if (!staged)
		dest_close(dests[0]);
	if (rc == -1 || staged)
		remove_partials(snapdir);
	if (staged) {
		/* the store holds it now (or the snapshot failed): nothing stays beside the
		 * database */
		static const char *const ext[] = {".db", ".keys.db", ".json"};
		for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]) && out->name[0]; i++) {
			snprintf(path, sizeof(path), "%s/%s%s", snapdir, out->name, ext[i]);
			unlink(path);
		}
		rmdir(snapdir);
		rmdir(dest);
	}
	json_decref(tables);
	json_decref(m);
	return rc;
}

time_t
backup_name_time(const char *name)
{
	struct tm tm;
	const char *end;
	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(name, "%Y%m%dT%H%M%SZ", &tm)) == NULL || end != name + 16 ||
	    end[0] != '-' || end[1] < '0' || end[1] > '9')
		return -1;
	return timegm(&tm);
}

int
backup_prune(const char *dest, long days, time_t now, int *removed, struct err *e)
{
	char snapdir[PATH_MAX], p[PATH_MAX + 300];
	time_t cutoff = now - (time_t)days * 86400;
	struct dirent *de;
	DIR *d;

	*removed = 0;
	snprintf(snapdir, sizeof(snapdir), "%s/snapshots", dest);
	if ((d = opendir(snapdir)) == NULL)
		return errno == ENOENT
		           ? 0
		           : err_set(e, 500, "cannot read %s: %s", snapdir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		time_t t = backup_name_time(de->d_name);
		size_t n = strlen(de->d_name);
		if (t == -1 || t >= cutoff)
			continue;
		snprintf(p, sizeof(p), "%s/%s", snapdir, de->d_name);
		if (unlink(p) == 0 && n > 5 && strcmp(de->d_name + n - 5, ".json") == 0)
			++*removed;
	}
	closedir(d);
	return sync_dir(snapdir) == -1 ? err_set(e, 500, "cannot sync %s", snapdir) : 0;
}

/* POSITION and N of a NAME YYYYMMDDTHHMMSSZ-POSITION[-N] (backup_name_time said it is one). */
static void
name_order(const char *name, long long *pos, long *n)
{
	char *end;
	*pos = strtoll(name + 17, &end, 10);
	*n = *end == '-' ? strtol(end + 1, NULL, 10) : 0;
}

/* Orders names by time, then position, then -N. */
static int
newer(const char *a, const char *b)
{
	long long pa, pb;
	long na, nb;
	int c = strncmp(a, b, 16);
	if (c != 0)
		return c > 0;
	name_order(a, &pa, &na);
	name_order(b, &pb, &nb);
	return pa != pb ? pa > pb : na > nb;
}

/* The newest NAME of a file in snapdir ending in suffix (".json", ".keys.db"). */
static int
newest(const char *snapdir, const char *suffix, char name[BACKUP_NAME_MAX], struct err *e)
{
	struct dirent *de;
	DIR *d;
	size_t sl = strlen(suffix);
	int found = 0;

	if ((d = opendir(snapdir)) == NULL)
		return errno == ENOENT
		           ? 0
		           : err_set(e, 500, "cannot read %s: %s", snapdir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		char cand[BACKUP_NAME_MAX];
		size_t n = strlen(de->d_name);
		if (n <= sl || n - sl >= BACKUP_NAME_MAX ||
		    strcmp(de->d_name + n - sl, suffix) != 0 || backup_name_time(de->d_name) == -1)
			continue;
		memcpy(cand, de->d_name, n - sl);
		cand[n - sl] = '\0';
		/* NAME.keys.db ends in .db as well: only whole names count */
		if (strcmp(suffix, ".db") == 0 && strstr(cand, ".keys") != NULL)
			continue;
		if (!found || newer(cand, name)) {
			memcpy(name, cand, n - sl + 1);
			found = 1;
		}
	}
	closedir(d);
	return found;
}

int
backup_latest(const char *dest, char name[BACKUP_NAME_MAX], struct err *e)
{
	char snapdir[PATH_MAX];
	snprintf(snapdir, sizeof(snapdir), "%s/snapshots", dest);
	return newest(snapdir, ".json", name, e);
}

/* Removes what a failed restore wrote into to (and to itself when it made it). */
static void
undo_restore(const char *to, int made)
{
	static const char *const files[] = {"slate.db",         "slate.db-wal",   "slate.db-shm",
	                                    "slate.db-journal", "keys.db",        "keys.db-wal",
	                                    "keys.db-shm",      "keys.db-journal"};
	char p[PATH_MAX + 32];
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", to, files[i]);
		unlink(p);
	}
	if (made)
		rmdir(to);
}

/* 1 when dir is absent (made now, 0700), 0 when it is an empty directory, -1 otherwise. */
static int
empty_target(const char *to, struct err *e)
{
	struct dirent *de;
	DIR *d = opendir(to);
	int entries = 0;

	if (d == NULL && errno == ENOENT) {
		if (mkdir(to, 0700) == -1)
			return err_set(e, 500, "cannot create %s: %s", to, strerror(errno));
		return 1;
	}
	if (d == NULL)
		return err_set(e, 409, "%s is not an empty directory: %s", to, strerror(errno));
	while ((de = readdir(d)) != NULL)
		entries += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(d);
	if (entries > 0)
		return err_set(e, 409, "%s is not empty: a restore never writes beside other files",
		               to);
	return 0;
}

/* The restored database's own checks: integrity (when asked), and the row counts of the manifest.
 */
static int
check_copy(const char *db, json_t *tables, int integrity, const char *name, struct err *e)
{
	sqlite3 *c = NULL;
	sqlite3_stmt *st = NULL;
	const char *t;
	json_t *v;
	int rc = -1;

	if (sqlite3_open_v2(db, &c, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		err_set(e, 500, "snapshot %s does not open: %s", name, sqlite3_errmsg(c));
		goto out;
	}
	if (!integrity)
		goto counts;
	if (sqlite3_exec(c, "PRAGMA temp_store=MEMORY", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		err_set(e, 500, "snapshot %s fails its integrity check: %s", name,
		        pagecrypt_last_error()[0] ? pagecrypt_last_error() : sqlite3_errmsg(c));
		goto out;
	}
	if (strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0) {
		/* one line: SQLite's report has several */
		err_set(e, 500, "snapshot %s fails its integrity check: %s", name,
		        (const char *)sqlite3_column_text(st, 0));
		for (char *p = e->msg; *p; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
		goto out;
	}
counts:
	json_object_foreach (tables, t, v) {
		char *q = sqlite3_mprintf("SELECT COUNT(*) FROM \"%w\"", t);
		long long n = -1;
		int r = one_int(c, q, &n);
		sqlite3_free(q);
		if (r == -1 || n != json_integer_value(v)) {
			err_set(e, 500,
			        "snapshot %s: table %s has %lld rows, its manifest says %lld", name,
			        t, n, (long long)json_integer_value(v));
			goto out;
		}
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	sqlite3_close(c);
	return rc;
}

/*
 * The snapshot a restore to at_ms starts from: the newest whose copy was
 * taken at or before at_ms (-1: the newest) and that records its WAL
 * position. 1 found, 0 none.
 */
static int
pick_snapshot(const char *snapdir, long long at_ms, char name[BACKUP_NAME_MAX], struct err *e)
{
	struct dirent *de;
	DIR *d;
	long long best = -1;
	int found = 0;

	if ((d = opendir(snapdir)) == NULL)
		return errno == ENOENT
		           ? 0
		           : err_set(e, 500, "cannot read %s: %s", snapdir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		char p[PATH_MAX + 300];
		size_t n = strlen(de->d_name);
		json_t *m;
		long long ms;

		if (n <= 5 || n - 5 >= BACKUP_NAME_MAX ||
		    strcmp(de->d_name + n - 5, ".json") != 0 || backup_name_time(de->d_name) == -1)
			continue;
		snprintf(p, sizeof(p), "%s/%s", snapdir, de->d_name);
		if ((m = json_load_file(p, 0, NULL)) == NULL)
			continue;
		ms = (long long)json_integer_value(json_object_get(m, "created_ms"));
		if (json_integer_value(json_object_get(m, "wal_generation")) > 0 && ms > 0 &&
		    (at_ms < 0 || ms <= at_ms) && ms > best) {
			best = ms;
			memcpy(name, de->d_name, n - 5);
			name[n - 5] = '\0';
			found = 1;
		}
		json_decref(m);
	}
	closedir(d);
	return found;
}

int
backup_restore(const char *dest, const char *name, const char *keystore, const char *to,
               const char *key_file, struct backup_restored *out, struct err *e)
{
	return backup_restore_at(dest, name, keystore, to, key_file, -2, out, e);
}

/* The restored database at db holds sen's nonce and the live row counts recorded with it. */
static int
check_sentinel(const char *db, const struct backup_sentinel *sen, const char *name, struct err *e)
{
	sqlite3 *c = NULL;
	sqlite3_stmt *st = NULL;
	json_t *got = NULL;
	char *text = NULL, why[200];
	int rc = -1, r;

	if (sqlite3_open_v2(db, &c, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		err_set(e, 500, "snapshot %s does not open: %s", name, sqlite3_errmsg(c));
		goto out;
	}
	if (sqlite3_prepare_v2(c, "SELECT nonce FROM backup_sentinel WHERE id = 1", -1, &st,
	                       NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		err_set(e, 422,
		        "the restore of snapshot %s up to generation %lld frame %lld holds no "
		        "sentinel row: the drill's commit was not restored",
		        name, sen->generation, sen->frame);
		goto out;
	}
	if (strcmp((const char *)sqlite3_column_text(st, 0), sen->nonce) != 0) {
		err_set(
		    e, 422,
		    "the restore of snapshot %s up to generation %lld frame %lld holds another "
		    "sentinel (nonce %.8s…, the drill wrote %.8s…): it is not the drill's commit",
		    name, sen->generation, sen->frame, (const char *)sqlite3_column_text(st, 0),
		    sen->nonce);
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((got = table_counts(c)) == NULL ||
	    (text = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		err_set(e, 500, "snapshot %s: the restored row counts do not read: %s", name,
		        sqlite3_errmsg(c));
		goto out;
	}
	if ((r = backup_counts_differ(sen->counts_json, text, why, sizeof(why))) != 0) {
		err_set(e, 422, "the restore of snapshot %s up to generation %lld frame %lld: %s",
		        name, sen->generation, sen->frame,
		        r == -1 ? "the live row counts do not read" : why);
		goto out;
	}
	rc = 0;
out:
	free(text);
	json_decref(got);
	sqlite3_finalize(st);
	sqlite3_close(c);
	return rc;
}

int
backup_counts_differ(const char *want, const char *got, char *why, size_t cap)
{
	json_t *w = json_loads(want ? want : "", 0, NULL), *g = json_loads(got ? got : "", 0, NULL);
	const char *t;
	json_t *v;
	int rc = 0;

	why[0] = '\0';
	if (!json_is_object(w) || !json_is_object(g)) {
		snprintf(why, cap, "the row counts do not read");
		rc = -1;
		goto out;
	}
	json_object_foreach (w, t, v) {
		json_t *x = json_object_get(g, t);
		if (!json_is_integer(v) || (x != NULL && !json_is_integer(x))) {
			snprintf(why, cap, "the row count of table %s does not read", t);
			rc = -1;
			goto out;
		}
		if (x == NULL) {
			snprintf(
			    why, cap,
			    "table %s is missing (the live database had %lld rows at that commit)",
			    t, (long long)json_integer_value(v));
			rc = 1;
			goto out;
		}
		if (json_integer_value(x) != json_integer_value(v)) {
			snprintf(
			    why, cap,
			    "table %s has %lld rows, the live database had %lld at that commit", t,
			    (long long)json_integer_value(x), (long long)json_integer_value(v));
			rc = 1;
			goto out;
		}
	}
	json_object_foreach (g, t, v) {
		if (json_object_get(w, t) == NULL) {
			snprintf(why, cap,
			         "table %s (%lld rows) was not in the live database at that commit",
			         t, (long long)json_integer_value(v));
			rc = 1;
			goto out;
		}
	}
out:
	json_decref(w);
	json_decref(g);
	return rc;
}

static int restore_impl(const char *dest, const char *name, const char *keystore, const char *to,
                        const char *key_file, long long at_ms, const struct backup_sentinel *sen,
                        struct backup_restored *out, struct err *e);

int
backup_restore_at(const char *dest, const char *name, const char *keystore, const char *to,
                  const char *key_file, long long at_ms, struct backup_restored *out, struct err *e)
{
	return restore_impl(dest, name, keystore, to, key_file, at_ms, NULL, out, e);
}

static int
restore_impl(const char *dest, const char *name, const char *keystore, const char *to,
             const char *key_file, long long at_ms, const struct backup_sentinel *sen,
             struct backup_restored *out, struct err *e)
{
	char snapdir[PATH_MAX], src[PATH_MAX + 128], keysrc[PATH_MAX + 128], db[PATH_MAX + 32],
	    keys_db[PATH_MAX + 32], hex[65], pick[BACKUP_NAME_MAX];
	struct secret key = {NULL, 0};
	struct keyring *kr = NULL;
	struct store *s = NULL;
	int named = name != NULL;
	json_t *m = NULL;
	json_error_t je;
	double t0 = mono();
	uint64_t was, now;
	long long bad = 0;
	int made = -1, rc = -1, found;

	memset(out, 0, sizeof(*out));
	snprintf(snapdir, sizeof(snapdir), "%s/snapshots", dest);
	if (name == NULL && at_ms != -2) {
		if ((found = pick_snapshot(snapdir, at_ms, pick, e)) == -1)
			return -1;
		if (found == 0)
			return err_set(e, 404,
			               at_ms >= 0
			                   ? "%s holds no snapshot taken at or before that time "
			                     "(with its WAL position): nothing was restored"
			                   : "%s holds no snapshot with its WAL position: nothing "
			                     "was restored",
			               dest);
		name = pick;
	} else if (name == NULL) {
		if ((found = newest(snapdir, ".json", pick, e)) == -1)
			return -1;
		if (found == 0)
			return err_set(e, 404, "%s holds no snapshot", dest);
		name = pick;
	}
	/* NAME, NAME.db or NAME.json all name a snapshot */
	snprintf(out->snapshot, sizeof(out->snapshot), "%s", name);
	{
		size_t n = strlen(out->snapshot);
		if (n > 5 && strcmp(out->snapshot + n - 5, ".json") == 0)
			out->snapshot[n - 5] = '\0';
		else if (n > 3 && strcmp(out->snapshot + n - 3, ".db") == 0)
			out->snapshot[n - 3] = '\0';
	}
	if (strchr(out->snapshot, '/') != NULL || backup_name_time(out->snapshot) == -1)
		return err_set(e, 400, "'%s' is not a snapshot name (YYYYMMDDTHHMMSSZ-POSITION)",
		               name);
	if (keystore == NULL)
		snprintf(out->keystore, sizeof(out->keystore), "%s", out->snapshot);
	else if (strcmp(keystore, "latest") == 0) {
		if ((found = newest(snapdir, ".keys.db", out->keystore, e)) != 1)
			return found == -1 ? -1
			                   : err_set(e, 404, "%s holds no keystore copy", dest);
	} else {
		snprintf(out->keystore, sizeof(out->keystore), "%s", keystore);
		if (strchr(keystore, '/') != NULL || backup_name_time(keystore) == -1)
			return err_set(e, 400, "'%s' is not a snapshot name", keystore);
	}
	snprintf(src, sizeof(src), "%s/%s.json", snapdir, out->snapshot);
	if ((m = json_load_file(src, 0, &je)) == NULL) {
		rc = err_set(e, 404, "snapshot %s has no readable manifest (%s)", out->snapshot,
		             je.text);
		goto out;
	}
	snprintf(src, sizeof(src), "%s/%s.db", snapdir, out->snapshot);
	snprintf(keysrc, sizeof(keysrc), "%s/%s.keys.db", snapdir, out->keystore);
	if (access(src, R_OK) == -1) {
		err_set(e, 404, "snapshot %s.db is missing from %s", out->snapshot, snapdir);
		goto out;
	}
	if (access(keysrc, R_OK) == -1) {
		err_set(e, 404, "keystore copy %s.keys.db is missing from %s", out->keystore,
		        snapdir);
		goto out;
	}
	if (masterkey_load(key_file, &key, e) == -1)
		goto out;
	if ((made = empty_target(to, e)) == -1)
		goto out;
	snprintf(db, sizeof(db), "%s/slate.db", to);
	snprintf(keys_db, sizeof(keys_db), "%s/keys.db", to);
	/* the key first: a wrong master key writes nothing that stays */
	if (copy_file(keysrc, keys_db, NULL, NULL, e) == -1)
		goto out;
	if ((kr = keyring_open(keys_db, &key, NULL, 0, e)) == NULL) {
		if (e->status == 401)
			err_set(e, 401,
			        "the master key in %s does not open keystore copy %s.keys.db: "
			        "nothing was restored",
			        key_file, out->keystore);
		goto out;
	}
	if (copy_file(src, db, &out->size, hex, e) == -1)
		goto out;
	if (out->size != (long long)json_integer_value(json_object_get(m, "size")) ||
	    json_string_value(json_object_get(m, "sha256")) == NULL ||
	    strcmp(hex, json_string_value(json_object_get(m, "sha256"))) != 0) {
		err_set(e, 422,
		        "snapshot %s.db does not match its manifest (%s): it was altered or "
		        "truncated",
		        out->snapshot,
		        out->size != (long long)json_integer_value(json_object_get(m, "size"))
		            ? "size differs"
		            : "SHA-256 differs");
		goto out;
	}
	/* a drill (a snapshot named, every segment) of a snapshot from before WAL shipping: alone
	 */
	if (at_ms == -1 && named && json_integer_value(json_object_get(m, "wal_generation")) <= 0)
		at_ms = -2;
	/* the snapshot's own rows against its manifest; its integrity here only when no segment
	   follows: the whole check runs once, on what is restored (a pass over every page each) */
	if (fsync_path(to, e) == -1 || store_accept_restore(db, kr, &was, &now, e) == -1 ||
	    check_copy(db, json_object_get(m, "tables"), at_ms == -2, out->snapshot, e) == -1)
		goto out;
	if (at_ms != -2) {
		/* the segments after the snapshot, up to the time (ship.c) */
		struct ship_applied ap;
		long long g = (long long)json_integer_value(json_object_get(m, "wal_generation"));
		if (g <= 0) {
			err_set(e, 422,
			        "snapshot %s was taken before WAL shipping: restore it alone with "
			        "--snapshot %s",
			        out->snapshot, out->snapshot);
			goto out;
		}
		if (ship_apply_upto(
		        dest, g, (long long)json_integer_value(json_object_get(m, "wal_frame")),
		        at_ms, sen ? sen->generation : 0, sen ? sen->frame : 0, db, &ap, e) == -1 ||
		    store_accept_restore(db, kr, &was, &now, e) == -1 ||
		    check_copy(db, NULL, 1, out->snapshot, e) == -1 ||
		    (sen != NULL && check_sentinel(db, sen, out->snapshot, e) == -1))
			goto out;
		out->replayed = 1;
		out->sentinel = sen != NULL;
		out->commits = ap.commits;
		out->segments = ap.segments;
		out->generations = ap.generations;
		out->reached_ms =
		    ap.reached_ms ? ap.reached_ms
		                  : (long long)json_integer_value(json_object_get(m, "created_ms"));
		{
			struct stat st;
			if (stat(db, &st) == 0)
				out->size = (long long)st.st_size;
		}
	}
	if ((s = store_open(db, 0, kr, e)) == NULL ||
	    audit_verify(s, &out->audit_events, &bad, e) == -1)
		goto out;
	if (bad != 0) {
		err_set(e, 422, "snapshot %s: the audit chain breaks at event %lld", out->snapshot,
		        bad);
		goto out;
	}
	snprintf(out->created_at, sizeof(out->created_at), "%s",
	         json_string_value(json_object_get(m, "created_at"))
	             ? json_string_value(json_object_get(m, "created_at"))
	             : "");
	out->position = (long long)json_integer_value(json_object_get(m, "position"));
	rc = 0;
out:
	store_close(s);
	keyring_close(kr);
	secret_free(&key);
	json_decref(m);
	if (rc == -1 && made != -1)
		undo_restore(to, made);
	out->seconds = mono() - t0;
	return rc;
}

json_t *
backup_drill_json(const struct backup_drill *d)
{
	char at[TIMEFMT_LEN];
	time_rfc3339(d->at, at);
	return json_pack(
	    "{s:s, s:s, s:b, s:f, s:s, s:b, s:o}", "at", at, "snapshot", d->snapshot, "ok", d->ok,
	    "seconds", d->seconds, "reason", d->reason, "sentinel", d->sentinel, "position",
	    d->sentinel ? json_pack("{s:I, s:I}", "generation", (json_int_t)d->generation, "frame",
	                            (json_int_t)d->frame)
	                : json_null());
}

/* d into dest's last-drill.json (a directory), or src's (an object store) when dest is NULL. */
static int
record_drill(const char *dest, struct backup_dest *src, const struct backup_drill *d, struct err *e)
{
	char path[PATH_MAX + 32], *text;
	json_t *j;
	int rc;

	if ((j = backup_drill_json(d)) == NULL)
		return err_set(e, 500, "cannot build the drill's record");
	if (dest != NULL) {
		snprintf(path, sizeof(path), "%s/last-drill.json", dest);
		rc = mkdir_0700(dest, e) == -1 ? -1 : write_json(path, j, e);
	} else if ((text = json_dumps(j, JSON_INDENT(2))) == NULL) {
		rc = err_set(e, 500, "cannot build the drill's record");
	} else {
		rc = dest_put_mem(src, "last-drill.json", text, strlen(text), e);
		free(text);
	}
	json_decref(j);
	return rc;
}

int
backup_drill_failed(const char *dest, struct backup_dest *src, const char *name, const char *why,
                    struct backup_drill *d, struct err *e)
{
	memset(d, 0, sizeof(*d));
	d->known = 1;
	d->at = time(NULL);
	snprintf(d->snapshot, sizeof(d->snapshot), "%s", name ? name : "");
	snprintf(d->reason, sizeof(d->reason), "%s", why);
	return record_drill(dest, src, d, e);
}

/* ---- the sentinel ---- */

struct sentinel_arg {
	const char *nonce, *at;
	char *counts; /* the counts read inside the transaction (owned by the caller after) */
};

/* Inside ship_mark's write transaction: the row, then every table's count (the row included). */
static int
write_sentinel(sqlite3 *db, void *arg, struct err *e)
{
	struct sentinel_arg *a = arg;
	sqlite3_stmt *st = NULL;
	json_t *counts = NULL;
	int rc = -1;

	if (sqlite3_prepare_v2(
	        db,
	        "INSERT INTO backup_sentinel (id, nonce, counts_json, written_at) "
	        "VALUES (1, ?1, '{}', ?2) ON CONFLICT (id) DO UPDATE SET nonce = "
	        "excluded.nonce, counts_json = '{}', written_at = excluded.written_at",
	        -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, a->nonce, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, a->at, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	st = NULL;
	if ((counts = table_counts(db)) == NULL ||
	    (a->counts = json_dumps(counts, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		goto fail;
	if (sqlite3_prepare_v2(db, "UPDATE backup_sentinel SET counts_json = ?1 WHERE id = 1", -1,
	                       &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, a->counts, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	rc = 0;
	goto out;
fail:
	err_set(e, 500, "cannot write the drill's sentinel row: %s", sqlite3_errmsg(db));
out:
	sqlite3_finalize(st);
	json_decref(counts);
	return rc;
}

int
backup_sentinel_write(struct backup_dest **dests, size_t nd, const char *db_path,
                      struct backup_sentinel *sen, int *ok, struct err *why, struct err *e)
{
	unsigned char raw[16];
	char nonce[33], at[TIMEFMT_LEN];
	long long *gen = xcalloc(nd + 1, sizeof(*gen)), frame = 0;
	struct sentinel_arg a = {nonce, at, NULL};
	int rc = -1;

	for (size_t i = 0; i < nd; i++)
		memset(&sen[i], 0, sizeof(sen[i]));
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(nonce, sizeof(nonce), raw, sizeof(raw));
	time_rfc3339(time(NULL), at);
	if (ship_mark(dests, nd, db_path, write_sentinel, &a, gen, &frame, ok, why, e) == -1)
		goto out;
	for (size_t i = 0; i < nd; i++) {
		snprintf(sen[i].nonce, sizeof(sen[i].nonce), "%s", nonce);
		snprintf(sen[i].written_at, sizeof(sen[i].written_at), "%s", at);
		sen[i].counts_json = xstrdup(a.counts);
		sen[i].generation = gen[i];
		sen[i].frame = frame;
	}
	rc = 0;
out:
	free(a.counts);
	free(gen);
	return rc;
}

void
backup_sentinel_free(struct backup_sentinel *sen)
{
	if (sen != NULL) {
		free(sen->counts_json);
		sen->counts_json = NULL;
	}
}

int
backup_scratch_prune(const char *data_dir, long long before, int dry_run, long long *n)
{
	char p[PATH_MAX + 300];
	struct dirent *de;
	struct stat st;
	DIR *dir = opendir(data_dir);

	*n = 0;
	if (dir == NULL)
		return -1;
	while ((de = readdir(dir)) != NULL) {
		if (strncmp(de->d_name, ".drill-", 7) != 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", data_dir, de->d_name);
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode) && (long long)st.st_mtime < before) {
			(*n)++;
			if (!dry_run)
				(void)io_remove_tree(p);
		}
	}
	closedir(dir);
	return 0;
}

/* Scratch directories of drills that were killed (a day old: none still running). */
static void
remove_stale_scratch(const char *data_dir)
{
	long long n;
	(void)backup_scratch_prune(data_dir, (long long)time(NULL) - 86400, 0, &n);
}

int
backup_drill_run(const char *dest, const char *name, const char *data_dir, const char *key_file,
                 const struct backup_sentinel *sen, struct backup_drill *d, struct err *e)
{
	char scratch[PATH_MAX];
	struct backup_restored r;
	struct err why = {0, "", ""};
	int found = 1;

	memset(d, 0, sizeof(*d));
	memset(&r, 0, sizeof(r));
	remove_stale_scratch(data_dir);
	d->known = 1;
	d->at = time(NULL);
	snprintf(scratch, sizeof(scratch), "%s/.drill-XXXXXX", data_dir);
	if (name != NULL)
		snprintf(d->snapshot, sizeof(d->snapshot), "%s", name);
	if (name == NULL && (found = backup_latest(dest, d->snapshot, &why)) != 1) {
		snprintf(d->reason, sizeof(d->reason), "%s",
		         found == 0 ? "the destination holds no snapshot" : why.msg);
	} else if (mkdtemp(scratch) == NULL) {
		snprintf(d->reason, sizeof(d->reason), "cannot make a scratch directory in %s: %s",
		         data_dir, strerror(errno));
	} else {
		/* the snapshot and every segment after it (up to the sentinel): the latest state */
		d->ok = restore_impl(dest, d->snapshot, NULL, scratch, key_file, -1, sen, &r,
		                     &why) == 0;
		d->seconds = r.seconds;
		d->sentinel = d->ok && r.sentinel;
		if (d->sentinel) {
			d->generation = sen->generation;
			d->frame = sen->frame;
		}
		snprintf(d->reason, sizeof(d->reason), "%s", d->ok ? "" : why.msg);
		(void)io_remove_tree(scratch);
	}
	return record_drill(dest, NULL, d, e);
}

static void drill_parse(const char *path, struct backup_drill *d);

void
backup_drill_read(const char *dest, struct backup_drill *d)
{
	char path[PATH_MAX + 32];

	memset(d, 0, sizeof(*d));
	snprintf(path, sizeof(path), "%s/last-drill.json", dest);
	drill_parse(path, d);
}

/* A last-drill.json at path into *d (d->known 0 when it does not read). */
static void
drill_parse(const char *path, struct backup_drill *d)
{
	json_t *j, *v;
	struct tm tm;

	if ((j = json_load_file(path, 0, NULL)) == NULL)
		return;
	memset(&tm, 0, sizeof(tm));
	if ((v = json_object_get(j, "at")) != NULL && json_is_string(v) &&
	    strptime(json_string_value(v), "%Y-%m-%dT%H:%M:%S", &tm) != NULL) {
		d->known = 1;
		d->at = timegm(&tm);
		d->ok = json_is_true(json_object_get(j, "ok"));
		d->seconds = json_number_value(json_object_get(j, "seconds"));
		snprintf(d->snapshot, sizeof(d->snapshot), "%s",
		         json_string_value(json_object_get(j, "snapshot"))
		             ? json_string_value(json_object_get(j, "snapshot"))
		             : "");
		snprintf(d->reason, sizeof(d->reason), "%s",
		         json_string_value(json_object_get(j, "reason"))
		             ? json_string_value(json_object_get(j, "reason"))
		             : "");
		d->sentinel = json_is_true(json_object_get(j, "sentinel"));
		v = json_object_get(j, "position");
		d->generation = (long long)json_integer_value(json_object_get(v, "generation"));
		d->frame = (long long)json_integer_value(json_object_get(v, "frame"));
	}
	json_decref(j);
}

/* ---- restores and drills from any destination ---- */

int
backup_s3_open(const struct config *c, struct backup_dest **out, struct err *e)
{
	struct dest_spec specs[2];
	int n = 0;

	*out = NULL;
	if (dest_specs_from_config(c, specs, &n, e) == -1)
		return -1;
	for (int i = 0; i < n; i++)
		if (specs[i].kind == DEST_S3 && (*out = dest_open(&specs[i], e)) == NULL)
			return -1;
	return 0;
}

struct fetch {
	struct backup_dest *src;
	const char *scratch;
	const char *only; /* "snapshots/": .json and .keys.db; "wal/": from generation gen on */
	long long gen;
	struct err *e;
};

/* Makes the directories of scratch/name and gets the object there. */
static int
fetch_one(struct fetch *f, const char *name)
{
	char local[PATH_MAX + DEST_NAME_MAX + 64], *slash;
	int rc;

	snprintf(local, sizeof(local), "%s/%s", f->scratch, name);
	for (char *p = local + strlen(f->scratch) + 1; (slash = strchr(p, '/')) != NULL;
	     p = slash + 1) {
		*slash = '\0';
		if (mkdir(local, 0700) == -1 && errno != EEXIST) {
			err_set(f->e, 500, "cannot create %s: %s", local, strerror(errno));
			return -1;
		}
		*slash = '/';
	}
	if ((rc = dest_get_file(f->src, name, local, f->e)) == 1)
		return err_set(f->e, 404, "%s/%s went away while it was fetched",
		               dest_label(f->src), name);
	return rc;
}

static int
fetch_each(const char *name, long long size, void *arg)
{
	struct fetch *f = arg;
	size_t n = strlen(name);

	(void)size;
	if (strcmp(f->only, "snapshots/") == 0) {
		if ((n > 5 && strcmp(name + n - 5, ".json") == 0) ||
		    (n > 8 && strcmp(name + n - 8, ".keys.db") == 0))
			return fetch_one(f, name) == -1 ? 1 : 0;
		return 0;
	}
	/* wal/GGGGGGGGGG/... of the generations from gen on (wal/HEAD was fetched first) */
	{
		char *end;
		long long g = strtoll(name + 4, &end, 10);
		if (end != name + 14 || *end != '/' || g < f->gen)
			return 0;
	}
	return fetch_one(f, name) == -1 ? 1 : 0;
}

static int restore_from_impl(struct backup_dest *src, const char *name, const char *keystore,
                             const char *to, const char *key_file, long long at_ms,
                             const struct backup_sentinel *sen, struct backup_restored *out,
                             struct err *e);

int
backup_restore_from(struct backup_dest *src, const char *name, const char *keystore, const char *to,
                    const char *key_file, long long at_ms, struct backup_restored *out,
                    struct err *e)
{
	return restore_from_impl(src, name, keystore, to, key_file, at_ms, NULL, out, e);
}

static int
restore_from_impl(struct backup_dest *src, const char *name, const char *keystore, const char *to,
                  const char *key_file, long long at_ms, const struct backup_sentinel *sen,
                  struct backup_restored *out, struct err *e)
{
	char scratch[PATH_MAX + 32], snapdir[PATH_MAX + 48], pick[BACKUP_NAME_MAX], obj[PATH_MAX];
	struct fetch f = {src, scratch, "snapshots/", 0, e};
	char parent[PATH_MAX], *slash;
	json_t *m = NULL;
	int found, rc = -1;

	memset(out, 0, sizeof(*out));
	/* the scratch directory beside the restore's target: the same disk, 0700 */
	snprintf(parent, sizeof(parent), "%s", to);
	for (size_t n = strlen(parent); n > 1 && parent[n - 1] == '/'; n--)
		parent[n - 1] = '\0';
	if ((slash = strrchr(parent, '/')) == NULL)
		snprintf(parent, sizeof(parent), ".");
	else if (slash == parent)
		parent[1] = '\0';
	else
		*slash = '\0';
	if (strlen(parent) > PATH_MAX - 64)
		return err_set(e, 400, "the restore's target path is too long");
	snprintf(scratch, sizeof(scratch), "%s/.restore-fetch-XXXXXX", parent);
	if (mkdtemp(scratch) == NULL)
		return err_set(e, 500, "cannot make a scratch directory in %s: %s", parent,
		               strerror(errno));
	snprintf(snapdir, sizeof(snapdir), "%s/snapshots", scratch);
	if (mkdir_0700(snapdir, e) == -1)
		goto out;
	/* every manifest and keystore copy (small), to pick the snapshot as a directory would */
	if (dest_list(src, "snapshots/", fetch_each, &f, e) != 0)
		goto out;
	if (name != NULL) {
		snprintf(pick, sizeof(pick), "%s", name);
		{
			size_t n = strlen(pick);
			if (n > 5 && strcmp(pick + n - 5, ".json") == 0)
				pick[n - 5] = '\0';
			else if (n > 3 && strcmp(pick + n - 3, ".db") == 0)
				pick[n - 3] = '\0';
		}
		if (strchr(pick, '/') != NULL || backup_name_time(pick) == -1) {
			err_set(e, 400, "'%s' is not a snapshot name (YYYYMMDDTHHMMSSZ-POSITION)",
			        name);
			goto out;
		}
	} else {
		found = at_ms != -2 ? pick_snapshot(snapdir, at_ms, pick, e)
		                    : newest(snapdir, ".json", pick, e);
		if (found == -1)
			goto out;
		if (found == 0) {
			err_set(e, 404,
			        at_ms >= 0
			            ? "%s holds no snapshot taken at or before that time (with "
			              "its WAL position): nothing was restored"
			            : "%s holds no snapshot: nothing was restored",
			        dest_label(src));
			goto out;
		}
	}
	snprintf(obj, sizeof(obj), "snapshots/%s.db", pick);
	{
		char local[PATH_MAX + 256];
		snprintf(local, sizeof(local), "%s/snapshots/%s.db", scratch, pick);
		found = dest_get_file(src, obj, local, e);
		if (found == -1)
			goto out;
		if (found == 1) {
			err_set(e, 404, "snapshot %s is not in %s", pick, dest_label(src));
			goto out;
		}
		snprintf(local, sizeof(local), "%s/snapshots/%s.json", scratch, pick);
		m = json_load_file(local, 0, NULL);
	}
	if (at_ms != -2 && m != NULL) {
		f.only = "wal/";
		f.gen = (long long)json_integer_value(json_object_get(m, "wal_generation"));
		/*
		 * wal/HEAD before the list: a server shipping meanwhile writes a
		 * segment before the HEAD naming it, so every segment HEAD names
		 * is in the list taken after it.
		 */
		if (f.gen > 0) {
			char head[PATH_MAX + 64];
			snprintf(head, sizeof(head), "%s/wal", scratch);
			if (mkdir_0700(head, e) == -1)
				goto out;
			snprintf(head, sizeof(head), "%s/wal/HEAD", scratch);
			/*
			 * 1, none: nothing was shipped to it. (A store's 5xx to a read
			 * racing the put that replaces the object is tried again:
			 * dest_s3.c.)
			 */
			if (dest_get_file(src, "wal/HEAD", head, e) == -1)
				goto out;
			if (dest_list(src, "wal/", fetch_each, &f, e) != 0)
				goto out;
		}
	}
	rc = restore_impl(scratch, pick, keystore, to, key_file, at_ms, sen, out, e);
out:
	json_decref(m);
	(void)io_remove_tree(scratch);
	return rc;
}

int
backup_drill_run_from(struct backup_dest *src, const char *name, const char *data_dir,
                      const char *key_file, const struct backup_sentinel *sen,
                      struct backup_drill *d, struct err *e)
{
	char scratch[PATH_MAX + 32], to[PATH_MAX + 48];
	struct backup_restored r;
	struct err why = {0, "", ""};

	memset(d, 0, sizeof(*d));
	memset(&r, 0, sizeof(r));
	remove_stale_scratch(data_dir);
	d->known = 1;
	d->at = time(NULL);
	snprintf(scratch, sizeof(scratch), "%s/.drill-XXXXXX", data_dir);
	if (mkdtemp(scratch) == NULL) {
		snprintf(d->reason, sizeof(d->reason), "cannot make a scratch directory in %s: %s",
		         data_dir, strerror(errno));
	} else {
		/* the newest snapshot and every segment after it: the latest state */
		snprintf(to, sizeof(to), "%s/restored", scratch);
		d->ok = restore_from_impl(src, name, NULL, to, key_file, -1, sen, &r, &why) == 0;
		d->seconds = r.seconds;
		d->sentinel = d->ok && r.sentinel;
		if (d->sentinel) {
			d->generation = sen->generation;
			d->frame = sen->frame;
		}
		snprintf(d->snapshot, sizeof(d->snapshot), "%s",
		         r.snapshot[0] ? r.snapshot
		         : name        ? name
		                       : "");
		snprintf(d->reason, sizeof(d->reason), "%s", d->ok ? "" : why.msg);
		(void)io_remove_tree(scratch);
	}
	return record_drill(NULL, src, d, e);
}

void
backup_drill_read_from(struct backup_dest *src, const char *scratch, struct backup_drill *d)
{
	char local[PATH_MAX];
	struct err ignored;

	memset(d, 0, sizeof(*d));
	snprintf(local, sizeof(local), "%s/.s3-drill-%ld.json", scratch, (long)getpid());
	if (dest_get_file(src, "last-drill.json", local, &ignored) == 0)
		drill_parse(local, d);
	unlink(local);
}

struct newest_json {
	char name[BACKUP_NAME_MAX];
	int found;
};

static int
newest_each(const char *name, long long size, void *arg)
{
	struct newest_json *x = arg;
	const char *base = name + strlen("snapshots/");
	size_t n = strlen(base);
	char cand[BACKUP_NAME_MAX];

	(void)size;
	if (n <= 5 || n - 5 >= BACKUP_NAME_MAX || strcmp(base + n - 5, ".json") != 0 ||
	    backup_name_time(base) == -1)
		return 0;
	memcpy(cand, base, n - 5);
	cand[n - 5] = '\0';
	if (!x->found || newer(cand, x->name)) {
		memcpy(x->name, cand, n - 4);
		x->found = 1;
	}
	return 0;
}

int
backup_latest_from(struct backup_dest *src, char name[BACKUP_NAME_MAX], struct err *e)
{
	struct newest_json x;
	memset(&x, 0, sizeof(x));
	if (dest_list(src, "snapshots/", newest_each, &x, e) != 0)
		return -1;
	if (x.found)
		memcpy(name, x.name, sizeof(x.name));
	return x.found;
}

/*
 * ship.c — continuous shipping of the sealed WAL to each backup destination
 * (backup_dir, and the S3-compatible store when s3_endpoint is set), and its
 * replay at restore (see ship.h).
 *
 * TWO DESTINATIONS
 *
 * Every object goes through dest.h (put, get, list, delete): a directory's
 * files are read in place, a store's objects through a temporary file in
 * the data directory. Each destination has its own tail (its newest
 * generation, its last segment, its wal/HEAD, its generation numbers): one
 * step reads the WAL once from the oldest tail, then writes to each
 * destination the segment of the frames it lacks. The checkpoint backfills
 * up to the pin only when every destination took its segment; one that
 * fails leaves the WAL to grow for both (past backup_max_queue_bytes the
 * failing one is marked lost, and gets its BREAK and a fresh snapshot when
 * it is back, while the other goes on). Destinations are written one after
 * the other within a step: a store that answers slowly delays the step.
 *
 * WHO CHECKPOINTS
 *
 * With backups on (backup_dir set), every connection Slate opens on the
 * database has automatic checkpoints off and checkpoints nothing at close
 * (store_sqlite_own_checkpoints, set by the command line for every
 * process). Only the shipper backfills the main file, and only with a
 * PASSIVE checkpoint taken while a read transaction pins the last frame it
 * shipped: SQLite never backfills past a reader's mark, so no frame reaches
 * the main file, and the WAL never restarts over a frame, before it is in
 * the destination. (SQLite restarts the WAL, with new salts, at the first
 * write after every frame was backfilled: that begins a new generation.
 * A TRUNCATE checkpoint would take the write lock and backfill frames
 * committed after the shipper looked; journal_size_limit keeps the file
 * small instead.) The steps are serialized between processes (the server's
 * shipper, `slate backup now`) by an flock on DATA/backup.lock.
 *
 * ONE STEP
 *
 *   1. the destination's tail: the newest generation and its last segment
 *   2. BEGIN IMMEDIATE on a connection (the write lock: no frame is being
 *      written, so every frame in the file is whole), a read transaction
 *      on a second one (its mark is the last commit), COMMIT the first:
 *      writers wait only for the reading of the new WAL bytes into memory
 *   3. the frames after the last shipped one, up to the last COMMIT frame
 *      (frame header bytes 4..7 non-zero) whose salts match the WAL header,
 *      and never past the wal-index's last valid frame (what SQLite's
 *      recovery accepted: a process killed mid-frame leaves a torn one
 *      after it), are written as one segment (tmp, fsync, rename, fsync of
 *      the dir)
 *   4. a PASSIVE checkpoint (up to the pin), then the pin is released.
 *   A destination that fails leaves the WAL alone (it grows); past
 *   backup_max_queue_bytes the server's shipper checkpoints anyway, marks
 *   continuity lost (DEST/wal/GEN/BREAK when the destination is back) and
 *   takes a fresh snapshot.
 *
 * THE DESTINATION
 *
 *   DEST/wal/GGGGGGGGGG/FFFFFFFFFF-LLLLLLLLLL.seg
 *
 * G is the generation: a counter of WAL generations this destination has
 * seen (10 digits), one per WAL restart. F..L the frames (1-based, as in the
 * WAL) the segment holds. A generation's first segment begins at frame 1
 * and carries the WAL header. DEST/wal/G/BREAK (empty) says that frames
 * were lost before generation G: a restore does not walk past it.
 *
 * A SEGMENT, format 1 (all integers big-endian)
 *
 *   offset  length  content
 *   0       8       "SLATESEG"
 *   8       4       format version, 1
 *   12      4       header length, 128
 *   16      8       generation G
 *   24      4       the WAL header's checkpoint sequence
 *   28      8       the WAL header's salts (salt-1, salt-2)
 *   36      4       first frame F
 *   40      4       last frame L
 *   44      4       commits C in F..L
 *   48      8       first commit's time, ms since 1970 UTC
 *   56      8       last commit's time
 *   64      32      the trailing SHA-256 of the previous segment: of this
 *                   generation, or for a generation's first segment the
 *                   last one of the generation before (zeros when there is
 *                   none, or after a BREAK), so the chain runs across
 *                   generations
 *   96      4       flags: 1 = the WAL header follows the commit table
 *   100     28      zeros
 *   128     12*C    commit table: frame (4), time in ms (8)
 *   ...     32      the WAL header (flag 1 only), as on disk
 *   ...     4120*n  frames F..L as on disk: a 24-byte header in the clear,
 *                   the page sealed by the VFS (pagecrypt.c); never
 *                   decrypted here
 *   end-32  32      SHA-256 of every byte before it
 *
 * A commit's time is the time the server's wal hook saw it committed (the
 * last RING commits are remembered); a commit made by another process (the
 * CLI), or one the ring forgot, gets the time of the read that ships it (at
 * most one sync interval late while the destination works).
 *
 * RESTORE (ship_apply) takes a snapshot (a raw copy of the main file,
 * backfilled exactly to frame P of generation G: ship_snapshot_copy), then
 * for G, G+1, … rebuilds each generation's WAL (its header and frames 1..K,
 * K the last commit at or before the time) beside the copy and lets SQLite
 * recover and checkpoint it through the VFS: the VFS opens every frame's GCM
 * tag, SQLite checks the frame checksum chain. Frames 1..P are in the copy
 * already; replaying them again writes the same pages. Every segment's
 * hash, its chain (previous hash, contiguous frames, generation and salts)
 * and the generations' order are checked first; an error names the segment.
 *
 * A MARK (ship_mark, a restore drill's sentinel): under the lock, one write
 * transaction on its own connection, whose wal hook gives the commit's frame;
 * then what is pending is shipped to every destination as in ONE STEP (a
 * PASSIVE checkpoint only when each took its segment). No checkpoint runs
 * while the lock is held, so the WAL cannot restart between the commit and
 * the shipping: the commit is frame F of the generation each destination
 * files that WAL under. ship_apply_upto replays up to exactly that commit.
 *
 * MEMORY: segments are built and read whole in memory (a sync interval's
 * frames); the thread's state is under mu.
 */
#include "backup/ship.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backup/backup.h"
#include "backup/dest.h"
#include "crypto/sha256.h"
#include "store/pagecrypt.h"
#include "store/store_sqlite.h"
#include "util/bigend.h"
#include "util/io.h"
#include "util/log.h"
#include "util/xalloc.h"

#define WAL_FRAME_HDR 24

static const unsigned char seg_magic[8] = {'S', 'L', 'A', 'T', 'E', 'S', 'E', 'G'};
#define MAX_SEGS 100000
#define RING     4096

static long long
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- commit times, from the server's wal hook ---- */

static pthread_mutex_t ring_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
	int frame;
	long long ms;
} ring[RING];
static size_t ring_next;

int
ship_commit_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	(void)arg;
	(void)db;
	(void)name;
	assert(frames > 0);
	pthread_mutex_lock(&ring_mu);
	ring[ring_next % RING].frame = frames;
	ring[ring_next % RING].ms = now_ms();
	ring_next++;
	pthread_mutex_unlock(&ring_mu);
	return SQLITE_OK;
}

/* When frame was committed: the hook's latest record of it after since, else seen. */
static long long
commit_time(uint32_t frame, long long since, long long seen)
{
	long long t = seen;
	pthread_mutex_lock(&ring_mu);
	for (size_t i = 0; i < RING && i < ring_next; i++) {
		size_t k = (ring_next - 1 - i) % RING;
		if (ring[k].frame == (int)frame && ring[k].ms >= since && ring[k].ms <= seen) {
			t = ring[k].ms;
			break;
		}
	}
	pthread_mutex_unlock(&ring_mu);
	return t;
}

/* ---- destination I/O: every object goes through dest.h (a directory or an object store) ---- */

/* A destination as the shipper uses it. */
struct tgt {
	struct backup_dest *d;
	const char *scratch; /* a directory where an object store's objects are fetched to */
};

/* Writes rel whole (dest.h: a reader never sees part of it). */
static int
t_put(struct tgt *t, const char *rel, const void *buf, size_t n, struct err *e)
{
	return dest_put_mem(t->d, rel, buf, n, e);
}

/* Reads the file at path whole into *buf (malloc'd, one byte more for a NUL). */
static int
read_path(const char *path, const char *what, unsigned char **buf, size_t *n, struct err *e)
{
	struct stat st;
	int fd;
	size_t got = 0;

	*buf = NULL;
	*n = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 || fstat(fd, &st) == -1) {
		err_set(e, errno == ENOENT ? 404 : 500, "cannot read %s: %s", what,
		        strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	*buf = xmalloc((size_t)st.st_size + 1);
	if (io_read_full(fd, *buf, (size_t)st.st_size, &got) == -1) {
		err_set(e, 500, "cannot read %s: %s", what, strerror(errno));
		close(fd);
		free(*buf);
		*buf = NULL;
		return -1;
	}
	close(fd);
	*n = got;
	return 0;
}

/* Reads rel whole into *buf (malloc'd): a directory's file in place, an object through scratch. */
static int
t_read(struct tgt *t, const char *rel, unsigned char **buf, size_t *n, struct err *e)
{
	const char *root = dest_dir_root(t->d);
	char path[PATH_MAX + 128], what[PATH_MAX + 128];
	int fd, rc;

	*buf = NULL;
	*n = 0;
	if (root != NULL) {
		snprintf(path, sizeof(path), "%s/%s", root, rel);
		return read_path(path, path, buf, n, e);
	}
	snprintf(path, sizeof(path), "%s/.backup-get-XXXXXX", t->scratch ? t->scratch : "/tmp");
	if ((fd = mkstemp(path)) == -1)
		return err_set(e, 500, "cannot create %s: %s", path, strerror(errno));
	close(fd);
	snprintf(what, sizeof(what), "%s/%s", dest_label(t->d), rel);
	rc = dest_get_file(t->d, rel, path, e);
	if (rc == 1)
		rc = err_set(e, 404, "cannot read %s: it is not there", what);
	if (rc == 0)
		rc = read_path(path, what, buf, n, e);
	unlink(path);
	return rc;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct kids {
	size_t plen;
	char **names;
	size_t n, cap;
};

/* dest_list's callback: the first name component after the prefix, once. */
static int
kid(const char *name, long long size, void *arg)
{
	struct kids *k = arg;
	const char *rest = name + k->plen;
	size_t len = strcspn(rest, "/");

	(void)size;
	if (len == 0 || rest[0] == '.')
		return 0;
	if (k->n > 0 && strlen(k->names[k->n - 1]) == len &&
	    memcmp(k->names[k->n - 1], rest, len) == 0)
		return 0;
	if (k->n == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 16;
		k->names = xrealloc(k->names, k->cap * sizeof(char *));
	}
	k->names[k->n] = xmalloc(len + 1);
	memcpy(k->names[k->n], rest, len);
	k->names[k->n][len] = '\0';
	k->n++;
	return 0;
}

/* The names directly under rel (sorted, each once; temporary files left out). */
static int
t_list(struct tgt *t, const char *rel, char ***names, size_t *n, struct err *e)
{
	char prefix[DEST_NAME_MAX + 2];
	struct kids k = {0, NULL, 0, 0};
	size_t w = 0;

	*names = NULL;
	*n = 0;
	snprintf(prefix, sizeof(prefix), "%s/", rel);
	k.plen = strlen(prefix);
	if (dest_list(t->d, prefix, kid, &k, e) != 0) {
		for (size_t i = 0; i < k.n; i++)
			free(k.names[i]);
		free(k.names);
		return -1;
	}
	if (k.n > 0)
		qsort(k.names, k.n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < k.n; i++) {
		if (strstr(k.names[i], ".tmp-") != NULL ||
		    (w > 0 && strcmp(k.names[w - 1], k.names[i]) == 0)) {
			free(k.names[i]);
			continue;
		}
		k.names[w++] = k.names[i];
	}
	*names = k.names;
	*n = w;
	return 0;
}

static void
free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Removes the object rel (and, in a directory, the directory rel once empty). */
static int
t_remove(struct tgt *t, const char *rel)
{
	const char *root = dest_dir_root(t->d);
	struct err ignored;

	if (root != NULL) {
		char path[PATH_MAX + 128];
		snprintf(path, sizeof(path), "%s/%s", root, rel);
		return unlink(path) == 0 || errno == ENOENT ? 0 : rmdir(path);
	}
	return dest_delete(t->d, rel, &ignored);
}

/* A directory destination at path, for the calls that name one (NULL and why when it fails). */
static struct backup_dest *
open_dir(const char *path, struct err *e)
{
	struct dest_spec sp;
	memset(&sp, 0, sizeof(sp));
	sp.kind = DEST_DIR;
	sp.dir = path;
	return dest_open(&sp, e);
}

/* ---- segments ---- */

int
ship_seg_parse(const unsigned char *buf, size_t n, struct ship_seg *s,
               const unsigned char **commits, const unsigned char **walhdr,
               const unsigned char **frames, unsigned char hash[SHIP_HASH], struct err *e)
{
	unsigned char digest[SHIP_HASH];
	size_t want;

	memset(s, 0, sizeof(*s));
	if (n < SHIP_HDR + SHIP_HASH || memcmp(buf, SHIP_MAGIC, 8) != 0)
		return err_set(e, 422, "is not a segment (too short or no SLATESEG)");
	if (get_be32(buf + 8) != SHIP_VERSION || get_be32(buf + 12) != SHIP_HDR)
		return err_set(e, 422, "has segment format %u, which this binary does not read",
		               get_be32(buf + 8));
	sha256(digest, buf, n - SHIP_HASH);
	if (sodium_memcmp(digest, buf + n - SHIP_HASH, SHIP_HASH) != 0)
		return err_set(e, 422, "does not match its SHA-256: it was altered or truncated");
	s->generation = (long long)get_be64(buf + 16);
	s->ckpt_seq = get_be32(buf + 24);
	s->salt1 = get_be32(buf + 28);
	s->salt2 = get_be32(buf + 32);
	s->first = get_be32(buf + 36);
	s->last = get_be32(buf + 40);
	s->commits = get_be32(buf + 44);
	s->first_ms = (long long)get_be64(buf + 48);
	s->last_ms = (long long)get_be64(buf + 56);
	memcpy(s->prev, buf + 64, SHIP_HASH);
	s->has_wal_header = (get_be32(buf + 96) & 1) != 0;
	if (s->first == 0 || s->last < s->first || s->commits == 0 ||
	    s->commits > s->last - s->first + 1)
		return err_set(e, 422, "has a bad frame range %u-%u", s->first, s->last);
	want = SHIP_HDR + (size_t)s->commits * SHIP_COMMIT_LEN +
	       (s->has_wal_header ? SHIP_WAL_HDR : 0) +
	       (size_t)(s->last - s->first + 1) * SHIP_FRAME + SHIP_HASH;
	if (want != n)
		return err_set(e, 422, "is %zu bytes, its header says %zu", n, want);
	*commits = buf + SHIP_HDR;
	*walhdr = s->has_wal_header ? *commits + (size_t)s->commits * SHIP_COMMIT_LEN : NULL;
	*frames = *commits + (size_t)s->commits * SHIP_COMMIT_LEN +
	          (s->has_wal_header ? SHIP_WAL_HDR : 0);
	memcpy(hash, buf + n - SHIP_HASH, SHIP_HASH);
	return 0;
}

/* The generation directory names in dest/wal: 10 digits, in order. */
static long long
gen_number(const char *name)
{
	char *end;
	long long g;
	if (strlen(name) != 10 || name[0] < '0' || name[0] > '9')
		return -1;
	g = strtoll(name, &end, 10);
	return *end == '\0' ? g : -1;
}

struct tail {
	long long gen; /* 0: none */
	int broken;    /* gen is a BREAK marker */
	uint32_t ckpt_seq, salt1, salt2, last;
	long long last_ms; /* its last commit's time */
	unsigned char hash[SHIP_HASH];
};

static int
read_tail(struct tgt *dest, struct tail *t, struct err *e)
{
	char **gens = NULL, **segs = NULL, rel[64];
	size_t ng = 0, ns = 0, n = 0;
	unsigned char *buf = NULL;
	const unsigned char *c, *w, *f;
	struct ship_seg s;
	int rc = -1;

	memset(t, 0, sizeof(*t));
	if (t_list(dest, "wal", &gens, &ng, e) == -1)
		return -1;
	/*
	 * The newest generation that holds a segment or a BREAK: a directory with
	 * neither (a shipper killed while it wrote the first segment leaves only a
	 * temporary file) is not one, and its number is used again.
	 */
	for (size_t i = ng; i-- > 0 && t->gen == 0;) {
		long long g = gen_number(gens[i]);
		if (g <= 0)
			continue;
		snprintf(rel, sizeof(rel), "wal/%010lld", g);
		free_names(segs, ns);
		segs = NULL;
		if (t_list(dest, rel, &segs, &ns, e) == -1)
			goto out;
		for (size_t k = 0; k < ns; k++)
			t->broken |= strcmp(segs[k], "BREAK") == 0;
		/* BREAK sorts after the segments' digits: the last segment is the last .seg */
		while (ns > 0 && !t->broken && strstr(segs[ns - 1], ".seg") == NULL) {
			free(segs[--ns]);
		}
		if (t->broken || ns > 0)
			t->gen = g;
	}
	if (t->gen == 0 || t->broken) {
		rc = 0;
		goto out;
	}
	snprintf(rel, sizeof(rel), "wal/%010lld/%s", t->gen, segs[ns - 1]);
	if (t_read(dest, rel, &buf, &n, e) == -1)
		goto out;
	if (ship_seg_parse(buf, n, &s, &c, &w, &f, t->hash, e) == -1) {
		{
			char why[sizeof(e->msg)];
			snprintf(why, sizeof(why), "%s", e->msg); /* e->msg is written next */
			err_set(e, 422, "segment %s %s", rel, why);
		}
		goto out;
	}
	t->ckpt_seq = s.ckpt_seq;
	t->salt1 = s.salt1;
	t->salt2 = s.salt2;
	t->last = s.last;
	t->last_ms = s.last_ms;
	rc = 0;
out:
	free(buf);
	free_names(gens, ng);
	free_names(segs, ns);
	return rc;
}

/* ---- the shipping step ---- */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

struct pos {
	long long seen_ms; /* when the WAL was read: every commit before it is shipped */
	long long gen;
	uint32_t frame; /* the last frame shipped (in gen) */
	long long queue_bytes;
};

static sqlite3 *
open_conn(const char *db_path, struct err *e)
{
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	        SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA temp_store=MEMORY", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA wal_autocheckpoint=0", NULL, NULL, NULL) != SQLITE_OK ||
	    /* a read opens the WAL: a checkpoint on a connection that never read does nothing */
	    sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL) != SQLITE_OK) {
		err_set(e, 500, "cannot open %s to ship its WAL: %s", db_path,
		        db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

/*
 * One destination in a step: its tail before it, what it got, and why it
 * failed. Each destination has its own tail (generation numbers, HEAD): a
 * destination that was down gets every frame it lacks in one segment when
 * it is back, as long as the WAL still holds them.
 */
struct leg {
	struct tgt *t;
	int ok; /* its tail was read and its segment (if one was due) written */
	struct tail tail;
	int same; /* the WAL is still the generation of its tail */
	uint32_t start;
	long shipped;
	struct pos p;
	struct err e;
};

/* Builds and writes leg's segment of frames leg->start..last (frames from frame `from` on). */
static int
ship_leg(struct leg *l, const unsigned char *hdr, uint32_t ckpt, uint32_t salt1, uint32_t salt2,
         const unsigned char *frames, uint32_t from, uint32_t last, const uint32_t *commit_frames,
         uint32_t ncommit_all, long long seen)
{
	struct err *e = &l->e;
	uint32_t start = l->start, ncommit = 0, first_commit = 0;
	size_t nframes = (size_t)last - (size_t)start + 1, n;
	unsigned char *seg, *q;
	long long first_ms = 0, last_ms = 0;
	char rel[96];
	int rc = -1;

	while (first_commit < ncommit_all && commit_frames[first_commit] < start)
		first_commit++;
	ncommit = ncommit_all - first_commit;
	n = SHIP_HDR + (size_t)ncommit * SHIP_COMMIT_LEN + (start == 1 ? SHIP_WAL_HDR : 0) +
	    nframes * SHIP_FRAME + SHIP_HASH;
	seg = xcalloc(1, n);
	memcpy(seg, seg_magic, sizeof(seg_magic));
	put_be32(seg + 8, SHIP_VERSION);
	put_be32(seg + 12, SHIP_HDR);
	put_be64(seg + 16, (uint64_t)l->p.gen);
	put_be32(seg + 24, ckpt);
	put_be32(seg + 28, salt1);
	put_be32(seg + 32, salt2);
	put_be32(seg + 36, start);
	put_be32(seg + 40, last);
	put_be32(seg + 44, ncommit);
	if (l->tail.gen > 0 && !l->tail.broken) /* the chain runs on across generations */
		memcpy(seg + 64, l->tail.hash, SHIP_HASH);
	put_be32(seg + 96, start == 1 ? 1 : 0);
	q = seg + SHIP_HDR;
	for (uint32_t i = first_commit; i < ncommit_all; i++) {
		/* the hook's record after the last commit this destination has */
		long long ms = commit_time(commit_frames[i], l->tail.last_ms, seen);
		if (ms < last_ms) /* times never go back within a segment */
			ms = last_ms;
		if (i == first_commit)
			first_ms = ms;
		last_ms = ms;
		put_be32(q, commit_frames[i]);
		put_be64(q + 4, (uint64_t)ms);
		q += SHIP_COMMIT_LEN;
	}
	put_be64(seg + 48, (uint64_t)first_ms);
	put_be64(seg + 56, (uint64_t)last_ms);
	if (start == 1) {
		memcpy(q, hdr, SHIP_WAL_HDR);
		q += SHIP_WAL_HDR;
	}
	memcpy(q, frames + (size_t)(start - from) * SHIP_FRAME, nframes * SHIP_FRAME);
	q += nframes * SHIP_FRAME;
	sha256(q, seg, (size_t)(q - seg));
	snprintf(rel, sizeof(rel), "wal/%010lld/%010u-%010u.seg", l->p.gen, start, last);
	if (t_put(l->t, rel, seg, n, e) == -1) {
		l->p.queue_bytes = (long long)nframes * SHIP_FRAME;
		goto out;
	}
	l->shipped = (long)nframes;
	l->p.frame = last;
	{
		/* the head: a restore that ends before it was cut short */
		char head[128], hx[2 * SHIP_HASH + 1];
		sodium_bin2hex(hx, sizeof(hx), q, SHIP_HASH);
		snprintf(head, sizeof(head), "%010lld %010u %s\n", l->p.gen, last, hx);
		if (t_put(l->t, "wal/HEAD", head, strlen(head), e) == -1)
			goto out;
	}
	rc = 0;
out:
	free(seg);
	return rc;
}

/*
 * The last valid frame of the WAL: mxFrame of SQLite's wal-index header (the
 * file format's "WAL-index format": 48 bytes, written twice, at the start of
 * the shared memory), as c's read transaction maps it. It is what SQLite's
 * recovery accepted, frame checksums included (over the plaintext page, so
 * they cannot be checked here). Called with the write lock held and c's read
 * transaction open: no writer or recovery changes the header meanwhile. A
 * process killed between writing a frame's header and its page leaves, past
 * mxFrame, a frame with the right salts and the commit mark but the wrong
 * checksum; SQLite writes over it later. The memory is read through the
 * database file's own xShmMap: opening and closing DATA/slate.db-shm here
 * would release every POSIX lock this process holds on it (SQLite's among
 * them). -1 when the header does not read as SQLite writes it, or names
 * other salts than the WAL's.
 */
static long long
wal_last_frame(sqlite3 *c, const unsigned char *walhdr)
{
	sqlite3_file *f = NULL;
	void volatile *map = NULL;
	unsigned char h[96];
	uint32_t version, mx;

	if (sqlite3_file_control(c, "main", SQLITE_FCNTL_FILE_POINTER, &f) != SQLITE_OK ||
	    f == NULL || f->pMethods == NULL || f->pMethods->iVersion < 2 ||
	    f->pMethods->xShmMap(f, 0, 32768, 0, &map) != SQLITE_OK || map == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(h); i++)
		h[i] = ((const unsigned char volatile *)map)[i];
	if (memcmp(h, h + 48, 48) != 0)
		return -1;
	memcpy(&version, h, 4);
	memcpy(&mx, h + 16, 4);
	if (version != 3007000 || h[12] != 1 || memcmp(h + 32, walhdr + 16, 8) != 0)
		return -1;
	return mx;
}

/*
 * One step under the lock, to every destination in legs: each gets the
 * committed frames it lacks (its own tail), then the WAL is backfilled up
 * to the pin only when every destination has them (a destination down
 * leaves the WAL to grow). full (a snapshot): every destination must take
 * its frames, then the whole WAL is backfilled with writers held; one that
 * fails makes it fail (with partial, one after the first is left out: its
 * caller marks it lost). *busy: the write lock was not had (nothing done).
 * -1: the database could not be read (or, full, a destination failed).
 */
static int
ship_locked(struct leg *legs, size_t nl, const char *db_path, int full, int partial, int *busy,
            struct err *e)
{
	char wal[PATH_MAX];
	unsigned char hdr[SHIP_WAL_HDR], fh[WAL_FRAME_HDR], *frames = NULL;
	uint32_t ckpt = 0, salt1 = 0, salt2 = 0, start = 0, last = 0, ncommit = 0;
	uint32_t *commit_frames = NULL;
	sqlite3 *b = NULL, *c = NULL, *a = NULL;
	struct stat st;
	long long seen = 0, mx = 0;
	int fd = -1, rc = -1, have_wal = 0, all_ok = 1;
	size_t cap = 0, nframes = 0;

	*busy = 0;
	for (size_t i = 0; i < nl; i++) {
		struct leg *l = &legs[i];
		l->shipped = 0;
		memset(&l->p, 0, sizeof(l->p));
		if (l->t->d == NULL) {
			l->ok = 0; /* it could not be opened: l->e says why */
		} else {
			l->e.msg[0] = '\0';
			l->ok = read_tail(l->t, &l->tail, &l->e) == 0;
		}
		if (!l->ok) {
			all_ok = 0;
			if (full && !(partial && i > 0)) {
				err_set(e, 503, "%s: %s",
				        l->t->d ? dest_label(l->t->d) : "backup_dir", l->e.msg);
				return -1;
			}
		}
	}
	if ((b = open_conn(db_path, e)) == NULL || (c = open_conn(db_path, e)) == NULL)
		goto out;
	sqlite3_busy_timeout(b, full ? 5000 : 2000);
	if (sqlite3_exec(b, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		*busy = 1;
		rc = 0;
		goto out;
	}
	/*
	 * The write lock is held: every commit in the WAL was made before now.
	 * (Taken before the tails were read, a commit made while a slow store
	 * listed its tail would be stamped before the time it was made.)
	 */
	seen = now_ms();
	if (sqlite3_exec(c, "BEGIN; SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		err_set(e, 500, "cannot read %s: %s", db_path, sqlite3_errmsg(c));
		sqlite3_exec(b, "ROLLBACK", NULL, NULL, NULL);
		goto out;
	}
	/* writers wait from here to the COMMIT below: memory reads of the new bytes only */
	snprintf(wal, sizeof(wal), "%s-wal", db_path);
	if ((fd = open(wal, O_RDONLY | O_CLOEXEC)) != -1 && fstat(fd, &st) == 0 &&
	    st.st_size >= SHIP_WAL_HDR && pread(fd, hdr, SHIP_WAL_HDR, 0) == SHIP_WAL_HDR &&
	    (get_be32(hdr) & 0xfffffffe) == 0x377f0682) {
		have_wal = 1;
		ckpt = get_be32(hdr + 12);
		salt1 = get_be32(hdr + 16);
		salt2 = get_be32(hdr + 20);
		if ((mx = wal_last_frame(c, hdr)) == -1) {
			err_set(e, 500, "cannot read the WAL index of %s as SQLite writes it",
			        db_path);
			sqlite3_exec(b, "ROLLBACK", NULL, NULL, NULL);
			goto out;
		}
		for (size_t i = 0; i < nl; i++) {
			struct leg *l = &legs[i];
			struct tail *t = &l->tail;
			if (!l->ok)
				continue;
			l->same = t->gen > 0 && !t->broken && t->ckpt_seq == ckpt &&
			          t->salt1 == salt1 && t->salt2 == salt2;
			l->start = l->same ? t->last + 1 : 1;
			if (start == 0 || l->start < start)
				start = l->start;
		}
		for (uint32_t k = start; k > 0 && k <= mx; k++) {
			off_t off = SHIP_WAL_HDR + (off_t)(k - 1) * SHIP_FRAME;
			if (off + SHIP_FRAME > st.st_size ||
			    pread(fd, fh, WAL_FRAME_HDR, off) != WAL_FRAME_HDR ||
			    get_be32(fh + 8) != salt1 || get_be32(fh + 12) != salt2)
				break;
			if (get_be32(fh + 4) != 0) {
				last = k;
				if (ncommit == cap) {
					cap = cap ? cap * 2 : 64;
					commit_frames =
					    xrealloc(commit_frames, cap * sizeof(uint32_t));
				}
				commit_frames[ncommit++] = k;
			}
		}
		if (start > 0 && last >= start) {
			nframes = last - start + 1;
			frames = xmalloc(nframes * SHIP_FRAME);
			if (pread(fd, frames, nframes * SHIP_FRAME,
			          SHIP_WAL_HDR + (off_t)(start - 1) * SHIP_FRAME) !=
			    (ssize_t)(nframes * SHIP_FRAME)) {
				err_set(e, 500, "cannot read %s: %s", wal, strerror(errno));
				sqlite3_exec(b, "ROLLBACK", NULL, NULL, NULL);
				goto out;
			}
		}
	}
	if (!full) /* a snapshot keeps writers off until the WAL is backfilled whole */
		sqlite3_exec(b, "COMMIT", NULL, NULL, NULL);

	for (size_t i = 0; i < nl; i++) {
		struct leg *l = &legs[i];
		struct tail *t = &l->tail;
		if (!l->ok)
			continue;
		l->p.seen_ms = seen;
		l->p.gen = have_wal ? (l->same ? t->gen : t->gen + 1)
		                    : t->gen + (t->gen == 0 || t->broken);
		l->p.frame = l->same ? t->last : 0;
		if (have_wal && last >= l->start &&
		    ship_leg(l, hdr, ckpt, salt1, salt2, frames, start, last, commit_frames,
		             ncommit, seen) == -1) {
			l->ok = 0;
			all_ok = 0;
			if (full && !(partial && i > 0)) {
				err_set(e, 503, "%s: %s", dest_label(l->t->d), l->e.msg);
				sqlite3_exec(b, "ROLLBACK", NULL, NULL, NULL);
				goto out;
			}
		}
	}
	if (full) {
		/*
		 * Every frame is shipped and no writer can add one: backfill the
		 * whole WAL, so that the main file alone is the database as of the
		 * last commit (a partial backfill skips pages whose newest frame
		 * is past it: the main file then holds a mix). Readers of older
		 * marks hold it back a moment.
		 */
		sqlite3_exec(c, "COMMIT", NULL, NULL, NULL);
		if ((a = open_conn(db_path, e)) == NULL) {
			sqlite3_exec(b, "ROLLBACK", NULL, NULL, NULL);
			goto out;
		}
		for (int tries = 0;; tries++) {
			int nlog = 0, nckpt = 0;
			if (sqlite3_wal_checkpoint_v2(a, "main", SQLITE_CHECKPOINT_PASSIVE, &nlog,
			                              &nckpt) == SQLITE_OK &&
			    nckpt >= nlog)
				break;
			if (tries >= 500) {
				err_set(e, 503,
				        "readers kept the checkpoint back: no snapshot was taken");
				sqlite3_exec(b, "ROLLBACK", NULL, NULL, NULL);
				goto out;
			}
			usleep(20000);
		}
		sqlite3_exec(b, "ROLLBACK", NULL, NULL, NULL);
	} else if (all_ok) {
		int nlog = 0, nckpt = 0;
		/* backfills up to the pin, never past it: every destination has those frames */
		sqlite3_wal_checkpoint_v2(b, "main", SQLITE_CHECKPOINT_PASSIVE, &nlog, &nckpt);
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (c != NULL)
		sqlite3_exec(c, "COMMIT", NULL, NULL, NULL);
	if (b != NULL && !sqlite3_get_autocommit(b))
		sqlite3_exec(b, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(a);
	sqlite3_close(c);
	sqlite3_close(b);
	free(commit_frames);
	free(frames);
	return rc;
}

static int
lock_data(const char *db_path, struct err *e)
{
	char path[PATH_MAX], *slash;
	int fd;

	snprintf(path, sizeof(path), "%s", db_path);
	if ((slash = strrchr(path, '/')) != NULL)
		snprintf(slash + 1, sizeof(path) - (size_t)(slash + 1 - path), "backup.lock");
	else
		snprintf(path, sizeof(path), "backup.lock");
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1)
		return err_set(e, 500, "cannot open %s: %s", path, strerror(errno));
	while (flock(fd, LOCK_EX) == -1) {
		if (errno != EINTR) {
			err_set(e, 500, "cannot lock %s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
	}
	return fd;
}

static void
unlock_data(int fd)
{
	if (fd != -1) {
		flock(fd, LOCK_UN);
		close(fd);
	}
}

/* A directory for objects fetched from an object store: the database's own. */
static void
scratch_of(const char *db_path, char *out, size_t cap)
{
	char *slash;
	snprintf(out, cap, "%s", db_path);
	if ((slash = strrchr(out, '/')) != NULL && slash != out)
		*slash = '\0';
	else
		snprintf(out, cap, ".");
}

struct main_copy {
	struct sha256 h;
	int fd;
	long long size;
};

static int
copy_chunk(void *arg, const unsigned char *buf, size_t n, struct err *e)
{
	struct main_copy *m = arg;
	sha256_update(&m->h, buf, n);
	m->size += (long long)n;
	if (io_write_all(m->fd, buf, n) == -1)
		return err_set(e, 500, "cannot write the copy of the database: %s",
		               strerror(errno));
	return 0;
}

/*
 * Copies the main file into out_fd from its start (hashed, synced), read
 * through SQLite's system VFS: this process's connections hold POSIX locks on
 * it that a descriptor of our own would drop when closed.
 */
static int
copy_main(const char *db_path, int out_fd, long long *size, char hex[65], struct err *e)
{
	struct main_copy m = {{NULL}, out_fd, 0};
	unsigned char digest[SHA256_LEN];
	int rc = -1;

	if (ftruncate(out_fd, 0) == -1 || lseek(out_fd, 0, SEEK_SET) == -1)
		return err_set(e, 500, "cannot write the copy of %s: %s", db_path, strerror(errno));
	sha256_init(&m.h);
	if (pagecrypt_read_raw(db_path, copy_chunk, &m, e) == -1)
		goto out;
	if (fsync(out_fd) == -1) {
		err_set(e, 500, "cannot sync the copy of %s: %s", db_path, strerror(errno));
		goto out;
	}
	sha256_final(&m.h, digest);
	sodium_bin2hex(hex, 65, digest, sizeof(digest));
	*size = m.size;
	rc = 0;
out:
	sha256_free(&m.h);
	return rc;
}

static void mark_lost(const struct backup_dest *d, const char *why);
static int shipper_running(void);

int
ship_snapshot_copy(struct backup_dest **dests, size_t nd, const char *db_path, int out_fd,
                   long long *size, char hex[65], long long *generation, long long *frame, int *ok,
                   long long *at_ms, struct err *e)
{
	int partial = shipper_running();
	char scratch[PATH_MAX];
	struct tgt *ts = xcalloc(nd, sizeof(*ts));
	struct leg *legs = xcalloc(nd, sizeof(*legs));
	uint64_t before = 0, after = 0;
	int lock, busy, rc = -1;

	scratch_of(db_path, scratch, sizeof(scratch));
	for (size_t i = 0; i < nd; i++) {
		ts[i].d = dests[i];
		ts[i].scratch = scratch;
		legs[i].t = &ts[i];
	}
	if ((lock = lock_data(db_path, e)) == -1)
		goto out0;
	/* what is pending first, without holding writers, then the rest with them held */
	if (ship_locked(legs, nd, db_path, 0, 0, &busy, e) == -1)
		goto out;
	for (int tries = 0;; tries++) {
		if (ship_locked(legs, nd, db_path, 1, partial, &busy, e) == -1)
			goto out;
		if (busy) {
			if (tries >= 10) {
				err_set(e, 503, "the database stayed busy: no snapshot was taken");
				goto out;
			}
			continue;
		}
		for (size_t i = 0; i < nd; i++) {
			generation[i] = legs[i].p.gen;
			frame[i] = legs[i].p.frame;
			ok[i] = legs[i].ok;
			/* left out: the backfill below loses the frames it lacks */
			if (!legs[i].ok)
				mark_lost(dests[i], legs[i].e.msg);
		}
		*at_ms = nd > 0 ? legs[0].p.seen_ms : now_ms();
		/*
		 * The main file now is the database as of the last shipped commit, and
		 * no Slate process checkpoints without the lock held here. A process
		 * that does not own checkpoints (a server without backup_dir) could:
		 * the seal epoch, raised by every checkpoint, says whether one ran.
		 */
		if (pagecrypt_epoch(db_path, &before, e) == -1 ||
		    copy_main(db_path, out_fd, size, hex, e) == -1 ||
		    pagecrypt_epoch(db_path, &after, e) == -1)
			goto out;
		if (before == after)
			break;
		if (tries >= 10) {
			err_set(
			    e, 503,
			    "checkpoints kept changing %s during the copy (is backup_dir set for "
			    "slate serve too?): no snapshot was taken",
			    db_path);
			goto out;
		}
	}
	rc = 0;
out:
	unlock_data(lock);
out0:
	free(ts);
	free(legs);
	return rc;
}

/* ---- a marked commit (a drill's sentinel) ---- */

static int
mark_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	(void)db;
	(void)name;
	*(int *)arg = frames;
	return SQLITE_OK;
}

/* The salts of the WAL header of db_path's WAL: 0, or -1 when it has none. */
static int
wal_salts(const char *db_path, uint32_t *salt1, uint32_t *salt2)
{
	char wal[PATH_MAX];
	unsigned char hdr[SHIP_WAL_HDR];
	int fd, rc = -1;

	snprintf(wal, sizeof(wal), "%s-wal", db_path);
	if ((fd = open(wal, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (pread(fd, hdr, SHIP_WAL_HDR, 0) == SHIP_WAL_HDR &&
	    (get_be32(hdr) & 0xfffffffe) == 0x377f0682) {
		*salt1 = get_be32(hdr + 16);
		*salt2 = get_be32(hdr + 20);
		rc = 0;
	}
	close(fd);
	return rc;
}

int
ship_mark(struct backup_dest **dests, size_t nd, const char *db_path, ship_write_fn fn, void *arg,
          long long *generation, long long *frame, int *ok, struct err *why, struct err *e)
{
	char scratch[PATH_MAX];
	struct tgt *ts = xcalloc(nd, sizeof(*ts));
	struct leg *legs = xcalloc(nd, sizeof(*legs));
	uint32_t s1 = 0, s2 = 0, t1 = 0, t2 = 0;
	sqlite3 *w = NULL;
	int lock, busy = 1, rc = -1, frames = 0;

	*frame = 0;
	scratch_of(db_path, scratch, sizeof(scratch));
	for (size_t i = 0; i < nd; i++) {
		ts[i].d = dests[i];
		ts[i].scratch = scratch;
		legs[i].t = &ts[i];
		ok[i] = 0;
		generation[i] = 0;
		why[i].status = 0;
		why[i].msg[0] = '\0';
	}
	/* no checkpoint runs while the lock is held: the WAL cannot restart under the mark */
	if ((lock = lock_data(db_path, e)) == -1)
		goto out0;
	if ((w = open_conn(db_path, e)) == NULL)
		goto out;
	sqlite3_busy_timeout(w, 5000);
	sqlite3_wal_hook(w, mark_hook, &frames);
	if (sqlite3_exec(w, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		err_set(e, 503, "cannot write to %s: %s", db_path, sqlite3_errmsg(w));
		goto out;
	}
	if (fn(w, arg, e) == -1) {
		sqlite3_exec(w, "ROLLBACK", NULL, NULL, NULL);
		goto out;
	}
	if (sqlite3_exec(w, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		err_set(e, 503, "cannot commit to %s: %s", db_path, sqlite3_errmsg(w));
		sqlite3_exec(w, "ROLLBACK", NULL, NULL, NULL);
		goto out;
	}
	if (frames <= 0 || wal_salts(db_path, &s1, &s2) == -1) {
		err_set(e, 500, "the commit to %s left no WAL frame (is it in WAL mode?)", db_path);
		goto out;
	}
	*frame = frames;
	for (int tries = 0; busy; tries++) {
		if (tries >= 10) {
			err_set(e, 503, "the database stayed busy: the mark was not shipped");
			goto out;
		}
		if (ship_locked(legs, nd, db_path, 0, 0, &busy, e) == -1)
			goto out;
	}
	/* a process that checkpoints without the lock (a server without backup_dir) could restart
	 * it */
	if (wal_salts(db_path, &t1, &t2) == -1 || t1 != s1 || t2 != s2) {
		err_set(e, 503,
		        "the WAL of %s restarted under the mark (is backup_dir set for slate serve "
		        "too?)",
		        db_path);
		goto out;
	}
	for (size_t i = 0; i < nd; i++) {
		ok[i] = legs[i].ok;
		generation[i] = legs[i].p.gen;
		if (!legs[i].ok)
			why[i] = legs[i].e;
	}
	rc = 0;
out:
	sqlite3_close(w);
	unlock_data(lock);
out0:
	free(ts);
	free(legs);
	return rc;
}

/* ---- restore ---- */

struct loaded {
	char name[96];
	unsigned char *buf;
	size_t n;
	struct ship_seg s;
	const unsigned char *commits, *walhdr, *frames;
	unsigned char hash[SHIP_HASH];
};

static void
free_loaded(struct loaded *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(l[i].buf);
	free(l);
}

/* Loads and checks every segment of generation g: hash, chain, frames contiguous. */
static int
load_generation(struct tgt *dest, long long g, const unsigned char *prev, struct loaded **out,
                size_t *nout, int *broken, struct err *e)
{
	char rel[64], **names = NULL;
	size_t n = 0, k = 0;
	struct loaded *l = NULL;
	int rc = -1;

	*out = NULL;
	*nout = 0;
	*broken = 0;
	snprintf(rel, sizeof(rel), "wal/%010lld", g);
	if (t_list(dest, rel, &names, &n, e) == -1)
		return -1;
	l = xcalloc(n + 1, sizeof(*l));
	for (size_t i = 0; i < n; i++) {
		struct loaded *x = &l[k];
		char full[128];
		unsigned long f = 0, la = 0;
		char *end;

		if (strcmp(names[i], "BREAK") == 0) {
			*broken = 1;
			continue;
		}
		snprintf(x->name, sizeof(x->name), "wal/%010lld/%s", g, names[i]);
		f = strtoul(names[i], &end, 10);
		if (*end == '-')
			la = strtoul(end + 1, &end, 10);
		if (strcmp(end, ".seg") != 0) {
			err_set(e, 422, "%s is not a segment name (FIRST-LAST.seg)", x->name);
			goto out;
		}
		snprintf(full, sizeof(full), "%s", x->name);
		if (t_read(dest, full, &x->buf, &x->n, e) == -1)
			goto out;
		k++;
		if (ship_seg_parse(x->buf, x->n, &x->s, &x->commits, &x->walhdr, &x->frames,
		                   x->hash, e) == -1) {
			{
				char why[sizeof(e->msg)];
				snprintf(why, sizeof(why), "%s",
				         e->msg); /* e->msg is written next */
				err_set(e, 422, "segment %s %s", x->name, why);
			}
			goto out;
		}
		if (x->s.first != f || x->s.last != la || x->s.generation != g) {
			err_set(
			    e, 422,
			    "segment %s holds frames %u-%u of generation %lld: it was renamed or "
			    "moved",
			    x->name, x->s.first, x->s.last, x->s.generation);
			goto out;
		}
		if (k == 1) {
			if (x->s.first != 1 || x->walhdr == NULL) {
				err_set(e, 422,
				        "segment %s: generation %lld does not begin at frame 1 (a "
				        "segment "
				        "before it is missing)",
				        x->name, g);
				goto out;
			}
			if (prev != NULL && sodium_memcmp(x->s.prev, prev, SHIP_HASH) != 0) {
				err_set(e, 422,
				        "segment %s does not follow the last segment of generation "
				        "%lld: "
				        "a segment between them is missing, or they were reordered",
				        x->name, g - 1);
				goto out;
			}
		} else {
			struct loaded *pr = &l[k - 2];
			if (x->s.first != pr->s.last + 1) {
				err_set(e, 422,
				        "segment %s: frames %u-%u are missing before it (a gap in "
				        "generation %lld)",
				        x->name, pr->s.last + 1, x->s.first - 1, g);
				goto out;
			}
			if (sodium_memcmp(x->s.prev, pr->hash, SHIP_HASH) != 0 ||
			    x->s.salt1 != pr->s.salt1 || x->s.salt2 != pr->s.salt2 ||
			    x->s.ckpt_seq != pr->s.ckpt_seq) {
				err_set(
				    e, 422,
				    "segment %s does not follow %s: the chain of segments breaks "
				    "(reordered or replaced)",
				    x->name, pr->name);
				goto out;
			}
		}
	}
	rc = 0;
out:
	free_names(names, n);
	if (rc == -1)
		free_loaded(l, k);
	else {
		*out = l;
		*nout = k;
	}
	return rc;
}

/* Writes the generation's WAL (header + frames 1..upto) at db-wal, then recovers and checkpoints.
 */
static int
replay(const char *db, struct loaded *l, size_t n, uint32_t upto, struct err *e)
{
	char wal[PATH_MAX], shm[PATH_MAX];
	sqlite3 *c = NULL;
	int fd, rc = -1, nlog = -1, nckpt = -1;

	snprintf(wal, sizeof(wal), "%s-wal", db);
	snprintf(shm, sizeof(shm), "%s-shm", db);
	unlink(shm);
	if ((fd = open(wal, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) == -1)
		return err_set(e, 500, "cannot create %s: %s", wal, strerror(errno));
	if (io_write_all(fd, l[0].walhdr, SHIP_WAL_HDR) == -1)
		goto werr;
	for (size_t i = 0; i < n && l[i].s.first <= upto; i++) {
		uint32_t to = l[i].s.last < upto ? l[i].s.last : upto;
		if (io_write_all(fd, l[i].frames, (size_t)(to - l[i].s.first + 1) * SHIP_FRAME) ==
		    -1)
			goto werr;
	}
	if (fsync(fd) == -1)
		goto werr;
	close(fd);
	if (sqlite3_open_v2(db, &c, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    sqlite3_exec(c, "PRAGMA temp_store=MEMORY", NULL, NULL, NULL) != SQLITE_OK ||
	    /* a read first: it opens the WAL and recovers it */
	    sqlite3_exec(c, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_wal_checkpoint_v2(c, "main", SQLITE_CHECKPOINT_PASSIVE, &nlog, &nckpt) !=
	        SQLITE_OK) {
		err_set(e, 500, "the WAL of segment %s does not replay: %s", l[0].name,
		        c ? sqlite3_errmsg(c) : "out of memory");
		goto out;
	}
	if ((uint32_t)nlog != upto || nckpt != nlog) {
		/* the log ended early: a frame did not open (tag or checksum) */
		const char *bad = l[0].name;
		for (size_t i = 0; i < n; i++)
			if ((uint32_t)nlog + 1 >= l[i].s.first && (uint32_t)nlog + 1 <= l[i].s.last)
				bad = l[i].name;
		err_set(e, 422, "segment %s: frame %d does not open (altered or under another key)",
		        bad, nlog + 1);
		goto out;
	}
	if (sqlite3_wal_checkpoint_v2(c, "main", SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL) !=
	    SQLITE_OK) {
		err_set(e, 500, "the WAL of segment %s does not checkpoint: %s", l[0].name,
		        sqlite3_errmsg(c));
		goto out;
	}
	rc = 0;
out:
	sqlite3_close(c);
	unlink(wal);
	unlink(shm);
	return rc;
werr:
	err_set(e, 500, "cannot write %s: %s", wal, strerror(errno));
	close(fd);
	unlink(wal);
	return -1;
}

/* DEST/wal/HEAD: the last segment shipped (generation, last frame). 0 when there is none. */
static int
read_head(struct tgt *dest, long long *gen, unsigned long *frame)
{
	unsigned char *buf = NULL;
	size_t n = 0;
	struct err ignored;
	char *end;
	int rc = 0;

	/* (a store's 5xx to a read racing the put that replaces HEAD is tried again: dest_s3.c) */
	if (t_read(dest, "wal/HEAD", &buf, &n, &ignored) == -1)
		return 0;
	buf[n] = '\0';
	*gen = strtoll((char *)buf, &end, 10);
	if (*end == ' ') {
		*frame = strtoul(end + 1, &end, 10);
		rc = *end == ' ';
	}
	free(buf);
	return rc;
}

static int read_head(struct tgt *dest, long long *gen, unsigned long *frame);

int
ship_dest_head_d(struct backup_dest *d, const char *scratch, long long *gen, unsigned long *frame,
                 long long *last_ms)
{
	struct tgt tg = {d, scratch}, *dest = &tg;
	char rel[64], **names = NULL;
	size_t n = 0, len = 0;
	unsigned char *buf = NULL;
	struct err ignored;
	int found = 0;

	*gen = 0;
	*frame = 0;
	*last_ms = 0;
	if (!read_head(dest, gen, frame))
		return 0;
	snprintf(rel, sizeof(rel), "wal/%010lld", *gen);
	if (t_list(dest, rel, &names, &n, &ignored) == 0 && n > 0) {
		snprintf(rel, sizeof(rel), "wal/%010lld/%s", *gen, names[n - 1]);
		if (t_read(dest, rel, &buf, &len, &ignored) == 0 && len >= SHIP_HDR &&
		    memcmp(buf, SHIP_MAGIC, 8) == 0)
			*last_ms = (long long)get_be64(buf + 56);
	}
	found = 1;
	free(buf);
	free_names(names, n);
	return found;
}

int
ship_dest_head(const char *dest, long long *gen, unsigned long *frame, long long *last_ms)
{
	struct err ignored;
	struct backup_dest *d = open_dir(dest, &ignored);
	int rc = 0;

	*gen = 0;
	*frame = 0;
	*last_ms = 0;
	if (d != NULL)
		rc = ship_dest_head_d(d, NULL, gen, frame, last_ms);
	dest_close(d);
	return rc;
}

/* Generation rel is there: a directory (even empty) in a directory, any object of it in a store. */
static int
gen_exists(struct tgt *dest, const char *rel, char *key, char **gens, size_t ngens)
{
	const char *root = dest_dir_root(dest->d);
	if (root != NULL) {
		char path[PATH_MAX + 64];
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", root, rel);
		return stat(path, &st) == 0;
	}
	return ngens > 0 && bsearch(&key, gens, ngens, sizeof(char *), cmp_str) != NULL;
}

static int apply_to(struct tgt *dest, long long gen, long long frame, long long at_ms,
                    long long stop_gen, long long stop_frame, const char *db,
                    struct ship_applied *out, struct err *e);

int
ship_apply(const char *dest, long long gen, long long frame, long long at_ms, const char *db,
           struct ship_applied *out, struct err *e)
{
	return ship_apply_upto(dest, gen, frame, at_ms, 0, 0, db, out, e);
}

int
ship_apply_upto(const char *dest, long long gen, long long frame, long long at_ms,
                long long stop_gen, long long stop_frame, const char *db, struct ship_applied *out,
                struct err *e)
{
	struct backup_dest *d = open_dir(dest, e);
	struct tgt tg = {d, NULL};
	int rc;

	memset(out, 0, sizeof(*out));
	if (d == NULL)
		return -1;
	rc = apply_to(&tg, gen, frame, at_ms, stop_gen, stop_frame, db, out, e);
	dest_close(d);
	return rc;
}

static int
apply_to(struct tgt *dest, long long gen, long long frame, long long at_ms, long long stop_gen,
         long long stop_frame, const char *db, struct ship_applied *out, struct err *e)
{
	char **gens = NULL;
	size_t ngens = 0;
	int rc = -1;
	long long walked_gen = 0, head_gen = 0;
	unsigned long walked_frame = 0, head_frame = 0;
	unsigned char prev[SHIP_HASH];
	int has_prev = 0;
	int stopped = 0, marked = 0, has_head = read_head(dest, &head_gen, &head_frame);

	memset(out, 0, sizeof(*out));
	if (t_list(dest, "wal", &gens, &ngens, e) == -1)
		goto out;
	for (long long g = gen;; g++) {
		struct loaded *l = NULL;
		size_t n = 0;
		int broken = 0, stop = 0;
		uint32_t upto = 0;
		long long commits = 0, reached = 0;
		char rel[64];
		char *key = rel + 4;

		snprintf(rel, sizeof(rel), "wal/%010lld", g);
		if (!gen_exists(dest, rel, key, gens, ngens)) {
			/* the end, unless a later generation exists: then one is missing */
			struct tail t;
			if (read_tail(dest, &t, e) == 0 && t.gen > g) {
				const char *root = dest_dir_root(dest->d);
				err_set(e, 422,
				        "generation %lld is missing from %s/wal (a gap before "
				        "generation %lld)",
				        g, root ? root : dest_label(dest->d), g + 1);
				goto out;
			}
			break;
		}
		if (load_generation(dest, g, has_prev ? prev : NULL, &l, &n, &broken, e) == -1)
			goto out;
		if (n > 0) {
			memcpy(prev, l[n - 1].hash, SHIP_HASH);
			has_prev = 1;
		}
		if (broken && g != gen) {
			free_loaded(l, n);
			break; /* continuity lost: a later snapshot covers later times */
		}
		for (size_t i = 0; i < n && !stop; i++)
			for (uint32_t c = 0; c < l[i].s.commits; c++) {
				const unsigned char *p = l[i].commits + (size_t)c * SHIP_COMMIT_LEN;
				long long ms = (long long)get_be64(p + 4);
				if (at_ms >= 0 && ms > at_ms &&
				    get_be32(p) > (uint32_t)(g == gen ? frame : 0)) {
					stop = 1;
					break;
				}
				/* a position: never past it (a commit at it ends the replay) */
				if (stop_gen > 0 &&
				    (g > stop_gen ||
				     (g == stop_gen && (long long)get_be32(p) > stop_frame))) {
					stop = 1;
					break;
				}
				upto = get_be32(p);
				reached = ms;
				commits += get_be32(p) > (uint32_t)(g == gen ? frame : 0);
				if (stop_gen > 0 && g == stop_gen &&
				    (long long)get_be32(p) == stop_frame) {
					marked = 1;
					stop = 1;
					break;
				}
			}
		if (n > 0 && upto > 0 && replay(db, l, n, upto, e) == -1) {
			free_loaded(l, n);
			goto out;
		}
		if (n > 0) {
			walked_gen = g;
			walked_frame = l[n - 1].s.last;
		}
		stopped |= stop;
		if (upto > 0) {
			out->generations++;
			out->segments += (long long)n;
			out->commits += commits;
			if (commits > 0)
				out->reached_ms = reached;
		}
		free_loaded(l, n);
		if (stop)
			break;
	}
	if (stop_gen > 0 && !marked) {
		const char *root = dest_dir_root(dest->d);
		err_set(e, 422,
		        "the commit at generation %lld frame %lld (the drill's sentinel) is not in "
		        "%s/wal: the segments end at generation %lld frame %lu",
		        stop_gen, stop_frame, root ? root : dest_label(dest->d), walked_gen,
		        walked_frame);
		goto out;
	}
	if (!stopped && has_head &&
	    (head_gen > walked_gen || (head_gen == walked_gen && head_frame > walked_frame))) {
		err_set(e, 422,
		        "segment wal/%010lld/*-%010lu.seg, the last one shipped (wal/HEAD), is "
		        "missing: the segments end at generation %lld frame %lu",
		        head_gen, head_frame, walked_gen, walked_frame);
		goto out;
	}
	rc = 0;
out:
	free_names(gens, ngens);
	return rc;
}

int
ship_prune(const char *dest, long long gen, struct err *e)
{
	struct backup_dest *d = open_dir(dest, e);
	int rc;
	if (d == NULL)
		return -1;
	rc = ship_prune_d(d, gen, e);
	dest_close(d);
	return rc;
}

int
ship_prune_d(struct backup_dest *d, long long gen, struct err *e)
{
	struct tgt tg = {d, NULL}, *dest = &tg;
	char **gens = NULL, **segs = NULL, rel[96];
	size_t ng = 0, ns = 0;

	if (t_list(dest, "wal", &gens, &ng, e) == -1)
		return -1;
	for (size_t i = 0; i < ng; i++) {
		long long g = gen_number(gens[i]);
		if (g <= 0 || g >= gen)
			continue;
		snprintf(rel, sizeof(rel), "wal/%s", gens[i]);
		if (t_list(dest, rel, &segs, &ns, e) == 0) {
			for (size_t k = 0; k < ns; k++) {
				snprintf(rel, sizeof(rel), "wal/%s/%s", gens[i], segs[k]);
				t_remove(dest, rel);
			}
			free_names(segs, ns);
			segs = NULL;
		}
		snprintf(rel, sizeof(rel), "wal/%s", gens[i]);
		t_remove(dest, rel);
	}
	free_names(gens, ng);
	return 0;
}

/* ---- the thread ---- */

/* One destination of the server's shipper; its status under mu. */
struct target {
	struct tgt t;
	struct dest_spec spec; /* to open it again while it cannot be opened */
	char *dir;
	struct ship_status st;
	long long pending_since_ms;
};

static struct {
	pthread_t th;
	int running, stop;
	char *db;
	char scratch[PATH_MAX];
	double interval;
	long long max_queue;
	struct target to[2];
	size_t n;
} S;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

double
ship_parse_interval(const char *s)
{
	char *end;
	double v;
	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || v != v)
		return -1;
	if (strcmp(end, "ms") == 0)
		v /= 1000.0;
	else if (strcmp(end, "s") != 0 && *end != '\0')
		return -1;
	return v >= 0.01 && v <= 3600 ? v : -1;
}

static long long
wal_size(const char *db)
{
	char wal[PATH_MAX];
	struct stat st;
	snprintf(wal, sizeof(wal), "%s-wal", db);
	return stat(wal, &st) == 0 ? (long long)st.st_size : 0;
}

/* The WAL is past the bound while a destination fails: backfill it anyway. */
static void
give_up(void)
{
	sqlite3 *c;
	struct err e;
	int nlog, nckpt, lock = lock_data(S.db, &e);
	if (lock == -1)
		return;
	if ((c = open_conn(S.db, &e)) != NULL)
		sqlite3_wal_checkpoint_v2(c, "main", SQLITE_CHECKPOINT_PASSIVE, &nlog, &nckpt);
	sqlite3_close(c);
	unlock_data(lock);
}

/* A destination that lost continuity and is back: its BREAK, then a fresh snapshot. */
static void
mend(struct target *x)
{
	struct tail t;
	struct err e;
	char rel[64];

	if (x->t.d == NULL || read_tail(&x->t, &t, &e) == -1)
		return;
	snprintf(rel, sizeof(rel), "wal/%010lld/BREAK", t.gen + 1);
	if (t.broken || t_put(&x->t, rel, "", 0, &e) == 0) {
		backup_request_snapshot();
		pthread_mutex_lock(&mu);
		x->st.continuity_lost = 0;
		pthread_mutex_unlock(&mu);
	}
}

static void
tick(void)
{
	struct leg legs[2];
	struct err e;
	int lost[2] = {0, 0}, give = 0, lock, busy = 0;
	size_t nl = 0, map[2];
	time_t now = time(NULL);
	long long q;

	/*
	 * Under the lock from here: a snapshot marks a destination it could not
	 * reach as lost under it (ship_snapshot_copy), so no step ships to that
	 * destination between the mark and its BREAK.
	 */
	if ((lock = lock_data(S.db, &e)) == -1) {
		log_event(LOG_WARN, "the WAL could not be shipped", LOG_STR("reason", e.msg),
		          LOG_END);
		return;
	}
	for (size_t i = 0; i < S.n; i++) {
		struct target *x = &S.to[i];
		memset(&legs[nl], 0, sizeof(legs[nl]));
		legs[nl].t = &x->t;
		if (x->t.d == NULL && (x->t.d = dest_open(&x->spec, &legs[nl].e)) == NULL) {
			map[nl++] = i; /* a failed leg: the WAL waits for it */
			continue;
		}
		pthread_mutex_lock(&mu);
		lost[i] = x->st.continuity_lost;
		pthread_mutex_unlock(&mu);
		if (lost[i])
			mend(x);
		pthread_mutex_lock(&mu);
		lost[i] = x->st.continuity_lost;
		pthread_mutex_unlock(&mu);
		if (lost[i])
			continue; /* still down: nothing is shipped to it before its BREAK */
		map[nl++] = i;
	}
	if (ship_locked(legs, nl, S.db, 0, 0, &busy, &e) == -1) {
		/* the database itself: every destination waits */
		unlock_data(lock);
		log_event(LOG_WARN, "the WAL could not be read for shipping",
		          LOG_STR("reason", e.msg), LOG_END);
		return;
	}
	unlock_data(lock);
	if (busy)
		return;
	q = wal_size(S.db);
	for (size_t k = 0; k < S.n; k++) {
		struct target *x = &S.to[k];
		struct leg *l = NULL;
		for (size_t j = 0; j < nl; j++)
			if (map[j] == k)
				l = &legs[j];
		pthread_mutex_lock(&mu);
		if (l == NULL || !l->ok) {
			if (l != NULL) {
				snprintf(x->st.error, sizeof(x->st.error), "%s", l->e.msg);
				if (x->st.failing_since == 0) {
					x->st.failing_since = now;
					log_event(LOG_WARN,
					          "shipping the WAL to a backup destination failed",
					          LOG_STR("destination", x->st.label),
					          LOG_STR("reason", l->e.msg), LOG_END);
				}
			}
			x->st.queue_bytes = q;
			if (x->pending_since_ms == 0)
				x->pending_since_ms = now_ms();
			x->st.lag_seconds = (double)(now_ms() - x->pending_since_ms) / 1000.0;
			if (q > S.max_queue && !x->st.continuity_lost) {
				x->st.continuity_lost = 1;
				give = 1;
				log_event(
				    LOG_ERROR,
				    "the WAL outgrew backup_max_queue_bytes while a destination "
				    "failed: its continuity is given up, a fresh snapshot "
				    "follows when it is back",
				    LOG_STR("destination", x->st.label), LOG_END);
			}
			pthread_mutex_unlock(&mu);
			continue;
		}
		if (x->st.failing_since != 0)
			log_event(LOG_INFO, "shipping the WAL works again",
			          LOG_STR("destination", x->st.label), LOG_END);
		x->st.failing_since = 0;
		x->st.error[0] = '\0';
		x->st.generation = l->p.gen;
		x->st.frame = l->p.frame;
		x->st.queue_bytes = 0;
		x->st.lag_seconds = 0;
		x->pending_since_ms = 0;
		x->st.last_shipped = (double)l->p.seen_ms / 1000.0;
		pthread_mutex_unlock(&mu);
	}
	if (give)
		give_up();
}

static void *
run(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	while (!S.stop) {
		struct timespec until;
		pthread_mutex_unlock(&mu);
		tick();
		pthread_mutex_lock(&mu);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += (time_t)S.interval;
		until.tv_nsec += (long)((S.interval - (double)(long)S.interval) * 1e9);
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		if (!S.stop)
			pthread_cond_timedwait(&cv, &mu, &until);
	}
	pthread_mutex_unlock(&mu);
	tick(); /* what was committed before the stop */
	return NULL;
}

static void
free_targets(void)
{
	for (size_t i = 0; i < S.n; i++) {
		dest_close(S.to[i].t.d);
		free(S.to[i].dir);
	}
	S.n = 0;
}

int
ship_start(const struct config *c, const char *db_path, struct err *e)
{
	struct dest_spec specs[2];
	double iv;
	int n = 0;

	if ((c->backup_dir == NULL || c->backup_dir[0] == '\0') &&
	    (c->s3_endpoint == NULL || c->s3_endpoint[0] == '\0'))
		return 0;
	if ((iv = ship_parse_interval(c->backup_sync_interval)) < 0)
		return err_set(e, 400,
		               "backup sync_interval '%s' is not a number of seconds between 0.01 "
		               "and 3600 (e.g. 1, 0.2 or 200ms)",
		               c->backup_sync_interval);
	if (dest_specs_from_config(c, specs, &n, e) == -1)
		return -1;
	memset(&S, 0, sizeof(S));
	S.db = xstrdup(db_path);
	scratch_of(db_path, S.scratch, sizeof(S.scratch));
	S.interval = iv;
	S.max_queue = c->backup_max_queue_bytes;
	for (int i = 0; i < n && i < 2; i++) {
		struct target *x = &S.to[S.n];
		struct err oe;
		x->spec = specs[i];
		x->t.scratch = S.scratch;
		x->st.enabled = 1;
		if (specs[i].kind == DEST_DIR) {
			x->dir = xstrdup(specs[i].dir);
			x->spec.dir = x->dir;
			snprintf(x->st.label, sizeof(x->st.label), "dir");
			/* a directory that cannot be made now is tried again every tick */
			x->t.d = dest_open(&x->spec, &oe);
		} else {
			snprintf(x->st.label, sizeof(x->st.label), "s3");
			/* the settings and the credentials: a mistake stops the start */
			if ((x->t.d = dest_open(&x->spec, e)) == NULL) {
				free_targets();
				free(S.db);
				return -1;
			}
		}
		S.n++;
	}
	/* the command line set it before any connection was opened (cli_config) */
	if (!store_sqlite_owns_checkpoints())
		store_sqlite_own_checkpoints(1, ship_commit_hook);
	if (pthread_create(&S.th, NULL, run, NULL) != 0) {
		free_targets();
		free(S.db);
		return err_set(e, 500, "cannot start the WAL shipper");
	}
	pthread_mutex_lock(&mu);
	S.running = 1;
	pthread_mutex_unlock(&mu);
	return 0;
}

void
ship_stop(void)
{
	if (!S.running)
		return;
	pthread_mutex_lock(&mu);
	S.stop = 1;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	pthread_join(S.th, NULL);
	pthread_mutex_lock(&mu);
	S.running = 0;
	pthread_mutex_unlock(&mu);
	free_targets();
	free(S.db);
	S.db = NULL;
}

size_t
ship_state_all(struct ship_status *st, size_t cap)
{
	size_t n = 0;
	pthread_mutex_lock(&mu);
	for (size_t i = 0; i < S.n && i < cap; i++, n++) {
		st[i] = S.to[i].st;
		if (S.to[i].pending_since_ms != 0)
			st[i].lag_seconds = (double)(now_ms() - S.to[i].pending_since_ms) / 1000.0;
	}
	pthread_mutex_unlock(&mu);
	return n;
}

void
ship_state(struct ship_status *st)
{
	memset(st, 0, sizeof(*st));
	if (ship_state_all(st, 1) == 0)
		st->enabled = 0;
}

static int
shipper_running(void)
{
	int r;
	pthread_mutex_lock(&mu);
	r = S.running && !S.stop;
	pthread_mutex_unlock(&mu);
	return r;
}

/* The server's shipper: d (its kind) lost continuity; a BREAK and a snapshot when it is back. */
static void
mark_lost(const struct backup_dest *d, const char *why)
{
	const char *label = dest_dir_root(d) != NULL ? "dir" : "s3";
	pthread_mutex_lock(&mu);
	for (size_t i = 0; i < S.n; i++)
		if (strcmp(S.to[i].st.label, label) == 0 && !S.to[i].st.continuity_lost) {
			struct target *x = &S.to[i];
			snprintf(x->st.error, sizeof(x->st.error), "%s", why);
			if (x->st.failing_since == 0) {
				x->st.failing_since = time(NULL);
				log_event(
				    LOG_WARN, "shipping the WAL to a backup destination failed",
				    LOG_STR("destination", label), LOG_STR("reason", why), LOG_END);
			}
			if (x->pending_since_ms == 0)
				x->pending_since_ms = now_ms();
			S.to[i].st.continuity_lost = 1;
			log_event(
			    LOG_ERROR,
			    "a snapshot was taken while a backup destination failed: its WAL "
			    "continuity is given up, a fresh snapshot follows when it is back",
			    LOG_STR("destination", label), LOG_END);
		}
	pthread_mutex_unlock(&mu);
}

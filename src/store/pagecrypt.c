/*
 * pagecrypt.c — an SQLite VFS that encrypts every page of Slate's database
 * and of its write-ahead log with AES-256-GCM (see pagecrypt.h).
 *
 * The shim sits over the system's default VFS ("unix") and changes only
 * xOpen, xRead and xWrite: locking, syncing, truncation and the WAL index
 * (the -shm file, which holds page numbers and hashes, never page content)
 * pass through (a WAL's, once it has written out a frame header it held for
 * its page: wal_flush). SQLite sees plaintext pages; the disk holds only
 * sealed ones.
 *
 * ON-DISK FORMAT, version 1
 *
 * Every database Slate encrypts has page size P = 4096 and reserves
 * R = 32 bytes at the end of every page (SQLite header byte 20 = 32), which
 * SQLite leaves unused and this VFS fills. A database has a 16-byte random
 * database id; its key is the 32-byte data key "db-" hex(id) in the keystore
 * (DATA/keys.db, keyring.c), wrapped under the master key.
 *
 * A sealed page of number n (1-based), P bytes:
 *
 *   offset      length  content
 *   0           16      page 1 only: the database id, in the clear (it
 *                       stands where SQLite writes "SQLite format 3\0",
 *                       which is given back on read)
 *   0 (16 on 1) P-R     AES-256-GCM ciphertext of SQLite's bytes of the page
 *     (P-R-16 on page 1)  at the same offsets
 *   P-32        12      nonce: 8 bytes drawn at random when the file is
 *                       opened, then a 4-byte big-endian counter of the
 *                       pages sealed through that handle (redrawn when it
 *                       wraps), so no nonce repeats under a key
 *   P-20        16      GCM tag
 *   P-4         4       "SAG1", the format marker
 *
 *   associated data: "slate-page-v1" (13 bytes) || database id (16) ||
 *   n as 4 bytes big-endian. A page copied to another position or into
 *   another database does not open; nor does any altered byte.
 *
 * The database file is pages 1..N at offset (n-1)*P, each sealed as above.
 * It never begins with "SQLite format 3".
 *
 * THE SEAL EPOCH (rollback of the file)
 *
 * A page is bound to its number but not to a version, so an older sealed
 * copy of a page, or of the whole file, still opens. To see the whole file
 * (or its page 1) put back, the main file's page 1 carries a 64-bit counter,
 * the seal epoch: big-endian in bytes 72..79 of its plaintext, a part of
 * SQLite's header that SQLite reserves for expansion and always writes as
 * zeros. It is inside the ciphertext, so authenticated. SQLite never sees
 * it: a read of page 1 of the main file gives those bytes back as zeros, a
 * write of page 1 to the main file puts the epoch in (WAL frames and
 * journal records keep SQLite's zeros, so their checksums hold). A file
 * written before the epoch existed reads as epoch 0.
 *
 * The epoch grows by one at every sync of the main file that follows
 * writes to it: in WAL mode, once per checkpoint (SQLite writes the main
 * file only then), in rollback mode once per commit. When SQLite's
 * checkpoint wrote page 1 itself the epoch went in with it; otherwise the
 * VFS rewrites page 1 (read, open, epoch + 1, seal, write) before the sync
 * goes through. Only a checkpointer writes the main file in WAL mode, and
 * SQLite lets one checkpoint run at a time, so the read and the rewrite of
 * the epoch do not race another writer; a reader in another thread may
 * read page 1 while it is rewritten, so a page 1 of the main file that does
 * not open is read again (up to PAGE1_TRIES times) before it is refused.
 * After the sync, the epoch is handed to the callback set with
 * pagecrypt_use_key_with (Slate records it in the keystore; at open, a file
 * whose epoch is below the record was rolled back: store/sqlite.c). The
 * epoch covers the main file as a whole and its page 1, up to the last
 * checkpoint; not a single other page put back, and not the WAL. A main
 * file opened with the URI parameter slate_copy=1 (a backup snapshot
 * written by VACUUM INTO, backup/backup.c) is sealed the same way but
 * reports no epoch: its counter is its own, and must not raise the
 * keystore's record of the live file it was copied from.
 *
 * The WAL (DATA/slate.db-wal) keeps SQLite's layout: a 32-byte header
 * (magic, format, page size, checkpoint sequence, salts, checksums), then
 * frames of 24 + P bytes at 32 + k*(24+P): a 24-byte frame header (page
 * number, database size after commit, salts, checksums), in the clear as
 * SQLite wrote it, and the page, sealed as above under the page number of
 * its frame header. Neither header holds content; the frame checksums are
 * SQLite's, over the plaintext page, and keep recovery and checkpoints
 * working unchanged. (They are 64 bits of an unkeyed sum: they could confirm
 * a guess of a whole page, never reveal one.)
 *
 * READS THAT FAIL
 *
 * A page that does not open (wrong key, altered byte, page moved) fails the
 * read with SQLITE_CORRUPT and a line naming the file and the page
 * (pagecrypt_last_error, and the log); a database whose page 1 names another
 * database id, or that is a plaintext SQLite file, fails to open with
 * SQLITE_NOTADB. Nothing altered is ever passed to SQLite. One exception,
 * which is SQLite's own rule: when SQLite reads whole WAL frames to recover
 * the log after a crash, a frame that does not open is handed over as zeros,
 * so its checksum fails and SQLite ends the log there, as it does for a
 * frame torn by a power cut.
 *
 * The rollback journal (DATA/slate.db-journal, used only while a file is
 * created or switched into WAL mode, and by VACUUM INTO for its copy) keeps
 * SQLite's layout: a 512-byte header, then records of page number (4),
 * page (P), checksum (4). The page is sealed as above under its record's
 * page number; a read or write of P bytes is a page, since the VFS reports
 * power-safe overwrite and so SQLite writes headers of 512 bytes. SQLite's
 * checksum (a sum of every 200th byte of the plaintext page, salted by the
 * header) stays in the clear: like the WAL's, it cannot reveal a page.
 *
 * OTHER FILES
 *
 * Statement journals and temporary files are refused (SQLITE_CANTOPEN):
 * Slate's connections keep temp_store=MEMORY, so none is needed, and none
 * can reach the disk in the clear. Memory-mapped I/O is not offered
 * (io_methods version 2).
 *
 * MEMORY
 *
 * Each open file owns two OpenSSL contexts holding its key schedule (freed,
 * and so wiped, at close) and one scratch frame buffer. The process-wide key
 * for files opened next lives in guarded memory (sodium_malloc). Open main
 * files are listed, under one mutex, so that a WAL or journal finds its
 * database's key.
 */
#include "store/pagecrypt.h"

#include <assert.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/bigend.h"
#include "util/lockheld.h"
#include "util/log.h"
#include "util/xalloc.h"

#define P           PAGECRYPT_PAGE_SIZE
#define R           PAGECRYPT_RESERVE
#define ID_LEN      PAGECRYPT_ID_LEN
#define NONCE_LEN   12
#define TAG_LEN     16
#define WAL_HDR     32
#define FRAME_HDR   24
#define FRAME       (FRAME_HDR + P)
#define AAD_TAG_LEN 13
#define EPOCH_OFF   72 /* in page 1's plaintext: SQLite's "reserved for expansion" */
#define EPOCH_LEN   8
#define PAGE1_TRIES 4

static const char sqlite_magic[16] = "SQLite format 3";
static const unsigned char marker[4] = {'S', 'A', 'G', '1'};

/* the reserve holds exactly nonce, tag and marker; the epoch lies inside the sealed part */
_Static_assert(NONCE_LEN + TAG_LEN + sizeof(marker) == R, "the page reserve's layout");
_Static_assert(EPOCH_OFF >= sizeof(sqlite_magic) && EPOCH_OFF + EPOCH_LEN <= P - R,
               "the epoch's place in page 1");
static const unsigned char aad_tag[AAD_TAG_LEN] = {'s', 'l', 'a', 't', 'e', '-', 'p',
                                                   'a', 'g', 'e', '-', 'v', '1'};

enum kind { KIND_MAIN, KIND_WAL, KIND_JOURNAL };

struct pfile {
	sqlite3_file base; /* first: SQLite sees this */
	sqlite3_file *real;
	enum kind kind;
	const char *name; /* SQLite's name for the file; valid while it is open */
	EVP_CIPHER_CTX *enc, *dec;
	unsigned char key[PAGECRYPT_KEY_LEN]; /* for the WAL and journal of a main file */
	unsigned char id[ID_LEN];
	unsigned char nonce[NONCE_LEN];
	uint32_t sealed; /* pages sealed under the current nonce prefix */
	long long hdr_frame;
	uint32_t hdr_pgno; /* the page number of the last frame header written */
	/* a WAL's frame header held for its page, and its frame; -1: none (see wal_flush) */
	long long held_frame;
	unsigned char held[FRAME_HDR];
	/* main files: pages written since the last sync; page 1's epoch raised since then */
	int dirty, raised;
	uint64_t epoch; /* the epoch this handle last wrote, reported after the sync */
	pagecrypt_epoch_fn on_epoch;
	void *on_epoch_arg;
	unsigned char buf[FRAME];
	struct pfile *next; /* open main files */
};

static sqlite3_vfs *plain_vfs;
static sqlite3_vfs vfs;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned char *cur_key; /* sodium_malloc'd; NULL when no key is set */
static unsigned char cur_id[ID_LEN];
static struct pfile *mains;
static pagecrypt_epoch_fn cur_on_epoch;
static void *cur_on_epoch_arg;
static _Thread_local char last_error[256];
static _Thread_local int quiet; /* a page 1 read again: its first failures are not logged */

static void
fail_line(const struct pfile *f, uint32_t pgno, const char *what)
{
	snprintf(last_error, sizeof(last_error), "%s: page %u %s", f->name ? f->name : "database",
	         (unsigned)pgno, what);
	if (!quiet)
		log_event(LOG_WARN, "database page does not open", LOG_STR("file", f->name),
		          LOG_INT("page", pgno), LOG_STR("reason", what), LOG_END);
}

const char *
pagecrypt_last_error(void)
{
	static _Thread_local char out[sizeof(last_error)];
	memcpy(out, last_error, sizeof(out));
	last_error[0] = '\0';
	return out;
}

static size_t
make_aad(const struct pfile *f, uint32_t pgno, unsigned char aad[AAD_TAG_LEN + ID_LEN + 4])
{
	memcpy(aad, aad_tag, AAD_TAG_LEN);
	memcpy(aad + AAD_TAG_LEN, f->id, ID_LEN);
	put_be32(aad + AAD_TAG_LEN + ID_LEN, pgno);
	return AAD_TAG_LEN + ID_LEN + 4;
}

/*
 * Seals SQLite's page pgno (P bytes at pt) into out (P bytes; out may be pt).
 * epoch, for page 1 of the main file, is what goes into bytes EPOCH_OFF..
 * of the plaintext in place of SQLite's zeros; NULL keeps pt's bytes.
 */
static int
seal_page(struct pfile *f, uint32_t pgno, const unsigned char *pt, unsigned char *out,
          const unsigned char *epoch)
{
	unsigned char aad[AAD_TAG_LEN + ID_LEN + 4];
	size_t aadlen = make_aad(f, pgno, aad), skip = pgno == 1 ? ID_LEN : 0;
	int len, mid = epoch != NULL ? EPOCH_OFF : P - R;

	assert(epoch == NULL || pgno == 1);
	assert(pgno >= 1 && f->enc != NULL);

	if (f->sealed == UINT32_MAX) {
		randombytes_buf(f->nonce, 8);
		f->sealed = 0;
	}
	put_be32(f->nonce + 8, ++f->sealed);
	assert(f->sealed != 0); /* the counter part of the nonce never comes round to a used one */
	if (pgno == 1)
		memcpy(out, f->id, ID_LEN);
	memcpy(out + P - R, f->nonce, NONCE_LEN);
	memcpy(out + P - 4, marker, sizeof(marker));
	if (EVP_EncryptInit_ex(f->enc, NULL, NULL, NULL, f->nonce) != 1 ||
	    EVP_EncryptUpdate(f->enc, NULL, &len, aad, (int)aadlen) != 1 ||
	    EVP_EncryptUpdate(f->enc, out + skip, &len, pt + skip, mid - (int)skip) != 1 ||
	    (epoch != NULL &&
	     (EVP_EncryptUpdate(f->enc, out + EPOCH_OFF, &len, epoch, EPOCH_LEN) != 1 ||
	      EVP_EncryptUpdate(f->enc, out + EPOCH_OFF + EPOCH_LEN, &len,
	                        pt + EPOCH_OFF + EPOCH_LEN, P - R - EPOCH_OFF - EPOCH_LEN) != 1)) ||
	    EVP_EncryptFinal_ex(f->enc, out + P - R, &len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(f->enc, EVP_CTRL_GCM_GET_TAG, TAG_LEN, out + P - R + NONCE_LEN) !=
	        1)
		return SQLITE_IOERR_WRITE;
	return SQLITE_OK;
}

/*
 * Opens the sealed page pgno (P bytes at ct) into pt (P bytes; ct itself
 * opens in place): SQLITE_OK, or SQLITE_NOTADB for a page 1 that is not this
 * key's, SQLITE_CORRUPT for another page, with pt wiped.
 */
static int
open_page(struct pfile *f, uint32_t pgno, const unsigned char *ct, unsigned char *pt)
{
	unsigned char aad[AAD_TAG_LEN + ID_LEN + 4], tag[TAG_LEN], fin[TAG_LEN];
	size_t aadlen = make_aad(f, pgno, aad), skip = pgno == 1 ? ID_LEN : 0;
	int len;

	assert(f->dec != NULL);
	/* pgno comes from the disk for a WAL frame: a frame of page 0 opens nothing */
	if (pgno == 0 || memcmp(ct + P - 4, marker, sizeof(marker)) != 0) {
		fail_line(f, pgno, "is not an encrypted page");
		return pgno == 1 ? SQLITE_NOTADB : SQLITE_CORRUPT;
	}
	if (pgno == 1 && memcmp(ct, f->id, ID_LEN) != 0) {
		fail_line(f, pgno, "belongs to another database key");
		return SQLITE_NOTADB;
	}
	memcpy(tag, ct + P - R + NONCE_LEN, TAG_LEN);
	if (EVP_DecryptInit_ex(f->dec, NULL, NULL, NULL, ct + P - R) != 1 ||
	    EVP_DecryptUpdate(f->dec, NULL, &len, aad, (int)aadlen) != 1 ||
	    EVP_DecryptUpdate(f->dec, pt + skip, &len, ct + skip, (int)(P - R - skip)) != 1 ||
	    EVP_CIPHER_CTX_ctrl(f->dec, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) != 1 ||
	    EVP_DecryptFinal_ex(f->dec, fin, &len) != 1) {
		sodium_memzero(pt, P);
		if (pgno == 1) {
			fail_line(f, pgno,
			          "does not open with this database key (wrong key, or altered)");
			return SQLITE_NOTADB;
		}
		fail_line(f, pgno, "does not authenticate: it was altered on disk or is damaged");
		return SQLITE_CORRUPT;
	}
	if (pgno == 1)
		memcpy(pt, sqlite_magic, sizeof(sqlite_magic));
	memset(pt + P - R, 0, R);
	return SQLITE_OK;
}

static int
real_read(struct pfile *f, void *buf, int amt, sqlite3_int64 off)
{
	return f->real->pMethods->xRead(f->real, buf, amt, off);
}

static int
real_write(struct pfile *f, const void *buf, int amt, sqlite3_int64 off)
{
	return f->real->pMethods->xWrite(f->real, buf, amt, off);
}

/* Reads n sealed bytes at off into dst: SQLITE_OK, SQLITE_DONE when none exist, or an error. */
static int
read_sealed(struct pfile *f, unsigned char *dst, int n, sqlite3_int64 off, uint32_t pgno)
{
	sqlite3_int64 size = 0;
	int rc = real_read(f, dst, n, off);

	if (rc != SQLITE_IOERR_SHORT_READ)
		return rc;
	if (f->real->pMethods->xFileSize(f->real, &size) != SQLITE_OK || size <= off)
		return SQLITE_DONE;
	fail_line(f, pgno, "is cut short");
	return SQLITE_CORRUPT;
}

/*
 * Reads and opens the sealed page pgno of the main file into page (P bytes,
 * opened in place). Page 1 is read again when it does not open, since the
 * epoch's rewrite (raise_epoch) may be under way in another thread; its
 * epoch is then taken out (*epoch, when not NULL) and zeros put back.
 */
static int
read_main_page(struct pfile *f, uint32_t pgno, unsigned char *page, uint64_t *epoch)
{
	sqlite3_int64 base = (sqlite3_int64)(pgno - 1) * P;
	int r = SQLITE_IOERR_READ, tries = pgno == 1 ? PAGE1_TRIES : 1;

	for (int i = 0; i < tries; i++) {
		quiet = i + 1 < tries;
		if ((r = read_sealed(f, page, P, base, pgno)) == SQLITE_OK)
			r = open_page(f, pgno, page, page);
		if (r == SQLITE_OK || r == SQLITE_DONE ||
		    (r != SQLITE_NOTADB && r != SQLITE_CORRUPT))
			break;
	}
	quiet = 0;
	if (r == SQLITE_OK && pgno == 1) {
		if (epoch != NULL)
			*epoch = get_be64(page + EPOCH_OFF);
		memset(page + EPOCH_OFF, 0, EPOCH_LEN);
	}
	return r;
}

/* The main file: whole pages, except SQLite's reads of the header of page 1. */
static int
main_read(struct pfile *f, unsigned char *out, int amt, sqlite3_int64 off)
{
	int rc = SQLITE_OK, partial = off % P != 0 || amt < P;

	while (amt > 0) {
		sqlite3_int64 base = off - off % P;
		uint32_t pgno = (uint32_t)(base / P) + 1;
		int skip = (int)(off - base), n = P - skip < amt ? P - skip : amt, r;
		/* a whole page is read and opened in place, in SQLite's buffer */
		unsigned char *page = n == P ? out : f->buf;

		assert(skip >= 0 && n > 0 && skip + n <= P); /* within one page */

		if ((r = read_main_page(f, pgno, page, NULL)) == SQLITE_DONE) {
			memset(out, 0, (size_t)amt);
			rc = SQLITE_IOERR_SHORT_READ;
			break;
		}
		if (r != SQLITE_OK) {
			rc = r;
			break;
		}
		if (n != P)
			memcpy(out, page + skip, (size_t)n);
		out += n, off += n, amt -= n;
	}
	if (partial)
		sodium_memzero(f->buf, P);
	return rc;
}

/*
 * The epoch page 1 of the main file holds now, in *epoch (0 for a file
 * without a page 1); f->buf is used and wiped. A page 1 that does not open
 * leaves the epoch this handle last wrote.
 */
static int
disk_epoch(struct pfile *f, uint64_t *epoch)
{
	int r = read_main_page(f, 1, f->buf, epoch);
	sodium_memzero(f->buf, P);
	if (r == SQLITE_DONE)
		*epoch = 0;
	else if (r != SQLITE_OK) {
		*epoch = f->epoch;
		last_error[0] = '\0';
	}
	return r == SQLITE_OK || r == SQLITE_DONE || r == SQLITE_NOTADB || r == SQLITE_CORRUPT
	           ? SQLITE_OK
	           : r;
}

static int
check_header(struct pfile *f, const unsigned char *page1)
{
	unsigned size = (unsigned)page1[16] << 8 | page1[17];
	if (size != P || page1[20] != R) {
		fail_line(f, 1, "has no room for its seal (page size must be 4096, reserve 32)");
		return SQLITE_IOERR_WRITE;
	}
	return SQLITE_OK;
}

static int
main_write(struct pfile *f, const unsigned char *in, int amt, sqlite3_int64 off)
{
	int rc = SQLITE_OK;

	assert(f->kind == KIND_MAIN);
	if (off % P != 0 || amt % P != 0) {
		fail_line(f, (uint32_t)(off / P) + 1,
		          "was written in part, which cannot be sealed");
		return SQLITE_IOERR_WRITE;
	}
	for (; amt > 0 && rc == SQLITE_OK; in += P, off += P, amt -= P) {
		uint32_t pgno = (uint32_t)(off / P) + 1;
		unsigned char epoch[EPOCH_LEN] = {0};

		if (pgno == 1) {
			uint64_t now;
			if ((rc = check_header(f, in)) != SQLITE_OK ||
			    (rc = disk_epoch(f, &now)) != SQLITE_OK)
				break;
			if (now == UINT64_MAX) { /* read from the disk: it cannot be raised */
				fail_line(f, 1, "carries a seal epoch that cannot be raised");
				rc = SQLITE_CORRUPT;
				break;
			}
			/* raised once between two syncs: page 1 written twice keeps its epoch */
			f->epoch = f->raised ? (now > f->epoch ? now : f->epoch) : now + 1;
			assert(f->epoch >= now); /* the epoch never falls below the disk's */
			f->raised = 1;
			put_be64(epoch, f->epoch);
		}
		f->dirty = 1;
		if ((rc = seal_page(f, pgno, in, f->buf, pgno == 1 ? epoch : NULL)) == SQLITE_OK)
			rc = real_write(f, f->buf, P, off);
	}
	return rc;
}

/*
 * Before a sync of the main file that follows writes which left page 1
 * alone: page 1 rewritten with its epoch raised by one. Its content, as
 * SQLite sees it, does not change.
 */
static int
raise_epoch(struct pfile *f)
{
	unsigned char epoch[EPOCH_LEN];
	uint64_t now = 0;
	int rc;

	assert(f->kind == KIND_MAIN);
	rc = read_main_page(f, 1, f->buf, &now);
	if (rc == SQLITE_DONE) { /* no page 1 (yet): nothing to carry an epoch */
		rc = SQLITE_OK;
		goto out;
	}
	if (rc != SQLITE_OK)
		goto out;
	f->epoch = now + 1;
	f->raised = 1;
	put_be64(epoch, f->epoch);
	if ((rc = seal_page(f, 1, f->buf, f->buf, epoch)) == SQLITE_OK)
		rc = real_write(f, f->buf, P, 0);
out:
	sodium_memzero(f->buf, P);
	return rc;
}

/* The WAL's layout: which frame off is in, and where in it (-1 for the WAL header). */
static long long
wal_frame(sqlite3_int64 off, int *within)
{
	if (off < WAL_HDR) {
		*within = (int)off;
		return -1;
	}
	*within = (int)((off - WAL_HDR) % FRAME);
	return (off - WAL_HDR) / FRAME;
}

static sqlite3_int64
frame_offset(long long k)
{
	return WAL_HDR + (sqlite3_int64)k * FRAME;
}

/*
 * A WAL frame in one write. SQLite writes a frame as two calls, its 24-byte
 * header and then its page at the next offset (wal.c, walWriteOneFrame), so
 * a commit of n pages made 2n writes. The header alone is held here until
 * its page comes, and the two go to the disk in one write of 24 + P bytes:
 * n writes. Every other call that reaches the WAL first (a read, a write
 * elsewhere, a sync, a truncation, the size, a lock, a file control, the
 * close) writes the held header out before it does anything, so nothing
 * that looks at the file, in this process or another, finds it without the
 * header: SQLite's other connections only read a frame after a later call
 * of this one made it part of a commit. A frame header written again in
 * place (SQLite's checksum rewrite) is held the same way.
 */
static int
wal_flush(struct pfile *f)
{
	long long k = f->held_frame;

	if (k < 0)
		return SQLITE_OK;
	f->held_frame = -1;
	return real_write(f, f->held, FRAME_HDR, frame_offset(k));
}

static int
wal_read(struct pfile *f, unsigned char *out, int amt, sqlite3_int64 off)
{
	unsigned char *page = f->buf + FRAME_HDR;
	sqlite3_int64 first = off, end = off + amt;
	int rc = wal_flush(f);

	while (amt > 0 && rc == SQLITE_OK) {
		int within, n, r;
		long long k = wal_frame(off, &within);

		if (k < 0 || within < FRAME_HDR) { /* headers are kept in the clear */
			n = (k < 0 ? WAL_HDR : FRAME_HDR) - within;
			n = n < amt ? n : amt;
			if ((rc = real_read(f, out, n, off)) == SQLITE_IOERR_SHORT_READ)
				memset(out + n, 0, (size_t)(amt - n));
		} else {
			sqlite3_int64 start = frame_offset(k);
			int skip = within - FRAME_HDR,
			    whole = first <= start && start + FRAME <= end;
			uint32_t pgno;
			n = P - skip < amt ? P - skip : amt;
			if ((r = read_sealed(f, f->buf, FRAME, start, 0)) == SQLITE_DONE) {
				memset(out, 0, (size_t)amt);
				return SQLITE_IOERR_SHORT_READ;
			}
			if (r != SQLITE_OK)
				return r;
			pgno = get_be32(f->buf);
			r = open_page(f, pgno, page, n == P ? out : page);
			if (r != SQLITE_OK && whole) {
				/* recovery: a frame that does not open ends the log, as a torn one
				 * does */
				last_error[0] = '\0';
				memset(out, 0, (size_t)n);
			} else if (r != SQLITE_OK)
				rc = r == SQLITE_NOTADB ? SQLITE_CORRUPT : r;
			else if (n != P) {
				memcpy(out, page + skip, (size_t)n);
				sodium_memzero(page, P);
			}
		}
		out += n, off += n, amt -= n;
	}
	return rc;
}

static int
wal_write(struct pfile *f, const unsigned char *in, int amt, sqlite3_int64 off)
{
	int rc = SQLITE_OK;

	while (amt > 0 && rc == SQLITE_OK) {
		int within, n;
		long long k = wal_frame(off, &within);

		if (k < 0 || within < FRAME_HDR) {
			n = (k < 0 ? WAL_HDR : FRAME_HDR) - within;
			n = n < amt ? n : amt;
			if (k < 0 && within <= 8 && within + n >= 12 &&
			    get_be32(in + 8 - within) != P) {
				snprintf(last_error, sizeof(last_error),
				         "%s: page size must be 4096", f->name);
				return SQLITE_IOERR_WRITE;
			}
			if ((rc = wal_flush(f)) != SQLITE_OK)
				return rc;
			if (k >= 0 && within == 0 && n >= 4) {
				f->hdr_frame = k;
				f->hdr_pgno = get_be32(in);
			}
			if (k >= 0 && within == 0 && n == FRAME_HDR && amt == FRAME_HDR) {
				memcpy(f->held, in, FRAME_HDR); /* written with its page */
				f->held_frame = k;
			} else
				rc = real_write(f, in, n, off);
		} else {
			unsigned char hdr[4];
			uint32_t pgno;
			n = P;
			if (within != FRAME_HDR || amt < P) {
				fail_line(
				    f, 0,
				    "(a WAL frame) was written in part, which cannot be sealed");
				return SQLITE_IOERR_WRITE;
			}
			if (f->held_frame != k && (rc = wal_flush(f)) != SQLITE_OK)
				return rc;
			if (f->hdr_frame == k)
				pgno = f->hdr_pgno;
			else if ((rc = real_read(f, hdr, 4, frame_offset(k))) != SQLITE_OK)
				return rc == SQLITE_IOERR_SHORT_READ ? SQLITE_IOERR_WRITE : rc;
			else
				pgno = get_be32(hdr);
			if (pgno == 1 && (rc = check_header(f, in)) != SQLITE_OK)
				return rc;
			if (f->held_frame == k) { /* the frame whole: its header, then its page */
				assert(f->hdr_frame == k);
				memcpy(f->buf, f->held, FRAME_HDR);
				f->held_frame = -1;
				if ((rc = seal_page(f, pgno, in, f->buf + FRAME_HDR, NULL)) ==
				    SQLITE_OK)
					rc = real_write(f, f->buf, FRAME, frame_offset(k));
			} else if ((rc = seal_page(f, pgno, in, f->buf, NULL)) == SQLITE_OK)
				rc = real_write(f, f->buf, P, off);
		}
		in += n, off += n, amt -= n;
	}
	return rc;
}

/* The page number a rollback journal record keeps in the 4 bytes before its page. */
static int
journal_pgno(struct pfile *f, sqlite3_int64 off, uint32_t *pgno)
{
	unsigned char b[4];
	int rc = off >= 4 ? real_read(f, b, 4, off - 4) : SQLITE_CORRUPT;
	if (rc != SQLITE_OK)
		return rc == SQLITE_IOERR_SHORT_READ ? SQLITE_CORRUPT : rc;
	*pgno = get_be32(b);
	return SQLITE_OK;
}

/* The rollback journal: a page (a read or write of P bytes) is sealed; the rest is SQLite's. */
static int
journal_read(struct pfile *f, unsigned char *out, int amt, sqlite3_int64 off)
{
	uint32_t pgno;
	int rc;

	if (amt != P)
		return real_read(f, out, amt, off);
	if ((rc = journal_pgno(f, off, &pgno)) != SQLITE_OK ||
	    (rc = read_sealed(f, out, P, off, pgno)) == SQLITE_DONE) {
		memset(out, 0, P);
		return rc == SQLITE_DONE ? SQLITE_IOERR_SHORT_READ : rc;
	}
	if (rc != SQLITE_OK)
		return rc;
	return open_page(f, pgno, out, out) == SQLITE_OK ? SQLITE_OK : SQLITE_CORRUPT;
}

static int
journal_write(struct pfile *f, const unsigned char *in, int amt, sqlite3_int64 off)
{
	uint32_t pgno;
	int rc;

	if (amt < P)
		return real_write(f, in, amt, off);
	if (amt > P) {
		fail_line(f, 0, "(a journal record) is not a page, which cannot be sealed");
		return SQLITE_IOERR_WRITE;
	}
	if (journal_pgno(f, off, &pgno) != SQLITE_OK)
		return SQLITE_IOERR_WRITE;
	if ((rc = seal_page(f, pgno, in, f->buf, NULL)) != SQLITE_OK)
		return rc;
	return real_write(f, f->buf, P, off);
}

static int
x_read(sqlite3_file *file, void *buf, int amt, sqlite3_int64 off)
{
	struct pfile *f = (struct pfile *)file;
	switch (f->kind) {
	case KIND_MAIN: return main_read(f, buf, amt, off);
	case KIND_WAL: return wal_read(f, buf, amt, off);
	default: return journal_read(f, buf, amt, off);
	}
}

static int
x_write(sqlite3_file *file, const void *buf, int amt, sqlite3_int64 off)
{
	struct pfile *f = (struct pfile *)file;
	switch (f->kind) {
	case KIND_MAIN: return main_write(f, buf, amt, off);
	case KIND_WAL: return wal_write(f, buf, amt, off);
	default: return journal_write(f, buf, amt, off);
	}
}

static int
x_close(sqlite3_file *file)
{
	struct pfile *f = (struct pfile *)file;
	int held = f->real->pMethods ? wal_flush(f) : SQLITE_OK;
	int rc = f->real->pMethods ? f->real->pMethods->xClose(f->real) : SQLITE_OK;

	if (f->kind == KIND_MAIN) {
		pthread_mutex_lock(&mu);
		for (struct pfile **p = &mains; *p != NULL; p = &(*p)->next)
			if (*p == f) {
				*p = f->next;
				break;
			}
		pthread_mutex_unlock(&mu);
	}
	EVP_CIPHER_CTX_free(f->enc);
	EVP_CIPHER_CTX_free(f->dec);
	sodium_memzero(f->buf, sizeof(f->buf));
	sodium_memzero(f->key, sizeof(f->key));
	return held != SQLITE_OK ? held : rc;
}

/*
 * The methods below pass through to the system's file, after writing out a
 * WAL frame header held for its page (HELD: wal_flush, which answers its error).
 */
#define REAL(file) (((struct pfile *)(file))->real)
#define HELD(file) wal_flush((struct pfile *)(file))
static int
x_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	int rc = HELD(file);
	return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xTruncate(REAL(file), size);
}
static int
x_sync(sqlite3_file *file, int flags)
{
	struct pfile *f = (struct pfile *)file;
	int rc = HELD(file);

	if (rc != SQLITE_OK)
		return rc;
	if (f->kind != KIND_MAIN || !f->dirty)
		return f->real->pMethods->xSync(f->real, flags);
	if (!f->raised && (rc = raise_epoch(f)) != SQLITE_OK)
		return rc;
	if ((rc = f->real->pMethods->xSync(f->real, flags)) != SQLITE_OK)
		return rc;
	f->dirty = 0;
	/* durable now: the record of the epoch may follow it, never lead it */
	if (f->raised && f->on_epoch != NULL)
		f->on_epoch(f->on_epoch_arg, f->id, f->epoch);
	f->raised = 0;
	return SQLITE_OK;
}
static int
x_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
	int rc = HELD(file);
	return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xFileSize(REAL(file), size);
}
static int
x_lock(sqlite3_file *file, int lock)
{
	int rc = HELD(file);
	return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xLock(REAL(file), lock);
}
static int
x_unlock(sqlite3_file *file, int lock)
{
	int rc = HELD(file);
	return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xUnlock(REAL(file), lock);
}
static int
x_check_lock(sqlite3_file *file, int *out)
{
	int rc = HELD(file);
	return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xCheckReservedLock(REAL(file), out);
}
static int
x_file_control(sqlite3_file *file, int op, void *arg)
{
	int rc = HELD(file);

	if (rc != SQLITE_OK)
		return rc;
	rc = REAL(file)->pMethods->xFileControl(REAL(file), op, arg);
	if (op == SQLITE_FCNTL_VFSNAME && rc == SQLITE_OK)
		*(char **)arg = sqlite3_mprintf("%s/%z", PAGECRYPT_VFS, *(char **)arg);
	return rc;
}
static int
x_sector_size(sqlite3_file *file)
{
	return REAL(file)->pMethods->xSectorSize(REAL(file));
}
static int
x_device(sqlite3_file *file)
{
	/*
	 * Whole pages are written in one call (the shim checks it), never torn into
	 * sectors; so WAL frames are never split at a sector, and journal headers are
	 * 512 bytes, never the size of a page.
	 */
	return REAL(file)->pMethods->xDeviceCharacteristics(REAL(file)) |
	       SQLITE_IOCAP_POWERSAFE_OVERWRITE;
}
static int
x_shm_map(sqlite3_file *file, int pg, int pgsz, int extend, void volatile **pp)
{
	return REAL(file)->pMethods->xShmMap(REAL(file), pg, pgsz, extend, pp);
}
static int
x_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
	return REAL(file)->pMethods->xShmLock(REAL(file), offset, n, flags);
}
static void
x_shm_barrier(sqlite3_file *file)
{
	REAL(file)->pMethods->xShmBarrier(REAL(file));
}
static int
x_shm_unmap(sqlite3_file *file, int del)
{
	return REAL(file)->pMethods->xShmUnmap(REAL(file), del);
}

static const sqlite3_io_methods io_methods = {
    2, /* no xFetch/xUnfetch: pages are never mapped in the clear */
    x_close,   x_read,     x_write,       x_truncate,     x_sync,        x_file_size,
    x_lock,    x_unlock,   x_check_lock,  x_file_control, x_sector_size, x_device,
    x_shm_map, x_shm_lock, x_shm_barrier, x_shm_unmap,    NULL,          NULL,
};

static int
init_ctx(struct pfile *f, const unsigned char *key)
{
	if ((f->enc = EVP_CIPHER_CTX_new()) == NULL || (f->dec = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex(f->enc, EVP_aes_256_gcm(), NULL, key, NULL) != 1 ||
	    EVP_DecryptInit_ex(f->dec, EVP_aes_256_gcm(), NULL, key, NULL) != 1)
		return -1;
	return 0;
}

/* Under mu: a WAL or journal takes the key and id of an open handle on its database. */
static int
copy_from_main(struct pfile *f, const char *db_name)
{
	assert_held(&mu);
	assert(f->kind != KIND_MAIN);
	for (struct pfile *m = mains; m != NULL; m = m->next)
		if (m->name != NULL && strcmp(m->name, db_name) == 0) {
			memcpy(f->id, m->id, ID_LEN);
			return init_ctx(f, m->key);
		}
	return -1;
}

/* A main file that is not empty must be one of ours, of this database id. */
static int
check_identity(struct pfile *f)
{
	unsigned char head[ID_LEN];
	int rc = real_read(f, head, ID_LEN, 0);

	if (rc == SQLITE_IOERR_SHORT_READ)
		return SQLITE_OK; /* empty: a new database */
	if (rc != SQLITE_OK)
		return rc;
	if (memcmp(head, sqlite_magic, ID_LEN) == 0) {
		snprintf(last_error, sizeof(last_error),
		         "%s is not encrypted (convert it with slate migrate-encryption)", f->name);
		return SQLITE_NOTADB;
	}
	if (memcmp(head, f->id, ID_LEN) != 0) {
		snprintf(last_error, sizeof(last_error),
		         "%s was not encrypted under this database key", f->name);
		return SQLITE_NOTADB;
	}
	return SQLITE_OK;
}

static int
x_open(sqlite3_vfs *v, sqlite3_filename name, sqlite3_file *file, int flags, int *out_flags)
{
	struct pfile *f = (struct pfile *)file;
	int rc;
	(void)v;

	memset(f, 0, sizeof(*f));
	f->real = (sqlite3_file *)((char *)file + ((sizeof(*f) + 7) & ~(size_t)7));
	f->hdr_frame = -1;
	f->held_frame = -1;
	f->sealed = UINT32_MAX;
	if ((flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL | SQLITE_OPEN_MAIN_JOURNAL)) == 0 ||
	    name == NULL) {
		snprintf(last_error, sizeof(last_error),
		         "an encrypted database may not open a temporary file");
		log_event(LOG_WARN, "refused a temporary database file", LOG_INT("flags", flags),
		          LOG_END);
		return SQLITE_CANTOPEN;
	}
	f->kind = (flags & SQLITE_OPEN_MAIN_DB) ? KIND_MAIN
	          : (flags & SQLITE_OPEN_WAL)   ? KIND_WAL
	                                        : KIND_JOURNAL;
	f->name = name;
	pthread_mutex_lock(&mu);
	if (f->kind == KIND_MAIN) {
		if (cur_key == NULL || init_ctx(f, cur_key) == -1)
			rc = SQLITE_CANTOPEN;
		else {
			memcpy(f->key, cur_key, sizeof(f->key));
			memcpy(f->id, cur_id, ID_LEN);
			/* a copy (?slate_copy=1: a backup snapshot) has an epoch of its own,
			 * never the live file's record */
			if (!sqlite3_uri_boolean(name, "slate_copy", 0)) {
				f->on_epoch = cur_on_epoch;
				f->on_epoch_arg = cur_on_epoch_arg;
			}
			rc = SQLITE_OK;
		}
	} else
		rc = copy_from_main(f, sqlite3_filename_database(name)) == 0 ? SQLITE_OK
		                                                             : SQLITE_CANTOPEN;
	pthread_mutex_unlock(&mu);
	if (rc != SQLITE_OK) {
		snprintf(last_error, sizeof(last_error), "%s: no database key to open it with",
		         name);
		goto fail;
	}
	if ((rc = plain_vfs->xOpen(plain_vfs, name, f->real, flags, out_flags)) != SQLITE_OK)
		goto fail;
	if (f->kind == KIND_MAIN && ((rc = check_identity(f)) != SQLITE_OK ||
	                             (rc = disk_epoch(f, &f->epoch)) != SQLITE_OK)) {
		f->real->pMethods->xClose(f->real);
		goto fail;
	}
	if (f->kind == KIND_MAIN) {
		pthread_mutex_lock(&mu);
		f->next = mains;
		mains = f;
		pthread_mutex_unlock(&mu);
	}
	f->base.pMethods = &io_methods;
	return SQLITE_OK;
fail:
	EVP_CIPHER_CTX_free(f->enc);
	EVP_CIPHER_CTX_free(f->dec);
	sodium_memzero(f->key, sizeof(f->key));
	f->base.pMethods = NULL;
	return rc;
}

/* The VFS-level methods are the system's. */
static int
x_delete(sqlite3_vfs *v, const char *name, int sync)
{
	(void)v;
	return plain_vfs->xDelete(plain_vfs, name, sync);
}
static int
x_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
	(void)v;
	return plain_vfs->xAccess(plain_vfs, name, flags, out);
}
static int
x_full_path(sqlite3_vfs *v, const char *name, int n, char *out)
{
	(void)v;
	return plain_vfs->xFullPathname(plain_vfs, name, n, out);
}
static int
x_randomness(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return plain_vfs->xRandomness(plain_vfs, n, out);
}
static int
x_sleep(sqlite3_vfs *v, int us)
{
	(void)v;
	return plain_vfs->xSleep(plain_vfs, us);
}
static int
x_current_time(sqlite3_vfs *v, double *out)
{
	(void)v;
	return plain_vfs->xCurrentTime(plain_vfs, out);
}
static int
x_last_error(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return plain_vfs->xGetLastError(plain_vfs, n, out);
}
static int
x_current_time64(sqlite3_vfs *v, sqlite3_int64 *out)
{
	(void)v;
	return plain_vfs->xCurrentTimeInt64(plain_vfs, out);
}

/*
 * SQLite's own reports of damage and recovery reach Slate's log (Slate's SQL
 * is static, with bound parameters, so the text quoted holds no data).
 */
static void
sqlite_log(void *arg, int code, const char *msg)
{
	int base = code & 0xff;
	(void)arg;
	if (base == SQLITE_CORRUPT || base == SQLITE_NOTADB || base == SQLITE_IOERR ||
	    base == SQLITE_CANTOPEN || base == SQLITE_FULL || base == SQLITE_WARNING ||
	    base == SQLITE_NOTICE)
		log_event(base == SQLITE_NOTICE ? LOG_INFO : LOG_WARN, "sqlite",
		          LOG_INT("code", code), LOG_STR("detail", msg), LOG_END);
}

static void
register_once(void)
{
	sqlite3_config(SQLITE_CONFIG_LOG, sqlite_log, NULL);
	/* no memory statistics: counting them takes one process-wide mutex at every allocation of
	   every connection, which the loop and worker threads' reads then queue on */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	if ((plain_vfs = sqlite3_vfs_find(PAGECRYPT_PLAIN_VFS)) == NULL)
		return;
	vfs.iVersion = 2;
	vfs.szOsFile =
	    (int)(((sizeof(struct pfile) + 7) & ~(size_t)7) + (size_t)plain_vfs->szOsFile);
	vfs.mxPathname = plain_vfs->mxPathname;
	vfs.zName = PAGECRYPT_VFS;
	vfs.xOpen = x_open;
	vfs.xDelete = x_delete;
	vfs.xAccess = x_access;
	vfs.xFullPathname = x_full_path;
	vfs.xRandomness = x_randomness;
	vfs.xSleep = x_sleep;
	vfs.xCurrentTime = x_current_time;
	vfs.xGetLastError = x_last_error;
	vfs.xCurrentTimeInt64 = x_current_time64;
	if (sqlite3_vfs_register(&vfs, 1) != SQLITE_OK)
		plain_vfs = NULL;
}

int
pagecrypt_register(struct err *e)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	if (sodium_init() < 0)
		return err_set(e, 500, "libsodium does not initialise");
	pthread_once(&once, register_once);
	if (plain_vfs == NULL)
		return err_set(e, 500, "the encrypting database VFS could not be registered");
	return 0;
}

void
pagecrypt_use_key_with(const unsigned char key[PAGECRYPT_KEY_LEN],
                       const unsigned char id[PAGECRYPT_ID_LEN], pagecrypt_epoch_fn fn, void *arg)
{
	pthread_mutex_lock(&mu);
	if (cur_key == NULL && (cur_key = sodium_malloc(PAGECRYPT_KEY_LEN)) == NULL)
		abort(); /* guarded memory is gone: as xmalloc does */
	memcpy(cur_key, key, PAGECRYPT_KEY_LEN);
	memcpy(cur_id, id, ID_LEN);
	cur_on_epoch = fn; /* with the key, under one lock: never another key's callback */
	cur_on_epoch_arg = arg;
	pthread_mutex_unlock(&mu);
}

void
pagecrypt_use_key(const unsigned char key[PAGECRYPT_KEY_LEN],
                  const unsigned char id[PAGECRYPT_ID_LEN])
{
	pagecrypt_use_key_with(key, id, NULL, NULL);
}

int
pagecrypt_epoch(const char *path, uint64_t *epoch, struct err *e)
{
	/* Through the system's VFS, as pagecrypt_probe reads, for the same reason. */
	struct pfile *f;
	sqlite3_int64 size = 0;
	int out = 0, rc = -1, r;

	*epoch = 0;
	if (plain_vfs == NULL && pagecrypt_register(e) == -1)
		return -1;
	f = xcalloc(1, ((sizeof(*f) + 7) & ~(size_t)7) + (size_t)plain_vfs->szOsFile);
	f->real = (sqlite3_file *)((char *)f + ((sizeof(*f) + 7) & ~(size_t)7));
	f->name = path;
	pthread_mutex_lock(&mu);
	r = cur_key != NULL ? init_ctx(f, cur_key) : -1;
	memcpy(f->id, cur_id, ID_LEN);
	pthread_mutex_unlock(&mu);
	if (r == -1) {
		err_set(e, 500, "%s: no database key to open it with", path);
		goto out;
	}
	if (plain_vfs->xOpen(plain_vfs, path, f->real, SQLITE_OPEN_READONLY | SQLITE_OPEN_MAIN_DB,
	                     &out) != SQLITE_OK) {
		f->real->pMethods = NULL;
		err_set(e, 404, "%s does not exist", path);
		goto out;
	}
	r = f->real->pMethods->xFileSize(f->real, &size);
	if (r == SQLITE_OK && size > 0)
		r = read_main_page(f, 1, f->buf, epoch); /* an empty file: epoch 0 */
	if (r == SQLITE_OK)
		rc = 0;
	else if (r == SQLITE_DONE)
		err_set(e, 500, "%s is cut short", path);
	else if (r == SQLITE_NOTADB || r == SQLITE_CORRUPT)
		err_set(e, 500, "%s", pagecrypt_last_error());
	else
		err_set(e, 500, "cannot read %s", path);
out:
	if (f->real->pMethods != NULL)
		f->real->pMethods->xClose(f->real);
	EVP_CIPHER_CTX_free(f->enc);
	EVP_CIPHER_CTX_free(f->dec);
	sodium_memzero(f->buf, sizeof(f->buf));
	free(f);
	return rc;
}

void
pagecrypt_forget_key(void)
{
	pthread_mutex_lock(&mu);
	sodium_free(cur_key);
	cur_key = NULL;
	pthread_mutex_unlock(&mu);
}

/*
 * The file at path opened read-only through the system's VFS, with extra
 * bytes of buffer after it (*buf); free() it after its xClose. NULL with e
 * filled when it cannot be opened.
 */
static sqlite3_file *
open_system(const char *path, size_t extra, unsigned char **buf, struct err *e)
{
	sqlite3_file *f;
	int out = 0;

	if (plain_vfs == NULL && pagecrypt_register(e) == -1)
		return NULL;
	f = xcalloc(1, (size_t)plain_vfs->szOsFile + extra);
	*buf = (unsigned char *)f + plain_vfs->szOsFile;
	if (plain_vfs->xOpen(plain_vfs, path, f, SQLITE_OPEN_READONLY | SQLITE_OPEN_MAIN_DB,
	                     &out) != SQLITE_OK) {
		free(f);
		err_set(e, 404, "%s does not exist", path);
		return NULL;
	}
	return f;
}

int
pagecrypt_read_raw(const char *path, pagecrypt_chunk_fn fn, void *arg, struct err *e)
{
	/* through the system's VFS, as pagecrypt_probe reads, for the same reason */
	enum { CHUNK = 1 << 16 };
	sqlite3_file *f;
	unsigned char *buf;
	sqlite3_int64 size = 0, off = 0;
	int rc = -1;

	if ((f = open_system(path, CHUNK, &buf, e)) == NULL)
		return -1;
	if (f->pMethods->xFileSize(f, &size) != SQLITE_OK) {
		err_set(e, 500, "cannot read %s", path);
		goto out;
	}
	while (off < size) {
		int n = size - off < CHUNK ? (int)(size - off) : CHUNK;
		if (f->pMethods->xRead(f, buf, n, off) != SQLITE_OK) {
			err_set(e, 500, "cannot read %s (it shrank while read?)", path);
			goto out;
		}
		if (fn(arg, buf, (size_t)n, e) == -1)
			goto out;
		off += n;
	}
	rc = 0;
out:
	f->pMethods->xClose(f);
	free(f);
	return rc;
}

int
pagecrypt_probe(const char *path, unsigned char id[PAGECRYPT_ID_LEN], struct err *e)
{
	/*
	 * Read through the system's VFS, never with a descriptor of our own:
	 * closing any descriptor of a file drops every POSIX lock the process
	 * holds on it, which would take the locks of this process's open
	 * connections; the unix VFS keeps such a descriptor open until they end.
	 */
	sqlite3_file *f;
	unsigned char *page;
	sqlite3_int64 size = 0;
	int rc;

	if ((f = open_system(path, P, &page, e)) == NULL)
		return -1;
	if (f->pMethods->xFileSize(f, &size) != SQLITE_OK || size == 0)
		rc = err_set(e, 404, "%s is empty", path);
	else if ((rc = f->pMethods->xRead(f, page, P, 0)) != SQLITE_OK &&
	         rc != SQLITE_IOERR_SHORT_READ)
		rc = err_set(e, 500, "cannot read %s", path);
	else if (memcmp(page, sqlite_magic, sizeof(sqlite_magic)) == 0)
		rc = 0;
	else if (size >= P && memcmp(page + P - 4, marker, sizeof(marker)) == 0) {
		memcpy(id, page, ID_LEN);
		rc = 1;
	} else
		rc = err_set(e, 500, "%s is neither a Slate database nor an SQLite file", path);
	f->pMethods->xClose(f);
	sodium_memzero(page, P);
	free(f);
	return rc;
}

void
pagecrypt_key_id(const unsigned char id[PAGECRYPT_ID_LEN], char out[PAGECRYPT_KEY_ID_LEN + 1])
{
	out[0] = 'd';
	out[1] = 'b';
	out[2] = '-';
	sodium_bin2hex(out + 3, 2 * ID_LEN + 1, id, ID_LEN);
}

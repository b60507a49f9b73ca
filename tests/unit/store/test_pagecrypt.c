/* The encrypting VFS: no plaintext on disk, every altered or moved page refused, SQLite's
 * WAL, rollback journal, VACUUM, online backup, session extension and integrity check unchanged,
 * and page 1's seal epoch raised once per checkpoint, reported after the sync, hidden from SQLite.
 */
#define SQLITE_ENABLE_SESSION
#define SQLITE_ENABLE_PREUPDATE_HOOK
#include "cmocka_all.h"
#include "tmpdb.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/pagecrypt.h"

#define P      PAGECRYPT_PAGE_SIZE
#define ROWS   400
#define SECRET "Harbour Road gate code 4711"

static unsigned char key_a[PAGECRYPT_KEY_LEN], key_b[PAGECRYPT_KEY_LEN], id_a[PAGECRYPT_ID_LEN],
    id_b[PAGECRYPT_ID_LEN];

static int
group_setup(void **state)
{
	struct err e;
	(void)state;
	if (pagecrypt_register(&e) == -1)
		return -1;
	randombytes_buf(key_a, sizeof(key_a));
	randombytes_buf(key_b, sizeof(key_b));
	randombytes_buf(id_a, sizeof(id_a));
	randombytes_buf(id_b, sizeof(id_b));
	return 0;
}

static void
exec_ok(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		fprintf(stderr, "%s: %s\n", sql, msg ? msg : "?");
	sqlite3_free(msg);
	assert_int_equal(rc, SQLITE_OK);
}

/* The epoch callback open_with's files report to (NULL: none). */
static pagecrypt_epoch_fn hook;
static void *hook_arg;

static sqlite3 *
open_with(const char *path, const unsigned char *key, const unsigned char *id, const char *mode)
{
	sqlite3 *db = NULL;
	int n = PAGECRYPT_RESERVE;
	char sql[96];
	pagecrypt_use_key_with(key, id, hook, hook_arg);
	assert_int_equal(
	    sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
	    SQLITE_OK);
	sqlite3_file_control(db, "main", SQLITE_FCNTL_RESERVE_BYTES, &n);
	snprintf(sql, sizeof(sql), "PRAGMA temp_store=MEMORY; PRAGMA journal_mode=%s", mode);
	exec_ok(db, sql);
	return db;
}

/* A database of ROWS notes holding SECRET, its WAL left in place (auto-checkpoint off). */
static sqlite3 *
make_notes(const char *path)
{
	sqlite3 *db = open_with(path, key_a, id_a, "WAL");
	exec_ok(db,
	        "PRAGMA wal_autocheckpoint=0; CREATE TABLE note (id INTEGER PRIMARY KEY, t TEXT)");
	exec_ok(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400) "
	            "INSERT INTO note (t) SELECT printf('" SECRET " %05d', i) FROM n");
	return db;
}

static long
count_notes(sqlite3 *db, int *rc)
{
	sqlite3_stmt *st = NULL;
	long n = -1;
	*rc = sqlite3_prepare_v2(db, "SELECT COUNT(*), SUM(length(t)) FROM note", -1, &st, NULL);
	if (*rc == SQLITE_OK && (*rc = sqlite3_step(st)) == SQLITE_ROW) {
		n = sqlite3_column_int64(st, 0);
		*rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return n;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	struct stat st;
	assert_non_null(f);
	assert_int_equal(fstat(fileno(f), &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	*len = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	return buf;
}

static void
assert_no_plaintext(const char *path)
{
	size_t len;
	char *b = slurp(path, &len);
	assert_true(len > 0);
	assert_null(memmem(b, len, "Harbour Road", 12));
	assert_null(memmem(b, len, "CREATE TABLE", 12));
	assert_null(memmem(b, len, "SQLite format 3", 15));
	free(b);
}

/* Reads (or, when write is set, writes) n bytes at off of the file at path. */
static void
file_bytes(const char *path, long off, void *bytes, size_t n, int write)
{
	FILE *f = fopen(path, write ? "r+b" : "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, off, SEEK_SET), 0);
	assert_int_equal(write ? fwrite(bytes, 1, n, f) : fread(bytes, 1, n, f), n);
	fclose(f);
}
#define poke(path, off, bytes, n) file_bytes(path, off, (void *)(bytes), n, 1)
#define peek(path, off, bytes, n) file_bytes(path, off, bytes, n, 0)

static void
no_page_of_the_database_or_its_wal_holds_plaintext(void **state)
{
	char wal[160];
	sqlite3 *db;
	int rc;
	unsigned char magic[4];
	(void)state;
	snprintf(wal, sizeof(wal), "%s-wal", tmpdb_path);
	db = make_notes(tmpdb_path);
	assert_no_plaintext(wal);
	peek(wal, 0, magic, 4); /* the WAL header stays SQLite's */
	assert_int_equal(magic[0], 0x37);
	exec_ok(db, "PRAGMA wal_checkpoint(TRUNCATE)");
	assert_no_plaintext(tmpdb_path);
	sqlite3_close(db);
	assert_no_plaintext(tmpdb_path);
	db = open_with(tmpdb_path, key_a, id_a, "WAL");
	assert_int_equal(count_notes(db, &rc), ROWS);
	exec_ok(db, "PRAGMA integrity_check");
	sqlite3_close(db);
}

/* The notes database checkpointed into its file and closed. */
static void
make_closed_notes(void)
{
	sqlite3 *db = make_notes(tmpdb_path);
	exec_ok(db, "PRAGMA wal_checkpoint(TRUNCATE)");
	sqlite3_close(db);
}

static void
expect_refused(const char *page_text, int code)
{
	sqlite3 *db = open_with(tmpdb_path, key_a, id_a, "WAL");
	int rc;
	assert_int_equal(count_notes(db, &rc), -1);
	assert_int_equal(rc & 0xff, code);
	assert_non_null(strstr(pagecrypt_last_error(), page_text));
	sqlite3_close(db);
}

static void
a_byte_flipped_anywhere_in_a_page_fails_the_read_of_that_page(void **state)
{
	/* ciphertext, the nonce, the tag, the marker of page 3 */
	static const long at[] = {2 * P + 0, 2 * P + 1777, 3 * P - 30, 3 * P - 12, 3 * P - 2};
	unsigned char b;
	(void)state;
	make_closed_notes();
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		peek(tmpdb_path, at[i], &b, 1);
		b ^= 0x01;
		poke(tmpdb_path, at[i], &b, 1);
		expect_refused("page 3 ", SQLITE_CORRUPT);
		b ^= 0x01;
		poke(tmpdb_path, at[i], &b, 1);
	}
	{ /* restored, it reads again */
		sqlite3 *db = open_with(tmpdb_path, key_a, id_a, "WAL");
		int rc;
		assert_int_equal(count_notes(db, &rc), ROWS);
		sqlite3_close(db);
	}
}

static void
a_page_copied_over_another_fails(void **state)
{
	unsigned char page[P];
	(void)state;
	make_closed_notes();
	peek(tmpdb_path, 2 * P, page, P);
	poke(tmpdb_path, 3 * P, page, P); /* page 3 as page 4 */
	expect_refused("page 4 ", SQLITE_CORRUPT);
}

static void
another_key_or_another_database_id_does_not_open(void **state)
{
	sqlite3 *db;
	int rc;
	(void)state;
	make_closed_notes();
	pagecrypt_use_key(key_b, id_a); /* same id, wrong key */
	rc = sqlite3_open_v2(tmpdb_path, &db, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK) /* SQLite reads page 1 at open, or at the first statement */
		count_notes(db, &rc);
	assert_int_equal(rc, SQLITE_NOTADB);
	assert_non_null(strstr(pagecrypt_last_error(), "page 1 does not open"));
	sqlite3_close(db);
	pagecrypt_use_key(key_a, id_b); /* the right key, another database's id */
	assert_int_equal(sqlite3_open_v2(tmpdb_path, &db, SQLITE_OPEN_READWRITE, NULL),
	                 SQLITE_NOTADB);
	assert_non_null(strstr(pagecrypt_last_error(), "not encrypted under this database key"));
	sqlite3_close(db);
}

static void
an_altered_wal_frame_fails_the_read(void **state)
{
	char wal[160];
	sqlite3 *writer, *reader;
	unsigned char b;
	int rc;
	const long at = 32 + 2 * (24 + P) + 24 + 500; /* inside the page of the third frame */
	(void)state;
	snprintf(wal, sizeof(wal), "%s-wal", tmpdb_path);
	writer = make_notes(tmpdb_path);
	peek(wal, at, &b, 1);
	b ^= 0x80;
	poke(wal, at, &b, 1);
	assert_int_equal(sqlite3_open_v2(tmpdb_path, &reader, SQLITE_OPEN_READWRITE, NULL),
	                 SQLITE_OK);
	assert_int_equal(count_notes(reader, &rc), -1);
	assert_int_equal(rc & 0xff, SQLITE_CORRUPT);
	assert_non_null(strstr(pagecrypt_last_error(), "-wal: page "));
	sqlite3_close(reader);
	sqlite3_close(writer);
}

static void
vacuum_backup_session_and_integrity_check_work(void **state)
{
	char copy[160];
	sqlite3 *db, *dst;
	sqlite3_backup *bk;
	sqlite3_session *ses;
	void *cs = NULL;
	int n = 0, rc;
	(void)state;
	snprintf(copy, sizeof(copy), "%s/copy.db", tmpdb_dir);
	db = make_notes(tmpdb_path);
	exec_ok(db, "DELETE FROM note WHERE id % 2 = 0; VACUUM; PRAGMA integrity_check");
	assert_int_equal(count_notes(db, &rc), ROWS / 2);
	/* the online backup API, into another encrypted file */
	dst = open_with(copy, key_a, id_a, "WAL");
	assert_non_null(bk = sqlite3_backup_init(dst, "main", db, "main"));
	assert_int_equal(sqlite3_backup_step(bk, -1), SQLITE_DONE);
	assert_int_equal(sqlite3_backup_finish(bk), SQLITE_OK);
	assert_int_equal(count_notes(dst, &rc), ROWS / 2);
	/* the session extension: a changeset recorded here applies there */
	assert_int_equal(sqlite3session_create(db, "main", &ses), SQLITE_OK);
	assert_int_equal(sqlite3session_attach(ses, "note"), SQLITE_OK);
	exec_ok(db, "INSERT INTO note (t) VALUES ('added after the backup')");
	assert_int_equal(sqlite3session_changeset(ses, &n, &cs), SQLITE_OK);
	assert_true(n > 0);
	assert_int_equal(sqlite3changeset_apply(dst, n, cs, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(count_notes(dst, &rc), ROWS / 2 + 1);
	exec_ok(dst, "PRAGMA wal_checkpoint(TRUNCATE)");
	assert_no_plaintext(copy);
	sqlite3_free(cs);
	sqlite3session_delete(ses);
	sqlite3_close(dst);
	sqlite3_close(db);
	unlink(copy);
}

static void
the_rollback_journal_holds_sealed_pages_and_rolls_back(void **state)
{
	char journal[160], copy[160], copy_journal[180], cmd[1024];
	sqlite3 *db;
	int rc;
	(void)state;
	snprintf(journal, sizeof(journal), "%s-journal", tmpdb_path);
	snprintf(copy, sizeof(copy), "%s/copy.db", tmpdb_dir);
	snprintf(copy_journal, sizeof(copy_journal), "%s-journal", copy);
	db = open_with(tmpdb_path, key_a, id_a, "DELETE");
	exec_ok(db, "CREATE TABLE note (id INTEGER PRIMARY KEY, t TEXT);"
	            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400) "
	            "INSERT INTO note (t) SELECT printf('" SECRET " %05d', i) FROM n");
	/* a small cache spills the changed pages into the file before the commit */
	exec_ok(db, "PRAGMA cache_size=2; BEGIN; UPDATE note SET t = 'rewritten before a crash'");
	assert_no_plaintext(journal);
	/* the files as a crash would leave them: the copy holds a hot journal */
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && cp '%s' '%s'", tmpdb_path, copy, journal,
	         copy_journal);
	assert_int_equal(system(cmd), 0);
	exec_ok(db, "ROLLBACK");
	sqlite3_close(db);
	db = open_with(copy, key_a, id_a, "DELETE");
	assert_int_equal(count_notes(db, &rc), ROWS);
	{
		sqlite3_stmt *st;
		assert_int_equal(sqlite3_prepare_v2(db,
		                                    "SELECT COUNT(*) FROM note WHERE t LIKE "
		                                    "'Harbour Road%'",
		                                    -1, &st, NULL),
		                 SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(st, 0), ROWS);
		sqlite3_finalize(st);
	}
	exec_ok(db, "PRAGMA integrity_check");
	sqlite3_close(db);
	assert_int_equal(access(copy_journal, F_OK), -1);
	unlink(copy);
}

static void
temporary_files_are_refused(void **state)
{
	sqlite3 *db;
	(void)state;
	db = open_with(tmpdb_path, key_a, id_a, "WAL");
	exec_ok(db, "PRAGMA temp_store=FILE; CREATE TEMP TABLE t (a); PRAGMA temp.cache_size=2");
	/* enough rows to spill the temporary database out of its cache into a file */
	assert_int_not_equal(
	    sqlite3_exec(db,
	                 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < "
	                 "2000) INSERT INTO t SELECT randomblob(500) FROM n",
	                 NULL, NULL, NULL),
	    SQLITE_OK);
	assert_non_null(strstr(pagecrypt_last_error(), "temporary file"));
	sqlite3_close(db);
}

/* What the VFS reported to the callback of pagecrypt_use_key_with. */
static int reports;
static uint64_t reported;
static unsigned char reported_id[PAGECRYPT_ID_LEN];

static void
on_epoch(void *arg, const unsigned char id[PAGECRYPT_ID_LEN], uint64_t epoch)
{
	assert_ptr_equal(arg, &reports);
	reports++;
	reported = epoch;
	memcpy(reported_id, id, PAGECRYPT_ID_LEN);
}

static uint64_t
epoch_of(const char *path)
{
	uint64_t v = 0;
	struct err e;
	pagecrypt_use_key(key_a, id_a);
	assert_int_equal(pagecrypt_epoch(path, &v, &e), 0);
	return v;
}

static void
checkpoint(sqlite3 *db)
{
	int log = -1, done = -1;
	assert_int_equal(
	    sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log, &done),
	    SQLITE_OK);
	assert_int_equal(log, done);
}

static void
the_epoch_rises_once_per_checkpoint_and_is_reported_after_it(void **state)
{
	sqlite3 *db;
	uint64_t first;
	int rc;
	(void)state;
	reports = 0;
	hook = on_epoch;
	hook_arg = &reports;
	db = make_notes(tmpdb_path);
	hook = NULL;
	/* made in rollback mode, then switched to WAL: those syncs raised it already */
	first = epoch_of(tmpdb_path);
	checkpoint(db);
	assert_int_equal(reports > 0, 1);
	assert_int_equal(reported, epoch_of(tmpdb_path));
	assert_true(reported > first);
	assert_memory_equal(reported_id, id_a, PAGECRYPT_ID_LEN);
	first = reported;
	/* a write that leaves page 1 alone (an update in place) still raises it, by one */
	exec_ok(db, "UPDATE note SET t = upper(t) WHERE id = 7");
	reports = 0;
	checkpoint(db);
	assert_int_equal(reports, 1);
	assert_int_equal(reported, first + 1);
	assert_int_equal(epoch_of(tmpdb_path), first + 1);
	/* a checkpoint with nothing to copy changes nothing */
	checkpoint(db);
	assert_int_equal(reports, 1);
	assert_int_equal(epoch_of(tmpdb_path), first + 1);
	assert_int_equal(count_notes(db, &rc), ROWS);
	assert_int_equal(rc, SQLITE_OK);
	sqlite3_close(db);
}

static void
sqlite_never_sees_the_epoch_and_an_older_page_1_still_opens_with_its_own(void **state)
{
	sqlite3 *db;
	sqlite3_file *file = NULL;
	unsigned char head[100], zeros[8] = {0}, old1[P];
	uint64_t old, now;
	char ok[16] = "";
	sqlite3_stmt *st = NULL;
	int rc;
	(void)state;
	db = make_notes(tmpdb_path);
	checkpoint(db);
	old = epoch_of(tmpdb_path);
	assert_true(old > 0);
	peek(tmpdb_path, 0, old1, P);
	exec_ok(db, "DELETE FROM note WHERE id > 300"); /* the freelist: page 1 changes */
	checkpoint(db);
	now = epoch_of(tmpdb_path);
	assert_true(now > old);
	/* the header SQLite reads through the VFS holds its own zeros where the epoch is */
	assert_int_equal(sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &file),
	                 SQLITE_OK);
	assert_int_equal(file->pMethods->xRead(file, head, sizeof(head), 0), SQLITE_OK);
	assert_memory_equal(head, "SQLite format 3", 16);
	assert_memory_equal(head + 72, zeros, sizeof(zeros));
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(ok, sizeof(ok), "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	assert_string_equal(ok, "ok");
	assert_int_equal(count_notes(db, &rc), 300);
	sqlite3_close(db);
	/* the old sealed page 1 put back still authenticates: the epoch it carries is what tells */
	poke(tmpdb_path, 0, old1, P);
	assert_int_equal(epoch_of(tmpdb_path), old);
}

static void
commits_in_rollback_mode_raise_the_epoch_too(void **state)
{
	sqlite3 *db;
	uint64_t before;
	(void)state;
	db = open_with(tmpdb_path, key_a, id_a, "DELETE");
	exec_ok(db, "CREATE TABLE t (a)");
	before = epoch_of(tmpdb_path);
	exec_ok(db, "INSERT INTO t VALUES (1)");
	assert_int_equal(epoch_of(tmpdb_path), before + 1);
	sqlite3_close(db);
}

/* A reader on its own connection, counting the notes until the writer is done. */
struct reader {
	const char *path;
	atomic_int done;
	int failures, reads;
};

static void *
read_while_raised(void *arg)
{
	struct reader *r = arg;
	sqlite3 *db = NULL;
	int rc;

	if (sqlite3_open_v2(r->path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		r->failures++;
	while (!atomic_load(&r->done) && r->failures == 0) {
		if (count_notes(db, &rc) != ROWS || rc != SQLITE_OK)
			r->failures++;
		r->reads++;
	}
	sqlite3_close(db);
	return NULL;
}

static void
readers_never_fail_while_page_1_is_rewritten_under_them(void **state)
{
	struct reader r = {tmpdb_path, 0, 0, 0};
	pthread_t t;
	sqlite3 *db;
	uint64_t before;
	char sql[96];
	(void)state;
	db = make_notes(tmpdb_path);
	checkpoint(db);
	before = epoch_of(tmpdb_path);
	assert_int_equal(pthread_create(&t, NULL, read_while_raised, &r), 0);
	/* updates in place leave page 1 to the VFS: each checkpoint rewrites it */
	for (int i = 1; i <= 200; i++) {
		snprintf(sql, sizeof(sql), "UPDATE note SET t = upper(t) WHERE id = %d", i);
		exec_ok(db, sql);
		assert_int_equal(
		    sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL),
		    SQLITE_OK);
	}
	atomic_store(&r.done, 1);
	pthread_join(t, NULL);
	assert_int_equal(r.failures, 0);
	assert_true(r.reads > 0);
	assert_true(epoch_of(tmpdb_path) > before);
	sqlite3_close(db);
}

/* VACUUM INTO path through a connection that reads URIs; 0 or SQLite's code. */
static int
vacuum_into(const char *from, const char *into)
{
	sqlite3 *db = NULL;
	char *sql = sqlite3_mprintf("VACUUM INTO %Q", into);
	int rc = sqlite3_open_v2(from, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "PRAGMA temp_store=MEMORY", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	sqlite3_free(sql);
	return rc;
}

static void
a_copy_opened_with_slate_copy_is_sealed_but_reports_no_epoch(void **state)
{
	char plain_copy[4200], snap[4200], uri[4300];
	sqlite3 *db, *c = NULL;
	uint64_t v = 0;
	struct err e;
	int rc;
	(void)state;
	snprintf(plain_copy, sizeof(plain_copy), "%s.plain-copy", tmpdb_path);
	snprintf(snap, sizeof(snap), "%s.snapshot", tmpdb_path);
	snprintf(uri, sizeof(uri), "file:%s?slate_copy=1", snap);
	hook = on_epoch;
	hook_arg = &reports;
	db = make_notes(tmpdb_path);
	checkpoint(db);
	/* a copy opened like the live file reports its own epoch as the live database's */
	reports = 0;
	assert_int_equal(vacuum_into(tmpdb_path, plain_copy), SQLITE_OK);
	assert_true(reports > 0);
	/* with slate_copy=1 (a backup snapshot, backup/backup.c) it reports nothing */
	reports = 0;
	assert_int_equal(vacuum_into(tmpdb_path, uri), SQLITE_OK);
	assert_int_equal(reports, 0);
	hook = NULL;
	/* and it is sealed like the live file: no plaintext, it opens with the same key */
	{
		size_t len;
		char *bytes = slurp(snap, &len);
		assert_null(memmem(bytes, len, SECRET, strlen(SECRET)));
		free(bytes);
	}
	pagecrypt_use_key(key_a, id_a);
	assert_int_equal(pagecrypt_epoch(snap, &v, &e), 0);
	assert_int_equal(sqlite3_open_v2(snap, &c, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(count_notes(c, &rc), ROWS);
	assert_int_equal(rc, SQLITE_OK);
	sqlite3_close(c);
	sqlite3_close(db);
	unlink(plain_copy);
	unlink(snap);
}

/* 1 when another process sees a lock on the SHARED range of path (SQLite's unix locking). */
static int
shared_lock_seen(const char *path)
{
	pid_t pid = fork();
	int status = 0;
	assert_true(pid != -1);
	if (pid == 0) {
		struct flock fl = {.l_type = F_WRLCK,
		                   .l_whence = SEEK_SET,
		                   .l_start = 0x40000000 + 2,
		                   .l_len = 510};
		int fd = open(path, O_RDONLY);
		if (fd == -1 || fcntl(fd, F_GETLK, &fl) == -1)
			_exit(2);
		_exit(fl.l_type == F_UNLCK ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) != 2);
	return WEXITSTATUS(status);
}

struct collected {
	unsigned char *p;
	size_t n;
};

static int
collect(void *arg, const unsigned char *buf, size_t n, struct err *e)
{
	struct collected *c = arg;
	(void)e;
	c->p = realloc(c->p, c->n + n);
	assert_non_null(c->p);
	memcpy(c->p + c->n, buf, n);
	c->n += n;
	return 0;
}

/* The snapshot's raw copy of a live database: the bytes on disk, and the locks of this
 * process's connections still held after it (a descriptor of its own, closed, drops them). */
static void
a_raw_read_copies_the_file_and_leaves_the_connections_locks_held(void **state)
{
	sqlite3 *db = make_notes(tmpdb_path);
	struct collected got = {NULL, 0};
	struct err e;
	size_t len;
	char *disk;
	(void)state;
	exec_ok(db, "PRAGMA wal_checkpoint(TRUNCATE)");
	exec_ok(db, "BEGIN; SELECT COUNT(*) FROM note");
	assert_int_equal(shared_lock_seen(tmpdb_path), 1);
	assert_int_equal(pagecrypt_read_raw(tmpdb_path, collect, &got, &e), 0);
	assert_int_equal(shared_lock_seen(tmpdb_path), 1);
	/* what the copy did before (fopen and fclose here): the connection's lock is gone */
	disk = slurp(tmpdb_path, &len);
	assert_int_equal(shared_lock_seen(tmpdb_path), 0);
	assert_int_equal(got.n, len);
	assert_memory_equal(got.p, disk, len);
	exec_ok(db, "COMMIT");
	assert_int_equal(pagecrypt_read_raw("/nonexistent/slate.db", collect, &got, &e), -1);
	assert_int_equal(e.status, 404);
	free(disk);
	free(got.p);
	sqlite3_close(db);
}

/* write(2)-family calls this process has made: syscw of /proc/self/io */
static long long
writes_so_far(void)
{
	char line[128];
	long long n = -1;
	FILE *f = fopen("/proc/self/io", "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "syscw: %lld", &n) == 1)
			break;
	fclose(f);
	assert_true(n >= 0);
	return n;
}

#define FRAME (24 + P)

static void
a_wal_frame_goes_to_the_disk_in_one_write(void **state)
{
	char wal[160];
	struct stat st;
	long long size0, frames, w0, writes;
	sqlite3 *db;
	int rc;
	(void)state;
	snprintf(wal, sizeof(wal), "%s-wal", tmpdb_path);
	db = make_notes(tmpdb_path);
	exec_ok(db, "PRAGMA synchronous=OFF"); /* no sync: the commit is its frames' writes */
	assert_int_equal(stat(wal, &st), 0);
	size0 = st.st_size;
	w0 = writes_so_far();
	exec_ok(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200) "
	            "INSERT INTO note (t) SELECT hex(randomblob(400)) FROM n");
	writes = writes_so_far() - w0;
	assert_int_equal(stat(wal, &st), 0);
	frames = (st.st_size - size0) / FRAME;
	assert_int_equal((st.st_size - size0) % FRAME, 0);
	assert_true(frames >= 40);
	/* a frame is one write of its header and sealed page, where it was two */
	assert_true(writes >= frames);
	assert_true(writes <= frames + 4);
	assert_no_plaintext(wal);
	sqlite3_close(db);
	db = open_with(tmpdb_path, key_a, id_a, "WAL");
	assert_int_equal(count_notes(db, &rc), ROWS + 200);
	exec_ok(db, "PRAGMA integrity_check");
	sqlite3_close(db);
}

/*
 * The header of a frame is held for its page; whatever call reaches the WAL
 * first (here the size, a read, a sync and the close) finds it on the disk.
 */
static void
a_held_frame_header_is_on_the_disk_before_any_other_call(void **state)
{
	char wal[160];
	unsigned char hdr[24], got[24];
	sqlite3_file *f = NULL;
	sqlite3_int64 size = 0, off;
	sqlite3 *db;
	int rc, keep = 1;
	(void)state;
	snprintf(wal, sizeof(wal), "%s-wal", tmpdb_path);
	db = make_notes(tmpdb_path);
	assert_int_equal(sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, &keep),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &f),
	                 SQLITE_OK);
	assert_non_null(f);
	assert_non_null(f->pMethods);
	assert_int_equal(f->pMethods->xFileSize(f, &size), SQLITE_OK);
	peek(wal, 32, hdr, sizeof(hdr)); /* frame 0's header, as a header to write again */
	off = size;                      /* the frame after the last: nothing reads it */

	assert_int_equal(f->pMethods->xWrite(f, hdr, sizeof(hdr), off), SQLITE_OK);
	assert_int_equal(f->pMethods->xFileSize(f, &size), SQLITE_OK);
	assert_int_equal(size, off + 24);
	peek(wal, (long)off, got, sizeof(got));
	assert_memory_equal(got, hdr, sizeof(hdr));

	off += FRAME;
	hdr[23] ^= 1;
	assert_int_equal(f->pMethods->xWrite(f, hdr, sizeof(hdr), off), SQLITE_OK);
	memset(got, 0, sizeof(got));
	assert_int_equal(f->pMethods->xRead(f, got, sizeof(got), off), SQLITE_OK);
	assert_memory_equal(got, hdr, sizeof(hdr));

	off += FRAME;
	hdr[23] ^= 2;
	assert_int_equal(f->pMethods->xWrite(f, hdr, sizeof(hdr), off), SQLITE_OK);
	assert_int_equal(f->pMethods->xSync(f, SQLITE_SYNC_NORMAL), SQLITE_OK);
	peek(wal, (long)off, got, sizeof(got));
	assert_memory_equal(got, hdr, sizeof(hdr));

	off += FRAME;
	hdr[23] ^= 4;
	assert_int_equal(f->pMethods->xWrite(f, hdr, sizeof(hdr), off), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	peek(wal, (long)off, got, sizeof(got));
	assert_memory_equal(got, hdr, sizeof(hdr));

	/* frames with a header and no page end the log where they start: nothing is lost */
	db = open_with(tmpdb_path, key_a, id_a, "WAL");
	assert_int_equal(count_notes(db, &rc), ROWS);
	exec_ok(db, "PRAGMA integrity_check");
	sqlite3_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(no_page_of_the_database_or_its_wal_holds_plaintext,
	                                    tmpdb_setup, tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(
	        a_byte_flipped_anywhere_in_a_page_fails_the_read_of_that_page, tmpdb_setup,
	        tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(a_page_copied_over_another_fails, tmpdb_setup,
	                                    tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(another_key_or_another_database_id_does_not_open,
	                                    tmpdb_setup, tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(an_altered_wal_frame_fails_the_read, tmpdb_setup,
	                                    tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(vacuum_backup_session_and_integrity_check_work,
	                                    tmpdb_setup, tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(the_rollback_journal_holds_sealed_pages_and_rolls_back,
	                                    tmpdb_setup, tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(temporary_files_are_refused, tmpdb_setup,
	                                    tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(
	        the_epoch_rises_once_per_checkpoint_and_is_reported_after_it, tmpdb_setup,
	        tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(
	        sqlite_never_sees_the_epoch_and_an_older_page_1_still_opens_with_its_own,
	        tmpdb_setup, tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(commits_in_rollback_mode_raise_the_epoch_too,
	                                    tmpdb_setup, tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(readers_never_fail_while_page_1_is_rewritten_under_them,
	                                    tmpdb_setup, tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(
	        a_copy_opened_with_slate_copy_is_sealed_but_reports_no_epoch, tmpdb_setup,
	        tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(
	        a_raw_read_copies_the_file_and_leaves_the_connections_locks_held, tmpdb_setup,
	        tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(a_wal_frame_goes_to_the_disk_in_one_write, tmpdb_setup,
	                                    tmpdb_teardown),
	    cmocka_unit_test_setup_teardown(
	        a_held_frame_header_is_on_the_disk_before_any_other_call, tmpdb_setup,
	        tmpdb_teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}

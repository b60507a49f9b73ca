/*
 * sqlite_admin.c — the operator's two ways into the database file itself:
 * converting a plaintext database into an encrypted one (store_encrypt,
 * `slate migrate-encryption`) and running SQL on the decrypted database
 * (store_sql, `slate sql`).
 *
 * Conversion never works in place. The plaintext file is taken out of WAL
 * mode first, which SQLite allows only when no other connection has it
 * open: a running server is found that way, and nothing is changed. A new
 * database id and key are made in the keystore; VACUUM INTO then writes
 * every page afresh into DATA/slate.db.encrypting through the encrypting
 * VFS, with the 32 reserved bytes per page the seals take (the online backup
 * API copies pages byte for byte, reserve count included, so it cannot add
 * them). The copy is checked (integrity_check, and the row count of every
 * table against the original), put in WAL mode, synced, and renamed over
 * the original, which is then overwritten with zeros through a descriptor
 * kept open across the rename. Any failure before the rename leaves the
 * original as it was and removes the copy and its key.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "crypto/keyring.h"
#include "store/pagecrypt.h"
#include "store/sqlite_int.h"
#include "store/store.h"
#include "store/store_sqlite.h"
#include "util/xalloc.h"

/* "file:" URI of path for the encrypting VFS, with every byte outside [A-Za-z0-9/._-] escaped. */
static char *
vfs_uri(const char *path)
{
	size_t n = strlen(path);
	char *out = xmalloc(5 + 3 * n + sizeof("?vfs=" PAGECRYPT_VFS)), *p = out;

	p += sprintf(p, "file:");
	for (const unsigned char *c = (const unsigned char *)path; *c; c++) {
		if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
		    (*c >= '0' && *c <= '9') || *c == '/' || *c == '.' || *c == '_' || *c == '-')
			*p++ = (char)*c;
		else
			p += sprintf(p, "%%%02X", *c);
	}
	sprintf(p, "?vfs=%s", PAGECRYPT_VFS);
	return out;
}

/* The one text value of a one-row statement, copied into out; -1 on error. */
static int
one_text(sqlite3 *db, const char *sql, char *out, size_t len)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *v = sqlite3_column_text(st, 0);
		snprintf(out, len, "%s", v ? (const char *)v : "");
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

/* Every table of src has as many rows in dst; e names the first that differs. */
static int
same_rows(sqlite3 *src, sqlite3 *dst, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;

	if (sqlite3_prepare_v2(src,
	                       "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT "
	                       "LIKE 'sqlite_%' ORDER BY name",
	                       -1, &st, NULL) != SQLITE_OK)
		return err_set(e, 500, "cannot list the tables: %s", sqlite3_errmsg(src));
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		char *q = sqlite3_mprintf("SELECT COUNT(*) FROM \"%w\"", t), a[32] = "", b[32] = "";
		if (q == NULL || one_text(src, q, a, sizeof(a)) == -1 ||
		    one_text(dst, q, b, sizeof(b)) == -1 || strcmp(a, b) != 0)
			rc = err_set(e, 500,
			             "the encrypted copy does not hold the rows of table %s", t);
		sqlite3_free(q);
	}
	sqlite3_finalize(st);
	return rc;
}

/* Opens the copy through the VFS, checks it against src, and puts it in WAL mode. */
static int
verify_copy(sqlite3 *src, const char *copy, struct err *e)
{
	sqlite3 *dst = NULL;
	char ok[64] = "", mode[16] = "";
	int rc = -1;

	if (sq_connect(copy, SQLITE_OPEN_READWRITE, NULL, &dst, e) == -1)
		return -1;
	if (one_text(dst, "PRAGMA integrity_check", ok, sizeof(ok)) == -1 ||
	    strcmp(ok, "ok") != 0) {
		err_set(e, 500, "the encrypted copy fails its integrity check: %s", ok);
		goto out;
	}
	if (same_rows(src, dst, e) == -1)
		goto out;
	if (one_text(dst, "PRAGMA journal_mode=WAL", mode, sizeof(mode)) == -1 ||
	    strcmp(mode, "wal") != 0) {
		err_set(e, 500, "the encrypted copy does not go into WAL mode: %s",
		        sqlite3_errmsg(dst));
		goto out;
	}
	rc = 0;
out:
	if (sqlite3_close(dst) != SQLITE_OK && rc == 0)
		rc = err_set(e, 500, "the encrypted copy does not close cleanly");
	return rc;
}

static int
sync_path(const char *path, int dir)
{
	int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC), rc;
	if (fd == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Overwrites what fd holds with zeros and syncs it: the plaintext leaves the disk's live blocks. */
static void
wipe_fd(int fd)
{
	static const char zeros[65536];
	struct stat st;
	off_t off = 0;

	if (fstat(fd, &st) == -1)
		return;
	while (off < st.st_size) {
		size_t n = (size_t)(st.st_size - off) < sizeof(zeros) ? (size_t)(st.st_size - off)
		                                                      : sizeof(zeros);
		ssize_t w = pwrite(fd, zeros, n, off);
		if (w <= 0)
			break;
		off += w;
	}
	fsync(fd);
}

int
store_encrypt(const char *path, struct keyring *keys, struct err *e)
{
	unsigned char id[PAGECRYPT_ID_LEN];
	char kid[PAGECRYPT_KEY_ID_LEN + 1], mode[16] = "", *copy = NULL, *uri = NULL, *dir = NULL;
	sqlite3 *src = NULL;
	sqlite3_stmt *st = NULL;
	struct secret key = {NULL, 0};
	int rc = -1, made_key = 0, old_fd = -1, reserve = PAGECRYPT_RESERVE, kind;

	if (pagecrypt_register(e) == -1 || (kind = pagecrypt_probe(path, id, e)) == -1)
		return -1;
	if (kind == 1)
		return 1;
	copy = xasprintf("%s.encrypting", path);
	unlink(copy); /* ciphertext left by a conversion that stopped: never the original */
	if (sqlite3_open_v2(path, &src, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI,
	                    PAGECRYPT_PLAIN_VFS) != SQLITE_OK) {
		err_set(e, 500, "cannot open %s: %s", path,
		        src ? sqlite3_errmsg(src) : "no memory");
		goto out;
	}
	if (one_text(src, "PRAGMA journal_mode=DELETE", mode, sizeof(mode)) == -1 ||
	    strcmp(mode, "delete") != 0) {
		err_set(e, 409, "%s is in use (stop slate serve first): %s", path,
		        sqlite3_errmsg(src));
		goto out;
	}
	randombytes_buf(id, sizeof(id));
	pagecrypt_key_id(id, kid);
	if (keyring_export(keys, kid, 1, &key, e) == -1)
		goto out;
	made_key = 1;
	pagecrypt_use_key_with(key.p, id, sq_record_epoch, keys);
	if (keyring_epoch_record(keys, kid, 0, 0, e) == -1)
		goto out;
	uri = vfs_uri(copy);
	if (sqlite3_file_control(src, "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve) != SQLITE_OK ||
	    sqlite3_exec(src, "PRAGMA temp_store=MEMORY", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(src, "VACUUM INTO ?1", -1, &st, NULL) != SQLITE_OK) {
		err_set(e, 500, "cannot copy %s: %s", path, sqlite3_errmsg(src));
		goto out;
	}
	sqlite3_bind_text(st, 1, uri, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		const char *page = pagecrypt_last_error();
		err_set(e, 500, "cannot write the encrypted copy: %s",
		        page[0] ? page : sqlite3_errmsg(src));
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (verify_copy(src, copy, e) == -1)
		goto out;
	chmod(copy, 0600);
	if (sync_path(copy, 0) == -1) {
		err_set(e, 500, "cannot sync %s: %s", copy, strerror(errno));
		goto out;
	}
	sqlite3_close(src);
	src = NULL;
	old_fd = open(path, O_RDWR | O_CLOEXEC);
	if (rename(copy, path) == -1) {
		err_set(e, 500, "cannot put the encrypted copy in place: %s", strerror(errno));
		goto out;
	}
	made_key = 0; /* from here the key is the database's */
	dir = xstrdup(path);
	sync_path(dirname(dir), 1);
	if (old_fd != -1)
		wipe_fd(old_fd);
	{
		char *shm = xasprintf("%s-shm", path);
		unlink(shm);
		free(shm);
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	sqlite3_close(src);
	if (old_fd != -1)
		close(old_fd);
	if (rc == -1) {
		struct err ignored;
		unlink(copy);
		if (made_key)
			keyring_destroy(keys, kid, &ignored);
	}
	secret_free(&key);
	free(copy);
	free(uri);
	free(dir);
	return rc;
}

int
store_accept_restore(const char *path, struct keyring *keys, uint64_t *was, uint64_t *now,
                     struct err *e)
{
	unsigned char id[PAGECRYPT_ID_LEN];
	char kid[PAGECRYPT_KEY_ID_LEN + 1];
	struct secret key = {NULL, 0};
	struct err ignored;
	int kind;

	*was = *now = 0;
	if (pagecrypt_register(e) == -1 || (kind = pagecrypt_probe(path, id, e)) == -1)
		return -1;
	if (kind == 0)
		return err_set(
		    e, 500, "%s is not encrypted (convert it with slate migrate-encryption)", path);
	pagecrypt_key_id(id, kid);
	if (keyring_export(keys, kid, 0, &key, e) == -1)
		return -1;
	pagecrypt_use_key(key.p, id);
	secret_free(&key);
	/* a record that does not authenticate is replaced too: the master key's holder says so */
	if (keyring_epoch_get(keys, kid, was, &ignored) == -1)
		*was = 0;
	if (pagecrypt_epoch(path, now, e) == -1)
		return -1;
	return keyring_epoch_record(keys, kid, *now, 1, e);
}

static void
print_row(sqlite3_stmt *st, int as_json, json_t *rows, FILE *out)
{
	int n = sqlite3_column_count(st);
	json_t *row = as_json ? json_object() : NULL;

	for (int i = 0; i < n; i++) {
		const char *v = (const char *)sqlite3_column_text(st, i);
		if (as_json) {
			json_t *j;
			switch (sqlite3_column_type(st, i)) {
			case SQLITE_NULL: j = json_null(); break;
			case SQLITE_INTEGER: j = json_integer(sqlite3_column_int64(st, i)); break;
			case SQLITE_FLOAT: j = json_real(sqlite3_column_double(st, i)); break;
			default: j = json_stringn(v ? v : "", (size_t)sqlite3_column_bytes(st, i));
			}
			json_object_set_new(row, sqlite3_column_name(st, i), j ? j : json_null());
		} else
			fprintf(out, "%s%s", i ? "|" : "", v ? v : "");
	}
	if (as_json)
		json_array_append_new(rows, row);
	else
		fputc('\n', out);
}

int
store_sql(struct store *s, const char *sql, int as_json, int write, FILE *out, struct err *e)
{
	const char *tail = sql;
	int rc = 0;

	if (sqlite3_exec(s->db, write ? "PRAGMA query_only=OFF" : "PRAGMA query_only=ON", NULL,
	                 NULL, NULL) != SQLITE_OK)
		return sq_db_err(s, e, "query_only");
	while (rc == 0 && *tail) {
		sqlite3_stmt *st = NULL;
		json_t *rows = as_json ? json_array() : NULL;
		int step;

		if (sqlite3_prepare_v2(s->db, tail, -1, &st, &tail) != SQLITE_OK) {
			rc = sq_db_err(s, e, "sql");
			json_decref(rows);
			break;
		}
		if (st == NULL) { /* blank or a comment */
			json_decref(rows);
			break;
		}
		while ((step = sqlite3_step(st)) == SQLITE_ROW)
			print_row(st, as_json, rows, out);
		if (step != SQLITE_DONE)
			rc = sq_db_err(s, e, "sql");
		else if (as_json && json_array_size(rows) > 0) {
			char *text = json_dumps(rows, JSON_COMPACT);
			fprintf(out, "%s\n", text);
			free(text);
		}
		json_decref(rows);
		sqlite3_finalize(st);
	}
	return rc;
}

/*
 * sqlite_attachment.c — uploaded files' records over SQLite (store.h): their
 * names and file keys sealed under the production key; the bytes live in
 * the upload directory (api/attachments.c). The rows as names of files:
 * removing one within the caller's transaction (the file goes after the
 * commit), and listing them all for `slate fsck`.
 */
#include <assert.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sodium.h>

#include "domain/factorzone.h"
#include "store/migration.h"
#include "store/pagecrypt.h"
#include "store/store.h"
#include "store/sqlite_int.h"
#include "crypto/keyring.h"
#include "util/email.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/xalloc.h"
#include "util/nitems.h"
int
store_attachment_create(struct store *s, const struct store_attachment *a,
                        const unsigned char file_key[32], struct err *e)
{
	static const char sql[] =
	    "INSERT INTO attachment (id, production_id, name_sealed, content_type, size, "
	    "stored_name, file_key, created_by, created_at, evidence) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	struct keyring_place p = {"attachment", "file_key", a->id};
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	char *name = NULL, *key = NULL;
	int rc = -1;

	if (st == NULL)
		return -1;
	if (s->keys == NULL)
		return err_set(e, 500, "the store was opened without the keystore");
	if (keyring_create(s->keys, a->production_id, "production", e) == -1 ||
	    (name = sq_seal_text(s, a->production_id, "attachment", "name", a->id, a->name, e)) ==
	        NULL ||
	    (key = keyring_seal(s->keys, a->production_id, &p, file_key, 32, e)) == NULL)
		goto out;
	sqlite3_bind_text(st, 1, a->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, a->production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, a->content_type, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, a->size);
	sqlite3_bind_text(st, 6, a->stored_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, a->created_by, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, a->created_at, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 10, a->evidence);
	rc = sq_run(s, st, "record attachment", e) == -1 ? -1 : 0;
out:
	free(name);
	free(key);
	return rc;
}
#define ATTACHMENT_SELECT                                                                          \
	"SELECT id, production_id, name_sealed, content_type, size, stored_name, created_by, "     \
	"created_at, file_key, evidence FROM attachment "
static void
read_attachment(struct store *s, sqlite3_stmt *st, struct store_attachment *a)
{
	sq_copy_col(st, 0, a->id, sizeof(a->id));
	sq_copy_col(st, 1, a->production_id, sizeof(a->production_id));
	sq_unseal_col(s, st, 2, "attachment", "name", a->id, a->name, sizeof(a->name));
	sq_copy_col(st, 3, a->content_type, sizeof(a->content_type));
	a->size = sqlite3_column_int64(st, 4);
	sq_copy_col(st, 5, a->stored_name, sizeof(a->stored_name));
	sq_copy_col(st, 6, a->created_by, sizeof(a->created_by));
	sq_copy_col(st, 7, a->created_at, sizeof(a->created_at));
	a->evidence = sqlite3_column_int(st, 9);
}
int
store_attachment_get(struct store *s, const char *production_id, const char *id,
                     struct store_attachment *out, struct secret *file_key, struct err *e)
{
	static const char sql[] = ATTACHMENT_SELECT "WHERE production_id = ? AND id = ?";
	sqlite3_stmt *st = NULL;
	int rc = sq_row_in(s, sql, production_id, id, "read attachment", &st, e);
	if (rc != 1)
		return rc;
	read_attachment(s, st, out);
	if (file_key != NULL) {
		struct keyring_place p = {"attachment", "file_key", out->id};
		char *key = NULL;
		size_t n = 0;
		int got = s->keys == NULL ? -1
		                          : keyring_unseal(s->keys, &p,
		                                           (const char *)sqlite3_column_text(st, 8),
		                                           &key, &n, e);
		sqlite3_reset(st);
		if (got != 1 || n != 32) {
			if (key != NULL)
				sodium_memzero(key, n);
			free(key);
			return err_set(e, 500, "the key of attachment %s does not open", out->id);
		}
		secret_alloc(file_key, 32);
		memcpy(file_key->p, key, 32);
		sodium_memzero(key, n);
		free(key);
		return 1;
	}
	sqlite3_reset(st);
	return 1;
}
int
store_attachment_list(struct store *s, const char *production_id,
                      void (*fn)(const struct store_attachment *, void *), void *arg, struct err *e)
{
	static const char sql[] =
	    ATTACHMENT_SELECT "WHERE production_id = ? AND evidence = 0 ORDER BY created_at, id";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_attachment a;
		read_attachment(s, st, &a);
		fn(&a, arg);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sq_db_err(s, e, "list attachments");
}

int
store_attachment_remove(struct store *s, const char *production_id, const char *id, char *stored,
                        size_t cap, struct err *e)
{
	static const char sql[] =
	    "DELETE FROM attachment WHERE production_id = ? AND id = ? RETURNING stored_name";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;

	stored[0] = '\0';
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		sq_copy_col(st, 0, stored, cap);
		rc = sqlite3_step(st);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return sq_db_err(s, e, "remove attachment");
	return stored[0] != '\0';
}

int
store_attachment_files(struct store *s,
                       void (*fn)(const char *id, const char *stored_name, void *arg), void *arg,
                       struct err *e)
{
	static const char sql[] = "SELECT id, stored_name FROM attachment";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn((const char *)sqlite3_column_text(st, 0),
		   (const char *)sqlite3_column_text(st, 1), arg);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sq_db_err(s, e, "list attachments");
}

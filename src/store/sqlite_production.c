/*
 * sqlite_production.c — the production itself over SQLite: departments,
 * people, locations, shoot days, scenes and calls (migration 0012).
 *
 * Sealed columns hold one envelope (crypto/keyring.h) whose plaintext is a
 * group of fields joined by NUL bytes; store/seal.c makes and opens them
 * (the grouping, the places, which key), this file only stores the text.
 * A group whose fields are all empty is stored as NULL. The envelope's
 * place binds table, column and row id: moved to another row or column, it
 * does not open.
 *
 *   person.work_contact / personal_contact / private   the person's own key
 *   location.site, scene.synopsis                       the production key
 *
 * Readers name the groups to open; the others stay sealed in the row and
 * are never decrypted. A group sealed under a destroyed key opens to
 * KEYRING_ERASED in every field; one that does not open at all reads as
 * UNREADABLE and is logged (table, column, row; never the value).
 *
 * Rows belong to one production: every read takes the production id, so
 * another production's ids are simply not found.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/keyring.h"
#include "store/seal.h"
#include "store/sqlite_int.h"
#include "store/store.h"
#include "util/log.h"
#include "util/xalloc.h"
#include "util/nitems.h"

/* The store's keyring as a snapshot for one call; NULL without a keystore (fields unreadable). */
static const struct keyring_snap *
snap_of(struct store *s, struct keyring_snap *snap)
{
	struct err e;
	if (s->keys == NULL)
		return NULL;
	if (keyring_snap_begin(s->keys, snap, &e) == -1) {
		log_event(LOG_ERROR, "the keystore cannot be read", LOG_STR("error", e.msg),
		          LOG_END);
		return NULL;
	}
	return snap;
}

/* Seals the NUL-joined fields under key_id (seal_group); *out NULL when every field is empty. */
static int
seal_fields(struct store *s, const char *key_id, const char *table, const char *column,
            const char *row_id, const struct seal_field *f, size_t n, char **out, struct err *e)
{
	return seal_group(s->keys, key_id, table, column, row_id, f, n, out, e);
}

/* Opens column col of st into the fields: "" when NULL, the erased or unreadable marker. */
static void
open_group(struct store *s, sqlite3_stmt *st, int col, const char *table, const char *column,
           const char *row_id, const struct seal_field *f, size_t n)
{
	struct keyring_snap snap;
	const unsigned char *v = sqlite3_column_text(st, col);
	if (v == NULL || v[0] == '\0') {
		seal_open_group(NULL, table, column, row_id, NULL, f, n);
		return;
	}
	seal_open_group(snap_of(s, &snap), table, column, row_id, (const char *)v, f, n);
}

/* Steps a statement that yields ids and passes each to fn. */
static int
each_id(struct store *s, sqlite3_stmt *st, const char *what, void (*fn)(const char *, void *),
        void *arg, struct err *e)
{
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn((const char *)sqlite3_column_text(st, 0), arg);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sq_db_err(s, e, what);
}

/* 409 naming field when the last statement broke a UNIQUE constraint; else the store error. */
static int
unique_or_err(struct store *s, const char *field, const char *detail, const char *what,
              struct err *e)
{
	if (sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_UNIQUE ||
	    sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_PRIMARYKEY)
		return err_field(e, 409, field, "%s", detail);
	return sq_db_err(s, e, what);
}

/* ---- departments ---- */

/*
 * Department names are unique in a production without regard to case
 * ("Camera" and "camera" are one department: ?department= finds either).
 * The table's UNIQUE constraint is case-sensitive and older data may hold
 * such pairs, so the rule is checked here, before each write: 0 free,
 * -1 with e set (409 on /name, or a store failure). except_id: the
 * department being renamed (it may change its own case).
 */
static int
department_name_free(struct store *s, const char *production_id, const char *name,
                     const char *except_id, struct err *e)
{
	static const char sql[] = "SELECT 1 FROM department WHERE production_id = ? AND "
	                          "name = ? COLLATE NOCASE AND id <> ? LIMIT 1";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, except_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return err_field(e, 409, "/name", "%s",
		                 "the production already has a department of that name");
	return rc == SQLITE_DONE ? 0 : sq_db_err(s, e, "check department name");
}

int
store_department_rename(struct store *s, const char *production_id, const char *id,
                        const char *name, struct err *e)
{
	static const char sql[] =
	    "UPDATE department SET name = ? WHERE production_id = ? AND id = ?";
	sqlite3_stmt *st;
	int rc;
	if (department_name_free(s, production_id, name, id, e) == -1)
		return -1;
	if ((st = sq_prepare(s, sql, e)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return unique_or_err(s, "/name",
		                     "the production already has a department of that name",
		                     "rename department", e);
	return sqlite3_changes(s->db) > 0 ? 1 : 0;
}

int
store_department_list(struct store *s, const char *production_id,
                      void (*fn)(const char *id, const char *name, void *), void *arg,
                      struct err *e)
{
	static const char sql[] =
	    "SELECT id, name FROM department WHERE production_id = ? ORDER BY position, name";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn((const char *)sqlite3_column_text(st, 0),
		   (const char *)sqlite3_column_text(st, 1), arg);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sq_db_err(s, e, "list departments");
}

int
store_department_create(struct store *s, const char *production_id, const char *name, char *id_out,
                        size_t len, struct err *e)
{
	static const char sql[] =
	    "INSERT INTO department (id, production_id, name, position) VALUES (?, ?, ?, "
	    "(SELECT COALESCE(MAX(position), -1) + 1 FROM department WHERE production_id = ?))";
	sqlite3_stmt *st;
	if (department_name_free(s, production_id, name, "", e) == -1)
		return -1;
	if ((st = sq_prepare(s, sql, e)) == NULL)
		return -1;
	sq_new_id(s, id_out, len, "dep");
	sqlite3_bind_text(st, 1, id_out, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, production_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_reset(st);
		return unique_or_err(s, "/name",
		                     "the production already has a department of that name",
		                     "create department", e);
	}
	sqlite3_reset(st);
	return 0;
}

/* ---- people ---- */

#define NGROUPS SEAL_PERSON_GROUPS

#define PERSON_SELECT                                                                              \
	"SELECT p.id, p.production_id, COALESCE(p.user_id, ''), p.kind, p.name, "                  \
	"COALESCE(p.department_id, ''), COALESCE(d.name, ''), p.job_title, p.character_name, "     \
	"p.key_contact, p.created_at, p.updated_at, p.work_contact, p.personal_contact, "          \
	"p.private, p.link_confirmed FROM person p LEFT JOIN department d ON d.id = "              \
	"p.department_id "
#define PERSON_SEALED_COL    12
#define PERSON_CONFIRMED_COL 15

static void
read_person(sqlite3_stmt *st, struct store_person *p)
{
	memset(p, 0, sizeof(*p));
	sq_copy_col(st, 0, p->id, sizeof(p->id));
	sq_copy_col(st, 1, p->production_id, sizeof(p->production_id));
	sq_copy_col(st, 2, p->user_id, sizeof(p->user_id));
	sq_copy_col(st, 3, p->kind, sizeof(p->kind));
	sq_copy_col(st, 4, p->name, sizeof(p->name));
	sq_copy_col(st, 5, p->department_id, sizeof(p->department_id));
	sq_copy_col(st, 6, p->department, sizeof(p->department));
	sq_copy_col(st, 7, p->job_title, sizeof(p->job_title));
	sq_copy_col(st, 8, p->character_name, sizeof(p->character_name));
	p->key_contact = sqlite3_column_int(st, 9);
	sq_copy_col(st, 10, p->created_at, sizeof(p->created_at));
	sq_copy_col(st, 11, p->updated_at, sizeof(p->updated_at));
	p->link_confirmed = sqlite3_column_int(st, PERSON_CONFIRMED_COL);
}

/* Opens the groups of the person row st holds that `open` names, through snap. */
static void
open_person(const struct keyring_snap *snap, sqlite3_stmt *st, struct store_person *p,
            unsigned open)
{
	const char *env[NGROUPS];
	for (size_t g = 0; g < NGROUPS; g++)
		env[g] = (const char *)sqlite3_column_text(st, PERSON_SEALED_COL + (int)g);
	seal_open_person(snap, p, open, env);
}

static void
bind_person_dir(sqlite3_stmt *st, const struct store_person *p, int i)
{
	sq_bind_opt(st, i, p->user_id[0] ? p->user_id : NULL);
	sqlite3_bind_text(st, i + 1, p->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, i + 2, p->name, -1, SQLITE_STATIC);
	sq_bind_opt(st, i + 3, p->department_id[0] ? p->department_id : NULL);
	sqlite3_bind_text(st, i + 4, p->job_title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, i + 5, p->character_name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, i + 6, p->key_contact);
	sqlite3_bind_int(st, i + 7, p->user_id[0] ? p->link_confirmed != 0 : 1);
}

static void
free_env(char *env[NGROUPS])
{
	seal_free_env(env, NGROUPS);
}

int
store_person_create(struct store *s, struct store_person *p, struct err *e)
{
	static const char sql[] =
	    "INSERT INTO person (id, production_id, user_id, kind, name, department_id, job_title, "
	    "character_name, key_contact, link_confirmed, work_contact, personal_contact, private, "
	    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st;
	char *env[NGROUPS];
	int rc;

	if (s->keys == NULL)
		return err_set(e, 500, "the store was opened without the keystore");
	sq_new_id(s, p->id, sizeof(p->id), "per");
	sq_now_rfc3339(p->created_at, sizeof(p->created_at));
	snprintf(p->updated_at, sizeof(p->updated_at), "%s", p->created_at);
	if (keyring_create(s->keys, p->id, "person", e) == -1 ||
	    seal_person(s->keys, p, STORE_PERSON_ALL, env, e) == -1)
		return -1;
	if ((st = sq_prepare(s, sql, e)) == NULL) {
		free_env(env);
		return -1;
	}
	sqlite3_bind_text(st, 1, p->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, p->production_id, -1, SQLITE_STATIC);
	bind_person_dir(st, p, 3);
	for (size_t g = 0; g < NGROUPS; g++)
		sq_bind_opt(st, 11 + (int)g, env[g]);
	sqlite3_bind_text(st, 14, p->created_at, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 15, p->updated_at, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	free_env(env);
	if (rc != SQLITE_DONE)
		return unique_or_err(s, "/account_email", "that account already has a record here",
		                     "create person", e);
	p->opened = STORE_PERSON_ALL;
	return 0;
}

int
store_person_update(struct store *s, const struct store_person *p, unsigned groups, struct err *e)
{
	static const char sql[] =
	    "UPDATE person SET user_id = ?, kind = ?, name = ?, department_id = ?, job_title = ?, "
	    "character_name = ?, key_contact = ?, link_confirmed = ?, updated_at = ?, "
	    "work_contact = CASE WHEN ? THEN ? ELSE work_contact END, "
	    "personal_contact = CASE WHEN ? THEN ? ELSE personal_contact END, "
	    "private = CASE WHEN ? THEN ? ELSE private END "
	    "WHERE production_id = ? AND id = ?";
	sqlite3_stmt *st;
	char *env[NGROUPS], now[32];
	int rc;

	if (seal_person(s->keys, p, groups, env, e) == -1)
		return -1;
	if ((st = sq_prepare(s, sql, e)) == NULL) {
		free_env(env);
		return -1;
	}
	sq_now_rfc3339(now, sizeof(now));
	bind_person_dir(st, p, 1);
	sqlite3_bind_text(st, 9, now, -1, SQLITE_STATIC);
	for (size_t g = 0; g < NGROUPS; g++) {
		sqlite3_bind_int(st, 10 + 2 * (int)g, (groups & seal_person_bit[g]) != 0);
		sq_bind_opt(st, 11 + 2 * (int)g, env[g]);
	}
	sqlite3_bind_text(st, 16, p->production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 17, p->id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	free_env(env);
	if (rc != SQLITE_DONE)
		return unique_or_err(s, "/account_email", "that account already has a record here",
		                     "update person", e);
	return sqlite3_changes(s->db) > 0 ? 1 : 0;
}

int
store_person_confirm_link(struct store *s, const char *production_id, const char *id,
                          const char *user_id, struct err *e)
{
	static const char sql[] = "UPDATE person SET link_confirmed = 1 "
	                          "WHERE production_id = ? AND id = ? AND user_id = ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, user_id, -1, SQLITE_STATIC);
	return sq_run(s, st, "confirm person link", e);
}

int
store_person_delete(struct store *s, const char *production_id, const char *id, struct err *e)
{
	static const char sql[] = "DELETE FROM person WHERE production_id = ? AND id = ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int n;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	if ((n = sq_run(s, st, "delete person", e)) <= 0)
		return n;
	/* the record is gone; its key goes too (once the delete commits), so no older copy opens */
	if (sq_shred_after_commit(s, id, e) == -1)
		return -1;
	return 1;
}

int
store_person_erase(struct store *s, const char *id, struct err *e)
{
	static const char sql[] = "DELETE FROM person WHERE id = ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int n;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((n = sq_run(s, st, "erase person", e)) <= 0)
		return n;
	return sq_shred_after_commit(s, id, e) == -1 ? -1 : 1;
}

int
store_person_get(struct store *s, const char *production_id, const char *id, unsigned open,
                 struct store_person *out, struct err *e)
{
	static const char sql[] = PERSON_SELECT "WHERE p.production_id = ? AND p.id = ?";
	struct keyring_snap snap;
	sqlite3_stmt *st = NULL;
	int rc = sq_row_in(s, sql, production_id, id, "read person", &st, e);
	if (rc != 1)
		return rc;
	read_person(st, out);
	open_person(open ? snap_of(s, &snap) : NULL, st, out, open);
	sqlite3_reset(st);
	return 1;
}

int
store_person_read(struct store *s, const char *production_id, const char *id,
                  int (*want)(const struct store_person *, void *), void *arg,
                  struct store_person *out, struct err *e)
{
	static const char sql[] = PERSON_SELECT "WHERE p.production_id = ? AND p.id = ?";
	struct keyring_snap snap;
	sqlite3_stmt *st = NULL;
	int open, rc = sq_row_in(s, sql, production_id, id, "read person", &st, e);
	if (rc != 1)
		return rc;
	read_person(st, out);
	if ((open = want(out, arg)) > 0)
		open_person(snap_of(s, &snap), st, out, (unsigned)open);
	sqlite3_reset(st);
	return 1;
}

int
store_person_of_user(struct store *s, const char *production_id, const char *user_id,
                     struct store_person *out, struct err *e)
{
	static const char sql[] = PERSON_SELECT "WHERE p.production_id = ? AND p.user_id = ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, user_id, -1, SQLITE_STATIC);
	if ((rc = sq_one_row(s, st, "read person", e)) != 1)
		return rc;
	read_person(st, out);
	sqlite3_reset(st);
	return 1;
}

int
store_person_ids_of_user(struct store *s, const char *user_id, void (*fn)(const char *, void *),
                         void *arg, struct err *e)
{
	static const char sql[] = "SELECT id FROM person WHERE user_id = ? ORDER BY id";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
	return each_id(s, st, "list person records", fn, arg, e);
}

int
store_person_list(struct store *s, const char *production_id, const struct store_person_filter *f,
                  int (*want)(const struct store_person *, void *),
                  void (*fn)(const struct store_person *, void *), void *arg, struct err *e)
{
	static const char sql[] =
	    PERSON_SELECT "WHERE p.production_id = ?1 AND (?2 IS NULL OR p.department_id = ?2) "
	                  "AND (?3 IS NULL OR p.kind = ?3) AND (?4 IS NULL OR EXISTS "
	                  "(SELECT 1 FROM call c WHERE c.person_id = p.id AND c.day_id = ?4)) "
	                  "ORDER BY p.name, p.id";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	struct keyring_snap snap;
	const struct keyring_snap *keys = NULL;
	struct store_person *p;
	int rc, snapped = 0;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	sq_bind_opt(st, 2, f ? f->department_id : NULL);
	sq_bind_opt(st, 3, f ? f->kind : NULL);
	sq_bind_opt(st, 4, f ? f->called_on : NULL);
	p = xmalloc(sizeof(*p));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int open;
		read_person(st, p);
		if ((open = want(p, arg)) == STORE_PERSON_STOP) {
			rc = SQLITE_DONE;
			break;
		}
		if (open < 0)
			continue;
		if (open > 0 && !snapped) {
			keys = snap_of(s, &snap);
			snapped = 1;
		}
		open_person(keys, st, p, (unsigned)open);
		fn(p, arg);
	}
	sqlite3_reset(st);
	sodium_memzero(p, sizeof(*p));
	free(p);
	return rc == SQLITE_DONE ? 0 : sq_db_err(s, e, "list people");
}

/* ---- locations ---- */

static size_t
site_fields(struct store_location *l, struct seal_field *f)
{
	f[0] = (struct seal_field){l->address, sizeof(l->address)};
	f[1] = (struct seal_field){l->latitude, sizeof(l->latitude)};
	f[2] = (struct seal_field){l->longitude, sizeof(l->longitude)};
	f[3] = (struct seal_field){l->access_notes, sizeof(l->access_notes)};
	f[4] = (struct seal_field){l->contact, sizeof(l->contact)};
	return 5;
}

static int
seal_site(struct store *s, const struct store_location *l, char **env, struct err *e)
{
	struct store_location copy = *l;
	struct seal_field f[SEAL_GROUP_MAX];
	size_t n = site_fields(&copy, f);
	int rc = seal_fields(s, l->production_id, "location", "site", l->id, f, n, env, e);
	sodium_memzero(&copy, sizeof(copy));
	return rc;
}

#define LOCATION_SELECT                                                                            \
	"SELECT id, production_id, name, parking, nearest_hospital, confidential, created_at, "    \
	"updated_at, site FROM location "

static void
read_location(struct store *s, sqlite3_stmt *st, struct store_location *l, int open)
{
	struct seal_field f[SEAL_GROUP_MAX];
	memset(l, 0, sizeof(*l));
	sq_copy_col(st, 0, l->id, sizeof(l->id));
	sq_copy_col(st, 1, l->production_id, sizeof(l->production_id));
	sq_copy_col(st, 2, l->name, sizeof(l->name));
	sq_copy_col(st, 3, l->parking, sizeof(l->parking));
	sq_copy_col(st, 4, l->nearest_hospital, sizeof(l->nearest_hospital));
	l->confidential = sqlite3_column_int(st, 5);
	sq_copy_col(st, 6, l->created_at, sizeof(l->created_at));
	sq_copy_col(st, 7, l->updated_at, sizeof(l->updated_at));
	if (open) {
		open_group(s, st, 8, "location", "site", l->id, f, site_fields(l, f));
		l->opened = 1;
	}
}

int
store_location_create(struct store *s, struct store_location *l, struct err *e)
{
	static const char sql[] =
	    "INSERT INTO location (id, production_id, name, parking, nearest_hospital, "
	    "confidential, site, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st;
	char *env = NULL;
	int rc;

	sq_new_id(s, l->id, sizeof(l->id), "loc");
	sq_now_rfc3339(l->created_at, sizeof(l->created_at));
	snprintf(l->updated_at, sizeof(l->updated_at), "%s", l->created_at);
	if (s->keys == NULL)
		return err_set(e, 500, "the store was opened without the keystore");
	if (keyring_create(s->keys, l->production_id, "production", e) == -1 ||
	    seal_site(s, l, &env, e) == -1)
		return -1;
	if ((st = sq_prepare(s, sql, e)) == NULL) {
		free(env);
		return -1;
	}
	sqlite3_bind_text(st, 1, l->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, l->production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, l->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, l->parking, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, l->nearest_hospital, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, l->confidential);
	sq_bind_opt(st, 7, env);
	sqlite3_bind_text(st, 8, l->created_at, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, l->updated_at, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	free(env);
	if (rc != SQLITE_DONE)
		return unique_or_err(s, "/name",
		                     "the production already has a location of that name",
		                     "create location", e);
	l->opened = 1;
	return 0;
}

int
store_location_update(struct store *s, const struct store_location *l, int site, struct err *e)
{
	static const char sql[] =
	    "UPDATE location SET name = ?, parking = ?, nearest_hospital = ?, confidential = ?, "
	    "updated_at = ?, site = CASE WHEN ? THEN ? ELSE site END "
	    "WHERE production_id = ? AND id = ?";
	sqlite3_stmt *st;
	char *env = NULL, now[32];
	int rc;

	if (site && seal_site(s, l, &env, e) == -1)
		return -1;
	if ((st = sq_prepare(s, sql, e)) == NULL) {
		free(env);
		return -1;
	}
	sq_now_rfc3339(now, sizeof(now));
	sqlite3_bind_text(st, 1, l->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, l->parking, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, l->nearest_hospital, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, l->confidential);
	sqlite3_bind_text(st, 5, now, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, site != 0);
	sq_bind_opt(st, 7, env);
	sqlite3_bind_text(st, 8, l->production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, l->id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	free(env);
	if (rc != SQLITE_DONE)
		return unique_or_err(s, "/name",
		                     "the production already has a location of that name",
		                     "update location", e);
	return sqlite3_changes(s->db) > 0 ? 1 : 0;
}

int
store_location_get(struct store *s, const char *production_id, const char *id, int open,
                   struct store_location *out, struct err *e)
{
	static const char sql[] = LOCATION_SELECT "WHERE production_id = ? AND id = ?";
	sqlite3_stmt *st = NULL;
	int rc = sq_row_in(s, sql, production_id, id, "read location", &st, e);
	if (rc != 1)
		return rc;
	read_location(s, st, out, open);
	sqlite3_reset(st);
	return 1;
}

int
store_location_list(struct store *s, const char *production_id,
                    int (*want)(const struct store_location *, void *),
                    void (*fn)(const struct store_location *, void *), void *arg, struct err *e)
{
	static const char sql[] = LOCATION_SELECT "WHERE production_id = ? ORDER BY name, id";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	struct store_location *l;
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	l = xmalloc(sizeof(*l));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int open;
		read_location(s, st, l, 0);
		if ((open = want(l, arg)) < 0)
			continue;
		if (open)
			read_location(s, st, l, 1);
		fn(l, arg);
	}
	sqlite3_reset(st);
	sodium_memzero(l, sizeof(*l));
	free(l);
	return rc == SQLITE_DONE ? 0 : sq_db_err(s, e, "list locations");
}

int
store_location_called(struct store *s, const char *location_id, const char *person_id,
                      struct err *e)
{
	static const char sql[] =
	    "SELECT COUNT(*) FROM day_location dl JOIN call c ON c.day_id = dl.day_id "
	    "WHERE dl.location_id = ? AND c.person_id = ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	long n = 0;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, location_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, person_id, -1, SQLITE_STATIC);
	if (sq_count_of(s, st, "check a call at a location", &n, e) == -1)
		return -1;
	return n > 0;
}

/* ---- shoot days ---- */

/* Day number and total count within the unit, by date. */
#define DAY_SELECT                                                                                 \
	"SELECT id, production_id, day_date, unit, general_call, wrap_estimate, "                  \
	"(SELECT COUNT(*) FROM shoot_day o WHERE o.production_id = d.production_id "               \
	"AND o.unit = d.unit AND o.day_date <= d.day_date), "                                      \
	"(SELECT COUNT(*) FROM shoot_day o WHERE o.production_id = d.production_id "               \
	"AND o.unit = d.unit), d.cancelled_at FROM shoot_day d "

static void
read_day(sqlite3_stmt *st, struct store_day *d)
{
	memset(d, 0, sizeof(*d));
	sq_copy_col(st, 0, d->id, sizeof(d->id));
	sq_copy_col(st, 1, d->production_id, sizeof(d->production_id));
	sq_copy_col(st, 2, d->date, sizeof(d->date));
	sq_copy_col(st, 3, d->unit, sizeof(d->unit));
	sq_copy_col(st, 4, d->general_call, sizeof(d->general_call));
	sq_copy_col(st, 5, d->wrap_estimate, sizeof(d->wrap_estimate));
	d->number = sqlite3_column_int(st, 6);
	d->total = sqlite3_column_int(st, 7);
	sq_copy_col(st, 8, d->cancelled_at, sizeof(d->cancelled_at));
}

int
store_day_create(struct store *s, struct store_day *d, struct err *e)
{
	static const char sql[] = "INSERT INTO shoot_day (id, production_id, day_date, unit, "
	                          "general_call, wrap_estimate, "
	                          "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	char now[32];
	int rc;
	if (st == NULL)
		return -1;
	sq_new_id(s, d->id, sizeof(d->id), "day");
	sq_now_rfc3339(now, sizeof(now));
	sqlite3_bind_text(st, 1, d->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, d->production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, d->date, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, d->unit, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, d->general_call, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, d->wrap_estimate, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, now, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return unique_or_err(s, "/date", "that unit already has a shoot day on that date",
		                     "create shoot day", e);
	return 0;
}

int
store_day_update(struct store *s, const struct store_day *d, struct err *e)
{
	static const char sql[] =
	    "UPDATE shoot_day SET day_date = ?, unit = ?, general_call = ?, wrap_estimate = ? "
	    "WHERE production_id = ? AND id = ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, d->date, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, d->unit, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, d->general_call, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, d->wrap_estimate, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, d->production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, d->id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return unique_or_err(s, "/date", "that unit already has a shoot day on that date",
		                     "update shoot day", e);
	return sqlite3_changes(s->db) > 0 ? 1 : 0;
}

int
store_day_get(struct store *s, const char *production_id, const char *id, struct store_day *out,
              struct err *e)
{
	static const char sql[] = DAY_SELECT "WHERE d.production_id = ? AND d.id = ?";
	sqlite3_stmt *st = NULL;
	int rc = sq_row_in(s, sql, production_id, id, "read shoot day", &st, e);
	if (rc != 1)
		return rc;
	read_day(st, out);
	sqlite3_reset(st);
	return 1;
}

int
store_day_list(struct store *s, const char *production_id,
               void (*fn)(const struct store_day *, void *), void *arg, struct err *e)
{
	static const char sql[] =
	    DAY_SELECT "WHERE d.production_id = ? ORDER BY d.day_date, d.unit";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	struct store_day d;
	int rc;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_day(st, &d);
		fn(&d, arg);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sq_db_err(s, e, "list shoot days");
}

/* Replaces the rows of a link table (day_location, day_scene, scene_cast) for one owner. */
static int
set_links(struct store *s, const char *del_sql, const char *ins_sql, const char *owner,
          const char *const *ids, size_t n, const char *field, struct err *e)
{
	sqlite3_stmt *st = sq_prepare(s, del_sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
	if (sq_run(s, st, "clear links", e) == -1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int rc;
		if ((st = sq_prepare(s, ins_sql, e)) == NULL)
			return -1;
		sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, ids[i], -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)i);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return unique_or_err(s, field, "the same id appears twice", "link", e);
	}
	return 0;
}

int
store_day_set_locations(struct store *s, const char *day_id, const char *const *ids, size_t n,
                        struct err *e)
{
	static const char del[] = "DELETE FROM day_location WHERE day_id = ?";
	static const char ins[] =
	    "INSERT INTO day_location (day_id, location_id, position) VALUES (?, ?, ?)";
	return set_links(s, del, ins, day_id, ids, n, "/locations", e);
}

int
store_day_set_scenes(struct store *s, const char *day_id, const char *const *ids, size_t n,
                     struct err *e)
{
	static const char del[] = "DELETE FROM day_scene WHERE day_id = ?";
	static const char ins[] =
	    "INSERT INTO day_scene (day_id, scene_id, position) VALUES (?, ?, ?)";
	return set_links(s, del, ins, day_id, ids, n, "/scenes", e);
}

int
store_day_locations(struct store *s, const char *day_id, void (*fn)(const char *, void *),
                    void *arg, struct err *e)
{
	static const char sql[] =
	    "SELECT location_id FROM day_location WHERE day_id = ? ORDER BY position";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, day_id, -1, SQLITE_STATIC);
	return each_id(s, st, "list a day's locations", fn, arg, e);
}

int
store_day_scenes(struct store *s, const char *day_id, void (*fn)(const char *, void *), void *arg,
                 struct err *e)
{
	static const char sql[] =
	    "SELECT scene_id FROM day_scene WHERE day_id = ? ORDER BY position";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, day_id, -1, SQLITE_STATIC);
	return each_id(s, st, "list a day's scenes", fn, arg, e);
}

/* ---- scenes ---- */

#define SCENE_COLS                                                                                 \
	"s.id, s.production_id, s.number, s.int_ext, s.day_night, s.set_name, "                    \
	"s.eighths, s.synopsis "

static void
read_scene(struct store *s, sqlite3_stmt *st, struct store_scene *sc, int open)
{
	struct seal_field f = {sc->synopsis, sizeof(sc->synopsis)};
	memset(sc, 0, sizeof(*sc));
	sq_copy_col(st, 0, sc->id, sizeof(sc->id));
	sq_copy_col(st, 1, sc->production_id, sizeof(sc->production_id));
	sq_copy_col(st, 2, sc->number, sizeof(sc->number));
	sq_copy_col(st, 3, sc->int_ext, sizeof(sc->int_ext));
	sq_copy_col(st, 4, sc->day_night, sizeof(sc->day_night));
	sq_copy_col(st, 5, sc->set_name, sizeof(sc->set_name));
	sc->eighths = sqlite3_column_int(st, 6);
	if (open) {
		open_group(s, st, 7, "scene", "synopsis", sc->id, &f, 1);
		sc->opened = 1;
	}
}

static int
seal_synopsis(struct store *s, const struct store_scene *sc, char **env, struct err *e)
{
	char copy[sizeof(sc->synopsis)];
	struct seal_field f = {copy, sizeof(copy)};
	int rc;
	snprintf(copy, sizeof(copy), "%s", sc->synopsis);
	rc = seal_fields(s, sc->production_id, "scene", "synopsis", sc->id, &f, 1, env, e);
	sodium_memzero(copy, sizeof(copy));
	return rc;
}

int
store_scene_create(struct store *s, struct store_scene *sc, struct err *e)
{
	static const char sql[] =
	    "INSERT INTO scene (id, production_id, number, int_ext, day_night, set_name, eighths, "
	    "synopsis) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st;
	char *env = NULL;
	int rc;

	sq_new_id(s, sc->id, sizeof(sc->id), "scn");
	if (s->keys == NULL)
		return err_set(e, 500, "the store was opened without the keystore");
	if (keyring_create(s->keys, sc->production_id, "production", e) == -1 ||
	    seal_synopsis(s, sc, &env, e) == -1)
		return -1;
	if ((st = sq_prepare(s, sql, e)) == NULL) {
		free(env);
		return -1;
	}
	sqlite3_bind_text(st, 1, sc->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, sc->production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, sc->number, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, sc->int_ext, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, sc->day_night, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, sc->set_name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 7, sc->eighths);
	sq_bind_opt(st, 8, env);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	free(env);
	if (rc != SQLITE_DONE)
		return unique_or_err(s, "/number",
		                     "the production already has a scene of that number",
		                     "create scene", e);
	sc->opened = 1;
	return 0;
}

int
store_scene_update(struct store *s, const struct store_scene *sc, struct err *e)
{
	static const char sql[] =
	    "UPDATE scene SET number = ?, int_ext = ?, day_night = ?, set_name = ?, eighths = ?, "
	    "synopsis = ? WHERE production_id = ? AND id = ?";
	sqlite3_stmt *st;
	char *env = NULL;
	int rc;

	if (seal_synopsis(s, sc, &env, e) == -1)
		return -1;
	if ((st = sq_prepare(s, sql, e)) == NULL) {
		free(env);
		return -1;
	}
	sqlite3_bind_text(st, 1, sc->number, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, sc->int_ext, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, sc->day_night, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, sc->set_name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, sc->eighths);
	sq_bind_opt(st, 6, env);
	sqlite3_bind_text(st, 7, sc->production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, sc->id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	free(env);
	if (rc != SQLITE_DONE)
		return unique_or_err(s, "/number",
		                     "the production already has a scene of that number",
		                     "update scene", e);
	return sqlite3_changes(s->db) > 0 ? 1 : 0;
}

int
store_scene_get(struct store *s, const char *production_id, const char *id, int open,
                struct store_scene *out, struct err *e)
{
	static const char sql[] =
	    "SELECT " SCENE_COLS "FROM scene s WHERE s.production_id = ? AND s.id = ?";
	sqlite3_stmt *st = NULL;
	int rc = sq_row_in(s, sql, production_id, id, "read scene", &st, e);
	if (rc != 1)
		return rc;
	read_scene(s, st, out, open);
	sqlite3_reset(st);
	return 1;
}

int
store_scene_list(struct store *s, const char *production_id, const char *day_id,
                 int (*want)(const struct store_scene *, void *),
                 void (*fn)(const struct store_scene *, void *), void *arg, struct err *e)
{
	static const char all[] = "SELECT " SCENE_COLS "FROM scene s WHERE s.production_id = ? "
	                          "ORDER BY length(s.number), s.number";
	static const char of_day[] =
	    "SELECT " SCENE_COLS "FROM day_scene ds JOIN scene s ON s.id = ds.scene_id "
	    "WHERE s.production_id = ? AND ds.day_id = ? ORDER BY ds.position";
	sqlite3_stmt *st = sq_prepare(s, day_id ? of_day : all, e);
	struct store_scene sc;
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	if (day_id != NULL)
		sqlite3_bind_text(st, 2, day_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int open;
		read_scene(s, st, &sc, 0);
		if ((open = want(&sc, arg)) < 0)
			continue;
		if (open)
			read_scene(s, st, &sc, 1);
		fn(&sc, arg);
	}
	sqlite3_reset(st);
	sodium_memzero(&sc, sizeof(sc));
	return rc == SQLITE_DONE ? 0 : sq_db_err(s, e, "list scenes");
}

int
store_scene_set_cast(struct store *s, const char *scene_id, const char *const *person_ids, size_t n,
                     struct err *e)
{
	static const char del[] = "DELETE FROM scene_cast WHERE scene_id = ?";
	static const char ins[] =
	    "INSERT INTO scene_cast (scene_id, person_id) SELECT ?1, ?2 WHERE ?3 >= 0";
	return set_links(s, del, ins, scene_id, person_ids, n, "/cast", e);
}

int
store_scene_cast(struct store *s, const char *scene_id, void (*fn)(const char *, void *), void *arg,
                 struct err *e)
{
	static const char sql[] =
	    "SELECT sc.person_id FROM scene_cast sc JOIN person p ON p.id = sc.person_id "
	    "WHERE sc.scene_id = ? ORDER BY p.name";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, scene_id, -1, SQLITE_STATIC);
	return each_id(s, st, "list a scene's cast", fn, arg, e);
}

/* ---- calls ---- */

int
store_call_put(struct store *s, struct store_call *c, struct err *e)
{
	static const char sql[] =
	    "INSERT INTO call (id, production_id, day_id, person_id, call_time, pickup, "
	    "hair_makeup, on_set, cast_status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
	    "ON CONFLICT (day_id, person_id) DO UPDATE SET call_time = excluded.call_time, "
	    "pickup = excluded.pickup, hair_makeup = excluded.hair_makeup, "
	    "on_set = excluded.on_set, cast_status = excluded.cast_status";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sq_new_id(s, c->id, sizeof(c->id), "cal");
	sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, c->day_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, c->person_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, c->call_time, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, c->pickup, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, c->hair_makeup, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, c->on_set, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, c->cast_status, -1, SQLITE_STATIC);
	return sq_run(s, st, "set call", e) == -1 ? -1 : 0;
}

int
store_call_delete(struct store *s, const char *day_id, const char *person_id, struct err *e)
{
	static const char sql[] = "DELETE FROM call WHERE day_id = ? AND person_id = ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int n;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, day_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, person_id, -1, SQLITE_STATIC);
	n = sq_run(s, st, "delete call", e);
	return n < 0 ? -1 : n > 0;
}

int
store_call_list(struct store *s, const char *production_id, const char *day_id,
                const char *person_id, void (*fn)(const struct store_call *, void *), void *arg,
                struct err *e)
{
	/*
	 * One statement per filter, so each can use its index (call's UNIQUE (day_id, person_id),
	 * call_person, call_production): an "?2 IS NULL OR c.day_id = ?2" filter would scan
	 * every call of the instance on each call sheet read.
	 */
#define CALL_SELECT                                                                                \
	"SELECT c.id, c.production_id, c.day_id, c.person_id, c.call_time, c.pickup, "             \
	"c.hair_makeup, c.on_set, c.cast_status, COALESCE(p.department_id, ''), "                  \
	"COALESCE(dep.position, -1), COALESCE(dc.call_time, ''), p.name "                          \
	"FROM call c JOIN person p ON p.id = c.person_id JOIN shoot_day d ON d.id = c.day_id "     \
	"LEFT JOIN department dep ON dep.id = p.department_id "                                    \
	"LEFT JOIN department_call dc ON dc.day_id = c.day_id "                                    \
	"AND dc.department_id = p.department_id WHERE c.production_id = ?1 "
#define CALL_ORDER                                                                                 \
	"ORDER BY d.day_date, COALESCE(NULLIF(c.call_time, ''), dc.call_time, ''), p.name"
	static const char *const sql[4] = {
	    CALL_SELECT CALL_ORDER,
	    CALL_SELECT "AND c.day_id = ?2 " CALL_ORDER,
	    CALL_SELECT "AND c.person_id = ?3 " CALL_ORDER,
	    CALL_SELECT "AND c.day_id = ?2 AND c.person_id = ?3 " CALL_ORDER,
	};
#undef CALL_SELECT
#undef CALL_ORDER
	sqlite3_stmt *st = sq_prepare(s, sql[(day_id != NULL) | (person_id != NULL) << 1], e);
	struct store_call c;
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	if (day_id != NULL)
		sqlite3_bind_text(st, 2, day_id, -1, SQLITE_STATIC);
	if (person_id != NULL)
		sqlite3_bind_text(st, 3, person_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&c, 0, sizeof(c));
		sq_copy_col(st, 0, c.id, sizeof(c.id));
		sq_copy_col(st, 1, c.production_id, sizeof(c.production_id));
		sq_copy_col(st, 2, c.day_id, sizeof(c.day_id));
		sq_copy_col(st, 3, c.person_id, sizeof(c.person_id));
		sq_copy_col(st, 4, c.call_time, sizeof(c.call_time));
		sq_copy_col(st, 5, c.pickup, sizeof(c.pickup));
		sq_copy_col(st, 6, c.hair_makeup, sizeof(c.hair_makeup));
		sq_copy_col(st, 7, c.on_set, sizeof(c.on_set));
		sq_copy_col(st, 8, c.cast_status, sizeof(c.cast_status));
		sq_copy_col(st, 9, c.person_department_id, sizeof(c.person_department_id));
		c.department_position = sqlite3_column_int(st, 10);
		sq_copy_col(st, 11, c.department_call, sizeof(c.department_call));
		sq_copy_col(st, 12, c.person_name, sizeof(c.person_name));
		fn(&c, arg);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sq_db_err(s, e, "list calls");
}

int
store_department_call_put(struct store *s, const struct store_department_call *dc, struct err *e)
{
	static const char sql[] =
	    "INSERT INTO department_call (day_id, department_id, call_time) VALUES (?, ?, ?) "
	    "ON CONFLICT (day_id, department_id) DO UPDATE SET call_time = excluded.call_time";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, dc->day_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, dc->department_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, dc->call_time, -1, SQLITE_STATIC);
	return sq_run(s, st, "set department call", e) == -1 ? -1 : 0;
}

int
store_department_call_delete(struct store *s, const char *day_id, const char *department_id,
                             struct err *e)
{
	static const char following[] =
	    "SELECT COUNT(*) FROM call c JOIN person p ON p.id = c.person_id "
	    "WHERE c.day_id = ? AND p.department_id = ? AND c.call_time = ''";
	static const char sql[] =
	    "DELETE FROM department_call WHERE day_id = ? AND department_id = ?";
	long n = 0;
	sqlite3_stmt *st;

	if ((st = sq_prepare(s, following, e)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, day_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, department_id, -1, SQLITE_STATIC);
	if (sq_count_of(s, st, "count calls following a department call", &n, e) == -1)
		return -1;
	if (n > 0)
		return err_field(e, 409, "/call",
		                 "%ld call%s of this day follow the department's call; give them "
		                 "their own times first",
		                 n, n == 1 ? "" : "s");
	if ((st = sq_prepare(s, sql, e)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, day_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, department_id, -1, SQLITE_STATIC);
	return sq_run(s, st, "delete department call", e);
}

int
store_department_call_list(struct store *s, const char *day_id,
                           void (*fn)(const struct store_department_call *, void *), void *arg,
                           struct err *e)
{
	static const char sql[] =
	    "SELECT dc.day_id, dc.department_id, d.name, dc.call_time FROM department_call dc "
	    "JOIN department d ON d.id = dc.department_id WHERE dc.day_id = ? "
	    "ORDER BY d.position, d.name";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	struct store_department_call dc;
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, day_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&dc, 0, sizeof(dc));
		sq_copy_col(st, 0, dc.day_id, sizeof(dc.day_id));
		sq_copy_col(st, 1, dc.department_id, sizeof(dc.department_id));
		sq_copy_col(st, 2, dc.department, sizeof(dc.department));
		sq_copy_col(st, 3, dc.call_time, sizeof(dc.call_time));
		fn(&dc, arg);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sq_db_err(s, e, "list department calls");
}

/* ---- call sheets ---- */

int
store_callsheet_publish(struct store *s, struct store_callsheet *cs,
                        const char *const *location_ids, size_t nloc,
                        const char *const *recipient_ids, size_t nrec, struct err *e)
{
	static const char next[] =
	    "SELECT COALESCE(MAX(version), 0) + 1 FROM callsheet WHERE day_id = ?";
	static const char ins[] =
	    "INSERT INTO callsheet (id, production_id, day_id, version, body, published_by, "
	    "published_at) VALUES (?, ?, ?, ?, ?, ?, ?)";
	static const char loc[] =
	    "INSERT INTO callsheet_location (callsheet_id, location_id) VALUES (?, ?)";
	static const char rec[] =
	    "INSERT INTO callsheet_recipient (callsheet_id, person_id) VALUES (?, ?)";
	struct keyring_place place = {"callsheet", "body", NULL};
	sqlite3_stmt *st = sq_prepare(s, next, e);
	char *env;
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, cs->day_id, -1, SQLITE_STATIC);
	if ((rc = sq_one_row(s, st, "number a call sheet", e)) != 1)
		return rc == 0 ? sq_db_err(s, e, "number a call sheet") : -1;
	if (!s->keep_ids || cs->version != sqlite3_column_int(st, 0) ||
	    cs->published_at[0] == '\0') {
		cs->version = sqlite3_column_int(st, 0);
		sq_now_rfc3339(cs->published_at, sizeof(cs->published_at));
	}
	sqlite3_reset(st);
	sq_new_id(s, cs->id, sizeof(cs->id), "cs");
	place.row_id = cs->id;
	if (s->keys == NULL)
		return err_set(e, 500, "the store was opened without the keystore");
	if (keyring_create(s->keys, cs->production_id, "production", e) == -1 ||
	    (env = keyring_seal(s->keys, cs->production_id, &place, cs->body, strlen(cs->body),
	                        e)) == NULL)
		return -1;
	if ((st = sq_prepare(s, ins, e)) == NULL) {
		free(env);
		return -1;
	}
	sqlite3_bind_text(st, 1, cs->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, cs->production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, cs->day_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, cs->version);
	sqlite3_bind_text(st, 5, env, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, cs->published_by, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, cs->published_at, -1, SQLITE_STATIC);
	rc = sq_run(s, st, "publish a call sheet", e);
	free(env);
	if (rc == -1)
		return -1;
	for (size_t i = 0; i < nloc + nrec; i++) {
		if ((st = sq_prepare(s, i < nloc ? loc : rec, e)) == NULL)
			return -1;
		sqlite3_bind_text(st, 1, cs->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, i < nloc ? location_ids[i] : recipient_ids[i - nloc], -1,
		                  SQLITE_STATIC);
		if (sq_run(s, st, "record a call sheet's places and people", e) == -1)
			return -1;
	}
	return 0;
}

#define CALLSHEET_SELECT                                                                           \
	"SELECT id, production_id, day_id, version, published_by, published_at, body "             \
	"FROM callsheet "

static void
read_callsheet(sqlite3_stmt *st, struct store_callsheet *cs)
{
	memset(cs, 0, sizeof(*cs));
	sq_copy_col(st, 0, cs->id, sizeof(cs->id));
	sq_copy_col(st, 1, cs->production_id, sizeof(cs->production_id));
	sq_copy_col(st, 2, cs->day_id, sizeof(cs->day_id));
	cs->version = sqlite3_column_int(st, 3);
	sq_copy_col(st, 4, cs->published_by, sizeof(cs->published_by));
	sq_copy_col(st, 5, cs->published_at, sizeof(cs->published_at));
}

int
store_callsheet_get(struct store *s, const char *production_id, const char *id, int want_body,
                    struct store_callsheet *out, struct err *e)
{
	static const char sql[] = CALLSHEET_SELECT "WHERE production_id = ? AND id = ?";
	sqlite3_stmt *st = NULL;
	int rc = sq_row_in(s, sql, production_id, id, "read a call sheet", &st, e);
	if (rc != 1)
		return rc;
	read_callsheet(st, out);
	if (want_body) {
		struct keyring_place place = {"callsheet", "body", out->id};
		size_t n = 0;
		rc = s->keys == NULL
		         ? -1
		         : keyring_unseal(s->keys, &place, (const char *)sqlite3_column_text(st, 6),
		                          &out->body, &n, e);
		if (rc != 1) {
			sqlite3_reset(st);
			free(out->body);
			out->body = NULL;
			return err_set(e, 500, "call sheet %s does not open", out->id);
		}
	}
	sqlite3_reset(st);
	return 1;
}

int
store_callsheet_list(struct store *s, const char *production_id, const char *day_id,
                     void (*fn)(const struct store_callsheet *, void *), void *arg, struct err *e)
{
	static const char sql[] =
	    CALLSHEET_SELECT "WHERE production_id = ? AND day_id = ? ORDER BY version DESC";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	struct store_callsheet cs;
	int rc;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, day_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_callsheet(st, &cs);
		fn(&cs, arg);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sq_db_err(s, e, "list call sheets");
}

int
store_callsheet_ack(struct store *s, const char *callsheet_id, const char *person_id, struct err *e)
{
	return store_callsheet_ack_via(s, callsheet_id, person_id, "app", e);
}

int
store_callsheet_recipients(struct store *s, const char *callsheet_id,
                           void (*fn)(const char *, const char *, void *), void *arg, struct err *e)
{
	static const char sql[] =
	    "SELECT r.person_id, COALESCE(r.acknowledged_at, '') FROM callsheet_recipient r "
	    "JOIN person p ON p.id = r.person_id WHERE r.callsheet_id = ? ORDER BY p.name";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, callsheet_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn((const char *)sqlite3_column_text(st, 0),
		   (const char *)sqlite3_column_text(st, 1), arg);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sq_db_err(s, e, "list call sheet recipients");
}

int
store_callsheet_latest_from(struct store *s, const char *production_id, const char *from_date,
                            const char *person_id,
                            void (*fn)(const struct store_my_sheet *, void *), void *arg,
                            struct err *e)
{
	/* the acknowledged version: newest first, so its id and version agree */
	static const char sql[] =
	    "SELECT c.id, c.production_id, c.day_id, c.version, c.published_by, c.published_at, "
	    "d.day_date, d.cancelled_at IS NOT NULL, "
	    "EXISTS (SELECT 1 FROM callsheet_recipient r WHERE r.callsheet_id = c.id "
	    "AND r.person_id = ?3), "
	    "(SELECT o.id FROM callsheet o JOIN callsheet_recipient r ON r.callsheet_id = o.id "
	    "WHERE o.day_id = c.day_id AND r.person_id = ?3 AND r.acknowledged_at IS NOT NULL "
	    "ORDER BY o.version DESC LIMIT 1), "
	    "(SELECT o.version FROM callsheet o JOIN callsheet_recipient r ON r.callsheet_id = "
	    "o.id "
	    "WHERE o.day_id = c.day_id AND r.person_id = ?3 AND r.acknowledged_at IS NOT NULL "
	    "ORDER BY o.version DESC LIMIT 1) "
	    "FROM callsheet c JOIN shoot_day d ON d.id = c.day_id "
	    "WHERE c.production_id = ?1 AND d.day_date >= ?2 "
	    "AND c.version = (SELECT MAX(m.version) FROM callsheet m WHERE m.day_id = c.day_id) "
	    "ORDER BY d.day_date, d.unit, d.id";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	struct store_my_sheet m;
	int rc;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, from_date, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, person_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&m, 0, sizeof(m));
		read_callsheet(st, &m.cs);
		sq_copy_col(st, 6, m.date, sizeof(m.date));
		m.cancelled = sqlite3_column_int(st, 7);
		m.calls_person = sqlite3_column_int(st, 8);
		sq_copy_col(st, 9, m.acked_id, sizeof(m.acked_id));
		m.acked_version = sqlite3_column_int(st, 10);
		fn(&m, arg);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sq_db_err(s, e, "list the latest call sheets");
}

int
store_person_id_of_user(struct store *s, const char *production_id, const char *user_id,
                        char out[STORE_ID_LEN + 8], struct err *e)
{
	static const char sql[] = "SELECT id FROM person WHERE production_id = ? AND user_id = ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, user_id, -1, SQLITE_STATIC);
	if ((rc = sq_one_row(s, st, "read a person's id", e)) != 1)
		return rc;
	sq_copy_col(st, 0, out, STORE_ID_LEN + 8);
	sqlite3_reset(st);
	return 1;
}

int
store_location_published(struct store *s, const char *location_id, struct err *e)
{
	static const char sql[] = "SELECT COUNT(*) FROM callsheet_location WHERE location_id = ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	long n = 0;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, location_id, -1, SQLITE_STATIC);
	if (sq_count_of(s, st, "check a published location", &n, e) == -1)
		return -1;
	return n > 0;
}

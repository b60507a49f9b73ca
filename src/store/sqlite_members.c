/*
 * sqlite_members.c — productions, memberships and invitations over SQLite
 * (store.h): who belongs to which production in which role, and the
 * single-use invitations that bring them in.
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
store_production_create(struct store *s, struct store_production *p, struct err *e)
{
	static const char sql[] =
	    "INSERT INTO production (id, name, timezone, created_at) VALUES (?, ?, ?, ?)";
	static const char dept[] =
	    "INSERT INTO department (id, production_id, name, position) VALUES (?, ?, ?, ?)";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	char now[32], id[STORE_ID_LEN + 8];

	if (st == NULL)
		return -1;
	sq_new_id(s, p->id, sizeof(p->id), "prd");
	if (s->keys != NULL && keyring_create(s->keys, p->id, "production", e) == -1)
		return -1;
	sq_now_rfc3339(now, sizeof(now));
	sqlite3_bind_text(st, 1, p->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, p->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, p->timezone, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
	if (sq_run(s, st, "create production", e) == -1)
		return -1;
	for (int i = 0; !s->keep_ids && store_departments_default[i] != NULL; i++) {
		if ((st = sq_prepare(s, dept, e)) == NULL)
			return -1;
		store_new_id(id, sizeof(id), "dep");
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, p->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, store_departments_default[i], -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 4, i);
		if (sq_run(s, st, "create department", e) == -1)
			return -1;
	}
	/* its factor set follows where it shoots (domain/factorzone.h), chosen once, here */
	{
		struct store_carbon_settings cs = {.include_rf = 1, .budget_g = -1};
		snprintf(cs.factor_set, sizeof(cs.factor_set), "%s",
		         factorzone_default_set(p->timezone));
		if (store_carbon_settings_put(s, p->id, &cs, e) == -1)
			return -1;
	}
	return 0;
}
int
store_production_get(struct store *s, const char *id, struct store_production *out, struct err *e)
{
	static const char sql[] = "SELECT id, name, timezone, require_mfa, link_access, "
	                          "remind_hours_before, COALESCE(archived_at, 0), "
	                          "COALESCE(closed_at, 0), COALESCE(deletion_due, 0) "
	                          "FROM production WHERE id = ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = sq_one_row(s, st, "find production", e)) == 1) {
		sq_copy_col(st, 0, out->id, sizeof(out->id));
		sq_copy_col(st, 1, out->name, sizeof(out->name));
		sq_copy_col(st, 2, out->timezone, sizeof(out->timezone));
		out->require_mfa = sqlite3_column_int(st, 3);
		out->link_access = sqlite3_column_int(st, 4);
		out->remind_hours_before = sqlite3_column_int(st, 5);
		out->archived_at = sqlite3_column_int64(st, 6);
		out->closed_at = sqlite3_column_int64(st, 7);
		out->deletion_due = sqlite3_column_int64(st, 8);
		sqlite3_reset(st);
	}
	return rc;
}
int
store_production_set_require_mfa(struct store *s, const char *id, int on, struct err *e)
{
	static const char sql[] = "UPDATE production SET require_mfa = ? WHERE id = ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, on != 0);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	return sq_run(s, st, "set require_mfa", e) == -1 ? -1 : 0;
}
int
store_production_list(struct store *s, const char *user_id, int all,
                      void (*fn)(const struct store_production *, const char *, void *), void *arg,
                      struct err *e)
{
	static const char sql[] =
	    "SELECT p.id, p.name, p.timezone, m.role, p.require_mfa, p.link_access, "
	    "p.remind_hours_before, COALESCE(p.archived_at, 0), COALESCE(p.closed_at, 0), "
	    "COALESCE(p.deletion_due, 0) FROM production p "
	    "LEFT JOIN membership m ON m.production_id = p.id AND m.user_id = ?1 "
	    "AND m.revoked_at IS NULL WHERE ?2 OR m.id IS NOT NULL ORDER BY p.name, p.id";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, all != 0);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_production p;
		sq_copy_col(st, 0, p.id, sizeof(p.id));
		sq_copy_col(st, 1, p.name, sizeof(p.name));
		sq_copy_col(st, 2, p.timezone, sizeof(p.timezone));
		p.require_mfa = sqlite3_column_int(st, 4);
		p.link_access = sqlite3_column_int(st, 5);
		p.remind_hours_before = sqlite3_column_int(st, 6);
		p.archived_at = sqlite3_column_int64(st, 7);
		p.closed_at = sqlite3_column_int64(st, 8);
		p.deletion_due = sqlite3_column_int64(st, 9);
		fn(&p, (const char *)sqlite3_column_text(st, 3), arg);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sq_db_err(s, e, "list productions");
}
#define MEMBER_SELECT                                                                              \
	"SELECT m.id, m.production_id, m.role, COALESCE(m.department_id, ''), "                    \
	"COALESCE(d.name, ''), m.revoked_at IS NOT NULL, " USER_COLS                               \
	" FROM membership m JOIN app_user u ON u.id = m.user_id "                                  \
	"LEFT JOIN department d ON d.id = m.department_id "
static void
read_member_as(struct store *s, sqlite3_stmt *st, struct store_membership *m, int with_email)
{
	sq_copy_col(st, 0, m->id, sizeof(m->id));
	sq_copy_col(st, 1, m->production_id, sizeof(m->production_id));
	sq_copy_col(st, 2, m->role, sizeof(m->role));
	sq_copy_col(st, 3, m->department_id, sizeof(m->department_id));
	sq_copy_col(st, 4, m->department, sizeof(m->department));
	m->revoked = sqlite3_column_int(st, 5);
	sq_read_account(s, st, 6, &m->user, with_email);
}

static void
read_member(struct store *s, sqlite3_stmt *st, struct store_membership *m)
{
	read_member_as(s, st, m, 1);
}
static int
member_one(struct store *s, const char *sql, const char *a, const char *b,
           struct store_membership *out, struct err *e)
{
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	if ((rc = sq_one_row(s, st, "find membership", e)) == 1) {
		read_member(s, st, out);
		sqlite3_reset(st);
	}
	return rc;
}
int
store_membership_of(struct store *s, const char *production_id, const char *user_id,
                    struct store_membership *out, struct err *e)
{
	static const char sql[] = MEMBER_SELECT "WHERE m.production_id = ? AND m.user_id = ?";
	return member_one(s, sql, production_id, user_id, out, e);
}
int
store_membership_standing(struct store *s, const char *production_id, const char *user_id,
                          struct store_membership *out, struct err *e)
{
	static const char sql[] = MEMBER_SELECT "WHERE m.production_id = ? AND m.user_id = ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, user_id, -1, SQLITE_STATIC);
	if ((rc = sq_one_row(s, st, "find membership", e)) == 1) {
		read_member_as(s, st, out, 0);
		sqlite3_reset(st);
	}
	return rc;
}

int
store_membership_get(struct store *s, const char *production_id, const char *id,
                     struct store_membership *out, struct err *e)
{
	static const char sql[] = MEMBER_SELECT "WHERE m.production_id = ? AND m.id = ?";
	return member_one(s, sql, production_id, id, out, e);
}
int
store_membership_add(struct store *s, const char *production_id, const char *user_id,
                     const char *role, const char *department_id, char *id_out, size_t len,
                     struct err *e)
{
	static const char sql[] =
	    "INSERT INTO membership (id, production_id, user_id, role, department_id, created_at) "
	    "VALUES (?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	char now[32];
	int rc;

	if (st == NULL)
		return -1;
	sq_new_id(s, id_out, len, "mem");
	sq_now_rfc3339(now, sizeof(now));
	sqlite3_bind_text(st, 1, id_out, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, user_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, role, -1, SQLITE_STATIC);
	sq_bind_opt(st, 5, department_id);
	sqlite3_bind_text(st, 6, now, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		return err_set(e, 409, "that person is already a member of this production");
	if (rc != SQLITE_DONE)
		return sq_db_err(s, e, "add member");
	return 0;
}
int
store_membership_set(struct store *s, const char *id, const char *role, const char *department_id,
                     struct err *e)
{
	static const char sql[] = "UPDATE membership SET role = ?, department_id = ? WHERE id = ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, role, -1, SQLITE_STATIC);
	sq_bind_opt(st, 2, department_id);
	sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
	return sq_run(s, st, "change member", e) == -1 ? -1 : 0;
}
int
store_membership_revoke(struct store *s, const char *id, int revoked, struct err *e)
{
	static const char sql[] = "UPDATE membership SET revoked_at = ? WHERE id = ?";
	/* the member's tokens for this production end with the membership, for good */
	static const char tokens[] =
	    "UPDATE api_token SET revoked_at = ? WHERE revoked_at IS NULL AND EXISTS ("
	    "SELECT 1 FROM membership m WHERE m.id = ? AND m.user_id = api_token.user_id "
	    "AND m.production_id = api_token.production_id)";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	char now[32];
	if (st == NULL)
		return -1;
	sq_now_rfc3339(now, sizeof(now));
	sq_bind_opt(st, 1, revoked ? now : NULL);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	if (sq_run(s, st, "revoke member", e) == -1)
		return -1;
	if (!revoked)
		return 0;
	if ((st = sq_prepare(s, tokens, e)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, (long long)time(NULL));
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	return sq_run(s, st, "revoke member's tokens", e) == -1 ? -1 : 0;
}
int
store_membership_list(struct store *s, const char *production_id,
                      void (*fn)(const struct store_membership *, void *), void *arg, struct err *e)
{
	static const char sql[] = MEMBER_SELECT "WHERE m.production_id = ? "
	                                        "ORDER BY u.display_name COLLATE NOCASE, u.id";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_membership m;
		read_member(s, st, &m);
		fn(&m, arg);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sq_db_err(s, e, "list members");
}
int
store_membership_count(struct store *s, const char *user_id, long *n, struct err *e)
{
	static const char sql[] =
	    "SELECT COUNT(*) FROM membership WHERE user_id = ? AND revoked_at IS NULL";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
	return sq_count_of(s, st, "count memberships", n, e);
}
int
store_department_find(struct store *s, const char *production_id, const char *name, char *id_out,
                      size_t len, struct err *e)
{
	/* the exact spelling first: names that differ in case only may predate the rule */
	static const char sql[] =
	    "SELECT id FROM department WHERE production_id = ? AND name = ?2 COLLATE NOCASE "
	    "ORDER BY name = ?2 DESC, position LIMIT 1";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	if ((rc = sq_one_row(s, st, "find department", e)) == 1) {
		sq_copy_col(st, 0, id_out, len);
		sqlite3_reset(st);
	}
	return rc;
}
int
store_membership_leaders(struct store *s, const char *production_id, long *n, struct err *e)
{
	/* a closed account's membership lives until its deletion, but leads nothing */
	static const char sql[] =
	    "SELECT COUNT(*) FROM membership WHERE production_id = ? AND revoked_at IS NULL AND "
	    "role IN ('production_admin', 'producer') AND user_id NOT IN "
	    "(SELECT id FROM app_user WHERE closed_at IS NOT NULL)";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	return sq_count_of(s, st, "count leaders", n, e);
}
static void
read_invitation(struct store *s, sqlite3_stmt *st, struct store_invitation *v)
{
	sq_copy_col(st, 0, v->id, sizeof(v->id));
	sq_copy_col(st, 1, v->production_id, sizeof(v->production_id));
	sq_unseal_col(s, st, 2, "invitation", "email", v->id, v->email, sizeof(v->email));
	sq_copy_col(st, 3, v->role, sizeof(v->role));
	sq_copy_col(st, 4, v->department_id, sizeof(v->department_id));
	v->created_at = sqlite3_column_int64(st, 5);
	v->expires_at = sqlite3_column_int64(st, 6);
	v->accepted = sqlite3_column_int(st, 7);
}
#define INVITATION_SELECT                                                                          \
	"SELECT id, production_id, email_sealed, role, COALESCE(department_id, ''), created_at, "  \
	"expires_at, accepted_at IS NOT NULL FROM invitation "
int
store_invitation_create(struct store *s, struct store_invitation *inv, const char *token_hash,
                        const char *invited_by, long long now, long long lifetime, struct err *e)
{
	static const char sql[] =
	    "INSERT INTO invitation (id, token_hash, production_id, email_sealed, role, "
	    "department_id, invited_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	char *sealed;
	int rc;
	if (st == NULL)
		return -1;
	store_new_id(inv->id, sizeof(inv->id), "inv");
	if ((sealed = sq_seal_text(s, KEYRING_INSTANCE, "invitation", "email", inv->id, inv->email,
	                           e)) == NULL)
		return -1;
	inv->created_at = now;
	inv->expires_at = now + lifetime;
	inv->accepted = 0;
	sqlite3_bind_text(st, 1, inv->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, token_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, inv->production_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, sealed, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, inv->role, -1, SQLITE_STATIC);
	sq_bind_opt(st, 6, inv->department_id[0] ? inv->department_id : NULL);
	sqlite3_bind_text(st, 7, invited_by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, now);
	sqlite3_bind_int64(st, 9, inv->expires_at);
	rc = sq_run(s, st, "create invitation", e) == -1 ? -1 : 0;
	free(sealed);
	return rc;
}
int
store_invitation_peek(struct store *s, const char *token_hash, long long now,
                      struct store_invitation *out, struct err *e)
{
	static const char sql[] =
	    INVITATION_SELECT "WHERE token_hash = ? AND accepted_at IS NULL AND expires_at > ?";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, token_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	if ((rc = sq_one_row(s, st, "read invitation", e)) == 1) {
		read_invitation(s, st, out);
		sqlite3_reset(st);
	}
	return rc;
}
int
store_invitation_spend(struct store *s, const char *id, long long now, struct err *e)
{
	static const char sql[] = "UPDATE invitation SET accepted_at = ?1 WHERE id = ?2 "
	                          "AND accepted_at IS NULL AND expires_at > ?3";
	return sq_spend_once(s, sql, id, now, "accept invitation", e);
}
int
store_invitation_list(struct store *s, const char *production_id, long long now,
                      void (*fn)(const struct store_invitation *, void *), void *arg, struct err *e)
{
	static const char sql[] =
	    INVITATION_SELECT "WHERE production_id = ? AND accepted_at IS NULL AND expires_at > ? "
	                      "ORDER BY created_at, id";
	sqlite3_stmt *st = sq_prepare(s, sql, e);
	int rc;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, production_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_invitation v;
		read_invitation(s, st, &v);
		fn(&v, arg);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sq_db_err(s, e, "list invitations");
}

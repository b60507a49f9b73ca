/*
 * productions_close_due (api/closing.c) on a real SQLite store with a real
 * keystore: a closed production past its grace loses its keys, its rows
 * and its files, keeps its audit events and gains one `production.erase`;
 * a copy of the database taken before (VACUUM INTO, as a backup is) reads
 * its people's and locations' sealed fields as "[erased]" while another
 * production's still open; a production not yet due, or reopened, is
 * untouched; a dry run changes nothing.
 */
#include "cmocka_all.h"
#include "tmpdb.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "api/closing.h"
#include "audit/audit.h"
#include "crypto/keyring.h"
#include "store/store.h"
#include "store/store_sqlite.h"

static struct err e;

struct made {
	struct store_production p;
	struct store_person pe;
	struct store_location l;
	struct store_attachment a;
	char file[200];
};

/* A production with a person, a location, a member, a file on disk and an audit event. */
static void
make(struct store *s, const char *name, const char *uploads, struct made *m)
{
	struct store_user u;
	struct audit_entry ev = {NULL, "test", "person.create", NULL, "success", NULL, NULL};
	unsigned char fk[32];
	char mid[STORE_ID_LEN + 8];
	FILE *f;

	memset(m, 0, sizeof(*m));
	snprintf(m->p.name, sizeof(m->p.name), "%s", name);
	snprintf(m->p.timezone, sizeof(m->p.timezone), "Europe/London");
	assert_int_equal(store_production_create(s, &m->p, &e), 0);
	memset(&u, 0, sizeof(u));
	snprintf(u.email, sizeof(u.email), "lead@%s.example", name);
	snprintf(u.display_name, sizeof(u.display_name), "Lead");
	snprintf(u.password_hash, sizeof(u.password_hash), "$argon2id$fake");
	assert_int_equal(store_user_create(s, &u, &e), 0);
	assert_int_equal(
	    store_membership_add(s, m->p.id, u.id, "producer", NULL, mid, sizeof(mid), &e), 0);
	snprintf(m->pe.production_id, sizeof(m->pe.production_id), "%s", m->p.id);
	snprintf(m->pe.kind, sizeof(m->pe.kind), "crew");
	snprintf(m->pe.name, sizeof(m->pe.name), "Robin Marsh");
	snprintf(m->pe.personal_email, sizeof(m->pe.personal_email), "robin@home.example");
	snprintf(m->pe.home_address, sizeof(m->pe.home_address), "3 Mill Lane");
	assert_int_equal(store_person_create(s, &m->pe, &e), 0);
	snprintf(m->l.production_id, sizeof(m->l.production_id), "%s", m->p.id);
	snprintf(m->l.name, sizeof(m->l.name), "Quay");
	snprintf(m->l.address, sizeof(m->l.address), "1 Quay St");
	assert_int_equal(store_location_create(s, &m->l, &e), 0);
	store_new_id(m->a.id, sizeof(m->a.id), "att");
	snprintf(m->a.production_id, sizeof(m->a.production_id), "%s", m->p.id);
	snprintf(m->a.name, sizeof(m->a.name), "permit.pdf");
	snprintf(m->a.content_type, sizeof(m->a.content_type), "application/pdf");
	m->a.size = 5;
	snprintf(m->a.stored_name, sizeof(m->a.stored_name), "%s.sfe", m->a.id);
	snprintf(m->a.created_by, sizeof(m->a.created_by), "%s", u.id);
	memset(fk, 9, sizeof(fk));
	assert_int_equal(store_attachment_create(s, &m->a, fk, &e), 0);
	snprintf(m->file, sizeof(m->file), "%s/%s", uploads, m->a.stored_name);
	assert_non_null(f = fopen(m->file, "w"));
	fputs("bytes", f);
	fclose(f);
	ev.object = m->pe.id;
	ev.production_id = m->p.id;
	assert_int_equal(audit_record(s, &ev, &e), 0);
}

struct seen {
	int n;
	char newest_action[64], newest_actor[64], newest_object[64];
	int personal; /* an event naming the person's name or email */
};

static void
see(const struct store_audit_event *ev, void *arg)
{
	struct seen *x = arg;
	if (x->n++ == 0) {
		snprintf(x->newest_action, sizeof(x->newest_action), "%s", ev->action);
		snprintf(x->newest_actor, sizeof(x->newest_actor), "%s",
		         ev->actor ? ev->actor : "");
		snprintf(x->newest_object, sizeof(x->newest_object), "%s",
		         ev->object ? ev->object : "");
	}
	if ((ev->object && strstr(ev->object, "robin")) ||
	    (ev->actor && strstr(ev->actor, "Robin")))
		x->personal = 1;
}

static void
a_due_production_loses_keys_rows_and_files_and_keeps_its_audit(void **state)
{
	struct keyring *keys = tmpdb_keys();
	struct store *s, *copy;
	struct made x, y;
	struct closing_report rep;
	struct store_production got;
	struct store_person pe;
	struct store_location l;
	struct seen before = {0}, after = {0};
	char uploads[128], copy_path[160], sql[300];
	uint64_t was, now_epoch;
	FILE *devnull;
	(void)state;

	snprintf(uploads, sizeof(uploads), "%s/uploads", tmpdb_dir);
	assert_int_equal(mkdir(uploads, 0700), 0);
	assert_non_null(s = store_open(tmpdb_path, 1, keys, &e));
	make(s, "closing", uploads, &x);
	make(s, "staying", uploads, &y);
	/* x closed, due at 1000; y archived and closed, due at 5000 */
	assert_int_equal(store_production_set_archived(s, x.p.id, 10, &e), 1);
	assert_int_equal(store_production_set_closed(s, x.p.id, 20, 1000, &e), 1);
	assert_int_equal(store_production_set_archived(s, y.p.id, 10, &e), 1);
	assert_int_equal(store_production_set_closed(s, y.p.id, 20, 5000, &e), 1);
	assert_int_equal(store_audit_of_production(s, x.p.id, 0, 100, see, &before, &e), 0);

	/* the copy a backup would hold, taken before */
	snprintf(copy_path, sizeof(copy_path), "%s/copy.db", tmpdb_dir);
	snprintf(sql, sizeof(sql), "VACUUM INTO '%s'", copy_path);
	assert_non_null(devnull = fopen("/dev/null", "w"));
	assert_int_equal(store_sql(s, sql, 0, 1, devnull, &e), 0);
	fclose(devnull);

	/* nothing due yet; a dry run at 1000 counts and changes nothing */
	assert_int_equal(productions_close_due(s, keys, tmpdb_dir, uploads, 999, 0, &rep, &e), 0);
	assert_int_equal(rep.productions, 0);
	assert_int_equal(productions_close_due(s, keys, tmpdb_dir, uploads, 1000, 1, &rep, &e), 0);
	assert_int_equal(rep.productions, 1);
	assert_int_equal(rep.keys, 2); /* the person key and the production key */
	assert_int_equal(rep.files, 1);
	assert_int_equal(store_person_get(s, x.p.id, x.pe.id, STORE_PERSON_ALL, &pe, &e), 1);
	assert_string_equal(pe.personal_email, "robin@home.example");
	assert_int_equal(access(x.file, F_OK), 0);
	/* a keystore is needed: nothing could be shredded without one */
	assert_int_equal(productions_close_due(s, NULL, tmpdb_dir, uploads, 1000, 0, &rep, &e), -1);

	/* erased */
	assert_int_equal(productions_close_due(s, keys, tmpdb_dir, uploads, 1000, 0, &rep, &e), 0);
	assert_int_equal(rep.productions, 1);
	assert_int_equal(rep.keys, 2);
	assert_int_equal(rep.files, 1);
	assert_int_equal(rep.failed, 0);
	assert_int_equal(store_production_get(s, x.p.id, &got, &e), 0);
	assert_int_equal(store_person_get(s, x.p.id, x.pe.id, 0, &pe, &e), 0);
	assert_int_equal(store_location_get(s, x.p.id, x.l.id, 0, &l, &e), 0);
	assert_int_equal(store_attachment_get(s, x.p.id, x.a.id, &x.a, NULL, &e), 0);
	assert_int_equal(access(x.file, F_OK), -1);
	/* the deletion log names it and its person record, by id (backup/erasure.h) */
	{
		char logp[200], line[600], want[200];
		FILE *f;
		snprintf(logp, sizeof(logp), "%s/deletions.log", tmpdb_dir);
		assert_non_null(f = fopen(logp, "r"));
		assert_non_null(fgets(line, sizeof(line), f));
		fclose(f);
		snprintf(want, sizeof(want), " production %s %s ", x.p.id, x.pe.id);
		assert_non_null(strstr(line, want));
		assert_null(strstr(line, "Robin"));
	}
	/* its keys are gone: destroying them again finds no live key */
	assert_int_equal(keyring_destroy(keys, x.pe.id, &e), 0);
	assert_int_equal(keyring_destroy_production(keys, x.p.id, &e), 0);
	/* its audit events stay, with one more that names the production only */
	assert_int_equal(store_audit_of_production(s, x.p.id, 0, 100, see, &after, &e), 0);
	assert_int_equal(after.n, before.n + 1);
	assert_string_equal(after.newest_action, "production.erase");
	assert_string_equal(after.newest_actor, "slate");
	assert_string_equal(after.newest_object, x.p.id);
	assert_int_equal(after.personal, 0);
	/* the other production, not due, is whole; a second run finds nothing */
	assert_int_equal(store_person_get(s, y.p.id, y.pe.id, STORE_PERSON_ALL, &pe, &e), 1);
	assert_string_equal(pe.personal_email, "robin@home.example");
	assert_int_equal(access(y.file, F_OK), 0);
	assert_int_equal(productions_close_due(s, keys, tmpdb_dir, uploads, 1000, 0, &rep, &e), 0);
	assert_int_equal(rep.productions, 0);
	store_close(s);

	/* the copy from before: the rows are there, their sealed fields no longer open */
	assert_int_equal(store_accept_restore(copy_path, keys, &was, &now_epoch, &e), 0);
	if ((copy = store_open(copy_path, 0, keys, &e)) == NULL)
		fail_msg("the copy: %s", e.msg);
	assert_int_equal(store_person_get(copy, x.p.id, x.pe.id, STORE_PERSON_ALL, &pe, &e), 1);
	assert_string_equal(pe.name, "Robin Marsh"); /* the directory column is not sealed */
	assert_string_equal(pe.personal_email, KEYRING_ERASED);
	assert_string_equal(pe.home_address, KEYRING_ERASED);
	assert_int_equal(store_location_get(copy, x.p.id, x.l.id, 1, &l, &e), 1);
	assert_string_equal(l.address, KEYRING_ERASED);
	assert_int_equal(store_person_get(copy, y.p.id, y.pe.id, STORE_PERSON_ALL, &pe, &e), 1);
	assert_string_equal(pe.personal_email, "robin@home.example");
	store_close(copy);
	unlink(copy_path);
	unlink(y.file);
	rmdir(uploads);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        a_due_production_loses_keys_rows_and_files_and_keeps_its_audit, tmpdb_setup,
	        tmpdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

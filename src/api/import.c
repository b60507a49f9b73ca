/*
 * import.c — a production that left another Slate comes back: the JSON
 * export (version 2, scope all: api/export.c, api/export_v2.c) loaded as a
 * new production of this instance.
 *
 * POST /api/v1/productions/import (instance administrators; the body is
 * the export) and `slate import --data DIR FILE` (cli/import.c) both call
 * import_dataset.
 *
 * Identity. Every record keeps its id (store_keep_ids): the production,
 * its departments, memberships, people, locations, shoot days, scenes,
 * call sheets and sustainability entries. Ids are 128 random bits, so they
 * do not collide across instances; importing a production this instance
 * holds already is refused (409 at /production/id). What cannot keep its
 * id is said in docs/CONTRACT.md: accounts (a member is matched to this
 * instance's account of the same email, and `user_id` is that account's),
 * the production's own emission factors (integer ids of this database:
 * entries follow their factor), and a call's internal id (never shown).
 *
 * What does not come in, and is counted in the report's `not_imported`:
 * members with no account of their email here (listed by email, to invite
 * again), pending invitations (their links were sent from the other
 * instance and their tokens never leave it), links between a person record
 * and an account, the acknowledgements of call sheets, attachments (their
 * bytes are not in the JSON; an entry's evidence_id is then dropped) and
 * the audit log (this instance's hash chain cannot take another's events;
 * the import itself is audited here as `production.import`).
 *
 * Checks. Every record is checked as the API's handlers check a body of
 * the same fields (the same lengths, enumerations and domain/validate.c
 * shapes); references between records must point at records of the same
 * export. The first fault ends the import with e naming it as a JSON
 * pointer into the export ("/people/3/work_email") and nothing written:
 * the whole import is one transaction. Sealed fields are written through
 * the store's create calls, so they are sealed under this instance's keys
 * (a person key per person, the production key), never copied as
 * ciphertext.
 *
 * Memory: the report is one jansson tree for the caller; the maps of old
 * to new ids are jansson objects freed before returning.
 */
#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <sodium.h>

#include "api/sustainability.h"
#include "api/handlers.h"
#include "api/import.h"
#include "api/reply.h"
#include "api/session.h"
#include "audit/audit.h"
#include "api/view.h"
#include "domain/carbon.h"
#include "domain/carbon_resolve.h"
#include "domain/members.h"
#include "domain/validate.h"
#include "util/email.h"
#include "util/log.h"
#include "util/nitems.h"
#include "util/xalloc.h"

struct imp {
	struct store *s;
	struct err *e;
	const char *actor;
	char prod[STORE_ID_LEN + 8];
	json_t *departments;                        /* name -> id, and id -> id */
	json_t *people, *locations, *scenes, *days; /* id -> true */
	json_t *users;                              /* the export's user id -> this instance's */
	json_t *imported, *not_imported;
	json_t *attachments;         /* ids of the attachments whose files came in */
	struct store_factor_set set; /* the set the imported settings choose */
	int include_rf;
};

/* 400 naming base/name (name NULL: base itself); returns -1. */
__attribute__((format(printf, 4, 5))) static int
bad(struct imp *im, const char *base, const char *name, const char *fmt, ...)
{
	char msg[200], ptr[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(ptr, sizeof(ptr), "%s%s%s", base, name ? "/" : "", name ? name : "");
	return err_field(im->e, 400, ptr, "%s", msg);
}

/* A store or check error about a field of the record at base: the pointer grows base in front. */
static int
within(struct imp *im, const char *base)
{
	char ptr[sizeof(im->e->field)];
	if (im->e->status == 400 || im->e->status == 409) {
		snprintf(ptr, sizeof(ptr), "%s%s", base, im->e->field);
		memcpy(im->e->field, ptr, sizeof(ptr));
	}
	return -1;
}

/*
 * The characters the API refuses in a text field (domain/validate.h), refused
 * here too: the multi-line fields keep TAB and LF, every other one is a line.
 */
static int
clean(struct imp *im, const char *base, const char *name, const char *v)
{
	static const char *const multiline[] = {
	    "home_address", "emergency_contact", "dietary",  "medical", "address",
	    "parking",      "access_notes",      "synopsis", "notes",   "note"};
	unsigned long cp;
	long at;
	int ml = 0;
	for (size_t i = 0; i < nitems(multiline); i++)
		ml |= strcmp(name, multiline[i]) == 0;
	if ((at = validate_text(v, ml, &cp)) < 0)
		return 0;
	return bad(im, base, name, "holds U+%04lX at character %ld, which no text field may hold",
	           cp, at + 1);
}

/* The string o.name into dst (max bytes at most; "" when absent or null unless required). */
static int
text(struct imp *im, const json_t *o, const char *base, const char *name, size_t max, int required,
     char *dst, size_t cap)
{
	const json_t *v = json_object_get(o, name);
	dst[0] = '\0';
	if (v == NULL || json_is_null(v))
		return required ? bad(im, base, name, "is required") : 0;
	if (!json_is_string(v))
		return bad(im, base, name, "must be a string");
	if (json_string_length(v) > max || json_string_length(v) >= cap ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return bad(im, base, name, "at most %zu bytes, without NUL", max);
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return clean(im, base, name, dst);
}

/* A time as the store writes them, "YYYY-MM-DDTHH:MM:SSZ" (util/timefmt.h); "" when allowed. */
static int
stamp(struct imp *im, const json_t *o, const char *base, const char *name, int required, char *dst,
      size_t cap)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	char date[11];
	if (text(im, o, base, name, 31, required, dst, cap) == -1)
		return -1;
	if (dst[0] == '\0' && !required)
		return 0;
	for (size_t i = 0; i < sizeof(shape) - 1; i++)
		if (dst[i] == '\0' ||
		    (shape[i] == 'd' ? dst[i] < '0' || dst[i] > '9' : dst[i] != shape[i]))
			return bad(im, base, name, "a time YYYY-MM-DDTHH:MM:SSZ");
	memcpy(date, dst, 10);
	date[10] = '\0';
	if (dst[sizeof(shape) - 1] != '\0' || !validate_date(date))
		return bad(im, base, name, "a time YYYY-MM-DDTHH:MM:SSZ");
	return 0;
}

/* Non-empty text. */
static int
name_text(struct imp *im, const json_t *o, const char *base, const char *name, size_t max,
          char *dst, size_t cap)
{
	if (text(im, o, base, name, max, 1, dst, cap) == -1)
		return -1;
	return validate_blank(dst) ? bad(im, base, name, "must not be only spaces") : 0;
}

static int
flag(struct imp *im, const json_t *o, const char *base, const char *name, int *out)
{
	const json_t *v = json_object_get(o, name);
	if (v == NULL || json_is_null(v)) {
		*out = 0;
		return 0;
	}
	if (!json_is_boolean(v))
		return bad(im, base, name, "must be true or false");
	*out = json_is_true(v);
	return 0;
}

/* An id made as store_new_id makes them with prefix, unused in this export so far (seen). */
static int
id_of(struct imp *im, const json_t *o, const char *base, const char *prefix, json_t *seen,
      char *dst, size_t cap)
{
	size_t n = strlen(prefix);
	char ptr[96];
	int used;
	if (text(im, o, base, "id", STORE_ID_LEN, 1, dst, cap) == -1)
		return -1;
	if (strlen(dst) != n + 27 || strncmp(dst, prefix, n) != 0 ||
	    strncmp(dst + n, "_", 1) != 0 ||
	    strspn(dst + n + 1, "abcdefghijklmnopqrstuvwxyz234567") != 26)
		return bad(im, base, "id", "must be an id of Slate's, %s_ and 26 base32 letters",
		           prefix);
	if (seen != NULL) {
		if (json_object_get(seen, dst) != NULL)
			return bad(im, base, "id", "appears twice in the export");
		json_object_set_new(seen, dst, json_true());
	}
	if ((used = store_id_in_use(im->s, dst, im->e)) == -1)
		return -1;
	if (used) {
		snprintf(ptr, sizeof(ptr), "%s/id", base);
		return err_field(im->e, 409, ptr,
		                 "this instance holds a record with this id already (was the "
		                 "export imported before?)");
	}
	return 0;
}

/* A reference to a record of the export (in `known`). */
static int
ref(struct imp *im, const json_t *o, const char *base, const char *name, const json_t *known,
    const char *what, char *dst, size_t cap)
{
	if (text(im, o, base, name, STORE_ID_LEN, 1, dst, cap) == -1)
		return -1;
	if (json_object_get(known, dst) == NULL)
		return bad(im, base, name, "names no %s of this export", what);
	return 0;
}

/* The array set.name into *out (NULL when absent: no records); -1 after naming it. */
static int
list(struct imp *im, const json_t *set, const char *name, const json_t **out)
{
	*out = json_object_get(set, name);
	if (*out != NULL && !json_is_array(*out))
		return bad(im, "", name, "must be an array");
	return 0;
}

static void
count(json_t *where, const char *what, size_t n)
{
	json_object_set_new(where, what, json_integer((json_int_t)n));
}

/* ---- the records, in the order their references need ---- */

static int
production(struct imp *im, const json_t *set)
{
	const json_t *o = json_object_get(set, "production");
	struct store_production p;
	int mfa = 0;

	memset(&p, 0, sizeof(p));
	if (!json_is_object(o))
		return bad(im, "", "production", "must be an object");
	if (id_of(im, o, "/production", "prd", NULL, p.id, sizeof(p.id)) == -1 ||
	    name_text(im, o, "/production", "name", 200, p.name, sizeof(p.name)) == -1 ||
	    text(im, o, "/production", "timezone", 60, 1, p.timezone, sizeof(p.timezone)) == -1 ||
	    flag(im, o, "/production", "require_mfa", &mfa) == -1)
		return -1;
	if (!api_timezone_ok(p.timezone))
		return bad(im, "/production", "timezone",
		           "must be an IANA time zone this system knows, such as Europe/London");
	if (store_production_create(im->s, &p, im->e) == -1 ||
	    (mfa && store_production_set_require_mfa(im->s, p.id, 1, im->e) == -1))
		return -1;
	snprintf(im->prod, sizeof(im->prod), "%s", p.id);
	return 0;
}

static int
departments(struct imp *im, const json_t *set)
{
	const json_t *arr, *o;
	size_t i;
	if (list(im, set, "departments", &arr) == -1)
		return -1;
	json_array_foreach (arr, i, o) {
		char base[64], id[STORE_ID_LEN + 8], name[64];
		snprintf(base, sizeof(base), "/departments/%zu", i);
		if (id_of(im, o, base, "dep", NULL, id, sizeof(id)) == -1 ||
		    name_text(im, o, base, "name", 60, name, sizeof(name)) == -1)
			return -1;
		if (json_object_get(im->departments, id) != NULL)
			return bad(im, base, "id", "appears twice in the export");
		if (store_department_create(im->s, im->prod, name, id, sizeof(id), im->e) == -1)
			return within(im, base);
		json_object_set_new(im->departments, id, json_string(id));
		json_object_set_new(im->departments, name, json_string(id));
	}
	count(im->imported, "departments", json_array_size(arr));
	return 0;
}

/* A department named by name (null: none) into id ("" for none). */
static int
department_named(struct imp *im, const json_t *o, const char *base, const char *name, char *id,
                 size_t cap)
{
	char dept[64];
	const char *found;
	if (text(im, o, base, name, 60, 0, dept, sizeof(dept)) == -1)
		return -1;
	id[0] = '\0';
	if (dept[0] == '\0')
		return 0;
	if ((found = json_string_value(json_object_get(im->departments, dept))) == NULL)
		return bad(im, base, name, "is not a department of this export");
	snprintf(id, cap, "%s", found);
	return 0;
}

static int
members(struct imp *im, const json_t *set)
{
	const json_t *arr, *o;
	json_t *missing = json_array();
	size_t i, n = 0;
	if (list(im, set, "members", &arr) == -1)
		goto fail;
	json_array_foreach (arr, i, o) {
		char base[64], id[STORE_ID_LEN + 8], old_user[STORE_ID_LEN + 8], email[256],
		    role[32], dept[64], dep_id[STORE_ID_LEN + 8];
		struct store_user u;
		int revoked = 0, found;
		snprintf(base, sizeof(base), "/members/%zu", i);
		if (id_of(im, o, base, "mem", NULL, id, sizeof(id)) == -1 ||
		    text(im, o, base, "user_id", STORE_ID_LEN, 1, old_user, sizeof(old_user)) ==
		        -1 ||
		    text(im, o, base, "email", 254, 1, email, sizeof(email)) == -1 ||
		    text(im, o, base, "role", 31, 1, role, sizeof(role)) == -1 ||
		    text(im, o, base, "department", 60, 0, dept, sizeof(dept)) == -1 ||
		    flag(im, o, base, "revoked", &revoked) == -1)
			goto fail;
		if (!email_plausible(email)) {
			bad(im, base, "email", "must be an address like name@example.org");
			goto fail;
		}
		if (members_check_role(im->s, im->prod, role, dept, dep_id, im->e) == -1) {
			within(im, base);
			goto fail;
		}
		if ((found = store_user_by_email(im->s, email, &u, im->e)) == -1)
			goto fail;
		if (found == 0) {
			json_array_append_new(missing, json_string(email));
			continue;
		}
		sodium_memzero(u.password_hash, sizeof(u.password_hash));
		if (store_membership_add(im->s, im->prod, u.id, role, dep_id[0] ? dep_id : NULL, id,
		                         sizeof(id), im->e) == -1 ||
		    (revoked && store_membership_revoke(im->s, id, 1, im->e) == -1)) {
			within(im, base);
			goto fail;
		}
		json_object_set_new(im->users, old_user, json_string(u.id));
		n++;
	}
	count(im->imported, "members", n);
	json_object_set_new(im->not_imported, "members", missing);
	return 0;
fail:
	json_decref(missing);
	return -1;
}

enum check { CHECK_TEXT, CHECK_PHONE, CHECK_EMAIL, CHECK_DATE };

/* The sealed fields of a person, as PATCH …/people/{pid} takes them. */
static const struct sealed {
	const char *name;
	size_t off, cap, max;
	enum check check;
} sealed[] = {
#define F(n, max, c)                                                                               \
	{                                                                                          \
#n, offsetof(struct store_person, n), sizeof(((struct store_person *)0)->n), max,  \
		    c                                                                              \
	}
    F(work_phone, 40, CHECK_PHONE),     F(work_email, 254, CHECK_EMAIL),
    F(personal_phone, 40, CHECK_PHONE), F(personal_email, 254, CHECK_EMAIL),
    F(home_address, 500, CHECK_TEXT),   F(emergency_contact, 500, CHECK_TEXT),
    F(date_of_birth, 10, CHECK_DATE),   F(dietary, 500, CHECK_TEXT),
    F(medical, 1000, CHECK_TEXT),       F(id_numbers, 250, CHECK_TEXT),
#undef F
};

static int
person(struct imp *im, const json_t *o, const char *base, size_t *links)
{
	struct store_person p;
	int linked = 0, rc = -1;

	memset(&p, 0, sizeof(p));
	snprintf(p.production_id, sizeof(p.production_id), "%s", im->prod);
	if (id_of(im, o, base, "per", im->people, p.id, sizeof(p.id)) == -1 ||
	    name_text(im, o, base, "name", 200, p.name, sizeof(p.name)) == -1 ||
	    text(im, o, base, "kind", 7, 1, p.kind, sizeof(p.kind)) == -1 ||
	    department_named(im, o, base, "department", p.department_id, sizeof(p.department_id)) ==
	        -1 ||
	    text(im, o, base, "job_title", 120, 0, p.job_title, sizeof(p.job_title)) == -1 ||
	    text(im, o, base, "character_name", 120, 0, p.character_name,
	         sizeof(p.character_name)) == -1 ||
	    flag(im, o, base, "key_contact", &p.key_contact) == -1 ||
	    flag(im, o, base, "linked", &linked) == -1)
		goto out;
	if (strcmp(p.kind, "crew") != 0 && strcmp(p.kind, "cast") != 0) {
		bad(im, base, "kind", "crew or cast");
		goto out;
	}
	if (strcmp(p.kind, "crew") == 0 && p.character_name[0]) {
		bad(im, base, "character_name", "only cast play a character");
		goto out;
	}
	for (size_t k = 0; k < nitems(sealed); k++) {
		const struct sealed *f = &sealed[k];
		char *dst = (char *)&p + f->off;
		const char *why = NULL;
		if (text(im, o, base, f->name, f->max, 0, dst, f->cap) == -1)
			goto out;
		if (dst[0] == '\0')
			continue;
		switch (f->check) {
		case CHECK_PHONE: why = validate_phone(dst) ? NULL : "a telephone number"; break;
		case CHECK_EMAIL: why = email_plausible(dst) ? NULL : "an email address"; break;
		case CHECK_DATE: why = validate_date(dst) ? NULL : "a date YYYY-MM-DD"; break;
		case CHECK_TEXT: break;
		}
		if (why != NULL) {
			bad(im, base, f->name, "%s", why);
			goto out;
		}
	}
	p.link_confirmed = 1; /* stored so while unlinked */
	if (store_person_create(im->s, &p, im->e) == -1) {
		within(im, base);
		goto out;
	}
	*links += linked != 0;
	rc = 0;
out:
	sodium_memzero(&p, sizeof(p));
	return rc;
}

static int
people(struct imp *im, const json_t *set)
{
	const json_t *arr, *o;
	size_t i, links = 0;
	if (list(im, set, "people", &arr) == -1)
		return -1;
	json_array_foreach (arr, i, o) {
		char base[64];
		snprintf(base, sizeof(base), "/people/%zu", i);
		if (!json_is_object(o))
			return bad(im, base, NULL, "must be an object");
		if (person(im, o, base, &links) == -1)
			return -1;
	}
	count(im->imported, "people", json_array_size(arr));
	count(im->not_imported, "person_links", links);
	return 0;
}

static int
coordinate(struct imp *im, const json_t *o, const char *base, const char *name, double limit,
           char *dst, size_t cap)
{
	const json_t *v = json_object_get(o, name);
	double d;
	dst[0] = '\0';
	if (v == NULL || json_is_null(v))
		return 0;
	d = json_number_value(v);
	if (!json_is_number(v) || !isfinite(d) || fabs(d) > limit)
		return bad(im, base, name, "degrees from -%.0f to %.0f", limit, limit);
	snprintf(dst, cap, "%.7f", d);
	return 0;
}

static int
locations(struct imp *im, const json_t *set)
{
	const json_t *arr, *o;
	size_t i;
	if (list(im, set, "locations", &arr) == -1)
		return -1;
	json_array_foreach (arr, i, o) {
		struct store_location l;
		char base[64];
		int rc;
		memset(&l, 0, sizeof(l));
		snprintf(base, sizeof(base), "/locations/%zu", i);
		snprintf(l.production_id, sizeof(l.production_id), "%s", im->prod);
		rc =
		    id_of(im, o, base, "loc", im->locations, l.id, sizeof(l.id)) == -1 ||
		            name_text(im, o, base, "name", 200, l.name, sizeof(l.name)) == -1 ||
		            text(im, o, base, "parking", 500, 0, l.parking, sizeof(l.parking)) ==
		                -1 ||
		            text(im, o, base, "nearest_hospital", 250, 0, l.nearest_hospital,
		                 sizeof(l.nearest_hospital)) == -1 ||
		            flag(im, o, base, "confidential", &l.confidential) == -1 ||
		            text(im, o, base, "address", 500, 0, l.address, sizeof(l.address)) ==
		                -1 ||
		            coordinate(im, o, base, "latitude", 90, l.latitude,
		                       sizeof(l.latitude)) == -1 ||
		            coordinate(im, o, base, "longitude", 180, l.longitude,
		                       sizeof(l.longitude)) == -1 ||
		            text(im, o, base, "access_notes", 1000, 0, l.access_notes,
		                 sizeof(l.access_notes)) == -1 ||
		            text(im, o, base, "contact", 250, 0, l.contact, sizeof(l.contact)) == -1
		        ? -1
		        : 0;
		if (rc == 0 && store_location_create(im->s, &l, im->e) == -1)
			rc = within(im, base);
		sodium_memzero(&l, sizeof(l));
		if (rc == -1)
			return -1;
	}
	count(im->imported, "locations", json_array_size(arr));
	return 0;
}

/* The ids of array o.name, each a record of `known`; ptrs (malloc'd) point into the JSON. */
static int
ids(struct imp *im, const json_t *o, const char *base, const char *name, const char *key,
    const json_t *known, const char *what, const char ***ptrs, size_t *n)
{
	const json_t *arr = json_object_get(o, name), *v;
	size_t i;
	char ptr[128];
	*ptrs = NULL;
	*n = 0;
	if (arr == NULL || json_is_null(arr))
		return 0;
	if (!json_is_array(arr))
		return bad(im, base, name, "must be an array");
	*ptrs = calloc(json_array_size(arr) + 1, sizeof(**ptrs));
	if (*ptrs == NULL)
		return err_set(im->e, 503, "out of memory for an import");
	json_array_foreach (arr, i, v) {
		const char *id =
		    key ? json_string_value(json_object_get(v, key)) : json_string_value(v);
		snprintf(ptr, sizeof(ptr), "%s/%s/%zu", base, name, i);
		if (id == NULL || json_object_get(known, id) == NULL)
			return bad(im, ptr, key, "names no %s of this export", what);
		(*ptrs)[(*n)++] = id;
	}
	return 0;
}

static int
scenes(struct imp *im, const json_t *set)
{
	static const char *const ie[] = {"INT", "EXT", "INT/EXT", NULL};
	static const char *const dn[] = {"DAY", "NIGHT", "DAWN", "DUSK", NULL};
	const json_t *arr, *o;
	size_t i;
	if (list(im, set, "scenes", &arr) == -1)
		return -1;
	json_array_foreach (arr, i, o) {
		struct store_scene sc;
		const char **cast = NULL;
		size_t ncast = 0;
		char base[64];
		json_int_t eighths = json_integer_value(json_object_get(o, "eighths"));
		int rc;
		memset(&sc, 0, sizeof(sc));
		snprintf(base, sizeof(base), "/scenes/%zu", i);
		snprintf(sc.production_id, sizeof(sc.production_id), "%s", im->prod);
		rc = id_of(im, o, base, "scn", im->scenes, sc.id, sizeof(sc.id)) == -1 ||
		             name_text(im, o, base, "number", 12, sc.number, sizeof(sc.number)) ==
		                 -1 ||
		             text(im, o, base, "int_ext", 7, 1, sc.int_ext, sizeof(sc.int_ext)) ==
		                 -1 ||
		             text(im, o, base, "day_night", 5, 1, sc.day_night,
		                  sizeof(sc.day_night)) == -1 ||
		             name_text(im, o, base, "set", 200, sc.set_name, sizeof(sc.set_name)) ==
		                 -1 ||
		             text(im, o, base, "synopsis", 2000, 0, sc.synopsis,
		                  sizeof(sc.synopsis)) == -1 ||
		             ids(im, o, base, "cast", NULL, im->people, "person", &cast, &ncast) ==
		                 -1
		         ? -1
		         : 0;
		if (rc == 0 && !validate_one_of(sc.int_ext, ie))
			rc = bad(im, base, "int_ext", "INT, EXT or INT/EXT");
		if (rc == 0 && !validate_one_of(sc.day_night, dn))
			rc = bad(im, base, "day_night", "DAY, NIGHT, DAWN or DUSK");
		if (rc == 0 && (!json_is_integer(json_object_get(o, "eighths")) || eighths < 1 ||
		                eighths > 480))
			rc = bad(im, base, "eighths",
			         "the page count in eighths: a whole number from 1 to 480");
		sc.eighths = (int)eighths;
		if (rc == 0 && (store_scene_create(im->s, &sc, im->e) == -1 ||
		                store_scene_set_cast(im->s, sc.id, cast, ncast, im->e) == -1))
			rc = within(im, base);
		free(cast);
		sodium_memzero(sc.synopsis, sizeof(sc.synopsis));
		if (rc == -1)
			return -1;
	}
	count(im->imported, "scenes", json_array_size(arr));
	return 0;
}

static int
day_calls(struct imp *im, const json_t *o, const char *base, const char *day_id)
{
	const json_t *arr = json_object_get(o, "department_calls"), *dc;
	size_t i;
	if (arr == NULL || json_is_null(arr))
		return 0;
	if (!json_is_array(arr))
		return bad(im, base, "department_calls", "must be an array");
	json_array_foreach (arr, i, dc) {
		struct store_department_call c;
		char ptr[128];
		memset(&c, 0, sizeof(c));
		snprintf(ptr, sizeof(ptr), "%s/department_calls/%zu", base, i);
		snprintf(c.day_id, sizeof(c.day_id), "%s", day_id);
		if (ref(im, dc, ptr, "department_id", im->departments, "department",
		        c.department_id, sizeof(c.department_id)) == -1 ||
		    text(im, dc, ptr, "call", 5, 1, c.call_time, sizeof(c.call_time)) == -1)
			return -1;
		if (validate_time(c.call_time) < 0)
			return bad(im, ptr, "call", "a time HH:MM");
		if (store_department_call_put(im->s, &c, im->e) == -1)
			return within(im, ptr);
	}
	return 0;
}

static int
days(struct imp *im, const json_t *set)
{
	const json_t *arr, *o;
	size_t i;
	if (list(im, set, "days", &arr) == -1)
		return -1;
	json_array_foreach (arr, i, o) {
		struct store_day d;
		const char **locs = NULL, **scns = NULL;
		size_t nloc = 0, nscn = 0;
		char base[64];
		int rc, call, wrap, cancelled = 0;
		memset(&d, 0, sizeof(d));
		snprintf(base, sizeof(base), "/days/%zu", i);
		snprintf(d.production_id, sizeof(d.production_id), "%s", im->prod);
		rc = id_of(im, o, base, "day", im->days, d.id, sizeof(d.id)) == -1 ||
		             text(im, o, base, "date", 10, 1, d.date, sizeof(d.date)) == -1 ||
		             name_text(im, o, base, "unit", 30, d.unit, sizeof(d.unit)) == -1 ||
		             text(im, o, base, "general_call", 5, 1, d.general_call,
		                  sizeof(d.general_call)) == -1 ||
		             text(im, o, base, "wrap_estimate", 5, 1, d.wrap_estimate,
		                  sizeof(d.wrap_estimate)) == -1 ||
		             ids(im, o, base, "locations", "id", im->locations, "location", &locs,
		                 &nloc) == -1 ||
		             ids(im, o, base, "scene_ids", NULL, im->scenes, "scene", &scns,
		                 &nscn) == -1
		         ? -1
		         : 0;
		call = validate_time(d.general_call);
		wrap = validate_time(d.wrap_estimate);
		if (rc == 0 && !validate_date(d.date))
			rc = bad(im, base, "date", "a date YYYY-MM-DD");
		if (rc == 0 && call < 0)
			rc = bad(im, base, "general_call", "a time HH:MM");
		if (rc == 0 && (wrap < 0 || wrap <= call))
			rc = bad(im, base, "wrap_estimate",
			         wrap < 0 ? "a time HH:MM (past midnight: 24:00 to 35:59)"
			                  : "must come after the general call");
		if (rc == 0 && (store_day_create(im->s, &d, im->e) == -1 ||
		                store_day_set_locations(im->s, d.id, locs, nloc, im->e) == -1 ||
		                store_day_set_scenes(im->s, d.id, scns, nscn, im->e) == -1))
			rc = within(im, base);
		if (rc == 0 && flag(im, o, base, "cancelled", &cancelled) == -1)
			rc = -1;
		if (rc == 0 && cancelled &&
		    store_day_set_cancelled(im->s, im->prod, d.id, 1, im->e) == -1)
			rc = within(im, base);
		if (rc == 0)
			rc = day_calls(im, o, base, d.id);
		free(locs);
		free(scns);
		if (rc == -1)
			return -1;
	}
	count(im->imported, "days", json_array_size(arr));
	return 0;
}

static int
calls(struct imp *im, const json_t *set)
{
	static const char *const statuses[] = {"", "start", "work", "hold", "finish", NULL};
	static const char *const opt[] = {"pickup", "hair_makeup", "on_set"};
	const json_t *arr, *o;
	size_t i;
	if (list(im, set, "calls", &arr) == -1)
		return -1;
	json_array_foreach (arr, i, o) {
		struct store_call c;
		char base[64], from[16];
		char *dst[] = {c.pickup, c.hair_makeup, c.on_set};
		memset(&c, 0, sizeof(c));
		snprintf(base, sizeof(base), "/calls/%zu", i);
		snprintf(c.production_id, sizeof(c.production_id), "%s", im->prod);
		if (ref(im, o, base, "day_id", im->days, "shoot day", c.day_id, sizeof(c.day_id)) ==
		        -1 ||
		    ref(im, o, base, "person_id", im->people, "person", c.person_id,
		        sizeof(c.person_id)) == -1 ||
		    text(im, o, base, "call_from", 10, 0, from, sizeof(from)) == -1 ||
		    text(im, o, base, "call", 5, 1, c.call_time, sizeof(c.call_time)) == -1 ||
		    text(im, o, base, "cast_status", 6, 0, c.cast_status, sizeof(c.cast_status)) ==
		        -1)
			return -1;
		if (validate_time(c.call_time) < 0)
			return bad(im, base, "call", "a time HH:MM");
		if (strcmp(from, "department") == 0)
			c.call_time[0] = '\0'; /* it follows the department's call */
		else if (from[0] && strcmp(from, "person") != 0)
			return bad(im, base, "call_from", "person or department");
		if (!validate_one_of(c.cast_status, statuses))
			return bad(im, base, "cast_status", "start, work, hold, finish or empty");
		for (size_t k = 0; k < 3; k++) {
			if (text(im, o, base, opt[k], 5, 0, dst[k], sizeof(c.pickup)) == -1)
				return -1;
			if (dst[k][0] && validate_time(dst[k]) < 0)
				return bad(im, base, opt[k], "a time HH:MM");
		}
		if (store_call_put(im->s, &c, im->e) == -1)
			return within(im, base);
	}
	count(im->imported, "calls", json_array_size(arr));
	return 0;
}

/* One version of a call sheet, with the places and people its sheet shows. */
static int
callsheet(struct imp *im, const json_t *o, const char *base, int version)
{
	struct store_callsheet cs;
	const json_t *sheet = json_object_get(o, "sheet"), *v;
	const char **locs = NULL, **rec = NULL;
	size_t nloc = 0, nrec = 0, k;
	int rc = -1;

	memset(&cs, 0, sizeof(cs));
	snprintf(cs.production_id, sizeof(cs.production_id), "%s", im->prod);
	snprintf(cs.published_by, sizeof(cs.published_by), "%s", im->actor);
	if (id_of(im, o, base, "cs", NULL, cs.id, sizeof(cs.id)) == -1 ||
	    ref(im, o, base, "day_id", im->days, "shoot day", cs.day_id, sizeof(cs.day_id)) == -1 ||
	    stamp(im, o, base, "published_at", 1, cs.published_at, sizeof(cs.published_at)) == -1)
		return -1;
	if (!json_is_object(sheet))
		return bad(im, base, "sheet", "must be the published sheet, an object");
	locs = calloc(json_array_size(json_object_get(sheet, "locations")) + 1, sizeof(*locs));
	rec = calloc(json_array_size(json_object_get(sheet, "calls")) + 1, sizeof(*rec));
	if (locs == NULL || rec == NULL) {
		err_set(im->e, 503, "out of memory for an import");
		goto out;
	}
	json_array_foreach (json_object_get(sheet, "locations"), k, v) {
		const char *id = json_string_value(json_object_get(v, "id"));
		if (id != NULL && json_object_get(im->locations, id) != NULL)
			locs[nloc++] = id;
	}
	json_array_foreach (json_object_get(sheet, "calls"), k, v) {
		const char *id = json_string_value(json_object_get(v, "person_id"));
		size_t j;
		for (j = 0; id != NULL && j < nrec && strcmp(rec[j], id) != 0; j++)
			;
		if (id != NULL && j == nrec && json_object_get(im->people, id) != NULL)
			rec[nrec++] = id;
	}
	cs.version = version;
	cs.body = json_dumps(sheet, JSON_COMPACT | JSON_SORT_KEYS);
	if (cs.body == NULL) {
		err_set(im->e, 503, "out of memory for an import");
		goto out;
	}
	if (store_callsheet_publish(im->s, &cs, locs, nloc, rec, nrec, im->e) == -1) {
		within(im, base);
		goto out;
	}
	if (cs.version != version) {
		bad(im, base, "version", "the versions of a day must run 1, 2, 3 … without a gap");
		goto out;
	}
	rc = 0;
out:
	if (cs.body != NULL) {
		sodium_memzero(cs.body, strlen(cs.body));
		free(cs.body);
	}
	free(locs);
	free(rec);
	return rc;
}

/* The versions in ascending order, so that each is numbered as it was. */
static int
callsheets(struct imp *im, const json_t *set)
{
	const json_t *arr, *o;
	json_int_t max = 0;
	size_t i;
	if (list(im, set, "callsheets", &arr) == -1)
		return -1;
	json_array_foreach (arr, i, o) {
		const json_t *v = json_object_get(o, "version");
		char base[64];
		snprintf(base, sizeof(base), "/callsheets/%zu", i);
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 100000)
			return bad(im, base, "version", "a whole number from 1");
		if (json_integer_value(v) > max)
			max = json_integer_value(v);
	}
	for (json_int_t version = 1; version <= max; version++) {
		json_array_foreach (arr, i, o) {
			char base[64];
			if (json_integer_value(json_object_get(o, "version")) != version)
				continue;
			snprintf(base, sizeof(base), "/callsheets/%zu", i);
			if (callsheet(im, o, base, (int)version) == -1)
				return -1;
		}
	}
	count(im->imported, "callsheets", json_array_size(arr));
	return 0;
}

static int
settings(struct imp *im, const json_t *o)
{
	static const char base[] = "/sustainability/settings";
	struct store_carbon_settings st;
	const json_t *budget = json_object_get(o, "budget_kg");
	int found;

	memset(&st, 0, sizeof(st));
	if (!json_is_object(o))
		return bad(im, base, NULL, "must be an object");
	if (text(im, o, base, "factor_set", 63, 1, st.factor_set, sizeof(st.factor_set)) == -1 ||
	    flag(im, o, base, "flights_include_rf", &st.include_rf) == -1 ||
	    flag(im, o, base, "share_totals", &st.share_totals) == -1)
		return -1;
	if ((found = store_factor_set_latest(im->s, st.factor_set, &im->set, im->e)) == -1)
		return -1;
	if (found == 0)
		return bad(im, base, "factor_set",
		           "this instance has no factor set of that id (`slate factors import`)");
	if (budget != NULL && !json_is_null(budget) &&
	    (!json_is_number(budget) || !isfinite(json_number_value(budget)) ||
	     json_number_value(budget) < 0 || json_number_value(budget) > 1e12))
		return bad(im, base, "budget_kg", "a number of kilograms from 0, or null");
	st.budget_g = budget == NULL || json_is_null(budget)
	                  ? -1
	                  : (long long)llround(json_number_value(budget) * 1000.0);
	im->include_rf = st.include_rf;
	return store_carbon_settings_put(im->s, im->prod, &st, im->e) == -1 ? within(im, base) : 0;
}

static int
own_factors(struct imp *im, const json_t *arr)
{
	const json_t *o;
	size_t i;
	if (!json_is_array(arr))
		return bad(im, "/sustainability", "factors", "must be an array");
	json_array_foreach (arr, i, o) {
		struct store_factor f;
		const json_t *kg = json_object_get(o, "kg_co2e_per_unit"),
		             *year = json_object_get(o, "year");
		char base[64];
		memset(&f, 0, sizeof(f));
		snprintf(base, sizeof(base), "/sustainability/factors/%zu", i);
		snprintf(f.production_id, sizeof(f.production_id), "%s", im->prod);
		snprintf(f.set_id, sizeof(f.set_id), "%s", STORE_FACTOR_SET_CUSTOM);
		if (!json_is_integer(json_object_get(o, "id")))
			return bad(im, base, "id", "a whole number");
		if (text(im, o, base, "key", 159, 1, f.key, sizeof(f.key)) == -1 ||
		    text(im, o, base, "category", 31, 1, f.category, sizeof(f.category)) == -1 ||
		    name_text(im, o, base, "activity", 200, f.activity, sizeof(f.activity)) == -1 ||
		    text(im, o, base, "unit", 15, 1, f.unit, sizeof(f.unit)) == -1 ||
		    name_text(im, o, base, "source", 500, f.source, sizeof(f.source)) == -1 ||
		    text(im, o, base, "publisher_ref", 63, 0, f.publisher_ref,
		         sizeof(f.publisher_ref)) == -1 ||
		    text(im, o, base, "notes", 1000, 0, f.notes, sizeof(f.notes)) == -1)
			return -1;
		if (strncmp(f.key, "custom-", 7) != 0)
			return bad(im, base, "key",
			           "a production's own factor's key starts custom-");
		if (!carbon_category_valid(f.category))
			return bad(im, base, "category", "is not a category Slate knows");
		if (carbon_unit_find(f.unit) == NULL)
			return bad(im, base, "unit", "is not a unit Slate knows");
		if (!json_is_number(kg) || !isfinite(json_number_value(kg)) ||
		    json_number_value(kg) <= 0 || json_number_value(kg) > 1e9)
			return bad(im, base, "kg_co2e_per_unit", "a number above 0");
		if (!json_is_integer(year) || json_integer_value(year) < 1990 ||
		    json_integer_value(year) > 2100)
			return bad(im, base, "year", "a year from 1990 to 2100");
		snprintf(f.kg_text, sizeof(f.kg_text), "%.10g", json_number_value(kg));
		f.kg_per_unit = strtod(f.kg_text, NULL);
		f.year = (int)json_integer_value(year);
		f.rf = carbon_activity_rf(f.activity);
		if (store_factor_create(im->s, &f, im->actor, im->e) == -1)
			return within(im, base);
	}
	count(im->imported, "factors", json_array_size(arr));
	return 0;
}

/* The entry's factor found again here, its CO2e computed again as POST …/entries does. */
static int
entry(struct imp *im, const json_t *o, const char *base, size_t *evidence)
{
	struct store_carbon_entry en;
	struct store_factor f;
	struct store_factor_set set = im->set;
	const json_t *factor = json_object_get(o, "factor"), *q = json_object_get(o, "quantity");
	const json_t *rf = json_object_get(factor, "radiative_forcing");
	char fbase[96], key[160], old_user[STORE_ID_LEN + 8];
	const char *user;
	long long grams;

	memset(&en, 0, sizeof(en));
	snprintf(en.production_id, sizeof(en.production_id), "%s", im->prod);
	snprintf(fbase, sizeof(fbase), "%s/factor", base);
	if (id_of(im, o, base, "cen", NULL, en.id, sizeof(en.id)) == -1 ||
	    text(im, o, base, "date", 10, 1, en.date, sizeof(en.date)) == -1 ||
	    ref(im, o, base, "department_id", im->departments, "department", en.department_id,
	        sizeof(en.department_id)) == -1 ||
	    text(im, o, base, "unit", 15, 1, en.unit, sizeof(en.unit)) == -1 ||
	    text(im, o, base, "note", 500, 0, en.note, sizeof(en.note)) == -1 ||
	    text(im, o, base, "entered_by", STORE_ID_LEN, 0, old_user, sizeof(old_user)) == -1 ||
	    stamp(im, o, base, "created_at", 0, en.created_at, sizeof(en.created_at)) == -1 ||
	    stamp(im, o, base, "updated_at", 0, en.updated_at, sizeof(en.updated_at)) == -1)
		return -1;
	if (!validate_date(en.date))
		return bad(im, base, "date", "a date YYYY-MM-DD");
	if (json_object_get(o, "day_id") != NULL && !json_is_null(json_object_get(o, "day_id")) &&
	    ref(im, o, base, "day_id", im->days, "shoot day", en.day_id, sizeof(en.day_id)) == -1)
		return -1;
	if (!json_is_number(q) || !carbon_quantity_ok(json_number_value(q)))
		return bad(im, base, "quantity", "a number above 0 and at most 1000000000");
	en.quantity = json_number_value(q);
	if (!json_is_object(factor))
		return bad(im, base, "factor", "must be the entry's factor, an object");
	if (text(im, factor, fbase, "key", 159, 1, key, sizeof(key)) == -1)
		return -1;
	if (!json_is_true(json_object_get(factor, "custom"))) {
		if (text(im, factor, fbase, "set", 63, 1, set.id, sizeof(set.id)) == -1)
			return -1;
		if (!json_is_integer(json_object_get(factor, "version")))
			return bad(im, fbase, "version", "a whole number");
		set.version = (int)json_integer_value(json_object_get(factor, "version"));
	}
	if (carbon_resolve(im->s, im->prod, &set,
	                   rf == NULL || json_is_null(rf) ? im->include_rf : json_is_true(rf), key,
	                   en.quantity, en.unit, &f, &grams, im->e) == -1)
		return within(im, base);
	en.factor_id = f.id;
	en.co2e_g = grams;
	snprintf(en.category, sizeof(en.category), "%s", f.category);
	user = json_string_value(json_object_get(im->users, old_user));
	snprintf(en.entered_by, sizeof(en.entered_by), "%s", user != NULL ? user : im->actor);
	if (json_string_value(json_object_get(o, "evidence_id")) != NULL) {
		const char *ev = json_string_value(json_object_get(o, "evidence_id"));
		if (json_object_get(im->attachments, ev) != NULL)
			snprintf(en.evidence_id, sizeof(en.evidence_id), "%s", ev);
		else
			(*evidence)++;
	}
	if (store_carbon_entry_create(im->s, &en, im->e) == -1)
		return within(im, base);
	return 0;
}

static int
sustainability(struct imp *im, const json_t *set)
{
	const json_t *o = json_object_get(set, "sustainability"), *arr, *en;
	size_t i, evidence = 0;
	if (o == NULL)
		return 0;
	if (!json_is_object(o))
		return bad(im, "", "sustainability", "must be an object");
	if (settings(im, json_object_get(o, "settings")) == -1)
		return -1;
	if ((arr = json_object_get(o, "factors")) != NULL && own_factors(im, arr) == -1)
		return -1;
	if ((arr = json_object_get(o, "entries")) != NULL && !json_is_array(arr))
		return bad(im, "/sustainability", "entries", "must be an array");
	json_array_foreach (arr, i, en) {
		char base[64];
		snprintf(base, sizeof(base), "/sustainability/entries/%zu", i);
		if (entry(im, en, base, &evidence) == -1)
			return -1;
	}
	count(im->imported, "entries", json_array_size(arr));
	count(im->not_imported, "evidence_links", evidence);
	return 0;
}

static int
header(struct imp *im, const json_t *set)
{
	const char *scope = json_string_value(json_object_get(set, "scope"));
	if (!json_is_object(set))
		return bad(im, "", NULL, "an export is a JSON object");
	if (json_string_value(json_object_get(set, "format")) == NULL ||
	    strcmp(json_string_value(json_object_get(set, "format")), "slate-export") != 0)
		return bad(im, "", "format", "must be slate-export: a JSON export of Slate");
	if (json_integer_value(json_object_get(set, "version")) != 2)
		return bad(im, "", "version",
		           "must be 2: export the production again with this "
		           "version of Slate");
	if (scope == NULL || strcmp(scope, "all") != 0)
		return bad(im, "", "scope",
		           "must be all: only a production admin's or producer's export is whole");
	return 0;
}

static int
files_in(struct imp *im, const json_t *set, const struct import_files *files)
{
	const json_t *arr;
	if (files == NULL)
		return 0;
	if (list(im, set, "attachments", &arr) == -1)
		return -1;
	if (files->load(im->s, im->prod, arr, im->actor, im->attachments, files->arg, im->e) == -1)
		return -1;
	count(im->imported, "attachments", json_object_size(im->attachments));
	return 0;
}

json_t *
import_dataset(struct store *s, const json_t *set, const char *actor_user_id,
               const struct import_files *files, struct err *e)
{
	struct imp im;
	json_t *report = NULL;
	int rc;

	assert(s != NULL && set != NULL && actor_user_id != NULL && actor_user_id[0] != '\0');
	memset(&im, 0, sizeof(im));
	im.s = s;
	im.e = e;
	im.actor = actor_user_id;
	im.departments = json_object();
	im.people = json_object();
	im.locations = json_object();
	im.scenes = json_object();
	im.days = json_object();
	im.users = json_object();
	im.imported = json_object();
	im.not_imported = json_object();
	im.attachments = json_object();

	if (header(&im, set) == -1 || store_begin(s, e) == -1)
		goto out;
	store_keep_ids(s, 1);
	rc = production(&im, set) == -1 || departments(&im, set) == -1 || members(&im, set) == -1 ||
	             people(&im, set) == -1 || locations(&im, set) == -1 ||
	             scenes(&im, set) == -1 || days(&im, set) == -1 || calls(&im, set) == -1 ||
	             callsheets(&im, set) == -1 || files_in(&im, set, files) == -1 ||
	             sustainability(&im, set) == -1
	         ? -1
	         : 0;
	store_keep_ids(s, 0);
	if (rc == -1 || store_commit(s, e) == -1) {
		store_rollback(s);
		goto out;
	}
	count(im.not_imported, "invitations", json_array_size(json_object_get(set, "invitations")));
	count(im.not_imported, "attachments",
	      json_array_size(json_object_get(set, "attachments")) -
	          json_object_size(im.attachments));
	count(im.not_imported, "audit_events", json_array_size(json_object_get(set, "audit")));
	report = json_pack("{s:{s:s, s:O, s:O}, s:O, s:O}", "production", "id", im.prod, "name",
	                   json_object_get(json_object_get(set, "production"), "name"), "timezone",
	                   json_object_get(json_object_get(set, "production"), "timezone"),
	                   "imported", im.imported, "not_imported", im.not_imported);
out:
	json_decref(im.departments);
	json_decref(im.people);
	json_decref(im.locations);
	json_decref(im.scenes);
	json_decref(im.days);
	json_decref(im.users);
	json_decref(im.imported);
	json_decref(im.not_imported);
	json_decref(im.attachments);
	return report;
}

/* ---- POST /api/v1/productions/import ---- */

int
productions_import_head(struct http_req *r)
{
	const struct api_auth *a = session_of(r);
	size_t ctlen = 0;
	const char *ct = http_req_header(r, "Content-Type", &ctlen);

	if (!a->session.user.is_instance_admin) {
		session_audit(r, a->session.user.id, "production.import", "-", "denied");
		http_end_problem(r, 403, "only instance administrators import productions");
		return -1;
	}
	if (ct == NULL || ctlen < 16 || strncasecmp(ct, "application/json", 16) != 0) {
		http_end_problem(r, 415, "send the export as application/json");
		return -1;
	}
	return 0;
}

/*
 * The import runs on a worker (checking and writing a large export takes
 * seconds: on the loop it would stall every connection of that loop),
 * over the worker's own store connection, with the body the job took from
 * the request; its audit event is written there too. The loop answers
 * when the job comes home.
 */
struct import_job {
	struct job job;
	struct http_req *r;
	char actor[STORE_ID_LEN + 8];
	char peer[64], request_id[32]; /* for the audit event */
	char *body;                    /* the request's, read by the worker only */
	size_t body_len;
	int parsed;     /* the body was one JSON document */
	json_t *report; /* NULL: refused or failed, e says why */
	struct err e;
};

static void
import_audit(struct store *s, const struct import_job *ij, const char *object, const char *outcome)
{
	const struct audit_entry a = {
	    ij->actor, ij->peer, "production.import", object, outcome, ij->request_id, NULL};
	struct err e;
	if (audit_record(s, &a, &e) == -1)
		log_event(LOG_ERROR, "audit event not written", LOG_STR("action", a.action),
		          LOG_STR("error", e.msg), LOG_END);
}

static void
import_work(struct job *j)
{
	struct import_job *ij = (struct import_job *)j;
	json_error_t je;
	struct store *s;
	json_t *set;

	set = json_loadb(ij->body, ij->body_len, JSON_REJECT_DUPLICATES, &je);
	sodium_memzero(ij->body, ij->body_len); /* the people of a production */
	if (set == NULL)
		return;
	ij->parsed = 1;
	if ((s = http_worker_store(&ij->e)) != NULL)
		ij->report = import_dataset(s, set, ij->actor, NULL, &ij->e);
	json_decref(set);
	if (s == NULL)
		return;
	if (ij->report != NULL)
		import_audit(s, ij,
		             json_string_value(
		                 json_object_get(json_object_get(ij->report, "production"), "id")),
		             "success");
	else if (ij->e.status == 400 || ij->e.status == 409)
		import_audit(s, ij, "-", "failure");
}

static void
import_done(struct job *j)
{
	struct import_job *ij = (struct import_job *)j;
	struct http_req *r = ij->r;

	if (!ij->parsed)
		api_bad_field(r, "", "the body is not one JSON document: an export of Slate");
	else if (ij->report != NULL)
		http_end_reply_json(r, 201, ij->report);
	else if (ij->e.status == 400 || ij->e.status == 409)
		http_end_problem_errors(
		    r, ij->e.status, "the export cannot be imported",
		    json_pack("[{s:s, s:s}]", "pointer", ij->e.field, "detail", ij->e.msg));
	else
		api_unavailable(r, &ij->e);
	free(ij);
}

void
productions_import(struct http_req *r)
{
	const struct api_auth *a = session_of(r);
	struct import_job *ij = xcalloc(1, sizeof(*ij));

	ij->r = r;
	snprintf(ij->actor, sizeof(ij->actor), "%s", a->session.user.id);
	snprintf(ij->peer, sizeof(ij->peer), "%s", r->peer);
	snprintf(ij->request_id, sizeof(ij->request_id), "%s", r->request_id);
	/* the request's arena keeps the body until the answer; the loop leaves r alone meanwhile */
	ij->body = r->body;
	ij->body_len = r->body_len;
	ij->job.work = import_work;
	ij->job.done = import_done;
	http_defer(r, &ij->job);
}

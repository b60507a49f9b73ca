/*
 * audit_read.c — who read whose personal data, one event per response.
 *
 * The rule (docs/SECURITY.md, "Reads of personal data"): every response
 * that carries a field of the person_personal_phone group (personal_phone,
 * personal_email) or of the person_private group (home_address,
 * emergency_contact, date_of_birth, dietary, medical, id_numbers) of any
 * person writes exactly one `person.read_private` audit event, whose actor
 * is the reader's account and whose object names the people read: their
 * person ids, comma-separated, in the order of the response. A response
 * that holds no such field (a crew member's people list, a calendar) writes
 * none. The event holds ids only, never a name or a field's value, so the
 * log stays free of personal data and an erased person stays erased in it.
 *
 * What counts is what the response carries, decided on the JSON the API
 * answers with (or the data set an export renders): a field present, even
 * empty, is a field read. That makes the rule hold for every route that
 * answers people — the list, one person, a change that answers the changed
 * record, every export format built from the data set — without each one
 * knowing which groups its reader's role opens.
 *
 * Memory: a struct audit_read owns one growing malloc'd string of ids,
 * freed by audit_read_done.
 */
#include "api/audit_read.h"

#include <stdlib.h>
#include <string.h>

#include "api/session.h"
#include "util/xalloc.h"

/* The fields of the person_personal_phone and person_private groups (docs/ROLES.md). */
static const char *const personal_fields[] = {
    "personal_phone",    "personal_email", "home_address",
    "emergency_contact", "date_of_birth",  "dietary",
    "medical",           "id_numbers",     NULL,
};

int
audit_read_field(const char *key)
{
	for (size_t i = 0; personal_fields[i] != NULL; i++)
		if (strcmp(key, personal_fields[i]) == 0)
			return 1;
	return 0;
}

int
audit_read_carries(const json_t *person)
{
	if (!json_is_object(person))
		return 0;
	for (size_t i = 0; personal_fields[i] != NULL; i++)
		if (json_object_get(person, personal_fields[i]) != NULL)
			return 1;
	return 0;
}

void
audit_read_add(struct audit_read *ar, const json_t *person)
{
	const char *id = json_string_value(json_object_get(person, "id"));

	if (id != NULL && audit_read_carries(person))
		audit_read_add_id(ar, id);
}

void
audit_read_add_id(struct audit_read *ar, const char *id)
{
	size_t k = strlen(id);

	if (ar->len + k + 2 > ar->cap) {
		ar->cap = (ar->len + k + 2) * 2;
		ar->ids = xrealloc(ar->ids, ar->cap);
	}
	if (ar->n > 0)
		ar->ids[ar->len++] = ',';
	memcpy(ar->ids + ar->len, id, k);
	ar->len += k;
	ar->ids[ar->len] = '\0';
	ar->n++;
}

void
audit_read_add_all(struct audit_read *ar, const json_t *people)
{
	size_t i;
	const json_t *p;
	json_array_foreach (people, i, p) {
		audit_read_add(ar, p);
	}
}

void
audit_read_ids(struct http_req *r, const char *ids)
{
	const struct api_auth *a = session_of(r);

	if (ids != NULL && ids[0] != '\0')
		session_audit_read(r, a != NULL ? a->session.user.id : NULL, "person.read_private",
		                   ids, "success");
}

void
audit_read_done(struct http_req *r, struct audit_read *ar)
{
	audit_read_ids(r, ar->n > 0 ? ar->ids : NULL);
	free(ar->ids);
	memset(ar, 0, sizeof(*ar));
}

/*
 * seal.c — field sealing for every store backend (see seal.h).
 */
#include "store/seal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "util/email.h"
#include "util/log.h"
#include "util/str.h"
#include "util/xalloc.h"

char *
seal_text(struct keyring *kr, const char *key_id, const char *table, const char *column,
          const char *row_id, const char *value, struct err *e)
{
	struct keyring_place p = {table, column, row_id};
	if (kr == NULL) {
		err_set(e, 500, "the store was opened without the keystore");
		return NULL;
	}
	return keyring_seal(kr, key_id, &p, value, strlen(value), e);
}

/* Opens envelope: 1 with *pt (malloc'd, *n bytes), 0 erased (*pt NULL), -1 unreadable (logged). */
static int
open_envelope(const struct keyring_snap *snap, const char *table, const char *column,
              const char *row_id, const char *envelope, char **pt, size_t *n)
{
	struct keyring_place place = {table, column, row_id};
	struct err e;
	int rc;

	*pt = NULL;
	*n = 0;
	rc = snap == NULL ? -1 : keyring_snap_unseal(snap, &place, envelope, pt, n, &e);
	if (rc == -1)
		log_event(LOG_ERROR, "a sealed field does not open", LOG_STR("table", table),
		          LOG_STR("column", column), LOG_STR("row", row_id),
		          LOG_STR("error", snap ? e.msg : "no keystore"), LOG_END);
	if (rc != 1 && *pt != NULL) {
		free(*pt); /* KEYRING_ERASED: no secret in it */
		*pt = NULL;
	}
	return rc;
}

void
seal_open_text(const struct keyring_snap *snap, const char *table, const char *column,
               const char *row_id, const char *envelope, char *dst, size_t len)
{
	struct seal_field f = {dst, len};
	seal_open_group(snap, table, column, row_id, envelope, &f, 1);
}

int
seal_email_index(struct keyring *kr, const char *email, char out[65], struct err *e)
{
	char norm[256];
	if (kr == NULL)
		return err_set(e, 500, "the store was opened without the keystore");
	email_normalise(email, norm, sizeof(norm));
	return keyring_blind_index(kr, "email", norm, out, e);
}

int
seal_group(struct keyring *kr, const char *key_id, const char *table, const char *column,
           const char *row_id, const struct seal_field *f, size_t n, char **out, struct err *e)
{
	struct keyring_place place = {table, column, row_id};
	size_t len = 0, o = 0;
	int any = 0;
	char *buf;

	assert(n <= SEAL_GROUP_MAX);
	*out = NULL;
	for (size_t i = 0; i < n; i++) {
		len += strlen(f[i].p) + 1;
		any |= f[i].p[0] != '\0';
	}
	if (!any)
		return 0;
	if (kr == NULL)
		return err_set(e, 500, "the store was opened without the keystore");
	buf = xmalloc(len);
	for (size_t i = 0; i < n; i++) {
		size_t k = strlen(f[i].p);
		memcpy(buf + o, f[i].p, k);
		o += k;
		buf[o++] = '\0';
	}
	assert(o == len);
	*out = keyring_seal(kr, key_id, &place, buf, len - 1, e);
	sodium_memzero(buf, len);
	free(buf);
	return *out == NULL ? -1 : 0;
}

void
seal_open_group(const struct keyring_snap *snap, const char *table, const char *column,
                const char *row_id, const char *envelope, const struct seal_field *f, size_t n)
{
	char *pt = NULL;
	size_t len = 0, o = 0;
	int rc;

	for (size_t i = 0; i < n; i++)
		f[i].p[0] = '\0';
	if (envelope == NULL || envelope[0] == '\0')
		return;
	rc = open_envelope(snap, table, column, row_id, envelope, &pt, &len);
	if (rc != 1) {
		for (size_t i = 0; i < n; i++)
			str_copy(f[i].p, f[i].cap, rc == 0 ? KEYRING_ERASED : SEAL_UNREADABLE);
		return;
	}
	for (size_t i = 0; i < n && o <= len; i++) {
		str_copy(f[i].p, f[i].cap, pt + o);
		o += strlen(pt + o) + 1;
	}
	sodium_memzero(pt, len);
	free(pt);
}

/* ---- a person ---- */

static size_t
work_fields(struct store_person *p, struct seal_field *f)
{
	f[0] = (struct seal_field){p->work_phone, sizeof(p->work_phone)};
	f[1] = (struct seal_field){p->work_email, sizeof(p->work_email)};
	return 2;
}

static size_t
personal_fields(struct store_person *p, struct seal_field *f)
{
	f[0] = (struct seal_field){p->personal_phone, sizeof(p->personal_phone)};
	f[1] = (struct seal_field){p->personal_email, sizeof(p->personal_email)};
	return 2;
}

static size_t
private_fields(struct store_person *p, struct seal_field *f)
{
	f[0] = (struct seal_field){p->home_address, sizeof(p->home_address)};
	f[1] = (struct seal_field){p->emergency_contact, sizeof(p->emergency_contact)};
	f[2] = (struct seal_field){p->date_of_birth, sizeof(p->date_of_birth)};
	f[3] = (struct seal_field){p->dietary, sizeof(p->dietary)};
	f[4] = (struct seal_field){p->medical, sizeof(p->medical)};
	f[5] = (struct seal_field){p->id_numbers, sizeof(p->id_numbers)};
	return 6;
}

const char *const seal_person_column[SEAL_PERSON_GROUPS] = {"work_contact", "personal_contact",
                                                            "private"};
const unsigned seal_person_bit[SEAL_PERSON_GROUPS] = {STORE_PERSON_WORK, STORE_PERSON_PERSONAL,
                                                      STORE_PERSON_PRIVATE};
static size_t (*const person_fields[SEAL_PERSON_GROUPS])(struct store_person *,
                                                         struct seal_field *) = {
    work_fields, personal_fields, private_fields};

int
seal_person(struct keyring *kr, const struct store_person *p, unsigned groups,
            char *env[SEAL_PERSON_GROUPS], struct err *e)
{
	struct store_person copy = *p; /* the field table points into a writable struct */
	struct seal_field f[SEAL_GROUP_MAX];
	int rc = 0;

	for (size_t g = 0; g < SEAL_PERSON_GROUPS; g++)
		env[g] = NULL;
	for (size_t g = 0; g < SEAL_PERSON_GROUPS && rc == 0; g++) {
		if (!(groups & seal_person_bit[g]))
			continue;
		size_t n = person_fields[g](&copy, f);
		rc =
		    seal_group(kr, p->id, "person", seal_person_column[g], p->id, f, n, &env[g], e);
	}
	sodium_memzero(&copy, sizeof(copy));
	if (rc == -1)
		seal_free_env(env, SEAL_PERSON_GROUPS);
	return rc;
}

void
seal_open_person(const struct keyring_snap *snap, struct store_person *p, unsigned open,
                 const char *const env[SEAL_PERSON_GROUPS])
{
	struct seal_field f[SEAL_GROUP_MAX];
	for (size_t g = 0; g < SEAL_PERSON_GROUPS; g++) {
		if (!(open & seal_person_bit[g]))
			continue;
		size_t n = person_fields[g](p, f);
		seal_open_group(snap, "person", seal_person_column[g], p->id, env[g], f, n);
		p->opened |= seal_person_bit[g];
	}
}

void
seal_free_env(char *env[], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(env[i]);
		env[i] = NULL;
	}
}

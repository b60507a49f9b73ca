/*
 * audit_read.h — one audit event per response that carries personal data:
 * `person.read_private`, naming every person whose personal contact
 * (person_personal_phone) or private fields (person_private) the response
 * holds. See audit_read.c.
 */
#ifndef SLATE_API_AUDIT_READ_H
#define SLATE_API_AUDIT_READ_H

#include <stddef.h>

#include <jansson.h>

#include "http/server.h"
#include "store/store.h"

/* The person ids a response carries personal fields of: add them, then audit once. */
struct audit_read {
	char *ids; /* "per_a,per_b,…": malloc'd, or NULL while none */
	size_t len, cap;
	size_t n;
};

/* 1 when key names a field of the person_personal_phone or person_private group. */
int audit_read_field(const char *key);
/* Those two groups as the store names them: a field of one is what audit_read_field names. */
#define AUDIT_READ_GROUPS (STORE_PERSON_PERSONAL | STORE_PERSON_PRIVATE)
/* Adds id to ar: for a writer of person text that saw it write such a field (api/people.c). */
void audit_read_add_id(struct audit_read *ar, const char *id);
/* 1 when person (a person object as the API answers it) holds a personal or private field. */
int audit_read_carries(const json_t *person);
/* Adds person's id to ar when person carries a personal or private field. */
void audit_read_add(struct audit_read *ar, const json_t *person);
/* Adds every element of people (an array of person objects) that carries one. */
void audit_read_add_all(struct audit_read *ar, const json_t *people);
/*
 * Writes one `person.read_private` event (object: the ids, comma-separated)
 * when ar names anyone, and frees what ar holds. Call it once per response,
 * just before the response is sent.
 */
void audit_read_done(struct http_req *r, struct audit_read *ar);
/*
 * The same event for ids (the list an earlier ar held, kept with the response
 * it was written for: that response answered again; NULL or "": none).
 */
void audit_read_ids(struct http_req *r, const char *ids);

#endif

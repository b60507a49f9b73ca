/*
 * json.h — JSON request bodies: parse strictly, then check the shape.
 *
 * json_parse_body refuses a body that is not UTF-8, nests deeper than
 * JSON_MAX_DEPTH, has duplicate keys, holds a NUL in a string, or is not a
 * JSON object. json_check then compares the object against a field list:
 * unknown fields, missing required fields, wrong types and over-long
 * strings each add one entry {pointer, detail} to an errors array, so the
 * client learns every problem at once, by RFC 6901 pointer.
 */
#ifndef SLATE_HTTP_JSON_H
#define SLATE_HTTP_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "util/err.h"

#define JSON_MAX_DEPTH 32

enum json_field_type { JF_STRING, JF_INTEGER, JF_BOOLEAN, JF_OBJECT, JF_ARRAY, JF_NUMBER };

struct json_field {
	const char *name;
	enum json_field_type type;
	int required;
	size_t max_len; /* strings: characters at most (0: no limit) */
};

/* Returns a new object, or NULL with e->msg naming the problem (status 400). */
json_t *json_parse_body(const char *body, size_t len, struct err *e);

/* Returns NULL when the object fits; otherwise a new array of {pointer, detail}. */
json_t *json_check(const json_t *obj, const struct json_field *fields, size_t nfields);

#endif

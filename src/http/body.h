/*
 * body.h — JSON request bodies: parse strictly, then check the shape.
 *
 * body_parse refuses a body that is not UTF-8, nests deeper than
 * BODY_MAX_DEPTH, has duplicate keys, holds a NUL in a string, or is not a
 * JSON object. body_check then compares the object against a field list:
 * unknown fields, missing required fields, wrong types and over-long
 * strings, refused characters and blank names (the JF_ flags) each
 * add one entry {pointer, detail} to an errors array, so the client learns
 * every problem at once, by RFC 6901 pointer.
 */
#ifndef SLATE_HTTP_BODY_H
#define SLATE_HTTP_BODY_H

#include <jansson.h>
#include <stddef.h>

#include "util/err.h"

#define BODY_MAX_DEPTH 32

enum body_field_type { JF_STRING, JF_INTEGER, JF_BOOLEAN, JF_OBJECT, JF_ARRAY, JF_NUMBER };

/*
 * A field's flags. JF_REQUIRED: it must be there (1 means this, so a table
 * may say 0 or 1). The rest say what a string may hold beyond its length
 * (docs/CONTRACT.md, "Text fields"). By default a string is one line of
 * text: no C0 control, no DEL, no bidirectional embedding, override or
 * isolate (validate_text).
 */
enum {
	JF_REQUIRED = 1,
	JF_MULTILINE = 2, /* notes and addresses: TAB and LF allowed, every other control refused */
	JF_NONBLANK = 4,  /* a name: not empty, not only white space */
	JF_SECRET = 8,    /* a password: never shown, never refused for its characters */
};

struct body_field {
	const char *name;
	enum body_field_type type;
	int flags;      /* JF_REQUIRED | JF_MULTILINE | JF_NONBLANK | JF_SECRET */
	size_t max_len; /* strings: characters at most (0: no limit) */
};

/* Returns a new object, or NULL with e->msg naming the problem (status 400). */
json_t *body_parse(const char *body, size_t len, struct err *e);

/* Returns NULL when the object fits; otherwise a new array of {pointer, detail}. */
json_t *body_check(const json_t *obj, const struct body_field *fields, size_t nfields);
/*
 * The text rule alone, for text that does not come as a JSON field (a CSV
 * cell), flags as a field's: NULL when v is acceptable, else the detail to
 * show (written to buf, or a constant).
 */
const char *body_text_problem(const char *v, int flags, char *buf, size_t cap);
/* Appends {pointer, detail} to errs, the pointer given whole ("/name", "/rows/3/date"). */
void body_error_add(json_t *errs, const char *pointer, const char *detail);

#endif

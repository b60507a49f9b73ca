/*
 * body.c — see body.h. The depth check walks the raw text once before
 * jansson sees it, so a deeply nested body costs no recursion.
 */
#include "http/body.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/validate.h"
#include "util/utf8.h"
#include "util/xalloc.h"

static int
depth_ok(const char *s, size_t n)
{
	int depth = 0, in_str = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			if (++depth > BODY_MAX_DEPTH)
				return 0;
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return 1;
}

/*
 * What went wrong, in Slate's words: jansson's own text names its internals
 * (flags such as JSON_ALLOW_NUL, the offending key or token) and is never
 * shown to a client. Only its error code and position are used.
 */
static const char *
load_error(const json_error_t *je)
{
	switch (json_error_code(je)) {
	case json_error_premature_end_of_input: return "the JSON ends too early";
	case json_error_end_of_input_expected: return "something follows the JSON object";
	case json_error_null_character:
	case json_error_null_byte_in_key: return "a NUL character (\\u0000) is not accepted";
	case json_error_duplicate_key: return "a key appears twice in one object";
	case json_error_numeric_overflow: return "a number is too large";
	case json_error_invalid_utf8: return "the request body is not valid UTF-8";
	case json_error_stack_overflow: return "the JSON nests too deeply";
	default: return "malformed JSON";
	}
}

json_t *
body_parse(const char *body, size_t len, struct err *e)
{
	json_error_t je;
	json_t *j;

	if (len == 0) {
		err_set(e, 400, "the request body is empty; a JSON object is expected");
		return NULL;
	}
	if (!utf8_valid(body, len)) {
		err_set(e, 400, "the request body is not valid UTF-8");
		return NULL;
	}
	if (!depth_ok(body, len)) {
		err_set(e, 400, "the JSON nests deeper than %d levels", BODY_MAX_DEPTH);
		return NULL;
	}
	j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (j == NULL) {
		err_set(e, 400, "%s at line %d, column %d", load_error(&je), je.line, je.column);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		err_set(e, 400, "the request body must be a JSON object");
		return NULL;
	}
	return j;
}

static const char *
type_name(enum body_field_type t)
{
	switch (t) {
	case JF_STRING: return "a string";
	case JF_INTEGER: return "an integer";
	case JF_BOOLEAN: return "true or false";
	case JF_OBJECT: return "an object";
	case JF_ARRAY: return "an array";
	case JF_NUMBER: return "a number";
	}
	return "?";
}

static int
type_ok(const json_t *v, enum body_field_type t)
{
	switch (t) {
	case JF_STRING: return json_is_string(v);
	case JF_INTEGER: return json_is_integer(v);
	case JF_BOOLEAN: return json_is_boolean(v);
	case JF_OBJECT: return json_is_object(v);
	case JF_ARRAY: return json_is_array(v);
	case JF_NUMBER: return json_is_number(v);
	}
	return 0;
}

/* RFC 6901: '~' → "~0", '/' → "~1". The whole name is kept: cutting it could
 * split a UTF-8 character, and then the error could not be written at all. */
static char *
pointer(const char *name)
{
	char *out = xmalloc(2 * strlen(name) + 2);
	size_t j = 0;
	out[j++] = '/';
	for (const char *p = name; *p; p++) {
		if (*p == '~' || *p == '/') {
			out[j++] = '~';
			out[j++] = *p == '~' ? '0' : '1';
		} else {
			out[j++] = *p;
		}
	}
	out[j] = '\0';
	return out;
}

static void
add(json_t *errs, const char *name, const char *detail)
{
	char *ptr = pointer(name);
	json_t *e = json_pack("{s:s, s:s}", "pointer", ptr, "detail", detail);
	free(ptr);
	if (e == NULL) /* cannot happen for UTF-8 names; never drop the error */
		e = json_pack("{s:s, s:s}", "pointer", "", "detail", detail);
	if (e == NULL || json_array_append_new(errs, e) == -1)
		abort();
}

void
body_error_add(json_t *errs, const char *pointer, const char *detail)
{
	json_t *e = json_pack("{s:s, s:s}", "pointer", pointer, "detail", detail);
	if (e == NULL) /* a pointer that is not UTF-8: never drop the error */
		e = json_pack("{s:s, s:s}", "pointer", "", "detail", detail);
	if (e == NULL || json_array_append_new(errs, e) == -1)
		abort();
}

const char *
body_text_problem(const char *v, int flags, char *buf, size_t cap)
{
	unsigned long cp = 0;
	long at;

	if (flags & JF_SECRET)
		return NULL;
	if ((at = validate_text(v, (flags & JF_MULTILINE) != 0, &cp)) >= 0) {
		snprintf(buf, cap,
		         "must not contain control characters or bidirectional overrides "
		         "(U+%04lX at character %ld)%s",
		         cp, at + 1,
		         (flags & JF_MULTILINE) ? "; only tab and line feed are allowed here" : "");
		return buf;
	}
	if ((flags & JF_NONBLANK) && validate_blank(v))
		return v[0] == '\0' ? "must not be empty" : "must not be only spaces";
	return NULL;
}

json_t *
body_check(const json_t *obj, const struct body_field *fields, size_t nfields)
{
	json_t *errs = json_array();
	const char *key;
	json_t *v;
	char detail[192];

	json_object_foreach ((json_t *)obj, key, v) {
		size_t i;
		for (i = 0; i < nfields; i++)
			if (strcmp(fields[i].name, key) == 0)
				break;
		if (i == nfields)
			add(errs, key, "is not a known field");
	}
	for (size_t i = 0; i < nfields; i++) {
		const struct body_field *f = &fields[i];
		v = json_object_get(obj, f->name);
		if (v == NULL) {
			if (f->flags & JF_REQUIRED)
				add(errs, f->name, "is required");
			continue;
		}
		if (!type_ok(v, f->type)) {
			snprintf(detail, sizeof(detail), "must be %s", type_name(f->type));
			add(errs, f->name, detail);
		} else if (f->type == JF_STRING && f->max_len > 0 &&
		           utf8_chars(json_string_value(v)) > f->max_len) {
			snprintf(detail, sizeof(detail), "must be at most %zu characters",
			         f->max_len);
			add(errs, f->name, detail);
		} else if (f->type == JF_STRING) {
			const char *why = body_text_problem(json_string_value(v), f->flags, detail,
			                                    sizeof(detail));
			if (why != NULL)
				add(errs, f->name, why);
		}
	}
	if (json_array_size(errs) == 0) {
		json_decref(errs);
		return NULL;
	}
	return errs;
}

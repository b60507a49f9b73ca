/*
 * fuzz_json_body.c — libFuzzer harness for body_parse and body_check
 * (src/http/body.c, with src/util/utf8.c underneath).
 *
 * The input, in an exact-size heap copy, is parsed as a request body. A
 * refusal must come with a message; an accepted body must be an object and
 * is then checked against a field list covering every field type, required
 * and optional, with a length limit. The errors array, when there is one,
 * must hold {pointer, detail} objects whose pointer starts with '/', one
 * per problem (counted independently here), none dropped.
 * Every jansson value is released: LeakSanitizer runs at exit.
 *
 * As a side check, a body that utf8_valid accepts must also walk cleanly
 * with utf8_seq_len over a NUL-terminated copy, to the same length.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "http/body.h"
#include "util/err.h"
#include "util/utf8.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);

static const struct body_field fields[] = {
    {"name", JF_STRING, 1, 254},   {"description", JF_STRING, 0, 0}, {"count", JF_INTEGER, 0, 0},
    {"enabled", JF_BOOLEAN, 0, 0}, {"meta", JF_OBJECT, 0, 0},        {"tags", JF_ARRAY, 0, 0},
    {"a/b~c", JF_STRING, 0, 8}, /* a name that needs RFC 6901 escaping */
    {"latitude", JF_NUMBER, 0, 0},
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	json_object_seed(1); /* a fixed hash seed: the same input walks the same way */
	return 0;
}

static void
check_utf8(const uint8_t *data, size_t size)
{
	char *z;
	size_t i = 0;

	if (!utf8_valid((const char *)data, size))
		return;
	CHECK(memchr(data, '\0', size) == NULL);
	z = malloc(size + 1);
	if (z == NULL)
		return;
	if (size > 0)
		memcpy(z, data, size);
	z[size] = '\0';
	while (i < size) {
		size_t k = utf8_seq_len((const unsigned char *)z + i);
		CHECK(k >= 1 && k <= 4 && k <= size - i);
		i += k;
	}
	CHECK(i == size);
	/* an empty string has no sequence, and nothing past its NUL is read */
	CHECK(utf8_seq_len((const unsigned char *)z + size) == 0);
	free(z);
}

static size_t
chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/*
 * The characters no one-line text field holds (docs/CONTRACT.md "Text
 * fields"), decoded here on their own: C0 controls, DEL, the bidirectional
 * embeddings, overrides and isolates. A NUL inside the string counts too.
 */
static int
refused_char(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		unsigned long cp = p[i];
		size_t k = cp < 0x80 ? 1 : cp < 0xe0 ? 2 : cp < 0xf0 ? 3 : 4;
		if (k > len - i)
			return 1;
		if (k == 2)
			cp = (cp & 0x1f) << 6 | (p[i + 1] & 0x3f);
		else if (k == 3)
			cp = (cp & 0x0f) << 12 | (unsigned long)(p[i + 1] & 0x3f) << 6 |
			     (p[i + 2] & 0x3f);
		else if (k == 4)
			cp = (cp & 0x07) << 18 | (unsigned long)(p[i + 1] & 0x3f) << 12 |
			     (unsigned long)(p[i + 2] & 0x3f) << 6 | (p[i + 3] & 0x3f);
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069))
			return 1;
		i += k;
	}
	return 0;
}

static int
type_fits(const json_t *v, enum body_field_type t)
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

/* How many entries body_check owes: one per unknown key, missing required
 * field, wrong type and over-long string. */
static size_t
expected_errors(const json_t *obj, const struct body_field *f, size_t nf)
{
	const char *key;
	json_t *v;
	size_t n = 0;

	json_object_foreach ((json_t *)obj, key, v) {
		size_t i;
		for (i = 0; i < nf && strcmp(f[i].name, key) != 0; i++)
			;
		n += i == nf;
	}
	for (size_t i = 0; i < nf; i++) {
		v = json_object_get(obj, f[i].name);
		if (v == NULL)
			n += (f[i].flags & JF_REQUIRED) != 0;
		else if (!type_fits(v, f[i].type))
			n++;
		else if (f[i].type == JF_STRING &&
		         ((f[i].max_len > 0 && chars(json_string_value(v)) > f[i].max_len) ||
		          refused_char(json_string_value(v), json_string_length(v))))
			n++;
	}
	return n;
}

static void
check_errors(const json_t *errs)
{
	size_t i;
	json_t *item;

	CHECK(json_is_array(errs));
	CHECK(json_array_size(errs) > 0);
	json_array_foreach (errs, i, item) {
		const char *ptr, *detail;
		CHECK(json_is_object(item));
		CHECK(json_object_size(item) == 2);
		ptr = json_string_value(json_object_get(item, "pointer"));
		detail = json_string_value(json_object_get(item, "detail"));
		CHECK(ptr != NULL && ptr[0] == '/');
		CHECK(detail != NULL && detail[0] != '\0');
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body = malloc(size); /* exactly the body, no NUL after it */
	struct err e;
	json_t *obj, *errs;

	if (body == NULL && size > 0)
		return 0;
	if (size > 0)
		memcpy(body, data, size);
	memset(&e, 0, sizeof(e));

	obj = body_parse(body, size, &e);
	if (obj == NULL) {
		CHECK(e.status == 400);
		CHECK(e.msg[0] != '\0');
	} else {
		CHECK(json_is_object(obj));
		errs = body_check(obj, fields, NFIELDS);
		/* every problem is reported, none dropped */
		CHECK(json_array_size(errs) == expected_errors(obj, fields, NFIELDS));
		if (errs != NULL) {
			char *s;
			check_errors(errs);
			s = json_dumps(errs, JSON_COMPACT);
			CHECK(s != NULL);
			free(s);
			json_decref(errs);
		} else {
			/* no errors: the required field is there and is a string */
			CHECK(json_is_string(json_object_get(obj, "name")));
		}
		/* an empty field list flags every key as unknown */
		errs = body_check(obj, NULL, 0);
		CHECK((errs == NULL) == (json_object_size(obj) == 0));
		if (errs != NULL) {
			CHECK(json_array_size(errs) == json_object_size(obj));
			json_decref(errs);
		}
		json_decref(obj);
	}
	free(body);
	check_utf8(data, size);
	return 0;
}

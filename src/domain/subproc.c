/*
 * subproc.c — the subprocessor list file (see subproc.h).
 */
#include "domain/subproc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "crypto/sha256.h"
#include "domain/validate.h"
#include "util/xalloc.h"

#define FILE_MAX (1024L * 1024L)

/* Printable text: no control characters (UTF-8 is checked by jansson). */
static int
printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* Member key of entry i as a string of 1..max bytes into out. */
static int
text_member(json_t *entry, size_t i, const char *key, char *out, size_t max, const char *what,
            struct err *e)
{
	const char *v = json_string_value(json_object_get(entry, key));
	if (v == NULL)
		return err_set(e, 400, "%s: entry %zu: \"%s\" is missing or not a string", what,
		               i + 1, key);
	if (v[0] == '\0' || strlen(v) > max || !printable(v))
		return err_set(e, 400,
		               "%s: entry %zu: \"%s\" must be 1 to %zu bytes of printable text",
		               what, i + 1, key, max);
	snprintf(out, max + 1, "%s", v);
	return 0;
}

static void
hash_entry(struct subproc *p)
{
	struct sha256 h;
	unsigned char d[SHA256_LEN];
	const char *parts[4] = {p->name, p->purpose, p->location, p->since};

	sha256_init(&h);
	for (size_t i = 0; i < 4; i++)
		sha256_update(&h, parts[i], strlen(parts[i]) + 1); /* with its NUL: unambiguous */
	for (size_t i = 0; i < p->ncategories; i++)
		sha256_update(&h, p->categories[i], strlen(p->categories[i]) + 1);
	sha256_final(&h, d);
	for (size_t i = 0; i < SHA256_LEN; i++)
		snprintf(p->hash + 2 * i, 3, "%02x", d[i]);
}

static int
one(json_t *entry, size_t i, struct subproc *p, const char *what, struct err *e)
{
	static const char *const known[] = {"name", "purpose", "location", "data_categories",
	                                    "since"};
	json_t *cats, *v;
	const char *key;
	size_t k;

	if (!json_is_object(entry))
		return err_set(e, 400, "%s: entry %zu is not an object", what, i + 1);
	json_object_foreach (entry, key, v) {
		int found = 0;
		for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			found |= strcmp(key, known[k]) == 0;
		if (!found)
			return err_set(e, 400, "%s: entry %zu: unknown member \"%.40s\"", what,
			               i + 1, key);
	}
	if (text_member(entry, i, "name", p->name, 200, what, e) == -1 ||
	    text_member(entry, i, "purpose", p->purpose, 500, what, e) == -1 ||
	    text_member(entry, i, "location", p->location, 500, what, e) == -1 ||
	    text_member(entry, i, "since", p->since, 10, what, e) == -1)
		return -1;
	if (!validate_date(p->since))
		return err_set(e, 400, "%s: entry %zu: \"since\" must be a date, YYYY-MM-DD", what,
		               i + 1);
	cats = json_object_get(entry, "data_categories");
	if (!json_is_array(cats) || json_array_size(cats) == 0 || json_array_size(cats) > 50)
		return err_set(e, 400,
		               "%s: entry %zu: \"data_categories\" must be a list of 1 to 50", what,
		               i + 1);
	p->categories = xcalloc(json_array_size(cats), sizeof(char *));
	json_array_foreach (cats, k, v) {
		const char *c = json_string_value(v);
		if (c == NULL || c[0] == '\0' || strlen(c) > 200 || !printable(c))
			return err_set(e, 400,
			               "%s: entry %zu: data category %zu must be 1 to 200 bytes of "
			               "printable text",
			               what, i + 1, k + 1);
		p->categories[p->ncategories++] = xstrdup(c);
	}
	hash_entry(p);
	return 0;
}

/* The array root (not stolen) into *out. */
static int
from_json(json_t *root, const char *what, struct subproc_list *out, struct err *e)
{
	json_t *entry;
	size_t i;

	if (!json_is_array(root) || json_array_size(root) > SUBPROC_MAX)
		return err_set(e, 400, "%s must be a JSON list of at most %d subprocessors", what,
		               SUBPROC_MAX);
	out->v = xcalloc(json_array_size(root) + 1, sizeof(*out->v));
	json_array_foreach (root, i, entry) {
		out->n = i + 1;
		if (one(entry, i, &out->v[i], what, e) == -1)
			goto fail;
		for (size_t j = 0; j < i; j++)
			if (strcmp(out->v[j].name, out->v[i].name) == 0) {
				err_set(e, 400, "%s: entries %zu and %zu have the same name", what,
				        j + 1, i + 1);
				goto fail;
			}
	}
	return 0;
fail:
	subproc_free(out);
	return -1;
}

int
subproc_parse(const char *text, size_t len, const char *what, struct subproc_list *out,
              struct err *e)
{
	json_error_t je;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	int rc;

	out->v = NULL;
	out->n = 0;
	if (root == NULL)
		return err_set(e, 400, "%s is not JSON: %s (line %d)", what, je.text, je.line);
	rc = from_json(root, what, out, e);
	json_decref(root);
	return rc;
}

int
subproc_load(const char *path, struct subproc_list *out, struct err *e)
{
	struct stat st;
	json_error_t je;
	json_t *root;
	int rc;

	out->v = NULL;
	out->n = 0;
	if (stat(path, &st) == -1 || !S_ISREG(st.st_mode))
		return err_set(e, 400, "subprocessors_file %s is not a readable file", path);
	if (st.st_size > FILE_MAX)
		return err_set(e, 400, "subprocessors_file %s is over %ld bytes", path, FILE_MAX);
	if ((root = json_load_file(path, JSON_REJECT_DUPLICATES, &je)) == NULL)
		return err_set(e, 400, "subprocessors_file %s is not JSON: %s (line %d)", path,
		               je.text, je.line);
	rc = from_json(root, path, out, e);
	json_decref(root);
	return rc;
}

void
subproc_free(struct subproc_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		for (size_t k = 0; k < l->v[i].ncategories; k++)
			free(l->v[i].categories[k]);
		free(l->v[i].categories);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

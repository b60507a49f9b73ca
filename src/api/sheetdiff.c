/*
 * sheetdiff.c — what changed between two call sheets: the one piece of
 * code that compares them, for the whole-sheet diff of
 * GET …/callsheets/{cid}/diff and the publish preview (api/callsheets.c),
 * and for each person's own `changes` in GET /api/v1/me/callsheets
 * (api/mycallsheets.c).
 *
 * It reads only the two sheets' JSON, as the reader was given them
 * (api_callsheet_answer) or as a publisher is about to publish it: a
 * field no sheet holds cannot appear in a diff, so the diff shows no more
 * than the two sheets do to whoever may read them (the sheet holds no
 * personal contact, address or note: api/callsheets.c).
 *
 * Every change is {field, from, to}, with null for a value a sheet does
 * not have; a call line compares call, call_from, pickup, hair_makeup,
 * on_set and cast_status; a location its name, address, parking, nearest
 * hospital and access notes. Lines, locations, scenes and department calls
 * are matched by id, listed in the newer sheet's order (removed ones in the
 * older sheet's).
 *
 * Memory: every function returns a new reference the caller owns; the
 * sheets passed in are only read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "api/sheetdiff.h"
#include "util/xalloc.h"

json_t *
api_sheetdiff_open(struct store *s, const struct store_gen *g, const char *production_id,
                   const char *id, struct store_callsheet *cs, struct err *e)
{
	struct store_day d;
	char *text = NULL;
	size_t len = 0;
	json_t *j = NULL;
	json_error_t je;
	int found = api_callsheet_answer(s, g, production_id, id, cs, &d, &text, &len, e);
	if (found == 0)
		err_set(e, 503, "call sheet %s went away", id);
	if (found != 1)
		return NULL;
	if ((j = json_loadb(text, len, 0, &je)) == NULL)
		err_set(e, 500, "call sheet %s does not parse", id);
	sodium_memzero(text, len);
	free(text);
	return j;
}

static const char *const call_fields[] = {"call",        "call_from", "pickup",
                                          "hair_makeup", "on_set",    "cast_status"};

static const char *
str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* The element of array arr whose `key` is id; NULL. */
static json_t *
find(const json_t *arr, const char *key, const char *id)
{
	size_t i;
	json_t *v;
	if (id == NULL)
		return NULL;
	json_array_foreach (arr, i, v) {
		const char *x = str(v, key);
		if (x != NULL && strcmp(x, id) == 0)
			return v;
	}
	return NULL;
}

json_t *
api_sheetdiff_own_call(const json_t *sheet, const char *person_id)
{
	json_t *line, *out;
	if (person_id[0] == '\0' ||
	    (line = find(json_object_get(sheet, "calls"), "person_id", person_id)) == NULL)
		return NULL;
	out = json_object();
	for (size_t k = 0; k < sizeof(call_fields) / sizeof(call_fields[0]); k++) {
		json_t *v = json_object_get(line, call_fields[k]);
		json_object_set_new(out, call_fields[k],
		                    json_is_string(v) ? json_copy(v) : json_null());
	}
	return out;
}

/* The names of the sheet's locations, joined with ", " (malloc'd). */
static char *
location_names(const json_t *sheet)
{
	size_t i, n = 1, at = 0;
	json_t *l;
	char *out;
	json_array_foreach (json_object_get(sheet, "locations"), i, l) {
		const char *name = str(l, "name");
		n += (name ? strlen(name) : 0) + 2;
	}
	out = xcalloc(n, 1);
	json_array_foreach (json_object_get(sheet, "locations"), i, l) {
		const char *name = str(l, "name");
		int w = snprintf(out + at, n - at, "%s%s", i > 0 ? ", " : "", name ? name : "");
		if (w < 0 || (size_t)w >= n - at)
			break; /* cannot happen: n counted every byte */
		at += (size_t)w;
	}
	return out;
}

static json_t *
nullable(const char *v)
{
	return v ? json_string(v) : json_null();
}

static int
differ(const char *from, const char *to)
{
	return (from == NULL) != (to == NULL) || (from != NULL && strcmp(from, to) != 0);
}

/* Appends {field, from, to} to arr when from and to differ. */
static void
change(json_t *arr, const char *field, const char *from, const char *to)
{
	if (differ(from, to))
		json_array_append_new(arr, json_pack("{s:s, s:o, s:o}", "field", field, "from",
		                                     nullable(from), "to", nullable(to)));
}

json_t *
api_sheetdiff_person(const json_t *old, const json_t *now, const json_t *mine_old,
                     const json_t *mine_now)
{
	/* a person's own view leaves out cast_status, as it always has */
	json_t *arr = json_array();
	char *lo, *ln;
	for (size_t k = 0; k < 5; k++)
		change(arr, call_fields[k], str(mine_old, call_fields[k]),
		       str(mine_now, call_fields[k]));
	change(arr, "general_call", str(old, "general_call"), str(now, "general_call"));
	lo = location_names(old);
	ln = location_names(now);
	change(arr, "locations", lo, ln);
	free(lo);
	free(ln);
	return arr;
}

/* {from, to} when the sheets' `key` differ, else null. */
static json_t *
moved(const json_t *old, const json_t *now, const char *key)
{
	const char *a = str(old, key), *b = str(now, key);
	return differ(a, b) ? json_pack("{s:o, s:o}", "from", nullable(a), "to", nullable(b))
	                    : json_null();
}

/* A call line as people_added / people_removed name it. */
static json_t *
person_of(const json_t *line)
{
	return json_pack("{s:o, s:o, s:o, s:o}", "person_id", nullable(str(line, "person_id")),
	                 "name", nullable(str(line, "name")), "department",
	                 nullable(str(line, "department")), "call", nullable(str(line, "call")));
}

static void
diff_calls(const json_t *old, const json_t *now, json_t *out)
{
	json_t *oc = json_object_get(old, "calls"), *nc = json_object_get(now, "calls");
	json_t *calls = json_array(), *added = json_array(), *removed = json_array(), *line;
	size_t i;

	json_array_foreach (nc, i, line) {
		json_t *was = find(oc, "person_id", str(line, "person_id")), *ch, *one;
		size_t k;
		if (was == NULL) {
			json_array_append_new(added, person_of(line));
			continue;
		}
		ch = json_array();
		for (size_t f = 0; f < sizeof(call_fields) / sizeof(call_fields[0]); f++)
			change(ch, call_fields[f], str(was, call_fields[f]),
			       str(line, call_fields[f]));
		json_array_foreach (ch, k, one) {
			json_object_set_new(one, "person_id", nullable(str(line, "person_id")));
			json_object_set_new(one, "name", nullable(str(line, "name")));
			json_object_set_new(one, "department", nullable(str(line, "department")));
			json_array_append(calls, one);
		}
		json_decref(ch);
	}
	json_array_foreach (oc, i, line)
		if (find(nc, "person_id", str(line, "person_id")) == NULL)
			json_array_append_new(removed, person_of(line));
	json_object_set_new(out, "calls", calls);
	json_object_set_new(out, "people_added", added);
	json_object_set_new(out, "people_removed", removed);
}

static void
diff_locations(const json_t *old, const json_t *now, json_t *out)
{
	static const char *const fields[] = {"name", "address", "parking", "nearest_hospital",
	                                     "access_notes"};
	json_t *ol = json_object_get(old, "locations"), *nl = json_object_get(now, "locations");
	json_t *added = json_array(), *removed = json_array(), *changed = json_array(), *l;
	size_t i;

	json_array_foreach (nl, i, l) {
		const char *id = str(l, "id");
		json_t *was = find(ol, "id", id), *ch, *one;
		size_t k;
		if (was == NULL) {
			json_array_append_new(added, json_pack("{s:o, s:o}", "id", nullable(id),
			                                       "name", nullable(str(l, "name"))));
			continue;
		}
		ch = json_array();
		for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++)
			change(ch, fields[f], str(was, fields[f]), str(l, fields[f]));
		json_array_foreach (ch, k, one) {
			json_object_set_new(one, "id", nullable(id));
			json_object_set_new(one, "name", nullable(str(l, "name")));
			json_array_append(changed, one);
		}
		json_decref(ch);
	}
	json_array_foreach (ol, i, l)
		if (find(nl, "id", str(l, "id")) == NULL)
			json_array_append_new(removed,
			                      json_pack("{s:o, s:o}", "id", nullable(str(l, "id")),
			                                "name", nullable(str(l, "name"))));
	json_object_set_new(
	    out, "locations",
	    json_pack("{s:o, s:o, s:o}", "added", added, "removed", removed, "changed", changed));
}

static json_t *
scene_of(const json_t *sc)
{
	return json_pack("{s:o, s:o, s:o}", "id", nullable(str(sc, "id")), "number",
	                 nullable(str(sc, "number")), "set", nullable(str(sc, "set")));
}

/* Scenes added and removed, and whether the ones in both are shot in another order. */
static void
diff_scenes(const json_t *old, const json_t *now, json_t *out)
{
	json_t *os = json_object_get(old, "scenes"), *ns = json_object_get(now, "scenes");
	json_t *added = json_array(), *removed = json_array(), *sc;
	size_t i, at = 0;
	int reordered = 0;

	json_array_foreach (ns, i, sc) {
		if (find(os, "id", str(sc, "id")) == NULL)
			json_array_append_new(added, scene_of(sc));
	}
	json_array_foreach (os, i, sc) {
		if (find(ns, "id", str(sc, "id")) == NULL) {
			json_array_append_new(removed, scene_of(sc));
			continue;
		}
		/* the kept scenes of old, in old's order, must meet ns's kept scenes in turn */
		while (at < json_array_size(ns) &&
		       find(os, "id", str(json_array_get(ns, at), "id")) == NULL)
			at++;
		if (at >= json_array_size(ns) ||
		    differ(str(json_array_get(ns, at), "id"), str(sc, "id")))
			reordered = 1;
		at++;
	}
	json_object_set_new(out, "scenes",
	                    json_pack("{s:o, s:o, s:b}", "added", added, "removed", removed,
	                              "reordered", reordered));
}

static void
diff_department_calls(const json_t *old, const json_t *now, json_t *out)
{
	json_t *od = json_object_get(old, "department_calls"),
	       *nd = json_object_get(now, "department_calls");
	json_t *arr = json_array(), *dc;
	size_t i;

	json_array_foreach (nd, i, dc) {
		json_t *was = find(od, "department_id", str(dc, "department_id"));
		const char *from = str(was, "call"), *to = str(dc, "call");
		if (differ(from, to))
			json_array_append_new(
			    arr, json_pack("{s:o, s:o, s:o, s:o}", "department_id",
			                   nullable(str(dc, "department_id")), "department",
			                   nullable(str(dc, "department")), "from", nullable(from),
			                   "to", nullable(to)));
	}
	json_array_foreach (od, i, dc)
		if (find(nd, "department_id", str(dc, "department_id")) == NULL)
			json_array_append_new(
			    arr, json_pack("{s:o, s:o, s:o, s:o}", "department_id",
			                   nullable(str(dc, "department_id")), "department",
			                   nullable(str(dc, "department")), "from",
			                   nullable(str(dc, "call")), "to", json_null()));
	json_object_set_new(out, "department_calls", arr);
}

json_t *
api_sheetdiff(const json_t *old, const json_t *now)
{
	json_t *out = json_object();
	/* with nothing to compare, compare now with itself: every section empty */
	const json_t *base = old != NULL ? old : now;

	json_object_set_new(out, "general_call", moved(base, now, "general_call"));
	json_object_set_new(out, "wrap_estimate", moved(base, now, "wrap_estimate"));
	diff_calls(base, now, out);
	diff_locations(base, now, out);
	diff_scenes(base, now, out);
	diff_department_calls(base, now, out);
	return out;
}

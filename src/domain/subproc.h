/*
 * subproc.h — the instance's subprocessors: who else handles the data a
 * Slate instance holds (a mail relay, an object store for backups, a
 * hosting provider), read from the operator's subprocessors_file.
 *
 * The file is a JSON array of entries, each
 *   {"name": "…", "purpose": "…", "location": "…",
 *    "data_categories": ["…", …], "since": "YYYY-MM-DD"}
 * every member required, strings of printable text (name at most 200
 * bytes, the others 500), at least one data category, since a real date.
 * A file that does not read so is refused whole, naming the entry and the
 * member (serve does not start on it): a list the operator did not mean
 * must never be shown nor announced.
 *
 * Each entry's hash (SHA-256 of its members in a fixed order) names the
 * version announced (api/subprocessors.c): an entry changed in any member
 * is a new subprocessor to announce.
 */
#ifndef SLATE_DOMAIN_SUBPROC_H
#define SLATE_DOMAIN_SUBPROC_H

#include <stddef.h>

#include "util/err.h"

#define SUBPROC_MAX 200

struct subproc {
	char name[201];
	char purpose[501];
	char location[501];
	char **categories;
	size_t ncategories;
	char since[11]; /* YYYY-MM-DD */
	char hash[65];  /* hex SHA-256 of the entry */
};

struct subproc_list {
	struct subproc *v;
	size_t n;
};

/* Reads path into *out: 0, or -1 e set (one line naming the entry and member). */
int subproc_load(const char *path, struct subproc_list *out, struct err *e);
/* The same, from text (len bytes); what= names it in errors. */
int subproc_parse(const char *text, size_t len, const char *what, struct subproc_list *out,
                  struct err *e);
void subproc_free(struct subproc_list *l);

#endif

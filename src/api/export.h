/*
 * export.h — the production's data set and its export formats (api/export.c),
 * shared by GET …/export and `slate export`.
 */
#ifndef SLATE_API_EXPORT_H
#define SLATE_API_EXPORT_H

#include <stdio.h>

#include <jansson.h>

#include "api/view.h"

struct export_query {
	const char *format; /* json | csv | ics | vcf | callsheet | pdf */
	const char *table;  /* csv: departments | people | locations | days | scenes | calls |
	                       callsheets;     NULL: every table, as a ZIP archive */
	const char *person; /* ics: a person id or "me"; NULL for the schedule. pdf: whose call is
	                       highlighted (NULL: the exporter's own) */
	const char *callsheet; /* callsheet, pdf: the version's id */
	const char *paper;     /* pdf: "a4" (NULL) or "letter" */
};

/* 0 when q names a format (and what it needs); else -1, e naming the query parameter (400). */
int export_check(const struct export_query *q, struct err *e);
const char *export_content_type(const struct export_query *q);
/*
 * What rd may export of their production: everything rd reads (self_only 0)
 * or only what is about rd (1). NULL with e set on a store failure.
 */
json_t *export_dataset(struct store *s, struct api_reader *rd, int self_only, struct err *e);
/*
 * format=csv (api/export_tables.c): whether table names a table, and the
 * table written to f as CSV, or (table NULL) every table as a ZIP archive
 * of CSV files: 0, or -1 with e set.
 */
int export_csv_table_known(const char *table);
int export_csv(FILE *f, struct store *s, const json_t *set, const char *table, struct err *e);
/*
 * Adds to a scope-all data set what version 2 carries beyond version 1
 * (api/export_v2.c): 0, or -1 with e set on a store failure.
 */
int export_dataset_more(struct store *s, struct api_reader *rd, json_t *set, struct err *e);
/* Writes set in q's format to f: 0, or -1 with e set (403/404 naming the parameter, or 500). */
int export_write(FILE *f, struct store *s, struct api_reader *rd, const json_t *set,
                 const struct export_query *q, struct err *e);

#endif

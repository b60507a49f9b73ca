/*
 * sustainability.h — the sustainability figures the handlers, the report and the
 * exports share (api/sustainability.c, api/sustainability_report.c).
 */
#ifndef SLATE_API_SUSTAINABILITY_H
#define SLATE_API_SUSTAINABILITY_H

#include <jansson.h>

#include "store/store.h"
#include "util/err.h"

/* An emission factor as the API shows it (api/sustainability.c). */
json_t *api_factor_json(const struct store_factor *f);
/*
 * The carbon report of production p (api/sustainability_report.c): totals by
 * category, department, shoot day and week, budget, sources. department_id
 * NULL: the whole production. NULL with e set on a store failure.
 */
json_t *sustainability_report(struct store *s, const struct store_production *p,
                              const char *department_id,
                              const struct store_carbon_settings *settings, struct err *e);
/* The report as CSV (section,key,label,kg_co2e,t_co2e,entries) and as an SVG chart
 * ("category" bars or the "cumulative" line); malloc'd. department: the name
 * of the department a department-scoped report covers (said in the chart's
 * title), else NULL. */
char *sustainability_report_csv(const json_t *report);
char *sustainability_report_svg(const json_t *report, const char *chart, const char *department);

#endif

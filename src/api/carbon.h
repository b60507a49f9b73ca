/*
 * carbon.h — the sustainability figures the handlers, the report and the
 * exports share (api/sustainability.c, api/carbon_report.c).
 */
#ifndef SLATE_API_CARBON_H
#define SLATE_API_CARBON_H

#include <jansson.h>

#include "store/store.h"
#include "util/err.h"

/*
 * The factor an entry of key in unit_code uses — the production's own factor
 * of that key, else the set's (flights: the variant include_rf says) — and
 * the CO2e of quantity in grams (api/sustainability.c): 0, or -1 with e
 * naming /factor, /unit or /quantity (400), or a store failure.
 */
int api_carbon_resolve(struct store *s, const char *production_id,
                       const struct store_factor_set *set, int include_rf, const char *key,
                       double quantity, const char *unit_code, struct store_factor *out,
                       long long *grams, struct err *e);
/* An emission factor as the API shows it (api/sustainability.c). */
json_t *api_factor_json(const struct store_factor *f);
/*
 * The carbon report of production p (api/carbon_report.c): totals by
 * category, department, shoot day and week, budget, sources. department_id
 * NULL: the whole production. NULL with e set on a store failure.
 */
json_t *carbon_report(struct store *s, const struct store_production *p, const char *department_id,
                      const struct store_carbon_settings *settings, struct err *e);
/* The report as CSV (section,key,label,kg_co2e,t_co2e,entries) and as an SVG chart
 * ("category" bars or the "cumulative" line); malloc'd. department: the name
 * of the department a department-scoped report covers (said in the chart's
 * title), else NULL. */
char *carbon_report_csv(const json_t *report);
char *carbon_report_svg(const json_t *report, const char *chart, const char *department);

#endif

/*
 * carbon_resolve.h — the factor an entry uses and the entry's CO2e: the
 * arithmetic of domain/carbon.h applied to the factors the store holds.
 * The API (api/sustainability.c, api/import.c) and the demo loader
 * (cli/demo.c) all compute an entry's grams here.
 */
#ifndef SLATE_DOMAIN_CARBON_RESOLVE_H
#define SLATE_DOMAIN_CARBON_RESOLVE_H

#include "store/store.h"
#include "util/err.h"

/*
 * The factor an entry of key in unit_code uses — the production's own factor
 * of that key, else the set's (flights: the variant include_rf says) — and
 * the CO2e of quantity in grams: 0, or -1 with e naming /factor, /unit or
 * /quantity (400), or a store failure.
 */
int carbon_resolve(struct store *s, const char *production_id, const struct store_factor_set *set,
                   int include_rf, const char *key, double quantity, const char *unit_code,
                   struct store_factor *out, long long *grams, struct err *e);

#endif

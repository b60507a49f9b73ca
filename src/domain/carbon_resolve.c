/*
 * carbon_resolve.c — see carbon_resolve.h. Among the factors of a key, one
 * in the entry's own unit wins; else the first whose unit converts to it.
 */
#include "domain/carbon_resolve.h"

#include <stdio.h>
#include <string.h>

#include "domain/carbon.h"

struct pick {
	const struct carbon_unit *want;
	struct store_factor exact, convertible;
	int have_exact, have_convertible, n;
	char units[200];
};

static void
pick_factor(const struct store_factor *f, void *arg)
{
	struct pick *p = arg;
	const struct carbon_unit *u = carbon_unit_find(f->unit);
	double ignored;
	size_t len = strlen(p->units);

	p->n++;
	if (u != NULL && len + strlen(u->label) + 8 < sizeof(p->units))
		snprintf(p->units + len, sizeof(p->units) - len, "%s%s", len ? " or " : "",
		         u->label);
	if (u == p->want && !p->have_exact) {
		p->exact = *f;
		p->have_exact = 1;
	} else if (u != NULL && carbon_convert(1, p->want, u, &ignored) == 0 &&
	           !p->have_convertible) {
		p->convertible = *f;
		p->have_convertible = 1;
	}
}

int
carbon_resolve(struct store *s, const char *production_id, const struct store_factor_set *set,
               int include_rf, const char *key, double quantity, const char *unit_code,
               struct store_factor *out, long long *grams, struct err *e)
{
	struct pick p;
	double q;

	memset(&p, 0, sizeof(p));
	if ((p.want = carbon_unit_find(unit_code)) == NULL)
		return err_field(e, 400, "/unit", "unit '%.40s' is not one Slate knows", unit_code);
	if (store_factors_for_key(s, production_id, set->id, set->version, key, include_rf,
	                          pick_factor, &p, e) == -1)
		return -1;
	if (p.n == 0)
		return err_field(e, 400, "/factor",
		                 "there is no factor '%.80s' in %s (version %d) or among the "
		                 "production's own factors",
		                 key, set->id, set->version);
	if (!p.have_exact && !p.have_convertible)
		return err_field(e, 400, "/unit",
		                 "%s cannot be converted to %s, the unit of '%.60s'", p.want->label,
		                 p.units, key);
	*out = p.have_exact ? p.exact : p.convertible;
	if (carbon_convert(quantity, p.want, carbon_unit_find(out->unit), &q) == -1)
		return err_field(e, 400, "/unit", "%s cannot be converted", p.want->label);
	return carbon_grams(q, out->kg_per_unit, grams, e);
}

/*
 * sheetdiff.h — what changed between two call sheets (api/sheetdiff.c).
 */
#ifndef SLATE_API_SHEETDIFF_H
#define SLATE_API_SHEETDIFF_H

#include <jansson.h>

#include "api/view.h"

/*
 * The answer of GET …/callsheets/{id} of production_id (api_callsheet_answer,
 * through the loop's cache), parsed, with its version into *cs (no body).
 * NULL with e set (503 when the version went away).
 */
json_t *api_sheetdiff_open(struct store *s, const struct store_gen *g, const char *production_id,
                           const char *id, struct store_callsheet *cs, struct err *e);

/* person_id's own line of the sheet's calls, as my_call shows it; NULL when not called. */
json_t *api_sheetdiff_own_call(const json_t *sheet, const char *person_id);

/*
 * What changed for one person from sheet old to sheet now (mine_*: their own
 * lines, api_sheetdiff_own_call): [{field, from, to}] over their call fields,
 * the general call and the locations' names — the `changes` of
 * GET /api/v1/me/callsheets.
 */
json_t *api_sheetdiff_person(const json_t *old, const json_t *now, const json_t *mine_old,
                             const json_t *mine_now);

/*
 * Everything that changed from sheet old to sheet now, as
 * GET …/callsheets/{cid}/diff answers it (without its from and to): read
 * from the two sheets alone, so it holds nothing either sheet does not.
 * old NULL: nothing to compare, every section empty.
 */
json_t *api_sheetdiff(const json_t *old, const json_t *now);

#endif

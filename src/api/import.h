/*
 * import.h — a production's JSON export (version 2) loaded into this
 * instance as a new production (api/import.c), shared by
 * POST /api/v1/productions/import and `slate import`.
 */
#ifndef SLATE_API_IMPORT_H
#define SLATE_API_IMPORT_H

#include <jansson.h>

#include "store/store.h"

/*
 * Loads set into s in one transaction, records it keeps the ids of, and the
 * records whose author has no account here attributed to actor_user_id.
 * Returns the import's report ({production, imported, not_imported}, owned by
 * the caller), or NULL with nothing written and e naming the record at
 * fault as a JSON pointer into set (400, or 409 when this instance holds
 * the production already; 500/503 on a store failure).
 */
json_t *import_dataset(struct store *s, const json_t *set, const char *actor_user_id,
                       struct err *e);

#endif

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
 * records whose author has no account here attributed to actor_user_id;
 * the attachments' files through files (NULL: none, they are counted as not
 * imported).
 * Returns the import's report ({production, imported, not_imported}, owned by
 * the caller), or NULL with nothing written and e naming the record at
 * fault as a JSON pointer into set (400, or 409 when this instance holds
 * the production already; 500/503 on a store failure).
 */
struct import_files {
	/*
	 * Loads the files of the export's `attachments` list into the new
	 * production, inside the import's transaction, recording each id loaded
	 * in `loaded`: 0, or -1 with e set. The caller removes what it wrote
	 * when the import returns NULL.
	 */
	int (*load)(struct store *s, const char *production_id, const json_t *attachments,
	            const char *actor_user_id, json_t *loaded, void *arg, struct err *e);
	void *arg;
};
json_t *import_dataset(struct store *s, const json_t *set, const char *actor_user_id,
                       const struct import_files *files, struct err *e);

#endif

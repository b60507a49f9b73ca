/*
 * cache.h — what a loop thread remembers between requests: sessions,
 * readers, opened call sheets and people pages, each valid only while no data has been
 * written since it was read (store_generation; audit events and session
 * touches are not data). See cache.c.
 */
#ifndef SLATE_API_CACHE_H
#define SLATE_API_CACHE_H

#include <stddef.h>

#include "api/view.h"
#include "crypto/token.h"
#include "store/store.h"

/*
 * Every call takes the store of the calling thread and the generation g
 * taken at the start of the request (g NULL: no cache for this request; a
 * get misses, a put does nothing). A get answers 1 and fills its outputs
 * when an entry was read at exactly g and nothing has been written through
 * s since; else 0. A put remembers what was read after g was taken, unless
 * s has written since g (then it could hold the request's own writes
 * under an older generation).
 */

/* The session behind token_hash and its CSRF token. */
int cache_session_get(struct store *s, const struct store_gen *g, const char *token_hash,
                      struct store_session *out, char csrf[TOKEN_TEXT_LEN]);
void cache_session_put(struct store *s, const struct store_gen *g, const char *token_hash,
                       const struct store_session *ses, const char *csrf);

/*
 * The reader of production_id for user_id (instance admin or not), as
 * api_reader_load made it, without the days they are called on (nothing
 * for api_reader_free to free: not every handler calls it); those come
 * from cache_reader_called.
 */
int cache_reader_get(struct store *s, const struct store_gen *g, const char *user_id,
                     int instance_admin, const char *production_id, struct api_reader *out);
/* 1 when the kept reader is called on day_id, 0 when not, -1 when not known. */
int cache_reader_called(struct store *s, const struct store_gen *g, const char *user_id,
                        int instance_admin, const char *production_id, const char *day_id);
void cache_reader_put(struct store *s, const struct store_gen *g, const char *user_id,
                      int instance_admin, const struct api_reader *rd);

/*
 * Published call sheet id of production_id: its row (without body), its
 * shoot day and the whole response of GET .../callsheets/{cid} (*resp
 * points into the cache: valid until the next cache call of this thread).
 */
int cache_sheet_get(struct store *s, const struct store_gen *g, const char *production_id,
                    const char *id, struct store_callsheet *cs, struct store_day *d,
                    const char **resp, size_t *len);
void cache_sheet_put(struct store *s, const struct store_gen *g, const struct store_callsheet *cs,
                     const struct store_day *d, const char *resp, size_t len);

/*
 * A page of a production's people list as one reader read it (key names the
 * reader and the query: api/people.c): its JSON and the ids its read audit
 * names (NULL: none). *resp and *ids point into the cache: valid until the
 * next cache call of this thread. The page may have been read by a worker
 * after g was taken: it is put under the generation its request started at.
 */
int cache_people_get(struct store *s, const struct store_gen *g, const char *key, const char **resp,
                     size_t *len, const char **ids);
void cache_people_put(struct store *s, const struct store_gen *g, const char *key, const char *resp,
                      size_t len, const char *ids);

#endif

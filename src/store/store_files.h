/*
 * store_files.h — the rows that name files on disk (an attachment's
 * stored_name under DATA/uploads), for whoever removes a record with its
 * file and for `slate fsck`, which compares the rows with the directory.
 *
 * The order that keeps the two consistent: a file is written before its
 * row commits (api/attachments.c), and removed only after the commit that
 * removed its row. A crash between can leave a file no row names (an
 * orphan, which fsck lists and can remove), never a row naming a file that
 * is gone.
 */
#ifndef SLATE_STORE_STORE_FILES_H
#define SLATE_STORE_STORE_FILES_H

#include <stddef.h>

#include "store/store.h"

/*
 * Deletes attachment id of production_id (a file or an entry's evidence)
 * and its sealed key; its stored_name into stored (cap bytes) for the
 * caller to remove after the commit. Joins the caller's transaction.
 * 1 deleted, 0 no such attachment, -1 with e set.
 */
int store_attachment_remove(struct store *s, const char *production_id, const char *id,
                            char *stored, size_t cap, struct err *e);

/* Every attachment's id and stored_name, in no particular order: 0, or -1 with e set. */
int store_attachment_files(struct store *s,
                           void (*fn)(const char *id, const char *stored_name, void *arg),
                           void *arg, struct err *e);

#endif

/*
 * archive.h — the attachments archive beside a JSON export (cli/archive.c).
 */
#ifndef SLATE_CLI_ARCHIVE_H
#define SLATE_CLI_ARCHIVE_H

#include <stddef.h>

#include <jansson.h>

#include "store/store.h"

/*
 * Writes the files of `attachments` (the export's list) to fd as a tar, one
 * decrypted chunk at a time: 0, or -1 with e set.
 */
int archive_export(int fd, struct store *s, const char *upload_dir, const char *prod,
                   const json_t *attachments, struct err *e);

/* An import's archive: where it is, where files go, and the files written so far. */
struct archive_import {
	const char *path;
	const char *upload_dir;
	char **paths;
	size_t npaths;
};
/*
 * An import_files.load (api/import.h) with arg a struct archive_import:
 * every file of the archive re-encrypted under a new key into upload_dir
 * and recorded, each id in `loaded`; every attachment listed must be in
 * the archive. 0, or -1 with e set (400 naming the archive's fault).
 */
int archive_import(struct store *s, const char *prod, const json_t *attachments, const char *actor,
                   json_t *loaded, void *arg, struct err *e);
/* After the import: removes the files written unless it committed, and forgets them. */
void archive_undo(struct archive_import *ai, int committed);

#endif

/*
 * web.h — the browser app (web/), compiled into the binary and served by
 * `slate serve` from the API's own origin (api/web.c says how).
 *
 * scripts/embed web web writes build/gen/web.c: web_files, every file under
 * web/ (not dot files, not backups ending in '~') sorted by path in byte
 * order, and web_version, 16 lowercase hex digits of a SHA-256 over every
 * path and content. index.html and sw.js are stored with {{ASSETS}}
 * replaced by "/assets/<web_version>" (and, in sw.js, {{ASSET_FILES}} by
 * the JSON array of every asset's URL); every other file is an asset,
 * served at /assets/<web_version>/<path>. The bytes are static and live as
 * long as the program.
 */
#ifndef SLATE_API_WEB_H
#define SLATE_API_WEB_H

#include <stddef.h>

struct api_call;

struct web_file {
	const char *path; /* relative to web/: "index.html", "js/app.js" */
	const char *type; /* the Content-Type */
	int asset;        /* served under /assets/<version>/ (all but index.html and sw.js) */
	const unsigned char *data;
	size_t len;
	const unsigned char *gz; /* gzip -9 -n of data, or NULL when that would not be smaller */
	size_t gz_len;
};

extern const struct web_file web_files[];
extern const size_t web_nfiles;
extern const char web_version[];

/* The file at path (relative to web/), or NULL. */
const struct web_file *web_find(const char *path);

/* The routes (api/routes.c), public: index.html for every app path, /sw.js, the assets. */
void web_page(struct api_call *c);
void web_worker(struct api_call *c);
void web_asset(struct api_call *c);

#endif

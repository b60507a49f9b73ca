/*
 * dest.h — where backups go: one interface, two kinds of destination
 * (issue 21). A destination stores whole named objects; it knows nothing of
 * snapshots or WAL segments (backup.c decides what the names mean).
 *
 *   dir   a directory (backup_dir, another disk): NAME is ROOT/NAME, files
 *         0600, subdirectories 0700, every write a temporary file, fsync'ed
 *         and renamed into place (the directory fsync'ed after).
 *   s3    an S3-compatible object store: NAME is the object
 *         ENDPOINT/BUCKET/PREFIX/NAME (path-style), every write one PUT,
 *         every request signed with AWS Signature Version 4 by Slate's own
 *         signer (dest_s3.c says why not libcurl's), HTTPS verified.
 *
 * Names are relative slash-separated paths ("snapshots/X.db",
 * "wal/G/000001.seg"): no absolute name, no empty component, no component
 * starting with '.' (so no "." or "..": and a directory destination keeps
 * its temporary files under such names, out of every listing), no control
 * character, at most DEST_NAME_MAX bytes.
 *
 * Readers never see part of an object: a put either replaces the whole
 * object or leaves the old one. ship.c ships every WAL segment and
 * backup.c every snapshot through this, to each destination configured.
 */
#ifndef SLATE_BACKUP_DEST_H
#define SLATE_BACKUP_DEST_H

#include <stddef.h>

#include "util/config.h"
#include "util/err.h"

#define DEST_NAME_MAX 512

enum dest_kind { DEST_DIR, DEST_S3 };

/* Borrowed strings (dest_open copies what it keeps). */
struct dest_spec {
	enum dest_kind kind;
	const char *dir;         /* DEST_DIR: the root */
	const char *s3_endpoint; /* https://HOST[:PORT]; http:// for loopback only */
	const char *s3_bucket;
	const char *s3_prefix; /* "" or a relative path, no slash at either end */
	const char *s3_region;
	const char *s3_credentials_file;
	const char *s3_ca_file; /* "" or NULL: the system's CAs */
	long s3_timeout;        /* seconds: to connect, and with no byte moving */
};

struct backup_dest;

struct backup_dest *dest_open(const struct dest_spec *spec, struct err *e);
void dest_close(struct backup_dest *d);
/* "dir:/path" or "s3://bucket/prefix": for logs and metrics, never a secret. */
const char *dest_label(const struct backup_dest *d);
/* A directory destination's root (its objects are files under it), else NULL. */
const char *dest_dir_root(const struct backup_dest *d);

int dest_put_file(struct backup_dest *d, const char *name, const char *local_path, struct err *e);
int dest_put_mem(struct backup_dest *d, const char *name, const void *buf, size_t n, struct err *e);
/* Writes the object to local_path (a temporary file renamed over it, 0600): 0, 1 not found, -1. */
int dest_get_file(struct backup_dest *d, const char *name, const char *local_path, struct err *e);
/*
 * Calls each(name, size, arg) for every object whose name starts with
 * prefix ("" for all), in lexical (byte) order. each returns 0 to go on,
 * anything else to stop: dest_list returns that value then.
 */
int dest_list(struct backup_dest *d, const char *prefix,
              int (*each)(const char *name, long long size, void *arg), void *arg, struct err *e);
/* Removes the object; one that is not there is no error. */
int dest_delete(struct backup_dest *d, const char *name, struct err *e);

/* 0 when name is a valid object name, else -1 and why. */
int dest_name_check(const char *name, struct err *e);

/* The backup directory (when backup_dir is set) and the S3 store (when s3_endpoint is). */
int dest_specs_from_config(const struct config *c, struct dest_spec out[2], int *n, struct err *e);

/*
 * The S3 settings' rules (config_finish applies them when s3_endpoint is
 * set, dest_open again): one clear error line each. Opens no file.
 */
int dest_s3_settings_check(const char *endpoint, const char *bucket, const char *prefix,
                           const char *region, const char *credentials_file, struct err *e);

/* ---- the S3 pieces, public for the unit tests and the fuzz harness */

/* One request to sign. Every string is already in canonical (URI-encoded) form. */
struct sigv4_request {
	const char *method;         /* "PUT" */
	const char *host;           /* the Host header's value: "s3.eu-west-1.amazonaws.com" */
	const char *path;           /* "/bucket/prefix/name", each segment URI-encoded */
	const char *query;          /* "list-type=2&prefix=x", sorted, encoded; "" if none */
	const char *payload_sha256; /* 64 lower-case hex digits */
	const char *amz_date;       /* "20150830T123600Z" */
	const char *region;
	const char *service; /* "s3" */
	const char *key_id;
	const char *secret;
	int sign_content_sha256; /* the x-amz-content-sha256 header is sent and signed */
};

/* The Authorization header's value into out (at most outlen bytes with the NUL): 0 or -1. */
int dest_sigv4_authorization(const struct sigv4_request *r, char *out, size_t outlen);

struct s3_list_page {
	int truncated;    /* <IsTruncated>true</IsTruncated> */
	char token[1025]; /* <NextContinuationToken>, decoded; "" if none */
};

/*
 * Reads a ListObjectsV2 answer (xml, n bytes, not NUL-terminated): each
 * <Contents>'s <Key> (entities decoded) and <Size>, then the paging. Only
 * these four elements are read; anything malformed or out of bounds in
 * them is an error, not a guess. each's non-zero return stops the walk and
 * is returned.
 */
int dest_s3_list_parse(const char *xml, size_t n,
                       int (*each)(const char *key, long long size, void *arg), void *arg,
                       struct s3_list_page *page, struct err *e);

#endif

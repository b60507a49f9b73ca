/*
 * dest_int.h — what dest.c (the interface and the directory) and dest_s3.c
 * (the object store) share. Not for other callers: use dest.h.
 */
#ifndef SLATE_BACKUP_DEST_INT_H
#define SLATE_BACKUP_DEST_INT_H

#include "backup/dest.h"
#include "util/secret.h"

struct backup_dest {
	enum dest_kind kind;
	char *label;
	/* DEST_DIR */
	char *root;
	/* DEST_S3 */
	char *scheme_host; /* "https://host:port": the URL before the path */
	char *host;        /* "host:port" as written: the Host header */
	char *bucket;
	char *prefix; /* "" or "a/b/" (with the slash) */
	char *region;
	char *ca_file; /* NULL: the system's */
	long timeout;
	int curl_inited;
	char *key_id;
	struct secret secret_key;
};

/* A temporary file beside path (".BASE.tmp-XXXXXX", 0600): its fd and *tmp, or -1. */
int dest_tmp_create(const char *path, char **tmp, struct err *e);
/* fsync, close, rename over path, fsync its directory; frees tmp either way. */
int dest_tmp_commit(int fd, char *tmp, const char *path, struct err *e);
/* close, unlink, free. */
void dest_tmp_abort(int fd, char *tmp);

int s3_open(struct backup_dest *d, const struct dest_spec *spec, struct err *e);
void s3_close(struct backup_dest *d);
int s3_put_file(struct backup_dest *d, const char *name, const char *local_path, struct err *e);
int s3_put_mem(struct backup_dest *d, const char *name, const void *buf, size_t n, struct err *e);
int s3_get_file(struct backup_dest *d, const char *name, const char *local_path, struct err *e);
int s3_list(struct backup_dest *d, const char *prefix,
            int (*each)(const char *name, long long size, void *arg), void *arg, struct err *e);
int s3_delete(struct backup_dest *d, const char *name, struct err *e);

#endif

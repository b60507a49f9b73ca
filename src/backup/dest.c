/*
 * dest.c — the backup destination interface (dest.h) and the directory
 * destination; the S3-compatible one is in dest_s3.c.
 *
 * The directory destination. ROOT is created (0700) when missing, its
 * parent must exist. An object NAME is the file ROOT/NAME; the directories
 * on its way are created 0700. A put writes ROOT/DIR/.BASE.tmp-XXXXXX
 * (0600), fsyncs it, renames it over ROOT/NAME and fsyncs ROOT/DIR, so a
 * reader sees the old object or the whole new one, and the new one survives
 * a power cut once put returned. Names never start a component with '.', so
 * a temporary file left by a crash is never listed, never read and never
 * clashes with an object; nothing removes such leftovers yet.
 *
 * A list walks ROOT (regular files and directories only: a symbolic link
 * or a device is skipped, never followed), keeps the names starting with
 * the prefix, and sorts them with strcmp: byte order, as S3 lists.
 *
 * Ownership: the struct backup_dest and its strings belong to the caller of
 * dest_open until dest_close; the S3 secret key is in guarded memory
 * (struct secret) and wiped there.
 */
#include "backup/dest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup/dest_int.h"
#include "util/io.h"
#include "util/xalloc.h"

#define WALK_DEPTH_MAX 16

int
dest_name_check(const char *name, struct err *e)
{
	size_t n = strlen(name);
	const char *p = name;

	if (n == 0)
		return err_set(e, 400, "backup object name is empty");
	if (n > DEST_NAME_MAX)
		return err_set(e, 400, "backup object name is longer than %d bytes", DEST_NAME_MAX);
	if (name[0] == '/')
		return err_set(e, 400, "backup object name must be relative, not '/...'");
	for (const char *q = name; *q; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f || *q == '\\')
			return err_set(e, 400,
			               "backup object name has a control character or '\\'");
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		if (len == 0)
			return err_set(e, 400, "backup object name has an empty component");
		if (p[0] == '.')
			return err_set(e, 400,
			               "backup object name has a component starting with '.'");
		if (slash == NULL)
			break;
		p = slash + 1;
	}
	return 0;
}

/* ---- temporary files renamed into place (used by both kinds for local files) */

/* fsyncs the directory holding path. */
static int
sync_parent(const char *path, struct err *e)
{
	char *slash = strrchr(path, '/');
	char *dir = slash == NULL   ? xstrdup(".")
	            : slash == path ? xstrdup("/")
	                            : xstrndup(path, (size_t)(slash - path));
	int fd, rc = -1;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 || fsync(fd) == -1) {
		err_set(e, 500, "cannot sync directory %s: %s", dir, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	free(dir);
	return rc;
}

int
dest_tmp_create(const char *path, char **tmp, struct err *e)
{
	const char *slash = strrchr(path, '/');
	int fd;

	if (slash == NULL)
		*tmp = xasprintf(".%s.tmp-XXXXXX", path);
	else
		*tmp = xasprintf("%.*s/.%s.tmp-XXXXXX", (int)(slash - path), path, slash + 1);
	fd = mkostemp(*tmp, O_CLOEXEC);
	if (fd == -1) {
		err_set(e, 500, "cannot create a temporary file beside %s: %s", path,
		        strerror(errno));
		free(*tmp);
		*tmp = NULL;
		return -1;
	}
	(void)fchmod(fd, 0600);
	return fd;
}

void
dest_tmp_abort(int fd, char *tmp)
{
	if (fd != -1)
		close(fd);
	if (tmp != NULL) {
		(void)unlink(tmp);
		free(tmp);
	}
}

int
dest_tmp_commit(int fd, char *tmp, const char *path, struct err *e)
{
	if (fsync(fd) == -1) {
		err_set(e, 500, "cannot write %s: %s", path, strerror(errno));
		dest_tmp_abort(fd, tmp);
		return -1;
	}
	if (close(fd) == -1) {
		err_set(e, 500, "cannot write %s: %s", path, strerror(errno));
		dest_tmp_abort(-1, tmp);
		return -1;
	}
	if (rename(tmp, path) == -1) {
		err_set(e, 500, "cannot rename into %s: %s", path, strerror(errno));
		dest_tmp_abort(-1, tmp);
		return -1;
	}
	free(tmp);
	return sync_parent(path, e);
}

/* Copies all of src into dst; 0 or -1 (errno set). */
static int
copy_fd(int src, int dst)
{
	char buf[65536];
	for (;;) {
		ssize_t r = read(src, buf, sizeof(buf));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0)
			return 0;
		if (io_write_all(dst, buf, (size_t)r) == -1)
			return -1;
	}
}

/* ---- the directory destination */

/* Makes the directories on the way to ROOT/NAME; returns the full path. */
static char *
dir_path(struct backup_dest *d, const char *name, int make, struct err *e)
{
	char *path = xasprintf("%s/%s", d->root, name);
	size_t rootlen = strlen(d->root);

	if (!make)
		return path;
	for (char *p = path + rootlen + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(path, 0700) == -1 && errno != EEXIST) {
			err_set(e, 500, "cannot create directory %s: %s", path, strerror(errno));
			free(path);
			return NULL;
		}
		*p = '/';
	}
	return path;
}

static int
dir_put(struct backup_dest *d, const char *name, int src, const void *buf, size_t n, struct err *e)
{
	char *path = NULL, *tmp = NULL;
	int fd = -1, rc = -1;

	if ((path = dir_path(d, name, 1, e)) == NULL)
		goto out;
	if ((fd = dest_tmp_create(path, &tmp, e)) == -1)
		goto out;
	if ((src != -1 ? copy_fd(src, fd) : io_write_all(fd, buf, n)) == -1) {
		err_set(e, 500, "cannot write %s: %s", path, strerror(errno));
		dest_tmp_abort(fd, tmp);
		goto out;
	}
	rc = dest_tmp_commit(fd, tmp, path, e);
out:
	free(path);
	return rc;
}

static int
open_local(const char *local_path, struct err *e)
{
	struct stat st;
	int fd = open(local_path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return err_set(e, 500, "cannot open %s: %s", local_path, strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(e, 500, "%s is not a regular file", local_path);
	}
	return fd;
}

static int
dir_get(struct backup_dest *d, const char *name, const char *local_path, struct err *e)
{
	char *path = dir_path(d, name, 0, e), *tmp = NULL;
	struct stat st;
	int src, fd, rc = -1;

	src = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (src == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			rc = 1;
		else
			err_set(e, 500, "cannot open %s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(src, &st) == -1 || !S_ISREG(st.st_mode)) {
		err_set(e, 500, "%s is not a regular file", path);
		goto out;
	}
	if ((fd = dest_tmp_create(local_path, &tmp, e)) == -1)
		goto out;
	if (copy_fd(src, fd) == -1) {
		err_set(e, 500, "cannot copy %s to %s: %s", path, local_path, strerror(errno));
		dest_tmp_abort(fd, tmp);
		goto out;
	}
	rc = dest_tmp_commit(fd, tmp, local_path, e);
out:
	if (src != -1)
		close(src);
	free(path);
	return rc;
}

struct entry {
	char *name;
	long long size;
};

struct entries {
	struct entry *v;
	size_t n, cap;
};

static int
walk(int fd, const char *rel, const char *prefix, struct entries *out, int depth, struct err *e)
{
	DIR *dir;
	struct dirent *de;
	int rc = 0;

	if (depth > WALK_DEPTH_MAX) {
		close(fd);
		return 0;
	}
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return err_set(e, 500, "cannot list a backup directory: %s", strerror(errno));
	}
	while (rc == 0 && (de = readdir(dir)) != NULL) {
		struct stat st;
		char *name;
		if (de->d_name[0] == '.')
			continue;
		if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		name = rel[0] ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		if (S_ISDIR(st.st_mode)) {
			/* descend only where a name below may still start with the prefix */
			size_t nl = strlen(name), pl = strlen(prefix);
			if (strncmp(name, prefix, nl < pl ? nl : pl) == 0) {
				int sub = openat(dirfd(dir), de->d_name,
				                 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				if (sub != -1)
					rc = walk(sub, name, prefix, out, depth + 1, e);
			}
			free(name);
		} else if (S_ISREG(st.st_mode) && strncmp(name, prefix, strlen(prefix)) == 0) {
			if (out->n == out->cap) {
				out->cap = out->cap ? out->cap * 2 : 64;
				out->v = xrealloc(out->v, out->cap * sizeof(*out->v));
			}
			out->v[out->n].name = name;
			out->v[out->n].size = (long long)st.st_size;
			out->n++;
		} else {
			free(name);
		}
	}
	closedir(dir);
	return rc;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

static int
dir_list(struct backup_dest *d, const char *prefix,
         int (*each)(const char *name, long long size, void *arg), void *arg, struct err *e)
{
	struct entries all = {NULL, 0, 0};
	int fd, rc;

	fd = open(d->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return err_set(e, 500, "cannot open backup directory %s: %s", d->root,
		               strerror(errno));
	rc = walk(fd, "", prefix, &all, 0, e);
	if (rc == 0 && all.n > 0)
		qsort(all.v, all.n, sizeof(*all.v), by_name);
	for (size_t i = 0; i < all.n; i++) {
		if (rc == 0)
			rc = each(all.v[i].name, all.v[i].size, arg);
		free(all.v[i].name);
	}
	free(all.v);
	return rc;
}

static int
dir_delete(struct backup_dest *d, const char *name, struct err *e)
{
	char *path = dir_path(d, name, 0, e);
	int rc = 0;

	if (unlink(path) == -1) {
		if (errno != ENOENT && errno != ENOTDIR)
			rc = err_set(e, 500, "cannot remove %s: %s", path, strerror(errno));
	} else {
		rc = sync_parent(path, e);
	}
	free(path);
	return rc;
}

/* ---- the interface */

struct backup_dest *
dest_open(const struct dest_spec *spec, struct err *e)
{
	struct backup_dest *d = xcalloc(1, sizeof(*d));
	struct stat st;

	d->kind = spec->kind;
	if (spec->kind == DEST_S3) {
		if (s3_open(d, spec, e) == -1) {
			dest_close(d);
			return NULL;
		}
		return d;
	}
	if (spec->dir == NULL || spec->dir[0] == '\0') {
		err_set(e, 400, "the backup directory is not set");
		goto fail;
	}
	d->root = xstrdup(spec->dir);
	for (size_t n = strlen(d->root); n > 1 && d->root[n - 1] == '/'; n--)
		d->root[n - 1] = '\0';
	if (mkdir(d->root, 0700) == -1 && errno != EEXIST) {
		err_set(e, 500, "cannot create backup directory %s: %s", d->root, strerror(errno));
		goto fail;
	}
	if (stat(d->root, &st) == -1 || !S_ISDIR(st.st_mode)) {
		err_set(e, 500, "backup directory %s is not a directory", d->root);
		goto fail;
	}
	d->label = xasprintf("dir:%s", d->root);
	return d;
fail:
	dest_close(d);
	return NULL;
}

void
dest_close(struct backup_dest *d)
{
	if (d == NULL)
		return;
	if (d->kind == DEST_S3)
		s3_close(d);
	free(d->root);
	free(d->label);
	free(d);
}

const char *
dest_label(const struct backup_dest *d)
{
	return d->label;
}

const char *
dest_dir_root(const struct backup_dest *d)
{
	return d->kind == DEST_DIR ? d->root : NULL;
}

int
dest_put_file(struct backup_dest *d, const char *name, const char *local_path, struct err *e)
{
	int src, rc;

	if (dest_name_check(name, e) == -1)
		return -1;
	if (d->kind == DEST_S3)
		return s3_put_file(d, name, local_path, e);
	if ((src = open_local(local_path, e)) == -1)
		return -1;
	rc = dir_put(d, name, src, NULL, 0, e);
	close(src);
	return rc;
}

int
dest_put_mem(struct backup_dest *d, const char *name, const void *buf, size_t n, struct err *e)
{
	if (dest_name_check(name, e) == -1)
		return -1;
	if (d->kind == DEST_S3)
		return s3_put_mem(d, name, buf, n, e);
	return dir_put(d, name, -1, buf, n, e);
}

int
dest_get_file(struct backup_dest *d, const char *name, const char *local_path, struct err *e)
{
	if (dest_name_check(name, e) == -1)
		return -1;
	if (d->kind == DEST_S3)
		return s3_get_file(d, name, local_path, e);
	return dir_get(d, name, local_path, e);
}

int
dest_list(struct backup_dest *d, const char *prefix,
          int (*each)(const char *name, long long size, void *arg), void *arg, struct err *e)
{
	if (prefix == NULL)
		prefix = "";
	if (strlen(prefix) > DEST_NAME_MAX || prefix[0] == '/')
		return err_set(e, 400, "backup list prefix must be a relative name");
	if (d->kind == DEST_S3)
		return s3_list(d, prefix, each, arg, e);
	return dir_list(d, prefix, each, arg, e);
}

int
dest_delete(struct backup_dest *d, const char *name, struct err *e)
{
	if (dest_name_check(name, e) == -1)
		return -1;
	if (d->kind == DEST_S3)
		return s3_delete(d, name, e);
	return dir_delete(d, name, e);
}

int
dest_specs_from_config(const struct config *c, struct dest_spec out[2], int *n, struct err *e)
{
	(void)e;
	*n = 0;
	if (c->backup_dir != NULL && c->backup_dir[0] != '\0') {
		memset(&out[*n], 0, sizeof(out[*n]));
		out[*n].kind = DEST_DIR;
		out[*n].dir = c->backup_dir;
		(*n)++;
	}
	if (c->s3_endpoint != NULL && c->s3_endpoint[0] != '\0') {
		memset(&out[*n], 0, sizeof(out[*n]));
		out[*n].kind = DEST_S3;
		out[*n].s3_endpoint = c->s3_endpoint;
		out[*n].s3_bucket = c->s3_bucket;
		out[*n].s3_prefix = c->s3_prefix;
		out[*n].s3_region = c->s3_region;
		out[*n].s3_credentials_file = c->s3_credentials_file;
		out[*n].s3_ca_file = c->s3_ca_file;
		out[*n].s3_timeout = c->s3_timeout;
		(*n)++;
	}
	return 0;
}

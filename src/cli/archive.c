/*
 * archive.c — the bytes of a production's attachments, carried beside its
 * JSON export: `slate export --format attachments` writes them, `slate
 * import --attachments FILE` reads them back (cli/export.c, cli/import.c).
 *
 * Format: a POSIX tar (pax restricted, written and read by libarchive)
 * holding one regular file per attachment of the JSON export's
 * `attachments` list (the evidence of sustainability entries included),
 * named `attachments/<attachment id>`, mode 0600, mtime 0, its size the
 * attachment's `size`. The file's name, media type and the rest are in the
 * JSON; the archive holds the plaintext bytes only, so it is as secret as
 * the files themselves: it is created 0600 and never over an existing
 * file.
 *
 * Streaming: a file is decrypted record by record (crypto/stream.h) into
 * the archive, and read back block by block from the archive into a new
 * encrypted file under a new file key; either way one 64 KiB chunk is held
 * at a time, whatever the number and size of the files.
 *
 * On import each file is written to UPLOAD_DIR/<new random name>.sfe (0600,
 * O_EXCL) and synced before its row is added, inside the import's
 * transaction; archive_undo removes every file written when the import
 * does not commit, so a failed import leaves no file behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <sodium.h>

#include "cli/archive.h"
#include "crypto/stream.h"
#include "domain/validate.h"
#include "util/io.h"
#include "util/secret.h"
#include "util/xalloc.h"

#define PREFIX "attachments/"

/* ---- export ---- */

struct to_archive {
	struct archive *ar;
	long long written;
};

static int
archive_out(const unsigned char *p, size_t n, void *arg, struct err *e)
{
	struct to_archive *t = arg;
	if (archive_write_data(t->ar, p, n) != (la_ssize_t)n)
		return err_set(e, 500, "cannot write the archive: %s", archive_error_string(t->ar));
	t->written += (long long)n;
	return 0;
}

/* One attachment into the archive. */
static int
put_one(struct archive *ar, struct store *s, const char *upload_dir, const char *prod,
        const char *id, struct err *e)
{
	struct store_attachment a;
	struct secret key = {NULL, 0};
	struct archive_entry *en = NULL;
	struct to_archive t = {ar, 0};
	char path[4200], name[96];
	int fd = -1, rc = -1, found;

	if ((found = store_attachment_get(s, prod, id, &a, &key, e)) != 1) {
		if (found == 0)
			err_set(e, 404, "the attachment %s is gone", id);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/%s", upload_dir, a.stored_name);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		err_set(e, 500, "cannot open the stored file of %s: %s", id, strerror(errno));
		goto out;
	}
	snprintf(name, sizeof(name), PREFIX "%s", a.id);
	en = archive_entry_new();
	archive_entry_set_pathname(en, name);
	archive_entry_set_filetype(en, AE_IFREG);
	archive_entry_set_perm(en, 0600);
	archive_entry_set_size(en, a.size);
	archive_entry_set_mtime(en, 0, 0);
	if (archive_write_header(ar, en) != ARCHIVE_OK) {
		err_set(e, 500, "cannot write the archive: %s", archive_error_string(ar));
		goto out;
	}
	if (stream_read(key.p, stream_in_fd, &fd, archive_out, &t, e) == -1)
		goto out;
	if (t.written != a.size) {
		err_set(e, 500, "the stored file of %s holds %lld bytes, not %lld", id, t.written,
		        a.size);
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	archive_entry_free(en);
	secret_free(&key);
	return rc;
}

int
archive_export(int fd, struct store *s, const char *upload_dir, const char *prod,
               const json_t *attachments, struct err *e)
{
	struct archive *ar = archive_write_new();
	const json_t *a;
	size_t i;
	int rc = -1;

	if (archive_write_set_format_pax_restricted(ar) != ARCHIVE_OK ||
	    archive_write_open_fd(ar, fd) != ARCHIVE_OK) {
		err_set(e, 500, "cannot start the archive: %s", archive_error_string(ar));
		goto out;
	}
	json_array_foreach (attachments, i, a) {
		if (put_one(ar, s, upload_dir, prod, json_string_value(json_object_get(a, "id")),
		            e) == -1)
			goto out;
	}
	if (archive_write_close(ar) != ARCHIVE_OK) {
		err_set(e, 500, "cannot finish the archive: %s", archive_error_string(ar));
		goto out;
	}
	rc = 0;
out:
	archive_write_free(ar);
	return rc;
}

/* ---- import ---- */

static int
fd_out(const unsigned char *p, size_t n, void *arg, struct err *e)
{
	if (io_write_all(*(int *)arg, p, n) == -1)
		return err_set(e, 500, "cannot write an attachment: %s", strerror(errno));
	return 0;
}

/* The export's record of attachment id, and its index; NULL when it lists none such. */
static const json_t *
listed(const json_t *attachments, const char *id, size_t *at)
{
	const json_t *a;
	size_t i;
	json_array_foreach (attachments, i, a) {
		const char *v = json_string_value(json_object_get(a, "id"));
		if (v != NULL && strcmp(v, id) == 0) {
			*at = i;
			return a;
		}
	}
	return NULL;
}

static void
remember(struct archive_import *ai, const char *path)
{
	ai->paths = xrealloc(ai->paths, (ai->npaths + 1) * sizeof(*ai->paths));
	ai->paths[ai->npaths++] = xstrdup(path);
}

static int
text_of(const json_t *o, const char *name, char *dst, size_t cap)
{
	const char *v = json_string_value(json_object_get(o, name));
	if (v == NULL || strlen(v) >= cap)
		return -1;
	snprintf(dst, cap, "%s", v);
	return 0;
}

/* 1 when t is a time as the store writes them, "YYYY-MM-DDTHH:MM:SSZ". */
static int
stamp_ok(const char *t)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	for (size_t i = 0; i < sizeof(shape) - 1; i++)
		if (t[i] == '\0' || (shape[i] == 'd' ? t[i] < '0' || t[i] > '9' : t[i] != shape[i]))
			return 0;
	return t[sizeof(shape) - 1] == '\0';
}

/* One entry of the archive into a new encrypted file and its row. */
static int
take_one(struct archive_import *ai, struct archive *ar, struct store *s, const char *prod,
         const json_t *meta, size_t at, const char *actor, struct err *e)
{
	struct store_attachment a;
	struct stream_out w;
	struct secret key = {NULL, 0};
	unsigned char *buf = xmalloc(STREAM_CHUNK);
	char path[4200], rnd[STORE_ID_LEN + 8], ptr[64];
	long long got = 0;
	la_ssize_t n;
	int fd = -1, rc = -1, begun = 0, used;

	memset(&a, 0, sizeof(a));
	snprintf(ptr, sizeof(ptr), "/attachments/%zu", at);
	if (text_of(meta, "id", a.id, sizeof(a.id)) == -1 ||
	    text_of(meta, "name", a.name, sizeof(a.name)) == -1 || !validate_file_name(a.name) ||
	    text_of(meta, "content_type", a.content_type, sizeof(a.content_type)) == -1 ||
	    a.content_type[0] == '\0' ||
	    text_of(meta, "created_at", a.created_at, sizeof(a.created_at)) == -1 ||
	    !stamp_ok(a.created_at) || !json_is_integer(json_object_get(meta, "size")) ||
	    json_integer_value(json_object_get(meta, "size")) < 1) {
		err_field(e, 400, ptr,
		          "an attachment needs its id, name, content_type, size and "
		          "created_at as GET …/attachments answers them");
		goto out;
	}
	if ((used = store_id_in_use(s, a.id, e)) == -1)
		goto out;
	if (used) {
		err_field(e, 409, ptr, "this instance holds an attachment with this id already");
		goto out;
	}
	a.size = json_integer_value(json_object_get(meta, "size"));
	a.evidence = json_is_true(json_object_get(meta, "evidence"));
	snprintf(a.production_id, sizeof(a.production_id), "%s", prod);
	snprintf(a.created_by, sizeof(a.created_by), "%s", actor);
	store_new_id(rnd, sizeof(rnd), "f");
	snprintf(a.stored_name, sizeof(a.stored_name), "%s.sfe", rnd);
	snprintf(path, sizeof(path), "%s/%s", ai->upload_dir, a.stored_name);
	secret_alloc(&key, 32);
	randombytes_buf(key.p, key.len);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) == -1) {
		err_set(e, 500, "cannot create %s: %s", path, strerror(errno));
		goto out;
	}
	remember(ai, path);
	if (stream_out_begin(&w, key.p, fd_out, &fd, e) == -1)
		goto out;
	begun = 1;
	while ((n = archive_read_data(ar, buf, STREAM_CHUNK)) > 0) {
		got += n;
		if (stream_out_push(&w, buf, (size_t)n, e) == -1)
			goto out;
	}
	if (n < 0) {
		err_set(e, 400, "the attachments archive cannot be read: %s",
		        archive_error_string(ar));
		goto out;
	}
	if (got != a.size) {
		err_field(e, 400, ptr,
		          "the archive holds %lld bytes of this file, the export says %lld", got,
		          a.size);
		goto out;
	}
	if (stream_out_end(&w, e) == -1)
		goto out;
	if (fsync(fd) == -1) {
		err_set(e, 500, "cannot sync %s: %s", path, strerror(errno));
		goto out;
	}
	if (store_attachment_create(s, &a, key.p, e) == -1)
		goto out;
	rc = 0;
out:
	if (begun)
		stream_out_free(&w);
	if (fd != -1)
		close(fd);
	secret_free(&key);
	sodium_memzero(buf, STREAM_CHUNK);
	free(buf);
	return rc;
}

int
archive_import(struct store *s, const char *prod, const json_t *attachments, const char *actor,
               json_t *loaded, void *arg, struct err *e)
{
	struct archive_import *ai = arg;
	struct archive *ar = archive_read_new();
	struct archive_entry *en;
	const json_t *meta;
	size_t i;
	int r, rc = -1;

	if (mkdir(ai->upload_dir, 0700) == -1 && errno != EEXIST) {
		err_set(e, 500, "cannot create %s: %s", ai->upload_dir, strerror(errno));
		goto out;
	}
	archive_read_support_format_tar(ar);
	if (archive_read_open_filename(ar, ai->path, 65536) != ARCHIVE_OK) {
		err_set(e, 400, "cannot open the attachments archive %s: %s", ai->path,
		        archive_error_string(ar));
		goto out;
	}
	while ((r = archive_read_next_header(ar, &en)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(en);
		const char *id = name && strncmp(name, PREFIX, strlen(PREFIX)) == 0
		                     ? name + strlen(PREFIX)
		                     : NULL;
		size_t at = 0;
		if (id == NULL || archive_entry_filetype(en) != AE_IFREG ||
		    (meta = listed(attachments, id, &at)) == NULL) {
			err_set(e, 400,
			        "the attachments archive holds %.120s, not a file the export lists",
			        name ? name : "an entry without a name");
			goto out;
		}
		if (json_object_get(loaded, id) != NULL) {
			err_set(e, 400, "the attachments archive holds %.120s twice", name);
			goto out;
		}
		if (take_one(ai, ar, s, prod, meta, at, actor, e) == -1)
			goto out;
		json_object_set_new(loaded, id, json_true());
	}
	if (r != ARCHIVE_EOF) {
		err_set(e, 400, "the attachments archive cannot be read: %s",
		        archive_error_string(ar));
		goto out;
	}
	json_array_foreach (attachments, i, meta) {
		const char *id = json_string_value(json_object_get(meta, "id"));
		if (id == NULL || json_object_get(loaded, id) == NULL) {
			char ptr[64];
			snprintf(ptr, sizeof(ptr), "/attachments/%zu", i);
			err_field(e, 400, ptr, "this file is not in the attachments archive");
			goto out;
		}
	}
	rc = 0;
out:
	archive_read_free(ar);
	return rc;
}

void
archive_undo(struct archive_import *ai, int committed)
{
	for (size_t i = 0; i < ai->npaths; i++) {
		if (!committed)
			unlink(ai->paths[i]);
		free(ai->paths[i]);
	}
	free(ai->paths);
	ai->paths = NULL;
	ai->npaths = 0;
}

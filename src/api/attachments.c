/*
 * attachments.c — uploaded files: location photos, permits, scripts, call
 * sheet PDFs.
 *
 *   POST /api/v1/productions/{id}/attachments?name=FILE   raw body, Content-Type
 *   GET  /api/v1/productions/{id}/attachments             metadata list
 *   GET  /api/v1/productions/{id}/attachments/{aid}       the bytes
 *
 * An upload gets a fresh 256-bit file key and a random stored name; the
 * bytes are encrypted with crypto/stream.c on the worker pool and written
 * to UPLOAD_DIR/<stored name> (0600, O_EXCL, fsync) through one 64 KiB
 * buffer, before the database row
 * — which holds the file key sealed under the production key — commits. A
 * download reads the file and checks every chunk before the first byte is
 * sent: a file altered on disk answers 500 with a problem saying so, never
 * altered bytes. The user's file name is sealed and only ever returned in
 * Content-Disposition, never used as a path.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <jansson.h>
#include <sodium.h>

#include "api/api.h"
#include "api/session.h"
#include "crypto/stream.h"
#include "util/io.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/utf8.h"
#include "util/xalloc.h"

static const char *const allowed_types[] = {
    "application/pdf", "image/jpeg", "image/png", "image/webp",
    "image/heic",      "text/plain", "text/csv",
};

/* The media type of Content-Type, lower-cased and without parameters, if it is allowed. */
static int
allowed_type(struct http_req *r, char *out, size_t cap)
{
	size_t n = 0, i;
	const char *ct = http_req_header(r, "Content-Type", &n);
	if (ct == NULL)
		return 0;
	for (i = 0; i < n && ct[i] != ';' && ct[i] != ' ' && i + 1 < cap; i++)
		out[i] = (char)(ct[i] >= 'A' && ct[i] <= 'Z' ? ct[i] + 32 : ct[i]);
	out[i] = '\0';
	for (size_t k = 0; k < sizeof(allowed_types) / sizeof(allowed_types[0]); k++)
		if (strcmp(out, allowed_types[k]) == 0)
			return 1;
	return 0;
}

static json_t *
attachment_json(const struct store_attachment *a)
{
	return json_pack("{s:s, s:s, s:s, s:I, s:s}", "id", a->id, "name", a->name, "content_type",
	                 a->content_type, "size", (json_int_t)a->size, "created_at", a->created_at);
}

static int
fd_out(const unsigned char *p, size_t n, void *arg, struct err *e)
{
	if (io_write_all(*(int *)arg, p, n) == -1)
		return err_set(e, 500, "cannot write an upload: %s", strerror(errno));
	return 0;
}

static int
fd_in(unsigned char *buf, size_t want, size_t *got, void *arg, struct err *e)
{
	if (io_read_full(*(int *)arg, buf, want, got) == -1)
		return err_set(e, 500, "cannot read a stored file: %s", strerror(errno));
	return 0;
}

static int
evbuffer_out(const unsigned char *p, size_t n, void *arg, struct err *e)
{
	if (evbuffer_add(arg, p, n) == -1)
		return err_set(e, 500, "out of memory for a download");
	return 0;
}

/* Encrypts the request body into path, a new 0600 file, synced; removes it on failure. */
static int
store_file(const char *path, const unsigned char key[32], const unsigned char *p, size_t n,
           struct err *e)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600), rc;
	if (fd == -1)
		return err_set(e, 500, "cannot create %s: %s", path, strerror(errno));
	rc = stream_write(key, p, n, fd_out, &fd, e);
	if (rc == 0 && fsync(fd) == -1)
		rc = err_set(e, 500, "cannot sync %s: %s", path, strerror(errno));
	close(fd);
	if (rc == -1)
		unlink(path);
	return rc;
}

/* Decrypts path into body; -1 (body then holds nothing to send) when any chunk fails. */
static int
load_file(const char *path, const unsigned char key[32], struct evbuffer *body, struct err *e)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), rc;
	if (fd == -1)
		return err_set(e, 500, "cannot open %s: %s", path, strerror(errno));
	rc = stream_read(key, fd_in, &fd, evbuffer_out, body, e);
	close(fd);
	return rc;
}

/* ---- upload ---- */

struct upload_job {
	struct job job;
	struct http_req *r;
	struct store_attachment a;
	char entry_id[STORE_ID_LEN + 8]; /* the sustainability entry it is evidence of, or "" */
	struct secret key;
	char path[4200];
	struct err e;
	int ok;
};

static void
upload_work(struct job *j)
{
	struct upload_job *u = (struct upload_job *)j;
	u->ok = store_file(u->path, u->key.p, (const unsigned char *)u->r->body, u->r->body_len,
	                   &u->e) == 0;
}

static void
upload_done(struct job *j)
{
	struct upload_job *u = (struct upload_job *)j;
	struct http_req *r = u->r;
	struct store *s = http_req_store(r);
	struct err e;

	if (!u->ok) {
		log_event(LOG_ERROR, "upload not stored", LOG_STR("error", u->e.msg), LOG_END);
		http_problem(r, 500, "the file could not be stored");
		goto out;
	}
	if (store_begin(s, &e) == -1 || store_attachment_create(s, &u->a, u->key.p, &e) == -1 ||
	    (u->entry_id[0] && store_carbon_entry_set_evidence(s, u->a.production_id, u->entry_id,
	                                                       u->a.id, &e) == -1) ||
	    store_commit(s, &e) == -1) {
		store_rollback(s);
		unlink(u->path); /* no row, no file */
		api_unavailable(r, &e);
		goto out;
	}
	session_audit(r, session_of(r)->session.user.id,
	              u->entry_id[0] ? "sustainability.evidence" : "attachment.upload",
	              u->entry_id[0] ? u->entry_id : u->a.id, "success");
	http_reply_json(r, 201, attachment_json(&u->a));
out:
	secret_free(&u->key);
	free(u);
}

void
attachments_upload(struct http_req *r)
{
	struct api_access a;

	if (api_production_access(r, &a) == -1)
		return;
	if (api_scope(&a, POLICY_RESOURCE_ATTACHMENT, POLICY_ACTION_WRITE) != POLICY_SCOPE_ALL) {
		http_problem(r, 403, "your role does not upload files to this production");
		return;
	}
	attachments_accept(r, a.production.id, NULL);
}

void
attachments_accept(struct http_req *r, const char *production_id, const char *entry_id)
{
	const struct config *c = http_req_config(r);
	struct upload_job *u;
	char name[256], type[128], rnd[STORE_ID_LEN + 8];
	int got;

	if (!allowed_type(r, type, sizeof(type))) {
		http_problem(r, 415,
		             "that Content-Type is not accepted; send application/pdf, image/jpeg, "
		             "image/png, image/webp, image/heic, text/plain or text/csv");
		return;
	}
	got = router_query_param(r->query, "name", name, sizeof(name));
	if (got != 1 || name[0] == '\0' || !utf8_valid(name, strlen(name)) ||
	    strchr(name, '\\') != NULL) {
		json_t *errs = json_pack("[{s:s, s:s}]", "pointer", "?name", "detail",
		                         "a file name of 1 to 255 bytes of UTF-8, without / or \\");
		http_problem_errors(r, 400, "the upload needs a file name", errs);
		return;
	}
	if (r->body_len == 0) {
		http_problem(r, 400, "the upload is empty");
		return;
	}
	if (mkdir(c->upload_dir, 0700) == -1 && errno != EEXIST) {
		log_event(LOG_ERROR, "cannot create the upload directory",
		          LOG_STR("error", strerror(errno)), LOG_END);
		http_problem(r, 500, "the file could not be stored");
		return;
	}
	u = xcalloc(1, sizeof(*u));
	u->r = r;
	store_new_id(u->a.id, sizeof(u->a.id), "att");
	snprintf(u->a.production_id, sizeof(u->a.production_id), "%s", production_id);
	snprintf(u->entry_id, sizeof(u->entry_id), "%s", entry_id ? entry_id : "");
	u->a.evidence = entry_id != NULL;
	snprintf(u->a.name, sizeof(u->a.name), "%s", name);
	snprintf(u->a.content_type, sizeof(u->a.content_type), "%s", type);
	u->a.size = (long long)r->body_len;
	store_new_id(rnd, sizeof(rnd), "f");
	snprintf(u->a.stored_name, sizeof(u->a.stored_name), "%s.sfe", rnd);
	snprintf(u->a.created_by, sizeof(u->a.created_by), "%s", session_of(r)->session.user.id);
	time_rfc3339(time(NULL), u->a.created_at);
	snprintf(u->path, sizeof(u->path), "%s/%s", c->upload_dir, u->a.stored_name);
	secret_alloc(&u->key, 32);
	randombytes_buf(u->key.p, u->key.len);
	u->job.work = upload_work;
	u->job.done = upload_done;
	http_defer(r, &u->job);
}

/* ---- list ---- */

static void
add_attachment(const struct store_attachment *a, void *arg)
{
	json_array_append_new(arg, attachment_json(a));
}

void
attachments_list(struct http_req *r)
{
	struct api_access a;
	struct err e;
	json_t *arr;

	if (api_production_access(r, &a) == -1)
		return;
	if (api_scope(&a, POLICY_RESOURCE_ATTACHMENT, POLICY_ACTION_READ) != POLICY_SCOPE_ALL) {
		http_problem(r, 403, "your role does not see this production's files");
		return;
	}
	arr = json_array();
	if (store_attachment_list(http_req_store(r), a.production.id, add_attachment, arr, &e) ==
	    -1) {
		json_decref(arr);
		api_unavailable(r, &e);
		return;
	}
	http_reply_json(r, 200, json_pack("{s:o}", "attachments", arr));
}

/* ---- download ---- */

struct download_job {
	struct job job;
	struct http_req *r;
	struct store_attachment a;
	struct secret key;
	char path[4200];
	struct evbuffer *body; /* the whole plaintext, sent only when every chunk opened */
	struct err e;
	int ok;
};

static void
download_work(struct job *j)
{
	struct download_job *d = (struct download_job *)j;
	d->ok = load_file(d->path, d->key.p, d->body, &d->e) == 0;
}

/* filename*=UTF-8''… (RFC 6266, RFC 8187): every byte outside attr-char percent-encoded. */
static void
disposition(const char *name, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = (size_t)snprintf(out, cap, "attachment; filename*=UTF-8''");
	for (const unsigned char *p = (const unsigned char *)name; *p && o + 4 < cap; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("!#$&+-.^_`|~", *p) != NULL) {
			out[o++] = (char)*p;
		} else {
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		}
	}
	out[o] = '\0';
}

static void
download_done(struct job *j)
{
	struct download_job *d = (struct download_job *)j;
	struct http_req *r = d->r;
	char cd[1024];

	if (!d->ok) {
		log_event(LOG_ERROR, "a stored file does not open", LOG_STR("attachment", d->a.id),
		          LOG_STR("error", d->e.msg), LOG_END);
		http_problem(
		    r, 500,
		    "the stored file fails its integrity check (altered or damaged on disk); "
		    "nothing of it is sent");
		goto out;
	}
	disposition(d->a.name, cd, sizeof(cd));
	http_add_header(r, "Content-Disposition", cd);
	http_reply_buffer(r, 200, d->a.content_type, d->body);
out:
	evbuffer_free(d->body); /* a refused file's chunks are dropped unsent */
	secret_free(&d->key);
	free(d);
}

void
attachments_download(struct http_req *r)
{
	struct api_access a;

	if (api_production_access(r, &a) == -1)
		return;
	if (api_scope(&a, POLICY_RESOURCE_ATTACHMENT, POLICY_ACTION_READ) != POLICY_SCOPE_ALL) {
		http_problem(r, 403, "your role does not see this production's files");
		return;
	}
	attachments_send(r, a.production.id, router_param(&r->match, "aid"), 0);
}

void
attachments_send(struct http_req *r, const char *production_id, const char *id, int evidence)
{
	struct download_job *d;
	struct err e;
	int found;

	d = xcalloc(1, sizeof(*d));
	d->r = r;
	found = store_attachment_get(http_req_store(r), production_id, id, &d->a, &d->key, &e);
	if (found == 1 && d->a.evidence != evidence) {
		secret_free(&d->key);
		found = 0; /* evidence only through its entry; files never through an entry */
	}
	if (!api_found(r, found, &e, "file")) {
		free(d);
		return;
	}
	session_audit(r, session_of(r)->session.user.id, "attachment.download", d->a.id, "success");
	snprintf(d->path, sizeof(d->path), "%s/%s", http_req_config(r)->upload_dir,
	         d->a.stored_name);
	d->body = evbuffer_new();
	d->job.work = download_work;
	d->job.done = download_done;
	http_defer(r, &d->job);
}

/*
 * attachments.c — uploaded files: location photos, permits, scripts, call
 * sheet PDFs.
 *
 *   POST /api/v1/productions/{id}/attachments?name=FILE   raw body, Content-Type
 *   GET  /api/v1/productions/{id}/attachments             metadata list
 *   GET  /api/v1/productions/{id}/attachments/{aid}       the bytes
 *
 * An upload is checked before its body is read (who may write, the
 * Content-Type, ?name, a body at all), then gets a fresh 256-bit file key
 * and a random stored name; the bytes are encrypted with crypto/stream.c
 * as they arrive and written to UPLOAD_DIR/<stored name> (0600, O_EXCL,
 * fsync) chunk by chunk (see struct upload), before the database row
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

#include "api/access.h"
#include "api/call.h"
#include "api/handlers.h"
#include "api/reply.h"
#include "api/session.h"
#include "api/view.h"
#include "crypto/stream.h"
#include "domain/validate.h"
#include "store/store.h"
#include "util/io.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/utf8.h"
#include "util/xalloc.h"
#include "util/nitems.h"

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
	for (size_t k = 0; k < nitems(allowed_types); k++)
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

json_t *
api_attachment_json(const struct store_attachment *a)
{
	return attachment_json(a);
}

static int
evbuffer_out(const unsigned char *p, size_t n, void *arg, struct err *e)
{
	if (evbuffer_add(arg, p, n) == -1)
		return err_set(e, 500, "out of memory for a download");
	return 0;
}

/* Decrypts path into body; -1 (body then holds nothing to send) when any chunk fails. */
static int
load_file(const char *path, const unsigned char key[32], struct evbuffer *body, struct err *e)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), rc;
	if (fd == -1)
		return err_set(e, 500, "cannot open %s: %s", path, strerror(errno));
	rc = stream_read(key, stream_in_fd, &fd, evbuffer_out, body, e);
	close(fd);
	return rc;
}

/* ---- upload ---- */

/*
 * An upload in progress, from its head to its answer. Before the first byte
 * of the body is read, its file UPLOAD_DIR/<stored name> is created (0600,
 * O_EXCL) and the stream header written; the body then comes through
 * upload_write on the loop thread as it arrives: it fills one chunk of
 * plaintext, and a full chunk is sealed into one record buffer and written
 * as soon as more data follows it (the last chunk, short or empty, is sealed
 * by upload_finish on the worker pool, which syncs the file). So an upload
 * holds two 64 KiB buffers, whatever its size. It belongs to the request
 * (the request's sink): upload_free closes the file and removes it unless
 * its row committed — a client that leaves, a deadline passed, a failed
 * write or a refused row leave no file behind.
 */
struct upload {
	struct store_attachment a;
	char entry_id[STORE_ID_LEN + 8]; /* the sustainability entry it is evidence of, or "" */
	struct secret key;
	char path[4200];
	int fd;
	struct stream_out w; /* crypto/stream.h: one chunk and one record, whatever the size */
	int kept;            /* the row committed: the file stays */
};

static int
fd_out(const unsigned char *p, size_t n, void *arg, struct err *e)
{
	if (io_write_all(*(int *)arg, p, n) == -1)
		return err_set(e, 500, "cannot write an upload: %s", strerror(errno));
	return 0;
}

/* The request's sink: takes the body piece by piece (loop thread). */
static int
upload_write(void *arg, const unsigned char *p, size_t n, struct err *e)
{
	struct upload *u = arg;
	return stream_out_push(&u->w, p, n, e);
}

/* Seals the last chunk and syncs the file (worker pool). */
static int
upload_finish(struct upload *u, struct err *e)
{
	if (stream_out_end(&u->w, e) == -1)
		return -1;
	if (fsync(u->fd) == -1)
		return err_set(e, 500, "cannot sync an upload: %s", strerror(errno));
	return 0;
}

static void
upload_free(void *arg)
{
	struct upload *u = arg;
	if (u == NULL)
		return;
	if (u->fd != -1)
		close(u->fd);
	if (!u->kept)
		unlink(u->path); /* no row, no file */
	stream_out_free(&u->w);
	secret_free(&u->key);
	free(u);
}

int
attachments_begin(struct http_req *r, const char *production_id, const char *entry_id)
{
	const struct config *c = http_req_config(r);
	struct upload *u;
	char name[256], type[128], rnd[STORE_ID_LEN + 8];
	struct err e;
	int got;

	if (!allowed_type(r, type, sizeof(type))) {
		http_end_problem(
		    r, 415,
		    "that Content-Type is not accepted; send application/pdf, image/jpeg, "
		    "image/png, image/webp, image/heic, text/plain or text/csv");
		return -1;
	}
	got = router_query_param(r->query, "name", name, sizeof(name));
	if (got != 1 || !validate_file_name(name)) {
		json_t *errs = json_pack(
		    "[{s:s, s:s}]", "pointer", "?name", "detail",
		    "a file name of 1 to 255 bytes of UTF-8, without control or bidirectional "
		    "characters, / or \\, and not only dots");
		http_end_problem_errors(r, 400, "the upload needs a file name", errs);
		return -1;
	}
	if (r->head.content_length <= 0) {
		http_end_problem(r, 400, "the upload is empty");
		return -1;
	}
	if (mkdir(c->upload_dir, 0700) == -1 && errno != EEXIST) {
		log_event(LOG_ERROR, "cannot create the upload directory",
		          LOG_STR("error", strerror(errno)), LOG_END);
		http_end_problem(r, 500, "the file could not be stored");
		return -1;
	}
	u = xcalloc(1, sizeof(*u));
	store_new_id(u->a.id, sizeof(u->a.id), "att");
	snprintf(u->a.production_id, sizeof(u->a.production_id), "%s", production_id);
	snprintf(u->entry_id, sizeof(u->entry_id), "%s", entry_id ? entry_id : "");
	u->a.evidence = entry_id != NULL;
	snprintf(u->a.name, sizeof(u->a.name), "%s", name);
	snprintf(u->a.content_type, sizeof(u->a.content_type), "%s", type);
	u->a.size = (long long)r->head.content_length;
	store_new_id(rnd, sizeof(rnd), "f");
	snprintf(u->a.stored_name, sizeof(u->a.stored_name), "%s.sfe", rnd);
	snprintf(u->a.created_by, sizeof(u->a.created_by), "%s", session_of(r)->session.user.id);
	snprintf(u->path, sizeof(u->path), "%s/%s", c->upload_dir, u->a.stored_name);
	secret_alloc(&u->key, 32);
	randombytes_buf(u->key.p, u->key.len);
	u->fd = open(u->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (u->fd == -1) {
		log_event(LOG_ERROR, "cannot create an upload", LOG_STR("error", strerror(errno)),
		          LOG_END);
		u->kept = 1; /* nothing of ours to remove */
		upload_free(u);
		http_end_problem(r, 500, "the file could not be stored");
		return -1;
	}
	if (stream_out_begin(&u->w, u->key.p, fd_out, &u->fd, &e) == -1) {
		log_event(LOG_ERROR, "cannot write an upload", LOG_STR("error", e.msg), LOG_END);
		upload_free(u);
		http_end_problem(r, 500, "the file could not be stored");
		return -1;
	}
	http_stream_body(r, upload_write, upload_free, u);
	return 0;
}

struct upload_job {
	struct job job;
	struct http_req *r;
	struct upload *u;
	struct err e;
	int ok;
};

static void
upload_work(struct job *j)
{
	struct upload_job *w = (struct upload_job *)j;
	w->ok = upload_finish(w->u, &w->e) == 0;
}

static void
upload_done(struct job *j)
{
	struct upload_job *w = (struct upload_job *)j;
	struct http_req *r = w->r;
	struct upload *u = w->u;
	struct store *s = http_req_store(r);
	struct store_carbon_entry en;
	char replaced[64] = "", path[4200];
	struct err e;
	int got;

	if (!w->ok) {
		log_event(LOG_ERROR, "upload not stored", LOG_STR("error", w->e.msg), LOG_END);
		http_end_problem(r, 500, "the file could not be stored");
		goto out;
	}
	time_rfc3339(time(NULL), u->a.created_at);
	/* new evidence replaces the entry's old one: its row goes in this transaction, its file
	 * after the commit (store/store.h) */
	if (store_begin(s, &e) == -1 || store_attachment_create(s, &u->a, u->key.p, &e) == -1 ||
	    (u->entry_id[0] &&
	     ((got = store_carbon_entry_get(s, u->a.production_id, u->entry_id, &en, &e)) == -1 ||
	      store_carbon_entry_set_evidence(s, u->a.production_id, u->entry_id, u->a.id, &e) ==
	          -1 ||
	      (got == 1 && en.evidence_id[0] != '\0' &&
	       store_attachment_remove(s, u->a.production_id, en.evidence_id, replaced,
	                               sizeof(replaced), &e) == -1))) ||
	    api_audit_in(r, u->entry_id[0] ? "sustainability.evidence" : "attachment.upload",
	                 u->entry_id[0] ? u->entry_id : u->a.id, &e) == -1 ||
	    store_commit(s, &e) == -1) {
		store_rollback(s);
		api_unavailable(r, &e); /* the request's end removes the file */
		goto out;
	}
	u->kept = 1;
	if (replaced[0] != '\0') {
		snprintf(path, sizeof(path), "%s/%s", http_req_config(r)->upload_dir, replaced);
		if (unlink(path) == -1 && errno != ENOENT)
			log_event(LOG_WARN, "replaced evidence stays on disk (slate fsck lists it)",
			          LOG_STR("error", strerror(errno)), LOG_END);
	}
	http_end_reply_json(r, 201, attachment_json(&u->a));
out:
	free(w);
}

/* From the head, once the route's check held (api_dispatch_head): the file, streamed. */
int
attachments_upload_head(struct api_call *c)
{
	return attachments_begin(c->r, c->rd.a.production.id, NULL);
}

/* The body is in, and the check held again: a right may have ended meanwhile. */
void
attachments_upload(struct api_call *c)
{
	attachments_accept(c->r);
}

void
attachments_accept(struct http_req *r)
{
	struct upload *u = http_req_sink(r);
	struct upload_job *w;

	if (u == NULL || r->body_len != (size_t)u->a.size) {
		log_event(LOG_ERROR, "an upload arrived without its sink", LOG_END);
		http_end_problem(r, 500, "the file could not be stored");
		return;
	}
	w = xcalloc(1, sizeof(*w));
	w->r = r;
	w->u = u;
	w->job.work = upload_work;
	w->job.done = upload_done;
	http_defer(r, &w->job);
}

/* ---- list ---- */

static void
add_attachment(const struct store_attachment *a, void *arg)
{
	json_array_append_new(arg, attachment_json(a));
}

void
attachments_list(struct api_call *c)
{
	struct err e;
	json_t *arr = json_array();

	api_end_list(c, "attachments", arr,
	             store_attachment_list(api_call_store(c), c->rd.a.production.id, add_attachment,
	                                   arr, &e),
	             &e);
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
		http_end_problem(
		    r, 500,
		    "the stored file fails its integrity check (altered or damaged on disk); "
		    "nothing of it is sent");
		goto out;
	}
	disposition(d->a.name, cd, sizeof(cd));
	http_add_header(r, "Content-Disposition", cd);
	http_end_reply_buffer(r, 200, d->a.content_type, d->body);
out:
	evbuffer_free(d->body); /* a refused file's chunks are dropped unsent */
	secret_free(&d->key);
	free(d);
}

void
attachments_download(struct api_call *c)
{
	attachments_send(c->r, c->rd.a.production.id, router_param(&c->r->match, "aid"), 0);
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
	api_audit_caller(r, "attachment.download", d->a.id, "success");
	snprintf(d->path, sizeof(d->path), "%s/%s", http_req_config(r)->upload_dir,
	         d->a.stored_name);
	d->body = evbuffer_new();
	d->job.work = download_work;
	d->job.done = download_done;
	http_defer(r, &d->job);
}

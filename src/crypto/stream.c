/*
 * stream.c — chunked AES-256-GCM for stored files (see stream.h).
 *
 * On disk, a file is a header and then records, nothing else:
 *
 *   header, 24 bytes:
 *     0..7    "SLATEFS1"
 *     8..11   chunk size, big-endian; always 65536 in this version
 *     12..18  nonce prefix: 7 random bytes drawn when the file is written
 *     19..23  zero (reserved)
 *   records, in order, for chunk i = 0, 1, ...:
 *     ciphertext of the chunk || 16-byte GCM tag
 *     Every chunk but the last holds exactly 65536 plaintext bytes (a
 *     record of 65552 bytes); the last holds 0..65535 bytes, so a file
 *     always ends with one short record (16 bytes for an empty tail).
 *
 *   nonce of chunk i: prefix (7) || i (4, big-endian) || last flag (1: 0x01
 *   for the last chunk, 0x00 otherwise)
 *   associated data of every chunk: the 24 header bytes
 *   key: the file's own 256-bit key (wrapped by the production key in the
 *   database, never stored beside the file)
 *
 * This is the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár
 * 2015): the index in the nonce catches reordering and dropped chunks, the
 * last flag catches truncation at a chunk boundary (the record that would
 * then end the file was sealed as "not last"), and the header in the
 * associated data catches an altered header.
 */
#include "crypto/stream.h"

#include <assert.h>
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "util/io.h"
#include "util/xalloc.h"

static void
nonce_of(const struct stream *st, uint32_t i, int last, unsigned char nonce[AEAD_NONCE_LEN])
{
	memcpy(nonce, st->header + 12, 7);
	nonce[7] = (unsigned char)(i >> 24);
	nonce[8] = (unsigned char)(i >> 16);
	nonce[9] = (unsigned char)(i >> 8);
	nonce[10] = (unsigned char)i;
	nonce[11] = last ? 1 : 0;
}

void
stream_writer_prefix(struct stream *st, const unsigned char key[AEAD_KEY_LEN],
                     const unsigned char prefix[7])
{
	memset(st, 0, sizeof(*st));
	memcpy(st->key, key, AEAD_KEY_LEN);
	memcpy(st->header, STREAM_MAGIC, 8);
	st->header[8] = (STREAM_CHUNK >> 24) & 0xff;
	st->header[9] = (STREAM_CHUNK >> 16) & 0xff;
	st->header[10] = (STREAM_CHUNK >> 8) & 0xff;
	st->header[11] = STREAM_CHUNK & 0xff;
	memcpy(st->header + 12, prefix, 7);
}

void
stream_writer(struct stream *st, const unsigned char key[AEAD_KEY_LEN])
{
	unsigned char prefix[7];
	randombytes_buf(prefix, sizeof(prefix));
	stream_writer_prefix(st, key, prefix);
}

int
stream_reader(struct stream *st, const unsigned char key[AEAD_KEY_LEN], const unsigned char *header,
              size_t n, struct err *e)
{
	static const unsigned char zero[5];
	memset(st, 0, sizeof(*st));
	if (n < STREAM_HEADER_LEN || memcmp(header, STREAM_MAGIC, 8) != 0 ||
	    header[8] != ((STREAM_CHUNK >> 24) & 0xff) ||
	    header[9] != ((STREAM_CHUNK >> 16) & 0xff) ||
	    header[10] != ((STREAM_CHUNK >> 8) & 0xff) || header[11] != (STREAM_CHUNK & 0xff) ||
	    memcmp(header + 19, zero, 5) != 0)
		return err_set(e, 422, "the stored file has no valid header");
	memcpy(st->key, key, AEAD_KEY_LEN);
	memcpy(st->header, header, STREAM_HEADER_LEN);
	return 0;
}

int
stream_seal(struct stream *st, const unsigned char *pt, size_t n, int last, unsigned char *out,
            struct err *e)
{
	unsigned char nonce[AEAD_NONCE_LEN];
	if (st->done || (last ? n >= STREAM_CHUNK : n != STREAM_CHUNK) || st->next == UINT32_MAX)
		return err_set(e, 500, "stream: chunk %u of the wrong size or after the last",
		               st->next);
	nonce_of(st, st->next, last, nonce);
	if (aead_seal_nonce(st->key, nonce, st->header, STREAM_HEADER_LEN, pt, n, out, out + n,
	                    e) == -1)
		return -1;
	st->next++;
	st->done = last;
	return 0;
}

int
stream_open(struct stream *st, const unsigned char *rec, size_t n, unsigned char *pt, int *last,
            struct err *e)
{
	unsigned char nonce[AEAD_NONCE_LEN];
	size_t len;

	if (st->done)
		return err_set(e, 422, "the stored file goes on after its last chunk");
	if (n < AEAD_TAG_LEN || n > STREAM_RECORD)
		return err_set(e, 422, "the stored file has a chunk of a wrong size");
	*last = n < STREAM_RECORD;
	len = n - AEAD_TAG_LEN;
	nonce_of(st, st->next, *last, nonce);
	if (aead_open_nonce(st->key, nonce, st->header, STREAM_HEADER_LEN, rec, len, rec + len, pt,
	                    e) == -1)
		return err_set(e, 422, "chunk %u of the stored file fails its integrity check",
		               st->next);
	st->next++;
	st->done = *last;
	return 0;
}

void
stream_wipe(struct stream *st)
{
	sodium_memzero(st, sizeof(*st));
}

size_t
stream_sealed_size(size_t n)
{
	return STREAM_HEADER_LEN + (n / STREAM_CHUNK) * STREAM_RECORD + (n % STREAM_CHUNK) +
	       AEAD_TAG_LEN;
}

/*
 * The writer of a whole buffer: header, then chunk after chunk sealed into
 * one reusable record buffer and handed to out(); stream_out_* below writes
 * the same format from pieces. The one reader: records pulled from
 * in() into one reusable buffer, each opened and handed to out() in order;
 * the caller decides what a failure after some chunks means (the API never
 * sends anything before the last chunk opened).
 */
int
stream_write(const unsigned char key[AEAD_KEY_LEN], const unsigned char *pt, size_t n,
             stream_out_fn out, void *arg, struct err *e)
{
	struct stream st;
	unsigned char *rec = xmalloc(STREAM_RECORD);
	size_t off = 0;
	int rc = -1;

	stream_writer(&st, key);
	if (out(st.header, STREAM_HEADER_LEN, arg, e) == -1)
		goto out;
	for (;;) {
		int last = n - off < STREAM_CHUNK;
		size_t take = last ? n - off : STREAM_CHUNK;
		if (stream_seal(&st, pt + off, take, last, rec, e) == -1 ||
		    out(rec, take + AEAD_TAG_LEN, arg, e) == -1)
			goto out;
		off += take;
		if (last)
			break;
	}
	rc = 0;
out:
	stream_wipe(&st);
	free(rec);
	return rc;
}

int
stream_out_begin(struct stream_out *w, const unsigned char key[AEAD_KEY_LEN], stream_out_fn out,
                 void *arg, struct err *e)
{
	memset(w, 0, sizeof(*w));
	w->pt = xmalloc(STREAM_CHUNK);
	w->rec = xmalloc(STREAM_RECORD);
	w->out = out;
	w->arg = arg;
	stream_writer(&w->st, key);
	return out(w->st.header, STREAM_HEADER_LEN, arg, e);
}

static int
out_seal(struct stream_out *w, int last, struct err *e)
{
	if (stream_seal(&w->st, w->pt, w->pt_len, last, w->rec, e) == -1 ||
	    w->out(w->rec, w->pt_len + AEAD_TAG_LEN, w->arg, e) == -1)
		return -1;
	w->pt_len = 0;
	return 0;
}

int
stream_out_push(struct stream_out *w, const unsigned char *p, size_t n, struct err *e)
{
	while (n > 0) {
		size_t take;
		/* a full chunk is sealed only once more follows: the last one must be short */
		if (w->pt_len == STREAM_CHUNK && out_seal(w, 0, e) == -1)
			return -1;
		take = STREAM_CHUNK - w->pt_len < n ? STREAM_CHUNK - w->pt_len : n;
		memcpy(w->pt + w->pt_len, p, take);
		w->pt_len += take;
		p += take;
		n -= take;
	}
	return 0;
}

int
stream_out_end(struct stream_out *w, struct err *e)
{
	if (w->pt_len == STREAM_CHUNK && out_seal(w, 0, e) == -1)
		return -1;
	assert(w->pt_len < STREAM_CHUNK);
	return out_seal(w, 1, e);
}

void
stream_out_free(struct stream_out *w)
{
	stream_wipe(&w->st);
	if (w->pt != NULL)
		sodium_memzero(w->pt, STREAM_CHUNK);
	free(w->pt);
	free(w->rec);
	w->pt = w->rec = NULL;
	w->pt_len = 0;
}

int
stream_read(const unsigned char key[AEAD_KEY_LEN], stream_in_fn in, void *in_arg, stream_out_fn out,
            void *out_arg, struct err *e)
{
	struct stream st;
	unsigned char header[STREAM_HEADER_LEN], *rec = NULL, *pt = NULL;
	size_t got = 0;
	int last = 0, rc = -1;

	memset(&st, 0, sizeof(st));
	if (in(header, STREAM_HEADER_LEN, &got, in_arg, e) == -1)
		return -1;
	if (stream_reader(&st, key, header, got, e) == -1)
		return -1;
	rec = xmalloc(STREAM_RECORD + 1);
	pt = xmalloc(STREAM_CHUNK);
	while (!last) {
		/* one byte more than a record tells a full middle record from trailing data */
		if (in(rec, STREAM_RECORD, &got, in_arg, e) == -1)
			goto out;
		if (got == 0) {
			err_set(e, 422, "the stored file is truncated");
			goto out;
		}
		if (stream_open(&st, rec, got, pt, &last, e) == -1 ||
		    out(pt, got - AEAD_TAG_LEN, out_arg, e) == -1)
			goto out;
	}
	if (in(rec, 1, &got, in_arg, e) == -1)
		goto out;
	if (got != 0) {
		err_set(e, 422, "the stored file goes on after its last chunk");
		goto out;
	}
	rc = 0;
out:
	stream_wipe(&st);
	sodium_memzero(pt, STREAM_CHUNK);
	free(pt);
	free(rec);
	return rc;
}

/* ---- whole images in memory (tests, fuzzing) ---- */

struct membuf {
	unsigned char *p;
	size_t len, cap, pos;
};

static int
mem_out(const unsigned char *p, size_t n, void *arg, struct err *e)
{
	struct membuf *m = arg;
	(void)e;
	if (m->len + n > m->cap) {
		m->cap = (m->len + n) * 2;
		m->p = xrealloc(m->p, m->cap);
	}
	if (n > 0)
		memcpy(m->p + m->len, p, n);
	m->len += n;
	return 0;
}

static int
mem_in(unsigned char *buf, size_t want, size_t *got, void *arg, struct err *e)
{
	struct membuf *m = arg;
	size_t n = m->len - m->pos < want ? m->len - m->pos : want;
	(void)e;
	if (n > 0)
		memcpy(buf, m->p + m->pos, n);
	m->pos += n;
	*got = n;
	return 0;
}

unsigned char *
stream_encode(const unsigned char key[AEAD_KEY_LEN], const unsigned char *pt, size_t n,
              size_t *outlen, struct err *e)
{
	struct membuf m = {xmalloc(stream_sealed_size(n)), 0, stream_sealed_size(n), 0};
	if (stream_write(key, pt, n, mem_out, &m, e) == -1) {
		free(m.p);
		return NULL;
	}
	*outlen = m.len;
	return m.p;
}

int
stream_decode(const unsigned char key[AEAD_KEY_LEN], const unsigned char *in, size_t n,
              unsigned char **out, size_t *outlen, struct err *e)
{
	struct membuf src = {(unsigned char *)(uintptr_t)in, n, n, 0};
	struct membuf dst = {xmalloc(n > 0 ? n : 1), 0, n > 0 ? n : 1, 0};

	*out = NULL;
	*outlen = 0;
	if (stream_read(key, mem_in, &src, mem_out, &dst, e) == -1) {
		sodium_memzero(dst.p, dst.len);
		free(dst.p);
		return -1;
	}
	*out = dst.p;
	*outlen = dst.len;
	return 0;
}

int
stream_in_fd(unsigned char *buf, size_t want, size_t *got, void *arg, struct err *e)
{
	if (io_read_full(*(int *)arg, buf, want, got) == -1)
		return err_set(e, 500, "cannot read a stored file: %s", strerror(errno));
	return 0;
}

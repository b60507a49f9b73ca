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

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

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

unsigned char *
stream_encode(const unsigned char key[AEAD_KEY_LEN], const unsigned char *pt, size_t n,
              size_t *outlen, struct err *e)
{
	struct stream st;
	size_t total = stream_sealed_size(n), off = 0, o = STREAM_HEADER_LEN;
	unsigned char *out = xmalloc(total);

	stream_writer(&st, key);
	memcpy(out, st.header, STREAM_HEADER_LEN);
	for (;;) {
		size_t left = n - off;
		int last = left < STREAM_CHUNK;
		size_t take = last ? left : STREAM_CHUNK;
		if (stream_seal(&st, pt + off, take, last, out + o, e) == -1) {
			stream_wipe(&st);
			free(out);
			return NULL;
		}
		off += take;
		o += take + AEAD_TAG_LEN;
		if (last)
			break;
	}
	stream_wipe(&st);
	*outlen = total;
	return out;
}

int
stream_decode(const unsigned char key[AEAD_KEY_LEN], const unsigned char *in, size_t n,
              unsigned char **out, size_t *outlen, struct err *e)
{
	struct stream st;
	size_t off = STREAM_HEADER_LEN, o = 0;
	unsigned char *pt;
	int last = 0;

	*out = NULL;
	*outlen = 0;
	if (stream_reader(&st, key, in, n, e) == -1)
		return -1;
	pt = xmalloc(n); /* the plaintext is shorter than the file */
	while (!last) {
		size_t rec = n - off < STREAM_RECORD ? n - off : STREAM_RECORD;
		if (off >= n && st.next > 0) {
			err_set(e, 422, "the stored file is truncated");
			goto fail;
		}
		if (stream_open(&st, in + off, rec, pt + o, &last, e) == -1)
			goto fail;
		off += rec;
		o += rec - AEAD_TAG_LEN;
	}
	if (off != n) {
		err_set(e, 422, "the stored file goes on after its last chunk");
		goto fail;
	}
	stream_wipe(&st);
	*out = pt;
	*outlen = o;
	return 0;
fail:
	stream_wipe(&st);
	sodium_memzero(pt, o);
	free(pt);
	return -1;
}

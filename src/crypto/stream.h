/*
 * stream.h — the encrypted file format of uploads (the format itself is
 * described byte by byte at the top of stream.c).
 *
 * A writer seals chunk after chunk and must end with exactly one last
 * chunk (shorter than STREAM_CHUNK, possibly empty); a reader opens them in
 * order and knows a chunk is the last one by its size. Truncation,
 * reordering, splicing chunks of another file, or any altered byte makes a
 * chunk fail to open.
 */
#ifndef SLATE_CRYPTO_STREAM_H
#define SLATE_CRYPTO_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/aead.h"
#include "util/err.h"

#define STREAM_MAGIC "SLATEFS1"
#define STREAM_HEADER_LEN                                                                          \
	24 /* magic (8), chunk size (4, big-endian), nonce prefix (7), reserved (5) */
#define STREAM_CHUNK  65536
#define STREAM_RECORD (STREAM_CHUNK + AEAD_TAG_LEN)

struct stream {
	unsigned char key[AEAD_KEY_LEN]; /* wiped by stream_wipe */
	unsigned char header[STREAM_HEADER_LEN];
	uint32_t next; /* index of the next chunk */
	int done;      /* the last chunk has been sealed or opened */
};

/* A writer with a fresh header (random nonce prefix) under key. */
void stream_writer(struct stream *st, const unsigned char key[AEAD_KEY_LEN]);
/* A writer with a given prefix (known-answer tests only). */
void stream_writer_prefix(struct stream *st, const unsigned char key[AEAD_KEY_LEN],
                          const unsigned char prefix[7]);
/* A reader from the first STREAM_HEADER_LEN bytes of a file; -1 when they are no header. */
int stream_reader(struct stream *st, const unsigned char key[AEAD_KEY_LEN],
                  const unsigned char *header, size_t n, struct err *e);

/*
 * Seals the next chunk: n == STREAM_CHUNK for every chunk but the last,
 * n < STREAM_CHUNK for the last (last = 1). out receives n + AEAD_TAG_LEN bytes.
 */
int stream_seal(struct stream *st, const unsigned char *pt, size_t n, int last, unsigned char *out,
                struct err *e);
/*
 * Opens the next record of n bytes (STREAM_RECORD for a middle chunk, less
 * for the last); pt receives n - AEAD_TAG_LEN bytes. *last says whether this
 * was the final chunk; a record after it fails.
 */
int stream_open(struct stream *st, const unsigned char *rec, size_t n, unsigned char *pt, int *last,
                struct err *e);

void stream_wipe(struct stream *st);

/* Where sealed records (or opened chunks) go; -1 with e filled stops the stream. */
typedef int (*stream_out_fn)(const unsigned char *p, size_t n, void *arg, struct err *e);
/* Reads up to want bytes (fewer only at the end: *got 0 is the end); -1 on a read error. */
typedef int (*stream_in_fn)(unsigned char *buf, size_t want, size_t *got, void *arg, struct err *e);
/* A stream_in_fn over a file descriptor: arg points to the int fd. */
int stream_in_fd(unsigned char *buf, size_t want, size_t *got, void *arg, struct err *e);

/* Encrypts n bytes into the format, record by record, through one 64 KiB buffer. */
int stream_write(const unsigned char key[AEAD_KEY_LEN], const unsigned char *pt, size_t n,
                 stream_out_fn out, void *arg, struct err *e);
/*
 * The same format written incrementally, for a body that arrives piece by
 * piece: stream_out_begin writes the header, stream_out_push takes any
 * number of bytes (a chunk is sealed and handed to out() once it is full
 * and more bytes follow it), stream_out_end seals the last chunk (short or
 * empty). A writer holds one chunk of plaintext and one record, whatever
 * the total; stream_out_free wipes and frees them (after end or instead of
 * it). After a -1 only stream_out_free may follow.
 */
struct stream_out {
	struct stream st;
	unsigned char *pt; /* STREAM_CHUNK bytes, pt_len of them waiting */
	size_t pt_len;
	unsigned char *rec; /* one sealed record */
	stream_out_fn out;
	void *arg;
};
int stream_out_begin(struct stream_out *w, const unsigned char key[AEAD_KEY_LEN], stream_out_fn out,
                     void *arg, struct err *e);
int stream_out_push(struct stream_out *w, const unsigned char *p, size_t n, struct err *e);
int stream_out_end(struct stream_out *w, struct err *e);
void stream_out_free(struct stream_out *w);

/*
 * Decrypts a file record by record; out() sees each authentic chunk in
 * order. On -1 some chunks may already have gone to out(): callers that
 * must not release unverified data collect before sending.
 */
int stream_read(const unsigned char key[AEAD_KEY_LEN], stream_in_fn in, void *in_arg,
                stream_out_fn out, void *out_arg, struct err *e);

/* The size of the encrypted form of n plaintext bytes. */
size_t stream_sealed_size(size_t n);
/* Encrypts n bytes into a whole file image (malloc'd, stream_sealed_size(n) bytes). */
unsigned char *stream_encode(const unsigned char key[AEAD_KEY_LEN], const unsigned char *pt,
                             size_t n, size_t *outlen, struct err *e);
/*
 * Decrypts a whole file image, checking every chunk before returning any
 * byte: *out (malloc'd, *outlen bytes) only when all of it is authentic.
 */
int stream_decode(const unsigned char key[AEAD_KEY_LEN], const unsigned char *in, size_t n,
                  unsigned char **out, size_t *outlen, struct err *e);

#endif

/*
 * pagecrypt.h — the embedded database encrypted page by page: an SQLite VFS
 * that seals every page of the database file and of its WAL with
 * AES-256-GCM (the format is described at the top of pagecrypt.c).
 *
 * pagecrypt_register() makes the VFS, PAGECRYPT_VFS, SQLite's default, so
 * every database Slate opens without naming a VFS is encrypted; only the
 * keystore (which holds wrapped keys only) and a plaintext database being
 * converted name PAGECRYPT_PLAIN_VFS. A file is opened under the key set by
 * the last pagecrypt_use_key() of the process; its WAL takes the key of its
 * database. The key is copied at open: a later pagecrypt_use_key() changes
 * only files opened after it.
 */
#ifndef SLATE_STORE_PAGECRYPT_H
#define SLATE_STORE_PAGECRYPT_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define PAGECRYPT_VFS        "slate-aes"
#define PAGECRYPT_PLAIN_VFS  "unix"
#define PAGECRYPT_PAGE_SIZE  4096
#define PAGECRYPT_RESERVE    32
#define PAGECRYPT_KEY_LEN    32
#define PAGECRYPT_ID_LEN     16
/* "db-" and the database id in hex: the database key's id in the keystore. */
#define PAGECRYPT_KEY_ID_LEN (3 + 2 * PAGECRYPT_ID_LEN)

/* Registers the VFS as SQLite's default (once per process; later calls do nothing). */
int pagecrypt_register(struct err *e);

/*
 * The seal epoch (pagecrypt.c): a counter in page 1 of the main file,
 * raised once at every sync of the main file that follows writes to it (in
 * WAL mode, once per checkpoint). A pagecrypt_epoch_fn is called, in the
 * thread that synced, with the database id and the new epoch once the file
 * holding it is durable. It must not open or write the same database.
 */
typedef void (*pagecrypt_epoch_fn)(void *arg, const unsigned char id[PAGECRYPT_ID_LEN],
                                   uint64_t epoch);

/*
 * The key and database id that files opened from now on are sealed under
 * (both copied), and the callback their main files report a new epoch to
 * (fn NULL: nobody is told; arg must outlive the files). The three are set
 * together, under one lock. pagecrypt_use_key sets no callback.
 */
void pagecrypt_use_key_with(const unsigned char key[PAGECRYPT_KEY_LEN],
                            const unsigned char id[PAGECRYPT_ID_LEN], pagecrypt_epoch_fn fn,
                            void *arg);
void pagecrypt_use_key(const unsigned char key[PAGECRYPT_KEY_LEN],
                       const unsigned char id[PAGECRYPT_ID_LEN]);
/*
 * The epoch page 1 of the encrypted file at path holds, opened under the
 * key set by pagecrypt_use_key(): 0 with *epoch (0 for an empty file, and
 * for a file sealed before the epoch existed), -1 when page 1 does not
 * open (e names the file and page) or the file cannot be read.
 */
int pagecrypt_epoch(const char *path, uint64_t *epoch, struct err *e);
/* Forgets the key: opening an encrypted file then fails. */
void pagecrypt_forget_key(void);

/*
 * Reads the file at path whole, the bytes on disk (sealed pages), handing
 * each chunk in order to fn (-1 from fn stops, e filled by fn): a raw copy
 * of a database this process has open. Through the system's VFS, never a
 * descriptor of its own (closing one would drop the POSIX locks of this
 * process's connections). 0, or -1 with e filled.
 */
typedef int (*pagecrypt_chunk_fn)(void *arg, const unsigned char *buf, size_t n, struct err *e);
int pagecrypt_read_raw(const char *path, pagecrypt_chunk_fn fn, void *arg, struct err *e);

/*
 * What the first bytes of the file at path say it is: 1 an encrypted Slate
 * database (id filled), 0 a plaintext SQLite database, -1 neither or
 * unreadable (e filled). An empty or missing file is -1 with status 404.
 */
int pagecrypt_probe(const char *path, unsigned char id[PAGECRYPT_ID_LEN], struct err *e);

/* The keystore id of the key of database id: "db-" hex(id), NUL-terminated. */
void pagecrypt_key_id(const unsigned char id[PAGECRYPT_ID_LEN], char out[PAGECRYPT_KEY_ID_LEN + 1]);

/*
 * The last page this thread failed to open, as one line naming the file
 * and page ("" when none since the last call); cleared by reading it.
 */
const char *pagecrypt_last_error(void);

#endif

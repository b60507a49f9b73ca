/*
 * store_sqlite.h — what only the SQLite backend can do.
 *
 * store.h is the interface every backend implements; these operations
 * exist because the SQLite database is a file Slate encrypts page by page
 * (store/pagecrypt.h) and an operator can copy, restore and inspect: they
 * take file paths, read page counters or run SQLite's SQL. A server-based
 * backend has its own tools for the same needs and does not implement
 * them. Only the command line (cli/db.c) and tests include this header.
 */
#ifndef SLATE_STORE_STORE_SQLITE_H
#define SLATE_STORE_STORE_SQLITE_H

#include <stdint.h>
#include <stdio.h>

#include "store/store.h"
#include "util/err.h"

struct keyring;
struct sqlite3;

/*
 * Slate owns checkpoints (backups on, backup/ship.c): every connection the
 * process opens on a database from now on turns automatic checkpoints off
 * and checkpoints nothing at close (store_sqlite_hold_checkpoints). hook,
 * when not NULL, is installed as each such connection's sqlite3_wal_hook
 * (the server records commit times with it); it must return SQLITE_OK.
 */
typedef int (*store_commit_hook_fn)(void *arg, struct sqlite3 *db, const char *name, int frames);
void store_sqlite_own_checkpoints(int on, store_commit_hook_fn hook);
int store_sqlite_owns_checkpoints(void);
/* Applies the above to a connection opened by hand: 0 done or off, -1 failed. */
int store_sqlite_hold_checkpoints(struct sqlite3 *db);

/*
 * Converts the plaintext database at path into an encrypted one under a new
 * database key in keys, never in place (sqlite_admin.c): 0 done, 1 it was
 * encrypted already, -1 nothing changed (status 409 when a server has it open).
 */
int store_encrypt(const char *path, struct keyring *keys, struct err *e);
/*
 * Accepts the encrypted database at path as it is now, after an operator
 * put back an older copy on purpose (a restore from backup): its commit
 * counter (seal epoch, pagecrypt.c) becomes the keystore's record of it, in
 * place of a newer one. *was is the record before (0 when none), *now the
 * file's counter. Refusing an older copy at open is what this undoes.
 */
int store_accept_restore(const char *path, struct keyring *keys, uint64_t *was, uint64_t *now,
                         struct err *e);
/*
 * Runs the statements of sql on the decrypted database and prints their rows
 * to out: one line per row, columns joined by '|', or one JSON array of
 * objects per statement. Read-only (PRAGMA query_only) unless write is set.
 */
int store_sql(struct store *s, const char *sql, int as_json, int write, FILE *out, struct err *e);

#endif

/*
 * audit_group.h — audit events committed in groups by a writer thread of
 * their own, for the events of reads (person.read_private), so that a read
 * does not wait for a commit of its own. See audit_group.c.
 */
#ifndef SLATE_AUDIT_AUDIT_GROUP_H
#define SLATE_AUDIT_AUDIT_GROUP_H

#include "audit/audit.h"
#include "crypto/keyring.h"
#include "util/err.h"

/* At most this many events wait for the writer; an adder waits while it is full. */
#define AUDIT_GROUP_MAX      256
/* How long the writer lets a group form after its first event (unless half full or synced). */
#define AUDIT_GROUP_DELAY_MS 25

/*
 * audit_group_add (when the queue is full) and audit_group_sync wait for the
 * writer, which needs the database's write lock: never call them while the
 * calling thread holds a write transaction.
 */

/* Starts the writer on its own connection to db_path (keys not owned). */
int audit_group_start(const char *db_path, struct keyring *keys, struct err *e);
/* Commits what is queued, then stops the writer; later adds answer -1. */
void audit_group_stop(void);
/*
 * Queues a copy of a (its time taken now): 0, or -1 when no writer runs (then
 * the caller writes the event itself, with audit_record).
 */
int audit_group_add(const struct audit_entry *a);
/* Returns once every event queued before the call is committed (or given up). */
void audit_group_sync(void);

#endif

/*
 * sqlite_retention.c — what the retention job (domain/retention.h) removes,
 * over SQLite (store.h, "Retention").
 *
 * Each function counts (dry_run set) or removes the rows of one kind that
 * ended before `before` and reports how many. None opens a transaction of
 * its own: the caller holds one per kind, with the kind's audit event in
 * it. What "ended" means per table:
 *
 *   session        revoked, expired, or idle: it ended at the earliest of
 *                  revoked_at, expires_at and last_seen_at + idle
 *   api_token      revoked_at or expires_at
 *   login_failure  its time (the throttle reads only the last hour)
 *   login_known_source
 *                  its last successful sign-in from that address
 *   outbox         a message that is done (status sent or failed) keeps its
 *                  row as the record of the sending (its status, times and
 *                  the delivery that names it); its body, recipient address
 *                  and subject (a call time, a name) are emptied once
 *                  sent_at (a failed one: created_at) is older than before.
 *                  Delivery already empties a sent message's body; the
 *                  address and subject stay until this.
 *   audit_event    a prefix of the chain: every event up to (not
 *                  including) the first whose time is at or after before,
 *                  but never the newest event, so the chain never empties
 *                  and the next event links to a row that is still there.
 *                  *through is the last seq removed and anchor its hash:
 *                  the first remaining event's prev_hash (audit/audit.c).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "store/sqlite_int.h"
#include "store/store.h"

/* Counts with count_sql or runs del_sql, both binding ?1 before and ?2 extra. */
static int
count_or_delete(struct store *s, const char *count_sql, const char *del_sql, long long before,
                long long extra, int dry_run, long long *n, const char *what, struct err *e)
{
	sqlite3_stmt *st = sq_prepare(s, dry_run ? count_sql : del_sql, e);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, before);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, extra);
	if (dry_run) {
		long c = 0;
		if (sq_count_of(s, st, what, &c, e) == -1)
			return -1;
		*n = c;
		return 0;
	}
	if ((rc = sq_run(s, st, what, e)) == -1)
		return -1;
	*n = rc;
	return 0;
}

#define SESSION_ENDED                                                                              \
	"(revoked_at IS NOT NULL AND revoked_at < ?1) OR expires_at < ?1 OR last_seen_at + ?2 < "  \
	"?1"

int
store_retention_sessions(struct store *s, long long before, long long idle, int dry_run,
                         long long *n, struct err *e)
{
	return count_or_delete(s, "SELECT COUNT(*) FROM session WHERE " SESSION_ENDED,
	                       "DELETE FROM session WHERE " SESSION_ENDED, before, idle, dry_run, n,
	                       "remove ended sessions", e);
}

#define TOKEN_ENDED "(revoked_at IS NOT NULL AND revoked_at < ?1) OR expires_at < ?1"

int
store_retention_api_tokens(struct store *s, long long before, int dry_run, long long *n,
                           struct err *e)
{
	return count_or_delete(s, "SELECT COUNT(*) FROM api_token WHERE " TOKEN_ENDED,
	                       "DELETE FROM api_token WHERE " TOKEN_ENDED, before, 0, dry_run, n,
	                       "remove ended API tokens", e);
}

int
store_retention_throttle(struct store *s, long long before, int dry_run, long long *n,
                         struct err *e)
{
	long long failures = 0, known = 0;

	if (count_or_delete(s, "SELECT COUNT(*) FROM login_failure WHERE at < ?1",
	                    "DELETE FROM login_failure WHERE at < ?1", before, 0, dry_run,
	                    &failures, "remove old sign-in failures", e) == -1 ||
	    count_or_delete(s, "SELECT COUNT(*) FROM login_known_source WHERE last_success < ?1",
	                    "DELETE FROM login_known_source WHERE last_success < ?1", before, 0,
	                    dry_run, &known, "forget old sign-in addresses", e) == -1)
		return -1;
	*n = failures + known;
	return 0;
}

#define OUTBOX_DONE                                                                                \
	"(body <> '' OR to_addr <> '' OR subject <> '') AND status IN ('sent', 'failed') AND "     \
	"(CASE WHEN status = 'sent' THEN COALESCE(sent_at, created_at) ELSE created_at END) < ?1"

int
store_retention_outbox(struct store *s, long long before, int dry_run, long long *n, struct err *e)
{
	return count_or_delete(
	    s, "SELECT COUNT(*) FROM outbox WHERE " OUTBOX_DONE,
	    "UPDATE outbox SET body = '', to_addr = '', subject = '' WHERE " OUTBOX_DONE, before, 0,
	    dry_run, n, "empty sent mail", e);
}

int
store_retention_audit(struct store *s, const char *before, int dry_run, long long *n,
                      long long *through, char anchor[65], struct err *e)
{
	/* the last seq of the prefix older than before, short of the newest event */
	static const char cut_sql[] =
	    "SELECT MIN(COALESCE((SELECT MIN(seq) FROM audit_event WHERE at >= ?1), "
	    "(SELECT MAX(seq) FROM audit_event)), (SELECT MAX(seq) FROM audit_event)) - 1, "
	    "(SELECT MIN(seq) FROM audit_event)";
	static const char hash_sql[] = "SELECT hash FROM audit_event WHERE seq = ?1";
	static const char del_sql[] = "DELETE FROM audit_event WHERE seq <= ?1";
	sqlite3_stmt *st;
	long long cut, first;
	int rc;

	*n = 0;
	*through = 0;
	anchor[0] = '\0';
	if ((st = sq_prepare(s, cut_sql, e)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, before, -1, SQLITE_STATIC);
	if ((rc = sq_one_row(s, st, "find old audit events", e)) == -1)
		return -1;
	if (rc == 0 || sqlite3_column_type(st, 0) == SQLITE_NULL) {
		if (rc == 1)
			sqlite3_reset(st);
		return 0; /* no event at all */
	}
	cut = sqlite3_column_int64(st, 0);
	first = sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	if (cut < first)
		return 0;
	if ((st = sq_prepare(s, hash_sql, e)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, cut);
	if ((rc = sq_one_row(s, st, "read the audit anchor", e)) != 1)
		return rc == 0 ? err_set(e, 500, "the audit chain has a gap at %lld", cut) : -1;
	sq_copy_col(st, 0, anchor, 65);
	sqlite3_reset(st);
	*through = cut;
	if (dry_run) {
		*n = cut - first + 1;
		return 0;
	}
	if ((st = sq_prepare(s, del_sql, e)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, cut);
	if ((rc = sq_run_quiet(s, st, "remove old audit events", e)) == -1)
		return -1;
	*n = rc;
	return 0;
}

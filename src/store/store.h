/*
 * store.h — the only door to persistent data.
 *
 * Domain and API code talk to this interface, never to SQLite or libpq, so a
 * second backend (PostgreSQL) can sit behind the same calls. A struct store
 * is one connection: it belongs to one thread (each HTTP loop and each
 * command opens its own) and is never shared.
 *
 * Conventions: functions return 0 on success and -1 on error with e filled;
 * look-ups return 1 when found and 0 when not. Identifiers are opaque text
 * (128 random bits, see store_new_id) so that ids are neither guessable nor
 * countable, and the same SQL runs on SQLite and PostgreSQL. Times are UTC
 * RFC 3339 text.
 */
#ifndef SLATE_STORE_STORE_H
#define SLATE_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/secret.h"

struct store;

#define STORE_ID_LEN 30 /* prefix (3) + '_' + 26 base32 characters (128 random bits) */

struct store_user {
	char id[STORE_ID_LEN + 8];
	char email[256];
	char display_name[256];
	char password_hash[256];
	int must_change_password;
	int is_instance_admin;
	int disabled;
};

struct store_production {
	char id[STORE_ID_LEN + 8];
	char name[256];
	char timezone[64];
	int require_mfa;         /* every member needs a second factor */
	int link_access;         /* a call sheet's personal link opens it without signing in */
	int remind_hours_before; /* recipients who have not acknowledged are reminded this many
	                            hours before general call (api/reminders.c); 0: never */
	/* its end (migration 0032, domain/closing.h): unix seconds, 0 when not */
	long long archived_at;  /* read-only for everyone from then */
	long long closed_at;    /* closed by a leader: only leaders read it */
	long long deletion_due; /* its keys shredded and rows deleted at or after this */
};

struct keyring;
/*
 * Opens (creating when `create`) the database at path and applies pending
 * migrations. keys (crypto/keyring.h, not owned, may be shared by threads)
 * holds the database key the file is encrypted under, page by page
 * (store/pagecrypt.h), and seals and opens personal fields; a plaintext
 * file is refused, naming `slate migrate-encryption`. A store opened
 * without keys (NULL: tests of files from before encryption) is plaintext
 * and refuses every call that touches a personal field.
 */
struct store *store_open(const char *path, int create, struct keyring *keys, struct err *e);
void store_close(struct store *s);

/* Operations only the SQLite backend has (encryption, restores, raw SQL): store/store_sqlite.h. */

/* Migrations compiled into the binary: the newest version this binary knows. */
int store_known_version(void);
int store_schema_version(struct store *s, int *version, struct err *e);
int store_ping(struct store *s, struct err *e);

/*
 * Write transactions. The contract every backend gives, and that the
 * invariants of the domain rest on ("never the last production admin",
 * "a membership is added once", an audit chain without forks: each reads,
 * decides, then writes):
 *
 *   - Serializable: a transaction sees the database as if the committed
 *     transactions had run one after another, and its own writes. What it
 *     read stays true until it commits; no other writer's changes appear
 *     in between, and no other writer commits a change that would make its
 *     reads stale (write skew included).
 *   - One writer at a time per database: store_begin waits while another
 *     connection (any thread, any process) holds a write transaction, for a
 *     bounded time, then fails cleanly with status 503 and nothing begun.
 *     It never interleaves two writers. (SQLite: a per-database mutex in
 *     the process, then BEGIN IMMEDIATE under a busy timeout. A server
 *     database: SERIALIZABLE isolation, or a lock taken at begin.)
 *   - Not nested: store_begin inside a transaction fails and leaves the
 *     outer one as it was.
 *   - store_commit makes every write since store_begin durable and visible
 *     to other connections at once; when it fails, the caller calls
 *     store_rollback and nothing of the transaction is kept.
 *     store_rollback drops every write since store_begin, and is harmless
 *     outside a transaction. Either ends the transaction and lets the next
 *     writer in.
 *   - Outside a transaction each call is atomic on its own (its statements
 *     all land or none does).
 *
 * tests/unit/store/test_conformance.c checks this contract.
 */
int store_begin(struct store *s, struct err *e);
int store_commit(struct store *s, struct err *e);
void store_rollback(struct store *s);

/*
 * The change counter (store_generation): an abstract value a cache keys on.
 * Its contract, which any backend can give (SQLite implements it with the
 * data_generation row that triggers on every table move, read again only
 * when PRAGMA data_version says another connection committed, and the
 * schema version; a server database with a counter row bumped by triggers,
 * or a sequence, read at most once per generation):
 *
 *   - It moves after any committed change of data a cache may hold, made
 *     by any connection of any process, and after a schema change.
 *   - It moves after any change made through this connection, committed
 *     or not (own writes show at once, inside a transaction too).
 *   - It does not move on reads, and not on quiet writes: audit events
 *     and session and token touches (they change nothing a cache holds but
 *     a session's last_seen_at, which the session cache checks against the
 *     clock itself, api/session.c).
 *   - It never goes back to an earlier value on the same connection.
 *   - Two generations of the same connection that compare equal (every
 *     field) mean no such change happened in between, so what was read at
 *     the first still holds at the second; a loop thread's caches
 *     (api/cache.c) rest on this. Generations of different connections
 *     never compare equal (the `store` field differs).
 *
 * Taking one is cheap (SQLite: a PRAGMA, and one SELECT when another
 * connection committed); it must be taken outside a transaction. The
 * fields are opaque to callers beyond equality.
 */
struct store_gen {
	unsigned long long store; /* which connection of this process: never reused */
	long long data;           /* data_generation.n */
	long long schema;         /* PRAGMA schema_version */
	long long changes;        /* rows changed through this connection, quiet writes aside */
};
int store_generation(struct store *s, struct store_gen *g, struct err *e);
/* 1 when g is this connection's and no data was written through it since g was taken. */
int store_generation_own_same(struct store *s, const struct store_gen *g);

/* Fills buf (at least STORE_ID_LEN + 1 bytes) with "pfx_" and 26 base32 characters. */
void store_new_id(char *buf, size_t len, const char *prefix);
/*
 * While on (an import of an export, domain/import.c), the create calls of
 * production data keep an id the caller filled in instead of making one: a
 * production, department, membership, person, location, shoot day, scene,
 * call, call sheet and sustainability entry. A call sheet then also keeps
 * its version and published_at, an entry its created_at and updated_at, and
 * a new production starts without the standard departments (the import
 * brings its own). Off by default; callers that leave an id empty still get
 * a new one.
 */
void store_keep_ids(struct store *s, int on);
/*
 * 1 when a record with this id exists in the table its prefix names (prd,
 * dep, mem, per, loc, day, scn, cs, cen, att), in any production; 0 when
 * not, or when the prefix names none of them.
 */
int store_id_in_use(struct store *s, const char *id, struct err *e);

int store_user_create(struct store *s, struct store_user *u, struct err *e);
int store_user_by_email(struct store *s, const char *email, struct store_user *out, struct err *e);
/* Creates the production and its standard departments (store_departments_default). */
int store_production_create(struct store *s, struct store_production *p, struct err *e);
/* 1 found, 0 not. */
int store_production_get(struct store *s, const char *id, struct store_production *out,
                         struct err *e);
int store_production_set_require_mfa(struct store *s, const char *id, int on, struct err *e);
/* Productions the user belongs to (all of them when all != 0), by name. */
int store_production_list(struct store *s, const char *user_id, int all,
                          void (*fn)(const struct store_production *, const char *role, void *),
                          void *arg, struct err *e);

/*
 * A production's end (migration 0032, api/closing.h). set_archived sets
 * archived_at (0 clears it; only while not closed); set_closed sets closed_at
 * and deletion_due (both 0 reopens; only while archived): 1 done, 0 no such
 * production in that state.
 */
int store_production_set_archived(struct store *s, const char *id, long long at, struct err *e);
int store_production_set_closed(struct store *s, const char *id, long long closed_at,
                                long long deletion_due, struct err *e);
/* The opened email of every live production admin and producer of production_id, once each. */
int store_production_leader_emails(struct store *s, const char *production_id,
                                   void (*fn)(const char *email, void *), void *arg, struct err *e);
/* Calls fn with the id of every production whose deletion_due is at or before now. */
int store_production_due(struct store *s, long long now, void (*fn)(const char *id, void *),
                         void *arg, struct err *e);
/*
 * What erasing a production takes with it, before its rows go: the id of
 * each person record (each has its own person key), and the stored name of
 * each uploaded file (under DATA/uploads; file may be NULL). Read in the caller's transaction.
 */
int store_production_contents(struct store *s, const char *production_id,
                              void (*person)(const char *id, void *),
                              void (*file)(const char *stored_name, void *), void *arg,
                              struct err *e);
/*
 * Deletes production_id and every row that belongs to it (every table with a
 * production_id column, the rows that hang from them, and the outbox's mail
 * about its call sheets and people), keeping its audit events; then checks
 * that no row of any table but audit_event still names it (-1, status 500,
 * when one does). Joins the caller's transaction; destroys no key (the
 * caller does, domain/closing.c). 1 deleted, 0 no such production.
 */
int store_production_erase(struct store *s, const char *production_id, struct err *e);

/* The departments every production starts with, in call-sheet order. */
extern const char *const store_departments_default[];

struct store_membership {
	char id[STORE_ID_LEN + 8];
	char production_id[STORE_ID_LEN + 8];
	char role[32];
	char department_id[STORE_ID_LEN + 8]; /* "" when none */
	char department[64];                  /* its name, "" when none */
	int revoked;
	struct store_user user;
};

/* The user's membership of a production (revoked or not): 1 found, 0 not. */
int store_membership_of(struct store *s, const char *production_id, const char *user_id,
                        struct store_membership *out, struct err *e);
/*
 * store_membership_of without the account's email (out->user.email is ""):
 * the caller's standing, read on every request, opens nothing.
 */
int store_membership_standing(struct store *s, const char *production_id, const char *user_id,
                              struct store_membership *out, struct err *e);
/* By membership id, within one production: 1 found, 0 not. */
int store_membership_get(struct store *s, const char *production_id, const char *id,
                         struct store_membership *out, struct err *e);
/* Adds user_id with role (and department id, or NULL); 409 when already a member. */
int store_membership_add(struct store *s, const char *production_id, const char *user_id,
                         const char *role, const char *department_id, char *id_out, size_t len,
                         struct err *e);
int store_membership_set(struct store *s, const char *id, const char *role,
                         const char *department_id, struct err *e);
/* revoked != 0: revoke now, which also ends the member's API tokens for the production
   (a reinstatement does not bring them back); 0: reinstate. */
int store_membership_revoke(struct store *s, const char *id, int revoked, struct err *e);
int store_membership_list(struct store *s, const char *production_id,
                          void (*fn)(const struct store_membership *, void *), void *arg,
                          struct err *e);
/* Live production admins and producers of a production (a closed account's do not count). */
int store_membership_leaders(struct store *s, const char *production_id, long *n, struct err *e);
/* Live memberships the user holds (not revoked), in any production. */
int store_membership_count(struct store *s, const char *user_id, long *n, struct err *e);
/*
 * A department of the production by name, case-insensitively (ASCII letters:
 * SQLite's NOCASE), the exact spelling first: 1 found, 0 not.
 */
int store_department_find(struct store *s, const char *production_id, const char *name,
                          char *id_out, size_t len, struct err *e);

/* Calls fn for every account, by email. */
int store_user_list(struct store *s, void (*fn)(const struct store_user *, void *), void *arg,
                    struct err *e);
/*
 * Disables the account and ends its sessions, API tokens and password-reset
 * links; 1 done, 0 no such account or already disabled.
 */
int store_user_disable(struct store *s, const char *id, long long now, struct err *e);
/* Lets a disabled account sign in again (nothing it had comes back); 1 done, 0 not disabled. */
int store_user_enable(struct store *s, const char *id, struct err *e);
int store_user_by_id(struct store *s, const char *id, struct store_user *out, struct err *e);
/*
 * Account closure (issue 22; backup/erasure.h). A closed account is disabled
 * (store_user_disable) and deleted at deletion_due by the deletion job.
 */
struct store_closure {
	long long closed_at;    /* Unix seconds */
	long long deletion_due; /* when the deletion job deletes it */
	int by_self;            /* its person closed it, and may reopen it by signing in */
};
/* Closes the account (and disables it: sessions, tokens, reset links end); 1 done, 0 no such
   account or closed already. */
int store_user_close(struct store *s, const char *id, long long now, long long due, int by_self,
                     struct err *e);
/* 1 with *out when the account is closed, 0 when it is open or unknown. */
int store_user_closure(struct store *s, const char *id, struct store_closure *out, struct err *e);
/* Reopens a closed account whose deletion is not due at now; 1 done, 0 not (open, or too late). */
int store_user_reopen(struct store *s, const char *id, long long now, struct err *e);
/* Closed accounts whose deletion is due at now, the oldest due first. */
int store_users_due(struct store *s, long long now,
                    void (*fn)(const char *id, const struct store_closure *, void *), void *arg,
                    struct err *e);
/* Deletes the account (its sessions, tokens, memberships, second factor with it) and, once
   the transaction commits, destroys its person key; 1 done, 0 no such account. */
int store_user_delete(struct store *s, const char *id, struct err *e);
/* Replaces the password hash; must_change_password becomes `must_change`. */
int store_user_set_password(struct store *s, const char *id, const char *hash, int must_change,
                            struct err *e);

/*
 * Sessions. Times are Unix seconds. token_hash is the hex SHA-256 of the
 * cookie token (crypto/token.h); the token itself is never stored.
 */
struct store_session {
	char id[STORE_ID_LEN + 8];
	char user_agent[129];
	long long created_at;
	long long last_seen_at;
	long long expires_at;
	int revoked;
	int mfa_enrolled; /* the account has a confirmed second factor */
	int mfa_required; /* instance admin, production admin or producer anywhere, or a member of
	                     a production that requires MFA */
	struct store_user user; /* the session's account */
};

/* Creates a session; fills out->id and the times. */
int store_session_create(struct store *s, const char *user_id, const char *token_hash,
                         const char *user_agent, long long now, long long lifetime,
                         struct store_session *out, struct err *e);
/*
 * 1 found (revoked or not: the caller decides), 0 not found. out->user.email
 * is left "" (nothing is opened on this path, run for every request); read
 * it with store_user_email where an answer shows it.
 */
int store_session_by_token(struct store *s, const char *token_hash, struct store_session *out,
                           struct err *e);
/* The account's email, opened, into out: 1, 0 no such account. */
int store_user_email(struct store *s, const char *user_id, char *out, size_t len, struct err *e);
int store_session_touch(struct store *s, const char *id, long long now, struct err *e);
/* Ends one session of user_id (0 when there was none to end, 1 when ended). */
int store_session_revoke(struct store *s, const char *user_id, const char *id, long long now,
                         struct err *e);
/* Ends every live session of user_id except `keep` (NULL: all). Returns how many. */
int store_session_revoke_all(struct store *s, const char *user_id, const char *keep, long long now,
                             struct err *e);
/* Ends every live session of every account except `keep`. Returns how many. */
int store_session_revoke_everyone(struct store *s, const char *keep, long long now, struct err *e);
/* Calls fn for each live session of user_id, newest first. */
int store_session_list(struct store *s, const char *user_id, long long now,
                       void (*fn)(const struct store_session *, void *), void *arg, struct err *e);

/*
 * Sign-in throttling: the failures of one account and address since `since`,
 * and of the address over every account. domain/throttle.h turns this
 * record into its own (throttle_state_of) and decides how long to wait.
 */
struct store_login_state {
	long pair_failures;          /* this account, this address, since `since` */
	long long pair_last_at;      /* the latest of those (Unix seconds), 0 when none */
	long account_failures;       /* this account, every address, since `since` */
	long long account_oldest_at; /* the oldest of those, 0 when none */
	int source_known;            /* this address has signed in to this account */
	long address_accounts;       /* accounts that failed from this address since `since`,
	                                not counting those that have signed in from it */
	long long
	    address_first_last_at; /* the earliest of those accounts' latest failures, 0 none */
};
int store_login_state(struct store *s, const char *account_key, const char *source, long long since,
                      struct store_login_state *out, struct err *e);
/* Records a failure (and forgets every failure older than `since`). */
int store_login_failed(struct store *s, const char *account_key, const char *source, long long now,
                       long long since, struct err *e);
/* Records a success: the address becomes known, its failures are forgotten. */
int store_login_succeeded(struct store *s, const char *account_key, const char *source,
                          long long now, struct err *e);

/* API tokens: scoped to one production, read or read-write, expiring. */
struct store_api_token {
	char id[STORE_ID_LEN + 8];
	char production_id[STORE_ID_LEN + 8];
	char name[101];
	int read_write;
	long long created_at, expires_at;
	int revoked;
	long long last_used_at; /* 0: never used */
	int mfa_enrolled;       /* as for a session: the owner has a confirmed second factor */
	int mfa_required;       /* and must have one (see struct store_session) */
	struct store_user user;
};
int store_token_create(struct store *s, const char *user_id, const char *token_hash,
                       const char *production_id, const char *name, int read_write, long long now,
                       long long lifetime, struct store_api_token *out, struct err *e);
/* 1 found (revoked or expired or not: the caller decides), 0 not. */
int store_token_by_hash(struct store *s, const char *token_hash, struct store_api_token *out,
                        struct err *e);
/* The user's tokens that are neither revoked nor expired. */
int store_token_list(struct store *s, const char *user_id, long long now,
                     void (*fn)(const struct store_api_token *, void *), void *arg, struct err *e);
/* 1 revoked now, 0 not a live token of this user. */
int store_token_revoke(struct store *s, const char *user_id, const char *id, long long now,
                       struct err *e);
/* Records a use of the token at `now` (callers write at most once a minute). */
int store_token_touch(struct store *s, const char *id, long long now, struct err *e);
/* Ends every live token of user_id (a password change, "sign out everywhere"). How many. */
int store_token_revoke_all(struct store *s, const char *user_id, long long now, struct err *e);

/*
 * Subprocessor announcements (api/subprocessors.c). store_leader_emails
 * calls fn with the opened email of every account that is a live
 * production admin or producer anywhere and not disabled, once each.
 * A notice is the record that entry_hash was announced to `recipients`
 * people on announced_on and takes effect on effective_on (YYYY-MM-DD).
 */
int store_leader_emails(struct store *s, void (*fn)(const char *email, void *), void *arg,
                        struct err *e);
/* 1 announced (dates filled), 0 not yet. */
int store_subproc_notice_get(struct store *s, const char *entry_hash, char announced_on[11],
                             char effective_on[11], struct err *e);
int store_subproc_notice_add(struct store *s, const char *entry_hash, const char *name,
                             const char *announced_on, const char *effective_on, long recipients,
                             struct err *e);

/* The mail outbox (notify/notify.h). */
struct store_mail {
	char id[STORE_ID_LEN + 8];
	char to[256];
	char subject[256];
	char *body; /* owned by the caller of store_outbox_next: free() it */
	long long created_at;
	int attempts;
};
int store_outbox_add(struct store *s, const char *to, const char *subject, const char *body,
                     long long now, struct err *e);
/* The oldest unsent message with fewer than max_attempts tries: 1 found, 0 none. */
int store_outbox_next(struct store *s, int max_attempts, struct store_mail *out, struct err *e);
/* Sent: the body is wiped. Failed: the attempt and the reason are counted. */
int store_outbox_sent(struct store *s, const char *id, long long now, struct err *e);
int store_outbox_failed(struct store *s, const char *id, const char *why, struct err *e);

/*
 * Call sheet mail (notify/notify.c, store/sqlite_distribution.c): the
 * outbox's statuses (migration 0025). The notifier takes the oldest message
 * due (queued, deferred and due, or left `sending` by a crash), marks it
 * `sending` and commits before its SMTP transaction, then marks it sent
 * (body wiped, the relay's answer kept), deferred (tried again at
 * next_attempt_at; failed after max attempts) or failed.
 */
struct store_outmail {
	struct store_mail m;
	char status[16];
	char callsheet_id[STORE_ID_LEN + 8]; /* "" for plain mail */
	char person_id[STORE_ID_LEN + 8];
	char production_id[STORE_ID_LEN + 8];
};
/* Queues a message (a call sheet's when callsheet_id is not NULL); its id into id_out. */
int store_outbox_add_for(struct store *s, const char *to, const char *subject, const char *body,
                         const char *callsheet_id, const char *person_id, long long now,
                         char id_out[STORE_ID_LEN + 8], struct err *e);
/* The oldest message due at now with fewer than max_attempts tries: 1 found, 0 none. */
int store_outbox_due(struct store *s, int max_attempts, long long now, struct store_outmail *out,
                     struct err *e);
int store_outbox_sending(struct store *s, const char *id, struct err *e);
/* Accepted by the relay: status sent, body wiped, answer kept. */
int store_outbox_accepted(struct store *s, const char *id, long long now, const char *answer,
                          struct err *e);
/* A temporary failure: deferred until next_at, or failed when this was try max_attempts. */
int store_outbox_deferred(struct store *s, const char *id, const char *why, long long next_at,
                          int max_attempts, struct err *e);
/* A permanent failure: failed at once, the error and the relay's answer line kept. */
int store_outbox_refused(struct store *s, const char *id, const char *why, const char *answer,
                         struct err *e);

/*
 * A bounce (a permanent-failure DSN, notify/dsn.h) for message id: marked
 * bounced with reason when it is a sent message not yet bounced (1), else
 * nothing (0): the first bounce is kept.
 */
int store_outbox_bounced(struct store *s, const char *id, long long now, const char *reason,
                         struct err *e);

/* One recipient's delivery of a version (kind "publish" or "reminder"). */
struct store_delivery {
	char id[STORE_ID_LEN + 8];
	char person_id[STORE_ID_LEN + 8];
	char kind[16];
	/* queued, sending, deferred, sent, failed, bounced, or not_sent */
	char status[16];
	char
	    reason[256]; /* not_sent: why; failed or deferred: the last error; bounced: the DSN's */
	char relay_answer[256]; /* sent or failed: the relay's answer */
	long long created_at, sent_at, next_attempt_at;
	int attempts;
};
/* outbox_id NULL: not sent, for reason. */
int store_delivery_add(struct store *s, const char *callsheet_id, const char *person_id,
                       const char *kind, const char *outbox_id, const char *reason, long long now,
                       struct err *e);
/* Every delivery of a version, oldest first. */
int store_delivery_list(struct store *s, const char *callsheet_id,
                        void (*fn)(const struct store_delivery *, void *), void *arg,
                        struct err *e);
/* 1 when person_id was sent (queued at least) an earlier version of callsheet's day. */
int store_delivery_sent_before(struct store *s, const char *day_id, int version,
                               const char *person_id, char prev_id[STORE_ID_LEN + 8],
                               struct err *e);

/* Personal links: only the token's hex SHA-256 is kept. */
int store_link_add(struct store *s, const char *token_hash, const char *callsheet_id,
                   const char *person_id, long long now, long long expires_at, struct err *e);
/* Revokes the links of every version of day_id but keep_callsheet_id. */
int store_link_revoke_day(struct store *s, const char *day_id, const char *keep_callsheet_id,
                          long long now, struct err *e);
struct store_link {
	char callsheet_id[STORE_ID_LEN + 8];
	char person_id[STORE_ID_LEN + 8];
	char production_id[STORE_ID_LEN + 8];
	long long expires_at;
};
/*
 * The link of token_hash when it opens now: not expired, not revoked, its
 * version the day's latest, its person still a recipient. 1, or 0 (one
 * answer for unknown, expired, revoked and superseded).
 */
int store_link_find(struct store *s, const char *token_hash, long long now, struct store_link *out,
                    struct err *e);
/* Acknowledges for person_id through `via` ("app" or "link"): as store_callsheet_ack. */
int store_callsheet_ack_via(struct store *s, const char *callsheet_id, const char *person_id,
                            const char *via, struct err *e);
/* When and how person_id acknowledged ("" and "" when not): 1 a recipient, 0 not. */
int store_callsheet_ack_of(struct store *s, const char *callsheet_id, const char *person_id,
                           char at[32], char via[8], struct err *e);
/* Sets the production's link_access: 1 done, 0 no such production. */
int store_production_set_link_access(struct store *s, const char *id, int on, struct err *e);

/*
 * Automatic reminders (api/reminders.c, store/sqlite_reminders.c). A
 * candidate is the latest version of a shoot day, not cancelled, dated
 * from `since` ("YYYY-MM-DD") on, of a production with remind_hours_before
 * > 0, whose automatic reminder has not gone out.
 */
struct store_reminder_candidate {
	char production_id[STORE_ID_LEN + 8];
	char callsheet_id[STORE_ID_LEN + 8];
	char date[16];         /* the day's date */
	char general_call[8];  /* "HH:MM", past 24:00 after midnight */
	char timezone[64];     /* the production's */
	char published_at[40]; /* the version's, RFC 3339 UTC */
	int hours;             /* remind_hours_before */
};
int store_reminder_candidates(struct store *s, const char *since,
                              void (*fn)(const struct store_reminder_candidate *, void *),
                              void *arg, struct err *e);
/* Records that version callsheet_id's automatic reminder was dealt with at now: 1, 0 none such. */
int store_callsheet_auto_reminded(struct store *s, const char *callsheet_id, long long now,
                                  struct err *e);
/* Sets the production's remind_hours_before (0 to 72): 1 done, 0 no such production. */
int store_production_set_remind_hours(struct store *s, const char *id, int hours, struct err *e);

/* Invitations into a production. */
struct store_invitation {
	char id[STORE_ID_LEN + 8];
	char production_id[STORE_ID_LEN + 8];
	char email[256];
	char role[32];
	char department_id[STORE_ID_LEN + 8]; /* "" when none */
	long long created_at, expires_at;
	int accepted;
};
int store_invitation_create(struct store *s, struct store_invitation *inv, const char *token_hash,
                            const char *invited_by, long long now, long long lifetime,
                            struct err *e);
/* A live invitation (unaccepted, unexpired) by token: 1 found, 0 not. */
int store_invitation_peek(struct store *s, const char *token_hash, long long now,
                          struct store_invitation *out, struct err *e);
/* Marks it accepted: 1 now, 0 when it was not live (single use). */
int store_invitation_spend(struct store *s, const char *id, long long now, struct err *e);
int store_invitation_list(struct store *s, const char *production_id, long long now,
                          void (*fn)(const struct store_invitation *, void *), void *arg,
                          struct err *e);

/* Password-reset links. */
int store_reset_create(struct store *s, const char *user_id, const char *token_hash, long long now,
                       long long lifetime, struct err *e);
/* Links made for user_id since `since` (to bound how many one can ask for). */
int store_reset_count(struct store *s, const char *user_id, long long since, long *n,
                      struct err *e);
/* The account of a live link (unused, unexpired): 1 and *user filled, or 0. */
int store_reset_peek(struct store *s, const char *token_hash, long long now,
                     struct store_user *user, struct err *e);
/* Spends a live link: 1 spent now, 0 when unknown, used or expired (single use). */
int store_reset_spend(struct store *s, const char *token_hash, long long now, struct err *e);
/* Ends every outstanding link of user_id (its password changed). Returns how many. */
int store_reset_revoke_all(struct store *s, const char *user_id, long long now, struct err *e);

/* Second factors (crypto/totp.h). */
struct store_totp {
	char secret[64]; /* base32 */
	int confirmed;
	long long last_step;
};
/* 1 found, 0 none. */
int store_totp_get(struct store *s, const char *user_id, struct store_totp *out, struct err *e);
/* Starts (or restarts) an unconfirmed enrolment with this secret. */
int store_totp_begin(struct store *s, const char *user_id, const char *secret_b32, struct err *e);
/* Confirms the enrolment at step; stores the recovery code hashes (replacing old ones). */
int store_totp_confirm(struct store *s, const char *user_id, long long step, char hashes[][65],
                       int nhashes, struct err *e);
/* Accepts step only if it is later than the last one accepted: 1 accepted, 0 replayed. */
int store_totp_use_step(struct store *s, const char *user_id, long long step, struct err *e);
/* Marks one unused recovery code used: 1 used now, 0 unknown or already used. */
int store_recovery_use(struct store *s, const char *user_id, const char *code_hash, struct err *e);
int store_recovery_left(struct store *s, const char *user_id, long *n, struct err *e);
int store_totp_delete(struct store *s, const char *user_id, struct err *e);

/*
 * The audit log (see audit/audit.h for who writes it and what a row holds).
 * store_audit_append takes the write lock, reads the last hash, asks
 * `seal` to compute this row's hash from it, and inserts, atomically.
 */
struct store_audit_event {
	long long seq;
	char at[32];
	const char *actor, *source, *action, *object, *outcome, *request_id, *production_id;
	char prev_hash[65];
	char hash[65];
};
int store_audit_append(struct store *s, struct store_audit_event *ev,
                       void (*seal)(struct store_audit_event *), struct err *e);
/* One production's events, newest first, with seq below `before` (0: any), at most limit. */
int store_audit_of_production(struct store *s, const char *production_id, long long before,
                              long limit, void (*fn)(const struct store_audit_event *, void *),
                              void *arg, struct err *e);
/* What a page of a production's events is narrowed to; a NULL member filters nothing. */
struct store_audit_filter {
	/* an action's exact name ("person.update"), or a prefix ending in '.' ("person.") */
	const char *action;
	/* a person id: events whose object names the person (the whole object or one item of a
	   comma-separated list), whose actor is the account linked to the person now, or whose
	   object is that account's membership of the production */
	const char *person_id;
};
/* The same, only the events that match f (NULL: every event); paging counts matches only. */
int store_audit_of_production_where(struct store *s, const char *production_id,
                                    const struct store_audit_filter *f, long long before,
                                    long limit,
                                    void (*fn)(const struct store_audit_event *, void *), void *arg,
                                    struct err *e);
/*
 * The current display name of the record `id` names, by its prefix: an
 * account's display name, a member's account's, a person's, the
 * production's, a department's, location's, day's ("DATE UNIT"), scene's
 * ("Scene N") or call sheet's — of production_id only (sqlite_names.c).
 * 1 found (out filled), 0 none (an unknown kind, or no such record now),
 * -1 error.
 */
int store_display_name(struct store *s, const char *production_id, const char *id, char *out,
                       size_t len, struct err *e);
/* The events by user_id in any production, and those about the account outside any, oldest
   first (a person's own export, api/me_export.c). */
int store_audit_of_account(struct store *s, const char *user_id,
                           void (*fn)(const struct store_audit_event *, void *), void *arg,
                           struct err *e);
/* Calls fn for every event in order; stops early when fn returns non-zero. */
int store_audit_scan(struct store *s, int (*fn)(const struct store_audit_event *, void *),
                     void *arg, struct err *e);

/* Uploaded files (api/attachments.c); the bytes live encrypted in the upload directory. */
struct store_attachment {
	char id[STORE_ID_LEN + 8];
	char production_id[STORE_ID_LEN + 8];
	char name[256]; /* the user's file name: sealed in the database, never used on disk */
	char content_type[128];
	long long size;
	char stored_name[64];
	char created_by[STORE_ID_LEN + 8];
	char created_at[32];
	int evidence; /* a sustainability entry's evidence: only that entry's readers reach it */
};
/*
 * Records an attachment whose id and stored_name the caller chose: seals
 * its name and its 32-byte file key under the production key (made here if
 * the production has none yet).
 */
int store_attachment_create(struct store *s, const struct store_attachment *a,
                            const unsigned char file_key[32], struct err *e);
/* 1 found (file_key filled when not NULL), 0 no such attachment in that production. */
int store_attachment_get(struct store *s, const char *production_id, const char *id,
                         struct store_attachment *out, struct secret *file_key, struct err *e);
/* The production's files, without the evidence of sustainability entries. */
int store_attachment_list(struct store *s, const char *production_id,
                          void (*fn)(const struct store_attachment *, void *), void *arg,
                          struct err *e);
/*
 * The rows that name files on disk (an attachment's stored_name under
 * DATA/uploads), for whoever removes a record with its file and for
 * `slate fsck`, which compares the rows with the directory. The order that
 * keeps the two consistent: a file is written before its row commits
 * (api/attachments.c), and removed only after the commit that removed its
 * row. A crash between can leave a file no row names (an orphan, which
 * fsck lists and can remove), never a row naming a file that is gone.
 *
 * store_attachment_remove deletes attachment id of production_id (a file
 * or an entry's evidence) and its sealed key, and gives its stored_name in
 * stored (cap bytes) for the caller to remove after the commit; it joins
 * the caller's transaction. 1 deleted, 0 no such attachment.
 */
int store_attachment_remove(struct store *s, const char *production_id, const char *id,
                            char *stored, size_t cap, struct err *e);
/* Every attachment's id and stored_name, in no particular order. */
int store_attachment_files(struct store *s,
                           void (*fn)(const char *id, const char *stored_name, void *arg),
                           void *arg, struct err *e);

/*
 * The production itself (store/sqlite_production.c): people, locations,
 * shoot days, scenes and calls. Sealed fields are opened only in the groups
 * a caller asks for (`open`): what a reader may not see is never decrypted.
 * A field whose key was destroyed reads as KEYRING_ERASED.
 */
#define STORE_PERSON_WORK     1u /* work phone and email */
#define STORE_PERSON_PERSONAL 2u /* personal phone and email */
#define STORE_PERSON_PRIVATE  4u /* address, emergency contact, birth date, notes, ids */
#define STORE_PERSON_ALL      7u

struct store_person {
	char id[STORE_ID_LEN + 8];
	char production_id[STORE_ID_LEN + 8];
	char user_id[STORE_ID_LEN + 8]; /* "" when not linked to an account */
	char kind[8];                   /* crew | cast */
	char name[256];
	char department_id[STORE_ID_LEN + 8]; /* "" when none */
	char department[64];
	char job_title[128];
	char character_name[128];
	int key_contact;
	int link_confirmed; /* the linked account accepted the record (stored 1 when unlinked) */
	/* sealed under the person's key */
	char work_phone[64], work_email[256];
	char personal_phone[64], personal_email[256];
	char home_address[512], emergency_contact[512], date_of_birth[16];
	char dietary[512], medical[1024], id_numbers[256];
	unsigned opened; /* the STORE_PERSON_* groups filled above */
	char created_at[32], updated_at[32];
};

/* Creates the person (fills id and times) with their own person key; seals every group. */
int store_person_create(struct store *s, struct store_person *p, struct err *e);
/* Rewrites the directory columns and the sealed groups in `groups`: 1 done, 0 no such person. */
int store_person_update(struct store *s, const struct store_person *p, unsigned groups,
                        struct err *e);
/*
 * Marks the record's link confirmed, only while it is still linked to user_id
 * (a link changed meanwhile is not confirmed by the old account): 1 done, 0 not so linked.
 */
int store_person_confirm_link(struct store *s, const char *production_id, const char *id,
                              const char *user_id, struct err *e);
/* Deletes the record and destroys its person key: 1 done, 0 no such person. */
int store_person_delete(struct store *s, const char *production_id, const char *id, struct err *e);
/* store_person_delete by id alone, in whatever production (the deletion job and its replay). */
int store_person_erase(struct store *s, const char *id, struct err *e);
/* One person of the production with the groups in `open` opened: 1 found, 0 not. */
int store_person_get(struct store *s, const char *production_id, const char *id, unsigned open,
                     struct store_person *out, struct err *e);
/*
 * One person of the production in one read: `want` sees the unsealed
 * columns and returns the groups to open (or a negative number: none), as
 * store_person_list's does. 1 found, 0 not.
 */
int store_person_read(struct store *s, const char *production_id, const char *id,
                      int (*want)(const struct store_person *, void *), void *arg,
                      struct store_person *out, struct err *e);
/* The person record linked to user_id in the production (nothing opened): 1 found, 0 not. */
int store_person_of_user(struct store *s, const char *production_id, const char *user_id,
                         struct store_person *out, struct err *e);
/* Person ids linked to user_id in any production (to shred them with the account). */
int store_person_ids_of_user(struct store *s, const char *user_id,
                             void (*fn)(const char *id, void *), void *arg, struct err *e);
/*
 * The production's people by name, optionally only of one department id or
 * kind. For each row `want` sees the unsealed columns and returns the
 * groups to open, or -1 to skip the row, or STORE_PERSON_STOP to end the
 * list there (a page that is full); then fn gets it. The sealed groups of
 * the whole list are opened through one keyring snapshot.
 */
#define STORE_PERSON_STOP (-2)
struct store_person_filter {
	const char *department_id; /* NULL: any */
	const char *kind;          /* NULL: any */
	const char *called_on; /* a shoot day id: only the people with a call that day; NULL: any */
};
int store_person_list(struct store *s, const char *production_id,
                      const struct store_person_filter *f,
                      int (*want)(const struct store_person *, void *),
                      void (*fn)(const struct store_person *, void *), void *arg, struct err *e);

struct store_location {
	char id[STORE_ID_LEN + 8];
	char production_id[STORE_ID_LEN + 8];
	char name[256];
	char parking[512];
	char nearest_hospital[256];
	int confidential;
	/* sealed under the production key */
	char address[512], latitude[24], longitude[24], access_notes[1024], contact[256];
	int opened; /* the sealed site fields are filled */
	char created_at[32], updated_at[32];
};
int store_location_create(struct store *s, struct store_location *l, struct err *e);
/* 1 done, 0 no such location; the site is rewritten when `site` is set. */
int store_location_update(struct store *s, const struct store_location *l, int site, struct err *e);
int store_location_get(struct store *s, const char *production_id, const char *id, int open,
                       struct store_location *out, struct err *e);
/* By name; want returns 1 to open the site, 0 not to, -1 to skip the row. */
int store_location_list(struct store *s, const char *production_id,
                        int (*want)(const struct store_location *, void *),
                        void (*fn)(const struct store_location *, void *), void *arg,
                        struct err *e);

struct store_day {
	char id[STORE_ID_LEN + 8];
	char production_id[STORE_ID_LEN + 8];
	char date[16];        /* YYYY-MM-DD */
	char unit[32];        /* "Main", "Second", … */
	char general_call[8]; /* HH:MM */
	char wrap_estimate[8];
	int number, total;     /* "Day number of total" within the unit */
	char cancelled_at[32]; /* RFC 3339 UTC when the day was cancelled, "" while it is on */
};
/* 409 with field /date when the unit already shoots that date. */
int store_day_create(struct store *s, struct store_day *d, struct err *e);
/* 1 done, 0 no such day in d->production_id; 409 /date as for create. */
int store_day_update(struct store *s, const struct store_day *d, struct err *e);
int store_day_get(struct store *s, const char *production_id, const char *id, struct store_day *out,
                  struct err *e);
int store_day_list(struct store *s, const char *production_id,
                   void (*fn)(const struct store_day *, void *), void *arg, struct err *e);
/* Replaces the day's ordered locations / scenes (ids already checked to be the production's). */
int store_day_set_locations(struct store *s, const char *day_id, const char *const *ids, size_t n,
                            struct err *e);
int store_day_set_scenes(struct store *s, const char *day_id, const char *const *ids, size_t n,
                         struct err *e);
/* The day's location ids / scene ids in order. */
int store_day_locations(struct store *s, const char *day_id, void (*fn)(const char *id, void *),
                        void *arg, struct err *e);
int store_day_scenes(struct store *s, const char *day_id, void (*fn)(const char *id, void *),
                     void *arg, struct err *e);
/* 1 when person_id has a call on a day that uses location_id, else 0. */
int store_location_called(struct store *s, const char *location_id, const char *person_id,
                          struct err *e);

struct store_scene {
	char id[STORE_ID_LEN + 8];
	char production_id[STORE_ID_LEN + 8];
	char number[16];
	char int_ext[8];
	char day_night[8];
	char set_name[256];
	int eighths;
	char synopsis[2048]; /* sealed under the production key */
	int opened;
};
/* 409 with field /number when the number is taken. */
int store_scene_create(struct store *s, struct store_scene *sc, struct err *e);
/* 1 done, 0 no such scene in sc->production_id; 409 /number as for create. */
int store_scene_update(struct store *s, const struct store_scene *sc, struct err *e);
int store_scene_get(struct store *s, const char *production_id, const char *id, int open,
                    struct store_scene *out, struct err *e);
/* Scenes of the production (day_id NULL, by number) or of one day (in the day's order). */
int store_scene_list(struct store *s, const char *production_id, const char *day_id,
                     int (*want)(const struct store_scene *, void *),
                     void (*fn)(const struct store_scene *, void *), void *arg, struct err *e);
int store_scene_set_cast(struct store *s, const char *scene_id, const char *const *person_ids,
                         size_t n, struct err *e);
int store_scene_cast(struct store *s, const char *scene_id, void (*fn)(const char *id, void *),
                     void *arg, struct err *e);

struct store_call {
	char id[STORE_ID_LEN + 8];
	char production_id[STORE_ID_LEN + 8];
	char day_id[STORE_ID_LEN + 8];
	char person_id[STORE_ID_LEN + 8];
	char call_time[8], pickup[8], hair_makeup[8], on_set[8];
	char cast_status[8];                         /* "", start, work, hold, finish */
	char person_department_id[STORE_ID_LEN + 8]; /* read only */
	int department_position;                     /* read only: call-sheet order, -1 none */
	char department_call[8]; /* read only: the department's call that day, or "" */
	char person_name[256];   /* read only */
};
/* Creates or replaces the person's call on the day. */
int store_call_put(struct store *s, struct store_call *c, struct err *e);
/* 1 deleted, 0 none. */
int store_call_delete(struct store *s, const char *day_id, const char *person_id, struct err *e);
/* Calls of one day (day_id) or of one person (person_id), or both; NULL: any. */
int store_call_list(struct store *s, const char *production_id, const char *day_id,
                    const char *person_id, void (*fn)(const struct store_call *, void *), void *arg,
                    struct err *e);
/* Department calls of a shoot day (a call_time of "" in a person's call means "the department's").
 */
struct store_department_call {
	char day_id[STORE_ID_LEN + 8];
	char department_id[STORE_ID_LEN + 8];
	char department[64]; /* read only */
	char call_time[8];
};
int store_department_call_put(struct store *s, const struct store_department_call *dc,
                              struct err *e);
/* 1 deleted, 0 none; 409 (/call) while calls of the day follow it. */
int store_department_call_delete(struct store *s, const char *day_id, const char *department_id,
                                 struct err *e);
/* The day's department calls in call-sheet order. */
int store_department_call_list(struct store *s, const char *day_id,
                               void (*fn)(const struct store_department_call *, void *), void *arg,
                               struct err *e);
/*
 * 1 renamed, 0 no such department in the production; 409 (/name) when the
 * name is taken by another department, compared without case (as find does).
 */
int store_department_rename(struct store *s, const char *production_id, const char *id,
                            const char *name, struct err *e);
int store_department_list(struct store *s, const char *production_id,
                          void (*fn)(const char *id, const char *name, void *), void *arg,
                          struct err *e);
int store_department_create(struct store *s, const char *production_id, const char *name,
                            char *id_out, size_t len, struct err *e);

/* Published call sheets (api/callsheets.c): frozen, numbered versions of a day. */
struct store_callsheet {
	char id[STORE_ID_LEN + 8];
	char production_id[STORE_ID_LEN + 8];
	char day_id[STORE_ID_LEN + 8];
	int version;
	char published_by[STORE_ID_LEN + 8];
	char published_at[32];
	char *body; /* the sheet as JSON (malloc'd, caller frees), NULL when not asked for */
};
/*
 * Publishes the next version of cs->day_id (fills id, version, time): the
 * body sealed under the production key, the locations it shows and its
 * recipients. Run it inside a transaction.
 */
int store_callsheet_publish(struct store *s, struct store_callsheet *cs,
                            const char *const *location_ids, size_t nloc,
                            const char *const *recipient_ids, size_t nrec, struct err *e);
/* 1 found (body opened when want_body), 0 not. */
int store_callsheet_get(struct store *s, const char *production_id, const char *id, int want_body,
                        struct store_callsheet *out, struct err *e);
/* The versions of one day, newest first (no bodies). */
int store_callsheet_list(struct store *s, const char *production_id, const char *day_id,
                         void (*fn)(const struct store_callsheet *, void *), void *arg,
                         struct err *e);
/* Acknowledges for person_id: 1 done (or done before), 0 not a recipient. */
int store_callsheet_ack(struct store *s, const char *callsheet_id, const char *person_id,
                        struct err *e);
/* Each recipient with the time they acknowledged ("" when not yet). */
int store_callsheet_recipients(struct store *s, const char *callsheet_id,
                               void (*fn)(const char *person_id, const char *acked_at, void *),
                               void *arg, struct err *e);
/*
 * "My call sheets" (api/mycallsheets.c): the latest version of each shoot
 * day of a production dated from_date or later, by date, with what
 * person_id (may be "": none) has to do with it.
 */
struct store_my_sheet {
	struct store_callsheet cs; /* the day's latest version, without its body */
	char date[16];             /* the day's YYYY-MM-DD */
	int cancelled;             /* the day is cancelled now */
	int calls_person;          /* this version calls person_id */
	int acked_version; /* the newest version of the day person_id acknowledged, 0 none */
	char acked_id[STORE_ID_LEN + 8]; /* its id, "" none */
};
int store_callsheet_latest_from(struct store *s, const char *production_id, const char *from_date,
                                const char *person_id,
                                void (*fn)(const struct store_my_sheet *, void *), void *arg,
                                struct err *e);
/* The id of user_id's person record in production_id: 1 found, 0 none. */
int store_person_id_of_user(struct store *s, const char *production_id, const char *user_id,
                            char out[STORE_ID_LEN + 8], struct err *e);
/* 1 when a published call sheet shows the location (its address is then no secret), else 0. */
int store_location_published(struct store *s, const char *location_id, struct err *e);

/* ---- sustainability (store/sqlite_carbon.c) ---- */

/* The set of a production's own factors. */
#define STORE_FACTOR_SET_CUSTOM  "custom"
/* The set a production uses until it chooses one. */
#define STORE_FACTOR_SET_DEFAULT "uk-desnz-2024"

struct store_factor_set {
	char id[64];
	int version;
	char name[128];
	char sha256[65];
	char imported_at[32];
	long factors;
};

struct store_factor {
	long long id;
	char set_id[64];
	int set_version;
	char production_id[STORE_ID_LEN + 8]; /* custom factors only */
	char key[160];
	char category[32];
	char activity[256];
	char unit[16];    /* a unit code of domain/carbon.c */
	char kg_text[32]; /* kg CO2e per unit as published */
	double kg_per_unit;
	int rf; /* 1 with radiative forcing, 0 without, -1 not a flight */
	char source[512];
	int year;
	char publisher_ref[64];
	char notes[1024];
	char created_at[32];
};

/*
 * The next factor row of an import into f (its key, category, activity,
 * unit, kg_text, rf, source, year, publisher_ref and notes) and the line of
 * the file it came from into *line (for messages): 1, 0 at the end, -1 with
 * e filled. domain/carbon_file.h reads factor files (CSV) into rows.
 */
typedef int (*store_factor_next_fn)(void *arg, struct store_factor *f, long *line, struct err *e);
/*
 * Imports the rows next gives as set set_id, from a file whose SHA-256 is
 * sha256 (hex): a new version when the set exists with other contents. 1
 * imported (*version set), 0 sha256 equals the set's latest version's
 * (nothing read or written), -1 with e naming the line at fault (400) —
 * nothing is written then. name NULL or "": the first row's source.
 */
int store_factor_set_import(struct store *s, const char *set_id, const char *name,
                            const char *sha256, store_factor_next_fn next, void *arg, int *version,
                            struct err *e);
/* Every version of every set, by id then version. */
int store_factor_sets(struct store *s, void (*fn)(const struct store_factor_set *, void *),
                      void *arg, struct err *e);
/* The latest version of set id: 1 found, 0 not. */
int store_factor_set_latest(struct store *s, const char *id, struct store_factor_set *out,
                            struct err *e);
/* The factors of a set version (production_id NULL), or a production's own (set "custom"). */
int store_factors_list(struct store *s, const char *set_id, int version, const char *production_id,
                       void (*fn)(const struct store_factor *, void *), void *arg, struct err *e);
/*
 * The factors an entry may use for key: the production's own factors of that
 * key, else those of the set version's with that key and rf (or no rf).
 */
int store_factors_for_key(struct store *s, const char *production_id, const char *set_id,
                          int version, const char *key, int rf,
                          void (*fn)(const struct store_factor *, void *), void *arg,
                          struct err *e);
/* 1 found, 0 not. */
int store_factor_get(struct store *s, long long id, struct store_factor *out, struct err *e);
/* A production's own factor (fills id, set, created_at); 409 /activity when the key and unit exist.
 */
int store_factor_create(struct store *s, struct store_factor *f, const char *created_by,
                        struct err *e);

struct store_carbon_settings {
	char factor_set[64];
	int include_rf;
	long long budget_g; /* -1: no budget */
	int share_totals;
};
/* The production's settings, or the defaults when it has none. */
int store_carbon_settings_get(struct store *s, const char *production_id,
                              struct store_carbon_settings *out, struct err *e);
int store_carbon_settings_put(struct store *s, const char *production_id,
                              const struct store_carbon_settings *in, struct err *e);

struct store_carbon_entry {
	char id[STORE_ID_LEN + 8];
	char production_id[STORE_ID_LEN + 8];
	char date[11];
	char day_id[STORE_ID_LEN + 8]; /* "" when none */
	char department_id[STORE_ID_LEN + 8];
	char category[32];
	double quantity;
	char unit[16];
	long long factor_id;
	long long co2e_g;
	char evidence_id[STORE_ID_LEN + 8]; /* "" when none */
	char note[512];
	char entered_by[STORE_ID_LEN + 8];
	char created_at[32];
	char updated_at[32];
	struct store_factor factor; /* read only: the factor factor_id names */
};

struct store_carbon_filter {
	const char *department_id; /* NULL: any */
	const char *day_id;        /* NULL: any */
	const char *category;      /* NULL: any */
	long limit, offset;
};
/* Fills id, created_at and updated_at; 400 naming the field when a reference is not of the
 * production. */
int store_carbon_entry_create(struct store *s, struct store_carbon_entry *en, struct err *e);
/* 1 found, 0 not. */
int store_carbon_entry_get(struct store *s, const char *production_id, const char *id,
                           struct store_carbon_entry *out, struct err *e);
/* 1 deleted, 0 no such entry. */
int store_carbon_entry_delete(struct store *s, const char *production_id, const char *id,
                              struct err *e);
/* Entries by date then id, through the filter; *total counts every match. */
int store_carbon_entry_list(struct store *s, const char *production_id,
                            const struct store_carbon_filter *f, long *total,
                            void (*fn)(const struct store_carbon_entry *, void *), void *arg,
                            struct err *e);
/*
 * Writes en's date, day, department, category, quantity, unit, factor, CO2e and
 * note over entry en->id of en->production_id (its evidence, author and
 * created_at stay) and fills updated_at: 1 changed, 0 no such entry; 400
 * naming the field when a reference is not of the production.
 */
int store_carbon_entry_update(struct store *s, struct store_carbon_entry *en, struct err *e);
/* Points an entry at another factor with its new CO2e (a recalculation). */
int store_carbon_entry_refactor(struct store *s, const char *id, long long factor_id,
                                long long co2e_g, struct err *e);
int store_carbon_entry_set_evidence(struct store *s, const char *production_id, const char *id,
                                    const char *attachment_id, struct err *e);

/* Sums for a report (department_id NULL: the whole production). */
struct store_carbon_sum {
	const char *category;
	const char *department_id;
	const char *date;
	long long grams;
	long entries;
};
int store_carbon_sums_by_category(struct store *s, const char *production_id,
                                  const char *department_id,
                                  void (*fn)(const struct store_carbon_sum *, void *), void *arg,
                                  struct err *e);
int store_carbon_sums_by_date(struct store *s, const char *production_id, const char *department_id,
                              void (*fn)(const struct store_carbon_sum *, void *), void *arg,
                              struct err *e);
/* The distinct factors the production's entries use, each once. */
int store_carbon_factors_used(struct store *s, const char *production_id, const char *department_id,
                              void (*fn)(const struct store_factor *, void *), void *arg,
                              struct err *e);

/*
 * Undoing mistakes (sqlite_undo.c): deleting days, scenes, locations and
 * departments, cancelling a day, withdrawing an invitation, renaming a
 * production. A record that others hold is never deleted from under them:
 * the *_holders functions pass each holder to fn (kind such as "day",
 * "person", "member", "invitation", "sustainability_entry", "callsheet" or
 * "scene"; its id; a name to show), and the deletes assume the caller found
 * none, inside the caller's transaction.
 */
typedef void (*store_holder_fn)(const char *kind, const char *id, const char *name, void *arg);
int store_location_holders(struct store *s, const char *production_id, const char *id,
                           store_holder_fn fn, void *arg, struct err *e);
int store_scene_holders(struct store *s, const char *production_id, const char *id,
                        store_holder_fn fn, void *arg, struct err *e);
/* People, live or revoked memberships, pending invitations and sustainability entries. */
int store_department_holders(struct store *s, const char *production_id, const char *id,
                             long long now, store_holder_fn fn, void *arg, struct err *e);
/* The published call sheet versions of a day ("callsheet", id, "version N"). */
int store_day_holders(struct store *s, const char *production_id, const char *id,
                      store_holder_fn fn, void *arg, struct err *e);
/* The scenes whose cast holds person_id ("scene", id, scene number). */
int store_person_scenes(struct store *s, const char *production_id, const char *person_id,
                        store_holder_fn fn, void *arg, struct err *e);
/* Each deletes one row of the production (and what cascades with it): 1, 0 when none, -1. */
int store_day_delete(struct store *s, const char *production_id, const char *id, struct err *e);
int store_scene_delete(struct store *s, const char *production_id, const char *id, struct err *e);
int store_location_delete(struct store *s, const char *production_id, const char *id,
                          struct err *e);
/* Also clears the department from spent and expired invitations, which only keep it as history. */
int store_department_delete(struct store *s, const char *production_id, const char *id,
                            struct err *e);
/* Cancels (on) or reinstates a shoot day: 1, 0 when no such day, -1. */
int store_day_set_cancelled(struct store *s, const char *production_id, const char *id, int on,
                            struct err *e);
/* Withdraws a pending invitation (its link stops working): 1, 0 when none is pending, -1. */
int store_invitation_withdraw(struct store *s, const char *production_id, const char *id,
                              struct err *e);
/* Writes name, timezone and require_mfa of p: 1, 0 when no such production, -1. */
int store_production_update(struct store *s, const struct store_production *p, struct err *e);

/* ---- personal calendar feeds (store/sqlite_feed.c) ---- */

struct store_feed {
	char user_id[STORE_ID_LEN + 8];
	char production_id[STORE_ID_LEN + 8];
	int user_disabled;
};
/* Gives user_id's feed of production_id the token whose hash is token_hash, replacing any
   earlier one (the old token stops working). */
int store_feed_set(struct store *s, const char *user_id, const char *production_id,
                   const char *token_hash, long long now, struct err *e);
/* 1 revoked, 0 there was none. */
int store_feed_delete(struct store *s, const char *user_id, const char *production_id,
                      struct err *e);
/* The feed whose token hashes to token_hash: 1 found, 0 not. */
int store_feed_by_hash(struct store *s, const char *token_hash, struct store_feed *out,
                       struct err *e);

/* ---- the incident register (store/sqlite_incident.c, domain/incidents.h) ---- */

/*
 * One incident. The times are RFC 3339 UTC text and, for the clock, Unix
 * seconds. details is a JSON object (malloc'd text) of the free-text
 * fields, sealed under the instance key at rest; affected a JSON array of
 * ids only (malloc'd, NULL: not computed), kept in the clear. Free both with
 * store_incident_free.
 */
struct store_incident {
	char id[STORE_ID_LEN + 8];
	char status[16]; /* open, contained, notified, closed */
	char discovered_at[32];
	char aware_at[32];
	long long aware_epoch;
	char notified_at[32]; /* "" until the authority is notified */
	long long notified_epoch;
	char opened_by[STORE_ID_LEN + 16];
	char opened_at[32];
	char updated_at[32];
	char *details;
	char *affected;
};
/* Adds the incident (fills id; opened_at and updated_at are the caller's). */
int store_incident_create(struct store *s, struct store_incident *in, struct err *e);
/* Writes status, times, details and affected of in->id (updated_at too): 1, 0 no such incident. */
int store_incident_update(struct store *s, const struct store_incident *in, struct err *e);
/* 1 found (out to free), 0 not. */
int store_incident_get(struct store *s, const char *id, struct store_incident *out, struct err *e);
/*
 * Every incident, newest aware_at first (each freed after fn returns); with_details 0 leaves
 * details NULL and opens nothing (the clock's gauges).
 */
int store_incident_list(struct store *s, int with_details,
                        void (*fn)(const struct store_incident *, void *), void *arg,
                        struct err *e);
void store_incident_free(struct store_incident *in);
/* Appends a change (a JSON object, sealed at rest) to the incident's history. */
int store_incident_history_add(struct store *s, const char *incident_id, const char *at,
                               const char *actor, const char *change, struct err *e);
/* The incident's history, oldest first: its time, actor and change (JSON text). */
int store_incident_history(struct store *s, const char *incident_id,
                           void (*fn)(const char *at, const char *actor, const char *change,
                                      void *),
                           void *arg, struct err *e);

/*
 * Telling the affected people (migration 0033, domain/incident_notice.c):
 * one notice per affected person of an incident. status is what the row
 * says (draft, not_notifiable, queued) until it is queued; then the
 * outbox's status of its message (queued, sending, deferred, sent, failed,
 * bounced). content is JSON {to, subject, body}, sealed under the person's
 * key at rest (opened here, malloc'd; "{}" for a not_notifiable notice,
 * {"sealed": "[erased]"} once the person's key is shredded); reason says
 * why a person is not notifiable. Free with store_incident_notice_free.
 */
struct store_incident_notice {
	char id[STORE_ID_LEN + 8];
	char incident_id[STORE_ID_LEN + 8];
	char person_id[STORE_ID_LEN + 8];
	char production_id[STORE_ID_LEN + 8];
	char status[16];
	char reason[256];
	char outbox_id[STORE_ID_LEN + 8]; /* "" until queued */
	char drafted_at[32];
	char queued_at[32]; /* "" until queued */
	char *content;
};
/*
 * Writes the notice of (incident, person, production): a draft with content
 * (sealed under person_id's key) or, content NULL, not notifiable for
 * reason. 1 written, 0 left alone (that notice is queued already).
 */
int store_incident_notice_put(struct store *s, const char *incident_id, const char *person_id,
                              const char *production_id, const char *content, const char *reason,
                              const char *at, struct err *e);
/* The incident's notices, oldest first (each freed after fn returns). */
int store_incident_notice_list(struct store *s, const char *incident_id,
                               void (*fn)(const struct store_incident_notice *, void *), void *arg,
                               struct err *e);
/* Marks draft id queued as outbox message outbox_id: 1 done, 0 not a draft. */
int store_incident_notice_queued(struct store *s, const char *id, const char *outbox_id,
                                 const char *at, struct err *e);
void store_incident_notice_free(struct store_incident_notice *n);
/*
 * The audit events of action (exact) whose time is in [from, to) (RFC 3339
 * text, compared as text: both in the log's form), oldest first.
 */
int store_audit_between(struct store *s, const char *action, const char *from, const char *to,
                        void (*fn)(const struct store_audit_event *, void *), void *arg,
                        struct err *e);

/*
 * Retention (domain/retention.h, sqlite_retention.c): each counts (dry_run
 * set) or removes what of its kind ended before `before` (Unix seconds) into
 * *n; 0, or -1. None opens a transaction: the caller holds one per kind.
 */
/* Sessions that ended (revoked, expired, or idle `idle` seconds) before `before`. */
int store_retention_sessions(struct store *s, long long before, long long idle, int dry_run,
                             long long *n, struct err *e);
/* API tokens revoked or expired before `before`. */
int store_retention_api_tokens(struct store *s, long long before, int dry_run, long long *n,
                               struct err *e);
/* Sign-in failures and remembered sign-in addresses (last success) older than `before`. */
int store_retention_throttle(struct store *s, long long before, int dry_run, long long *n,
                             struct err *e);
/* Empties the bodies of mail done (sent or failed) before `before`; the rows stay. */
int store_retention_outbox(struct store *s, long long before, int dry_run, long long *n,
                           struct err *e);
/*
 * Removes the oldest audit events, up to the first whose time (RFC 3339, as
 * the log writes it) is at or after `before` and never the newest: *n
 * events, the last of them *through (0: none) whose hash is anchor.
 */
int store_retention_audit(struct store *s, const char *before, int dry_run, long long *n,
                          long long *through, char anchor[65], struct err *e);

#endif

/*
 * notify.h — mail: an outbox in the store and a thread that delivers it.
 *
 * Senders call notify_enqueue() inside the write transaction of the change
 * the message tells of, so a message exists exactly when its change
 * committed. The notifier thread (started by `slate serve`) takes the
 * oldest unsent message, hands it to the configured transport, and marks it
 * sent (wiping its body, which may hold a link), deferred (tried again
 * later, with exponential backoff, up to NOTIFY_MAX_ATTEMPTS times) or
 * failed (a permanent refusal): see notify.c.
 *
 * Transports: "file" writes one RFC 5322 message per file into mail_dir
 * (mode 0600; development and tests); "smtp" sends through a relay with
 * libcurl, TLS required and verified; "none" keeps messages queued.
 *
 * With mail_bounce_address set, the notifier also reads the bounces the MTA
 * delivers into mail_bounce_dir and marks their messages bounced (notify.c,
 * dsn.h).
 */
#ifndef SLATE_NOTIFY_NOTIFY_H
#define SLATE_NOTIFY_NOTIFY_H

#include "store/store.h"
#include "util/config.h"
#include "util/err.h"

#define NOTIFY_MAX_ATTEMPTS 5
#define NOTIFY_BOUNCE_EVERY 2 /* seconds between reads of mail_bounce_dir/new */

/*
 * How long the links a message may carry live (api/reset.c, api/productions.c):
 * a message file is deleted once the longest-lived link in it has expired.
 */
#define NOTIFY_RESET_LINK_LIFETIME      (30L * 60L)
#define NOTIFY_INVITATION_LINK_LIFETIME (7L * 86400L)

/* Queues a message; refuses header injection (CR or LF in `to` or `subject`). */
int notify_enqueue(struct store *s, const char *to, const char *subject, const char *body,
                   struct err *e);

/*
 * Queues a call sheet message for person_id (notify.c: sent multipart, with
 * their PDF drawn at send time): text and html are its two alternatives.
 * The outbox row's id into id_out.
 */
int notify_enqueue_sheet(struct store *s, const char *to, const char *subject, const char *text,
                         const char *html, const char *callsheet_id, const char *person_id,
                         char id_out[STORE_ID_LEN + 8], struct err *e);

struct notifier;
struct keyring;
struct notifier *notify_start(const struct config *c, const char *db_path, struct keyring *keys,
                              struct err *e);
/* Stops the thread after the message in hand (if any); NULL is fine. */
void notify_stop(struct notifier *n);

#endif

/*
 * dsn.h — reads a delivery status notification (RFC 3464) that came back
 * to the bounce address: pure, bytes in, a struct out (dsn.c).
 */
#ifndef SLATE_NOTIFY_DSN_H
#define SLATE_NOTIFY_DSN_H

#include <stddef.h>

#define DSN_MAX_BYTES  (256L * 1024L) /* a larger file is not read (notify.c) */
#define DSN_ID_LEN     48             /* an outbox id with its NUL, with room to spare */
#define DSN_STATUS_LEN 16             /* "5.1.1" and its NUL; longer is not a status */
#define DSN_DIAG_LEN   200            /* the diagnostic kept, one line of printable ASCII */

enum dsn_kind {
	DSN_INVALID,     /* not a multipart/report of report-type delivery-status, or truncated */
	DSN_UNADDRESSED, /* a report, but not delivered to bounce_local+ID@bounce_domain */
	DSN_NOT_FAILED,  /* a report with no permanent failure (delayed, delivered, relayed) */
	DSN_FAILED,      /* a permanent failure (Action: failed, Status: 5.x.x) */
};

struct dsn {
	char id[DSN_ID_LEN];           /* the VERP id; set from DSN_NOT_FAILED on */
	char status[DSN_STATUS_LEN];   /* DSN_FAILED: the recipient's Status */
	char diagnostic[DSN_DIAG_LEN]; /* DSN_FAILED: its Diagnostic-Code, "" when none */
};

/*
 * Reads the n bytes at msg (any bytes; no NUL needed) as a DSN delivered
 * to the VERP form of bounce_address ("bounces@example.org": the report
 * must have been addressed to bounces+ID@example.org). out is always set.
 */
enum dsn_kind dsn_parse(const char *msg, size_t n, const char *bounce_address, struct dsn *out);

/* The kind's name for a log line ("failed", "not a report", ...). */
const char *dsn_kind_name(enum dsn_kind k);

#endif

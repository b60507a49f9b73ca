/*
 * config.c — the settings table and its readers. See config.h.
 *
 * Ownership: every string in struct config is heap-owned by the struct and
 * freed by config_free(); setters replace and free the previous value.
 */
#include "util/config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup/dest.h"
#include "util/xalloc.h"
#include "util/nitems.h"

enum kind { K_STR, K_LONG };

struct setting {
	const char *section;
	const char *key;
	const char *env;
	enum kind kind;
	size_t off;
	const char *def;
	long min, max;
	const char *help;
};

#define S(sec, key, env, field, def, help)                                                         \
	{                                                                                          \
		sec, key, env, K_STR, offsetof(struct config, field), def, 0, 0, help              \
	}
#define L(sec, key, env, field, def, lo, hi, help)                                                 \
	{                                                                                          \
		sec, key, env, K_LONG, offsetof(struct config, field), def, lo, hi, help           \
	}

static const struct setting table[] = {
    S("server", "data", "SLATE_DATA", data_dir, NULL, "data directory"),
    S("server", "key_file", "SLATE_MASTER_KEY_FILE", key_file, NULL,
      "master key file (default DATA/master.key; outside DATA in production)"),
    S("server", "environment", "SLATE_ENVIRONMENT", environment_name, "development",
      "development | staging | production"),
    S("server", "listen", "SLATE_LISTEN", listen, "127.0.0.1:8443", "HTTPS address"),
    S("server", "http_listen", "SLATE_HTTP_LISTEN", http_listen, "",
      "optional plain-HTTP address that only redirects to HTTPS"),
    S("server", "tls_cert", "SLATE_TLS_CERT", tls_cert, "", "certificate chain (PEM)"),
    S("server", "tls_key", "SLATE_TLS_KEY", tls_key, "", "private key (PEM)"),
    S("server", "public_url", "SLATE_PUBLIC_URL", public_url, "https://localhost:8443",
      "the URL people use to reach Slate"),
    L("server", "threads", "SLATE_THREADS", threads, "0", 0, 256,
      "HTTP loop threads (0: one per core)"),
    L("server", "workers", "SLATE_WORKERS", workers, "0", 0, 256,
      "worker threads for slow work (0: one per core)"),
    L("limits", "max_header_bytes", "SLATE_MAX_HEADER_BYTES", max_header_bytes, "16384", 1024,
      1048576, "request line and headers, bytes"),
    L("limits", "max_body_bytes", "SLATE_MAX_BODY_BYTES", max_body_bytes, "1048576", 1024,
      1073741824, "JSON request body, bytes"),
    L("limits", "upload_max_bytes", "SLATE_UPLOAD_MAX_BYTES", upload_max_bytes, "52428800", 1024,
      1073741824, "an uploaded file, bytes"),
    L("limits", "body_memory_budget", "SLATE_BODY_MEMORY_BUDGET", body_memory_budget, "67108864",
      1048576, 68719476736L,
      "bytes all request bodies in flight may hold in memory together (over it: 503)"),
    L("limits", "request_timeout", "SLATE_REQUEST_TIMEOUT", request_timeout, "20", 1, 3600,
      "seconds for a whole request to arrive"),
    L("limits", "idle_timeout", "SLATE_IDLE_TIMEOUT", idle_timeout, "15", 1, 3600,
      "seconds a keep-alive connection may idle or a write may stall"),
    L("limits", "max_connections", "SLATE_MAX_CONNECTIONS", max_connections, "10000", 1, 1000000,
      "open connections at most"),
    L("limits", "max_connections_per_address", "SLATE_MAX_CONNECTIONS_PER_ADDRESS",
      max_connections_per_address, "256", 1, 1000000,
      "open connections per client address (IPv4 address or IPv6 /64) at most"),
    L("limits", "loopback_reserve", "SLATE_LOOPBACK_RESERVE", loopback_reserve, "16", 0, 100000,
      "of max_connections, kept for 127.0.0.1 and ::1 (health checks)"),
    L("limits", "tls_handshake_timeout", "SLATE_TLS_HANDSHAKE_TIMEOUT", tls_handshake_timeout, "5",
      1, 3600, "seconds a new connection has to finish its TLS handshake"),
    L("limits", "shutdown_timeout", "SLATE_SHUTDOWN_TIMEOUT", shutdown_timeout, "10", 0, 3600,
      "seconds to finish in-flight requests on SIGTERM"),
    L("session", "password_memory_kib", "SLATE_PASSWORD_MEMORY_KIB", password_memory_kib, "19456",
      19456, 4194304, "Argon2id memory per hash, KiB (OWASP minimum 19456)"),
    L("session", "password_iterations", "SLATE_PASSWORD_ITERATIONS", password_iterations, "2", 2,
      20, "Argon2id passes (OWASP minimum 2)"),
    L("session", "login_free_failures", "SLATE_LOGIN_FREE_FAILURES", login_free_failures, "5", 1,
      1000, "failed sign-ins per account and address before backoff starts"),
    L("session", "login_backoff_max", "SLATE_LOGIN_BACKOFF_MAX", login_backoff_max, "900", 1, 86400,
      "seconds of backoff at most between failed sign-ins"),
    L("session", "login_max_failures", "SLATE_LOGIN_MAX_FAILURES", login_max_failures, "100", 1,
      100, "failed sign-ins per account per hour from addresses it never signed in from"),
    L("session", "login_address_accounts", "SLATE_LOGIN_ADDRESS_ACCOUNTS", login_address_accounts,
      "30", 1, 100000,
      "accounts that may fail to sign in from one address per hour (not counting accounts that "
      "signed in from it before)"),
    L("session", "session_idle", "SLATE_SESSION_IDLE", session_idle, "1800", 1, 86400,
      "seconds a session may go unused before it ends"),
    L("session", "session_lifetime", "SLATE_SESSION_LIFETIME", session_lifetime, "43200", 1,
      2592000, "seconds a session lasts at most, however busy"),
    L("session", "api_token_max_days", "SLATE_API_TOKEN_MAX_DAYS", api_token_max_days, "90", 1, 365,
      "days an API token may live at most (longer expiries are refused)"),
    S("storage", "upload_dir", "SLATE_UPLOAD_DIR", upload_dir, "",
      "where encrypted uploads are kept (default DATA/uploads)"),
    S("mail", "mail_transport", "SLATE_MAIL_TRANSPORT", mail_transport, "file",
      "file (writes .eml files into mail_dir) | smtp | none"),
    S("mail", "mail_dir", "SLATE_MAIL_DIR", mail_dir, "",
      "where the file transport writes (default DATA/mail)"),
    L("mail", "mail_file_max_age", "SLATE_MAIL_FILE_MAX_AGE", mail_file_max_age, "604800", 1,
      604800,
      "seconds a message file in mail_dir is kept (its links are live tokens; at most the "
      "invitation lifetime, 7 days)"),
    S("mail", "mail_from", "SLATE_MAIL_FROM", mail_from, "Slate <slate@localhost>",
      "the From of every message"),
    S("mail", "smtp_url", "SLATE_SMTP_URL", smtp_url, "",
      "smtp://HOST:587 (STARTTLS, required) or smtps://HOST:465"),
    S("mail", "smtp_user", "SLATE_SMTP_USER", smtp_user, "",
      "SMTP user name, if the relay wants one"),
    S("mail", "smtp_password_file", "SLATE_SMTP_PASSWORD_FILE", smtp_password_file, "",
      "file (mode 0600) holding the SMTP password"),
    S("mail", "smtp_ca_file", "SLATE_SMTP_CA_FILE", smtp_ca_file, "",
      "CA certificates for the relay (default: the system's)"),
    L("mail", "smtp_timeout", "SLATE_SMTP_TIMEOUT", smtp_timeout, "30", 1, 600,
      "seconds one delivery may take"),
    S("mail", "mail_bounce_address", "SLATE_MAIL_BOUNCE_ADDRESS", mail_bounce_address, "",
      "bounces@example.org: the envelope sender becomes bounces+ID@example.org, and bounces "
      "delivered into mail_bounce_dir mark their message bounced (empty: off)"),
    S("mail", "mail_bounce_dir", "SLATE_MAIL_BOUNCE_DIR", mail_bounce_dir, "",
      "the Maildir (new/ and cur/) the MTA delivers mail_bounce_address into"),
    L("mail", "mail_retry_seconds", "SLATE_MAIL_RETRY_SECONDS", mail_retry_seconds, "60", 1, 3600,
      "seconds before a deferred message is tried again; doubled at each further try"),
    L("mail", "remind_check_interval", "SLATE_REMIND_CHECK_INTERVAL", remind_check_interval, "60",
      1, 3600, "seconds between two looks for call sheet reminders that are due"),
    L("mail", "remind_min_gap", "SLATE_REMIND_MIN_GAP", remind_min_gap, "3600", 0, 86400,
      "seconds after a version is published before its automatic reminder may go out"),
    S("keys", "backup_dir", "SLATE_KEYSTORE_BACKUP_DIR", keystore_backup_dir, "",
      "where slate keys backup writes (default DATA/keystore-backups)"),
    L("keys", "backup_days", "SLATE_KEYSTORE_BACKUP_DAYS", keystore_backup_days, "30", 1, 30,
      "days a keystore backup is kept; never beyond the 30-day deletion grace period"),
    S("backup", "dir", "SLATE_BACKUP_DIR", backup_dir, "",
      "where snapshots and keystore copies go (another disk); empty: backups off"),
    L("backup", "snapshot_interval", "SLATE_BACKUP_SNAPSHOT_INTERVAL", backup_snapshot_interval,
      "86400", 0, 31536000, "seconds between snapshots slate serve takes (0: none)"),
    L("backup", "retention_days", "SLATE_BACKUP_RETENTION_DAYS", backup_retention_days, "30", 1, 30,
      "days a snapshot and its keystore copy are kept; never beyond the 30-day grace period"),
    S("backup", "sync_interval", "SLATE_BACKUP_SYNC_INTERVAL", backup_sync_interval, "1",
      "seconds between two shipments of the WAL to backup_dir/wal (fractions allowed, e.g. 0.2; "
      "or 200ms)"),
    L("backup", "max_queue_bytes", "SLATE_BACKUP_MAX_QUEUE_BYTES", backup_max_queue_bytes,
      "1073741824", 1048576, 1099511627776,
      "bytes the WAL may grow to while backup_dir is failing before continuity is given up "
      "(a fresh snapshot is taken when it is back)"),
    L("backup", "drill_interval", "SLATE_BACKUP_DRILL_INTERVAL", backup_drill_interval, "604800", 0,
      31536000, "seconds between restore drills slate serve runs (0: none)"),
    S("backup", "s3_endpoint", "SLATE_BACKUP_S3_ENDPOINT", s3_endpoint, "",
      "S3-compatible store, https://HOST[:PORT] (http:// for loopback only); empty: none"),
    S("backup", "s3_bucket", "SLATE_BACKUP_S3_BUCKET", s3_bucket, "", "the bucket (path-style)"),
    S("backup", "s3_prefix", "SLATE_BACKUP_S3_PREFIX", s3_prefix, "",
      "the objects' key prefix within the bucket (e.g. slate/prod)"),
    S("backup", "s3_region", "SLATE_BACKUP_S3_REGION", s3_region, "",
      "the region signed for (us-east-1 for most self-hosted servers)"),
    S("backup", "s3_credentials_file", "SLATE_BACKUP_S3_CREDENTIALS_FILE", s3_credentials_file, "",
      "file (mode 0600): access key id and secret access key"),
    S("backup", "s3_ca_file", "SLATE_BACKUP_S3_CA_FILE", s3_ca_file, "",
      "CA bundle (PEM) for a self-hosted endpoint; empty: the system's"),
    L("backup", "s3_timeout", "SLATE_BACKUP_S3_TIMEOUT", s3_timeout, "60", 1, 3600,
      "seconds an S3 request may wait to connect or with nothing moving"),
    L("backup", "s3_retention_days", "SLATE_BACKUP_S3_RETENTION_DAYS", s3_retention_days, "30", 1,
      30, "days a snapshot in the S3 store is kept; never beyond the 30-day grace period"),
    S("metrics", "token", "SLATE_METRICS_TOKEN", metrics_token, "",
      "bearer token for /metrics from non-loopback peers"),
    S("security", "contact", "SLATE_SECURITY_CONTACT", security_contact,
      "mailto:security@localhost", "security.txt Contact"),
    S("security", "policy", "SLATE_SECURITY_POLICY", security_policy, "",
      "security.txt Policy URL (default PUBLIC_URL/security-policy)"),
    L("security", "txt_days", "SLATE_SECURITY_TXT_DAYS", security_txt_days, "180", 1, 364,
      "security.txt Expires, days ahead"),
    S("security", "subprocessors_file", "SLATE_SUBPROCESSORS_FILE", subprocessors_file, "",
      "JSON list of the instance's subprocessors (docs/OPERATIONS.md); empty: none"),
    L("security", "subprocessor_notice_days", "SLATE_SUBPROCESSOR_NOTICE_DAYS",
      subprocessor_notice_days, "15", 15, 365,
      "days between announcing a subprocessor to production admins and its taking effect"),
    L("accounts", "deletion_grace_days", "SLATE_DELETION_GRACE_DAYS", deletion_grace_days, "30", 0,
      30, "days between closing an account and its deletion for good (0 to 30)"),
    L("retention", "interval", "SLATE_RETENTION_INTERVAL", retention_interval, "3600", 0, 604800,
      "seconds between two retention passes in slate serve (0: none; docs/OPERATIONS.md)"),
    L("retention", "dry_run", "SLATE_RETENTION_DRY_RUN", retention_dry_run, "0", 0, 1,
      "1: a pass only counts what it would remove (/metrics shows the counts)"),
    L("retention", "session_days", "SLATE_RETENTION_SESSION_DAYS", retention_session_days, "30", 1,
      3650, "days an ended session or API token is kept after it ended"),
    L("retention", "throttle_days", "SLATE_RETENTION_THROTTLE_DAYS", retention_throttle_days, "30",
      1, 3650, "days a failed sign-in, and an address an account signed in from, is remembered"),
    L("retention", "outbox_sent_hours", "SLATE_RETENTION_OUTBOX_SENT_HOURS",
      retention_outbox_sent_hours, "24", 1, 8760,
      "hours the body of a sent or failed message is kept (the row stays as the record)"),
    L("retention", "audit_days", "SLATE_RETENTION_AUDIT_DAYS", retention_audit_days, "730", 1,
      36500, "days an audit event is kept (default 2 years)"),
    L("retention", "drill_scratch_hours", "SLATE_RETENTION_DRILL_SCRATCH_HOURS",
      retention_drill_scratch_hours, "24", 1, 8760,
      "hours a restore drill's scratch directory left by a crash is kept"),
    L("production", "archive_read_days", "SLATE_ARCHIVE_READ_DAYS", archive_read_days, "90", 0,
      3650, "days the members of an archived production keep reading it (leaders: until closed)"),
    L("production", "close_grace_days", "SLATE_PRODUCTION_CLOSE_GRACE_DAYS", close_grace_days, "30",
      0, 30, "days between closing a production and shredding its keys and rows"),
    S("log", "level", "SLATE_LOG_LEVEL", log_level, "info", "debug | info | warn | error"),
    S("init", "admin_email", "SLATE_ADMIN_EMAIL", admin_email, "admin@localhost",
      "first administrator's email (slate init)"),
};

#define NSETTINGS nitems(table)

static int
apply(struct config *c, const struct setting *s, const char *value, struct err *e)
{
	char *base = (char *)c;

	if (s->kind == K_STR) {
		char **field = (char **)(void *)(base + s->off);
		free(*field);
		*field = xstrdup(value);
		return 0;
	} else {
		long *field = (long *)(void *)(base + s->off);
		char *end = NULL;
		long v;
		errno = 0;
		v = strtol(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0' || v < s->min || v > s->max)
			return err_set(e, 400, "%s must be a whole number from %ld to %ld", s->key,
			               s->min, s->max);
		*field = v;
		return 0;
	}
}

static const struct setting *
find(const char *section, const char *key)
{
	for (size_t i = 0; i < NSETTINGS; i++)
		if ((section == NULL || strcmp(table[i].section, section) == 0) &&
		    strcmp(table[i].key, key) == 0)
			return &table[i];
	return NULL;
}

void
config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < NSETTINGS; i++)
		if (table[i].def != NULL)
			(void)apply(c, &table[i], table[i].def, NULL);
}

int
config_set(struct config *c, const char *key, const char *value, struct err *e)
{
	const struct setting *s = find(NULL, key);
	if (s == NULL)
		return err_set(e, 400, "unknown setting '%s'", key);
	return apply(c, s, value, e);
}

struct ini_ctx {
	struct config *c;
	struct err *e;
	int failed;
};

static int
on_ini(void *user, const char *section, const char *name, const char *value)
{
	struct ini_ctx *x = user;
	const struct setting *s = find(section, name);
	struct err sub;

	if (x->failed)
		return 0;
	if (s == NULL) {
		x->failed = 1;
		err_set(x->e, 400, "unknown setting [%s] %s", section, name);
		return 0;
	}
	if (apply(x->c, s, value, &sub) == -1) {
		x->failed = 1;
		err_set(x->e, 400, "[%s] %s", section, sub.msg);
		return 0;
	}
	return 1;
}

int
config_load_file(struct config *c, const char *path, struct err *e)
{
	struct ini_ctx x = {c, e, 0};
	FILE *f = fopen(path, "r");
	int rc;

	if (f == NULL)
		return err_set(e, 400, "cannot read config file %s: %s", path, strerror(errno));
	rc = ini_parse_file(f, on_ini, &x);
	fclose(f);
	/* inih returns the line of the first error, whether syntax or ours. */
	if (x.failed) {
		char msg[sizeof(e->msg)];
		snprintf(msg, sizeof(msg), "%s", e->msg);
		return err_set(e, 400, "%s: line %d: %s", path, rc, msg);
	}
	if (rc != 0)
		return err_set(e, 400, "%s: line %d: not INI syntax", path, rc);
	return 0;
}

int
config_load_env(struct config *c, const char *(*getenv_fn)(const char *), struct err *e)
{
	for (size_t i = 0; i < NSETTINGS; i++) {
		const char *v = getenv_fn(table[i].env);
		struct err sub;
		if (v == NULL)
			continue;
		if (apply(c, &table[i], v, &sub) == -1)
			return err_set(e, 400, "%s: %s", table[i].env, sub.msg);
	}
	return 0;
}

int
config_parse_hostport(const char *s, char *host, size_t hostlen, int *port, struct err *e)
{
	const char *colon;
	const char *h = s;
	size_t hl;
	char *end = NULL;
	long p;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || close[1] != ':')
			return err_set(e, 400, "'%s' is not HOST:PORT", s);
		h = s + 1;
		hl = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || colon == s)
			return err_set(e, 400, "'%s' is not HOST:PORT", s);
		hl = (size_t)(colon - s);
	}
	if (hl + 1 > hostlen)
		return err_set(e, 400, "host in '%s' is too long", s);
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno != 0 || end == colon + 1 || *end != '\0' || p < 0 || p > 65535)
		return err_set(e, 400, "port in '%s' must be 0..65535", s);
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (int)p;
	return 0;
}

static int
valid_url(const char *u)
{
	if (strncmp(u, "https://", 8) != 0 || u[8] == '\0')
		return 0;
	for (const char *p = u; *p; p++)
		if (!isgraph((unsigned char)*p))
			return 0;
	return 1;
}

int
config_finish(struct config *c, struct err *e)
{
	char host[256];
	int port;
	size_t n;

	if (strcmp(c->environment_name, "development") == 0)
		c->environment = ENV_DEVELOPMENT;
	else if (strcmp(c->environment_name, "staging") == 0)
		c->environment = ENV_STAGING;
	else if (strcmp(c->environment_name, "production") == 0)
		c->environment = ENV_PRODUCTION;
	else
		return err_set(e, 400, "environment must be development, staging or production");
	if (config_parse_hostport(c->listen, host, sizeof(host), &port, e) == -1)
		return -1;
	if (c->loopback_reserve >= c->max_connections)
		return err_set(e, 400, "loopback_reserve must be smaller than max_connections");
	if (c->http_listen[0] != '\0' &&
	    config_parse_hostport(c->http_listen, host, sizeof(host), &port, e) == -1)
		return -1;
	/* public_url is copied into headers and documents: no trailing slash, printable only. */
	n = strlen(c->public_url);
	while (n > 0 && c->public_url[n - 1] == '/')
		c->public_url[--n] = '\0';
	if (!valid_url(c->public_url))
		return err_set(e, 400, "public_url must be an https:// URL");
	if (c->security_policy[0] == '\0') {
		free(c->security_policy);
		c->security_policy = xasprintf("%s/security-policy", c->public_url);
	}
	if (!valid_url(c->security_policy))
		return err_set(e, 400, "security policy must be an https:// URL");
	if (c->body_memory_budget < c->max_body_bytes)
		return err_set(e, 400, "body_memory_budget must be at least max_body_bytes (%ld)",
		               c->max_body_bytes);
	if (strpbrk(c->mail_from, "\r\n") != NULL)
		return err_set(e, 400, "mail_from must be one line");
	if (strcmp(c->mail_transport, "file") != 0 && strcmp(c->mail_transport, "smtp") != 0 &&
	    strcmp(c->mail_transport, "none") != 0)
		return err_set(e, 400, "mail_transport must be file, smtp or none");
	if (strcmp(c->mail_transport, "smtp") == 0) {
		if (strncmp(c->smtp_url, "smtp://", 7) != 0 &&
		    strncmp(c->smtp_url, "smtps://", 8) != 0)
			return err_set(e, 400, "smtp_url must be an smtp:// or smtps:// URL");
		for (const char *p = c->smtp_url; *p; p++)
			if (!isgraph((unsigned char)*p))
				return err_set(e, 400, "smtp_url must be one URL without spaces");
		if (strpbrk(c->smtp_user, "\r\n") != NULL)
			return err_set(e, 400, "smtp_user must be one line");
	}
	if (c->mail_bounce_address[0] != '\0') {
		const char *at = strchr(c->mail_bounce_address, '@');
		for (const char *p = c->mail_bounce_address; *p; p++)
			if (!isgraph((unsigned char)*p) || strchr("<>()[],;:\\\"+", *p) != NULL)
				return err_set(e, 400,
				               "mail_bounce_address must be a bare address "
				               "(local@domain, no '+')");
		if (at == NULL || at == c->mail_bounce_address || at[1] == '\0' ||
		    strchr(at + 1, '@') != NULL)
			return err_set(e, 400, "mail_bounce_address must be local@domain");
		if (c->mail_bounce_dir[0] == '\0')
			return err_set(e, 400, "mail_bounce_address needs mail_bounce_dir");
	}
	if (c->s3_endpoint[0] != '\0') {
		if (dest_s3_settings_check(c->s3_endpoint, c->s3_bucket, c->s3_prefix, c->s3_region,
		                           c->s3_credentials_file, e) == -1)
			return -1;
	} else if (c->s3_bucket[0] || c->s3_prefix[0] || c->s3_region[0] ||
	           c->s3_credentials_file[0] || c->s3_ca_file[0]) {
		return err_set(e, 400, "an s3_* backup setting is set but s3_endpoint is not");
	}
	for (const char *p = c->security_contact; *p; p++)
		if (!isgraph((unsigned char)*p))
			return err_set(e, 400, "security contact must be one URI without spaces");
	if (strncmp(c->security_contact, "mailto:", 7) != 0 &&
	    strncmp(c->security_contact, "https://", 8) != 0 &&
	    strncmp(c->security_contact, "tel:", 4) != 0)
		return err_set(e, 400, "security contact must be a mailto:, https: or tel: URI");
	if (c->data_dir != NULL) {
		if (c->tls_cert[0] == '\0') {
			free(c->tls_cert);
			c->tls_cert = xasprintf("%s/tls/cert.pem", c->data_dir);
		}
		if (c->tls_key[0] == '\0') {
			free(c->tls_key);
			c->tls_key = xasprintf("%s/tls/key.pem", c->data_dir);
		}
		if (c->keystore_backup_dir[0] == '\0') {
			free(c->keystore_backup_dir);
			c->keystore_backup_dir = xasprintf("%s/keystore-backups", c->data_dir);
		}
		if (c->upload_dir[0] == '\0') {
			free(c->upload_dir);
			c->upload_dir = xasprintf("%s/uploads", c->data_dir);
		}
		if (c->mail_dir[0] == '\0') {
			free(c->mail_dir);
			c->mail_dir = xasprintf("%s/mail", c->data_dir);
		}
		if (c->key_file == NULL || c->key_file[0] == '\0') {
			free(c->key_file);
			c->key_file = xasprintf("%s/master.key", c->data_dir);
		}
	}
	return 0;
}

void
config_free(struct config *c)
{
	char *base = (char *)c;
	for (size_t i = 0; i < NSETTINGS; i++) {
		if (table[i].kind == K_STR) {
			char **field = (char **)(void *)(base + table[i].off);
			free(*field);
			*field = NULL;
		}
	}
	free(c->config_file);
	c->config_file = NULL;
}

void
config_print_reference(void *file)
{
	FILE *f = file;
	const char *section = "";
	for (size_t i = 0; i < NSETTINGS; i++) {
		if (strcmp(section, table[i].section) != 0) {
			section = table[i].section;
			fprintf(f, "[%s]\n", section);
		}
		fprintf(f, "  %-18s %-26s default %-26s %s\n", table[i].key, table[i].env,
		        table[i].def && table[i].def[0] ? table[i].def : "-", table[i].help);
	}
}

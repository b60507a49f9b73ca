/*
 * config.h — Slate's configuration.
 *
 * One table (config.c) names every setting once: its INI section and key,
 * its SLATE_* environment variable, its default, its bounds and one line of
 * help. Precedence, lowest first: default, INI file, environment, command
 * line. config_validate() checks what single values cannot (production
 * rules); it never opens files.
 */
#ifndef SLATE_UTIL_CONFIG_H
#define SLATE_UTIL_CONFIG_H

#include <stddef.h>

#include "util/err.h"

enum environment { ENV_DEVELOPMENT, ENV_STAGING, ENV_PRODUCTION };

struct config {
	char *data_dir;
	char *key_file;
	char *config_file;
	char *environment_name;
	enum environment environment;
	char *listen;
	char *http_listen;
	char *tls_cert;
	char *tls_key;
	char *public_url;
	long threads;
	long workers;
	long max_header_bytes;
	long max_body_bytes;
	long body_memory_budget;
	long request_timeout;
	long idle_timeout;
	long max_connections;
	long max_connections_per_address;
	long loopback_reserve;
	long tls_handshake_timeout;
	long shutdown_timeout;
	long password_memory_kib;
	long password_iterations;
	long login_free_failures;
	long login_backoff_max;
	long login_max_failures;
	long login_address_accounts;
	long session_idle;
	long session_lifetime;
	long api_token_max_days;
	char *mail_transport;
	char *mail_dir;
	long mail_file_max_age;
	char *mail_from;
	char *keystore_backup_dir;
	char *upload_dir;
	long upload_max_bytes;
	long keystore_backup_days;
	char *backup_dir;              /* snapshots and keystore copies; "": backups off */
	long backup_snapshot_interval; /* seconds between snapshots in slate serve; 0 off */
	long backup_retention_days;
	char *backup_sync_interval; /* seconds (fractions) or "NNNms" between WAL shipments */
	long backup_max_queue_bytes;
	long backup_drill_interval; /* seconds between restore drills in slate serve; 0 off */
	char *s3_endpoint;          /* "": no S3-compatible destination (backup/dest.h) */
	char *s3_bucket;
	char *s3_prefix;
	char *s3_region;
	char *s3_credentials_file;
	char *s3_ca_file;
	long s3_timeout;
	long s3_retention_days;
	char *smtp_url;
	char *smtp_user;
	char *smtp_password_file;
	char *smtp_ca_file;
	long smtp_timeout;
	char *mail_bounce_address;  /* "": bounces off; else the VERP base (notify/dsn.h) */
	char *mail_bounce_dir;      /* the Maildir the MTA delivers it into */
	long mail_retry_seconds;    /* the first retry's delay; doubled at each further try */
	long remind_check_interval; /* seconds between looks for due reminders (api/reminders.c) */
	long remind_min_gap;        /* an automatic reminder waits this long after publishing */
	char *metrics_token;
	char *security_contact;
	char *security_policy;
	long security_txt_days;
	char *subprocessors_file; /* the instance's subprocessors (domain/subproc.h); "": none */
	long subprocessor_notice_days; /* a new one takes effect this long after it is announced */
	long deletion_grace_days; /* a closed account is deleted this long after (backup/erasure.h)
	                           */
	long retention_interval;  /* seconds between retention passes in slate serve; 0 off */
	long retention_dry_run;   /* 1: passes count what they would remove, remove nothing */
	long retention_session_days;        /* ended sessions and API tokens are kept this long */
	long retention_throttle_days;       /* sign-in failures and remembered sign-in addresses */
	long retention_outbox_sent_hours;   /* bodies of mail done (sent or failed) */
	long retention_audit_days;          /* audit events */
	long retention_drill_scratch_hours; /* a crashed restore drill's scratch directory */
	long archive_read_days; /* members other than leaders read an archived production this long
	                         */
	long close_grace_days;  /* a closed production's data is deleted this long after closing */
	char *log_level;
	char *admin_email;
};

/* Fills every field with its default. */
void config_defaults(struct config *c);
/* Reads an INI file; unknown sections or keys and bad values are errors naming the line. */
int config_load_file(struct config *c, const char *path, struct err *e);
/* Applies SLATE_* variables found through getenv_fn (getenv in production, a stub in tests). */
int config_load_env(struct config *c, const char *(*getenv_fn)(const char *), struct err *e);
/* Sets one setting by its INI key (used by the command line too). */
int config_set(struct config *c, const char *key, const char *value, struct err *e);
/* Fills derived values (TLS paths under the data dir, environment enum) and checks rules. */
int config_finish(struct config *c, struct err *e);
void config_free(struct config *c);
/* Writes the reference of every setting (for --help and the docs). */
void config_print_reference(void *file);

/* "host:port" → parts; host may be [v6]. Port 0..65535. */
int config_parse_hostport(const char *s, char *host, size_t hostlen, int *port, struct err *e);

#endif

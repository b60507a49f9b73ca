/*
 * serve.c — `slate serve`: checks everything it can before binding a port,
 * so that a misconfiguration is one clear line at start and not a surprise
 * at the first request: the data directory and database exist, the schema
 * is not newer than this binary, the master key file is sound (and, in
 * production, outside the data directory), and the certificate is not the
 * development one in production.
 */
#include <event2/thread.h>
#include <limits.h>
#include <malloc.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/handlers.h"
#include "api/housekeeping.h"
#include "api/reminders.h"
#include "api/subprocessors.h"
#include "api/session.h"
#include "cli/cli.h"
#include "audit/audit_group.h"
#include "backup/backup.h"
#include "backup/erasure.h"
#include "crypto/keyring.h"
#include "crypto/tlscert.h"
#include "http/server.h"
#include "notify/notify.h"
#include "store/store.h"
#include "util/log.h"
#include "util/secret.h"

#define SERVE_TRIM_KEEP (16 * 1024 * 1024) /* bytes an arena keeps free (mallopt below) */

static const char help[] =
    "usage: slate serve --data DIR [--key-file PATH | --key-stdin] [--config FILE]\n"
    "                   [--listen HOST:PORT] [--http-listen HOST:PORT]\n"
    "\n"
    "Runs the HTTPS server until SIGTERM or SIGINT, then drains gracefully.\n"
    "  --data DIR              data directory (SLATE_DATA)\n"
    "  --key-file PATH         master key file (SLATE_MASTER_KEY_FILE)\n"
    "  --key-stdin             read the master key (64 hex characters) from standard input\n"
    "  --config FILE           INI configuration (SLATE_CONFIG)\n"
    "  --listen HOST:PORT      HTTPS address (SLATE_LISTEN, default 127.0.0.1:8443)\n"
    "  --http-listen HOST:PORT plain-HTTP address that only redirects (SLATE_HTTP_LISTEN)\n"
    "Every setting, with its environment variable and default:\n";

static int
key_inside_data(const char *dir, const char *key)
{
	char rd[PATH_MAX], rk[PATH_MAX];
	size_t n;
	if (realpath(dir, rd) == NULL || realpath(key, rk) == NULL)
		return 0;
	n = strlen(rd);
	return strncmp(rd, rk, n) == 0 && rk[n] == '/';
}

static int key_stdin;

/* A deletion the log replayed at start (ids only). */
static void
log_replayed(const char *line, void *arg)
{
	(void)arg;
	log_event(LOG_WARN, "deletion replayed", LOG_STR("what", line), LOG_END);
}

int
cmd_serve(int argc, char **argv)
{
	static const struct cli_flag flags[] = {
	    {"--data", "data", NULL, NULL},          {"--key-file", "key_file", NULL, NULL},
	    {"--listen", "listen", NULL, NULL},      {"--http-listen", "http_listen", NULL, NULL},
	    {"--key-stdin", NULL, &key_stdin, NULL}, {NULL, NULL, NULL, NULL},
	};
	struct config c;
	struct err e;
	struct keyring *keys = NULL;
	struct store *s = NULL;
	SSL_CTX *ssl = NULL;
	struct notifier *mail = NULL;
	struct erasure_report replayed = {0};
	sigset_t stop;
	char db[PATH_MAX];
	struct stat st;
	enum log_level lvl;
	int done, rc;

	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(help, stdout);
			config_print_reference(stdout);
			return EXIT_OK;
		}
	/*
	 * Keep freed memory in the process, up to SERVE_TRIM_KEEP an arena: a
	 * response of tens of kilobytes is allocated, written, wiped and freed
	 * per request, and with glibc's default each free at the top of a
	 * thread's heap gave the pages back (madvise, a TLB shootdown across
	 * the cores) for the next response to fault them in again; that was a
	 * third of a loop thread's time under a people list's load (bench/).
	 */
	mallopt(M_TRIM_THRESHOLD, SERVE_TRIM_KEEP);
	rc = cli_config("serve", argc, argv, flags, help, &c, &done);
	if (rc != EXIT_OK || done)
		goto out;
	rc = EXIT_FAIL;
	if (log_level_parse(c.log_level, &lvl) == -1) {
		cli_error("serve", "log level must be debug, info, warn or error");
		goto out;
	}
	log_set_level(lvl);
	snprintf(db, sizeof(db), "%s/slate.db", c.data_dir);
	if (stat(c.data_dir, &st) == -1 || !S_ISDIR(st.st_mode) || stat(db, &st) == -1) {
		cli_error("serve", "%s is not a Slate data directory (run slate init first)",
		          c.data_dir);
		goto out;
	}
	if (!key_stdin && c.environment == ENV_PRODUCTION &&
	    key_inside_data(c.data_dir, c.key_file)) {
		cli_error("serve",
		          "in production the master key file must not live inside the data "
		          "directory; move it and set key_file");
		goto out;
	}
	/* A wrong or missing master key stops here, before anything is written. */
	if ((keys = cli_open_keys("serve", &c, key_stdin)) == NULL)
		goto out;
	/* Applies pending migrations, or refuses a schema newer than this binary. */
	if ((s = store_open(db, 0, keys, &e)) == NULL) {
		cli_error("serve", "%s", e.msg);
		goto out;
	}
	/* the deletion log replayed before serving: a restored copy from before a deletion
	   must not serve the person deleted (backup/erasure.h) */
	if (erasure_replay(s, keys, c.data_dir, 0, log_replayed, NULL, &replayed, &e) == -1) {
		store_close(s);
		cli_error("serve", "%s", e.msg);
		goto out;
	}
	/* the subprocessor list is read, and what is new in it announced, before serving */
	if (subprocessors_prepare(&c, s, &e) == -1) {
		store_close(s);
		cli_error("serve", "%s", e.msg);
		goto out;
	}
	store_close(s);
	if ((ssl = tlscert_server_ctx(c.tls_cert, c.tls_key, c.environment == ENV_PRODUCTION,
	                              &e)) == NULL) {
		cli_error("serve", "%s", e.msg);
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	/*
	 * SIGTERM and SIGINT are blocked before the first thread starts, so every
	 * thread inherits the mask and only http_serve's sigwait takes them; a
	 * signal delivered to another thread would otherwise end the process
	 * without the graceful drain.
	 */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	evthread_use_pthreads();
	if ((mail = notify_start(&c, db, keys, &e)) == NULL) {
		cli_error("serve", "%s", e.msg);
		goto out;
	}
	if (audit_group_start(db, keys, &e) == -1) {
		cli_error("serve", "%s", e.msg);
		goto out;
	}
	if (reset_desk_start(&c, db, keys, &e) == -1) {
		cli_error("serve", "%s", e.msg);
		goto out;
	}
	if (backup_start(&c, db, keys, key_stdin, &e) == -1) {
		cli_error("serve", "%s", e.msg);
		goto out;
	}
	if (reminders_start(&c, db, keys, &e) == -1) {
		cli_error("serve", "%s", e.msg);
		goto out;
	}
	if (housekeeping_start(&c, db, keys, &e) == -1) {
		cli_error("serve", "%s", e.msg);
		goto out;
	}
	{
		struct http_server_opts o = {&c, api_routes, api_nroutes,          ssl,
		                             db, keys,       session_authenticate, api_before_body};
		if (http_serve(&o, &e) == -1) {
			cli_error("serve", "%s", e.msg);
			goto out;
		}
	}
	rc = EXIT_OK;
out:
	housekeeping_stop(); /* before config_free: the thread reads c */
	reminders_stop();
	backup_stop(); /* a snapshot under way finishes; a drill is ended */
	reset_desk_stop();
	audit_group_stop(); /* after the loops: commits the read audits they queued */
	notify_stop(mail);
	SSL_CTX_free(ssl);
	keyring_close(keys);
	subprocessors_free();
	config_free(&c);
	return rc;
}

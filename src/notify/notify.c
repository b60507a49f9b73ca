/*
 * notify.c — see notify.h.
 *
 * A message file is written as DIR/.tmp-<id> and renamed to
 * DIR/<created>-<id>.eml, so a reader never sees half a message. Its
 * layout: From, To, Subject, Date (RFC 5322), Message-ID, MIME-Version,
 * Content-Type text/plain; charset=utf-8, Content-Transfer-Encoding 8bit,
 * a blank line, the body; lines end with CRLF.
 *
 * The SMTP transport hands the same message to libcurl: smtps:// speaks
 * TLS from the first byte, smtp:// must upgrade with STARTTLS or the
 * delivery fails (CURLUSESSL_ALL); the relay's certificate and host name
 * are always verified, TLS 1.2 at least. A line of the body that starts
 * with a dot is dot-stuffed by libcurl (RFC 5321 section 4.5.2).
 *
 * Message files hold live tokens, so the notifier deletes each one once
 * the longest-lived link in it has expired: a file whose only links are
 * password-reset links (".../reset-password#token=") after 30 minutes,
 * every other file after mail_file_max_age (default and maximum: 7 days,
 * an invitation link's lifetime). Age counts from <created> in its name
 * (from its mtime for a file not named so, and for a .tmp- left by a
 * crash). The sweep runs whatever the transport, every quarter of
 * mail_file_max_age (at most every minute), touches only regular files
 * named *.eml or .tmp-* in mail_dir, and wipes what it read of a file.
 */
#include "notify/notify.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <dirent.h>

#include <curl/curl.h>
#include <sodium.h>

#include "util/io.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/xalloc.h"

struct notifier {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stopping;
	char *db_path;
	struct keyring *keys;
	char *transport;
	char *dir;
	char *from;
	char *smtp_url;
	char *smtp_user;
	char *smtp_ca_file;
	long smtp_timeout;
	long file_max_age;           /* seconds a message file is kept */
	struct secret smtp_password; /* len 0: no authentication */
};

int
notify_enqueue(struct store *s, const char *to, const char *subject, const char *body,
               struct err *e)
{
	if (strpbrk(to, "\r\n") != NULL || strpbrk(subject, "\r\n") != NULL)
		return err_set(e, 400, "a mail header may not contain a line break");
	return store_outbox_add(s, to, subject, body, (long long)time(NULL), e);
}

/* The whole RFC 5322 message for m; the caller wipes and frees it. */
static char *
message_text(const struct notifier *n, const struct store_mail *m)
{
	char date[64];
	struct tm tm;
	time_t now = time(NULL);

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	return xasprintf(
	    "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@slate>\r\n"
	    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n\r\n%s",
	    n->from, m->to, m->subject, date, m->id, m->body);
}

static int
deliver_file(struct notifier *n, const struct store_mail *m, const char *msg, struct err *e)
{
	char tmp[4096], final[4096];
	int fd;

	if (mkdir(n->dir, 0700) == -1 && errno != EEXIST)
		return err_set(e, 500, "cannot create %s: %s", n->dir, strerror(errno));
	snprintf(tmp, sizeof(tmp), "%s/.tmp-%s", n->dir, m->id);
	snprintf(final, sizeof(final), "%s/%lld-%s.eml", n->dir, m->created_at, m->id);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		return err_set(e, 500, "cannot write %s: %s", tmp, strerror(errno));
	if (io_write_all(fd, msg, strlen(msg)) == -1 || fsync(fd) == -1) {
		err_set(e, 500, "cannot write %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	if (rename(tmp, final) == -1) {
		err_set(e, 500, "cannot rename %s: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* The address inside "Name <addr>", or the whole string when it has no angle brackets. */
static char *
envelope_address(const char *from)
{
	const char *lt = strrchr(from, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	if (lt != NULL && gt != NULL)
		return xasprintf("<%.*s>", (int)(gt - lt - 1), lt + 1);
	return xasprintf("<%s>", from);
}

struct upload {
	const char *p;
	size_t left;
};

static size_t
read_message(char *buf, size_t size, size_t nitems, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nitems < u->left ? size * nitems : u->left;
	memcpy(buf, u->p, n);
	u->p += n;
	u->left -= n;
	return n;
}

static int
deliver_smtp(struct notifier *n, const struct store_mail *m, const char *msg, struct err *e)
{
	char curl_err[CURL_ERROR_SIZE] = "";
	struct upload u = {msg, strlen(msg)};
	struct curl_slist *rcpt = NULL;
	char *from = envelope_address(n->from), *to = xasprintf("<%s>", m->to);
	CURL *c = curl_easy_init();
	CURLcode rc;

	if (c == NULL) {
		free(from);
		free(to);
		return err_set(e, 500, "cannot start an SMTP client");
	}
	rcpt = curl_slist_append(rcpt, to);
	curl_easy_setopt(c, CURLOPT_URL, n->smtp_url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (n->smtp_ca_file[0] != '\0')
		curl_easy_setopt(c, CURLOPT_CAINFO, n->smtp_ca_file);
	if (n->smtp_user[0] != '\0')
		curl_easy_setopt(c, CURLOPT_USERNAME, n->smtp_user);
	if (n->smtp_password.len > 0)
		curl_easy_setopt(c, CURLOPT_PASSWORD, (const char *)n->smtp_password.p);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_message);
	curl_easy_setopt(c, CURLOPT_READDATA, &u);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, n->smtp_timeout);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
	rc = curl_easy_perform(c);
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(c);
	free(from);
	free(to);
	if (rc != CURLE_OK)
		return err_set(e, 502, "SMTP delivery failed: %s",
		               curl_err[0] != '\0' ? curl_err : curl_easy_strerror(rc));
	return 0;
}

static int
deliver(struct notifier *n, const struct store_mail *m, struct err *e)
{
	char *msg = message_text(n, m);
	int rc = strcmp(n->transport, "smtp") == 0 ? deliver_smtp(n, m, msg, e)
	                                           : deliver_file(n, m, msg, e);
	sodium_memzero(msg, strlen(msg));
	free(msg);
	return rc;
}

/* Delivers what is waiting; returns when the outbox has nothing to send. */
static void
drain(struct notifier *n, struct store *s)
{
	struct store_mail m;
	struct err e;

	while (store_outbox_next(s, NOTIFY_MAX_ATTEMPTS, &m, &e) == 1) {
		int rc = deliver(n, &m, &e);
		struct err e2;
		memset(m.body, 0, strlen(m.body));
		free(m.body);
		if (rc == 0) {
			if (store_outbox_sent(s, m.id, (long long)time(NULL), &e2) == -1)
				log_event(LOG_ERROR, "mail not marked sent",
				          LOG_STR("error", e2.msg), LOG_END);
			log_event(LOG_INFO, "mail sent", LOG_STR("message", m.id), LOG_END);
		} else {
			log_event(LOG_WARN, "mail not sent", LOG_STR("message", m.id),
			          LOG_STR("error", e.msg), LOG_END);
			if (store_outbox_failed(s, m.id, e.msg, &e2) == -1)
				return;
			return; /* try again on the next round, not in a tight loop */
		}
	}
}

/* The time a message file was made: <created> of its name, else its mtime. */
static long long
file_made(const char *name, const struct stat *st)
{
	char *end;
	long long created;

	if (name[0] >= '0' && name[0] <= '9') {
		errno = 0;
		created = strtoll(name, &end, 10);
		if (errno == 0 && *end == '-' && created > 0)
			return created;
	}
	return (long long)st->st_mtime;
}

static int
ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), k = strlen(tail);
	return n >= k && strcmp(s + n - k, tail) == 0;
}

/*
 * How long the links in message file `name` of directory fd live: the reset
 * link's lifetime when every link in it is a reset link, else max_age.
 */
static long long
file_lifetime(int dir, const char *name, long long max_age)
{
	static const char reset[] = "/reset-password#token=";
	static const char any[] = "#token=";
	char buf[65536];
	long long lifetime = max_age;
	ssize_t got;
	size_t links = 0, resets = 0;
	int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd == -1)
		return max_age;
	got = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (got > 0) {
		buf[got] = '\0';
		const size_t pre = sizeof(reset) - sizeof(any); /* "/reset-password" */
		for (const char *p = strstr(buf, any); p != NULL; p = strstr(p + 1, any)) {
			links++;
			if ((size_t)(p - buf) >= pre &&
			    memcmp(p - pre, reset, sizeof(reset) - 1) == 0)
				resets++;
		}
		if (links > 0 && links == resets && NOTIFY_RESET_LINK_LIFETIME < max_age)
			lifetime = NOTIFY_RESET_LINK_LIFETIME;
		sodium_memzero(buf, (size_t)got);
	}
	return lifetime;
}

/* Deletes the message files whose links have expired (see the top of the file). */
static void
sweep_files(const struct notifier *n)
{
	long long now = (long long)time(NULL);
	long removed = 0;
	struct dirent *de;
	DIR *d = opendir(n->dir);

	if (d == NULL)
		return; /* nothing written yet */
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		long long age;
		if (!ends_with(de->d_name, ".eml") && strncmp(de->d_name, ".tmp-", 5) != 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(st.st_mode))
			continue;
		age = now - file_made(de->d_name, &st);
		if (age < NOTIFY_RESET_LINK_LIFETIME && age < n->file_max_age)
			continue;
		if (age < n->file_max_age &&
		    age < file_lifetime(dirfd(d), de->d_name, n->file_max_age))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			removed++;
		else
			log_event(LOG_WARN, "old mail file not removed",
			          LOG_STR("file", de->d_name), LOG_STR("error", strerror(errno)),
			          LOG_END);
	}
	closedir(d);
	if (removed > 0)
		log_event(LOG_INFO, "old mail files removed", LOG_INT("files", removed),
		          LOG_INT("max_age", n->file_max_age), LOG_END);
}

static void *
notifier_main(void *arg)
{
	struct notifier *n = arg;
	struct store *s;
	struct err e;
	long long swept = 0, sweep_every = n->file_max_age / 4;

	if (sweep_every < 1)
		sweep_every = 1;
	if (sweep_every > 60)
		sweep_every = 60;

	if ((s = store_open(n->db_path, 0, n->keys, &e)) == NULL) {
		log_event(LOG_ERROR, "notifier cannot open the store", LOG_STR("error", e.msg),
		          LOG_END);
		return NULL;
	}
	pthread_mutex_lock(&n->mu);
	while (!n->stopping) {
		struct timespec until, mono;
		pthread_mutex_unlock(&n->mu);
		if (strcmp(n->transport, "none") != 0)
			drain(n, s);
		clock_gettime(CLOCK_MONOTONIC, &mono);
		if (swept == 0 || (long long)mono.tv_sec - swept >= sweep_every) {
			sweep_files(n);
			swept = (long long)mono.tv_sec;
		}
		pthread_mutex_lock(&n->mu);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 250 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		if (!n->stopping)
			pthread_cond_timedwait(&n->cv, &n->mu, &until);
	}
	pthread_mutex_unlock(&n->mu);
	store_close(s);
	return NULL;
}

struct notifier *
notify_start(const struct config *c, const char *db_path, struct keyring *keys, struct err *e)
{
	struct notifier *n;

	n = xcalloc(1, sizeof(*n));
	pthread_mutex_init(&n->mu, NULL);
	pthread_cond_init(&n->cv, NULL);
	n->db_path = xstrdup(db_path);
	n->keys = keys;
	n->transport = xstrdup(c->mail_transport);
	n->dir = xstrdup(c->mail_dir);
	n->from = xstrdup(c->mail_from);
	n->smtp_url = xstrdup(c->smtp_url);
	n->smtp_user = xstrdup(c->smtp_user);
	n->smtp_ca_file = xstrdup(c->smtp_ca_file);
	n->smtp_timeout = c->smtp_timeout;
	n->file_max_age = c->mail_file_max_age;
	if (strcmp(n->transport, "smtp") == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		err_set(e, 500, "cannot initialise libcurl");
		free(n->transport);
		n->transport =
		    xstrdup("none"); /* so notify_stop does not clean up what never started */
		notify_stop(n);
		return NULL;
	}
	if (strcmp(c->mail_transport, "smtp") == 0 && c->smtp_password_file[0] != '\0' &&
	    secret_read_file(c->smtp_password_file, "SMTP password file", 1024, 1,
	                     &n->smtp_password, e) == -1) {
		notify_stop(n);
		return NULL;
	}
	if (pthread_create(&n->thread, NULL, notifier_main, n) != 0) {
		err_set(e, 500, "cannot start the notifier");
		notify_stop(n);
		return NULL;
	}
	return n;
}

void
notify_stop(struct notifier *n)
{
	if (n == NULL)
		return;
	pthread_mutex_lock(&n->mu);
	n->stopping = 1;
	pthread_cond_signal(&n->cv);
	pthread_mutex_unlock(&n->mu);
	if (n->thread)
		pthread_join(n->thread, NULL);
	pthread_cond_destroy(&n->cv);
	pthread_mutex_destroy(&n->mu);
	free(n->db_path);
	free(n->dir);
	free(n->from);
	free(n->smtp_url);
	free(n->smtp_user);
	free(n->smtp_ca_file);
	secret_free(&n->smtp_password);
	if (strcmp(n->transport, "smtp") == 0)
		curl_global_cleanup();
	free(n->transport);
	free(n);
}

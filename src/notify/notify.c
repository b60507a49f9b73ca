/*
 * notify.c — see notify.h.
 *
 * A message file is written as DIR/.tmp-<id> and renamed to
 * DIR/<created>-<id>.eml, so a reader never sees half a message. Its
 * layout: From, To, Subject, Date (RFC 5322), Message-ID, MIME-Version,
 * Content-Type text/plain; charset=utf-8, Content-Transfer-Encoding 8bit,
 * a blank line, the body; lines end with CRLF.
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

#include "util/log.h"
#include "util/xalloc.h"

struct notifier {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stopping;
	char *db_path;
	char *transport;
	char *dir;
	char *from;
};

int
notify_enqueue(struct store *s, const char *to, const char *subject, const char *body,
               struct err *e)
{
	if (strpbrk(to, "\r\n") != NULL || strpbrk(subject, "\r\n") != NULL)
		return err_set(e, 400, "a mail header may not contain a line break");
	return store_outbox_add(s, to, subject, body, (long long)time(NULL), e);
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
deliver_file(struct notifier *n, const struct store_mail *m, struct err *e)
{
	char tmp[4096], final[4096], date[64];
	struct tm tm;
	time_t now = time(NULL);
	char *msg;
	int fd, rc = -1;

	if (mkdir(n->dir, 0700) == -1 && errno != EEXIST)
		return err_set(e, 500, "cannot create %s: %s", n->dir, strerror(errno));
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	msg =
	    xasprintf("From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@slate>\r\n"
	              "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
	              "Content-Transfer-Encoding: 8bit\r\n\r\n%s",
	              n->from, m->to, m->subject, date, m->id, m->body);
	snprintf(tmp, sizeof(tmp), "%s/.tmp-%s", n->dir, m->id);
	snprintf(final, sizeof(final), "%s/%lld-%s.eml", n->dir, m->created_at, m->id);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		err_set(e, 500, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (write_all(fd, msg, strlen(msg)) == -1 || fsync(fd) == -1) {
		err_set(e, 500, "cannot write %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, final) == -1) {
		err_set(e, 500, "cannot rename %s: %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	memset(msg, 0, strlen(msg));
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
		int rc = deliver_file(n, &m, &e);
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

static void *
notifier_main(void *arg)
{
	struct notifier *n = arg;
	struct store *s;
	struct err e;

	if ((s = store_open(n->db_path, 0, &e)) == NULL) {
		log_event(LOG_ERROR, "notifier cannot open the store", LOG_STR("error", e.msg),
		          LOG_END);
		return NULL;
	}
	pthread_mutex_lock(&n->mu);
	while (!n->stopping) {
		struct timespec until;
		pthread_mutex_unlock(&n->mu);
		if (strcmp(n->transport, "file") == 0)
			drain(n, s);
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
notify_start(const struct config *c, const char *db_path, struct err *e)
{
	struct notifier *n;

	if (strcmp(c->mail_transport, "file") != 0 && strcmp(c->mail_transport, "none") != 0) {
		err_set(e, 400, "mail_transport must be file or none (SMTP is not built yet)");
		return NULL;
	}
	n = xcalloc(1, sizeof(*n));
	pthread_mutex_init(&n->mu, NULL);
	pthread_cond_init(&n->cv, NULL);
	n->db_path = xstrdup(db_path);
	n->transport = xstrdup(c->mail_transport);
	n->dir = xstrdup(c->mail_dir);
	n->from = xstrdup(c->mail_from);
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
	free(n->transport);
	free(n->dir);
	free(n->from);
	free(n);
}

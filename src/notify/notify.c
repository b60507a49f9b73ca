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
 *
 * Statuses (migration 0025). The notifier takes the oldest message due
 * (store_outbox_due), marks it `sending` and commits that before its SMTP
 * transaction begins. Then: the relay's 2xx → sent (its last answer line
 * kept); a 4xx, or no connection or TLS → deferred, tried again after
 * mail_retry_seconds × 2^(tries-1), failed after NOTIFY_MAX_ATTEMPTS
 * tries; a 5xx → failed at once. A message the relay accepted is never
 * tried again. A message found `sending` was interrupted (the process
 * stopped or crashed inside its transaction) and is sent again with the
 * same Message-ID (<outbox id@slate>, stable per row): the one window in
 * which a relay may receive a message twice is between its 250 to DATA and
 * our commit of `sent`, and the repeated copy then carries the same
 * Message-ID, by which receiving systems deduplicate.
 *
 * A call sheet message (callsheet_id set) holds JSON {text, html} as its
 * body and is sent as multipart/mixed: multipart/alternative (text/plain
 * and text/html, 8bit UTF-8) and, attached, the recipient's PDF
 * (application/pdf, base64), drawn here at send time from the stored
 * version with the recipient's own call highlighted (render/sheetpdf.h),
 * so the publishing transaction writes nothing large. A Subject that is
 * not plain ASCII is sent as an RFC 2047 encoded word (UTF-8, base64).
 *
 * A person's message without a call sheet (person_id set, callsheet_id
 * not: an incident's notice to an affected person, domain/incident_notice.c)
 * holds the same JSON {text, html} and is sent as multipart/alternative
 * alone, without attachment. A message with neither is plain text.
 *
 * Bounces (migration 0027). With mail_bounce_address local@domain, the
 * SMTP envelope sender of every message is local+<outbox id>@domain (VERP;
 * the From header stays mail_from), and every NOTIFY_BOUNCE_EVERY seconds
 * the notifier reads the files in mail_bounce_dir/new (names not starting
 * with a dot): each is opened O_NOFOLLOW | O_NONBLOCK, read only when it is
 * a regular file of at most DSN_MAX_BYTES, parsed by dsn_parse (dsn.h), and
 * a permanent failure marks that outbox row bounced (store_outbox_bounced:
 * only a sent message, only once) with "<Status> <Diagnostic-Code>". Then
 * the file is renamed to cur/NAME:2, whatever it held — never deleted;
 * only a store error leaves it in new/, to be read again — and
 * one log line says the outcome with the message id and status only: the
 * report's addresses and diagnostic are personal data and stay out of logs.
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

#include <jansson.h>

#include "notify/dsn.h"
#include "render/sheetpdf.h"
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
	long retry_seconds;          /* a deferred message's first wait */
	char *bounce_address;        /* "": bounces off; else local@domain (VERP base) */
	char *bounce_dir;            /* its Maildir */
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

int
notify_enqueue_sheet(struct store *s, const char *to, const char *subject, const char *text,
                     const char *html, const char *callsheet_id, const char *person_id,
                     char id_out[STORE_ID_LEN + 8], struct err *e)
{
	json_t *j;
	char *body;
	int rc;

	if (strpbrk(to, "\r\n") != NULL || strpbrk(subject, "\r\n") != NULL)
		return err_set(e, 400, "a mail header may not contain a line break");
	j = json_pack("{s:s, s:s}", "text", text, "html", html);
	body = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (body == NULL)
		return err_set(e, 500, "the message could not be encoded");
	rc = store_outbox_add_for(s, to, subject, body, callsheet_id, person_id,
	                          (long long)time(NULL), id_out, e);
	sodium_memzero(body, strlen(body));
	free(body);
	return rc;
}

/* subject as a header value: as it is when plain ASCII, else one RFC 2047 encoded word. */
static char *
header_subject(const char *subject)
{
	size_t n = strlen(subject), cap;
	char *b64, *out;

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)subject[i] >= 0x80)
			goto encode;
	return xstrdup(subject);
encode:
	cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	b64 = xmalloc(cap);
	sodium_bin2base64(b64, cap, (const unsigned char *)subject, n,
	                  sodium_base64_VARIANT_ORIGINAL);
	out = xasprintf("=?UTF-8?B?%s?=", b64);
	free(b64);
	return out;
}

/* data as base64 in lines of 76 characters, each ending CRLF (malloc'd). */
static char *
base64_lines(const unsigned char *data, size_t n)
{
	size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL), len, o = 0;
	char *flat = xmalloc(cap), *out;

	sodium_bin2base64(flat, cap, data, n, sodium_base64_VARIANT_ORIGINAL);
	len = strlen(flat);
	out = xmalloc(len + (len / 76 + 1) * 2 + 1);
	for (size_t i = 0; i < len; i += 76) {
		size_t k = len - i < 76 ? len - i : 76;
		memcpy(out + o, flat + i, k);
		o += k;
		out[o++] = '\r';
		out[o++] = '\n';
	}
	out[o] = '\0';
	free(flat);
	return out;
}

/* text with every bare LF made CRLF (malloc'd). */
static char *
crlf(const char *text)
{
	size_t n = strlen(text), o = 0;
	char *out = xmalloc(2 * n + 1);
	for (size_t i = 0; i < n; i++) {
		if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r'))
			out[o++] = '\r';
		out[o++] = text[i];
	}
	out[o] = '\0';
	return out;
}

/*
 * The recipient's PDF of a call sheet message: 0 with *pdf malloc'd, 1 when
 * it is not to be sent (the version or the person is gone; e says why), -1
 * on a store or drawing error.
 */
static int
sheet_pdf(struct store *s, const struct store_outmail *om, unsigned char **pdf, size_t *len,
          int *day, struct err *e)
{
	struct store_callsheet cs;
	struct store_person p;
	json_t *sheet = NULL;
	json_error_t je;
	int found, rc = -1;

	memset(&cs, 0, sizeof(cs));
	found = store_callsheet_get(s, om->production_id, om->callsheet_id, 1, &cs, e);
	if (found != 1)
		return found == 0 ? (err_set(e, 410, "the call sheet was deleted"), 1) : -1;
	if ((found = store_person_get(s, om->production_id, om->person_id, 0, &p, e)) != 1) {
		rc = found == 0 ? (err_set(e, 410, "the recipient was removed"), 1) : -1;
		goto out;
	}
	if ((sheet = json_loads(cs.body, 0, &je)) == NULL) {
		err_set(e, 500, "the stored call sheet does not parse");
		goto out;
	}
	*day = (int)json_integer_value(json_object_get(sheet, "day"));
	struct sheetpdf_opts o = {SHEETPDF_A4, om->person_id, cs.version, cs.published_at};
	rc = sheetpdf_render(sheet, &o, pdf, len, e);
out:
	json_decref(sheet);
	if (cs.body != NULL) {
		sodium_memzero(cs.body, strlen(cs.body));
		free(cs.body);
	}
	sodium_memzero(&p, sizeof(p));
	return rc;
}

/*
 * The whole RFC 5322 message for om (see the top of the file); the caller
 * wipes and frees it. NULL with *skip set when a call sheet message is no
 * longer to be sent, NULL alone on an error (e set).
 */
static char *
message_text(const struct notifier *n, struct store *s, const struct store_outmail *om, int *skip,
             struct err *e)
{
	const struct store_mail *m = &om->m;
	char date[64];
	struct tm tm;
	time_t now = time(NULL);
	char *subject, *msg = NULL, *text = NULL, *html = NULL, *att = NULL;
	unsigned char *pdf = NULL;
	size_t pdf_len = 0;
	json_t *parts = NULL;
	int day = 0, got;

	*skip = 0;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	subject = header_subject(m->subject);
	if (om->callsheet_id[0] == '\0' && om->person_id[0] == '\0') {
		msg = xasprintf(
		    "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@slate>\r\n"
		    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
		    "Content-Transfer-Encoding: 8bit\r\n\r\n%s",
		    n->from, m->to, subject, date, m->id, m->body);
		goto out;
	}
	if ((parts = json_loads(m->body, 0, NULL)) == NULL ||
	    !json_is_string(json_object_get(parts, "text")) ||
	    !json_is_string(json_object_get(parts, "html"))) {
		err_set(e, 500, "a two-part message's body does not parse");
		goto out;
	}
	text = crlf(json_string_value(json_object_get(parts, "text")));
	html = crlf(json_string_value(json_object_get(parts, "html")));
	if (om->callsheet_id[0] == '\0') {
		/* a person's message without attachment (an incident's notice) */
		msg = xasprintf(
		    "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@slate>\r\n"
		    "MIME-Version: 1.0\r\n"
		    "Content-Type: multipart/alternative; boundary=\"alt-%s\"\r\n\r\n"
		    "--alt-%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
		    "Content-Transfer-Encoding: 8bit\r\n\r\n%s\r\n"
		    "--alt-%s\r\nContent-Type: text/html; charset=utf-8\r\n"
		    "Content-Transfer-Encoding: 8bit\r\n\r\n%s\r\n"
		    "--alt-%s--\r\n",
		    n->from, m->to, subject, date, m->id, m->id, m->id, text, m->id, html, m->id);
		goto out;
	}
	if ((got = sheet_pdf(s, om, &pdf, &pdf_len, &day, e)) != 0) {
		*skip = got == 1;
		goto out;
	}
	att = base64_lines(pdf, pdf_len);
	msg = xasprintf(
	    "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@slate>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"mixed-%s\"\r\n\r\n"
	    "--mixed-%s\r\n"
	    "Content-Type: multipart/alternative; boundary=\"alt-%s\"\r\n\r\n"
	    "--alt-%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n\r\n%s\r\n"
	    "--alt-%s\r\nContent-Type: text/html; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n\r\n%s\r\n"
	    "--alt-%s--\r\n\r\n"
	    "--mixed-%s\r\nContent-Type: application/pdf; name=\"call-sheet-day-%d.pdf\"\r\n"
	    "Content-Disposition: attachment; filename=\"call-sheet-day-%d.pdf\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n%s"
	    "--mixed-%s--\r\n",
	    n->from, m->to, subject, date, m->id, m->id, m->id, m->id, m->id, text, m->id, html,
	    m->id, m->id, day, day, att, m->id);
out:
	json_decref(parts);
	if (text != NULL) {
		sodium_memzero(text, strlen(text));
		free(text);
	}
	if (html != NULL) {
		sodium_memzero(html, strlen(html));
		free(html);
	}
	free(att);
	free(pdf);
	free(subject);
	return msg;
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

/*
 * The SMTP envelope sender (MAIL FROM) of message id: with a bounce address
 * local@domain, local+<id>@domain (VERP), so a bounce names its message;
 * else the address of mail_from.
 */
static char *
envelope_sender(const struct notifier *n, const char *id)
{
	const char *at = strrchr(n->bounce_address, '@');
	if (n->bounce_address[0] == '\0' || at == NULL)
		return envelope_address(n->from);
	return xasprintf("<%.*s+%s%s>", (int)(at - n->bounce_address), n->bounce_address, id, at);
}

struct upload {
	const char *p;
	size_t left;
};

/* The relay's last answer line, as libcurl's debug callback shows it (CURLINFO_HEADER_IN). */
struct answer {
	char line[256];
};

static int
keep_answer(CURL *c, curl_infotype type, char *data, size_t size, void *arg)
{
	struct answer *a = arg;
	size_t n = size < sizeof(a->line) - 1 ? size : sizeof(a->line) - 1;
	(void)c;
	if (type != CURLINFO_HEADER_IN || size == 0)
		return 0;
	memcpy(a->line, data, n);
	a->line[n] = '\0';
	a->line[strcspn(a->line, "\r\n")] = '\0';
	for (char *p = a->line; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
			*p = ' ';
	return 0;
}

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

/* What became of one try (see the top of the file). */
enum outcome { DELIVERED, TRY_LATER, REFUSED };

static enum outcome
deliver_smtp(struct notifier *n, const struct store_mail *m, const char *msg, char *answer,
             size_t answer_len, struct err *e)
{
	char curl_err[CURL_ERROR_SIZE] = "";
	struct upload u = {msg, strlen(msg)};
	struct answer a = {""};
	struct curl_slist *rcpt = NULL;
	char *from = envelope_sender(n, m->id), *to = xasprintf("<%s>", m->to);
	CURL *c = curl_easy_init();
	CURLcode rc;
	long code = 0;

	if (c == NULL) {
		free(from);
		free(to);
		err_set(e, 500, "cannot start an SMTP client");
		return TRY_LATER;
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
	/* the relay's answer lines: the debug callback sees them (and nothing is printed) */
	curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, keep_answer);
	curl_easy_setopt(c, CURLOPT_DEBUGDATA, &a);
	curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(c);
	free(from);
	free(to);
	snprintf(answer, answer_len, "%s", a.line);
	if (rc == CURLE_OK)
		return DELIVERED;
	err_set(e, 502, "SMTP delivery failed: %s%s%s",
	        curl_err[0] != '\0' ? curl_err : curl_easy_strerror(rc), a.line[0] ? ": " : "",
	        a.line);
	/* a 5xx answer is permanent (RFC 5321 section 4.2.1); anything else may pass later */
	return code >= 500 && code <= 599 ? REFUSED : TRY_LATER;
}

static enum outcome
deliver(struct notifier *n, struct store *s, const struct store_outmail *om, char *answer,
        size_t answer_len, struct err *e)
{
	int skip = 0;
	char *msg = message_text(n, s, om, &skip, e);
	enum outcome rc;

	answer[0] = '\0';
	if (msg == NULL)
		return skip ? REFUSED : TRY_LATER;
	if (strcmp(n->transport, "smtp") == 0) {
		rc = deliver_smtp(n, &om->m, msg, answer, answer_len, e);
	} else {
		rc = deliver_file(n, &om->m, msg, e) == 0 ? DELIVERED : TRY_LATER;
		if (rc == DELIVERED)
			snprintf(answer, answer_len, "written to the mail directory");
	}
	sodium_memzero(msg, strlen(msg));
	free(msg);
	return rc;
}

/* The wait before try `attempts` + 1 after a temporary failure: base × 2^(attempts - 1). */
static long long
backoff(long base, int attempts)
{
	int k = attempts < 1 ? 0 : attempts - 1;
	return (long long)base << (k > 16 ? 16 : k);
}

/* Delivers what is due; returns when nothing more is due now. */
static void
drain(struct notifier *n, struct store *s)
{
	struct store_outmail om;
	struct err e;

	while (store_outbox_due(s, NOTIFY_MAX_ATTEMPTS, (long long)time(NULL), &om, &e) == 1) {
		char answer[256];
		enum outcome rc;
		struct err e2;
		int marked;

		if (strcmp(om.status, "sending") == 0)
			log_event(LOG_WARN, "mail interrupted while sending is sent again",
			          LOG_STR("message", om.m.id), LOG_END);
		/* committed before the SMTP transaction: a crash from here on leaves it `sending`
		 */
		marked = store_outbox_sending(s, om.m.id, &e2);
		if (marked == -1) {
			log_event(LOG_ERROR, "mail not marked sending", LOG_STR("error", e2.msg),
			          LOG_END);
			sodium_memzero(om.m.body, strlen(om.m.body));
			free(om.m.body);
			return;
		}
		rc = deliver(n, s, &om, answer, sizeof(answer), &e);
		sodium_memzero(om.m.body, strlen(om.m.body));
		free(om.m.body);
		if (rc == DELIVERED) {
			if (store_outbox_accepted(s, om.m.id, (long long)time(NULL), answer, &e2) ==
			    -1)
				log_event(LOG_ERROR, "mail not marked sent",
				          LOG_STR("error", e2.msg), LOG_END);
			log_event(LOG_INFO, "mail sent", LOG_STR("message", om.m.id), LOG_END);
			continue;
		}
		log_event(LOG_WARN, "mail not sent", LOG_STR("message", om.m.id),
		          LOG_STR("error", e.msg),
		          LOG_STR("outcome", rc == REFUSED ? "failed" : "deferred"), LOG_END);
		if (rc == REFUSED)
			marked = store_outbox_refused(s, om.m.id, e.msg, answer, &e2);
		else
			marked = store_outbox_deferred(
			    s, om.m.id, e.msg,
			    (long long)time(NULL) + backoff(n->retry_seconds, om.m.attempts + 1),
			    NOTIFY_MAX_ATTEMPTS, &e2);
		if (marked == -1) {
			log_event(LOG_ERROR, "mail failure not recorded", LOG_STR("error", e2.msg),
			          LOG_END);
			return;
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

/*
 * One bounce file, name in new/ (fd: new/): read (a regular file, not
 * followed if a link, at most DSN_MAX_BYTES), its message marked bounced
 * when it is a permanent failure for a sent message, then moved to cur/
 * whatever it held (see the top of the file).
 */
static void
read_bounce(const struct notifier *n, struct store *s, int dir, int cur, const char *name)
{
	char *buf = NULL, reason[DSN_STATUS_LEN + DSN_DIAG_LEN + 2], done[512];
	const char *outcome = "unreadable";
	struct dsn d = {"", "", ""};
	struct stat st;
	struct err e;
	size_t got = 0, cap = 0;
	int rc;
	int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd != -1 && (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))) {
		close(fd);
		fd = -1;
	}
	if (fd == -1) {
		outcome = "not a regular file";
	} else if (st.st_size > DSN_MAX_BYTES) {
		close(fd);
		outcome = "too large";
	} else {
		cap = (size_t)st.st_size;
		buf = xmalloc(cap + 1);
		rc = io_read_full(fd, buf, cap, &got);
		close(fd);
		if (rc == 0) {
			enum dsn_kind k = dsn_parse(buf, got, n->bounce_address, &d);
			outcome = dsn_kind_name(k);
			if (k == DSN_FAILED) {
				int marked;
				snprintf(reason, sizeof(reason), "%s%s%s", d.status,
				         d.diagnostic[0] ? " " : "", d.diagnostic);
				marked = store_outbox_bounced(s, d.id, (long long)time(NULL),
				                              reason, &e);
				if (marked == -1) {
					/* a store error: left in new/, read again next time */
					log_event(LOG_ERROR, "bounce not recorded",
					          LOG_STR("message", d.id), LOG_STR("error", e.msg),
					          LOG_END);
					goto out;
				}
				outcome = marked == 1 ? "bounced" : "no such sent message";
			}
		}
	}
	/* logged by outcome, status and message id: no address and no diagnostic (personal) */
	log_event(strcmp(outcome, "bounced") == 0 ? LOG_INFO : LOG_WARN, "bounce read",
	          LOG_STR("outcome", outcome), LOG_STR("message", d.id),
	          LOG_STR("status", d.status), LOG_END);
	snprintf(done, sizeof(done), "%s%s", name, strchr(name, ':') ? "" : ":2,");
	if (renameat(dir, name, cur, done) == -1)
		log_event(LOG_ERROR, "bounce file not moved to cur",
		          LOG_STR("error", strerror(errno)), LOG_END);
out:
	if (buf != NULL) {
		sodium_memzero(buf, cap);
		free(buf);
	}
}

/* Reads every bounce in bounce_dir/new (see the top of the file). */
static void
read_bounces(const struct notifier *n, struct store *s)
{
	char path[4096];
	struct dirent *de;
	DIR *d;
	int cur;

	snprintf(path, sizeof(path), "%s/cur", n->bounce_dir);
	if ((cur = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return;
	snprintf(path, sizeof(path), "%s/new", n->bounce_dir);
	if ((d = opendir(path)) == NULL) {
		close(cur);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			read_bounce(n, s, dirfd(d), cur, de->d_name);
	closedir(d);
	close(cur);
}

static void *
notifier_main(void *arg)
{
	struct notifier *n = arg;
	struct store *s;
	struct err e;
	long long swept = 0, sweep_every = n->file_max_age / 4, bounces_read = 0;

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
		if (n->bounce_address[0] != '\0' &&
		    (bounces_read == 0 ||
		     (long long)mono.tv_sec - bounces_read >= NOTIFY_BOUNCE_EVERY)) {
			read_bounces(n, s);
			bounces_read = (long long)mono.tv_sec;
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
	n->retry_seconds = c->mail_retry_seconds > 0 ? c->mail_retry_seconds : 60;
	n->bounce_address = xstrdup(c->mail_bounce_address ? c->mail_bounce_address : "");
	n->bounce_dir = xstrdup(c->mail_bounce_dir ? c->mail_bounce_dir : "");
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
	if (n->bounce_address[0] != '\0') {
		char path[4096];
		struct stat st;
		for (const char *const *sub = (const char *const[]){"new", "cur", NULL}; *sub;
		     sub++) {
			snprintf(path, sizeof(path), "%s/%s", n->bounce_dir, *sub);
			if (stat(path, &st) == -1 || !S_ISDIR(st.st_mode))
				log_event(LOG_WARN,
				          "mail_bounce_dir is not a Maildir yet: no bounce is read",
				          LOG_STR("missing", *sub), LOG_END);
		}
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
	free(n->bounce_address);
	free(n->bounce_dir);
	secret_free(&n->smtp_password);
	if (strcmp(n->transport, "smtp") == 0)
		curl_global_cleanup();
	free(n->transport);
	free(n);
}

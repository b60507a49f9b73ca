/*
 * erasure.c — the deletion job and the deletion log (erasure.h).
 *
 * Why a log, when the keys are shredded anyway. Destroying a person's key
 * (crypto/keyring.h) erases their sealed fields in every copy of the
 * database — as long as the keystore used to read that copy is one taken
 * after the key was destroyed. A restore takes by default the keystore copy
 * made with its snapshot (backup.c), which still holds the key of someone
 * deleted since; and the restored database still holds their rows. Without
 * more, restoring last week's backup would bring back the people deleted
 * this week. The deletion log is that "more": a file beside the database,
 * not in it, that a restore cannot roll back because it is not part of what
 * is restored, copied to every backup destination (erasure_ship, from the
 * housekeeping pass) so that a restore into a new machine finds it too
 * (erasure_fetch, from `slate restore`), and replayed (erasure_replay) by
 * `slate restore`, at every start of `slate serve` and by `slate purge`:
 * every row it names that is still there is deleted again and every key it
 * names is destroyed in the keystore in use.
 *
 * A line of DATA/deletions.log:
 *
 *   1 <unix time> account <account id> <person id>,<person id>|- <mac>
 *   1 <unix time> person <person id> <production id> <mac>
 *   1 <unix time> production <production id> <person id>,<person id>|- <mac>
 *
 * Ids only: the log says that someone was deleted, never who. <mac> is
 * HMAC-SHA256 under the installation's index key (keyring_blind_index, its
 * own domain "deletion-log") over the rest of the line, so that a line
 * cannot be added by whoever can write a backup destination but has no
 * master key: a forged line would delete people at the next restore. A
 * line that does not authenticate stops the replay, naming the line;
 * nothing of the log is half believed. Lines are appended with O_APPEND
 * and synced before the deletion they record commits: a deletion is never
 * committed that the log does not hold (a line whose deletion then failed
 * to commit is replayed later, which deletes what was due anyway).
 *
 * The job itself (erasure_due) deletes each due account in its own
 * transaction: the closure is read again inside it (a reopening between
 * the list and the delete wins), the log line is written, the person
 * records linked to the account are deleted (their calls, cast places,
 * deliveries and links go with them, ON DELETE CASCADE), then the account
 * (its sessions, tokens, memberships, second factor), and one audit event
 * `account.delete` naming the account's id, actor `slate`. The keys go
 * when the transaction commits (store: sq_shred_after_commit).
 */
#include "backup/erasure.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "audit/audit.h"
#include "backup/dest.h"
#include "crypto/keyring.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

#define MAC_DOMAIN "deletion-log"
#define DAY        86400LL

long long
erasure_grace(const struct config *c)
{
	return (long long)c->deletion_grace_days * DAY;
}

static char *
log_path(const char *data_dir)
{
	return xasprintf("%s/%s", data_dir, ERASURE_LOG);
}

/* An id as Slate makes them: letters, digits, '_' and '-', 1 to 63 of them. */
static int
id_ok(const char *s, size_t n)
{
	if (n == 0 || n >= 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

static int
append(const char *data_dir, struct keyring *kr, long long now, const char *kind, const char *id,
       const char *extra, struct err *e)
{
	char *path = log_path(data_dir), *body, *line, mac[65];
	struct stat st;
	int fd, created, rc = -1;

	body = xasprintf("1 %lld %s %s %s", now, kind, id, extra[0] != '\0' ? extra : "-");
	if (keyring_blind_index(kr, MAC_DOMAIN, body, mac, e) == -1) {
		free(body);
		free(path);
		return -1;
	}
	line = xasprintf("%s %s\n", body, mac);
	created = stat(path, &st) == -1;
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		err_set(e, 500, "the deletion log %s cannot be opened: %s", path, strerror(errno));
		goto out;
	}
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line) || fsync(fd) == -1) {
		err_set(e, 500, "the deletion log %s cannot be written: %s", path, strerror(errno));
		close(fd);
		goto out;
	}
	close(fd);
	if (created) { /* the new file's name is durable too */
		int dfd = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd != -1) {
			fsync(dfd);
			close(dfd);
		}
	}
	rc = 0;
out:
	free(line);
	free(body);
	free(path);
	return rc;
}

int
erasure_log_person(const char *data_dir, struct keyring *kr, const char *person_id,
                   const char *production_id, long long now, struct err *e)
{
	return append(data_dir, kr, now, "person", person_id, production_id, e);
}

static void
say_line(erasure_say say, void *arg, char *line)
{
	if (say != NULL)
		say(line, arg);
	free(line);
}

/* ---- the job */

struct ids {
	char **v;
	size_t n;
};

static void
ids_add(struct ids *l, const char *id)
{
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = xstrdup(id);
}

static void
ids_free(struct ids *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void
add_person(const char *id, void *arg)
{
	ids_add(arg, id);
}

static void
add_due(const char *id, const struct store_closure *c, void *arg)
{
	(void)c;
	ids_add(arg, id);
}

/* "a,b,c" of the list, or "" for none. */
static char *
ids_join(const struct ids *l)
{
	size_t len = 1;
	char *s, *p;
	for (size_t i = 0; i < l->n; i++)
		len += strlen(l->v[i]) + 1;
	p = s = xmalloc(len);
	*p = '\0';
	for (size_t i = 0; i < l->n; i++) {
		size_t n = strlen(l->v[i]);
		if (i > 0)
			*p++ = ',';
		memcpy(p, l->v[i], n + 1);
		p += n;
	}
	return s;
}

int
erasure_log_production(const char *data_dir, struct keyring *kr, const char *production_id,
                       char *const *people, size_t n, long long now, struct err *e)
{
	struct ids l = {(char **)people, n};
	char *joined = ids_join(&l);
	int rc = append(data_dir, kr, now, "production", production_id, joined, e);
	free(joined);
	return rc;
}

/* One due account: 1 deleted (or would be), 0 no longer due, -1 with e set. */
static int
erase_account(struct store *s, struct keyring *kr, const char *data_dir, const char *id,
              long long now, int dry_run, erasure_say say, void *arg, struct erasure_report *out,
              struct err *e)
{
	struct audit_entry a = {"slate", "deletion job", "account.delete", id, "success", NULL,
	                        NULL};
	struct store_closure cl;
	struct ids people = {0};
	char closed[TIMEFMT_LEN], due[TIMEFMT_LEN], *joined = NULL;
	int found;

	if (store_begin(s, e) == -1)
		return -1;
	/* read again under the write lock: a reopening since the list wins */
	if ((found = store_user_closure(s, id, &cl, e)) != 1 || cl.deletion_due > now) {
		store_rollback(s);
		return found == -1 ? -1 : 0;
	}
	if (store_person_ids_of_user(s, id, add_person, &people, e) == -1)
		goto fail;
	time_rfc3339((time_t)cl.closed_at, closed);
	time_rfc3339((time_t)cl.deletion_due, due);
	if (dry_run) {
		store_rollback(s);
		say_line(
		    say, arg,
		    xasprintf("account %s (closed %s, deletion due %s) would be deleted with %zu "
		              "person record(s)",
		              id, closed, due, people.n));
		goto done;
	}
	joined = ids_join(&people);
	if (append(data_dir, kr, now, "account", id, joined, e) == -1)
		goto fail;
	for (size_t i = 0; i < people.n; i++)
		if (store_person_erase(s, people.v[i], e) == -1)
			goto fail;
	if (store_user_delete(s, id, e) == -1 || audit_record(s, &a, e) == -1 ||
	    store_commit(s, e) == -1)
		goto fail;
	say_line(say, arg,
	         xasprintf("account %s (closed %s, deletion due %s) deleted with %zu person "
	                   "record(s); their keys are destroyed",
	                   id, closed, due, people.n));
done:
	out->accounts++;
	out->people += (int)people.n;
	free(joined);
	ids_free(&people);
	return 1;
fail:
	store_rollback(s);
	free(joined);
	ids_free(&people);
	return -1;
}

int
erasure_due(struct store *s, struct keyring *kr, const char *data_dir, long long now, int dry_run,
            erasure_say say, void *arg, struct erasure_report *out, struct err *e)
{
	struct ids due = {0};
	int rc = 0;

	if (store_users_due(s, now, add_due, &due, e) == -1)
		return -1;
	for (size_t i = 0; i < due.n && rc == 0; i++)
		if (erase_account(s, kr, data_dir, due.v[i], now, dry_run, say, arg, out, e) == -1)
			rc = -1;
	ids_free(&due);
	return rc;
}

/* ---- the replay */

/* One line of the log, split in place. */
struct entry {
	const char *kind, *id, *extra;
};

/* Splits and authenticates line (no newline) in place: 0, or -1 (e names line number no). */
static int
parse_line(struct keyring *kr, char *line, long no, struct entry *out, struct err *e)
{
	char *f[5], *p, *sig = strrchr(line, ' '), mac[65];
	int n = 0;

	/* the mac, after the last space, is over everything before it */
	if (sig == NULL || strlen(sig + 1) != 64) {
		err_set(e, 400, "%s line %ld is not a deletion record", ERASURE_LOG, no);
		return -1;
	}
	*sig++ = '\0';
	if (keyring_blind_index(kr, MAC_DOMAIN, line, mac, e) == -1)
		return -1;
	if (sodium_memcmp(mac, sig, 64) != 0) {
		err_set(
		    e, 400,
		    "%s line %ld does not authenticate under this keystore: it was not written by "
		    "this installation, or it was altered",
		    ERASURE_LOG, no);
		return -1;
	}
	for (p = line; n < 5;) {
		f[n++] = p;
		if ((p = strchr(p, ' ')) == NULL)
			break;
		*p++ = '\0';
	}
	if (n != 5 || p != NULL || strcmp(f[0], "1") != 0 ||
	    (strcmp(f[2], "account") != 0 && strcmp(f[2], "person") != 0 &&
	     strcmp(f[2], "production") != 0) ||
	    !id_ok(f[3], strlen(f[3]))) {
		err_set(e, 400, "%s line %ld is not a deletion record", ERASURE_LOG, no);
		return -1;
	}
	out->kind = f[2];
	out->id = f[3];
	out->extra = f[4];
	return 0;
}

/* The ids an entry names whose rows go: its person records, then the account. */
static void
entry_ids(const struct entry *en, struct ids *people)
{
	const char *p = en->extra;
	if (strcmp(en->kind, "person") == 0) {
		ids_add(people, en->id);
		return;
	}
	while (strcmp(p, "-") != 0 && *p != '\0') {
		size_t n = strcspn(p, ",");
		if (id_ok(p, n)) {
			char id[64];
			memcpy(id, p, n);
			id[n] = '\0';
			ids_add(people, id);
		}
		p += n + (p[n] == ',');
	}
}

/* Deletes again what of one entry is still there: 1 something was, 0 nothing, -1. */
static int
replay_one(struct store *s, struct keyring *kr, const struct entry *en, int dry_run, struct err *e)
{
	struct audit_entry a = {"slate", "deletion log", "erasure.replay", en->id, "success", NULL,
	                        NULL};
	struct ids people = {0};
	int account = strcmp(en->kind, "account") == 0;
	int production = strcmp(en->kind, "production") == 0, found = 0, n;

	entry_ids(en, &people);
	if (store_begin(s, e) == -1)
		goto fail_nolock;
	if (account && store_person_ids_of_user(s, en->id, add_person, &people, e) == -1)
		goto fail;
	if (production) {
		/* the whole production again: its people's keys with it (its files, sealed under
		   the production key, stay unreadable on disk until slate fsck removes them) */
		if (store_production_contents(s, en->id, add_person, NULL, &people, e) == -1 ||
		    (n = store_production_erase(s, en->id, e)) == -1)
			goto fail;
		found += n;
	}
	for (size_t i = 0; i < people.n; i++) {
		if ((n = store_person_erase(s, people.v[i], e)) == -1)
			goto fail;
		found += n;
	}
	if (account) {
		if ((n = store_user_delete(s, en->id, e)) == -1)
			goto fail;
		found += n;
	}
	if (dry_run || found == 0) {
		store_rollback(s);
	} else if (audit_record(s, &a, e) == -1 || store_commit(s, e) == -1) {
		goto fail;
	}
	/* the keys, even with no row left: the keystore in use may be an older copy, which
	   would open the rows of older backups */
	if (!dry_run) {
		if (account && (n = keyring_destroy(kr, en->id, e)) == -1)
			goto fail_nolock;
		found += account ? n : 0;
		if (production && (n = keyring_destroy_production(kr, en->id, e)) == -1)
			goto fail_nolock;
		found += production ? n : 0;
		for (size_t i = 0; i < people.n; i++) {
			if ((n = keyring_destroy(kr, people.v[i], e)) == -1)
				goto fail_nolock;
			found += n;
		}
	}
	ids_free(&people);
	return found > 0;
fail:
	store_rollback(s);
fail_nolock:
	ids_free(&people);
	return -1;
}

int
erasure_replay(struct store *s, struct keyring *kr, const char *data_dir, int dry_run,
               erasure_say say, void *arg, struct erasure_report *out, struct err *e)
{
	char *path = log_path(data_dir), *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long no = 0;
	FILE *f;
	int rc = 0, n;

	if ((f = fopen(path, "re")) == NULL) {
		if (errno == ENOENT) {
			free(path);
			return 0;
		}
		err_set(e, 500, "the deletion log %s cannot be read: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	while (rc == 0 && (len = getline(&line, &cap, f)) != -1) {
		struct entry en = {NULL, NULL, NULL};
		no++;
		if (len == 0 || line[len - 1] != '\n') {
			/* a last line cut short by a crash while appending: its deletion never
			 * committed */
			break;
		}
		line[len - 1] = '\0';
		if (parse_line(kr, line, no, &en, e) == -1 ||
		    (n = replay_one(s, kr, &en, dry_run, e)) == -1) {
			rc = -1;
			break;
		}
		out->entries++;
		if (n == 1) {
			out->replayed++;
			say_line(
			    say, arg,
			    xasprintf("%s %s was deleted on line %ld of %s and was here again: %s",
			              en.kind, en.id, no, ERASURE_LOG,
			              dry_run ? "it would be deleted again"
			                      : "deleted again, its keys destroyed"));
		}
	}
	if (rc == 0 && ferror(f))
		rc = err_set(e, 500, "the deletion log %s cannot be read", path);
	fclose(f);
	free(line);
	free(path);
	return rc;
}

/* ---- copies at the destinations */

int
erasure_ship(const struct config *c, struct err *e)
{
	struct dest_spec specs[2];
	char *path = log_path(c->data_dir);
	struct stat st;
	int n = 0, rc = 0;

	if (stat(path, &st) == -1) { /* no deletion yet: nothing to copy */
		free(path);
		return 0;
	}
	if (dest_specs_from_config(c, specs, &n, e) == -1) {
		free(path);
		return -1;
	}
	for (int i = 0; i < n && rc == 0; i++) {
		struct backup_dest *d = dest_open(&specs[i], e);
		if (d == NULL || dest_put_file(d, ERASURE_LOG, path, e) == -1)
			rc = -1;
		dest_close(d);
	}
	free(path);
	return rc;
}

int
erasure_fetch(struct backup_dest *d, const char *data_dir, struct err *e)
{
	char *path = log_path(data_dir);
	int rc = dest_get_file(d, ERASURE_LOG, path, e);
	free(path);
	return rc == -1 ? -1 : rc == 0;
}

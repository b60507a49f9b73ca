/*
 * backup.c — `slate backup now|verify|status` and `slate restore`: the
 * operator's side of backup/backup.h.
 *
 * now      a snapshot into backup_dir (and the S3 store when s3_endpoint
 *          is set), beside a running server or not (audited as
 *          backup.snapshot)
 * verify   a restore drill: the newest snapshot of each destination
 *          picked, the sentinel written in the live database and shipped
 *          (backup.h), each restored into a scratch directory up to exactly
 *          the sentinel's commit and checked (its nonce, every table's live
 *          row count), the outcome in DEST/last-drill.json and in the audit
 *          log (backup.drill, object the snapshot's name, outcome success
 *          or failure); `slate serve` runs this on its schedule
 * status   each destination, the newest snapshot and the last drill; needs
 *          no master key (verify, too, drills each destination)
 * restore  a new data directory from a snapshot: never into a non-empty
 *          directory, nothing left behind when the master key is wrong or
 *          the snapshot does not check out. The master key comes from a key
 *          file, as for `slate serve`; it never leaves the operator's hands.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "audit/audit.h"
#include "backup/backup.h"
#include "backup/dest.h"
#include "backup/erasure.h"
#include "backup/ship.h"
#include "cli/cli.h"
#include "crypto/keyring.h"
#include "store/store.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

static const char backup_help[] =
    "usage: slate backup now    --data DIR [--key-file PATH] [--config FILE]\n"
    "       slate backup verify --data DIR [--key-file PATH] [--config FILE]\n"
    "       slate backup status --data DIR [--config FILE] [--json]\n"
    "\n"
    "now:    writes an encrypted snapshot of DIR/slate.db and a keystore copy into\n"
    "        backup_dir/snapshots (SLATE_BACKUP_DIR), then removes snapshots older than\n"
    "        backup_retention_days; safe beside a running slate serve. With s3_endpoint\n"
    "        set it is put in the S3 store too; with s3_endpoint alone (no backup_dir)\n"
    "        the store is the only destination of now, verify and status\n"
    "verify: a restore drill: writes a sentinel row (a nonce and every table's row\n"
    "        count) in the live database and ships it, restores the newest snapshot and\n"
    "        the WAL up to exactly that commit into a scratch directory, checks it\n"
    "        (SHA-256, integrity, the sentinel, every live row count, audit chain),\n"
    "        removes it, and records the outcome, the position and its duration (the\n"
    "        measured recovery time)\n"
    "status: the destination, the WAL shipped (generation, frame, last commit), the\n"
    "        newest snapshot and the last drill\n";

static const char restore_help[] =
    "usage: slate restore --from DEST --to NEWDIR --key-file PATH\n"
    "                     [--latest | --at TIME | --snapshot NAME] [--keystore NAME|latest]\n"
    "\n"
    "Rebuilds a data directory NEWDIR (absent or empty) from DEST (default\n"
    "backup_dir): a directory, or s3 (the S3-compatible store of [backup] s3_*; what\n"
    "the restore needs is fetched into a scratch directory beside NEWDIR first, with\n"
    "every check below). --latest: the newest snapshot plus every WAL segment shipped after\n"
    "it; --at TIME (2026-12-04T21:03:05Z, RFC 3339, or a Unix time): the newest\n"
    "snapshot taken at or before TIME plus the segments up to the last transaction\n"
    "committed at or before TIME; --snapshot NAME, or nothing: that (the newest)\n"
    "snapshot alone. The master key file must open the keystore copy taken with it\n"
    "(or the one --keystore names: a later copy reads people shredded since as\n"
    "[erased]). Checks the snapshot against its manifest (size, SHA-256), every\n"
    "segment's SHA-256 and chain, every page's and frame's tag, PRAGMA\n"
    "integrity_check, the row count of every table and the audit chain; nothing is\n"
    "left in NEWDIR when any check or the master key fails. NEWDIR then starts with\n"
    "slate serve at once.\n";

static int
need_dest(const char *cmd, const struct config *c)
{
	if ((c->backup_dir == NULL || c->backup_dir[0] == '\0') &&
	    (c->s3_endpoint == NULL || c->s3_endpoint[0] == '\0')) {
		cli_error(cmd, "no backup destination: set [backup] dir (SLATE_BACKUP_DIR) or "
		               "s3_endpoint (SLATE_BACKUP_S3_ENDPOINT) in slate.conf");
		return -1;
	}
	return 0;
}

/* backup_dir is set (else the S3 store is the only destination). */
static int
has_dir(const struct config *c)
{
	return c->backup_dir != NULL && c->backup_dir[0] != '\0';
}

static int
now_cmd(const struct config *c)
{
	struct backup_snapshot_info info;
	struct backup_dest *s3 = NULL;
	struct keyring *keys = NULL;
	struct store *s;
	struct err e;
	char db[4200];
	int rc = EXIT_FAIL;

	if ((s = cli_open_store("backup", c, &keys)) == NULL)
		return EXIT_FAIL;
	snprintf(db, sizeof(db), "%s/slate.db", c->data_dir);
	if (backup_s3_open(c, &s3, &e) == -1 ||
	    backup_snapshot(has_dir(c) ? c->backup_dir : NULL, c->backup_retention_days, s3,
	                    c->s3_retention_days, db, keys, &info, &e) == -1) {
		cli_error("backup", "%s", e.msg);
		goto out;
	}
	cli_audit("backup", s, "backup.snapshot", info.name, NULL);
	if (has_dir(c))
		printf(
		    "Snapshot %s written to %s/snapshots (%lld bytes, position %lld, %.2f s); %d "
		    "older than %ld days removed.\n",
		    info.name, c->backup_dir, info.size, info.position, info.seconds, info.pruned,
		    c->backup_retention_days);
	else
		printf("Snapshot %s (%lld bytes, position %lld, %.2f s):\n", info.name, info.size,
		       info.position, info.seconds);
	if (s3 != NULL)
		printf("Snapshot %s put in %s; %d older than %ld days removed there.\n", info.name,
		       dest_label(s3), info.pruned_s3, c->s3_retention_days);
	rc = EXIT_OK;
out:
	dest_close(s3);
	store_close(s);
	keyring_close(keys);
	return rc;
}

/* What a drill checked, for its line. */
static void
drill_line(const char *from, const struct backup_drill *d)
{
	printf("Restore drill%s%s of snapshot %s: ok, restored and checked in %.2f s",
	       from[0] ? " from " : "", from, d->snapshot, d->seconds);
	if (d->sentinel)
		printf("; the sentinel and every table's live row count checked at generation %lld "
		       "frame %lld.\n",
		       d->generation, d->frame);
	else
		printf("; row counts checked against the snapshot's manifest only (no "
		       "sentinel).\n");
}

/* The drill's audit event: object the snapshot's name (s3:NAME for the S3 store). */
static void
audit_drill(const struct config *c, const char *prefix, const struct backup_drill *d)
{
	struct keyring *keys = NULL;
	struct store *s;
	struct err e;
	char object[BACKUP_NAME_MAX + 8];

	snprintf(object, sizeof(object), "%s%s", prefix, d->snapshot);
	if ((s = cli_open_store("backup", c, &keys)) != NULL) {
		struct audit_entry a = {
		    cli_actor(), "cli", "backup.drill", object, d->ok ? "success" : "failure",
		    NULL,        NULL};
		if (audit_record(s, &a, &e) == -1)
			cli_error("backup", "warning: the audit event was not written: %s", e.msg);
		store_close(s);
		keyring_close(keys);
	}
}

/*
 * A drill of each destination (backup_dir, then the S3 store when one is
 * configured): the newest snapshot of each picked first, then the sentinel
 * written in the live database and shipped to both (backup.h), then each
 * restored up to exactly the sentinel's commit and checked.
 */
static int
verify_cmd(const struct config *c)
{
	struct backup_dest *s3 = NULL, *dests[2] = {NULL, NULL};
	struct backup_sentinel sen[2];
	struct backup_drill d;
	struct keyring *keys = NULL;
	struct store *s;
	struct err e, why[2], find_err[2], mark_err = {0, "", ""};
	char names[2][BACKUP_NAME_MAX], db[4200], reason[512];
	int found[2] = {0, 0}, ok[2] = {0, 0}, is_s3[2] = {0, 0}, marked = 0, rc = EXIT_OK;
	int has_dir = c->backup_dir != NULL && c->backup_dir[0] != '\0';
	size_t nd = 0;

	memset(sen, 0, sizeof(sen));
	memset(why, 0, sizeof(why));
	memset(find_err, 0, sizeof(find_err));
	if (backup_s3_open(c, &s3, &e) == -1) {
		cli_error("backup", "%s", e.msg);
		return EXIT_FAIL;
	}
	if (has_dir) {
		struct dest_spec spec;
		memset(&spec, 0, sizeof(spec));
		spec.kind = DEST_DIR;
		spec.dir = c->backup_dir;
		if ((dests[nd] = dest_open(&spec, &e)) == NULL) {
			cli_error("backup", "%s", e.msg);
			dest_close(s3);
			return EXIT_FAIL;
		}
		nd++;
	}
	if (s3 != NULL) {
		is_s3[nd] = 1;
		dests[nd++] = s3;
	}
	/* the snapshots first: each was taken before the sentinel's commit */
	for (size_t i = 0; i < nd; i++) {
		found[i] = is_s3[i] ? backup_latest_from(s3, names[i], &e)
		                    : backup_latest(c->backup_dir, names[i], &e);
		if (found[i] == -1)
			find_err[i] = e;
	}
	if ((s = cli_open_store("backup", c, &keys)) != NULL) {
		snprintf(db, sizeof(db), "%s/slate.db", c->data_dir);
		marked = backup_sentinel_write(dests, nd, db, sen, ok, why, &mark_err) == 0;
		store_close(s);
		keyring_close(keys);
	} else {
		snprintf(mark_err.msg, sizeof(mark_err.msg), "the live database does not open");
	}
	for (size_t i = 0; i < nd; i++) {
		/* a directory's lines name no destination (as before); the store's name it */
		const char *label = is_s3[i] ? dest_label(s3) : "";
		const char *dir = is_s3[i] ? NULL : c->backup_dir;
		int recorded;

		if (found[i] == 1 && !(marked && ok[i])) {
			snprintf(reason, sizeof(reason),
			         "the drill's sentinel was not written to %s: %s",
			         dest_label(dests[i]), marked ? why[i].msg : mark_err.msg);
			recorded = backup_drill_failed(dir, s3, names[i], reason, &d, &e);
		} else if (found[i] == -1) {
			recorded = backup_drill_failed(dir, s3, "", find_err[i].msg, &d, &e);
		} else if (!is_s3[i]) {
			/* found 0: no snapshot to drill (it says so); one taken since is after the
			 * mark */
			recorded =
			    backup_drill_run(c->backup_dir, found[i] ? names[i] : NULL, c->data_dir,
			                     c->key_file, found[i] ? &sen[i] : NULL, &d, &e);
		} else {
			recorded =
			    backup_drill_run_from(s3, found[i] ? names[i] : NULL, c->data_dir,
			                          c->key_file, found[i] ? &sen[i] : NULL, &d, &e);
		}
		if (recorded == -1) {
			cli_error("backup", "the drill's outcome%s%s was not recorded: %s",
			          label[0] ? " from " : "", label, e.msg);
			rc = EXIT_FAIL;
		}
		audit_drill(c, is_s3[i] ? "s3:" : "", &d);
		if (!d.ok) {
			cli_error("backup", "restore drill%s%s of snapshot %s failed: %s",
			          label[0] ? " from " : "", label, d.snapshot[0] ? d.snapshot : "-",
			          d.reason);
			rc = EXIT_FAIL;
			if (!is_s3[i])
				break; /* as before: the S3 drill only after the directory's passed
				        */
		} else {
			drill_line(label, &d);
		}
	}
	for (size_t i = 0; i < nd; i++)
		backup_sentinel_free(&sen[i]);
	if (has_dir)
		dest_close(dests[0]);
	dest_close(s3);
	return rc;
}

/* The last drill's line of the status. */
static void
print_drill(const struct backup_drill *d, const char *at)
{
	if (!d->known)
		printf("last drill     none\n");
	else if (!d->ok)
		printf("last drill     %s, snapshot %s, FAILED, %.2f s: %s\n", at, d->snapshot,
		       d->seconds, d->reason);
	else if (d->sentinel)
		printf("last drill     %s, snapshot %s, ok, %.2f s, sentinel and live row counts "
		       "checked at generation %lld frame %lld\n",
		       at, d->snapshot, d->seconds, d->generation, d->frame);
	else
		printf("last drill     %s, snapshot %s, ok, %.2f s, row counts checked against the "
		       "snapshot's manifest (no sentinel)\n",
		       at, d->snapshot, d->seconds);
}

/* A drill's record as the status shows it (JSON null when none). */
static json_t *
drill_obj(const struct backup_drill *d)
{
	return d->known ? backup_drill_json(d) : json_null();
}

/*
 * The S3 store's part of the status (--json): out's "s3" (null when no store
 * is configured): its label, the WAL shipped, the newest snapshot and the
 * last drill, or "error" when it does not answer. -1: the configuration is
 * wrong (said on stderr).
 */
static int
status_s3_json(const struct config *c, json_t *out)
{
	struct backup_dest *s3 = NULL;
	struct backup_drill d;
	struct err e;
	char name[BACKUP_NAME_MAX], last[40] = "";
	long long gen = 0, last_ms = 0;
	unsigned long frame = 0;
	json_t *o;
	int found;

	if (backup_s3_open(c, &s3, &e) == -1) {
		cli_error("backup", "%s", e.msg);
		return -1;
	}
	if (s3 == NULL)
		return json_object_set_new(out, "s3", json_null()) == 0 ? 0 : -1;
	o = json_pack("{s:s}", "destination", dest_label(s3));
	if ((found = backup_latest_from(s3, name, &e)) == -1) {
		json_object_set_new(o, "error", json_string(e.msg));
	} else {
		if (ship_dest_head_d(s3, c->data_dir, &gen, &frame, &last_ms)) {
			time_t t = (time_t)(last_ms / 1000);
			struct tm tm;
			gmtime_r(&t, &tm);
			strftime(last, sizeof(last), "%Y-%m-%dT%H:%M:%SZ", &tm);
			json_object_set_new(o, "wal",
			                    json_pack("{s:I, s:I, s:s, s:I}", "generation",
			                              (json_int_t)gen, "frame", (json_int_t)frame,
			                              "last_commit_at", last, "last_commit_ms",
			                              (json_int_t)last_ms));
		} else {
			json_object_set_new(o, "wal", json_null());
		}
		json_object_set_new(o, "last_snapshot",
		                    found ? json_pack("{s:s}", "name", name) : json_null());
		backup_drill_read_from(s3, c->data_dir, &d);
		json_object_set_new(o, "last_drill", drill_obj(&d));
	}
	json_object_set_new(out, "s3", o);
	dest_close(s3);
	return 0;
}

/* The S3 store's part of the status (text): its newest snapshot, the WAL shipped, the last drill.
 */
static int
status_s3(const struct config *c)
{
	struct backup_dest *s3 = NULL;
	struct backup_drill d;
	struct err e;
	char name[BACKUP_NAME_MAX], at[TIMEFMT_LEN], last[40] = "";
	long long gen = 0, last_ms = 0;
	unsigned long frame = 0;
	int found;

	if (backup_s3_open(c, &s3, &e) == -1) {
		cli_error("backup", "%s", e.msg);
		return EXIT_FAIL;
	}
	if (s3 == NULL)
		return EXIT_OK;
	printf("%sdestination    %s\n", has_dir(c) ? "\n" : "", dest_label(s3));
	if ((found = backup_latest_from(s3, name, &e)) == -1) {
		printf("unreachable    %s\n", e.msg);
		dest_close(s3);
		return EXIT_FAIL;
	}
	if (ship_dest_head_d(s3, c->data_dir, &gen, &frame, &last_ms)) {
		time_t t = (time_t)(last_ms / 1000);
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(last, sizeof(last), "%Y-%m-%dT%H:%M:%SZ", &tm);
		printf("wal shipped    generation %lld, frame %lu, last commit shipped %s (%.0f s "
		       "ago)\n",
		       gen, frame, last, (double)time(NULL) - (double)last_ms / 1000.0);
	} else {
		printf("wal shipped    nothing yet\n");
	}
	printf("last snapshot  %s\n", found ? name : "none");
	backup_drill_read_from(s3, c->data_dir, &d);
	time_rfc3339(d.at, at);
	print_drill(&d, at);
	dest_close(s3);
	return EXIT_OK;
}

static int
status_cmd(const struct config *c, int as_json)
{
	char name[BACKUP_NAME_MAX], path[4400], at[TIMEFMT_LEN];
	struct backup_drill d;
	struct err e;
	json_t *m = NULL, *out;
	char last[40] = "";
	long long gen = 0, last_ms = 0;
	unsigned long frame = 0;
	int shipped, found;

	if (!has_dir(c)) {
		/* the S3 store alone */
		if (!as_json)
			return status_s3(c) == EXIT_OK ? EXIT_OK : EXIT_FAIL;
		out = json_pack("{s:n, s:n, s:n, s:n}", "destination", "wal", "last_snapshot",
		                "last_drill");
		if (status_s3_json(c, out) == -1) {
			json_decref(out);
			return EXIT_FAIL;
		}
		cli_print_json(out, 1);
		return EXIT_OK;
	}
	found = backup_latest(c->backup_dir, name, &e);
	if (found == -1) {
		cli_error("backup", "%s", e.msg);
		return EXIT_FAIL;
	}
	if (found) {
		snprintf(path, sizeof(path), "%s/snapshots/%s.json", c->backup_dir, name);
		m = json_load_file(path, 0, NULL);
	}
	backup_drill_read(c->backup_dir, &d);
	time_rfc3339(d.at, at);
	shipped = ship_dest_head(c->backup_dir, &gen, &frame, &last_ms);
	if (shipped) {
		time_t t = (time_t)(last_ms / 1000);
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(last, sizeof(last), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	if (as_json) {
		out = json_pack("{s:s, s:o, s:o, s:o}", "destination", c->backup_dir, "wal",
		                shipped ? json_pack("{s:I, s:I, s:s, s:I}", "generation",
		                                    (json_int_t)gen, "frame", (json_int_t)frame,
		                                    "last_commit_at", last, "last_commit_ms",
		                                    (json_int_t)last_ms)
		                        : json_null(),
		                "last_snapshot",
		                m ? json_pack("{s:s, s:O, s:O, s:O}", "name", name, "created_at",
		                              json_object_get(m, "created_at"), "size",
		                              json_object_get(m, "size"), "position",
		                              json_object_get(m, "position"))
		                  : json_null(),
		                "last_drill", drill_obj(&d));
		json_decref(m);
		if (status_s3_json(c, out) == -1) {
			json_decref(out);
			return EXIT_FAIL;
		}
		cli_print_json(out, 1);
		return EXIT_OK;
	}
	printf("destination    %s\n", c->backup_dir);
	if (shipped)
		printf("wal shipped    generation %lld, frame %lu, last commit shipped %s (%.0f s "
		       "ago)\n",
		       gen, frame, last, (double)time(NULL) - (double)last_ms / 1000.0);
	else
		printf("wal shipped    nothing yet (slate serve ships it: is backup_dir set "
		       "there?)\n");
	if (m != NULL)
		printf("last snapshot  %s, created %s, %lld bytes\n", name,
		       json_string_value(json_object_get(m, "created_at")),
		       (long long)json_integer_value(json_object_get(m, "size")));
	else
		printf("last snapshot  none\n");
	print_drill(&d, at);
	json_decref(m);
	return status_s3(c);
}

int
cmd_backup(int argc, char **argv)
{
	static int as_json;
	static const struct cli_flag flags[] = {
	    {"--data", "data", NULL, NULL},
	    {"--key-file", "key_file", NULL, NULL},
	    {"--json", NULL, &as_json, NULL},
	    {NULL, NULL, NULL, NULL},
	};
	struct config c;
	const char *sub = argc > 0 ? argv[0] : "";
	int done, rc;

	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
		fputs(backup_help, stdout);
		return EXIT_OK;
	}
	if (strcmp(sub, "now") != 0 && strcmp(sub, "verify") != 0 && strcmp(sub, "status") != 0) {
		cli_error("backup", "say now, verify or status (see slate backup --help)");
		return EXIT_USAGE;
	}
	rc = cli_config("backup", argc - 1, argv + 1, flags, backup_help, &c, &done);
	if (rc != EXIT_OK || done)
		goto out;
	rc = EXIT_FAIL;
	if (need_dest("backup", &c) == -1)
		goto out;
	rc = strcmp(sub, "now") == 0      ? now_cmd(&c)
	     : strcmp(sub, "verify") == 0 ? verify_cmd(&c)
	                                  : status_cmd(&c, as_json);
out:
	config_free(&c);
	return rc;
}

/*
 * A time for --at in ms since 1970: RFC 3339 (YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM))
 * or a Unix time in seconds (fractions allowed). -1 when it is neither.
 */
static long long
parse_time_ms(const char *s)
{
	struct tm tm;
	const char *p;
	char *end;
	long long ms = 0;

	if (s[0] >= '0' && s[0] <= '9' && strchr(s, '-') == NULL) {
		double v;
		errno = 0;
		v = strtod(s, &end);
		if (errno != 0 || *end != '\0' || v < 0 || v > 32503680000.0)
			return -1;
		return (long long)(v * 1000.0 + 0.5);
	}
	memset(&tm, 0, sizeof(tm));
	if ((p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return -1;
	if (*p == '.') {
		long long scale = 100;
		for (p++; *p >= '0' && *p <= '9'; p++) {
			ms += (*p - '0') * scale;
			scale /= 10;
		}
	}
	ms += (long long)timegm(&tm) * 1000;
	if (*p == 'Z' || *p == 'z')
		return p[1] == '\0' ? ms : -1;
	if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
		long h = strtol(p + 1, &end, 10), m;
		if (end != p + 3)
			return -1;
		m = strtol(p + 4, &end, 10);
		if (*end != '\0' || h > 23 || m > 59)
			return -1;
		return ms - (*p == '+' ? 1 : -1) * (h * 3600 + m * 60) * 1000;
	}
	return -1;
}

/* What a restore reached, in two lines. */
static void
print_restored(const struct backup_restored *rp, const struct config *c, int at)
{
	printf("Restored snapshot %s (created %s, %lld bytes, position %lld, %lld audit events, "
	       "keystore %s) into %s in %.2f s.\n",
	       rp->snapshot, rp->created_at, rp->size, rp->position, rp->audit_events, rp->keystore,
	       c->data_dir, rp->seconds);
	if (rp->replayed && (at || rp->commits > 0)) {
		char when[40];
		time_t t = (time_t)(rp->reached_ms / 1000);
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		printf("Replayed %lld transactions from %lld segments (%lld WAL generations): time "
		       "reached %s.%03lldZ (%lld ms), %lld bytes, %.2f s in all.\n",
		       rp->commits, rp->segments, rp->generations, when, rp->reached_ms % 1000,
		       rp->reached_ms, rp->size, rp->seconds);
	}
}

static void
say_replayed(const char *line, void *arg)
{
	(void)arg;
	printf("%s\n", line);
}

/*
 * After a restore: the destination's deletion log into the new directory,
 * then replayed there (backup/erasure.h), so that the people deleted since
 * the snapshot are deleted again before anyone serves it. src is the store
 * restored from, or NULL for a directory (from). 0, or -1 after one line.
 */
static int
replay_deletions(const struct config *c, struct backup_dest *src, const char *from)
{
	struct dest_spec spec = {DEST_DIR, from, NULL, NULL, NULL, NULL, NULL, NULL, 0};
	struct erasure_report rep = {0};
	struct backup_dest *dir = NULL;
	struct keyring *keys = NULL;
	struct store *s = NULL;
	struct err e;
	int fetched = -1, rc = -1;

	if (src != NULL || (dir = dest_open(&spec, &e)) != NULL)
		fetched = erasure_fetch(src != NULL ? src : dir, c->data_dir, &e);
	dest_close(dir);
	if (fetched == -1) {
		cli_error(
		    "restore",
		    "the data is restored into %s, but the deletion log could not be fetched "
		    "(%s): put the latest deletions.log into it and run slate purge --data %s "
		    "before serving it",
		    c->data_dir, e.msg, c->data_dir);
		return -1;
	}
	if (fetched == 0) /* nobody was deleted before it: nothing to say */
		return 0;
	if ((s = cli_open_store("restore", c, &keys)) != NULL &&
	    erasure_replay(s, keys, c->data_dir, 0, say_replayed, NULL, &rep, &e) == 0) {
		printf("Replayed the deletion log: %d of its %d deletions were done again.\n",
		       rep.replayed, rep.entries);
		rc = 0;
	} else if (s != NULL) {
		cli_error("restore",
		          "the data is restored into %s, but %s: run slate purge --data %s "
		          "before serving it",
		          c->data_dir, e.msg, c->data_dir);
	}
	store_close(s);
	keyring_close(keys);
	return rc;
}

int
cmd_restore(int argc, char **argv)
{
	static int latest;
	static const char *from, *snapshot, *keystore, *at;
	static const struct cli_flag flags[] = {
	    {"--to", "data", NULL, NULL},
	    {"--key-file", "key_file", NULL, NULL},
	    {"--from", NULL, NULL, &from},
	    {"--snapshot", NULL, NULL, &snapshot},
	    {"--keystore", NULL, NULL, &keystore},
	    {"--latest", NULL, &latest, NULL},
	    {"--at", NULL, NULL, &at},
	    {NULL, NULL, NULL, NULL},
	};
	struct backup_restored r;
	struct config c;
	struct err e;
	char *default_key = NULL;
	long long at_ms = -2;
	int done, rc, has_to = 0, deletions = 0;

	for (int i = 0; i < argc; i++)
		has_to |= strcmp(argv[i], "--to") == 0 || strncmp(argv[i], "--to=", 5) == 0;
	rc = cli_config("restore", argc, argv, flags, restore_help, &c, &done);
	if (rc != EXIT_OK || done)
		goto out;
	rc = EXIT_USAGE;
	if (!has_to) {
		cli_error("restore", "say where to restore to: --to NEWDIR (absent or empty)");
		goto out;
	}
	if ((latest != 0) + (snapshot != NULL) + (at != NULL) > 1) {
		cli_error("restore", "say one of --latest, --at TIME or --snapshot NAME");
		goto out;
	}
	if (at != NULL && (at_ms = parse_time_ms(at)) < 0) {
		cli_error("restore",
		          "--at '%s' is not a time: say 2026-12-04T21:03:05Z (RFC 3339, UTC or an "
		          "offset, fractions allowed) or a Unix time",
		          at);
		goto out;
	}
	if (latest)
		at_ms = -1;
	if (from == NULL)
		from = c.backup_dir;
	if (from == NULL || from[0] == '\0') {
		cli_error("restore", "say where the backups are: --from DEST (or backup_dir)");
		goto out;
	}
	default_key = xasprintf("%s/master.key", c.data_dir);
	if (strcmp(c.key_file, default_key) == 0) {
		cli_error("restore", "say which master key opens the backup: --key-file PATH");
		goto out;
	}
	rc = EXIT_FAIL;
	if (strcmp(from, "s3") == 0) {
		struct backup_dest *s3 = NULL;
		if (backup_s3_open(&c, &s3, &e) == 0 && s3 == NULL)
			err_set(
			    &e, 400,
			    "--from s3 needs the S3 store's settings ([backup] s3_endpoint, ...)");
		if (s3 == NULL || backup_restore_from(s3, snapshot, keystore, c.data_dir,
		                                      c.key_file, at_ms, &r, &e) == -1) {
			cli_error("restore", "%s", e.msg);
			dest_close(s3);
			goto out;
		}
		print_restored(&r, &c, at != NULL);
		deletions = replay_deletions(&c, s3, NULL);
		dest_close(s3);
	} else if (backup_restore_at(from, snapshot, keystore, c.data_dir, c.key_file, at_ms, &r,
	                             &e) == -1) {
		cli_error("restore", "%s", e.msg);
		goto out;
	} else {
		print_restored(&r, &c, at != NULL);
		deletions = replay_deletions(&c, NULL, from);
	}
	if (deletions == -1)
		goto out;
	rc = EXIT_OK;
out:
	free(default_key);
	config_free(&c);
	return rc;
}

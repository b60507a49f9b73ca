/*
 * destctl.c — a test driver for the backup destinations (src/backup/dest.h),
 * built by the Makefile (build/destctl), never installed: the API tests run
 * it against a real directory and a real S3-compatible server (s3rver) until
 * backup.c uses the destinations itself.
 *
 *   destctl dir|s3 label
 *   destctl dir|s3 put NAME LOCAL_FILE
 *   destctl dir|s3 putmem NAME TEXT
 *   destctl dir|s3 get NAME LOCAL_FILE     exit 2 and "not found" when absent
 *   destctl dir|s3 list [PREFIX]           "NAME SIZE" lines
 *   destctl dir|s3 delete NAME
 *   destctl sign METHOD HOST PATH QUERY PAYLOAD_SHA256 AMZ_DATE REGION KEY_ID SECRET
 *                                          the Authorization header Slate would send
 *
 * The destination comes from the SLATE_* settings in the environment
 * (SLATE_BACKUP_DIR, SLATE_BACKUP_S3_*), checked by config_finish as slate's
 * own. An error is one line on stderr and exit 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup/dest.h"
#include "util/config.h"

static int
print_one(const char *name, long long size, void *arg)
{
	(void)arg;
	printf("%s %lld\n", name, size);
	return 0;
}

static const char *
env(const char *name)
{
	return getenv(name);
}

int
main(int argc, char **argv)
{
	struct config c;
	struct dest_spec specs[2];
	struct backup_dest *d = NULL;
	struct err e = {0};
	int n = 0, rc = 1, want;

	if (argc == 11 && strcmp(argv[1], "sign") == 0) {
		char auth[512];
		struct sigv4_request r = {argv[2], argv[3], argv[4], argv[5],  argv[6], argv[7],
		                          argv[8], "s3",    argv[9], argv[10], 1};
		if (dest_sigv4_authorization(&r, auth, sizeof(auth)) == -1) {
			fputs("destctl: cannot sign\n", stderr);
			return 1;
		}
		puts(auth);
		return 0;
	}
	if (argc < 3 || (strcmp(argv[1], "dir") != 0 && strcmp(argv[1], "s3") != 0)) {
		fputs("usage: destctl dir|s3 label|put|putmem|get|list|delete ...\n", stderr);
		return 1;
	}
	want = strcmp(argv[1], "s3") == 0 ? DEST_S3 : DEST_DIR;
	config_defaults(&c);
	if (config_load_env(&c, env, &e) == -1 || config_finish(&c, &e) == -1 ||
	    dest_specs_from_config(&c, specs, &n, &e) == -1)
		goto out;
	for (int i = 0; i < n; i++)
		if ((int)specs[i].kind == want && (d = dest_open(&specs[i], &e)) == NULL)
			goto out;
	if (d == NULL) {
		snprintf(e.msg, sizeof(e.msg), "no %s destination configured", argv[1]);
		goto out;
	}
	if (strcmp(argv[2], "label") == 0 && argc == 3) {
		puts(dest_label(d));
		rc = 0;
	} else if (strcmp(argv[2], "put") == 0 && argc == 5) {
		rc = dest_put_file(d, argv[3], argv[4], &e) == 0 ? 0 : 1;
	} else if (strcmp(argv[2], "putmem") == 0 && argc == 5) {
		rc = dest_put_mem(d, argv[3], argv[4], strlen(argv[4]), &e) == 0 ? 0 : 1;
	} else if (strcmp(argv[2], "get") == 0 && argc == 5) {
		int r = dest_get_file(d, argv[3], argv[4], &e);
		if (r == 1)
			snprintf(e.msg, sizeof(e.msg), "not found");
		rc = r == 0 ? 0 : r == 1 ? 2 : 1;
	} else if (strcmp(argv[2], "list") == 0 && (argc == 3 || argc == 4)) {
		rc = dest_list(d, argc == 4 ? argv[3] : "", print_one, NULL, &e) == 0 ? 0 : 1;
	} else if (strcmp(argv[2], "delete") == 0 && argc == 4) {
		rc = dest_delete(d, argv[3], &e) == 0 ? 0 : 1;
	} else {
		snprintf(e.msg, sizeof(e.msg), "unknown command or wrong arguments");
	}
out:
	if (rc != 0)
		fprintf(stderr, "destctl: %s\n", e.msg);
	dest_close(d);
	config_free(&c);
	return rc;
}

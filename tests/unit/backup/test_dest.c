/*
 * The backup destinations (backup/dest.h): the directory destination on a
 * real temporary directory, the name rules, the S3 list parser on good and
 * hostile answers, the S3 settings' rules and the SigV4 signer on AWS's
 * published test vector.
 */
#include "cmocka_all.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup/dest.h"
#include "util/xalloc.h"

struct seen {
	char names[16][128];
	long long sizes[16];
	int n;
	int stop_at; /* return 7 at this call (1-based), 0 never */
};

static int
collect(const char *name, long long size, void *arg)
{
	struct seen *s = arg;
	if (s->n < 16) {
		snprintf(s->names[s->n], sizeof(s->names[s->n]), "%s", name);
		s->sizes[s->n] = size;
	}
	s->n++;
	return s->stop_at != 0 && s->n == s->stop_at ? 7 : 0;
}

static char *
read_all(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = xcalloc(1, 4096);
	size_t n;
	assert_non_null(f);
	n = fread(buf, 1, 4095, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void
a_directory_destination_puts_gets_lists_and_deletes(void **state)
{
	char root[] = "/tmp/slate-dest-XXXXXX";
	struct dest_spec spec = {0};
	struct backup_dest *d;
	struct seen s = {0};
	struct err e = {0};
	struct stat st;
	char *path, *local, *got, *back;

	(void)state;
	assert_non_null(mkdtemp(root));
	spec.kind = DEST_DIR;
	spec.dir = path = xasprintf("%s/dest", root);
	d = dest_open(&spec, &e);
	assert_non_null(d);
	assert_int_equal(strncmp(dest_label(d), "dir:", 4), 0);
	assert_string_equal(dest_label(d) + 4, path);
	/* the shipper reads a directory's files in place, under this root */
	assert_string_equal(dest_dir_root(d), path);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);

	local = xasprintf("%s/local.seg", root);
	{
		FILE *f = fopen(local, "wb");
		assert_non_null(f);
		fputs("frame frame frame", f);
		fclose(f);
	}
	assert_int_equal(dest_put_file(d, "wal/g1/000002.seg", local, &e), 0);
	assert_int_equal(dest_put_mem(d, "wal/g1/000001.seg", "one", 3, &e), 0);
	assert_int_equal(dest_put_mem(d, "snapshots/b.json", "{}", 2, &e), 0);
	assert_int_equal(dest_put_mem(d, "snapshots/a.json", "{\"x\":1}", 7, &e), 0);
	/* a put replaces the whole object */
	assert_int_equal(dest_put_mem(d, "snapshots/b.json", "{\"y\":22}", 8, &e), 0);

	got = xasprintf("%s/dest/wal/g1", root);
	assert_int_equal(stat(got, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	free(got);
	got = xasprintf("%s/dest/wal/g1/000002.seg", root);
	assert_int_equal(stat(got, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	free(got);

	/* a leftover temporary file and a symbolic link are never listed */
	got = xasprintf("%s/dest/wal/g1/.000003.seg.tmp-abcdef", root);
	close(open(got, O_WRONLY | O_CREAT, 0600));
	free(got);
	got = xasprintf("%s/dest/wal/link", root);
	assert_int_equal(symlink("/etc", got), 0);
	free(got);

	assert_int_equal(dest_list(d, "", collect, &s, &e), 0);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.names[0], "snapshots/a.json");
	assert_string_equal(s.names[1], "snapshots/b.json");
	assert_int_equal(s.sizes[1], 8);
	assert_string_equal(s.names[2], "wal/g1/000001.seg");
	assert_string_equal(s.names[3], "wal/g1/000002.seg");
	assert_int_equal(s.sizes[3], 17);

	memset(&s, 0, sizeof(s));
	assert_int_equal(dest_list(d, "wal/", collect, &s, &e), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.names[0], "wal/g1/000001.seg");
	memset(&s, 0, sizeof(s));
	assert_int_equal(dest_list(d, "snapshots/b", collect, &s, &e), 0);
	assert_int_equal(s.n, 1);
	/* each's non-zero answer stops the walk and comes back */
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	assert_int_equal(dest_list(d, "", collect, &s, &e), 7);
	assert_int_equal(s.n, 2);

	back = xasprintf("%s/back", root);
	assert_int_equal(dest_get_file(d, "wal/g1/000002.seg", back, &e), 0);
	got = read_all(back);
	assert_string_equal(got, "frame frame frame");
	free(got);
	assert_int_equal(stat(back, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(dest_get_file(d, "wal/g1/000009.seg", back, &e), 1);
	assert_int_equal(dest_get_file(d, "nothere/x", back, &e), 1);

	assert_int_equal(dest_delete(d, "wal/g1/000002.seg", &e), 0);
	assert_int_equal(dest_delete(d, "wal/g1/000002.seg", &e), 0);
	assert_int_equal(dest_get_file(d, "wal/g1/000002.seg", back, &e), 1);
	memset(&s, 0, sizeof(s));
	assert_int_equal(dest_list(d, "wal/", collect, &s, &e), 0);
	assert_int_equal(s.n, 1);

	/* a name that leaves the root is refused before anything is touched */
	assert_int_equal(dest_put_mem(d, "../escape", "x", 1, &e), -1);
	assert_non_null(strstr(e.msg, "backup object name"));
	got = xasprintf("%s/escape", root);
	assert_int_equal(access(got, F_OK), -1);
	free(got);

	dest_close(d);
	got = xasprintf("rm -rf '%s'", root);
	assert_int_equal(system(got), 0);
	free(got);
	free(back);
	free(local);
	free(path);
}

static void
names_are_relative_paths_without_dot_or_empty_components(void **state)
{
	static const char *good[] = {"a", "snapshots/X.db", "wal/G/000001.seg", "a b/c+d=e&f",
	                             "x.y/z..w"};
	static const char *bad[] = {"",       "/abs", "a//b",    "a/",     "..",   "../x", "a/..",
	                            "a/../b", "./a",  ".hidden", "a/.tmp", "a\nb", "a\\b", "a\x7f"};
	char *longname = xmalloc(DEST_NAME_MAX + 2);
	struct err e;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(dest_name_check(good[i], &e), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&e);
		assert_int_equal(dest_name_check(bad[i], &e), -1);
		assert_non_null(strstr(e.msg, "backup object name"));
	}
	memset(longname, 'a', DEST_NAME_MAX + 1);
	longname[DEST_NAME_MAX + 1] = '\0';
	assert_int_equal(dest_name_check(longname, &e), -1);
	longname[DEST_NAME_MAX] = '\0';
	assert_int_equal(dest_name_check(longname, &e), 0);
	free(longname);
}

static int
parse(const char *xml, struct seen *s, struct s3_list_page *page, struct err *e)
{
	memset(s, 0, sizeof(*s));
	return dest_s3_list_parse(xml, strlen(xml), collect, s, page, e);
}

static void
the_s3_list_parser_reads_keys_sizes_and_paging(void **state)
{
	static const char page1[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
	    "<Name>slate-backups</Name><Prefix>team/prod/</Prefix><KeyCount>2</KeyCount>"
	    "<MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>"
	    "<Contents><Key>team/prod/a &amp; b&#x2B;&#61;.txt</Key>"
	    "<LastModified>2026-12-04T10:15:00.000Z</LastModified>"
	    "<ETag>&quot;9a0364b9e99bb480dd25e1f0284c8555&quot;</ETag>"
	    "<Size>1</Size><StorageClass>STANDARD</StorageClass></Contents>"
	    "<Contents><Key>team/prod/snapshots/x.db</Key><Size>123456789012</Size></Contents>"
	    "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</"
	    "NextContinuationToken>"
	    "</ListBucketResult>";
	static const char last[] = "<ListBucketResult><IsTruncated>false</IsTruncated>"
	                           "<Contents><Size>3</Size><Key>k</Key></Contents>"
	                           "</ListBucketResult>";
	static const char empty[] = "<ListBucketResult><KeyCount>0</KeyCount></ListBucketResult>";
	struct s3_list_page page;
	struct seen s;
	struct err e;

	(void)state;
	assert_int_equal(parse(page1, &s, &page, &e), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.names[0], "team/prod/a & b+=.txt");
	assert_int_equal(s.sizes[0], 1);
	assert_string_equal(s.names[1], "team/prod/snapshots/x.db");
	assert_int_equal(s.sizes[1], 123456789012LL);
	assert_int_equal(page.truncated, 1);
	assert_string_equal(page.token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");

	assert_int_equal(parse(last, &s, &page, &e), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.sizes[0], 3);
	assert_int_equal(page.truncated, 0);
	assert_string_equal(page.token, "");

	assert_int_equal(parse(empty, &s, &page, &e), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(page.truncated, 0);
}

static void
the_s3_list_parser_refuses_hostile_answers(void **state)
{
	static const char *bad[] = {
	    "",
	    "<Error><Code>AccessDenied</Code></Error>",
	    "<ListBucketResult><Contents><Key>a</Key><Size>1</Size>",             /* unclosed */
	    "<ListBucketResult><Contents><Size>1</Size></Contents>",              /* no key */
	    "<ListBucketResult><Contents><Key></Key><Size>1</Size></Contents>",   /* empty key */
	    "<ListBucketResult><Contents><Key>a</Key></Contents>",                /* no size */
	    "<ListBucketResult><Contents><Key>a</Key><Size>-1</Size></Contents>", /* sign */
	    "<ListBucketResult><Contents><Key>a</Key><Size>1e9</Size></Contents>",
	    "<ListBucketResult><Contents><Key>a</Key><Size>9999999999999999999</Size></Contents>",
	    "<ListBucketResult><Contents><Key>a</Key><Size></Size></Contents>",
	    "<ListBucketResult><Contents><Key>a<b/></Key><Size>1</Size></Contents>", /* markup */
	    "<ListBucketResult><Contents><Key>a&#0;b</Key><Size>1</Size></Contents>",
	    "<ListBucketResult><Contents><Key>a&#x100;</Key><Size>1</Size></Contents>",
	    "<ListBucketResult><Contents><Key>a&#99999999999;</Key><Size>1</Size></Contents>",
	    "<ListBucketResult><Contents><Key>a&bogus;</Key><Size>1</Size></Contents>",
	    "<ListBucketResult><Contents><Key>a&amp</Key><Size>1</Size></Contents>",
	    "<ListBucketResult><Contents><Key>a&#</Key><Size>1</Size></Contents>",
	    "<ListBucketResult><Contents><Key>a&#x;</Key><Size>1</Size></Contents>",
	    "<ListBucketResult><IsTruncated>maybe</IsTruncated>",
	    "<ListBucketResult><IsTruncated>true",
	    "<ListBucketResult><IsTruncated>true</IsTruncated>", /* truncated, no token */
	    "<ListBucketResult><IsTruncated>true</IsTruncated>"
	    "<NextContinuationToken></NextContinuationToken>",
	    "<ListBucketResult><NextContinuationToken>abc",
	};
	struct s3_list_page page;
	struct seen s;
	struct err e;
	char *huge_key, *huge_token;
	size_t k = 1100;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&e);
		if (parse(bad[i], &s, &page, &e) != -1)
			fail_msg("accepted: %s", bad[i]);
		assert_true(e.msg[0] != '\0');
	}
	/* a key longer than S3's 1024 bytes, a token longer than 1024 */
	huge_key = xmalloc(k + 128);
	memcpy(huge_key, "<ListBucketResult><Contents><Key>", 33);
	memset(huge_key + 33, 'k', k);
	strcpy(huge_key + 33 + k, "</Key><Size>1</Size></Contents></ListBucketResult>");
	assert_int_equal(parse(huge_key, &s, &page, &e), -1);
	huge_token = xmalloc(k + 128);
	strcpy(huge_token,
	       "<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>");
	{
		size_t at = strlen(huge_token);
		memset(huge_token + at, 't', k);
		strcpy(huge_token + at + k, "</NextContinuationToken></ListBucketResult>");
	}
	assert_int_equal(parse(huge_token, &s, &page, &e), -1);
	free(huge_key);
	free(huge_token);
	/* a length that stops inside the document: nothing is read past it */
	{
		static const char doc[] = "<ListBucketResult><Contents><Key>a</Key><Size>1</Size>"
		                          "</Contents></ListBucketResult>";
		memset(&s, 0, sizeof(s));
		assert_int_equal(dest_s3_list_parse(doc, strlen(doc) - 30, collect, &s, &page, &e),
		                 -1);
		assert_int_equal(s.n, 0);
	}
}

static void
the_s3_settings_are_checked_one_rule_each(void **state)
{
	struct err e;
	(void)state;
#define OK(ep, b, p, r, c) assert_int_equal(dest_s3_settings_check(ep, b, p, r, c, &e), 0)
#define BAD(ep, b, p, r, c, what)                                                                  \
	do {                                                                                       \
		err_clear(&e);                                                                     \
		assert_int_equal(dest_s3_settings_check(ep, b, p, r, c, &e), -1);                  \
		assert_non_null(strstr(e.msg, what));                                              \
	} while (0)
	OK("https://s3.eu-west-1.amazonaws.com", "slate-backups", "", "eu-west-1", "/k");
	OK("https://minio.lan:9000/", "b.c-d", "team/prod", "us-east-1", "/k");
	OK("http://127.0.0.1:9000", "abc", "p", "us-east-1", "/k");
	OK("http://localhost:9000", "abc", "", "us-east-1", "/k");
	OK("http://[::1]:9000", "abc", "", "us-east-1", "/k");
	BAD("http://s3.example.com", "abc", "", "us-east-1", "/k", "plain http:// only for");
	BAD("http://127.0.0.1.evil.example", "abc", "", "us-east-1", "/k", "plain http:// only");
	BAD("http://localhost.evil:80", "abc", "", "us-east-1", "/k", "plain http:// only");
	BAD("https://user:pw@s3.example.com", "abc", "", "us-east-1", "/k", "s3_endpoint");
	BAD("https://s3.example.com/bucket", "abc", "", "us-east-1", "/k", "with no path");
	BAD("https://s3.example.com?x", "abc", "", "us-east-1", "/k", "s3_endpoint");
	BAD("https://s3.example.com:x1", "abc", "", "us-east-1", "/k", "port must be digits");
	BAD("https://", "abc", "", "us-east-1", "/k", "s3_endpoint");
	BAD("s3.example.com", "abc", "", "us-east-1", "/k", "s3_endpoint");
	BAD("https://s3.example.com", "ab", "", "us-east-1", "/k", "s3_bucket");
	BAD("https://s3.example.com", "Upper", "", "us-east-1", "/k", "s3_bucket");
	BAD("https://s3.example.com", "-abc", "", "us-east-1", "/k", "s3_bucket");
	BAD("https://s3.example.com", "a/bc", "", "us-east-1", "/k", "s3_bucket");
	BAD("https://s3.example.com", "abc", "/p", "us-east-1", "/k", "s3_prefix");
	BAD("https://s3.example.com", "abc", "p/", "us-east-1", "/k", "s3_prefix");
	BAD("https://s3.example.com", "abc", "a/../b", "us-east-1", "/k", "s3_prefix");
	BAD("https://s3.example.com", "abc", "a b", "us-east-1", "/k", "s3_prefix");
	BAD("https://s3.example.com", "abc", "", "", "/k", "s3_region");
	BAD("https://s3.example.com", "abc", "", "EU West", "/k", "s3_region");
	BAD("https://s3.example.com", "abc", "", "eu-west-1", "", "s3_credentials_file");
#undef OK
#undef BAD
}

static void
the_signer_matches_the_aws_sigv4_test_vector(void **state)
{
	/* AWS's "get-vanilla" from the Signature Version 4 test suite (aws-sig-v4-test-suite) */
	struct sigv4_request r = {
	    "GET",
	    "example.amazonaws.com",
	    "/",
	    "",
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "20150830T123600Z",
	    "us-east-1",
	    "service",
	    "AKIDEXAMPLE",
	    "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
	    0};
	char auth[512];

	(void)state;
	assert_int_equal(dest_sigv4_authorization(&r, auth, sizeof(auth)), 0);
	assert_string_equal(auth,
	                    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
	                    "aws4_request, SignedHeaders=host;x-amz-date, "
	                    "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d"
	                    "763fbf31");
	/* too small a buffer is an error, never a cut signature */
	assert_int_equal(dest_sigv4_authorization(&r, auth, 100), -1);
	/* a malformed date is refused */
	r.amz_date = "20150830";
	assert_int_equal(dest_sigv4_authorization(&r, auth, sizeof(auth)), -1);
}

static int
open_with_credentials(const char *content, mode_t mode, struct err *e)
{
	char path[] = "/tmp/slate-s3cred-XXXXXX";
	struct dest_spec spec = {0};
	struct backup_dest *d;
	int fd = mkstemp(path);
	size_t n = strlen(content);

	assert_true(fd != -1);
	assert_int_equal(write(fd, content, n), (ssize_t)n);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	spec.kind = DEST_S3;
	spec.s3_endpoint = "https://s3.eu-west-1.amazonaws.com";
	spec.s3_bucket = "slate-backups";
	spec.s3_prefix = "team/prod";
	spec.s3_region = "eu-west-1";
	spec.s3_credentials_file = path;
	d = dest_open(&spec, e);
	unlink(path);
	if (d == NULL)
		return -1;
	/* the label names the bucket and prefix, never the endpoint's secret parts or the key */
	assert_string_equal(dest_label(d), "s3://slate-backups/team/prod");
	assert_null(dest_dir_root(d));
	dest_close(d);
	return 0;
}

static void
the_credentials_file_is_two_lines_or_key_value_and_private(void **state)
{
	static const char *good[] = {
	    "AKIAIOSFODNN7EXAMPLE\nwJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
	    "AKIAIOSFODNN7EXAMPLE\r\nwJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	    "# rotated 2026-12\n\naccess_key_id=AKIAIOSFODNN7EXAMPLE\n"
	    "secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
	    "secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\naccess_key_id=AKIA\n",
	};
	static const char *bad[] = {
	    "",
	    "AKIAIOSFODNN7EXAMPLE\n",
	    "AKIAIOSFODNN7EXAMPLE\nsecret\nthird line\n",
	    "access_key_id=AKIAIOSFODNN7EXAMPLE\n",
	    "access_key_id=AKIA\nsecret_access_key=\n",
	    "access_key_id=AKIA\nsecret_access_key=s\nstray\n",
	    "AKIA EXAMPLE\nsecret\n",
	    "AKIA/EXAMPLE\nsecret\n",
	};
	struct err e;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		err_clear(&e);
		if (open_with_credentials(good[i], 0600, &e) != 0)
			fail_msg("refused credentials #%zu: %s", i, e.msg);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&e);
		if (open_with_credentials(bad[i], 0600, &e) != -1)
			fail_msg("accepted credentials #%zu", i);
		assert_non_null(strstr(e.msg, "S3 credentials file"));
		assert_null(strstr(e.msg, "EXAMPLE"));
		assert_null(strstr(e.msg, "secret_access_key=s"));
	}
	/* readable by the group or others: refused, and the message says how to fix it */
	err_clear(&e);
	assert_int_equal(open_with_credentials(good[0], 0640, &e), -1);
	assert_non_null(strstr(e.msg, "chmod 600"));
	assert_null(strstr(e.msg, "wJalr"));
}

static void
a_spec_comes_from_each_configured_destination(void **state)
{
	struct config c;
	struct dest_spec specs[2];
	struct err e;
	int n = -1;

	(void)state;
	config_defaults(&c);
	assert_int_equal(dest_specs_from_config(&c, specs, &n, &e), 0);
	assert_int_equal(n, 0);
	assert_int_equal(config_set(&c, "dir", "/backups", &e), 0);
	assert_int_equal(dest_specs_from_config(&c, specs, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(specs[0].kind, DEST_DIR);
	assert_string_equal(specs[0].dir, "/backups");
	assert_int_equal(config_set(&c, "s3_endpoint", "https://s3.example.com", &e), 0);
	assert_int_equal(config_set(&c, "s3_bucket", "slate-backups", &e), 0);
	assert_int_equal(config_set(&c, "s3_region", "eu-west-1", &e), 0);
	assert_int_equal(config_set(&c, "s3_credentials_file", "/etc/slate/s3", &e), 0);
	assert_int_equal(config_finish(&c, &e), 0);
	assert_int_equal(dest_specs_from_config(&c, specs, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_int_equal(specs[1].kind, DEST_S3);
	assert_string_equal(specs[1].s3_bucket, "slate-backups");
	assert_int_equal(specs[1].s3_timeout, 60);
	/* an s3_* setting without the endpoint is a mistake, not ignored */
	assert_int_equal(config_set(&c, "s3_endpoint", "", &e), 0);
	assert_int_equal(config_finish(&c, &e), -1);
	assert_non_null(strstr(e.msg, "s3_endpoint is not"));
	config_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_directory_destination_puts_gets_lists_and_deletes),
	    cmocka_unit_test(names_are_relative_paths_without_dot_or_empty_components),
	    cmocka_unit_test(the_s3_list_parser_reads_keys_sizes_and_paging),
	    cmocka_unit_test(the_s3_list_parser_refuses_hostile_answers),
	    cmocka_unit_test(the_s3_settings_are_checked_one_rule_each),
	    cmocka_unit_test(the_signer_matches_the_aws_sigv4_test_vector),
	    cmocka_unit_test(the_credentials_file_is_two_lines_or_key_value_and_private),
	    cmocka_unit_test(a_spec_comes_from_each_configured_destination),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Configuration: defaults, INI file, environment, precedence and the rules. */
#include "cmocka_all.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/config.h"

static const char *fake_env[][2] = {{NULL, NULL}, {NULL, NULL}, {NULL, NULL}};

static const char *
getenv_fake(const char *name)
{
	for (size_t i = 0; i < 3; i++)
		if (fake_env[i][0] && strcmp(fake_env[i][0], name) == 0)
			return fake_env[i][1];
	return NULL;
}

static char *
write_tmp(const char *text)
{
	static char path[64];
	int fd;
	strcpy(path, "/tmp/slate-test-config-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void
defaults_are_safe(void **state)
{
	struct config c;
	struct err e;
	(void)state;
	config_defaults(&c);
	assert_int_equal(config_set(&c, "data", "/srv/slate", &e), 0);
	assert_int_equal(config_finish(&c, &e), 0);
	assert_int_equal(c.environment, ENV_DEVELOPMENT);
	assert_string_equal(c.listen, "127.0.0.1:8443");
	assert_int_equal(c.max_body_bytes, 1048576);
	assert_string_equal(c.key_file, "/srv/slate/master.key");
	assert_string_equal(c.tls_cert, "/srv/slate/tls/cert.pem");
	assert_string_equal(c.security_policy, "https://localhost:8443/security-policy");
	assert_int_equal(c.max_connections_per_address, 256);
	assert_int_equal(c.loopback_reserve, 16);
	assert_int_equal(c.tls_handshake_timeout, 5);
	config_free(&c);
}

static void
file_then_env_then_flags(void **state)
{
	struct config c;
	struct err e;
	char *path = write_tmp("; comment\n[server]\nlisten = 0.0.0.0:443\nthreads = 3\n"
	                       "[limits]\nmax_body_bytes = 2048\n");
	(void)state;
	config_defaults(&c);
	assert_int_equal(config_load_file(&c, path, &e), 0);
	assert_string_equal(c.listen, "0.0.0.0:443");
	assert_int_equal(c.threads, 3);
	fake_env[0][0] = "SLATE_THREADS";
	fake_env[0][1] = "5";
	assert_int_equal(config_load_env(&c, getenv_fake, &e), 0);
	assert_int_equal(c.threads, 5);
	assert_int_equal(c.max_body_bytes, 2048);
	assert_int_equal(config_set(&c, "threads", "7", &e), 0);
	assert_int_equal(c.threads, 7);
	fake_env[0][0] = NULL;
	unlink(path);
	config_free(&c);
}

static void
bad_values_are_named(void **state)
{
	struct config c;
	struct err e;
	char *path;
	(void)state;
	config_defaults(&c);
	path = write_tmp("[server]\nlisten = 127.0.0.1:8443\nthreads = many\n");
	assert_int_equal(config_load_file(&c, path, &e), -1);
	assert_non_null(strstr(e.msg, "threads must be a whole number"));
	unlink(path);
	path = write_tmp("[server]\nlisten_typo = 1\n");
	assert_int_equal(config_load_file(&c, path, &e), -1);
	assert_non_null(strstr(e.msg, "unknown setting [server] listen_typo"));
	unlink(path);
	path = write_tmp("[server\nlisten = 1\n");
	assert_int_equal(config_load_file(&c, path, &e), -1);
	assert_non_null(strstr(e.msg, "line 1"));
	unlink(path);
	assert_int_equal(config_load_file(&c, "/nonexistent/slate.conf", &e), -1);
	fake_env[0][0] = "SLATE_MAX_BODY_BYTES";
	fake_env[0][1] = "-1";
	assert_int_equal(config_load_env(&c, getenv_fake, &e), -1);
	assert_non_null(strstr(e.msg, "SLATE_MAX_BODY_BYTES"));
	fake_env[0][0] = NULL;
	config_free(&c);
}

static void
retention_settings_read_from_the_file_and_the_environment_within_bounds(void **state)
{
	struct config c;
	struct err e;
	char *path;
	(void)state;
	config_defaults(&c);
	assert_int_equal(c.retention_interval, 3600);
	assert_int_equal(c.retention_dry_run, 0);
	assert_int_equal(c.retention_session_days, 30);
	assert_int_equal(c.retention_throttle_days, 30);
	assert_int_equal(c.retention_outbox_sent_hours, 24);
	assert_int_equal(c.retention_audit_days, 730);
	assert_int_equal(c.retention_drill_scratch_hours, 24);
	path = write_tmp("[retention]\ninterval = 0\naudit_days = 365\nsession_days = 7\n"
	                 "throttle_days = 2\noutbox_sent_hours = 1\ndrill_scratch_hours = 48\n"
	                 "dry_run = 1\n");
	assert_int_equal(config_load_file(&c, path, &e), 0);
	unlink(path);
	assert_int_equal(c.retention_interval, 0);
	assert_int_equal(c.retention_audit_days, 365);
	assert_int_equal(c.retention_session_days, 7);
	assert_int_equal(c.retention_throttle_days, 2);
	assert_int_equal(c.retention_outbox_sent_hours, 1);
	assert_int_equal(c.retention_drill_scratch_hours, 48);
	assert_int_equal(c.retention_dry_run, 1);
	fake_env[0][0] = "SLATE_RETENTION_AUDIT_DAYS";
	fake_env[0][1] = "31";
	assert_int_equal(config_load_env(&c, getenv_fake, &e), 0);
	assert_int_equal(c.retention_audit_days, 31);
	fake_env[0][1] = "0";
	assert_int_equal(config_load_env(&c, getenv_fake, &e), -1);
	assert_string_equal(
	    e.msg, "SLATE_RETENTION_AUDIT_DAYS: audit_days must be a whole number from 1 to "
	           "36500");
	fake_env[0][0] = NULL;
	path = write_tmp("[retention]\ndry_run = 2\n");
	assert_int_equal(config_load_file(&c, path, &e), -1);
	assert_non_null(strstr(e.msg, "[retention] dry_run must be a whole number from 0 to 1"));
	unlink(path);
	path = write_tmp("[retention]\noutbox_sent_hours = 0\n");
	assert_int_equal(config_load_file(&c, path, &e), -1);
	assert_non_null(strstr(e.msg, "outbox_sent_hours must be a whole number from 1 to 8760"));
	unlink(path);
	config_free(&c);
}

static void
rules_are_checked(void **state)
{
	struct config c;
	struct err e;
	(void)state;
	config_defaults(&c);
	config_set(&c, "environment", "prod", &e);
	assert_int_equal(config_finish(&c, &e), -1);
	assert_non_null(strstr(e.msg, "environment"));
	config_set(&c, "environment", "production", &e);
	config_set(&c, "public_url", "http://example.org", &e);
	assert_int_equal(config_finish(&c, &e), -1);
	config_set(&c, "public_url", "https://slate.example.org/", &e);
	config_set(&c, "listen", "8443", &e);
	assert_int_equal(config_finish(&c, &e), -1);
	config_set(&c, "listen", "[::1]:8443", &e);
	config_set(&c, "contact", "security@example.org", &e);
	assert_int_equal(config_finish(&c, &e), -1);
	config_set(&c, "contact", "mailto:security@example.org", &e);
	assert_int_equal(config_finish(&c, &e), 0);
	assert_string_equal(c.public_url, "https://slate.example.org");
	assert_int_equal(config_set(&c, "txt_days", "365", &e), -1);
	config_set(&c, "max_connections", "16", &e);
	assert_int_equal(config_finish(&c, &e), -1); /* the reserve (16) would be every slot */
	assert_non_null(strstr(e.msg, "loopback_reserve"));
	config_set(&c, "loopback_reserve", "15", &e);
	assert_int_equal(config_finish(&c, &e), 0);
	config_free(&c);
}

static void
a_bounce_address_is_a_bare_address_with_a_maildir(void **state)
{
	static const char *const bad[] = {"bounces",
	                                  "@example.org",
	                                  "bounces@",
	                                  "a@b@example.org",
	                                  "bounces+x@example.org",
	                                  "<bounces@example.org>",
	                                  "bounces @example.org",
	                                  "bounces@example.org\r\nRCPT TO:<x@y>"};
	struct config c;
	struct err e;
	(void)state;
	config_defaults(&c);
	assert_int_equal(config_finish(&c, &e), 0); /* off by default */
	assert_string_equal(c.mail_bounce_address, "");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		config_set(&c, "mail_bounce_address", bad[i], &e);
		config_set(&c, "mail_bounce_dir", "/var/mail/slate-bounces", &e);
		assert_int_equal(config_finish(&c, &e), -1);
		assert_non_null(strstr(e.msg, "mail_bounce_address"));
	}
	config_set(&c, "mail_bounce_address", "bounces@example.org", &e);
	config_set(&c, "mail_bounce_dir", "", &e);
	assert_int_equal(config_finish(&c, &e), -1);
	assert_non_null(strstr(e.msg, "mail_bounce_dir"));
	config_set(&c, "mail_bounce_dir", "/var/mail/slate-bounces", &e);
	assert_int_equal(config_finish(&c, &e), 0);
	config_free(&c);
}

static void
host_and_port(void **state)
{
	char host[64];
	int port;
	struct err e;
	(void)state;
	assert_int_equal(config_parse_hostport("127.0.0.1:0", host, sizeof(host), &port, &e), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 0);
	assert_int_equal(config_parse_hostport("[::1]:443", host, sizeof(host), &port, &e), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(config_parse_hostport("x:65536", host, sizeof(host), &port, &e), -1);
	assert_int_equal(config_parse_hostport(":80", host, sizeof(host), &port, &e), -1);
	assert_int_equal(config_parse_hostport("[::1]443", host, sizeof(host), &port, &e), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(defaults_are_safe),
	    cmocka_unit_test(file_then_env_then_flags),
	    cmocka_unit_test(bad_values_are_named),
	    cmocka_unit_test(rules_are_checked),
	    cmocka_unit_test(
	        retention_settings_read_from_the_file_and_the_environment_within_bounds),
	    cmocka_unit_test(host_and_port),
	    cmocka_unit_test(a_bounce_address_is_a_bare_address_with_a_maildir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

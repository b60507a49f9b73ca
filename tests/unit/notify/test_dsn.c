/* Delivery status notifications (notify/dsn.c): real-looking reports and what is not one. */
#include "cmocka_all.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify/dsn.h"

#define BOUNCE "bounces@slate.example"
#define ID     "msg_abcdefghijklmnopqrstuvwxyz"

/* A Postfix bounce as its bounce(8) daemon writes one, delivered by local(8). */
static const char postfix[] =
    "Return-Path: <>\n"
    "Delivered-To: bounces+" ID "@slate.example\n"
    "Received: by relay.slate.example (Postfix) id 4F1C2; Fri,  4 Dec 2026 10:00:00 +0000\n"
    "Date: Fri,  4 Dec 2026 10:00:00 +0000 (UTC)\n"
    "From: MAILER-DAEMON@relay.slate.example (Mail Delivery System)\n"
    "Subject: Undelivered Mail Returned to Sender\n"
    "To: bounces+" ID "@slate.example\n"
    "Auto-Submitted: auto-replied\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/report; report-type=delivery-status;\n"
    "\tboundary=\"4F1C2.1764842400/relay.slate.example\"\n"
    "Message-Id: <20261204100000.4F1C2@relay.slate.example>\n"
    "\n"
    "This is a MIME-encapsulated message.\n"
    "\n"
    "--4F1C2.1764842400/relay.slate.example\n"
    "Content-Description: Notification\n"
    "Content-Type: text/plain; charset=us-ascii\n"
    "\n"
    "I'm sorry to have to inform you that your message could not\n"
    "be delivered to one or more recipients.\n"
    "\n"
    "--4F1C2.1764842400/relay.slate.example\n"
    "Content-Description: Delivery report\n"
    "Content-Type: message/delivery-status\n"
    "\n"
    "Reporting-MTA: dns; relay.slate.example\n"
    "X-Postfix-Queue-ID: 4F1C2\n"
    "X-Postfix-Sender: rfc822; bounces+" ID "@slate.example\n"
    "Arrival-Date: Fri,  4 Dec 2026 09:59:58 +0000 (UTC)\n"
    "\n"
    "Final-Recipient: rfc822; gaffer@crew.example\n"
    "Original-Recipient: rfc822;gaffer@crew.example\n"
    "Action: failed\n"
    "Status: 5.1.1\n"
    "Remote-MTA: dns; mx.crew.example\n"
    "Diagnostic-Code: smtp; 550 5.1.1 <gaffer@crew.example>: Recipient address\n"
    "    rejected: User unknown in virtual mailbox table\n"
    "\n"
    "--4F1C2.1764842400/relay.slate.example\n"
    "Content-Description: Undelivered Message Headers\n"
    "Content-Type: text/rfc822-headers\n"
    "\n"
    "Subject: Day 1 - your call 06:15 - Northern Lights\n"
    "\n"
    "--4F1C2.1764842400/relay.slate.example--\n";

/* An Exim bounce (CRLF lines), delivered to a Maildir with X-Original-To. */
static const char exim[] =
    "X-Original-To: Bounces+" ID "@SLATE.example\r\n"
    "From: Mail Delivery System <Mailer-Daemon@mx.crew.example>\r\n"
    "To: bounces+" ID "@slate.example\r\n"
    "Content-Type: multipart/report; report-type=delivery-status; boundary=1764842400-eximdsn-1\r\n"
    "MIME-Version: 1.0\r\n"
    "Subject: Mail delivery failed: returning message to sender\r\n"
    "\r\n"
    "--1764842400-eximdsn-1\r\n"
    "Content-type: text/plain; charset=us-ascii\r\n"
    "\r\n"
    "This message was created automatically by mail delivery software.\r\n"
    "\r\n"
    "--1764842400-eximdsn-1\r\n"
    "Content-type: message/delivery-status\r\n"
    "\r\n"
    "Reporting-MTA: dns; mx.crew.example\r\n"
    "\r\n"
    "Action: failed\r\n"
    "Final-Recipient: rfc822;grip@crew.example\r\n"
    "Status: 5.0.0\r\n"
    "Remote-MTA: dns; store.crew.example\r\n"
    "Diagnostic-Code: smtp; 552 mailbox full\r\n"
    "\r\n"
    "--1764842400-eximdsn-1\r\n"
    "Content-type: message/rfc822\r\n"
    "\r\n"
    "Subject: Day 1\r\n"
    "\r\n"
    "--1764842400-eximdsn-1--\r\n";

static enum dsn_kind
parse(const char *msg, struct dsn *d)
{
	return dsn_parse(msg, strlen(msg), BOUNCE, d);
}

static void
a_postfix_bounce_names_its_message_status_and_diagnostic(void **state)
{
	struct dsn d;
	(void)state;
	assert_int_equal(parse(postfix, &d), DSN_FAILED);
	assert_string_equal(d.id, ID);
	assert_string_equal(d.status, "5.1.1");
	assert_string_equal(d.diagnostic,
	                    "smtp; 550 5.1.1 <gaffer@crew.example>: Recipient address "
	                    "rejected: User unknown in virtual mailbox table");
}

static void
an_exim_bounce_with_crlf_and_upper_case_address_is_read(void **state)
{
	struct dsn d;
	(void)state;
	assert_int_equal(parse(exim, &d), DSN_FAILED);
	assert_string_equal(d.id, ID);
	assert_string_equal(d.status, "5.0.0");
	assert_string_equal(d.diagnostic, "smtp; 552 mailbox full");
}

/* text with the first occurrence of from replaced by to (malloc'd). */
static char *
replaced(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	size_t n = strlen(text) - strlen(from) + strlen(to) + 1;
	char *out = malloc(n);
	assert_non_null(at);
	snprintf(out, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	return out;
}

static void
a_delayed_report_is_not_a_bounce(void **state)
{
	struct dsn d;
	char *a =
	    replaced(postfix, "Action: failed\nStatus: 5.1.1", "Action: delayed\nStatus: 4.4.1");
	char *b = replaced(postfix, "Status: 5.1.1", "Status: 4.2.2");
	(void)state;
	assert_int_equal(parse(a, &d), DSN_NOT_FAILED);
	assert_string_equal(d.id, ID);
	/* a failed action with a temporary status is not permanent either */
	assert_int_equal(parse(b, &d), DSN_NOT_FAILED);
	free(a);
	free(b);
}

static void
a_report_to_another_address_names_no_message(void **state)
{
	struct dsn d;
	char *a = replaced(postfix, "Delivered-To: bounces+", "Delivered-To: other+");
	char *b = replaced(a, "To: bounces+", "To: bounces+" ID "x@evil.example, bounces-");
	char *c = replaced(postfix, "Delivered-To: bounces+" ID, "Delivered-To: bounces+MSG.$");
	(void)state;
	assert_int_equal(parse(b, &d), DSN_UNADDRESSED);
	assert_string_equal(d.id, "");
	/* a malformed Delivered-To falls back to the To header */
	assert_int_equal(parse(c, &d), DSN_FAILED);
	assert_string_equal(d.id, ID);
	free(a);
	free(b);
	free(c);
}

static void
garbage_and_forged_plain_mail_are_not_reports(void **state)
{
	struct dsn d;
	static const char forged[] = "Delivered-To: bounces+" ID "@slate.example\n"
	                             "Content-Type: text/plain\n\n"
	                             "Action: failed\nStatus: 5.1.1\n";
	char *wrong_type =
	    replaced(postfix, "report-type=delivery-status", "report-type=disposition");
	(void)state;
	assert_int_equal(parse(forged, &d), DSN_INVALID);
	assert_int_equal(parse(wrong_type, &d), DSN_INVALID);
	assert_int_equal(parse("", &d), DSN_INVALID);
	assert_int_equal(dsn_parse("\0\0\n\n--", 6, BOUNCE, &d), DSN_INVALID);
	assert_int_equal(parse("\n\n\n", &d), DSN_INVALID);
	assert_int_equal(parse(postfix, &d), DSN_FAILED);
	assert_int_equal(dsn_parse(postfix, strlen(postfix), "no-at-sign", &d), DSN_INVALID);
	free(wrong_type);
}

static void
a_truncated_report_is_not_read(void **state)
{
	struct dsn d;
	const char *cut = strstr(postfix, "Action: failed");
	size_t n = strlen(postfix);
	(void)state;
	assert_non_null(cut);
	/* cut inside the delivery-status part: no closing delimiter follows */
	assert_int_equal(dsn_parse(postfix, (size_t)(cut - postfix) + 30, BOUNCE, &d), DSN_INVALID);
	/* a close delimiter with bytes after it is no delimiter: the report never closes */
	{
		char *c = replaced(postfix, "--4F1C2.1764842400/relay.slate.example--",
		                   "--4F1C2.1764842400/relay.slate.example--x");
		char *t = replaced(c,
		                   "--4F1C2.1764842400/relay.slate.example\n"
		                   "Content-Description: Undelivered",
		                   "Content-Description: Undelivered");
		assert_int_equal(parse(t, &d), DSN_INVALID);
		free(c);
		free(t);
	}
	/* every prefix is read without harm, and only whole reports count */
	for (size_t k = 0; k < n; k++) {
		char *copy = malloc(k ? k : 1);
		memcpy(copy, postfix, k);
		enum dsn_kind got = dsn_parse(copy, k, BOUNCE, &d);
		assert_true(got != DSN_FAILED || k > (size_t)(cut - postfix) + 60);
		free(copy);
	}
}

static void
huge_header_lines_and_hostile_diagnostics_stay_bounded(void **state)
{
	struct dsn d;
	size_t big = 200000;
	char *pad = malloc(big + 1), *diag, *a, *b;
	(void)state;
	memset(pad, 'p', big);
	pad[big] = '\0';
	/* a huge Subject, and a huge folded Diagnostic-Code with control characters */
	a = replaced(postfix, "Undelivered Mail", pad);
	diag = malloc(big + 64);
	snprintf(diag, big + 64, "Diagnostic-Code: smtp; 550 \x1b[31mred\x7f\xc3\xa9\t\n %s", pad);
	b = replaced(a, "Diagnostic-Code: smtp; 550 5.1.1 <gaffer@crew.example>: Recipient address",
	             diag);
	assert_int_equal(parse(b, &d), DSN_FAILED);
	assert_string_equal(d.status, "5.1.1");
	assert_true(strlen(d.diagnostic) < DSN_DIAG_LEN);
	assert_true(strncmp(d.diagnostic, "smtp; 550 [31mred ppp", 21) == 0);
	for (const char *p = d.diagnostic; *p; p++)
		assert_true(*p >= 0x20 && *p < 0x7f);
	/* a status that is not d.d.d is not a permanent failure */
	free(a);
	a = replaced(postfix, "Status: 5.1.1", "Status: 5.1111.1");
	assert_int_equal(parse(a, &d), DSN_NOT_FAILED);
	free(a);
	/* nor one with anything after it (it would be stored and shown) */
	a = replaced(postfix, "Status: 5.1.1", "Status: 5.1.1\x01;x");
	assert_int_equal(parse(a, &d), DSN_NOT_FAILED);
	free(a);
	free(b);
	free(diag);
	free(pad);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_postfix_bounce_names_its_message_status_and_diagnostic),
	    cmocka_unit_test(an_exim_bounce_with_crlf_and_upper_case_address_is_read),
	    cmocka_unit_test(a_delayed_report_is_not_a_bounce),
	    cmocka_unit_test(a_report_to_another_address_names_no_message),
	    cmocka_unit_test(garbage_and_forged_plain_mail_are_not_reports),
	    cmocka_unit_test(a_truncated_report_is_not_read),
	    cmocka_unit_test(huge_header_lines_and_hostile_diagnostics_stay_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

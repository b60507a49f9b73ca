/*
 * fuzz_dsn.c — libFuzzer harness for the bounce reader (notify/dsn.c): the
 * input is a mail file as the MTA would leave it in mail_bounce_dir/new.
 *
 * The input is parsed from an exact-size heap copy (no NUL after it, so
 * a read past the end is caught). Whatever it holds: the kind is one of
 * the four; an id is set exactly when the report was addressed (from
 * DSN_NOT_FAILED on) and is only [a-z0-9_]; a failure's status is 5.d.d;
 * the diagnostic is one line of printable ASCII, no longer than its
 * buffer and with no doubled or edge spaces. No leaks.
 */
#include <string.h>

#include "fuzz_common.h"
#include "notify/dsn.h"
#include "util/xalloc.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = xmalloc(size ? size : 1);
	struct dsn d;
	enum dsn_kind k;
	size_t n;

	if (size > 0)
		memcpy(in, data, size);
	k = dsn_parse(in, size, "bounces@slate.example", &d);
	CHECK(k == DSN_INVALID || k == DSN_UNADDRESSED || k == DSN_NOT_FAILED || k == DSN_FAILED);
	CHECK(strnlen(d.id, sizeof(d.id)) < sizeof(d.id));
	CHECK(strnlen(d.status, sizeof(d.status)) < sizeof(d.status));
	CHECK(strnlen(d.diagnostic, sizeof(d.diagnostic)) < sizeof(d.diagnostic));
	CHECK((d.id[0] != '\0') == (k == DSN_NOT_FAILED || k == DSN_FAILED));
	CHECK(strspn(d.id, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(d.id));
	if (k == DSN_FAILED) {
		CHECK(d.status[0] == '5' && d.status[1] == '.');
		CHECK(strspn(d.status, "0123456789.") == strlen(d.status));
	} else {
		CHECK(d.status[0] == '\0' && d.diagnostic[0] == '\0');
	}
	n = strlen(d.diagnostic);
	for (size_t i = 0; i < n; i++) {
		CHECK(d.diagnostic[i] >= 0x20 && d.diagnostic[i] < 0x7f);
		CHECK(d.diagnostic[i] != ' ' || (i > 0 && i + 1 < n && d.diagnostic[i - 1] != ' '));
	}
	free(in);
	return 0;
}

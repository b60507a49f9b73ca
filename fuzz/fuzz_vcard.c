/*
 * fuzz_vcard.c — libFuzzer harness for the vCard writer's handling of what
 * people type (domain/vcard.c): the phone normaliser vcard_tel_e164 and a
 * whole card whose name and phones are the input.
 *
 * The input up to its first NUL (an exact-size heap copy) is normalised:
 * an accepted number is '+', then 7 to 15 digits, the first not 0, and only
 * an input that starts (after spaces) with + or 00 is accepted. Then a card
 * is written with the input as its name and both phones: every line ends
 * CRLF and is at most 75 octets, and every TEL line is either a tel: URI in
 * E.164 or VALUE=text. No leaks.
 */
#include <string.h>

#include "domain/vcard.h"
#include "fuzz_common.h"
#include "util/xalloc.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = strnlen((const char *)data, size);
	char *in = xmalloc(n + 1), out[VCARD_E164_LEN], *card = NULL;
	size_t len = 0;
	const char *p;
	FILE *f;

	memcpy(in, data, n);
	in[n] = '\0';
	if (vcard_tel_e164(in, out, sizeof(out)) == 0) {
		size_t d = strlen(out) - 1;
		p = in + strspn(in, " ");
		CHECK(p[0] == '+' || (p[0] == '0' && p[1] == '0'));
		CHECK(out[0] == '+' && d >= 7 && d <= 15 && out[1] != '0');
		CHECK(strspn(out + 1, "0123456789") == d);
	}
	f = xopen_memstream(&card, &len);
	vcard_write(
	    f, &(struct vcard){.uid = "per_x", .name = in, .work_phone = in, .personal_phone = in});
	fclose(f);
	for (p = card; *p;) {
		const char *end = strstr(p, "\r\n");
		CHECK(end != NULL && end - p <= 75);
		if (strncmp(p, "TEL;", 4) == 0)
			CHECK(strncmp(p, "TEL;VALUE=uri;", 14) == 0 ||
			      strncmp(p, "TEL;VALUE=text;", 15) == 0);
		p = end + 2;
	}
	free(card);
	free(in);
	return 0;
}

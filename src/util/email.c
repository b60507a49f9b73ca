/*
 * email.c — see email.h.
 */
#include "util/email.h"

#include <string.h>

void
email_normalise(const char *in, char *out, size_t len)
{
	size_t i;
	if (len == 0)
		return;
	for (i = 0; in[i] && i + 1 < len; i++) {
		out[i] = in[i];
		if (in[i] >= 'A' && in[i] <= 'Z')
			out[i] = (char)(in[i] - 'A' + 'a'); /* ASCII only: not locale-dependent */
	}
	out[i] = '\0';
}

int
email_plausible(const char *s)
{
	const char *at = strchr(s, '@');
	size_t n = strlen(s);
	if (n == 0 || n > 254 || at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@'))
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

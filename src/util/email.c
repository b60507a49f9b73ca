/*
 * email.c — see email.h.
 */
#include "util/email.h"

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

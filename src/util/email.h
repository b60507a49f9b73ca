/*
 * email.h — the one way Slate compares email addresses: ASCII letters folded
 * to lower case, nothing else changed (no dot or plus rules: those belong to
 * particular mail providers, not to the address).
 */
#ifndef SLATE_UTIL_EMAIL_H
#define SLATE_UTIL_EMAIL_H

#include <stddef.h>

void email_normalise(const char *in, char *out, size_t len);
/* A plausible address: one '@' with something on both sides, no spaces or controls, at most
 * 254 bytes. Whether it receives mail only sending can tell. */
int email_plausible(const char *s);

#endif

/*
 * mfa.h — the second factor: TOTP (RFC 6238) with recovery codes.
 */
#ifndef SLATE_API_MFA_H
#define SLATE_API_MFA_H

#include "store/store.h"
#include "util/err.h"

/*
 * Checks a code for a user with a confirmed second factor: six digits are a
 * TOTP code (±1 step, never a step already used); anything else is tried as
 * an unused recovery code, which is then spent. 1 accepted, 0 refused, -1
 * error. Uses up what it accepts, atomically, so a code works once.
 */
int mfa_verify(struct store *s, const char *user_id, const char *code, struct err *e);

#endif

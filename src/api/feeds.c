/*
 * feeds.c — personal calendar feeds: a calendar app subscribes to a URL and
 * cannot send a cookie, so the URL itself is the credential.
 *
 * POST   /api/v1/productions/{id}/me/calendar-feed   a new feed URL, shown once
 *                                                     (any earlier one stops working)
 * DELETE /api/v1/productions/{id}/me/calendar-feed   revoke it
 * GET    /feeds/{token}.ics                           the calendar, no cookie
 *
 * The token is 256 bits from the CSPRNG (crypto/token.h), 43 base64url
 * characters in the URL; the store keeps only its SHA-256
 * (store/sqlite_feed.c), one per (account, production). Creating and
 * revoking are audited (`calendar_feed.create`, `calendar_feed.revoke`,
 * object the production id); neither the token nor its URL is logged.
 *
 * A feed answers what its owner may see, read afresh on every fetch: a
 * disabled account, a revoked membership or an unknown token all answer
 * the same 404, so a feed URL tells nobody whether it ever existed. It
 * holds only the owner's own calls, and only as last published
 * (rd.published_only, api/published.c), whatever the owner's role: a
 * calendar on a phone should not move while an AD drafts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "api/handlers.h"
#include "api/reply.h"
#include "api/session.h"
#include "api/view.h"
#include "api/call.h"
#include "crypto/token.h"
#include "util/xalloc.h"

/* public_url with its scheme swapped for webcal:// (public_url is https://, config.c checks). */
static char *
webcal_url(const char *public_url, const char *token)
{
	const char *host = strncmp(public_url, "https://", 8) == 0 ? public_url + 8 : public_url;
	return xasprintf("webcal://%s/feeds/%s.ics", host, token);
}

/* Members only (api/routes.c); the feed and its audit event commit together. */
void
feeds_create(struct api_call *c)
{
	const char *base = http_req_config(c->r)->public_url;
	const char *prod = c->rd.a.production.id;
	char text[TOKEN_TEXT_LEN], hash[TOKEN_HASH_LEN];
	struct err e;
	char *https, *webcal;
	json_t *out;

	if (api_call_begin(c) == -1)
		return;
	token_new(text, hash);
	if (store_feed_set(api_call_store(c), c->actor, prod, hash, (long long)time(NULL), &e) ==
	    -1) {
		sodium_memzero(text, sizeof(text));
		api_call_abort(c);
		api_unavailable(c->r, &e);
		return;
	}
	if (api_call_commit(c, NULL, prod) == -1) {
		sodium_memzero(text, sizeof(text));
		return;
	}
	https = xasprintf("%s/feeds/%s.ics", base, text);
	webcal = webcal_url(base, text);
	sodium_memzero(text, sizeof(text));
	out =
	    json_pack("{s:s, s:s, s:s}", "production_id", prod, "url", webcal, "https_url", https);
	sodium_memzero(https, strlen(https));
	sodium_memzero(webcal, strlen(webcal));
	http_end_reply_json(c->r, 201, out);
	free(https);
	free(webcal);
}

/* The caller's own feed only: 404 when they have none here. */
void
feeds_revoke(struct api_call *c)
{
	struct err e;
	int n;

	if (api_call_begin(c) == -1)
		return;
	n = store_feed_delete(api_call_store(c), c->actor, c->rd.a.production.id, &e);
	if (n == -1) {
		api_call_abort(c);
		api_unavailable(c->r, &e);
	} else if (n == 0) {
		api_call_abort(c);
		http_end_problem(c->r, 404, "you have no calendar feed for this production");
	} else if (api_call_commit(c, NULL, c->rd.a.production.id) == 0) {
		http_end_reply(c->r, 204, NULL, NULL, 0);
	}
}

/*
 * The reader of feed f, as api_reader_load would build it for its owner,
 * with published_only set: 1, 0 when the feed no longer opens (disabled,
 * not or no longer a member), -1 with e set.
 */
static int
feed_reader(struct store *s, const struct store_feed *f, long read_days, struct api_reader *rd,
            struct err *e)
{
	int found;

	memset(rd, 0, sizeof(*rd));
	if (f->user_disabled)
		return 0;
	if ((found = store_production_get(s, f->production_id, &rd->a.production, e)) != 1)
		return found;
	if ((found = store_membership_of(s, f->production_id, f->user_id, &rd->a.me, e)) != 1)
		return found;
	if (rd->a.me.revoked || rd->a.me.user.disabled ||
	    policy_role_parse(rd->a.me.role, &rd->role) != 0)
		return 0;
	rd->a.member = 1;
	if (!api_end_reads(&rd->a, read_days, (long long)time(NULL)))
		return 0; /* archived past its reading time, or closed (api/closing.c) */
	rd->has_role = 1;
	rd->published_only = 1;
	return api_reader_own_record(s, f->user_id, rd, e) == -1 ? -1 : 1;
}

void
feeds_get(struct api_call *c)
{
	struct http_req *r = c->r;
	static const char suffix[] = ".ics";
	const char *param = router_param(&r->match, "token");
	struct store *s = http_req_store(r);
	char text[TOKEN_TEXT_LEN], hash[TOKEN_HASH_LEN];
	size_t n = param != NULL ? strlen(param) : 0;
	struct api_reader rd;
	struct store_feed f;
	char *out = NULL;
	size_t len = 0;
	struct err e;
	FILE *fp;
	int found;

	memset(&rd, 0, sizeof(rd));
	if (n != TOKEN_TEXT_LEN - 1 + sizeof(suffix) - 1 ||
	    strcmp(param + TOKEN_TEXT_LEN - 1, suffix) != 0) {
		http_end_problem(r, 404, "there is no such calendar feed");
		return;
	}
	memcpy(text, param, TOKEN_TEXT_LEN - 1);
	text[TOKEN_TEXT_LEN - 1] = '\0';
	token_hash(text, hash);
	sodium_memzero(text, sizeof(text));
	if ((found = store_feed_by_hash(s, hash, &f, &e)) == 1)
		found = feed_reader(s, &f, http_req_config(r)->archive_read_days, &rd, &e);
	if (found == -1) {
		api_unavailable(r, &e);
		goto done;
	}
	if (found == 0) {
		http_end_problem(r, 404, "there is no such calendar feed");
		goto done;
	}
	if ((fp = open_memstream(&out, &len)) == NULL) {
		http_end_problem(r, 503, "the calendar could not be made right now");
		goto done;
	}
	if (calendar_write(fp, s, &rd, rd.person_id, 1, &e) == -1) {
		fclose(fp);
		api_unavailable(r, &e);
		goto done;
	}
	fclose(fp);
	http_end_reply(r, 200, "text/calendar; charset=utf-8", out, len);
done:
	if (out != NULL)
		sodium_memzero(out, len);
	free(out);
	api_reader_free(&rd);
}

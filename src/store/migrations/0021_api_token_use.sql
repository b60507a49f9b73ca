-- 0021_api_token_use: an API token shows when it was last used (Unix seconds,
-- written at most once a minute per token, NULL until first use). Tokens of
-- a membership that is revoked now are ended: revoking a membership ends its
-- tokens from now on, and a later reinstatement must not bring these back.
ALTER TABLE api_token ADD COLUMN last_used_at BIGINT;
UPDATE api_token SET revoked_at = CAST(strftime('%s', 'now') AS INTEGER)
 WHERE revoked_at IS NULL AND EXISTS (
       SELECT 1 FROM membership m
        WHERE m.user_id = api_token.user_id AND m.production_id = api_token.production_id
          AND m.revoked_at IS NOT NULL);

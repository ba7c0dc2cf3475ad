-- chipwatch schema: channels (issue 14). A `digests` row is one delivery record: one part of a
-- claimed digest rendered for one channel. `channel` NULL is mail (the profile's recipients);
-- otherwise the `[[channel]]` name, `message` holds the request body and `message_id` the
-- part's idempotency key, reused by every retry.
ALTER TABLE digests ADD COLUMN channel TEXT;
-- A service's `Retry-After`: not before this time, even when `digest send` ignores our own
-- backoff (`next_attempt_at`).
ALTER TABLE digests ADD COLUMN retry_after_until INTEGER;

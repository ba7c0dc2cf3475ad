-- chipwatch schema v9: unchanged bodies. A server that ignores conditional GET sends the same
-- document again and again; the digest of the last document parsed (`body_digest`: the whole
-- body with the encoding decision; `items_digest`: only its item elements, so a new
-- `lastBuildDate` or channel `pubDate` alone is recognised too) lets the poller skip parsing,
-- matching and the entry lookups when it comes again.
ALTER TABLE feeds ADD COLUMN body_digest TEXT;
ALTER TABLE feeds ADD COLUMN items_digest TEXT;

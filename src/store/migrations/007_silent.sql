-- chipwatch schema v7: silent feeds. `last_new_at` is when chipwatch last stored a new entry of
-- the feed (each poll that stores one sets it), so the digest footer and `feeds status` tell
-- silent feeds without reading the entries (600,000 rows with 10,000 feeds).
ALTER TABLE feeds ADD COLUMN last_new_at INTEGER;
UPDATE feeds SET last_new_at = (SELECT MAX(seen_at) FROM entries e WHERE e.feed_id = feeds.id);

-- chipwatch schema v7 (after 006): silent feeds. The digest footer asks, for every feed, when
-- chipwatch last stored a new entry of it (MAX(seen_at)) and how often it usually posts
-- (published_at). This covering index answers both from a few index pages per feed instead of
-- reading every entry row (600,000 rows, over 1 GB, with 10,000 feeds). `feeds status` uses it too.
CREATE INDEX IF NOT EXISTS entries_feed_seen ON entries(feed_id, seen_at, published_at);

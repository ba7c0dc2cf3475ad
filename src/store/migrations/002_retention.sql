-- chipwatch schema v2: retention. `last_seen_at` is the last poll whose document still listed
-- the entry; entries neither seen nor stored for `keep_days` are pruned (their stories and
-- deliveries stay, as tombstones, so a pruned story that reappears is not reported again).
ALTER TABLE entries ADD COLUMN last_seen_at INTEGER;
UPDATE entries SET last_seen_at = seen_at;
CREATE INDEX entries_last_seen ON entries(last_seen_at);

-- chipwatch schema: primary sources. Entries from non-feed sources (Federal Register documents,
-- screening-list changes) carry their structured metadata as JSON (model::EntryMeta); feed items
-- leave it NULL. A screening-list source keeps its last snapshot (the parsed records by
-- identity, JSON) to diff the next download against.
ALTER TABLE entries ADD COLUMN meta TEXT;
CREATE TABLE source_snapshots (
    feed_id  INTEGER PRIMARY KEY REFERENCES feeds(id),
    taken_at INTEGER NOT NULL,
    records  TEXT    NOT NULL
);

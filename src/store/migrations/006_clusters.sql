-- chipwatch schema v6: near-duplicate stories. Each matched entry's clustering signature and
-- its band keys (to find candidate stories by shared title tokens within the time window);
-- story_aliases sends later entries carrying the story key (canonical link) of an entry that
-- joined another story to that story, so the merge holds for syndicated copies too.
CREATE TABLE entry_sigs (
    entry_id INTEGER PRIMARY KEY REFERENCES entries(id),
    story_id INTEGER NOT NULL,
    feed_id  INTEGER NOT NULL,
    at       INTEGER NOT NULL,                  -- published_at, else the time it was stored
    dated    INTEGER NOT NULL,                  -- 1 when `at` is a publication time
    sig      BLOB    NOT NULL                   -- story::Signature::to_bytes
);
CREATE INDEX entry_sigs_story ON entry_sigs(story_id, dated, at);
CREATE TABLE story_bands (
    band     INTEGER NOT NULL,                  -- a band key (u64 bits as i64)
    at       INTEGER NOT NULL,
    entry_id INTEGER NOT NULL,
    PRIMARY KEY (band, at, entry_id)            -- candidate lookups read only this index
) WITHOUT ROWID;
CREATE TABLE story_aliases (
    story_key TEXT    PRIMARY KEY,
    story_id  INTEGER NOT NULL
) WITHOUT ROWID;

-- chipwatch schema v1. Times are Unix seconds (UTC).
CREATE TABLE feeds (
    id               INTEGER PRIMARY KEY,
    url              TEXT    NOT NULL UNIQUE,   -- identity: the URL as configured
    name             TEXT    NOT NULL DEFAULT '',
    tags             TEXT    NOT NULL DEFAULT '[]',
    redirect_url     TEXT,                      -- target of a permanent redirect
    etag             TEXT,
    last_modified    TEXT,
    last_status      INTEGER,
    last_error       TEXT,
    error_count      INTEGER NOT NULL DEFAULT 0,
    first_error_at   INTEGER,
    last_checked_at  INTEGER,
    last_success_at  INTEGER,
    next_check_at    INTEGER NOT NULL DEFAULT 0,
    retry_after_until INTEGER,
    gone             INTEGER NOT NULL DEFAULT 0,
    polled           INTEGER NOT NULL DEFAULT 0,
    entries_seen     INTEGER NOT NULL DEFAULT 0,
    format           TEXT,
    encoding         TEXT,
    repairs          TEXT,
    title            TEXT,
    interval_secs    INTEGER
);

CREATE TABLE stories (
    id            INTEGER PRIMARY KEY,
    story_key     TEXT    NOT NULL UNIQUE,
    first_seen_at INTEGER NOT NULL
);

CREATE TABLE entries (
    id             INTEGER PRIMARY KEY,
    feed_id        INTEGER NOT NULL REFERENCES feeds(id),
    key            TEXT    NOT NULL,
    story_id       INTEGER NOT NULL REFERENCES stories(id),
    title          TEXT    NOT NULL,
    link           TEXT,
    canonical_link TEXT,
    published_at   INTEGER,
    seen_at        INTEGER NOT NULL,
    summary        TEXT    NOT NULL,
    content        TEXT    NOT NULL,
    backfilled     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (feed_id, key)
);
CREATE INDEX entries_story ON entries(story_id);

CREATE TABLE matches (
    id         INTEGER PRIMARY KEY,
    entry_id   INTEGER NOT NULL REFERENCES entries(id),
    story_id   INTEGER NOT NULL REFERENCES stories(id),
    rule       TEXT    NOT NULL,
    score      REAL    NOT NULL,
    hits       TEXT    NOT NULL,               -- JSON [{term, field, start, end}]
    created_at INTEGER NOT NULL,
    UNIQUE (entry_id, rule)
);
CREATE INDEX matches_story ON matches(story_id);

CREATE TABLE digests (
    id              INTEGER PRIMARY KEY,
    profile         TEXT    NOT NULL,
    part            INTEGER NOT NULL DEFAULT 1,
    parts           INTEGER NOT NULL DEFAULT 1,
    message_id      TEXT    NOT NULL UNIQUE,
    status          TEXT    NOT NULL,          -- pending | sent | dead
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    recipients      TEXT    NOT NULL,          -- JSON {to, cc, bcc}
    subject         TEXT    NOT NULL,
    story_count     INTEGER NOT NULL,
    message         BLOB    NOT NULL           -- the rendered RFC 5322 message, sent as is
);
CREATE INDEX digests_status ON digests(status);

-- A story is delivered once per profile: this row is the claim.
CREATE TABLE deliveries (
    profile   TEXT    NOT NULL,
    story_id  INTEGER NOT NULL REFERENCES stories(id),
    digest_id INTEGER NOT NULL REFERENCES digests(id),
    PRIMARY KEY (profile, story_id)
);

CREATE TABLE profiles (
    name           TEXT PRIMARY KEY,
    last_digest_at INTEGER,
    next_due_at    INTEGER
);

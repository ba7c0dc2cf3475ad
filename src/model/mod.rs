//! Plain data shared by the pipeline stages: feed specifications, parsed entries, stored
//! matches and stories. No behaviour beyond small helpers; every stage speaks these types.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

mod ids;
pub mod regulatory;

pub use ids::{FeedId, StoryId};
pub use regulatory::{EntryMeta, SourceKind};

/// Where a feed comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedSource {
    /// http(s) or file:// URL.
    Url(url::Url),
    /// A local file (config `path = …`, resolved against the config file's folder).
    Path(PathBuf),
}

/// One feed as configured (from `[[feed]]` or the OPML file).
#[derive(Clone, PartialEq)]
pub struct FeedSpec {
    pub source: FeedSource,
    pub name: String,
    pub tags: Vec<String>,
    /// Per-feed polling interval override.
    pub interval: Option<Duration>,
    /// Offset (seconds east of UTC) for dates without a zone, e.g. +28800 for Chinese feeds.
    pub default_offset: Option<i32>,
    /// Extra request headers (tokens, basic auth); never logged.
    pub headers: Vec<(String, String)>,
    /// Written by the user in their own config (`[[feed]]`), not taken from an OPML file:
    /// only such a feed may name a local file.
    pub user_written: bool,
    /// What kind of source this is (a feed, a Federal Register query, a screening list): it
    /// decides how a fetched body becomes entries ([`crate::source`]).
    pub kind: SourceKind,
}

impl std::fmt::Debug for FeedSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("FeedSpec")
            .field("url", &crate::redact::url(&self.id_url()))
            .field("name", &self.name)
            .field("tags", &self.tags)
            .field("interval", &self.interval)
            .field("default_offset", &self.default_offset)
            .field("headers (values hidden)", &names)
            .field("user_written", &self.user_written)
            .field("kind", &self.kind.name())
            .finish()
    }
}

impl FeedSpec {
    /// The feed's identity: its URL as configured, or `file://` + absolute path.
    pub fn id_url(&self) -> String {
        match &self.source {
            FeedSource::Url(u) => u.to_string(),
            FeedSource::Path(p) => match url::Url::from_file_path(p) {
                Ok(u) => u.to_string(),
                Err(()) => format!("file://{}", p.display()),
            },
        }
    }
    /// Host used for the per-host concurrency limit ("" for local files).
    pub fn host(&self) -> String {
        match &self.source {
            FeedSource::Url(u) => u.host_str().unwrap_or("").to_ascii_lowercase(),
            FeedSource::Path(_) => String::new(),
        }
    }
}

/// One item of a parsed feed, reduced to what chipwatch needs. Text fields are plain text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    /// Identity within the feed: GUID, else canonical link, else hash of title + content.
    pub key: String,
    pub title: String,
    pub link: Option<String>,
    /// Canonical form of `link` (lowercase scheme/host, no fragment/default port/tracking).
    pub canonical_link: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub summary: String,
    pub content: String,
    /// True when the feed gives this same link to several distinct items (e.g. its homepage):
    /// the link then identifies nothing and is not used for stories.
    pub link_shared: bool,
    /// The outlet when the item relays another's story (RSS `<source>`, as in Google News):
    /// shown as the byline and in "also reported by" instead of the feed's name.
    pub outlet: Option<String>,
    /// Structured metadata from a non-feed source (a Federal Register document, a
    /// screening-list change); None for feed items.
    pub meta: Option<EntryMeta>,
}

impl Entry {
    /// Key that groups entries of different feeds into one story.
    pub fn story_key(&self, feed_id: i64) -> String {
        if let Some(k) = self.meta.as_ref().and_then(EntryMeta::story_key) {
            return k;
        }
        match (&self.canonical_link, self.link_shared) {
            (Some(l), false) => format!("link:{l}"),
            _ => format!("entry:{feed_id}:{}", self.key),
        }
    }
}

/// Result of parsing one feed document.
#[derive(Debug, Clone, Serialize)]
pub struct ParsedFeed {
    pub format: String,
    pub encoding: String,
    pub title: Option<String>,
    pub entries: Vec<Entry>,
    /// Repairs applied to get the document through the parser (shown in `feeds status`).
    pub repairs: Vec<String>,
    /// RSS `<ttl>` / `sy:updatePeriod` hint, if any.
    pub ttl: Option<Duration>,
    /// The feed's own link, id and date (`feeds inspect`).
    pub link: Option<String>,
    pub id: Option<String>,
    pub published: Option<DateTime<Utc>>,
    /// `<item>`/`<entry>` elements in the document (0 for JSON Feed).
    pub item_elements: usize,
    /// Set when the document lists items and fewer than half became entries: `unparsed: …` or
    /// `partial: …` (see [`crate::parse::health`]). Recorded on the feed; never silent.
    pub problem: Option<String>,
}

impl ParsedFeed {
    /// What a non-feed source kind read: its entries, under a format name and title.
    pub fn of_source(format: &str, title: Option<String>, entries: Vec<Entry>) -> ParsedFeed {
        ParsedFeed {
            format: format.into(),
            encoding: "utf-8".into(),
            title,
            entries,
            repairs: Vec::new(),
            ttl: None,
            link: None,
            id: None,
            published: None,
            item_elements: 0,
            problem: None,
        }
    }
}

/// Digests of a fetched document, to recognise it when it comes again (computed by
/// `poller::unchanged`, stored on the feed): of the whole body with the encoding decision, and
/// of its item elements only (None when the document has none we can delimit, e.g. JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyDigest {
    pub body: String,
    pub items: Option<String>,
}

/// A rule hit as stored with a match: which term, in which field, where (bytes of the
/// entry's stored plain text for that field).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredHit {
    pub term: String,
    pub field: String,
    pub start: usize,
    pub end: usize,
}

/// A match ready to be stored: entry × rule with its score and explanation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewMatch {
    pub rule: String,
    pub score: f64,
    pub hits: Vec<StoredHit>,
}

/// A story as a digest shows it: its best-scoring matched entry, why it matched, and the
/// other outlets that reported it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DigestItem {
    pub story_id: StoryId,
    /// The rule the story is filed under (its best-scoring match).
    pub rule: String,
    /// Every rule that matched some entry of the story.
    pub rules: Vec<String>,
    pub score: f64,
    pub hits: Vec<StoredHit>,
    pub title: String,
    pub link: Option<String>,
    pub feed_name: String,
    pub feed_tags: Vec<String>,
    pub published: Option<i64>,
    pub summary: String,
    pub content: String,
    /// Other entries of the same story: (feed name, link).
    pub also: Vec<(String, Option<String>)>,
    /// Structured metadata of the story's entries (Federal Register documents, screening-list
    /// changes), oldest entry first; empty for news stories.
    pub meta: Vec<EntryMeta>,
}

impl DigestItem {
    /// Keeps only a window of `limit` bytes of a long summary/content around its first hit
    /// (with the hit spans moved along), so a digest of many stories stays small in memory.
    /// The excerpt shown later is taken from this window.
    pub fn trim_around_hits(&mut self, limit: usize) {
        for field in ["summary", "content"] {
            let text = if field == "summary" {
                &mut self.summary
            } else {
                &mut self.content
            };
            if text.len() <= limit {
                continue;
            }
            let first = self
                .hits
                .iter()
                .filter(|h| h.field == field)
                .map(|h| h.start)
                .min()
                .unwrap_or(0);
            let ws = text.floor_char_boundary(first.saturating_sub(limit / 4));
            let we = text.floor_char_boundary(ws + limit);
            let lead = if ws > 0 { "…" } else { "" };
            let trimmed = format!("{lead}{}", &text[ws..we]);
            *text = trimmed;
            self.hits
                .retain(|h| h.field != field || (h.start >= ws && h.end <= we));
            for h in self.hits.iter_mut().filter(|h| h.field == field) {
                h.start = h.start - ws + lead.len();
                h.end = h.end - ws + lead.len();
            }
        }
    }
}

/// Recipients of a digest.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Recipients {
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
}

/// One rendered message of a digest (a large digest has several parts).
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedPart {
    pub story_ids: Vec<StoryId>,
    pub subject: String,
    pub message_id: String,
    pub recipients: Recipients,
    /// Mail: the complete RFC 5322 message. A channel: the request body it is sent as.
    pub message: Vec<u8>,
    /// None: mail to `recipients`; Some: the `[[channel]]` this part is for.
    pub channel: Option<String>,
}

/// A feed the digest footer lists, and since when it has had the problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedProblem {
    pub name: String,
    pub url: String,
    /// First failed poll, or (silent) when chipwatch last stored a new entry of the feed.
    pub since: Option<i64>,
    pub kind: FeedProblemKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FeedProblemKind {
    /// Its polls fail (the last error).
    Failing { error: String },
    /// It answered 410 Gone and is no longer polled.
    Gone { error: String },
    /// Polled fine, but the document lists items the parse did not read (`unparsed: …` or
    /// `partial: …`, with the counts).
    Unparsed { problem: String },
    /// Polled fine, but no new entry for much longer than usual. `usual_secs` is its average
    /// gap between posts (None: too few dated entries to know).
    Silent { usual_secs: Option<i64> },
}

//! Parsing: feed bytes → [`ParsedFeed`]. Transcodes to UTF-8 (see [`encoding`]), runs feed-rs
//! (with repairs on failure, see [`repair`]), then builds our entries: identity keys (GUID,
//! else canonical link, else a hash — never feed-rs's invented ids), canonical links, dates
//! (see [`dates`]) and plain text (see [`text`]). Pure: called by the poller and `feeds inspect`.

pub mod dates;
pub mod discover;
pub mod encoding;
pub mod health;
pub mod jsonfeed;
pub mod legacy;
pub mod link;
pub mod repair;
pub mod sources;
pub mod text;

use crate::model::{Entry, ParsedFeed};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// Marks ids that feed-rs made up because the entry had none.
const GENERATED: &str = "\u{1}chipwatch-generated";

/// Why a document could not be read as a feed.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum ParseError {
    #[error("empty document")]
    Empty,
    #[error("got an HTML page, not a feed")]
    Html,
    #[error("not a feed: {0}")]
    Invalid(String),
}

/// What the parser needs to know besides the bytes.
#[derive(Debug, Clone, Default)]
pub struct ParseOptions<'a> {
    /// Content-Type header (for its charset), if fetched over HTTP.
    pub content_type: Option<&'a str>,
    /// The document's URL: base for relative links.
    pub base_url: Option<&'a str>,
    /// Offset for dates without zone (seconds east of UTC).
    pub default_offset: Option<i32>,
}

/// Whether a document is an HTML page rather than a feed (judged from its start).
pub fn looks_like_html(b: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&b[..b.len().min(1024)]).to_ascii_lowercase();
    let head = head.trim_start();
    (head.starts_with("<!doctype html") || head.starts_with("<html") || head.contains("<html"))
        && !head.contains("<rss")
        && !head.contains("<feed")
        && !head.contains("<rdf:rdf")
}

fn run_feed_rs(bytes: &[u8], opts: &ParseOptions) -> Result<feed_rs::model::Feed, String> {
    let offset = opts.default_offset;
    let parser = feed_rs::parser::Builder::new()
        .base_uri(opts.base_url)
        .sanitize_content(false)
        .id_generator(|_, _, _| GENERATED.to_string())
        .timestamp_parser(move |s| dates::parse_timestamp(s, offset))
        .build();
    // quick-xml asserts on some malformed declarations; a bad feed must never take the
    // process down, so a panic inside the parser is reported as a parse error.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parser.parse(bytes))) {
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(_) => Err("the XML parser rejected the document (internal assertion)".into()),
    }
}

/// Parses a feed document.
pub fn parse_feed(raw: &[u8], opts: &ParseOptions) -> Result<ParsedFeed, ParseError> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseError::Empty);
    }
    let charset = opts.content_type.and_then(encoding::charset_of);
    let tld = opts.base_url.and_then(encoding::tld_of);
    let prepared = encoding::prepare(raw, charset, tld.as_deref());
    let mut repairs: Vec<String> = prepared.note.iter().cloned().collect();
    // Borrowed when the body is UTF-8 already: decoded (or copied) at most once.
    let mut doc = prepared.bytes;
    if let Some((upgraded, notes)) = legacy::upgrade(&doc) {
        doc = Cow::Owned(upgraded);
        repairs.extend(notes.into_iter().map(String::from));
    }
    let mut result = run_feed_rs(&doc, opts);
    if result.is_err() {
        let first_err = result.as_ref().err().cloned().unwrap_or_default();
        if looks_like_html(&doc) {
            return Err(ParseError::Html);
        }
        if jsonfeed::is_json(&doc)
            && let Some((mended, notes)) = jsonfeed::mend(&doc)
        {
            doc = Cow::Owned(mended);
            repairs.extend(notes.into_iter().map(String::from));
            result = run_feed_rs(&doc, opts);
        }
        for (name, fix) in repair::REPAIRS {
            if result.is_ok() {
                break;
            }
            if let Some(fixed) = fix(&doc) {
                doc = Cow::Owned(fixed);
                repairs.push((*name).to_string());
                result = run_feed_rs(&doc, opts);
            }
        }
        if result.is_err() {
            return Err(ParseError::Invalid(first_err));
        }
    }
    let feed = result.map_err(ParseError::Invalid)?;
    let publishers = sources::publishers_by_link(&doc);
    let mut parsed = build(feed, prepared.encoding, repairs, opts);
    if !publishers.is_empty() {
        for e in &mut parsed.entries {
            e.outlet = e.link.as_deref().and_then(|l| publishers.get(l)).cloned();
        }
    }
    if parsed.ttl.is_none() {
        parsed.ttl = discover::syndication_hint(&doc);
    }
    if !jsonfeed::is_json(&doc) {
        parsed.item_elements = health::count_items(&doc);
        parsed.problem =
            health::Health::judge(parsed.entries.len(), parsed.item_elements).describe();
    }
    Ok(parsed)
}

fn format_name(t: &feed_rs::model::FeedType) -> &'static str {
    use feed_rs::model::FeedType::*;
    match t {
        Atom => "Atom",
        JSON => "JSON Feed",
        RSS0 => "RSS 0.9x",
        RSS1 => "RSS 1.0",
        RSS2 => "RSS 2.0",
    }
}

/// An entry as feed-rs gave it, in our terms, before identity keys are settled.
struct Pre {
    guid: Option<String>,
    title: String,
    link: Option<String>,
    canonical: Option<String>,
    published: Option<chrono::DateTime<chrono::Utc>>,
    summary: String,
    content: String,
}

fn build(
    feed: feed_rs::model::Feed,
    encoding: &str,
    repairs: Vec<String>,
    opts: &ParseOptions,
) -> ParsedFeed {
    let base = opts.base_url.and_then(|b| url::Url::parse(b).ok());
    // Text double-encoded in the file itself can only be seen once decoded as UTF-8.
    let utf8 = encoding == "UTF-8";
    let pre: Vec<Pre> = feed
        .entries
        .into_iter()
        .map(|e| pre_entry(e, base.as_ref(), utf8))
        .collect();
    let link = feed
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .map(|l| l.href.trim().to_string())
        .filter(|l| !l.is_empty());
    ParsedFeed {
        format: format_name(&feed.feed_type).to_string(),
        encoding: encoding.to_string(),
        title: feed.title.map(|t| text::html_to_text(&t.content)),
        entries: keyed_entries(pre),
        repairs,
        ttl: feed.ttl.map(|m| Duration::from_secs(u64::from(m) * 60)),
        link,
        id: (!feed.id.starts_with(GENERATED) && !feed.id.trim().is_empty())
            .then(|| feed.id.trim().to_string()),
        published: feed.published.or(feed.updated),
        item_elements: 0,
        problem: None,
    }
}

/// Plain text of an entry's HTML field; mojibake undone on the raw text, as feedparser does
/// (a no-break space in `Ã\u{a0}` (à) would be a plain space after html_to_text).
fn clean(html: &str, utf8: bool) -> String {
    match utf8.then(|| text::undo_double_utf8(html)).flatten() {
        Some(fixed) => text::html_to_text(&fixed),
        None => text::html_to_text(html),
    }
}

fn pre_entry(e: feed_rs::model::Entry, base: Option<&url::Url>, utf8: bool) -> Pre {
    let guid =
        (!e.id.starts_with(GENERATED) && !e.id.trim().is_empty()).then(|| e.id.trim().to_string());
    let link = e
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .or(e.links.first())
        .map(|l| l.href.trim().to_string())
        .filter(|l| !l.is_empty());
    let canonical = link.as_deref().and_then(|l| link::canonical_link(l, base));
    let title = e.title.map(|t| clean(&t.content, utf8)).unwrap_or_default();
    let summary = e
        .summary
        .map(|t| clean(&t.content, utf8))
        .unwrap_or_default();
    let mut content = e
        .content
        .and_then(|c| c.body)
        .map(|b| clean(&b, utf8))
        .unwrap_or_default();
    if content == summary
        || (!summary.is_empty()
            && content.starts_with(&summary)
            && content.len() < summary.len() + 8)
    {
        content.clear();
    }
    Pre {
        guid,
        title,
        link,
        canonical,
        published: e.published.or(e.updated),
        summary,
        content,
    }
}

/// Canonical links given to several distinct items (e.g. the site's homepage): they identify
/// nothing. Items with the same link and the same title are one story listed twice.
fn shared_links(pre: &[Pre]) -> HashSet<String> {
    let mut by_link: HashMap<&str, HashSet<&str>> = HashMap::new();
    for p in pre {
        if let Some(c) = &p.canonical {
            by_link
                .entry(c.as_str())
                .or_default()
                .insert(p.title.as_str());
        }
    }
    by_link
        .into_iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(k, _)| k.to_string())
        .collect()
}

/// Entries with their identity keys: GUID, else an unshared canonical link, else a hash of the
/// text; an item listed twice is kept once, two items sharing a key are told apart.
fn keyed_entries(pre: Vec<Pre>) -> Vec<Entry> {
    let shared = shared_links(&pre);
    // Key → fingerprint of the text, to tell an item listed twice from two items that share a
    // GUID or link (comments on one post whose links differ only in the fragment).
    let mut seen_keys: HashMap<String, u64> = HashMap::new();
    let mut entries = Vec::with_capacity(pre.len());
    for p in pre {
        let link_shared = p.canonical.as_ref().is_some_and(|c| shared.contains(c));
        let text_hash = link::fnv64(&[&p.title, &p.summary, &p.content]);
        // What tells two items apart when their key is the same: text, date and link.
        let date = p
            .published
            .map(|d| d.timestamp().to_string())
            .unwrap_or_default();
        let fingerprint = link::fnv64(&[
            &p.title,
            &p.summary,
            &p.content,
            &date,
            p.link.as_deref().unwrap_or(""),
        ]);
        let mut key = match (&p.guid, &p.canonical) {
            (Some(g), _) => g.clone(),
            (None, Some(c)) if !link_shared => c.clone(),
            _ => format!("h:{text_hash:016x}"),
        };
        match seen_keys.get(&key) {
            Some(h) if *h == fingerprint => continue, // the same item twice in one document
            Some(_) => {
                key = format!("{key}#h:{fingerprint:016x}");
                if seen_keys.contains_key(&key) {
                    continue;
                }
            }
            None => {}
        }
        seen_keys.insert(key.clone(), fingerprint);
        entries.push(Entry {
            key,
            title: p.title,
            link: p.link,
            canonical_link: p.canonical,
            published: p.published,
            summary: p.summary,
            content: p.content,
            link_shared,
            outlet: None,
            meta: None,
        });
    }
    entries
}

#[cfg(test)]
mod tests;

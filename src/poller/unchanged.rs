//! Recognising a document already parsed, so a server that ignores conditional GET costs about
//! what a 304 costs: [`digest`] hashes the body (with what decides its decoding: the
//! Content-Type and the address links resolve against) in one pass, as a whole and over its
//! item elements only, and [`same`] compares that with the digests stored on the feed. Only
//! the item elements: a channel's `lastBuildDate`/`pubDate`, a `<generator>` stamp or a
//! cache-buster outside the items changes nothing we keep. Pure; called by the poller at the
//! start of its "modified" step.

use crate::model::BodyDigest;
use crate::store::feeds::FeedState;
use memchr::memmem;

/// Changes when parsing could give a different result for the same bytes, so a new version
/// of chipwatch reads every feed once more instead of trusting digests of an older parser.
const PARSER_EPOCH: &str = concat!("chipwatch ", env!("CARGO_PKG_VERSION"), " parse 1");

/// Whether this document can be skipped: the stored digests say it was parsed already, whole
/// or in all of its items.
pub fn same(d: &BodyDigest, state: &FeedState) -> bool {
    if !state.polled {
        return false;
    }
    state.body_digest.as_deref() == Some(d.body.as_str())
        || (d.items.is_some() && state.items_digest == d.items)
}

/// Digests of `body` as fetched from `final_url` with `content_type`.
pub fn digest(body: &[u8], content_type: Option<&str>, final_url: &str) -> BodyDigest {
    use ring::digest::{Context, SHA256};
    let mut context = Context::new(&SHA256);
    for part in [PARSER_EPOCH, content_type.unwrap_or(""), final_url] {
        context.update(&(part.len() as u64).to_le_bytes());
        context.update(part.as_bytes());
    }
    let items = item_span(body).map(|(start, end)| {
        let mut c = context.clone();
        // The prolog names the encoding: part of the decoding decision.
        c.update(body.get(..prolog_end(body).min(start)).unwrap_or_default());
        c.update(b"\0items\0");
        c.update(body.get(start..end).unwrap_or_default());
        hex(c.finish().as_ref())
    });
    context.update(b"\0body\0");
    context.update(body);
    BodyDigest {
        body: hex(context.finish().as_ref()),
        items,
    }
}

fn hex(b: &[u8]) -> String {
    use std::fmt::Write;
    b.iter()
        .fold(String::with_capacity(b.len() * 2), |mut s, x| {
            let _ = write!(s, "{x:02x}");
            s
        })
}

/// End of the XML declaration (with any BOM before it), 0 without one.
fn prolog_end(body: &[u8]) -> usize {
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace() && !matches!(b, 0xEF | 0xBB | 0xBF | 0xFE | 0xFF))
        .unwrap_or(0);
    let head = body
        .get(start..body.len().min(start + 512))
        .unwrap_or_default();
    if !head.starts_with(b"<?xml") {
        return 0;
    }
    memmem::find(head, b"?>").map_or(0, |e| start + e + 2)
}

/// From the first item element's start to the last one's end (RSS `<item>`, Atom `<entry>`),
/// None when the document has no such pair (JSON, or a document with no items): then only the
/// whole body counts.
fn item_span(body: &[u8]) -> Option<(usize, usize)> {
    let first = |open: &[u8]| {
        memmem::find_iter(body, open).find(|&i| {
            body.get(i + open.len())
                .is_some_and(|&b| b == b'>' || b == b'/' || b.is_ascii_whitespace())
        })
    };
    let last = |close: &[u8]| memmem::rfind(body, close).map(|i| i + close.len());
    [(&b"<item"[..], &b"</item>"[..]), (b"<entry", b"</entry>")]
        .into_iter()
        .filter_map(|(open, close)| Some((first(open)?, last(close)?)))
        .filter(|(s, e)| s < e)
        .min_by_key(|(s, _)| *s)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSS: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>T</title><lastBuildDate>Mon, 30 Nov 2026 08:00:00 GMT</lastBuildDate>
<item><title>A</title><guid>a</guid></item>
<item><title>B</title><guid>b</guid></item>
</channel></rss>"#;

    fn polled(d: &BodyDigest) -> FeedState {
        FeedState {
            polled: true,
            body_digest: Some(d.body.clone()),
            items_digest: d.items.clone(),
            ..Default::default()
        }
    }

    fn of(s: &str) -> BodyDigest {
        digest(
            s.as_bytes(),
            Some("application/rss+xml"),
            "https://a.example/rss",
        )
    }

    #[test]
    fn identical_body_is_same_and_any_item_change_is_not() {
        let d = of(RSS);
        let state = polled(&d);
        assert!(same(&of(RSS), &state));
        assert!(!same(&of(&RSS.replace("<title>B", "<title>C")), &state));
        assert!(!same(
            &of(&RSS.replace("</channel>", "<item><guid>c</guid></item></channel>")),
            &state
        ));
        // Never before the first successful parse.
        assert!(!same(&d, &FeedState::default()));
    }

    #[test]
    fn channel_dates_alone_do_not_count_but_the_encoding_does() {
        let state = polled(&of(RSS));
        let rebuilt = RSS.replace("Mon, 30 Nov 2026 08:00:00", "Mon, 30 Nov 2026 09:00:00");
        let d = of(&rebuilt);
        assert_ne!(d.body, state.body_digest.clone().unwrap_or_default());
        assert!(same(&d, &state));
        assert!(!same(&of(&RSS.replace("utf-8", "gb2312")), &state));
        let other_type = digest(
            RSS.as_bytes(),
            Some("text/xml; charset=gbk"),
            "https://a.example/rss",
        );
        assert!(!same(&other_type, &state));
        let moved = digest(
            RSS.as_bytes(),
            Some("application/rss+xml"),
            "https://b.example/rss",
        );
        assert!(!same(&moved, &state));
    }

    #[test]
    fn atom_entries_and_documents_without_items() {
        let atom = "<feed xmlns=\"http://www.w3.org/2005/Atom\"><updated>1</updated><entry><id>x</id></entry></feed>";
        let d = of(atom);
        assert!(d.items.is_some());
        assert!(same(
            &of(&atom.replace("<updated>1", "<updated>2")),
            &polled(&d)
        ));
        // `<items>` is not `<item>`; JSON has no delimited items: whole body only.
        let json = r#"{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1"}]}"#;
        assert_eq!(of(json).items, None);
        assert_eq!(of("<rss><channel><items/></channel></rss>").items, None);
    }
}

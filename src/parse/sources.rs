//! Items that relay another outlet's story: RSS `<source url="…">Publisher</source>`, as Google
//! News search feeds carry on every item (with an opaque `news.google.com/rss/articles/…` link
//! and a title ending in ` - Publisher`). The publisher becomes the entry's outlet (byline,
//! "also reported by"); the suffix is stripped only for story clustering, never from the title
//! shown. The redirect link is not decoded (Google rate-limits that). Called by
//! [`super::parse_feed`] and the poller's clustering. Pure.

use std::collections::HashMap;

/// Publisher name by the item's `<link>` (as written in the document, trimmed), for items that
/// name a `<source>`. Empty when the document has no `<source` at all (the common case).
pub fn publishers_by_link(doc: &[u8]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    if memchr::memmem::find(doc, b"<source").is_none() {
        return out;
    }
    let Ok(text) = std::str::from_utf8(doc) else {
        return out;
    };
    let mut rest = text;
    while let Some(start) = rest.find("<item") {
        let after = &rest[start..];
        let end = after.find("</item>").map_or(after.len(), |e| e + 7);
        let item = &after[..end];
        if let (Some(link), Some(name)) = (element_text(item, "link"), element_text(item, "source"))
            && !link.is_empty()
            && !name.is_empty()
        {
            out.insert(link, name);
        }
        rest = &after[end.max(5)..];
    }
    out
}

/// The text of the first `<name …>text</name>` in `s`, entities and CDATA decoded, trimmed.
fn element_text(s: &str, name: &str) -> Option<String> {
    let open = format!("<{name}");
    let mut from = 0;
    loop {
        let at = from + s[from..].find(&open)?;
        from = at + open.len();
        let next = s[from..].chars().next()?;
        if !(next == '>' || next.is_whitespace()) {
            continue;
        }
        let gt = from + s[from..].find('>')?;
        if s[..gt].ends_with('/') {
            return None;
        }
        let close = format!("</{name}>");
        let end = gt + 1 + s[gt + 1..].find(&close)?;
        let raw = s[gt + 1..end].trim();
        let raw = raw
            .strip_prefix("<![CDATA[")
            .and_then(|r| r.strip_suffix("]]>"))
            .unwrap_or(raw);
        return Some(super::text::html_to_text(raw));
    }
}

/// The title without a trailing ` - Publisher` (or ` | Publisher`, ` – Publisher`), for
/// clustering a relayed copy with the publisher's own story.
pub fn strip_outlet_suffix<'a>(title: &'a str, outlet: &str) -> &'a str {
    let t = title.trim_end();
    for sep in [" - ", " | ", " – ", " — "] {
        if let Some(head) = t.strip_suffix(outlet).and_then(|h| h.strip_suffix(sep))
            && !head.trim().is_empty()
        {
            return head.trim_end();
        }
    }
    title
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn google_news_items() {
        let doc = br#"<rss version="2.0"><channel><title>"export controls" - Google News</title>
          <item><title>US tightens chip export controls - Reuters</title><link>https://news.google.com/rss/articles/CBMiX?oc=5</link><source url="https://www.reuters.com">Reuters</source></item>
          <item><title>AT&amp;T and chips - Nikkei Asia</title><link>https://news.google.com/rss/articles/CBMiY?oc=5</link><source url="https://asia.nikkei.com">Nikkei Asia</source></item>
          <item><title>no source</title><link>https://x.example/1</link></item></channel></rss>"#;
        let m = publishers_by_link(doc);
        assert_eq!(m.len(), 2);
        assert_eq!(
            m.get("https://news.google.com/rss/articles/CBMiX?oc=5")
                .map(String::as_str),
            Some("Reuters")
        );
        assert!(publishers_by_link(b"<rss><item><link>x</link></item></rss>").is_empty());
        assert_eq!(
            strip_outlet_suffix("US tightens chip export controls - Reuters", "Reuters"),
            "US tightens chip export controls"
        );
        assert_eq!(strip_outlet_suffix("Reuters", "Reuters"), "Reuters");
        assert_eq!(strip_outlet_suffix("A - B", "Reuters"), "A - B");
    }
}

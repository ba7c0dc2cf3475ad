//! Feed discovery and feed-level hints outside feed-rs: `<link rel="alternate">` feed links in
//! an HTML page (a user gave the site's address, not its feed's), and the RSS syndication
//! module's `sy:updatePeriod` / `sy:updateFrequency` polling hint. Pure.

use std::time::Duration;

const FEED_TYPES: &[&str] = &[
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
    "application/rdf+xml",
];

fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find(name) {
        let at = from + i;
        from = at + name.len();
        let before_ok = at == 0 || lower.as_bytes()[at - 1].is_ascii_whitespace();
        let rest = lower[at + name.len()..].trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let offset = tag.len() - rest.len() + 1;
        let value = tag[offset..].trim_start();
        let q = value.chars().next()?;
        return if q == '"' || q == '\'' {
            value[1..].split(q).next()
        } else {
            value
                .split(|c: char| c.is_whitespace() || c == '>' || c == '/')
                .next()
        };
    }
    None
}

/// Feed URLs announced by an HTML page, in page order, resolved against `base`.
pub fn discover_feed_links(html: &str, base: Option<&url::Url>) -> Vec<String> {
    let mut out = Vec::new();
    let lower = html.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find("<link") {
        let start = from + i;
        let end = lower[start..]
            .find('>')
            .map(|e| start + e)
            .unwrap_or(lower.len());
        from = end.max(start + 5);
        let tag = &html[start..end];
        let rel = attr(tag, "rel").unwrap_or("").to_ascii_lowercase();
        let ty = attr(tag, "type").unwrap_or("").to_ascii_lowercase();
        if !rel.split_whitespace().any(|r| r == "alternate") || !FEED_TYPES.contains(&ty.trim()) {
            continue;
        }
        let Some(href) = attr(tag, "href").map(crate::parse::text::html_to_text) else {
            continue;
        };
        let resolved = match base {
            Some(b) => b.join(&href).map(|u| u.to_string()).ok(),
            None => url::Url::parse(&href).map(|u| u.to_string()).ok(),
        };
        if let Some(u) = resolved.filter(|u| !out.contains(u)) {
            out.push(u);
        }
    }
    out
}

/// `sy:updatePeriod` (hourly, daily, weekly, monthly, yearly) divided by `sy:updateFrequency`.
pub fn syndication_hint(doc: &[u8]) -> Option<Duration> {
    let head = &doc[..doc.len().min(16 * 1024)];
    let text = std::str::from_utf8(head)
        .ok()
        .or_else(|| std::str::from_utf8(&head[..head.len().saturating_sub(3)]).ok())?;
    let inner = |tag: &str| -> Option<String> {
        let open = format!("<sy:{tag}>");
        let i = text.find(&open)? + open.len();
        let j = text[i..].find('<')? + i;
        Some(text[i..j].trim().to_ascii_lowercase())
    };
    let period = match inner("updatePeriod")?.as_str() {
        "hourly" => 3600,
        "daily" => 86_400,
        "weekly" => 7 * 86_400,
        "monthly" => 30 * 86_400,
        "yearly" => 365 * 86_400,
        _ => return None,
    };
    let freq: u64 = inner("updateFrequency")
        .and_then(|f| f.parse().ok())
        .filter(|f| *f > 0)
        .unwrap_or(1);
    Some(Duration::from_secs(period / freq))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_alternate_feed_links() {
        let html = r#"<html><head><link rel="stylesheet" href="/s.css"><LINK REL="alternate" TYPE="application/rss+xml" title="News" HREF="/feed.xml">
            <link rel='alternate' type='application/atom+xml' href='https://x.example/atom?a=1&amp;b=2'/><link rel="alternate" type="text/html" href="/en"></head></html>"#;
        let base = url::Url::parse("https://x.example/news/").ok();
        assert_eq!(
            discover_feed_links(html, base.as_ref()),
            vec![
                "https://x.example/feed.xml",
                "https://x.example/atom?a=1&b=2"
            ]
        );
        assert!(
            discover_feed_links("<html><body>no feeds</body></html>", base.as_ref()).is_empty()
        );
    }

    #[test]
    fn syndication_module_hint() {
        let doc = b"<rss xmlns:sy=\"http://purl.org/rss/1.0/modules/syndication/\"><channel><sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency>";
        assert_eq!(syndication_hint(doc), Some(Duration::from_secs(1800)));
        assert_eq!(
            syndication_hint(b"<rss><channel><sy:updatePeriod>daily</sy:updatePeriod>"),
            Some(Duration::from_secs(86400))
        );
        assert_eq!(syndication_hint(b"<rss/>"), None);
    }
}

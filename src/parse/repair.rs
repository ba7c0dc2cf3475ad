//! Repairs for the known ways real feeds break feed-rs: an `<rss>` root without a version or
//! with an unusual one, bare `&`, control characters, junk before the root, a feed wrapped in
//! an HTML page, empty text elements (`<media:description/>`, which feed-rs rejects), and a
//! document cut off mid-way. Each repair is tried only after a failed parse and is reported by
//! name. Called by [`super::parse_feed`]. Pure.

/// A named transformation of the document bytes; None when it changes nothing.
pub type Repair = fn(&[u8]) -> Option<Vec<u8>>;

/// The repairs, in the order they are tried (cumulatively).
pub const REPAIRS: &[(&str, Repair)] = &[
    ("leading junk removed", strip_leading_junk),
    (
        "feed taken out of the HTML page around it",
        unwrap_from_html,
    ),
    ("empty text elements removed", drop_empty_text_elements),
    ("control characters removed", strip_controls),
    ("rss version set to 2.0", fix_rss_version),
    ("bare & escaped", escape_bare_amp),
    ("truncated document closed", close_truncated),
];

fn strip_leading_junk(b: &[u8]) -> Option<Vec<u8>> {
    let first = b.iter().position(|&c| c == b'<')?;
    (first > 0).then(|| b[first..].to_vec())
}

/// `<html><body><feed …>…</feed></body></html>`: keep the feed element only.
fn unwrap_from_html(b: &[u8]) -> Option<Vec<u8>> {
    let head = &b[..b.len().min(4096)];
    memchr::memmem::find(head, b"<html")?;
    let (start, close): (usize, &[u8]) = [
        (&b"<rss"[..], &b"</rss>"[..]),
        (b"<feed", b"</feed>"),
        (b"<rdf:RDF", b"</rdf:RDF>"),
    ]
    .iter()
    .find_map(|(open, close)| memchr::memmem::find(b, open).map(|s| (s, *close)))?;
    let end = memchr::memmem::rfind(b, close).map_or(b.len(), |e| e + close.len());
    (end > start).then(|| b[start..end].to_vec())
}

/// Text elements feed-rs requires to hold text, when they are empty.
const TEXT_NAMES: &[&[u8]] = &[
    b"title",
    b"description",
    b"subtitle",
    b"summary",
    b"content",
    b"rights",
    b"credit",
    b"keywords",
    b"copyright",
    b"text",
];

/// `<media:description/>`, `<title></title>`, `<summary type="html">  </summary>` → removed.
fn drop_empty_text_elements(b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    let mut changed = false;
    while let Some(off) = memchr::memchr(b'<', &b[i..]) {
        let at = i + off;
        out.extend_from_slice(&b[i..at]);
        i = at;
        let name_len = b[at + 1..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b':' | b'_' | b'-'))
            .count();
        let name = &b[at + 1..at + 1 + name_len];
        let local = name.rsplit(|&c| c == b':').next().unwrap_or(name);
        let Some(gt) = memchr::memchr(b'>', &b[at..]).map(|g| at + g) else {
            break;
        };
        let tag = &b[at..=gt];
        let is_text = name_len > 0 && TEXT_NAMES.contains(&local);
        if is_text && memchr::memmem::find(tag, b"src=").is_none() {
            if tag.ends_with(b"/>") {
                i = gt + 1;
                changed = true;
                continue;
            }
            let rest = &b[gt + 1..];
            let ws = rest.iter().take_while(|c| c.is_ascii_whitespace()).count();
            let close: Vec<u8> = [&b"</"[..], name, b">"].concat();
            if rest[ws..].starts_with(&close) {
                i = gt + 1 + ws + close.len();
                changed = true;
                continue;
            }
        }
        out.push(b'<');
        i = at + 1;
    }
    out.extend_from_slice(&b[i..]);
    changed.then_some(out)
}

fn strip_controls(b: &[u8]) -> Option<Vec<u8>> {
    let bad = |c: &u8| *c < 0x20 && !matches!(c, b'\t' | b'\n' | b'\r');
    b.iter()
        .any(bad)
        .then(|| b.iter().copied().filter(|c| !bad(c)).collect())
}

/// `<rss>` with no version, or a version feed-rs rejects (`2.00`, `0.94`, …) → `version="2.0"`.
fn fix_rss_version(b: &[u8]) -> Option<Vec<u8>> {
    let head = &b[..b.len().min(4096)];
    let start = memchr::memmem::find(head, b"<rss")?;
    let after = head.get(start + 4).copied()?;
    if !(after.is_ascii_whitespace() || after == b'>') {
        return None;
    }
    let end = start + memchr::memchr(b'>', &head[start..])?;
    let tag = &head[start..end];
    let mut out = Vec::with_capacity(b.len() + 16);
    out.extend_from_slice(&b[..start]);
    match memchr::memmem::find(tag, b"version") {
        Some(v) => {
            let rest = &tag[v..];
            let q1 = rest.iter().position(|&c| c == b'"' || c == b'\'')?;
            let q = rest[q1];
            let q2 = q1 + 1 + rest[q1 + 1..].iter().position(|&c| c == q)?;
            if &rest[q1 + 1..q2] == b"2.0" {
                return None;
            }
            out.extend_from_slice(&tag[..v]);
            out.extend_from_slice(b"version=\"2.0\"");
            out.extend_from_slice(&rest[q2 + 1..]);
        }
        None => {
            out.extend_from_slice(b"<rss version=\"2.0\"");
            out.extend_from_slice(&tag[4..]);
        }
    }
    out.extend_from_slice(&b[end..]);
    Some(out)
}

/// `&` not starting an entity reference → `&amp;`.
fn escape_bare_amp(b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(b.len() + 64);
    let mut changed = false;
    let mut i = 0;
    while let Some(off) = memchr::memchr(b'&', &b[i..]) {
        let at = i + off;
        out.extend_from_slice(&b[i..at]);
        if is_entity(&b[at..]) {
            out.push(b'&');
        } else {
            out.extend_from_slice(b"&amp;");
            changed = true;
        }
        i = at + 1;
    }
    out.extend_from_slice(&b[i..]);
    changed.then_some(out)
}

fn is_entity(b: &[u8]) -> bool {
    let body = &b[1..b.len().min(34)];
    let Some(semi) = body.iter().position(|&c| c == b';') else {
        return false;
    };
    let name = &body[..semi];
    match name.first() {
        Some(b'#') => {
            let n = &name[1..];
            match n.first() {
                Some(b'x') | Some(b'X') => n.len() > 1 && n[1..].iter().all(u8::is_ascii_hexdigit),
                _ => !n.is_empty() && n.iter().all(u8::is_ascii_digit),
            }
        }
        Some(c) if c.is_ascii_alphabetic() => name.iter().all(|c| c.is_ascii_alphanumeric()),
        _ => false,
    }
}

/// A document cut off mid-way: keep everything up to the last complete item and close it.
fn close_truncated(b: &[u8]) -> Option<Vec<u8>> {
    let tail_has =
        |pat: &[u8]| memchr::memmem::rfind(&b[b.len().saturating_sub(64)..], pat).is_some();
    if tail_has(b"</rss>") || tail_has(b"</feed>") || tail_has(b"</rdf:RDF>") {
        return None;
    }
    let (cut, closing): (usize, &[u8]) = if let Some(p) = memchr::memmem::rfind(b, b"</item>") {
        let close: &[u8] = if memchr::memmem::find(&b[..b.len().min(4096)], b"<rdf:RDF").is_some() {
            b"</rdf:RDF>"
        } else {
            b"</channel></rss>"
        };
        (p + 7, close)
    } else if let Some(p) = memchr::memmem::rfind(b, b"</entry>") {
        (p + 8, b"</feed>")
    } else {
        return None;
    };
    let mut out = b[..cut].to_vec();
    out.extend_from_slice(closing);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: Option<Vec<u8>>) -> String {
        String::from_utf8(v.unwrap_or_default()).unwrap()
    }

    #[test]
    fn repairs_known_shapes() {
        assert_eq!(
            s(fix_rss_version(b"<rss><channel/></rss>")),
            "<rss version=\"2.0\"><channel/></rss>"
        );
        assert_eq!(
            s(fix_rss_version(b"<rss version='2.00' x='1'>")),
            "<rss version=\"2.0\" x='1'>"
        );
        assert!(fix_rss_version(b"<rss version=\"2.0\">").is_none());
        assert!(fix_rss_version(b"<rssx>").is_none());
        assert_eq!(
            s(escape_bare_amp(b"<t>AT&T &amp; &#38; &#x26; & x</t>")),
            "<t>AT&amp;T &amp; &#38; &#x26; &amp; x</t>"
        );
        assert!(escape_bare_amp(b"<t>&amp;</t>").is_none());
        assert_eq!(
            s(close_truncated(b"<rss><channel><item>a</item><item>b")),
            "<rss><channel><item>a</item></channel></rss>"
        );
        assert_eq!(s(strip_leading_junk(b"\xef junk <rss/>")), "<rss/>");
        assert_eq!(s(strip_controls(b"<t>a\x08b</t>")), "<t>ab</t>");
        assert_eq!(
            s(drop_empty_text_elements(
                b"<item><media:description/><title> </title><content src=\"x\"/><media:credit></media:credit><b>x</b></item>"
            )),
            "<item><content src=\"x\"/><b>x</b></item>"
        );
        assert!(drop_empty_text_elements(b"<title>x</title>").is_none());
        assert_eq!(
            s(unwrap_from_html(
                b"<?xml?><html><body><feed x='1'><entry/></feed></body></html>"
            )),
            "<feed x='1'><entry/></feed>"
        );
    }
}

//! Old formats mapped onto what feed-rs reads, before the first parse: Atom 0.3
//! (`http://purl.org/atom/ns#`: namespace, `tagline`/`issued`/`modified`/`copyright` renamed,
//! `mode="escaped"|"base64"` content decoded), RSS 0.90 / Netscape RDF (its namespace becomes
//! RSS 1.0's) and an `<rss>` root that puts its elements in a default namespace (feed-rs then
//! skips them all). Each mapping is reported by name as a repair. Called by
//! [`super::parse_feed`]. Pure.

const ATOM03: &[u8] = b"http://purl.org/atom/ns#";
const ATOM10: &[u8] = b"http://www.w3.org/2005/Atom";
const RSS090: &[u8] = b"http://my.netscape.com/rdf/simple/0.9/";
const RSS10: &[u8] = b"http://purl.org/rss/1.0/";

/// Atom 0.3 elements and their Atom 1.0 names.
const RENAMES: &[(&[u8], &[u8])] = &[
    (b"tagline", b"subtitle"),
    (b"issued", b"published"),
    (b"modified", b"updated"),
    (b"copyright", b"rights"),
];

/// Text constructs whose `type`/`mode` attributes Atom 0.3 spells differently.
const TEXT_ELEMENTS: &[&[u8]] = &[b"title", b"summary", b"content", b"subtitle", b"rights"];

/// Applies every mapping that fits the document; the new bytes and the repairs made.
pub fn upgrade(doc: &[u8]) -> Option<(Vec<u8>, Vec<&'static str>)> {
    let head = &doc[..doc.len().min(4096)];
    let mut out: Option<Vec<u8>> = None;
    let mut notes = Vec::new();
    if memchr::memmem::find(head, ATOM03).is_some() {
        let cur = out.as_deref().unwrap_or(doc);
        out = Some(atom03(cur));
        notes.push("Atom 0.3 mapped to Atom 1.0");
    }
    if memchr::memmem::find(head, RSS090).is_some() {
        let cur = out.as_deref().unwrap_or(doc);
        out = Some(replace_all(cur, RSS090, RSS10));
        notes.push("RSS 0.90 namespace mapped to RSS 1.0");
    }
    if let Some(fixed) = rss_default_namespace(out.as_deref().unwrap_or(doc)) {
        out = Some(fixed);
        notes.push("default namespace on <rss> removed");
    }
    if let Some(fixed) = rss_item_bodies(out.as_deref().unwrap_or(doc)) {
        out = Some(fixed);
        notes.push("<body> of RSS items read as content:encoded");
    }
    out.map(|o| (o, notes))
}

/// Whether positions (asked in increasing order) lie inside a CDATA section or a comment,
/// scanning the document once.
#[derive(Default)]
struct CdataScan {
    pos: usize,
    /// The closing marker of the section `pos` is in, if any.
    until: Option<&'static [u8]>,
}

impl CdataScan {
    fn inside(&mut self, b: &[u8], at: usize) -> bool {
        while self.pos < at {
            match self.until {
                Some(close) => match memchr::memmem::find(&b[self.pos..], close) {
                    Some(o) if self.pos + o < at => {
                        self.pos += o + close.len();
                        self.until = None;
                    }
                    _ => return true,
                },
                None => {
                    let rest = &b[self.pos..at];
                    let c = memchr::memmem::find(rest, b"<![CDATA[").map(|o| (o, 9, &b"]]>"[..]));
                    let m = memchr::memmem::find(rest, b"<!--").map(|o| (o, 4, &b"-->"[..]));
                    let first = match (c, m) {
                        (Some(x), Some(y)) => Some(if x.0 < y.0 { x } else { y }),
                        (x, y) => x.or(y),
                    };
                    match first {
                        Some((o, len, close)) => {
                            self.pos += o + len;
                            self.until = Some(close);
                        }
                        None => self.pos = at,
                    }
                }
            }
        }
        self.until.is_some()
    }
}

const CONTENT_NS: &[u8] = b" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"";

/// RSS items that carry their full text in `<body>` or `<xhtml:body>` (as some generators
/// do; feedparser reads it as content): the element becomes `<content:encoded>` with its
/// markup as CDATA. Only in `<rss>` documents without any `content:encoded` of their own.
fn rss_item_bodies(b: &[u8]) -> Option<Vec<u8>> {
    let head = &b[..b.len().min(4096)];
    let rss = memchr::memmem::find(head, b"<rss")?;
    if memchr::memmem::find(b, b"content:encoded").is_some() {
        return None;
    }
    let mut out = Vec::new();
    let mut changed = false;
    for (open, close) in [
        (&b"<body"[..], &b"</body>"[..]),
        (b"<xhtml:body", b"</xhtml:body>"),
    ] {
        let src = if changed {
            std::mem::take(&mut out)
        } else {
            b.to_vec()
        };
        out = Vec::with_capacity(src.len() + 64);
        let (mut i, mut from) = (0, 0);
        let mut cdata = CdataScan::default();
        while let Some(at) = memchr::memmem::find(&src[from..], open).map(|o| from + o) {
            if cdata.inside(&src, at) {
                from = at + open.len();
                continue;
            }
            let Some(next) = src.get(at + open.len()) else {
                break;
            };
            if !matches!(*next, b'>' | b' ' | b'\t' | b'\n' | b'\r') {
                from = at + open.len();
                continue;
            }
            let Some(gt) = tag_end(&src[at..]).map(|e| at + e) else {
                break;
            };
            let Some(end) = memchr::memmem::find(&src[gt..], close).map(|o| gt + o) else {
                break;
            };
            let inner = &src[gt..end];
            if memchr::memmem::find(inner, b"]]>").is_some()
                || memchr::memmem::find(inner, b"<![CDATA[").is_some()
            {
                from = end + close.len();
                continue;
            }
            out.extend_from_slice(&src[i..at]);
            out.extend_from_slice(b"<content:encoded><![CDATA[");
            out.extend_from_slice(inner);
            out.extend_from_slice(b"]]></content:encoded>");
            i = end + close.len();
            from = i;
            changed = true;
        }
        out.extend_from_slice(&src[i..]);
    }
    if !changed {
        return None;
    }
    // Declare the content namespace on <rss> (the document had none: no content:encoded).
    let end = rss + tag_end(&out[rss..])?;
    let at = if out.get(end - 2) == Some(&b'/') {
        end - 2
    } else {
        end - 1
    };
    let mut fixed = Vec::with_capacity(out.len() + CONTENT_NS.len());
    fixed.extend_from_slice(&out[..at]);
    fixed.extend_from_slice(CONTENT_NS);
    fixed.extend_from_slice(&out[at..]);
    Some(fixed)
}

fn replace_all(b: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len() + 16);
    let mut i = 0;
    for at in memchr::memmem::find_iter(b, from) {
        out.extend_from_slice(&b[i..at]);
        out.extend_from_slice(to);
        i = at + from.len();
    }
    out.extend_from_slice(&b[i..]);
    out
}

/// `<rss xmlns="…">`: RSS 2.0 has no namespace, so a default one only hides the elements.
fn rss_default_namespace(b: &[u8]) -> Option<Vec<u8>> {
    let head = &b[..b.len().min(4096)];
    let start = memchr::memmem::find(head, b"<rss")?;
    let end = start + tag_end(&head[start..])?;
    let tag = &head[start..end];
    let at = memchr::memmem::find(tag, b" xmlns=")
        .or_else(|| memchr::memmem::find(tag, b"\nxmlns="))
        .or_else(|| memchr::memmem::find(tag, b"\txmlns="))?;
    let value_start = at + 7;
    let q = *tag.get(value_start)?;
    if q != b'"' && q != b'\'' {
        return None;
    }
    let close = value_start + 1 + memchr::memchr(q, &tag[value_start + 1..])?;
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&b[..start + at]);
    out.extend_from_slice(&b[start + close + 1..]);
    Some(out)
}

/// Index just past the `>` closing the tag that starts `b`, skipping quoted attribute values.
fn tag_end(b: &[u8]) -> Option<usize> {
    let mut quote = None;
    for (i, &c) in b.iter().enumerate() {
        match (quote, c) {
            (None, b'"' | b'\'') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, b'>') => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// The value of attribute `name` in a start tag.
fn attr<'a>(tag: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let mut from = 0;
    while let Some(i) = memchr::memmem::find(&tag[from..], name) {
        let at = from + i;
        from = at + name.len();
        if at == 0 || !tag[at - 1].is_ascii_whitespace() {
            continue;
        }
        let rest = &tag[at + name.len()..];
        let eq = rest.iter().position(|c| !c.is_ascii_whitespace())?;
        if rest[eq] != b'=' {
            continue;
        }
        let after = &rest[eq + 1..];
        let q_at = after.iter().position(|c| !c.is_ascii_whitespace())?;
        let q = after[q_at];
        if q != b'"' && q != b'\'' {
            return None;
        }
        let v = &after[q_at + 1..];
        return v.iter().position(|&c| c == q).map(|e| &v[..e]);
    }
    None
}

/// Name of the element whose tag starts at `b` (after `<` or `</`), without a prefix check.
fn name_at(b: &[u8]) -> &[u8] {
    let n = b
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b':' | b'_' | b'-' | b'.'))
        .count();
    &b[..n]
}

fn atom03(doc: &[u8]) -> Vec<u8> {
    let b = replace_all(doc, ATOM03, ATOM10);
    let mut out = Vec::with_capacity(b.len() + 256);
    let mut i = 0;
    while let Some(off) = memchr::memchr(b'<', &b[i..]) {
        let at = i + off;
        out.extend_from_slice(&b[i..at]);
        let closing = b.get(at + 1) == Some(&b'/');
        let name_start = at + 1 + usize::from(closing);
        let name = name_at(&b[name_start..]);
        if b[at..].starts_with(b"<![CDATA[") {
            let end = memchr::memmem::find(&b[at..], b"]]>").map_or(b.len(), |e| at + e + 3);
            out.extend_from_slice(&b[at..end]);
            i = end;
            continue;
        }
        let Some(len) = tag_end(&b[at..]) else {
            out.extend_from_slice(&b[at..]);
            return out;
        };
        let tag = &b[at..at + len];
        let renamed = RENAMES
            .iter()
            .find(|(from, _)| *from == name)
            .map(|(_, to)| *to);
        let new_name = renamed.unwrap_or(name);
        if closing {
            out.extend_from_slice(b"</");
            out.extend_from_slice(new_name);
            out.extend_from_slice(&tag[2 + name.len()..]);
            i = at + len;
            continue;
        }
        if !TEXT_ELEMENTS.contains(&new_name) || tag.ends_with(b"/>") {
            out.push(b'<');
            out.extend_from_slice(new_name);
            out.extend_from_slice(&tag[1 + name.len()..]);
            i = at + len;
            continue;
        }
        // A text construct: Atom 1.0's type from Atom 0.3's type (a MIME type) and mode.
        let ty = attr(tag, b"type")
            .unwrap_or(b"text/plain")
            .to_ascii_lowercase();
        let mode = attr(tag, b"mode").unwrap_or(b"xml").to_ascii_lowercase();
        let is_html = ty.ends_with(b"html");
        let new_type: &[u8] = match mode.as_slice() {
            b"escaped" | b"base64" if is_html => b"html",
            b"escaped" | b"base64" => b"text",
            _ if ty.windows(5).any(|w| w == b"xhtml") => b"xhtml",
            _ if is_html => b"html",
            _ if ty == b"text" || ty == b"html" || ty == b"xhtml" => ty.as_slice(),
            _ => b"text",
        };
        out.push(b'<');
        out.extend_from_slice(new_name);
        out.extend_from_slice(b" type=\"");
        out.extend_from_slice(new_type);
        out.push(b'"');
        for lang in [&b"xml:lang"[..], b"xml:base"] {
            if let Some(v) = attr(tag, lang) {
                out.push(b' ');
                out.extend_from_slice(lang);
                out.extend_from_slice(b"=\"");
                out.extend_from_slice(v);
                out.push(b'"');
            }
        }
        out.push(b'>');
        i = at + len;
        if mode == b"base64" {
            let close: Vec<u8> = [b"</", name, b">"].concat();
            let end = memchr::memmem::find(&b[i..], &close).map_or(b.len(), |e| i + e);
            let decoded = base64_decode(&b[i..end]).unwrap_or_default();
            escape_into(&mut out, &String::from_utf8_lossy(&decoded));
            i = end;
        }
    }
    out.extend_from_slice(&b[i..]);
    out
}

fn escape_into(out: &mut Vec<u8>, s: &str) {
    for c in s.bytes() {
        match c {
            b'<' => out.extend_from_slice(b"&lt;"),
            b'>' => out.extend_from_slice(b"&gt;"),
            b'&' => out.extend_from_slice(b"&amp;"),
            _ => out.push(c),
        }
    }
}

/// Standard base64 (whitespace ignored); None on a character outside the alphabet.
fn base64_decode(b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(b.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in b {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            c if c.is_ascii_whitespace() => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rss_item_bodies_become_content() {
        let doc = br#"<?xml version="1.0"?><rss version="2.0" xmlns:xhtml="http://www.w3.org/1999/xhtml"><channel><title>t</title><item><title>One</title><body><p>Body one</p></body></item><item><title>Two</title><xhtml:body><xhtml:p>Body two</xhtml:p></xhtml:body></item><item><title>n</title><bodyguard>x</bodyguard></item></channel></rss>"#;
        let (out, notes) = upgrade(doc).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(notes.contains(&"<body> of RSS items read as content:encoded"));
        assert!(
            out.contains("<content:encoded><![CDATA[<p>Body one</p>]]></content:encoded>"),
            "{out}"
        );
        assert!(
            out.contains(
                "<content:encoded><![CDATA[<xhtml:p>Body two</xhtml:p>]]></content:encoded>"
            ),
            "{out}"
        );
        assert!(out.contains("<bodyguard>x</bodyguard>"));
        assert!(
            out.contains(r#"xmlns:content="http://purl.org/rss/1.0/modules/content/">"#),
            "{out}"
        );
        // Inside CDATA or a comment, `<body>` is text, not an element.
        let quoted = br#"<rss version="2.0"><channel><item><description><![CDATA[<html><body>x</body></html>]]></description><!-- <body>y</body> --></item></channel></rss>"#;
        assert!(upgrade(quoted).is_none());
        // A document with its own content:encoded is left alone.
        let own = br#"<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><item><content:encoded>x</content:encoded><body>y</body></item></channel></rss>"#;
        assert!(upgrade(own).is_none());
    }

    fn up(s: &str) -> (String, Vec<&'static str>) {
        let (b, n) = upgrade(s.as_bytes()).unwrap();
        (String::from_utf8(b).unwrap(), n)
    }

    #[test]
    fn atom03_is_renamed_and_its_modes_mapped() {
        let (s, n) = up(concat!(
            r#"<feed version="0.3" xmlns="http://purl.org/atom/ns#"><tagline>t</tagline>"#,
            r#"<entry><title mode="escaped" type="text/html">a &amp;lt;b&amp;gt;</title>"#,
            r#"<issued>2004-01-01T00:00:00Z</issued><modified>2004-01-02T00:00:00Z</modified>"#,
            r#"<content type="text/html" mode="base64">PHA+aGk8L3A+</content>"#,
            r#"<summary type="application/xhtml+xml" xml:lang="en"><div>x</div></summary></entry></feed>"#
        ));
        assert_eq!(n, ["Atom 0.3 mapped to Atom 1.0"]);
        assert!(s.contains(r#"xmlns="http://www.w3.org/2005/Atom""#), "{s}");
        assert!(s.contains(r#"<subtitle type="text">t</subtitle>"#), "{s}");
        assert!(
            s.contains(r#"<title type="html">a &amp;lt;b&amp;gt;</title>"#),
            "{s}"
        );
        assert!(
            s.contains("<published>2004-01-01T00:00:00Z</published>"),
            "{s}"
        );
        assert!(s.contains("<updated>2004-01-02T00:00:00Z</updated>"), "{s}");
        assert!(
            s.contains(r#"<content type="html">&lt;p&gt;hi&lt;/p&gt;</content>"#),
            "{s}"
        );
        assert!(
            s.contains(r#"<summary type="xhtml" xml:lang="en"><div>x</div>"#),
            "{s}"
        );
    }

    #[test]
    fn rss090_and_namespaced_rss() {
        let (s, _) =
            up(r#"<rdf:RDF xmlns="http://my.netscape.com/rdf/simple/0.9/"><item/></rdf:RDF>"#);
        assert!(s.contains(r#"xmlns="http://purl.org/rss/1.0/""#));
        let (s, n) =
            up(r#"<rss xmlns="http://backend.userland.com/rss2" version="2.0"><channel/></rss>"#);
        assert_eq!(s, r#"<rss version="2.0"><channel/></rss>"#);
        assert_eq!(n, ["default namespace on <rss> removed"]);
        assert!(upgrade(b"<rss version=\"2.0\" xmlns:a=\"x\"><channel/></rss>").is_none());
        assert!(upgrade(b"<feed xmlns=\"http://www.w3.org/2005/Atom\"/>").is_none());
    }

    #[test]
    fn base64() {
        assert_eq!(base64_decode(b"aGVs\nbG8=").as_deref(), Some(&b"hello"[..]));
        assert_eq!(base64_decode(b"!"), None);
    }
}

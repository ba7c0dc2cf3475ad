//! Fast HTML → plain text for the ingest path: skips tags (and `<script>`/`<style>` bodies),
//! decodes entities, collapses whitespace. A single pass over the bytes; a full HTML renderer
//! is far too slow here (digest rendering never embeds feed HTML either). Pure.

/// Converts an HTML (or plain) fragment to one line of plain text.
pub fn html_to_text(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let mut pending_space = false;
    while i < b.len() {
        let Some(off) = memchr::memchr3(b'<', b'&', b'\n', &b[i..])
            .map(|o| i + o)
            .or(Some(b.len()))
        else {
            break;
        };
        push_collapsed(&mut out, &s[i..off], &mut pending_space);
        i = off;
        if i >= b.len() {
            break;
        }
        match b[i] {
            b'<' => {
                let next = b.get(i + 1).copied().unwrap_or(b' ');
                if next.is_ascii_alphabetic() || next == b'/' || next == b'!' || next == b'?' {
                    let (end, block) = skip_tag(s, i);
                    if block {
                        pending_space = true;
                    }
                    i = end;
                } else {
                    push_collapsed(&mut out, "<", &mut pending_space);
                    i += 1;
                }
            }
            b'&' => {
                let rest = &b[i..];
                let common = [
                    ("&amp;", "&"),
                    ("&lt;", "<"),
                    ("&gt;", ">"),
                    ("&quot;", "\""),
                ]
                .into_iter()
                .find(|(e, _)| rest.starts_with(e.as_bytes()));
                if let Some((e, t)) = common {
                    // The commonest entities, without an allocation each.
                    push_collapsed(&mut out, t, &mut pending_space);
                    i += e.len();
                } else {
                    let (decoded, len) = decode_entity(&s[i..]);
                    push_collapsed(&mut out, decoded.as_str(), &mut pending_space);
                    i += len;
                }
            }
            _ => {
                pending_space = true;
                i += 1;
            }
        }
    }
    out
}

/// Undoes the commonest mojibake: UTF-8 text that was read as Latin-1/windows-1252 and saved
/// as UTF-8 again (`FlÃ¼chtlinge`, `â€ž`). Only when every character maps back to one byte and
/// those bytes are valid UTF-8 that differs from the input; None otherwise (feedparser does
/// the same for Latin-1).
pub fn undo_double_utf8(s: &str) -> Option<String> {
    // Mojibake of any non-ASCII char starts with a lead byte read as U+00C2..U+00F4, which is
    // 0xC3 0x82..0xB4 in UTF-8: without a 0xC3 byte there is nothing to undo (most text).
    memchr::memchr(0xC3, s.as_bytes())?;
    let mut bytes = Vec::with_capacity(s.len());
    let mut buf = [0u8; 4];
    for c in s.chars() {
        match u8::try_from(u32::from(c)) {
            Ok(b) => bytes.push(b),
            Err(_) => {
                let (enc, _, bad) = encoding_rs::WINDOWS_1252.encode(c.encode_utf8(&mut buf));
                match (bad, enc.as_ref()) {
                    (false, [b]) => bytes.push(*b),
                    _ => return None,
                }
            }
        }
    }
    let t = String::from_utf8(bytes).ok()?;
    (t != s).then_some(t)
}

/// Appends `t` collapsing whitespace runs into single spaces (no leading space).
fn push_collapsed(out: &mut String, t: &str, pending_space: &mut bool) {
    if t.is_ascii() {
        // The same split on bytes: ASCII whitespace is `char::is_whitespace`'s ASCII part.
        let (mut start, mut after_space) = (0, false);
        for (i, &c) in t.as_bytes().iter().enumerate() {
            if matches!(c, b' ' | b'\t'..=b'\r') {
                push_part(
                    out,
                    t.get(start..i).unwrap_or_default(),
                    after_space,
                    pending_space,
                );
                (start, after_space) = (i + 1, true);
            }
        }
        push_part(
            out,
            t.get(start..).unwrap_or_default(),
            after_space,
            pending_space,
        );
        return;
    }
    for (n, part) in t.split(char::is_whitespace).enumerate() {
        push_part(out, part, n > 0, pending_space);
    }
}

fn push_part(out: &mut String, part: &str, after_space: bool, pending_space: &mut bool) {
    if after_space {
        *pending_space = true;
    }
    if part.is_empty() {
        return;
    }
    if *pending_space && !out.is_empty() {
        out.push(' ');
    }
    *pending_space = false;
    out.push_str(part);
}

const BLOCK: &[&str] = &[
    "p",
    "br",
    "div",
    "li",
    "ul",
    "ol",
    "tr",
    "td",
    "th",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "hr",
    "table",
    "section",
    "article",
    "figure",
    "figcaption",
    "img",
    "dd",
    "dt",
];

/// Skips the tag starting at `i`; returns the index after it and whether it separates words.
/// `<script>`/`<style>` skip to their closing tag; comments and CDATA markers are dropped.
fn skip_tag(s: &str, i: usize) -> (usize, bool) {
    let b = s.as_bytes();
    if s[i..].starts_with("<!--") {
        return match s[i + 4..].find("-->") {
            Some(e) => (i + 4 + e + 3, false),
            None => (b.len(), false),
        };
    }
    if s[i..].starts_with("<![CDATA[") {
        return (i + 9, false);
    }
    let end = match memchr::memchr(b'>', &b[i..]) {
        Some(e) => i + e + 1,
        None => return (b.len(), true),
    };
    let name_start = if b.get(i + 1) == Some(&b'/') {
        i + 2
    } else {
        i + 1
    };
    let name_len = b[name_start..end]
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric())
        .count();
    let name = &s[name_start..name_start + name_len];
    if (name.eq_ignore_ascii_case("script") || name.eq_ignore_ascii_case("style"))
        && b.get(i + 1) != Some(&b'/')
    {
        // Looks only as far as the closing tag (case-insensitively, without copying), so a
        // flood of small script elements costs linear time.
        let name = name.to_ascii_lowercase();
        return match find_close(b, end, name.as_bytes()) {
            Some(after) => {
                let gt = memchr::memchr(b'>', &b[after..])
                    .map(|g| after + g + 1)
                    .unwrap_or(b.len());
                (gt, true)
            }
            None => (b.len(), true),
        };
    }
    (end, BLOCK.iter().any(|t| t.eq_ignore_ascii_case(name)))
}

/// Position of the first `</name` (any case) at or after `from`.
fn find_close(b: &[u8], from: usize, name: &[u8]) -> Option<usize> {
    let finder = memchr::memmem::Finder::new(b"</");
    let mut at = from;
    while let Some(off) = finder.find(&b[at..]) {
        let pos = at + off;
        let tag = &b[pos + 2..];
        if tag.len() >= name.len() && tag[..name.len()].eq_ignore_ascii_case(name) {
            return Some(pos);
        }
        at = pos + 2;
    }
    None
}

/// Decodes one entity at the start of `s` (which begins with '&'). Returns the text and the
/// number of bytes consumed; an unknown or malformed entity is kept literally.
pub fn decode_entity(s: &str) -> (String, usize) {
    let b = s.as_bytes();
    let max = b.len().min(40);
    let Some(semi) = b[..max].iter().position(|&c| c == b';') else {
        return ("&".into(), 1);
    };
    let body = &s[1..semi];
    if let Some(num) = body.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => num.parse::<u32>().ok(),
        };
        return match code.and_then(char::from_u32) {
            Some(c) if c != '\0' => (c.to_string(), semi + 1),
            _ => ("&".into(), 1),
        };
    }
    match named(body) {
        Some(t) => (t, semi + 1),
        None => ("&".into(), 1),
    }
}

/// A named entity (without `&` and `;`): HTML5's whole table (html-escape), except that
/// spacing and invisible characters become what plain text wants.
fn named(n: &str) -> Option<String> {
    match n {
        "nbsp" | "ensp" | "emsp" | "thinsp" | "NonBreakingSpace" => return Some(" ".into()),
        "shy" | "zwj" | "zwnj" | "ZeroWidthSpace" => return Some(String::new()),
        _ => {}
    }
    if n.is_empty() || n.len() > 32 || !n.bytes().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let entity = format!("&{n};");
    let decoded = html_escape::decode_html_entities(&entity);
    (decoded != entity.as_str()).then(|| decoded.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_tags_and_decodes() {
        let h =
            "<p>US <strong>tightens</strong>&nbsp;export controls</p><p>on chips &amp; tools</p>";
        assert_eq!(
            html_to_text(h),
            "US tightens export controls on chips & tools"
        );
        assert_eq!(html_to_text("a<br/>b"), "a b");
        assert_eq!(html_to_text("x<script>var a = '<p>';</script>y"), "x y");
        assert_eq!(
            html_to_text("1 < 2 &bogus; &#x4E2D;&#25991;"),
            "1 < 2 &bogus; 中文"
        );
        assert_eq!(html_to_text("  many \n\t spaces  "), "many spaces");
        assert_eq!(html_to_text("<!-- c -->text<img src=x>more"), "text more");
        assert_eq!(html_to_text("unclosed <b"), "unclosed");
        assert_eq!(html_to_text("<![CDATA[inside]]>"), "inside]]>");
        assert_eq!(
            html_to_text("a &rarr; b&hellip; &Aring;&nbsp;&notin; &NotNestedGreaterGreater;"),
            "a \u{2192} b\u{2026} \u{c5} \u{2209} \u{2aa2}\u{338}"
        );
    }

    #[test]
    fn double_encoded_utf8_is_undone() {
        assert_eq!(
            undo_double_utf8("FlÃ¼chtlingskrise â€žja â€“ nein").as_deref(),
            Some("Flüchtlingskrise „ja – nein")
        );
        assert_eq!(undo_double_utf8("café"), None);
        assert_eq!(undo_double_utf8("plain"), None);
        assert_eq!(undo_double_utf8("半导体 Ã©"), None);
    }

    #[test]
    fn never_panics_on_odd_input() {
        for s in [
            "&",
            "&#",
            "&#x;",
            "&#99999999;",
            "<",
            "<!--",
            "<script",
            "é&amp",
            "<a\u{1F600}>",
        ] {
            let _ = html_to_text(s);
        }
    }
}

//! Character encodings: picks the document's encoding from the BOM, the HTTP `charset`, the
//! XML prolog or a sniff, transcodes to UTF-8 with encoding_rs and rewrites the prolog so
//! feed-rs (which reads only the prolog) sees what the bytes really are. Pure.

use encoding_rs::{Encoding, UTF_8};
use std::borrow::Cow;

/// The `charset` parameter of a Content-Type header value.
pub fn charset_of(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(['"', '\'']))
    })
}

/// The `encoding` declared in an XML prolog at the start of `b`, and its byte range.
fn prolog_encoding(b: &[u8]) -> Option<(String, std::ops::Range<usize>)> {
    let head = &b[..b.len().min(512)];
    let start = memchr::memmem::find(head, b"<?xml")?;
    let end = start + memchr::memmem::find(&head[start..], b"?>")?;
    let decl = &head[start..end];
    let at = memchr::memmem::find(decl, b"encoding")?;
    let rest = &decl[at + 8..];
    let eq = rest.iter().position(|&c| c == b'=')?;
    let after = &rest[eq + 1..];
    let q_off = after.iter().position(|&c| c == b'"' || c == b'\'')?;
    let q = after[q_off];
    let val_start = q_off + 1;
    let val_len = after[val_start..].iter().position(|&c| c == q)?;
    let abs = start + at + 8 + eq + 1 + val_start;
    let name = String::from_utf8_lossy(&after[val_start..val_start + val_len]).to_string();
    Some((name, abs..abs + val_len))
}

/// A document ready for feed-rs: UTF-8 bytes (prolog consistent) and the encoding found.
pub struct Prepared<'a> {
    pub bytes: Cow<'a, [u8]>,
    pub encoding: &'static str,
    pub note: Option<String>,
}

fn decodes_cleanly(enc: &'static Encoding, b: &[u8]) -> bool {
    enc.decode_without_bom_handling_and_without_replacement(b)
        .is_some()
}

/// Chooses the encoding and returns UTF-8 bytes. Order: BOM, HTTP charset, XML prolog,
/// valid UTF-8, then a sniff among common legacy encodings; a declared encoding that cannot
/// decode the bytes gives way to one that can.
pub fn prepare<'a>(b: &'a [u8], http_charset: Option<&str>) -> Prepared<'a> {
    if let Some((enc, bom_len)) = Encoding::for_bom(b) {
        let body = &b[bom_len..];
        if enc == UTF_8 {
            return fix_prolog(Cow::Borrowed(body), "UTF-8", None);
        }
        let (text, _) = enc.decode_without_bom_handling(body);
        return fix_prolog(Cow::Owned(text.into_owned().into_bytes()), enc.name(), None);
    }
    // UTF-16 without a BOM, recognised by how "<?" or "<" is laid out (XML 1.0 appendix F).
    let utf16 = match b {
        [0, b'<', 0, _, ..] => Some(encoding_rs::UTF_16BE),
        [b'<', 0, _, 0, ..] => Some(encoding_rs::UTF_16LE),
        _ => None,
    };
    if let Some(enc) = utf16 {
        let (text, _) = enc.decode_without_bom_handling(b);
        return fix_prolog(Cow::Owned(text.into_owned().into_bytes()), enc.name(), None);
    }
    let http = http_charset.and_then(|c| Encoding::for_label(c.as_bytes()));
    let prolog = prolog_encoding(b).and_then(|(n, _)| Encoding::for_label(n.as_bytes()));
    // UTF-16 labels without a BOM can't be told apart reliably; encoding_rs maps them sensibly.
    let mut candidates: Vec<&'static Encoding> = Vec::new();
    // Non-ASCII text that is valid UTF-8 is almost never legacy-encoded text: a declared
    // legacy encoding is then a mislabel (common after a CMS migration).
    if !b.is_ascii() && std::str::from_utf8(b).is_ok() {
        candidates.push(UTF_8);
    }
    candidates.extend(http);
    candidates.extend(prolog);
    candidates.push(UTF_8);
    let mut note = None;
    let chosen = match candidates.iter().copied().find(|e| decodes_cleanly(e, b)) {
        Some(e) => {
            let declared = http.or(prolog).unwrap_or(UTF_8);
            if e != declared {
                note = Some(format!(
                    "declared encoding {} does not fit the bytes; used {}",
                    declared.name(),
                    e.name()
                ));
            }
            e
        }
        None => {
            let sniffed = sniff(b)
                .or(http)
                .or(prolog)
                .unwrap_or(encoding_rs::WINDOWS_1252);
            note = Some(format!(
                "bytes are not valid in the declared encoding; decoded as {} with replacements",
                sniffed.name()
            ));
            sniffed
        }
    };
    if chosen == UTF_8 {
        return fix_prolog(Cow::Borrowed(b), "UTF-8", note);
    }
    let (text, _) = chosen.decode_without_bom_handling(b);
    fix_prolog(
        Cow::Owned(text.into_owned().into_bytes()),
        chosen.name(),
        note,
    )
}

/// Tries common legacy encodings for bytes that are not valid in any declared one.
fn sniff(b: &[u8]) -> Option<&'static Encoding> {
    [
        encoding_rs::GBK,
        encoding_rs::BIG5,
        encoding_rs::SHIFT_JIS,
        encoding_rs::EUC_KR,
        encoding_rs::WINDOWS_1252,
    ]
    .into_iter()
    .find(|e| decodes_cleanly(e, b))
}

/// Rewrites the prolog's `encoding` to utf-8 when it says anything else.
fn fix_prolog<'a>(
    bytes: Cow<'a, [u8]>,
    encoding: &'static str,
    note: Option<String>,
) -> Prepared<'a> {
    match prolog_encoding(&bytes) {
        Some((name, range))
            if !name.eq_ignore_ascii_case("utf-8") && !name.eq_ignore_ascii_case("utf8") =>
        {
            let mut v = bytes.into_owned();
            v.splice(range, b"utf-8".iter().copied());
            Prepared {
                bytes: Cow::Owned(v),
                encoding,
                note,
            }
        }
        _ => Prepared {
            bytes,
            encoding,
            note,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charset_param() {
        assert_eq!(
            charset_of("application/rss+xml; charset=GB2312"),
            Some("GB2312")
        );
        assert_eq!(charset_of("text/xml;charset=\"big5\""), Some("big5"));
        assert_eq!(charset_of("text/xml"), None);
    }

    #[test]
    fn prolog_gbk_is_transcoded_and_rewritten() {
        let (gbk, _, _) = encoding_rs::GBK
            .encode("<?xml version=\"1.0\" encoding=\"gb2312\"?><rss><t>半导体出口管制</t></rss>");
        let p = prepare(&gbk, None);
        assert_eq!(p.encoding, "GBK");
        let s = std::str::from_utf8(&p.bytes).unwrap();
        assert!(
            s.contains("encoding=\"utf-8\"") && s.contains("半导体出口管制"),
            "{s}"
        );
    }

    #[test]
    fn http_charset_only_and_wrong_declarations() {
        let (big5, _, _) =
            encoding_rs::BIG5.encode("<?xml version=\"1.0\"?><rss><t>半導體</t></rss>");
        let p = prepare(&big5, Some("big5"));
        assert!(std::str::from_utf8(&p.bytes).unwrap().contains("半導體"));
        // Declared UTF-8 but really GBK: falls back to a sniffed encoding, noted.
        let (gbk, _, _) = encoding_rs::GBK
            .encode("<?xml version=\"1.0\" encoding=\"utf-8\"?><rss><t>芯片出口</t></rss>");
        let p = prepare(&gbk, None);
        assert!(p.note.is_some());
        assert!(std::str::from_utf8(&p.bytes).unwrap().contains("芯片出口"));
        // Declared gb2312 but really UTF-8: UTF-8 wins, prolog rewritten.
        let p = prepare(
            "<?xml version='1.0' encoding='gb2312'?><rss>芯片</rss>".as_bytes(),
            None,
        );
        let s = std::str::from_utf8(&p.bytes).unwrap();
        assert!(s.contains("'utf-8'") && s.contains("芯片"), "{s}");
    }

    #[test]
    fn boms() {
        let mut v = vec![0xFF, 0xFE];
        for u in "<?xml version=\"1.0\" encoding=\"utf-16\"?><rss>é</rss>".encode_utf16() {
            v.extend_from_slice(&u.to_le_bytes());
        }
        let p = prepare(&v, None);
        assert_eq!(p.encoding, "UTF-16LE");
        assert!(
            std::str::from_utf8(&p.bytes)
                .unwrap()
                .contains("utf-8\"?><rss>é")
        );
    }
}

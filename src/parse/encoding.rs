//! Character encodings: picks the document's encoding the way browsers do (BOM, HTTP `charset`,
//! XML prolog, then chardetng with the feed URL's TLD as hint), transcodes to UTF-8 with
//! encoding_rs and rewrites the prolog so feed-rs (which reads only the prolog) sees what the
//! bytes really are. Called by [`super::parse_feed`]. Pure.

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

/// Chooses the encoding and returns UTF-8 bytes, in the order browsers use: BOM, HTTP
/// charset, XML declaration, then chardetng over the bytes (with the top-level domain of the
/// feed's URL as its hint, `tld`). Labels map the WHATWG way (`ISO-8859-1` and `US-ASCII` are
/// windows-1252). Non-ASCII bytes that are valid UTF-8 beat a declared legacy encoding (a
/// mislabel after a CMS migration), and a declared encoding that cannot decode the bytes gives
/// way to the detector.
pub fn prepare<'a>(b: &'a [u8], http_charset: Option<&str>, tld: Option<&str>) -> Prepared<'a> {
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
    // A UTF-16 label on 8-bit bytes (no BOM, no zero bytes as above) is wrong by construction.
    let label = |l: &str| {
        for_label_lenient(l).filter(|e| *e != encoding_rs::UTF_16LE && *e != encoding_rs::UTF_16BE)
    };
    let http = http_charset.and_then(label);
    let prolog = prolog_encoding(b).and_then(|(n, _)| label(&n));
    let declared = http.or(prolog);
    let valid_utf8 = std::str::from_utf8(b).is_ok();
    let mut note = None;
    let chosen = match declared {
        _ if valid_utf8 && !b.is_ascii() => {
            if let Some(d) = declared.filter(|d| *d != UTF_8) {
                note = Some(format!(
                    "declared encoding {} does not fit the bytes; used UTF-8",
                    d.name()
                ));
            }
            UTF_8
        }
        Some(d) if decodes_cleanly(d, b) => d,
        // UTF-8 with a few broken sequences (a file cut mid-character, one bad byte) is still
        // UTF-8: a detector would turn all of its text into mojibake.
        Some(d) if d == UTF_8 && mostly_utf8(b) => {
            note = Some("a few bytes are not valid UTF-8; replaced".into());
            UTF_8
        }
        None if !valid_utf8 && mostly_utf8(b) => {
            note = Some("a few bytes are not valid UTF-8; replaced".into());
            UTF_8
        }
        Some(d) => {
            let guess = detect(b, tld);
            let used = if decodes_cleanly(guess, b) { guess } else { d };
            note = Some(if used == d {
                format!(
                    "bytes are not valid in the declared encoding {}; decoded with replacements",
                    d.name()
                )
            } else {
                format!(
                    "declared encoding {} does not fit the bytes; used {}",
                    d.name(),
                    used.name()
                )
            });
            used
        }
        None if valid_utf8 => UTF_8,
        None => detect(b, tld),
    };
    if chosen == UTF_8 && valid_utf8 {
        return fix_prolog(Cow::Borrowed(b), "UTF-8", note);
    }
    let (text, _) = chosen.decode_without_bom_handling(b);
    fix_prolog(
        Cow::Owned(text.into_owned().into_bytes()),
        chosen.name(),
        note,
    )
}

/// A WHATWG label, or one of the names feeds use that WHATWG does not list (Python's and
/// Java's spellings: `maccyrillic`, `cp932`, `shift-jis`, `euc_kr` …).
fn for_label_lenient(l: &str) -> Option<&'static Encoding> {
    let l = l.trim().to_ascii_lowercase();
    Encoding::for_label(l.as_bytes())
        .or_else(|| Encoding::for_label(l.replace('_', "-").as_bytes()))
        .or_else(|| {
            let name = match l.replace(['_', '-'], "").as_str() {
                "maccyrillic" | "xmaccyrillic" | "maccyr" => "x-mac-cyrillic",
                "cp932" | "ms932" | "shiftjis" | "xsjis" | "windows31j" => "shift_jis",
                "eucjp" | "ujis" => "euc-jp",
                "euckr" | "cp949" | "uhc" => "euc-kr",
                "gb2312" | "cp936" | "euccn" | "gbk" => "gbk",
                "big5hkscs" | "cp950" => "big5",
                "tis620" | "cp874" => "windows-874",
                "cp1250" | "cp1251" | "cp1252" | "cp1253" | "cp1254" | "cp1255" | "cp1256"
                | "cp1257" | "cp1258" => {
                    return Encoding::for_label(l.replace("cp", "windows-").as_bytes());
                }
                _ => return None,
            };
            Encoding::for_label(name.as_bytes())
        })
}

/// Valid UTF-8 but for one broken sequence, or at most one per 20 multi-byte characters.
fn mostly_utf8(b: &[u8]) -> bool {
    let (mut multibyte, mut broken) = (0usize, 0usize);
    for chunk in b.utf8_chunks() {
        multibyte += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        broken += usize::from(!chunk.invalid().is_empty());
    }
    multibyte > 0 && (broken <= 1 || broken * 20 <= multibyte)
}

/// chardetng's guess for undeclared legacy bytes (what Firefox does for unlabelled pages).
fn detect(b: &[u8], tld: Option<&str>) -> &'static Encoding {
    let mut d = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    d.feed(b, true);
    let tld = tld
        .map(str::to_ascii_lowercase)
        .filter(|t| !t.is_empty() && t.bytes().all(|c| c.is_ascii_alphanumeric()));
    d.guess(
        tld.as_deref().map(str::as_bytes),
        chardetng::Utf8Detection::Allow,
    )
}

/// The top-level domain of a URL's host (`tw` for `https://news.example.com.tw/rss`), the hint
/// chardetng takes; None for IP addresses, files and unparsable URLs.
pub fn tld_of(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    match u.host()? {
        url::Host::Domain(d) => d
            .trim_end_matches('.')
            .rsplit('.')
            .next()
            .map(str::to_ascii_lowercase),
        _ => None,
    }
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
        let p = prepare(&gbk, None, None);
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
        let p = prepare(&big5, Some("big5"), None);
        assert!(std::str::from_utf8(&p.bytes).unwrap().contains("半導體"));
        // Declared UTF-8 but really GBK: falls back to a sniffed encoding, noted.
        let (gbk, _, _) = encoding_rs::GBK
            .encode("<?xml version=\"1.0\" encoding=\"utf-8\"?><rss><t>芯片出口</t></rss>");
        let p = prepare(&gbk, None, None);
        assert!(p.note.is_some());
        assert!(std::str::from_utf8(&p.bytes).unwrap().contains("芯片出口"));
        // Declared gb2312 but really UTF-8: UTF-8 wins, prolog rewritten.
        let p = prepare(
            "<?xml version='1.0' encoding='gb2312'?><rss>芯片</rss>".as_bytes(),
            None,
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
        let p = prepare(&v, None, None);
        assert_eq!(p.encoding, "UTF-16LE");
        assert!(
            std::str::from_utf8(&p.bytes)
                .unwrap()
                .contains("utf-8\"?><rss>é")
        );
    }

    #[test]
    fn undeclared_legacy_encodings_are_detected() {
        let big5_text = "<?xml version=\"1.0\"?><rss><channel><title>中央研究院</title><item><title>臺灣半導體產業的出口管制與晶片供應鏈</title><description>經濟部今天宣布，將加強對先進晶片與製造設備的出口審查，以確保國家安全與產業發展。</description></item></channel></rss>";
        let (big5, _, _) = encoding_rs::BIG5.encode(big5_text);
        let p = prepare(&big5, None, Some("tw"));
        assert_eq!(p.encoding, "Big5");
        assert!(
            std::str::from_utf8(&p.bytes)
                .unwrap()
                .contains("臺灣半導體")
        );
        let sjis_text = "<?xml version=\"1.0\"?><rss><channel><title>日本のニュース</title><item><title>半導体製造装置の輸出規制を強化すると経済産業省が発表しました</title></item></channel></rss>";
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(sjis_text);
        let p = prepare(&sjis, None, Some("jp"));
        assert_eq!(p.encoding, "Shift_JIS");
    }

    #[test]
    fn latin1_and_ascii_labels_mean_windows_1252() {
        let doc =
            b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss><t>it\x92s \x93x\x94</t></rss>";
        let p = prepare(doc, None, None);
        assert_eq!(p.encoding, "windows-1252");
        let s = std::str::from_utf8(&p.bytes).unwrap();
        assert!(s.contains("it\u{2019}s \u{201c}x\u{201d}"), "{s}");
        let p = prepare(b"<rss><t>caf\xe9</t></rss>", Some("us-ascii"), None);
        assert!(std::str::from_utf8(&p.bytes).unwrap().contains("café"));
        assert_eq!(
            tld_of("https://news.Example.COM.TW/rss").as_deref(),
            Some("tw")
        );
        assert_eq!(tld_of("file:///tmp/x.xml"), None);
        assert_eq!(
            for_label_lenient("MacCyrillic"),
            Some(encoding_rs::X_MAC_CYRILLIC)
        );
        assert_eq!(for_label_lenient("CP932"), Some(encoding_rs::SHIFT_JIS));
        assert_eq!(for_label_lenient("euc_kr"), Some(encoding_rs::EUC_KR));
        assert_eq!(for_label_lenient("cp1251"), Some(encoding_rs::WINDOWS_1251));
        assert_eq!(for_label_lenient("bogus"), None);
        // Cut mid-character: still UTF-8, the broken tail replaced.
        let mut cut =
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss><t>赘婿 半导体 出口管制</t><t>芯"
                .as_bytes()
                .to_vec();
        cut.pop();
        let p = prepare(&cut, None, None);
        assert_eq!(p.encoding, "UTF-8");
        assert!(
            std::str::from_utf8(&p.bytes)
                .unwrap()
                .contains("赘婿 半导体")
        );
    }
}

//! Text normalisation shared by patterns and documents: NFKC-style compatibility
//! folding (full-width → half-width), optional case folding, Latin diacritic
//! removal, Traditional → Simplified Chinese folding and whitespace collapsing,
//! with a map from normalised byte offsets back to the original text.
//! Also owns the character classes used for word boundaries and tokenising.

use std::sync::OnceLock;

use unicode_normalization::char::{compose, decompose_compatible, is_combining_mark};

use super::t2s;

/// A normalised copy of a text plus the offset map back to the original.
#[derive(Debug, Default, Clone)]
pub(crate) struct Normalized {
    /// The normalised text.
    pub text: String,
    /// `map[i]` = byte offset in the original text of the char that produced
    /// normalised byte `i`; one extra entry at the end holds the original length.
    /// Empty when the mapping is the identity.
    map: Vec<u32>,
    /// Length of the original text.
    orig_len: usize,
}

impl Normalized {
    /// Original byte offset where the normalised span starting at `start` begins.
    pub fn orig_start(&self, start: usize) -> usize {
        if self.map.is_empty() {
            return start.min(self.orig_len);
        }
        self.map.get(start).map_or(self.orig_len, |&o| o as usize)
    }

    /// Original byte offset where a normalised span ending at `end` ends: the end
    /// of the original char that produced normalised byte `end - 1`.
    pub fn orig_end(&self, end: usize) -> usize {
        if self.map.is_empty() {
            return end.min(self.orig_len);
        }
        let Some(&last) = end.checked_sub(1).and_then(|i| self.map.get(i)) else {
            return 0;
        };
        self.map
            .get(end..)
            .and_then(|rest| rest.iter().find(|&&o| o != last))
            .map_or(self.orig_len, |&o| o as usize)
    }
}

/// Normalise `src` (folding case when `fold_case`) into a fresh string.
pub(crate) fn normalize(src: &str, fold_case: bool) -> String {
    let mut out = Normalized::default();
    normalize_into(src, fold_case, &mut out);
    out.text
}

/// Normalise `src` into `out`, reusing its buffers.
pub(crate) fn normalize_into(src: &str, fold_case: bool, out: &mut Normalized) {
    out.text.clear();
    out.map.clear();
    out.orig_len = src.len();
    if src.len() >= u32::MAX as usize {
        // Absurdly large input: keep it verbatim rather than overflow the map.
        out.text.push_str(src);
        return;
    }
    if ascii_clean(src) {
        // Fast path: byte-for-byte, identity map.
        let mut bytes = std::mem::take(&mut out.text).into_bytes();
        bytes.extend_from_slice(src.as_bytes());
        for b in &mut bytes {
            if fold_case {
                b.make_ascii_lowercase();
            }
            if b.is_ascii_whitespace() || *b == 0x0b {
                *b = b' ';
            }
        }
        // Only ASCII bytes were rewritten into ASCII bytes, so this stays UTF-8.
        out.text = String::from_utf8(bytes).unwrap_or_default();
        return;
    }
    let mut w = Writer { out, last: None };
    for (pos, c) in src.char_indices() {
        let pos = pos as u32;
        let cp = c as u32;
        if cp < 0x80 {
            let b = c as u8;
            if b.is_ascii_whitespace() || b == 0x0b {
                w.space(pos);
            } else {
                w.push(
                    if fold_case {
                        b.to_ascii_lowercase() as char
                    } else {
                        c
                    },
                    pos,
                );
            }
        } else if (0x3400..=0x9FFF).contains(&cp) {
            w.push(fold_han(c), pos);
        } else if (0xAC00..=0xD7A3).contains(&cp)
            || ((0x3040..=0x30FF).contains(&cp) && !(0x3099..=0x309C).contains(&cp))
        {
            w.push(c, pos);
        } else {
            decompose_compatible(c, |d| {
                if fold_case {
                    if d == 'ß' || d == 'ẞ' {
                        w.push('s', pos);
                        w.push('s', pos);
                    } else {
                        for l in d.to_lowercase() {
                            w.emit(l, pos);
                        }
                    }
                } else {
                    w.emit(d, pos);
                }
            });
        }
    }
    let end = src.len() as u32;
    w.out.map.push(end);
}

/// True when `src` is ASCII without runs of whitespace (identity map possible).
fn ascii_clean(src: &str) -> bool {
    let mut prev_ws = false;
    for &b in src.as_bytes() {
        if b >= 0x80 {
            return false;
        }
        let ws = b.is_ascii_whitespace() || b == 0x0b;
        if ws && prev_ws {
            return false;
        }
        prev_ws = ws;
    }
    true
}

struct Writer<'a> {
    out: &'a mut Normalized,
    /// Last char written, its normalised byte start and original offset.
    last: Option<(char, usize, u32)>,
}

impl Writer<'_> {
    fn push(&mut self, c: char, orig: u32) {
        let start = self.out.text.len();
        self.out.text.push(c);
        for _ in 0..c.len_utf8() {
            self.out.map.push(orig);
        }
        self.last = Some((c, start, orig));
    }

    fn space(&mut self, orig: u32) {
        if !matches!(self.last, Some((' ', _, _))) {
            self.push(' ', orig);
        }
    }

    /// Emit a char produced by compatibility decomposition.
    fn emit(&mut self, c: char, orig: u32) {
        if c.is_whitespace() {
            self.space(orig);
            return;
        }
        let c = fold_han(c);
        if let Some((prev, start, prev_orig)) = self.last {
            if is_combining_mark(c) && is_latin_like(prev) {
                return; // diacritic on a Latin/Greek/Cyrillic letter: drop it
            }
            if let Some(composed) = compose(prev, c) {
                self.out.text.truncate(start);
                self.out.map.truncate(start);
                self.push(composed, prev_orig);
                return;
            }
        } else if is_combining_mark(c) {
            return; // a stray mark at the start of the text
        }
        self.push(c, orig);
    }
}

/// Latin, Greek and Cyrillic letters (whose diacritics are folded away).
fn is_latin_like(c: char) -> bool {
    let cp = c as u32;
    (cp < 0x0530 && c.is_alphabetic()) || (0x1E00..=0x1FFF).contains(&cp)
}

/// Chars of scripts written without spaces between words: Han, Kana, Hangul
/// (and their punctuation / compatibility blocks). Terms containing them match
/// as substrings and each counts as one token for `NEAR`.
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x11FF // Hangul jamo
        | 0x2E80..=0x2FDF // radicals
        | 0x3000..=0x303F // CJK symbols and punctuation
        | 0x3040..=0x30FF // Hiragana, Katakana
        | 0x3130..=0x318F // Hangul compatibility jamo
        | 0x31F0..=0x31FF // Katakana extensions
        | 0x3400..=0x4DBF // Han extension A
        | 0x4E00..=0x9FFF // Han
        | 0xAC00..=0xD7AF // Hangul syllables
        | 0xF900..=0xFAFF // compatibility ideographs
        | 0xFF66..=0xFFDC // half-width Katakana / Hangul
        | 0x20000..=0x3FFFF // Han extensions B..
    )
}

/// Chars that form Latin-style words (letters, digits, marks, `_`), not CJK.
pub(crate) fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '_';
    }
    (c.is_alphanumeric() || is_combining_mark(c)) && !is_cjk(c)
}

/// Fold a Traditional Chinese char to its Simplified form (identity otherwise).
pub(crate) fn fold_han(c: char) -> char {
    let cp = c as u32;
    if !(0x3400..=0x9FFF).contains(&cp) {
        return c;
    }
    let table = han_table();
    match table.get((cp - 0x3400) as usize) {
        Some(&s) if s != 0 => char::from_u32(s as u32).unwrap_or(c),
        _ => c,
    }
}

/// Dense table for U+3400..=U+9FFF: simplified code point (BMP) or 0.
fn han_table() -> &'static [u16] {
    static TABLE: OnceLock<Vec<u16>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut v = vec![0u16; 0x9FFF - 0x3400 + 1];
        for (t, s) in t2s::TRAD.chars().zip(t2s::SIMP.chars()) {
            let (t, s) = (t as u32, s as u32);
            if (0x3400..=0x9FFF).contains(&t)
                && s <= 0xFFFF
                && let Some(slot) = v.get_mut((t - 0x3400) as usize)
            {
                *slot = s as u16;
            }
        }
        v
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> String {
        normalize(s, true)
    }

    #[test]
    fn folds() {
        let table = [
            ("Export Controls", "export controls"),
            ("ＢＩＳ ＥＡＲ", "bis ear"),
            ("Café Résumé", "cafe resume"),
            ("Cafe\u{301}", "cafe"),
            ("Übergrößen", "ubergrossen"),
            ("半導體 晶片 輝達 華為 臺灣", "半导体 晶片 辉达 华为 台湾"),
            ("  a \t\n b  ", " a b "),
            ("ｶﾞｲﾄﾞ", "ガイド"),
            ("반도체", "반도체"),
            ("ﬁle", "file"),
            ("Ἀθῆναι", "αθηναι"),
        ];
        for (input, want) in table {
            assert_eq!(n(input), want, "input {input:?}");
        }
        assert_eq!(normalize("ＢＩＳ Café", false), "BIS Cafe");
        assert_eq!(t2s::TRAD.chars().count(), t2s::LEN);
        assert_eq!(t2s::SIMP.chars().count(), t2s::LEN);
    }

    #[test]
    fn offsets_map_back() {
        let src = "Ａｂ  Café\u{301}x 導體";
        let mut out = Normalized::default();
        normalize_into(src, true, &mut out);
        assert_eq!(out.text, "ab cafex 导体");
        let s = out.text.find("cafe").unwrap_or(0);
        let (os, oe) = (out.orig_start(s), out.orig_end(s + 4));
        assert_eq!(&src[os..oe], "Café\u{301}");
        let s = out.text.find("导体").unwrap_or(0);
        assert_eq!(&src[out.orig_start(s)..out.orig_end(s + 6)], "導體");
        let mut ascii = Normalized::default();
        normalize_into("Hello World", true, &mut ascii);
        assert_eq!(ascii.text, "hello world");
        assert_eq!((ascii.orig_start(6), ascii.orig_end(11)), (6, 11));
    }

    #[test]
    fn classes() {
        assert!(is_word_char('é') && is_word_char('7') && !is_word_char('-'));
        assert!(!is_word_char('芯') && is_cjk('芯') && is_cjk('ア') && is_cjk('반'));
    }
}

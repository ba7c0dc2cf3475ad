//! Character classes (CJK scripts and letters, East Asian display width, word characters,
//! Latin-like letters) for the matcher, story tokens and text layout, and the Traditional →
//! Simplified Chinese fold. The one place these classes are written.

use std::sync::OnceLock;

use unicode_normalization::char::is_combining_mark;

use super::t2s;

/// Columns a char takes in a terminal or a plain-text mail: 2 for East Asian wide and
/// full-width characters, else 1.
pub fn display_width(c: char) -> usize {
    let u = c as u32;
    if (0x1100..=0x115F).contains(&u)
        || (0x2E80..=0xA4CF).contains(&u)
        || (0xAC00..=0xD7A3).contains(&u)
        || (0xF900..=0xFAFF).contains(&u)
        || (0xFE30..=0xFE4F).contains(&u)
        || (0xFF00..=0xFF60).contains(&u)
        || (0xFFE0..=0xFFE6).contains(&u)
    {
        2
    } else {
        1
    }
}

/// CJK letters only (Kana, Han incl. extension A and compatibility ideographs, Hangul
/// syllables), without the punctuation and symbol blocks of [`is_cjk`]: what story tokens
/// cut into character bigrams.
pub(crate) fn is_cjk_letter(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30ff | 0x3400..=0x4dbf | 0x4e00..=0x9fff | 0xac00..=0xd7af | 0xf900..=0xfaff)
}

/// Latin, Greek and Cyrillic letters (whose diacritics are folded away).
pub(crate) fn is_latin_like(c: char) -> bool {
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
    // CJK first: a range test, where `is_alphanumeric` of a Han char is a table search.
    !is_cjk(c) && (c.is_alphanumeric() || is_combining_mark(c))
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

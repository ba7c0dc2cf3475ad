//! Unit tests of text normalisation: folds, offset maps, char classes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::normalize::{Normalized, normalize, normalize_into};
use super::script::{is_cjk, is_word_char};
use super::t2s;

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

proptest::proptest! {
    /// The bulk ASCII paths (whole text ASCII, or ASCII runs in mixed text)
    /// collapse whitespace runs, lowercase, and map every byte back.
    #[test]
    fn ascii_paths_agree(s in "[aB _\\t\\n\\r\\x0b\\x0c]{0,30}", mixed in proptest::bool::ANY) {
        let src = if mixed { format!("É{s}é") } else { s.clone() };
        let mut want = String::new();
        for c in s.chars() {
            let ws = c.is_ascii_whitespace() || c == '\u{0b}';
            if !(ws && want.ends_with(' ')) {
                want.push(if ws { ' ' } else { c.to_ascii_lowercase() });
            }
        }
        let want = if mixed { format!("e{want}e") } else { want };
        let mut out = Normalized::default();
        normalize_into(&src, true, &mut out);
        proptest::prop_assert_eq!(&out.text, &want);
        let (mut exact, mut fold) = (Normalized::default(), Normalized::default());
        super::normalize::normalize_both(&src, &mut exact, Some(&mut fold));
        proptest::prop_assert_eq!(&fold.text, &want);
        for (i, c) in want.char_indices() {
            let o = out.orig_start(i);
            let oc = src[o..].chars().next().unwrap_or(' ');
            let same = if c == ' ' { oc.is_whitespace() } else { oc.to_lowercase().any(|l| l == c) || c == 'e' };
            proptest::prop_assert!(same, "{i} -> {o} in {src:?}");
            proptest::prop_assert_eq!(fold.orig_start(i), o);
            proptest::prop_assert_eq!(fold.orig_end(i + 1), out.orig_end(i + 1));
        }
    }
}

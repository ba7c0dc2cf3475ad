//! Highlighting of hit spans in a text with caller-chosen markers (used by the
//! CLI and the digest).

/// Wrap each span of `text` in `open` … `close`. Spans are byte ranges in any
/// order; overlapping or touching spans are merged, out-of-range ends are
/// clamped and ends that are not on a char boundary are widened to one.
pub fn highlight_markers(text: &str, spans: &[(usize, usize)], open: &str, close: &str) -> String {
    let floor = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1; // i > 0 here: offset 0 is always a char boundary
        }
        i
    };
    let ceil = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i += 1; // stops at text.len() at the latest, which is a boundary
        }
        i
    };
    let mut spans: Vec<(usize, usize)> = spans
        .iter()
        .map(|&(s, e)| (floor(s), ceil(e)))
        .filter(|&(s, e)| s < e)
        .collect();
    spans.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
    for (s, e) in spans {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    let mut out = String::with_capacity(text.len() + merged.len() * (open.len() + close.len()));
    let mut pos = 0;
    for (s, e) in merged {
        out.push_str(text.get(pos..s).unwrap_or_default());
        out.push_str(open);
        out.push_str(text.get(s..e).unwrap_or_default());
        out.push_str(close);
        pos = e;
    }
    out.push_str(text.get(pos..).unwrap_or_default());
    out
}

/// A hit span widened to whole Latin words: a prefix term (`licen*`) hits part of a word,
/// and the whole word ("licence") is what a reader should see marked. CJK spans stay as they are.
pub fn whole_words(text: &str, start: usize, end: usize) -> (usize, usize) {
    (word_start(text, start), word_end(text, end))
}

/// Extends a span's end over the rest of a Latin word (prefix-term hits end mid-word).
/// CJK text has no word boundaries to extend to.
fn word_end(text: &str, mut end: usize) -> usize {
    let latin = |c: char| c.is_alphanumeric() && (c as u32) < 0x2E80;
    if !text[..end].chars().next_back().is_some_and(latin) {
        return end;
    }
    while let Some(c) = text[end..].chars().next().filter(|c| latin(*c)) {
        end += c.len_utf8();
    }
    end
}

/// Moves a span's start back to the start of its Latin word.
fn word_start(text: &str, mut start: usize) -> usize {
    let latin = |c: char| c.is_alphanumeric() && (c as u32) < 0x2E80;
    if !text[start..].chars().next().is_some_and(latin) {
        return start;
    }
    while let Some(c) = text[..start].chars().next_back().filter(|c| latin(*c)) {
        start -= c.len_utf8();
    }
    start
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_hits_widen_to_whole_words_but_cjk_does_not() {
        let t = "New licence requirement";
        assert_eq!(whole_words(t, 4, 9), (4, 11));
        let zh = "出口许可证";
        assert_eq!(whole_words(zh, 6, 12), (6, 12));
    }

    #[test]
    fn merges_and_clamps() {
        type Case<'a> = (&'a str, &'a [(usize, usize)], &'a str);
        let table: [Case; 6] = [
            ("export controls", &[(0, 6)], "[export] controls"),
            ("export controls", &[(7, 15), (0, 6)], "[export] [controls]"),
            ("export controls", &[(0, 6), (0, 15)], "[export controls]"),
            ("export controls", &[(0, 6), (6, 7)], "[export ]controls"),
            ("芯片 ban", &[(1, 4), (8, 99)], "[芯片] b[an]"),
            ("abc", &[(2, 1), (5, 9)], "abc"),
        ];
        for (text, spans, want) in table {
            assert_eq!(
                highlight_markers(text, spans, "[", "]"),
                want,
                "{text} {spans:?}"
            );
        }
    }
}

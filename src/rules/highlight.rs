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

#[cfg(test)]
mod tests {
    use super::*;

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

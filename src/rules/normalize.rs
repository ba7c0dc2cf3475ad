//! Text normalisation shared by patterns and documents: NFKC-style compatibility
//! folding (full-width → half-width), optional case folding, Latin diacritic
//! removal, Traditional → Simplified Chinese folding and whitespace collapsing,
//! with a map from normalised byte offsets back to the original text.

use unicode_normalization::char::{compose, decompose_compatible, is_combining_mark};

use super::script::{fold_han, is_latin_like};

/// A normalised copy of a text plus the offset map back to the original.
#[derive(Debug, Default, Clone)]
pub(crate) struct Normalized {
    /// The normalised text.
    pub text: String,
    /// Segments sorted by `norm`; empty when the mapping is the identity.
    segs: Vec<Seg>,
    /// Length of the original text.
    orig_len: usize,
}

/// From normalised byte `norm` on (up to the next segment), the text comes from
/// original byte `orig` on: byte for byte (`!atomic`), or as the expansion of
/// one original char (or a composed pair) starting there (`atomic`).
#[derive(Debug, Clone, Copy)]
struct Seg {
    norm: u32,
    orig: u32,
    atomic: bool,
}

impl Normalized {
    fn seg_at(&self, i: usize) -> Option<(usize, &Seg)> {
        let k = self
            .segs
            .partition_point(|s| s.norm as usize <= i)
            .checked_sub(1)?;
        self.segs.get(k).map(|s| (k, s))
    }

    /// Original byte offset where a normalised span starting at `start` begins.
    pub fn orig_start(&self, start: usize) -> usize {
        if self.segs.is_empty() {
            return start.min(self.orig_len);
        }
        let o = match self.seg_at(start) {
            Some((_, s)) if s.atomic => s.orig as usize,
            Some((_, s)) => s.orig as usize + (start - s.norm as usize),
            None => 0,
        };
        o.min(self.orig_len)
    }

    /// Original byte offset where a normalised span ending at `end` ends (past
    /// any chars dropped by normalisation right after it).
    pub fn orig_end(&self, end: usize) -> usize {
        if self.segs.is_empty() {
            return end.min(self.orig_len);
        }
        if end >= self.text.len() {
            return self.orig_len;
        }
        let o = match self.seg_at(end) {
            Some((_, s)) if s.norm as usize == end => s.orig as usize,
            Some((k, s)) if s.atomic => self
                .segs
                .get(k + 1)
                .map_or(self.orig_len, |n| n.orig as usize),
            Some((_, s)) => s.orig as usize + (end - s.norm as usize),
            None => 0,
        };
        o.min(self.orig_len)
    }
}

/// Normalise `src` (folding case when `fold_case`) into a fresh string.
pub(crate) fn normalize(src: &str, fold_case: bool) -> String {
    let (mut exact, mut fold) = (Normalized::default(), Normalized::default());
    normalize_both(src, &mut exact, fold_case.then_some(&mut fold));
    if fold_case { fold.text } else { exact.text }
}

/// Case-preserving normalisation of `src` into `exact` and, when asked, its
/// case fold into `fold`. This is the one definition of both forms, used for
/// patterns and documents alike. Returns true when both texts share the same
/// byte offsets (always, unless lowercasing changed some char's length).
pub(crate) fn normalize_both(
    src: &str,
    exact: &mut Normalized,
    fold: Option<&mut Normalized>,
) -> bool {
    let Some(fold) = fold else {
        normalize_into(src, false, exact);
        return true;
    };
    if ascii_copy(src, false, exact) {
        // ASCII is NFKC-stable and caseless-safe: lowercase a copy, same map.
        fold.segs.clear();
        fold.orig_len = exact.orig_len;
        fold.text.clear();
        fold.text.push_str(&exact.text);
        fold.text.make_ascii_lowercase();
        return true;
    }
    normalize_into(src, false, exact);
    if !fold_from(exact, fold) {
        normalize_into(src, true, fold);
        return false;
    }
    true
}

/// Lowercase `exact` into `out` with the same offset map; false when some char
/// changes length when lowercased (the caller then normalises from scratch).
fn fold_from(exact: &Normalized, out: &mut Normalized) -> bool {
    out.segs.clone_from(&exact.segs);
    out.orig_len = exact.orig_len;
    out.text.clear();
    out.text.push_str(&exact.text);
    out.text.make_ascii_lowercase();
    // Then fix the non-ASCII chars in place (ASCII runs are skipped in bulk).
    let bytes = exact.text.as_bytes();
    let mut i = 0;
    loop {
        let at = next_non_ascii(bytes, i);
        if at >= bytes.len() {
            break;
        }
        // Lead bytes E3..=E9 start U+3000..=U+9FFF (CJK punctuation, Kana, Han): caseless,
        // skipped three bytes at a time.
        let mut k = at;
        while bytes.get(k).is_some_and(|b| (0xE3..=0xE9).contains(b)) {
            k += 3;
        }
        if k > at {
            i = k;
            continue;
        }
        let Some(c) = exact.text.get(at..).and_then(|t| t.chars().next()) else {
            break;
        };
        i = at + c.len_utf8();
        if (0x3040..=0xD7A3).contains(&(c as u32)) {
            continue; // Kana, Han, Hangul: caseless
        }
        let mut l = c.to_lowercase();
        match (l.next(), l.next()) {
            (Some(d), None) if d.len_utf8() == c.len_utf8() && c != 'ß' => {
                if d != c {
                    out.text.replace_range(at..i, d.encode_utf8(&mut [0; 4]));
                }
            }
            _ => return false,
        }
    }
    true
}

/// Index of the first byte >= 0x80 at or after `from` (`bytes.len()` if none), eight bytes
/// at a time: most text is long ASCII runs between rare non-ASCII chars.
fn next_non_ascii(bytes: &[u8], from: usize) -> usize {
    let rest = bytes.get(from..).unwrap_or_default();
    let mut chunks = rest.chunks_exact(8);
    let mut at = from;
    for c in chunks.by_ref() {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let high = u64::from_le_bytes(w) & 0x8080_8080_8080_8080;
        if high != 0 {
            return at + (high.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    let tail = chunks.remainder();
    at + tail.iter().position(|&b| b >= 0x80).unwrap_or(tail.len())
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | 0x09..=0x0d) // ASCII whitespace and vertical tab
}

/// Normalise `src` into `out`, reusing its buffers.
pub(crate) fn normalize_into(src: &str, fold_case: bool, out: &mut Normalized) {
    if ascii_copy(src, fold_case, out) {
        return;
    }
    out.text.clear();
    out.segs.clear();
    out.orig_len = src.len();
    if src.len() >= u32::MAX as usize {
        // Absurdly large input: keep it verbatim rather than overflow the map.
        out.text.push_str(src);
        return;
    }
    let mut w = Writer {
        out,
        aligned: false,
        breaks: Breaks::default(),
    };
    let bytes = src.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b < 0x80 {
            let end = next_non_ascii(bytes, i);
            w.ascii_run(src, i, end, fold_case);
            i = end;
            continue;
        }
        let Some(c) = src.get(i..).and_then(|t| t.chars().next()) else {
            break;
        };
        let (pos, cp) = (i as u32, c as u32);
        i += c.len_utf8();
        if (0x3400..=0x9FFF).contains(&cp) {
            i = w.han_run(src, pos as usize); // both sides are 3-byte BMP chars
        } else if (0xAC00..=0xD7A3).contains(&cp)
            || ((0x3040..=0x30FF).contains(&cp) && !(0x3099..=0x309C).contains(&cp))
            || matches!(
                cp,
                // CJK punctuation without compatibility decomposition (、。「」…), dashes, quotes
                0x3001..=0x3035 | 0x2013 | 0x2014 | 0x2018 | 0x2019 | 0x201C | 0x201D | 0xFFFD
            )
        {
            w.linear(c, pos); // no decomposition, no case
        } else {
            w.slow(c, pos, fold_case);
        }
    }
}

/// Fast path: when `src` is ASCII without whitespace runs, copy it into `out`
/// (whitespace as `' '`, lowercased when `fold_case`) with the identity map.
/// Returns false (leaving `out` for the caller to overwrite) otherwise.
fn ascii_copy(src: &str, fold_case: bool, out: &mut Normalized) -> bool {
    if !src.is_ascii() || src.len() >= u32::MAX as usize {
        return false;
    }
    let b = src.as_bytes();
    if memchr::memchr3(b'\n', b'\t', b'\r', b).is_none() && memchr::memchr2(0x0b, 0x0c, b).is_none()
    {
        // Only plain spaces: a bulk copy, unless some run must collapse.
        if memchr::memmem::find(b, b"  ").is_some() {
            return false;
        }
        out.text.clear();
        out.text.push_str(src);
        if fold_case {
            out.text.make_ascii_lowercase();
        }
        out.segs.clear();
        out.orig_len = src.len();
        return true;
    }
    let mut bytes = std::mem::take(&mut out.text).into_bytes();
    bytes.clear();
    let (mut prev_ws, mut run) = (false, false);
    let case = if fold_case { 0x20 } else { 0 };
    bytes.extend(src.bytes().map(|b| {
        let ws = is_ws(b);
        run |= ws & prev_ws;
        prev_ws = ws;
        if ws {
            b' '
        } else if b.is_ascii_uppercase() {
            b | case
        } else {
            b
        }
    }));
    // ASCII bytes were rewritten into ASCII bytes: this stays UTF-8.
    out.text = String::from_utf8(bytes).unwrap_or_default();
    out.segs.clear();
    out.orig_len = src.len();
    !run
}

struct Writer<'a> {
    out: &'a mut Normalized,
    /// The next char can extend the current byte-for-byte segment.
    aligned: bool,
    breaks: Breaks,
}

/// Where the next whitespace byte that is not a lone space is (a tab, newline, vertical tab,
/// form feed, or the second of two spaces), found with memchr and remembered, so the text is
/// searched once per kind however many runs it has.
#[derive(Default)]
struct Breaks {
    /// Next `\t` `\n` `\r`, next `\x0b` `\x0c`, next "  " (its second space): valid while
    /// >= the position asked for; `usize::MAX` when there is none.
    found: [Option<usize>; 3],
}

impl Breaks {
    fn next(&mut self, b: &[u8], from: usize, end: usize) -> usize {
        let rest = b.get(from..).unwrap_or_default();
        let finders: [&dyn Fn() -> Option<usize>; 3] = [
            &|| memchr::memchr3(b'\t', b'\n', b'\r', rest),
            &|| memchr::memchr2(0x0b, 0x0c, rest),
            &|| memchr::memmem::find(rest, b"  ").map(|p| p + 1),
        ];
        let mut best = usize::MAX;
        for (slot, find) in self.found.iter_mut().zip(finders) {
            let at = match *slot {
                Some(p) if p >= from => p,
                _ => {
                    let p = find().map_or(usize::MAX, |p| from + p);
                    *slot = Some(p);
                    p
                }
            };
            best = best.min(at);
        }
        best.min(end)
    }
}

impl Writer<'_> {
    /// Start a byte-for-byte segment at original byte `orig`, unless the text written last
    /// already continues one.
    fn align(&mut self, orig: u32) {
        if !self.aligned {
            let norm = self.out.text.len() as u32;
            self.out.segs.push(Seg {
                norm,
                orig,
                atomic: false,
            });
            self.aligned = true;
        }
    }

    /// Push `c`, which replaces an original char of the same UTF-8 length.
    fn linear(&mut self, c: char, orig: u32) {
        self.align(orig);
        self.out.text.push(c);
    }

    /// Copy the run of Han chars (U+3400..=U+9FFF, three bytes each) that starts at `from`,
    /// folded to Simplified (one lookup per char, the unchanged ones copied in bulk); returns
    /// where the run ends. The common case of Chinese text, kept off the per-char path.
    fn han_run(&mut self, src: &str, from: usize) -> usize {
        let bytes = src.as_bytes();
        let (mut j, mut copied) = (from, from);
        while let Some(&[b0, b1, b2]) = bytes.get(j..j + 3) {
            // Lead bytes E3..E9 start U+3000..=U+9FFF; src is UTF-8, so b1, b2 continue it.
            if !(0xE3..=0xE9).contains(&b0) {
                break;
            }
            let cp =
                (u32::from(b0 & 0x0F) << 12) | (u32::from(b1 & 0x3F) << 6) | u32::from(b2 & 0x3F);
            let Some(c) = char::from_u32(cp).filter(|_| cp >= 0x3400) else {
                break;
            };
            let f = fold_han(c);
            if f != c {
                self.linear_str(src.get(copied..j).unwrap_or_default(), copied as u32);
                self.linear(f, j as u32);
                copied = j + 3;
            }
            j += 3;
        }
        self.linear_str(src.get(copied..j).unwrap_or_default(), copied as u32);
        j
    }

    /// Push `s`, a copy of the original text from byte `orig` on.
    fn linear_str(&mut self, s: &str, orig: u32) {
        if s.is_empty() {
            return;
        }
        self.align(orig);
        self.out.text.push_str(s);
    }

    /// Copy the ASCII bytes `start..end` of `src`, collapsing whitespace runs: in chunks that
    /// end at a whitespace byte to drop or to turn into a space, found in one pass.
    fn ascii_run(&mut self, src: &str, start: usize, end: usize, fold_case: bool) {
        let bytes = src.as_bytes();
        let mut j = start;
        while j < end {
            if bytes.get(j).is_some_and(|&b| is_ws(b)) && self.out.text.ends_with(' ') {
                self.aligned = false; // dropped: the next char starts a segment
                j += 1;
                continue;
            }
            self.align(j as u32);
            // Up to the next whitespace byte that is not a lone space.
            let mut k = self.breaks.next(bytes, j, end);
            let prev_ws = k > j && bytes.get(k - 1) == Some(&b' ');
            k = k.min(end);
            let from = self.out.text.len();
            self.out.text.push_str(src.get(j..k).unwrap_or_default());
            if fold_case && let Some(new) = self.out.text.get_mut(from..) {
                new.make_ascii_lowercase();
            }
            // Other whitespace after a non-space becomes a space (with the same byte length).
            if k < end && !prev_ws {
                self.out.text.push(' ');
                k += 1;
            }
            j = k;
        }
    }

    /// Slow path for one original char: decomposition, case, marks, composition.
    fn slow(&mut self, c: char, orig: u32, fold_case: bool) {
        let mut buf = ['\0'; 24];
        let mut n = 0;
        let mut put = |d: char| {
            if let Some(slot) = buf.get_mut(n) {
                *slot = d;
                n += 1;
            }
        };
        decompose_compatible(c, |d| {
            if !fold_case {
                put(d);
            } else if d == 'ß' || d == 'ẞ' {
                put('s');
                put('s');
            } else {
                d.to_lowercase().for_each(&mut put);
            }
        });
        let outs = buf.get(..n).unwrap_or_default();
        if let [d] = outs
            && d.len_utf8() == c.len_utf8()
            && !d.is_whitespace()
            && !is_combining_mark(*d)
        {
            self.linear(fold_han(*d), orig);
            return;
        }
        let mut started = false;
        for &d in outs {
            self.emit(d, orig, &mut started);
        }
        self.aligned = false;
    }

    /// Emit one char produced by the slow path for the original char at `orig`.
    fn emit(&mut self, d: char, orig: u32, started: &mut bool) {
        let text = &mut self.out.text;
        if d.is_whitespace() {
            if text.ends_with(' ') {
                return;
            }
        } else if let Some(prev) = text.chars().next_back() {
            if is_combining_mark(d) && is_latin_like(prev) {
                return; // diacritic on a Latin/Greek/Cyrillic letter: drop it
            }
            if let Some(composed) = compose(prev, d) {
                let at = text.len() - prev.len_utf8();
                let prev_orig = self.out.orig_start(at) as u32;
                let text = &mut self.out.text;
                text.truncate(at);
                text.push(composed);
                while self.out.segs.last().is_some_and(|s| s.norm as usize >= at) {
                    self.out.segs.pop();
                }
                self.out.segs.push(Seg {
                    norm: at as u32,
                    orig: prev_orig,
                    atomic: true,
                });
                *started = true;
                return;
            }
        } else if is_combining_mark(d) {
            return; // a stray mark at the start of the text
        }
        let d = if d.is_whitespace() { ' ' } else { fold_han(d) };
        if !*started {
            let norm = self.out.text.len() as u32;
            self.out.segs.push(Seg {
                norm,
                orig,
                atomic: true,
            });
            *started = true;
        }
        self.out.text.push(d);
    }
}

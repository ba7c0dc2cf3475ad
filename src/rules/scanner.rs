//! The automata that find term occurrences in a normalised field. Every pattern is searched
//! unanchored with overlapping matches (boundaries are the caller's to check); ASCII text, most
//! of what feeds carry, goes through a smaller automaton of the ASCII patterns only, whose
//! transition table stays in cache (the CJK patterns cannot match there).
//!
//! Tried and dropped (2026-12-02): walking an anchored DFA from each word start for the
//! left-bounded terms; about 3 transitions per word, but the per-byte word-start scan cost more
//! than the unanchored DFA saves (`cargo bench --bench rules`: 500 rules 87–100 MB/s against
//! 100–123 MB/s unanchored, same checksum).

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::{Anchored, MatchKind, StartKind, dfa, nfa};

use super::compile::TermInfo;

/// How a pattern of an automaton stands for one term.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TermRef {
    pub term: u32,
    /// Check the word boundary on the left / right.
    pub left: bool,
    pub right: bool,
    /// Exact-case term found through its case-folded pattern: verify the case.
    pub verify: bool,
}

/// One occurrence of a pattern: its byte span in the scanned text and the terms it stands for.
pub(crate) struct Occurrence<'a> {
    pub start: usize,
    pub end: usize,
    pub refs: &'a [TermRef],
}

/// An unanchored automaton: a DFA, or (where that cannot be built) a contiguous NFA.
#[derive(Debug)]
enum Auto {
    Dfa(dfa::DFA),
    Nfa(nfa::contiguous::NFA),
}

/// An automaton and, per pattern, the terms it stands for.
#[derive(Debug)]
struct Table {
    auto: Auto,
    refs: Vec<Vec<TermRef>>,
}

/// The automata over one form of the terms (case-folded, or exact-case).
#[derive(Debug)]
pub(crate) struct Scanner {
    /// Every pattern, for text with non-ASCII chars.
    all: Table,
    /// Only the ASCII patterns, for ASCII text (None when that is all of them).
    ascii: Option<Table>,
}

/// Patterns (deduplicated) and per pattern the terms they stand for.
#[derive(Default)]
struct Patterns<'t> {
    pats: Vec<&'t str>,
    refs: Vec<Vec<TermRef>>,
    index: std::collections::HashMap<&'t str, usize>,
}

impl<'t> Patterns<'t> {
    fn add(&mut self, pat: &'t str, r: TermRef) {
        let p = *self.index.entry(pat).or_insert_with(|| {
            self.pats.push(pat);
            self.refs.push(Vec::new());
            self.refs.len() - 1
        });
        if let Some(list) = self.refs.get_mut(p) {
            list.push(r);
        }
    }
}

/// The main scanner (`fallback == false`: every term by its case-folded pattern) or the
/// exact-case one (only exact terms, case kept), used for texts whose case folding changes
/// byte offsets. None when it would have no pattern.
pub(crate) fn scanner(terms: &[TermInfo], fallback: bool) -> Result<Option<Scanner>, String> {
    let (mut all, mut ascii) = (Patterns::default(), Patterns::default());
    for (id, t) in terms.iter().enumerate() {
        let pat = if fallback { &t.norm } else { &t.folded };
        if (fallback && !t.exact) || pat.is_empty() {
            continue;
        }
        let (left, right) = super::compile::boundaries(t);
        let r = TermRef {
            term: id as u32,
            left,
            right,
            verify: t.exact && !fallback,
        };
        all.add(pat, r);
        if pat.is_ascii() {
            ascii.add(pat, r);
        }
    }
    if all.pats.is_empty() {
        return Ok(None);
    }
    let ascii = if ascii.pats.len() == all.pats.len() {
        None
    } else {
        Some(ascii.table()?)
    };
    Ok(Some(Scanner {
        all: all.table()?,
        ascii,
    }))
}

impl Patterns<'_> {
    /// The automaton of these patterns (a DFA where it can be built).
    fn table(self) -> Result<Table, String> {
        let built = dfa::Builder::new()
            .match_kind(MatchKind::Standard)
            .start_kind(StartKind::Unanchored)
            .prefilter(false)
            .build(&self.pats);
        let auto = match built {
            Ok(d) => Auto::Dfa(d),
            Err(_) => nfa::contiguous::Builder::new()
                .match_kind(MatchKind::Standard)
                .prefilter(false)
                .build(&self.pats)
                .map(Auto::Nfa)
                .map_err(|e| format!("cannot build automaton: {e}"))?,
        };
        Ok(Table {
            auto,
            refs: self.refs,
        })
    }
}

impl Scanner {
    /// Call `each` for every occurrence of a pattern in `text`, overlapping ones included.
    pub fn occurrences<'s>(&'s self, text: &str, mut each: impl FnMut(Occurrence<'s>)) {
        let t = match &self.ascii {
            Some(a) if text.is_ascii() => a,
            _ => &self.all,
        };
        match &t.auto {
            Auto::Dfa(d) => run(d, &t.refs, text.as_bytes(), &mut each),
            Auto::Nfa(n) => run(n, &t.refs, text.as_bytes(), &mut each),
        }
    }
}

/// The automaton over `bytes`, one transition per byte, reporting at each match state every
/// pattern that ends there (what `find_overlapping_iter` does, without its per-call set-up).
fn run<'s, A: Automaton>(
    a: &A,
    refs: &'s [Vec<TermRef>],
    bytes: &[u8],
    each: &mut impl FnMut(Occurrence<'s>),
) {
    let Ok(mut sid) = a.start_state(Anchored::No) else {
        return;
    };
    for (i, &b) in bytes.iter().enumerate() {
        sid = a.next_state(Anchored::No, sid, b);
        if a.is_special(sid) && a.is_match(sid) {
            report(a, sid, refs, i + 1, each);
        }
    }
}

/// Every pattern of match state `sid`, ending at `end`. Kept out of line: match states are
/// rare, and the per-byte loop of [`run`] stays small.
#[inline(never)]
fn report<'s, A: Automaton>(
    a: &A,
    sid: StateID,
    refs: &'s [Vec<TermRef>],
    end: usize,
    each: &mut impl FnMut(Occurrence<'s>),
) {
    for k in 0..a.match_len(sid) {
        let p = a.match_pattern(sid, k);
        if let Some(r) = refs.get(p.as_usize()) {
            each(Occurrence {
                start: end.saturating_sub(a.pattern_len(p)),
                end,
                refs: r,
            });
        }
    }
}

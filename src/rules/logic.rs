//! Per-document evaluation of a candidate rule: its boolean tree over the hit
//! bitsets, `NEAR` distances over token positions, and the score and hit
//! spans of a matching rule.

use super::compile::Node;
use super::compiled::{CRule, RawHit, Scratch};
use super::script::{is_cjk, is_word_char};
use super::{Field, Hit, RuleInfo, RuleSet};

/// Per-document matching state.
pub(crate) struct State<'d> {
    texts: [&'d str; 5],
    pub s: Scratch,
    words: usize,
}

impl<'d> State<'d> {
    pub fn new(texts: [&'d str; 5], s: Scratch, words: usize) -> Self {
        State { texts, s, words }
    }

    pub fn has(&self, f: usize, term: u32) -> bool {
        let i = f * self.words + term as usize / 64;
        self.s
            .bits
            .get(i)
            .is_some_and(|w| w & (1 << (term % 64)) != 0)
    }

    /// The hits in field `f` of the `k`-th term of `seen`.
    pub fn hits_of(&self, k: usize, f: usize) -> &[RawHit] {
        let (lo, hi) = self
            .s
            .ranges
            .get(k)
            .and_then(|r| r.get(f))
            .copied()
            .unwrap_or_default();
        self.s
            .hits
            .get(f)
            .and_then(|h| h.get(lo as usize..hi as usize))
            .unwrap_or_default()
    }

    pub fn tokens(&mut self, f: usize) -> &[u32] {
        let text = self.texts.get(f).copied().unwrap_or_default();
        let Some(out) = self.s.tokens.get_mut(f) else {
            return &[];
        };
        if self.s.tok_done & (1 << f) == 0 {
            self.s.tok_done |= 1 << f;
            out.clear();
            let mut in_word = false;
            if text.is_ascii() {
                for (i, b) in text.bytes().enumerate() {
                    let w = b.is_ascii_alphanumeric() || b == b'_';
                    if w && !in_word {
                        out.push(i as u32);
                    }
                    in_word = w;
                }
                return out;
            }
            for (i, c) in text.char_indices() {
                if is_cjk(c) && c.is_alphanumeric() {
                    out.push(i as u32);
                    in_word = false;
                } else if is_word_char(c) {
                    if !in_word {
                        out.push(i as u32);
                    }
                    in_word = true;
                } else {
                    in_word = false;
                }
            }
        }
        out
    }
}

/// The row of the hit bitsets after the five fields': terms that hit in any field.
pub(crate) const ANY_FIELD: usize = 5;

fn atom_hit(rs: &RuleSet, a: u32, st: &State) -> bool {
    let Some(atom) = rs.atoms.get(a as usize) else {
        return false;
    };
    // The any-field row first: most terms of an atom hit nowhere.
    let in_fields = |t: u32| {
        st.has(ANY_FIELD, t)
            && Field::ALL
                .iter()
                .any(|f| atom.fields & f.bit() != 0 && st.has(f.index(), t))
    };
    let seen = &st.s.seen;
    if let Some(Some(bits)) = rs.atom_bits.get(a as usize) {
        // Big term set: which of the document's hit terms are in it (a bit test each).
        let member = |t: u32| {
            bits.get(t as usize / 64)
                .is_some_and(|w| w & (1 << (t % 64)) != 0)
        };
        return seen.iter().any(|&t| member(t) && in_fields(t));
    }
    if atom.terms.len() > seen.len() {
        seen.iter()
            .any(|&t| atom.terms.binary_search(&t).is_ok() && in_fields(t))
    } else {
        atom.terms.iter().any(|&t| in_fields(t))
    }
}

pub(crate) fn eval(rs: &RuleSet, node: &Node, st: &mut State) -> bool {
    match node {
        Node::Atom(a) => atom_hit(rs, *a, st),
        Node::Not(x) => !eval(rs, x, st),
        Node::And(v) => v.iter().all(|x| eval(rs, x, st)),
        Node::Or(v) => v.iter().any(|x| eval(rs, x, st)),
        Node::Near { ta, tb, n, .. } => near(ta, tb, *n, st),
    }
}

/// Call `each(k, mask)` for each term of `tm` (sorted by term, with field
/// masks) that hit somewhere, `k` being its index in `seen`, in term order.
fn hit_terms(tm: &[(u32, u8)], seen: &[u32], mut each: impl FnMut(usize, u8)) {
    if tm.len() <= seen.len() {
        for &(t, m) in tm {
            if let Ok(k) = seen.binary_search(&t) {
                each(k, m);
            }
        }
    } else {
        for (k, t) in seen.iter().enumerate() {
            if let Ok(i) = tm.binary_search_by_key(t, |x| x.0)
                && let Some(&(_, m)) = tm.get(i)
            {
                each(k, m);
            }
        }
    }
}

/// Append to `out` the hits in field `f` of the terms of `tm` scoped to `f`.
fn spans(tm: &[(u32, u8)], f: Field, st: &State, out: &mut Vec<RawHit>) {
    let bit = f.bit();
    hit_terms(tm, &st.s.seen, |k, m| {
        if m & bit != 0 {
            out.extend_from_slice(st.hits_of(k, f.index()));
        }
    });
}

/// Does any term of `tm` hit in one of its fields?
fn any_hit(tm: &[(u32, u8)], st: &State) -> bool {
    let hit = |t: u32, m: u8| {
        Field::ALL
            .iter()
            .any(|f| m & f.bit() != 0 && st.has(f.index(), t))
    };
    if tm.len() > 4 * st.s.seen.len() {
        // Big operand (a large term set), few hit terms: walk the hit terms instead.
        st.s.seen.iter().any(|&t| {
            tm.binary_search_by_key(&t, |x| x.0)
                .ok()
                .and_then(|i| tm.get(i))
                .is_some_and(|&(_, m)| hit(t, m))
        })
    } else {
        tm.iter().any(|&(t, m)| hit(t, m))
    }
}

fn near(ta: &[(u32, u8)], tb: &[(u32, u8)], n: u32, st: &mut State) -> bool {
    if !any_hit(ta, st) || !any_hit(tb, st) {
        return false;
    }
    let (mut ha, mut hb, mut vb) = std::mem::take(&mut st.s.near);
    let found = near_in(ta, tb, n, st, (&mut ha, &mut hb, &mut vb));
    st.s.near = (ha, hb, vb);
    found
}

type NearBufs<'a> = (
    &'a mut Vec<RawHit>,
    &'a mut Vec<RawHit>,
    &'a mut Vec<(i64, i64)>,
);

fn near_in(ta: &[(u32, u8)], tb: &[(u32, u8)], n: u32, st: &mut State, b: NearBufs) -> bool {
    let (ha, hb, vb) = b;
    for f in Field::ALL {
        ha.clear();
        hb.clear();
        spans(ta, f, st, ha);
        if ha.is_empty() {
            continue;
        }
        spans(tb, f, st, hb);
        if hb.is_empty() {
            continue;
        }
        let toks = st.tokens(f.index());
        let tok = |off: u32| toks.partition_point(|&s| s <= off).saturating_sub(1) as i64;
        let iv = |h: &RawHit| (tok(h.start), tok(h.end.saturating_sub(1).max(h.start)));
        vb.clear();
        vb.extend(hb.iter().map(iv));
        vb.sort_unstable();
        let maxlen = vb.iter().map(|(s, e)| e - s).max().unwrap_or(0);
        let n = i64::from(n);
        for (s, e) in ha.iter().map(iv) {
            let from = vb.partition_point(|&(bs, _)| bs < s - n - maxlen);
            for &(bs, be) in vb.get(from..).unwrap_or_default() {
                if bs > e + n {
                    break;
                }
                let gap = if bs > e {
                    bs - e
                } else if s > be {
                    s - be
                } else {
                    0
                };
                if gap <= n {
                    return true;
                }
            }
        }
    }
    false
}

/// Score (weighted) and sorted positive hits of a rule whose tree holds, if
/// the score reaches the rule's minimum; `raw` is a reusable buffer.
pub(crate) fn collect(
    rs: &RuleSet,
    rule: &CRule,
    info: &RuleInfo,
    st: &State,
    raw: &mut Vec<(Field, RawHit)>,
) -> Option<(f64, Vec<Hit>)> {
    raw.clear();
    let mut score = 0.0;
    hit_terms(&rule.pos_terms, &st.s.seen, |k, m| {
        let (mut any, mut title) = (false, false);
        for f in Field::ALL {
            let hits = st.hits_of(k, f.index());
            if m & f.bit() != 0 && !hits.is_empty() {
                any = true;
                title |= f == Field::Title;
                raw.extend(hits.iter().map(|&h| (f, h)));
            }
        }
        if any {
            score += if title { 2.0 } else { 1.0 };
        }
    });
    let score = score * info.weight;
    if score < info.min_score {
        return None;
    }
    raw.sort_unstable();
    raw.dedup();
    let hits = raw
        .iter()
        .map(|&(field, h)| Hit {
            term: rs
                .terms
                .get(h.term as usize)
                .map_or_else(|| "".into(), |t| t.display.clone()),
            field,
            start: h.start as usize,
            end: h.end as usize,
        })
        .collect();
    Some((score, hits))
}

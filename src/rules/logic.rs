//! Per-document evaluation of a candidate rule: its boolean tree over the hit
//! bitsets, `NEAR` distances over token positions, and the score and hit
//! spans of a matching rule.

use super::compile::Node;
use super::engine::{CRule, RawHit, State};
use super::{Field, Hit, RuleSet};

fn atom_hit(rs: &RuleSet, a: u32, st: &State) -> bool {
    let Some(atom) = rs.atoms.get(a as usize) else {
        return false;
    };
    let in_fields = |t: u32| {
        Field::ALL
            .iter()
            .any(|f| atom.fields & f.bit() != 0 && st.has(f.index(), t))
    };
    if atom.terms.len() > 4 * st.s.seen.len() {
        // Big term set, few hit terms: walk the hit terms instead.
        st.s.seen
            .iter()
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

/// Append to `out` the hits in field `f` of the terms of `tm` scoped to `f`.
fn spans(tm: &[(u32, u8)], f: Field, st: &State, out: &mut Vec<RawHit>) {
    let Some(hits) = st.s.hits.get(f.index()) else {
        return;
    };
    let bit = f.bit();
    // Hits are sorted by term: one lookup per distinct term.
    let mut i = 0;
    while let Some(h) = hits.get(i) {
        let n = hits
            .get(i..)
            .map_or(0, |r| r.partition_point(|x| x.term == h.term));
        let wanted = tm
            .binary_search_by_key(&h.term, |x| x.0)
            .is_ok_and(|k| tm.get(k).is_some_and(|x| x.1 & bit != 0));
        if wanted {
            out.extend_from_slice(hits.get(i..i + n).unwrap_or_default());
        }
        i += n.max(1);
    }
}

/// Does any term of `tm` hit in one of its fields?
fn any_hit(tm: &[(u32, u8)], st: &State) -> bool {
    tm.iter().any(|&(t, m)| {
        Field::ALL
            .iter()
            .any(|f| m & f.bit() != 0 && st.has(f.index(), t))
    })
}

fn near(ta: &[(u32, u8)], tb: &[(u32, u8)], n: u32, st: &mut State) -> bool {
    if !any_hit(ta, st) || !any_hit(tb, st) {
        return false;
    }
    let (mut ha, mut hb) = (Vec::new(), Vec::new());
    for f in Field::ALL {
        ha.clear();
        hb.clear();
        spans(ta, f, st, &mut ha);
        if ha.is_empty() {
            continue;
        }
        spans(tb, f, st, &mut hb);
        if hb.is_empty() {
            continue;
        }
        let toks = st.tokens(f.index());
        let tok = |off: u32| toks.partition_point(|&s| s <= off).saturating_sub(1) as i64;
        let iv = |h: &RawHit| (tok(h.start), tok(h.end.saturating_sub(1).max(h.start)));
        let mut vb: Vec<(i64, i64)> = hb.iter().map(iv).collect();
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

/// Score (before weight) and sorted positive hits of a matching rule.
pub(crate) fn collect(rs: &RuleSet, rule: &CRule, st: &State) -> (f64, Vec<Hit>) {
    let mut raw: Vec<(Field, RawHit)> = Vec::new();
    let mut buf = Vec::new();
    for f in Field::ALL {
        buf.clear();
        spans(&rule.pos_terms, f, st, &mut buf);
        raw.extend(buf.iter().map(|&h| (f, h)));
    }
    raw.sort_unstable();
    raw.dedup();
    let mut per_term: Vec<(u32, bool)> = raw
        .iter()
        .map(|(f, h)| (h.term, *f == Field::Title))
        .collect();
    per_term.sort_unstable_by(|x, y| x.0.cmp(&y.0).then(y.1.cmp(&x.1)));
    per_term.dedup_by_key(|x| x.0);
    let score = per_term
        .iter()
        .map(|&(_, title)| if title { 2.0 } else { 1.0 })
        .sum();
    let hits = raw
        .into_iter()
        .map(|(field, h)| Hit {
            term: rs
                .terms
                .get(h.term as usize)
                .map(|t| t.display.clone())
                .unwrap_or_default(),
            field,
            start: h.start as usize,
            end: h.end as usize,
        })
        .collect();
    (score, hits)
}

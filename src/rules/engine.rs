//! Matching runtime: building the automata from compiled terms, scanning a
//! document's fields once per automaton, and evaluating the candidate rules'
//! boolean trees (with `NEAR` positions), scores and hit spans.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use super::compile::{Atom, Node, TermInfo, boundaries};
use super::normalize::{Normalized, is_cjk, is_word_char, normalize_into};
use super::{Doc, Field, Hit, Match, RuleDef, RuleInfo, RuleSet};

/// One automaton and, per pattern, the terms it stands for.
#[derive(Debug)]
pub(crate) struct Scanner {
    ac: AhoCorasick,
    /// Per pattern id: (term id, check left boundary, check right boundary).
    refs: Vec<Vec<(u32, bool, bool)>>,
}

/// A compiled rule.
#[derive(Debug)]
pub(crate) struct CRule {
    node: Node,
    /// Atoms in positive polarity (they give score and hits).
    pos_atoms: Vec<u32>,
    feeds: Vec<String>,
    tags: Vec<String>,
}

impl CRule {
    pub fn node(&self) -> &Node {
        &self.node
    }
}

fn scanner(terms: &[TermInfo], exact: bool) -> Result<Option<Scanner>, String> {
    let mut pats: Vec<&str> = Vec::new();
    let mut refs: Vec<Vec<(u32, bool, bool)>> = Vec::new();
    let mut index = std::collections::HashMap::new();
    for (id, t) in terms.iter().enumerate() {
        if t.exact != exact || t.norm.is_empty() {
            continue;
        }
        let (l, r) = boundaries(t);
        let p = *index.entry(t.norm.as_str()).or_insert_with(|| {
            pats.push(t.norm.as_str());
            refs.push(Vec::new());
            refs.len() - 1
        });
        if let Some(list) = refs.get_mut(p) {
            list.push((id as u32, l, r));
        }
    }
    if pats.is_empty() {
        return Ok(None);
    }
    let mut builder = AhoCorasick::builder();
    builder.match_kind(MatchKind::Standard);
    let ac = match builder.kind(Some(AhoCorasickKind::DFA)).build(&pats) {
        Ok(ac) => ac,
        Err(_) => builder
            .kind(None)
            .build(&pats)
            .map_err(|e| format!("cannot build automaton: {e}"))?,
    };
    Ok(Some(Scanner { ac, refs }))
}

/// Assemble a [`RuleSet`] from compiled trees.
pub(crate) fn build(
    defs: &[RuleDef],
    trees: Vec<Node>,
    terms: Vec<TermInfo>,
    atoms: Vec<Atom>,
) -> Result<RuleSet, String> {
    let mut term_rules = vec![Vec::new(); terms.len()];
    let mut always = Vec::new();
    let mut rules = Vec::with_capacity(defs.len());
    let mut infos = Vec::with_capacity(defs.len());
    for (i, (def, node)) in defs.iter().zip(trees).enumerate() {
        let mut pos = Vec::new();
        node.positive_atoms(true, &mut pos);
        pos.sort_unstable();
        pos.dedup();
        if node.eval_empty() {
            always.push(i as u32);
        }
        for &a in &pos {
            for &t in atoms.get(a as usize).map_or(&[][..], |a| &a.terms) {
                if let Some(list) = term_rules.get_mut(t as usize)
                    && list.last() != Some(&(i as u32))
                {
                    list.push(i as u32);
                }
            }
        }
        let lower = |v: &[String]| v.iter().map(|s| s.to_lowercase()).collect();
        rules.push(CRule {
            node,
            pos_atoms: pos,
            feeds: lower(&def.feeds),
            tags: lower(&def.tags),
        });
        infos.push(RuleInfo {
            name: def.name.clone(),
            priority: def.priority,
            weight: def.weight,
            min_score: def.min_score,
            feeds: def.feeds.clone(),
            tags: def.tags.clone(),
        });
    }
    let fields = atoms.iter().fold(0, |m, a| m | a.fields);
    Ok(RuleSet {
        fold: scanner(&terms, false)?,
        exact: scanner(&terms, true)?,
        infos,
        rules,
        atoms,
        terms,
        term_rules,
        always,
        fields,
    })
}

/// A hit in original-text byte coordinates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct RawHit {
    start: u32,
    end: u32,
    term: u32,
}

/// Per-document matching state.
struct State<'d> {
    texts: [&'d str; 5],
    hits: [Vec<RawHit>; 5],
    /// Token start offsets per field, computed on first `NEAR` use.
    tokens: [Option<Vec<u32>>; 5],
    /// Bitset of hit terms per field (`words` u64 per field).
    bits: Vec<u64>,
    words: usize,
}

impl State<'_> {
    fn has(&self, f: usize, term: u32) -> bool {
        let i = f * self.words + term as usize / 64;
        self.bits
            .get(i)
            .is_some_and(|w| w & (1 << (term % 64)) != 0)
    }

    fn tokens(&mut self, f: usize) -> &[u32] {
        let text = self.texts.get(f).copied().unwrap_or_default();
        let Some(slot) = self.tokens.get_mut(f) else {
            return &[];
        };
        slot.get_or_insert_with(|| {
            let mut out = Vec::new();
            let mut in_word = false;
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
            out
        })
    }
}

fn scan(sc: &Scanner, norm: &Normalized, f: usize, st: &mut State, seen: &mut Vec<u32>) {
    let text = norm.text.as_str();
    for m in sc.ac.find_overlapping_iter(text) {
        let Some(refs) = sc.refs.get(m.pattern().as_usize()) else {
            continue;
        };
        let (s, e) = (m.start(), m.end());
        let left_ok = || {
            !text
                .get(..s)
                .and_then(|t| t.chars().next_back())
                .is_some_and(is_word_char)
        };
        let right_ok = || {
            !text
                .get(e..)
                .and_then(|t| t.chars().next())
                .is_some_and(is_word_char)
        };
        for &(term, l, r) in refs {
            if (l && !left_ok()) || (r && !right_ok()) {
                continue;
            }
            let (os, oe) = (norm.orig_start(s) as u32, norm.orig_end(e) as u32);
            if let Some(h) = st.hits.get_mut(f) {
                h.push(RawHit {
                    start: os,
                    end: oe,
                    term,
                });
            }
            let i = f * st.words + term as usize / 64;
            if let Some(w) = st.bits.get_mut(i) {
                *w |= 1 << (term % 64);
            }
            seen.push(term);
        }
    }
}

pub(crate) fn match_doc(rs: &RuleSet, doc: &Doc) -> Vec<Match> {
    let feed_text = if rs.fields & Field::Feed.bit() != 0 {
        doc.feed_name.map(|n| {
            std::iter::once(n)
                .chain(doc.feed_tags.iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join("\n")
        })
    } else {
        None
    };
    let words = rs.terms.len().div_ceil(64);
    let mut st = State {
        texts: [
            doc.title,
            doc.summary,
            doc.content,
            doc.link,
            feed_text.as_deref().unwrap_or(""),
        ],
        hits: Default::default(),
        tokens: Default::default(),
        bits: vec![0; words * 5],
        words,
    };
    let mut norm = Normalized::default();
    let mut seen = Vec::new();
    for f in Field::ALL {
        let text = st.texts[f.index()];
        if rs.fields & f.bit() == 0 || text.is_empty() {
            continue;
        }
        if let Some(sc) = &rs.fold {
            normalize_into(text, true, &mut norm);
            scan(sc, &norm, f.index(), &mut st, &mut seen);
        }
        if let Some(sc) = &rs.exact {
            normalize_into(text, false, &mut norm);
            scan(sc, &norm, f.index(), &mut st, &mut seen);
        }
    }
    seen.sort_unstable();
    seen.dedup();
    let mut cands: Vec<u32> = rs.always.clone();
    for t in seen {
        cands.extend(rs.term_rules.get(t as usize).map_or(&[][..], Vec::as_slice));
    }
    cands.sort_unstable();
    cands.dedup();
    let feed = doc.feed_name.map(str::to_lowercase);
    let mut out = Vec::new();
    for r in cands {
        let (Some(rule), Some(info)) = (rs.rules.get(r as usize), rs.infos.get(r as usize)) else {
            continue;
        };
        if !rule.feeds.is_empty() || !rule.tags.is_empty() {
            let Some(feed) = &feed else { continue };
            let by_name = rule.feeds.iter().any(|n| n == feed);
            let by_tag = doc
                .feed_tags
                .iter()
                .any(|t| rule.tags.contains(&t.to_lowercase()));
            if !by_name && !by_tag {
                continue;
            }
        }
        if !eval(rs, &rule.node, &mut st) {
            continue;
        }
        let (score, hits) = collect(rs, rule, &st);
        let score = score * info.weight;
        if score >= info.min_score {
            out.push(Match {
                rule: r as usize,
                score,
                hits,
            });
        }
    }
    out
}

fn atom_hit(rs: &RuleSet, a: u32, st: &State) -> bool {
    let Some(atom) = rs.atoms.get(a as usize) else {
        return false;
    };
    Field::ALL
        .iter()
        .filter(|f| atom.fields & f.bit() != 0)
        .any(|f| atom.terms.iter().any(|&t| st.has(f.index(), t)))
}

fn eval(rs: &RuleSet, node: &Node, st: &mut State) -> bool {
    match node {
        Node::Atom(a) => atom_hit(rs, *a, st),
        Node::Not(x) => !eval(rs, x, st),
        Node::And(v) => v.iter().all(|x| eval(rs, x, st)),
        Node::Or(v) => v.iter().any(|x| eval(rs, x, st)),
        Node::Near { a, b, n } => near(rs, a, b, *n, st),
    }
}

/// Hits in field `f` of any of `atoms` (original byte spans).
fn spans(rs: &RuleSet, atoms: &[u32], f: Field, st: &State) -> Vec<RawHit> {
    let list: Vec<&Atom> = atoms
        .iter()
        .filter_map(|&a| rs.atoms.get(a as usize))
        .filter(|a| a.fields & f.bit() != 0)
        .collect();
    let Some(hits) = st.hits.get(f.index()) else {
        return Vec::new();
    };
    hits.iter()
        .filter(|h| list.iter().any(|a| a.terms.binary_search(&h.term).is_ok()))
        .copied()
        .collect()
}

fn near(rs: &RuleSet, a: &[u32], b: &[u32], n: u32, st: &mut State) -> bool {
    if !a.iter().any(|&x| atom_hit(rs, x, st)) || !b.iter().any(|&x| atom_hit(rs, x, st)) {
        return false;
    }
    for f in Field::ALL {
        let (ha, hb) = (spans(rs, a, f, st), spans(rs, b, f, st));
        if ha.is_empty() || hb.is_empty() {
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
            let lo = s - n - maxlen;
            let from = vb.partition_point(|&(bs, _)| bs < lo);
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
fn collect(rs: &RuleSet, rule: &CRule, st: &State) -> (f64, Vec<Hit>) {
    let mut raw: Vec<(Field, RawHit)> = Vec::new();
    for f in Field::ALL {
        raw.extend(
            spans(rs, &rule.pos_atoms, f, st)
                .into_iter()
                .map(|h| (f, h)),
        );
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

//! Matching runtime: building the automata from compiled terms, scanning a
//! document's fields once per automaton, and evaluating the candidate rules'
//! boolean trees (with `NEAR` positions), scores and hit spans.

use super::compile::{Atom, Node, TermInfo, term_masks};
use super::compiled::{CRule, RawHit, Scratch};
use super::logic::{ANY_FIELD, State, collect, eval};
use super::normalize::{Normalized, normalize_both};
use super::scanner::{Occurrence, Scanner, scanner};
use super::script::is_word_char;
use super::{Doc, Field, Match, RuleDef, RuleInfo, RuleSet};

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
    for (i, (def, mut node)) in defs.iter().zip(trees).enumerate() {
        node.cheap_first();
        let mut pos = Vec::new();
        node.positive_atoms(true, &mut pos);
        pos.sort_unstable();
        pos.dedup();
        let size = |a: u32| atoms.get(a as usize).map_or(0, |a| a.terms.len());
        let trigger = if node.eval_empty() {
            always.push(i as u32);
            Vec::new()
        } else {
            node.trigger_atoms(&size).unwrap_or_else(|| pos.clone())
        };
        for &a in &trigger {
            for &t in atoms.get(a as usize).map_or(&[][..], |a| &a.terms) {
                if let Some(list) = term_rules.get_mut(t as usize)
                    && list.last() != Some(&(i as u32))
                {
                    list.push(i as u32);
                }
            }
        }
        let lower = |v: &[String]| v.iter().map(|s| s.to_lowercase()).collect();
        let pos_terms = term_masks(&atoms, &pos);
        rules.push(CRule {
            node,
            pos_terms,
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
            topic: def.topic.clone(),
        });
    }
    let fields = atoms.iter().fold(0, |m, a| m | a.fields);
    Ok(RuleSet {
        fold: scanner(&terms, false)?,
        exact: scanner(&terms, true)?,
        infos,
        topics: Default::default(),
        rules,
        atom_bits: atom_bitsets(&atoms, terms.len()),
        atoms,
        terms,
        term_rules,
        always,
        fields,
    })
}

/// Atoms with at least this many terms are also kept as bitsets.
const BITSET_MIN_TERMS: usize = 24;

fn atom_bitsets(atoms: &[Atom], terms: usize) -> Vec<Option<Box<[u64]>>> {
    let words = terms.div_ceil(64);
    atoms
        .iter()
        .map(|a| {
            (a.terms.len() >= BITSET_MIN_TERMS).then(|| {
                let mut b = vec![0u64; words];
                for &t in &a.terms {
                    if let Some(w) = b.get_mut(t as usize / 64) {
                        *w |= 1 << (t % 64);
                    }
                }
                b.into_boxed_slice()
            })
        })
        .collect()
}

thread_local! {
    static SCRATCH: std::cell::Cell<Scratch> = std::cell::Cell::new(Scratch::default());
}

/// Run one automaton over a normalised field and record the boundary-checked
/// hits; `exact` is the case-kept text at the same offsets, for verification.
fn scan(
    rs: &RuleSet,
    sc: &Scanner,
    norm: &Normalized,
    exact: Option<&str>,
    f: usize,
    s: &mut Scratch,
    words: usize,
) {
    let text = norm.text.as_str();
    sc.occurrences(text, |Occurrence { start, end, refs }| {
        let left_ok = || {
            !text
                .get(..start)
                .and_then(|t| t.chars().next_back())
                .is_some_and(is_word_char)
        };
        let right_ok = || {
            !text
                .get(end..)
                .and_then(|t| t.chars().next())
                .is_some_and(is_word_char)
        };
        for r in refs {
            if (r.left && !left_ok()) || (r.right && !right_ok()) {
                continue;
            }
            if r.verify {
                let want = rs.terms.get(r.term as usize).map(|t| t.norm.as_str());
                if exact.and_then(|e| e.get(start..end)) != want {
                    continue;
                }
            }
            let term = r.term;
            let (os, oe) = (norm.orig_start(start) as u32, norm.orig_end(end) as u32);
            if let Some(h) = s.hits.get_mut(f) {
                h.push(RawHit {
                    start: os,
                    end: oe,
                    term,
                });
            }
            // Its field's row and the any-field row after the five.
            for row in [f, ANY_FIELD] {
                if let Some(w) = s.bits.get_mut(row * words + term as usize / 64) {
                    *w |= 1 << (term % 64);
                }
            }
            s.seen.push(term);
        }
    });
}

/// Sort and dedup the hits and hit terms, and index each term's hits per field.
fn index_hits(s: &mut Scratch) {
    s.seen.sort_unstable();
    s.seen.dedup();
    s.ranges.clear();
    s.ranges.resize(s.seen.len(), [(0, 0); 5]);
    for (f, h) in s.hits.iter_mut().enumerate() {
        h.sort_unstable_by_key(|h| (h.term, h.start, h.end));
        h.dedup();
        // Every hit term is in `seen`: one merge pass.
        let mut p = 0;
        for (&t, r) in s.seen.iter().zip(s.ranges.iter_mut()) {
            let lo = p;
            p += h
                .get(p..)
                .map_or(0, |rest| rest.partition_point(|x| x.term == t));
            if let Some(slot) = r.get_mut(f) {
                *slot = (lo as u32, p as u32);
            }
        }
    }
}

/// Does a rule restricted to feeds/tags apply to the document's feed?
fn feed_ok(rule: &CRule, doc: &Doc, feed: &mut Option<Option<String>>) -> bool {
    if rule.feeds.is_empty() && rule.tags.is_empty() {
        return true;
    }
    let Some(feed) = feed.get_or_insert_with(|| doc.feed_name.map(str::to_lowercase)) else {
        return false;
    };
    rule.feeds.iter().any(|n| n == feed)
        || doc
            .feed_tags
            .iter()
            .any(|t| rule.tags.contains(&t.to_lowercase()))
}

pub(crate) fn match_doc(rs: &RuleSet, doc: &Doc) -> Vec<Match> {
    with_scanned(rs, doc, |st, cands, raw| {
        let mut feed = None;
        let mut out = Vec::new();
        for &r in cands {
            let (Some(rule), Some(info)) = (rs.rules.get(r as usize), rs.infos.get(r as usize))
            else {
                continue;
            };
            if !feed_ok(rule, doc, &mut feed) || !eval(rs, &rule.node, st) {
                continue;
            }
            if let Some((score, hits)) = collect(rs, rule, info, st, raw) {
                out.push(Match {
                    rule: r as usize,
                    score,
                    hits,
                });
            }
        }
        out
    })
}

/// Scan `doc` once with both automata and hand `f` the per-document state,
/// the candidate rules (those with a positive hit, or matchable without
/// one; sorted) and a reusable hit buffer.
pub(crate) fn with_scanned<R>(
    rs: &RuleSet,
    doc: &Doc,
    f: impl FnOnce(&mut State, &[u32], &mut Vec<(Field, RawHit)>) -> R,
) -> R {
    let feed_text = match doc.feed_name {
        Some(n) if rs.fields & Field::Feed.bit() != 0 => Some(
            std::iter::once(n)
                .chain(doc.feed_tags.iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        _ => None,
    };
    let words = rs.terms.len().div_ceil(64);
    let mut s = SCRATCH.with(std::cell::Cell::take);
    s.bits.clear();
    s.bits.resize(words * (ANY_FIELD + 1), 0);
    s.seen.clear();
    s.cands.clear();
    s.hits.iter_mut().for_each(Vec::clear);
    s.tok_done = 0;
    let texts = [
        doc.title,
        doc.summary,
        doc.content,
        doc.link,
        feed_text.as_deref().unwrap_or(""),
    ];
    for f in Field::ALL {
        let text = texts[f.index()];
        if rs.fields & f.bit() == 0 || text.is_empty() {
            continue;
        }
        let (mut exact, mut fold) = (std::mem::take(&mut s.exact), std::mem::take(&mut s.fold));
        let aligned = normalize_both(text, &mut exact, Some(&mut fold));
        if let Some(sc) = &rs.fold {
            let verify = aligned.then_some(exact.text.as_str());
            scan(rs, sc, &fold, verify, f.index(), &mut s, words);
        }
        if let Some(sc) = rs.exact.as_ref().filter(|_| !aligned) {
            scan(rs, sc, &exact, None, f.index(), &mut s, words);
        }
        (s.exact, s.fold) = (exact, fold);
    }
    index_hits(&mut s);
    s.cands.extend_from_slice(&rs.always);
    for &t in &s.seen {
        s.cands
            .extend(rs.term_rules.get(t as usize).map_or(&[][..], Vec::as_slice));
    }
    s.cands.sort_unstable();
    s.cands.dedup();
    let cands = std::mem::take(&mut s.cands);
    let mut raw = std::mem::take(&mut s.raw);
    let mut st = State::new(texts, s, words);
    let out = f(&mut st, &cands, &mut raw);
    st.s.cands = cands;
    st.s.raw = raw;
    SCRATCH.with(|c| c.set(st.s));
    out
}

//! How alike two story signatures are: the title similarity (weighted Jaccard and containment,
//! generic words weighing less), the coverage of one title's names by the other entry, the
//! summary overlap, the blended score for explanations, and the numbers/months conflict.
//! Pure; used by the same-story decision in [`super`].

use super::{GENERIC_WEIGHT, SUMMARY_SKETCH, Signature};

/// Score in 0..=1 for explanations and tuning: title similarity, blended 70/30 with the
/// summary overlap when both have a summary; 0 when the title numbers conflict.
pub fn similarity(a: &Signature, b: &Signature) -> f64 {
    if numbers_conflict(&a.numbers, &b.numbers) {
        return 0.0;
    }
    let t = title_similarity(a, b);
    match summary_similarity(a, b) {
        Some(s) => 0.7 * t + 0.3 * s,
        None => t,
    }
}

/// Mean of weighted Jaccard and weighted containment (overlap / smaller title) of titles.
pub fn title_similarity(a: &Signature, b: &Signature) -> f64 {
    let (di, da, db) = overlap(&a.title, &b.title);
    let (gi, ga, gb) = overlap(&a.generic, &b.generic);
    let w = |d: usize, g: usize| d as f64 + GENERIC_WEIGHT * g as f64;
    let (inter, wa, wb) = (w(di, gi), w(da, ga), w(db, gb));
    let union = wa + wb - inter;
    let smaller = wa.min(wb);
    if union <= 0.0 || smaller <= 0.0 {
        return 0.0;
    }
    (inter / union + inter / smaller) / 2.0
}

/// The smaller, over both directions, of the share of one title's distinctive tokens found in
/// the other entry's title or summary: names in one title that the other entry never mentions
/// ("Samsung, SK Hynix" vs "TSMC Nanjing") mark different events on the same template.
pub fn coverage(a: &Signature, b: &Signature) -> f64 {
    let cover = |x: &Signature, y: &Signature| {
        if x.title.is_empty() {
            return 1.0;
        }
        let found = x
            .title
            .iter()
            .filter(|h| y.title.binary_search(h).is_ok() || y.summary.binary_search(h).is_ok())
            .count();
        found as f64 / x.title.len() as f64
    };
    cover(a, b).min(cover(b, a))
}

/// Overlap of the summaries' distinctive tokens from their bottom-k sketches: mean of the
/// estimated Jaccard and containment (exact for summaries of up to k distinct tokens);
/// `None` when either entry has no summary.
pub fn summary_similarity(a: &Signature, b: &Signature) -> Option<f64> {
    if a.summary.is_empty() || b.summary.is_empty() {
        return None;
    }
    let k = a.summary.len().max(b.summary.len()).min(SUMMARY_SKETCH);
    let mut union: Vec<u64> = a.summary.iter().chain(&b.summary).copied().collect();
    union.sort_unstable();
    union.dedup();
    union.truncate(k);
    let both = union
        .iter()
        .filter(|h| a.summary.binary_search(h).is_ok() && b.summary.binary_search(h).is_ok())
        .count();
    let j = both as f64 / union.len().max(1) as f64;
    let (na, nb) = (a.summary.len() as f64, b.summary.len() as f64);
    let c = (j * (na + nb) / ((1.0 + j) * na.min(nb))).min(1.0);
    Some((j + c) / 2.0)
}

/// Both titles carry numbers and share none, or both name months and share none.
pub(super) fn numbers_conflict(a: &[String], b: &[String]) -> bool {
    let disjoint = |keep: fn(&String) -> bool| {
        let (x, y): (Vec<&String>, Vec<&String>) = (
            a.iter().filter(|n| keep(n)).collect(),
            b.iter().filter(|n| keep(n)).collect(),
        );
        !x.is_empty() && !y.is_empty() && !x.iter().any(|n| y.contains(n))
    };
    disjoint(|_| true) || disjoint(|n| is_month(n))
}

fn is_month(tok: &str) -> bool {
    tok.strip_prefix('m')
        .is_some_and(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_digit()))
}

/// (|a ∩ b|, |a|, |b|) of two sorted, deduplicated slices.
fn overlap(a: &[u64], b: &[u64]) -> (usize, usize, usize) {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => (n, i, j) = (n + 1, i + 1, j + 1),
        }
    }
    (n, a.len(), b.len())
}

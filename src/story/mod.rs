//! Stories: near-duplicate clustering, whether two entries from different feeds report the same
//! news, judged from their titles, summaries and publication times. Owns the matching-only
//! text normalisation (in [`tokens`]: NFKC, case and Traditional→Simplified folding, outlet boilerplate such
//! as "UPDATE 2-" or "| Tom's Hardware", light stemming and synonyms; word tokens for Latin
//! text, character bigrams for CJK), the per-story [`Signature`], the LSH [`band_keys`] the
//! store indexes to find candidates, and the decision [`same_story`] ([`same_story_in`] adds
//! what the store knows: two entries of one feed with the same body are one edited item).
//! Pure: no I/O, no clock. Same-canonical-link merging, the candidate lookup and the rule that
//! a story spans at most `window_secs` live in the store (`store/clusters.rs`). Reports of one event in different
//! languages share almost no tokens and are deliberately left as separate stories. Which
//! Federal Register document an item cites (so it joins that action's story) is [`cites`].
//!
//! Decision ([`Thresholds::DEFAULT`]; grid-searched by `cluster_tune_grid` in
//! `tests/cluster_eval.rs` on the "tune-*" splits of `tests/data/story-pairs.jsonl` for the
//! highest recall at precision ≥ 0.98, ties to the stricter setting; "held-out" never tuned on):
//! 1. both dated and more than `window_secs` (72 h) apart → different: templates such as
//!    "adds 5 firms to the Entity List" recur, while wire copies and rewrites land within a day;
//! 2. both titles carry numbers (counts, amounts, names like H20, months) sharing none, or
//!    months sharing none → different ("5 firms" vs "7 firms", "October" vs "November");
//! 3. [`coverage`] < `cover_min` (0.2) → different: a title whose names the other entry never
//!    mentions is another event on the same template;
//! 4. title similarity `t` (mean of weighted Jaccard and containment; generic topic words such
//!    as "China", "chip", "export" weigh [`GENERIC_WEIGHT`]) ≥ `title_same` (0.6) → same;
//! 5. `t` ≥ `title_floor` (0.15) and summary overlap ≥ `summary_confirm` (0.35) → same
//!    (rewrites sharing facts, not wording); otherwise different. Lower title/summary bars
//!    let same-topic stories through on a second, unseen batch (precision 0.78), so the bars
//!    sit where the tuning pairs keep precision ≈ 0.99 at recall ≈ 0.82.

pub mod cites;
mod measure;
mod tokens;

use measure::numbers_conflict;
pub use measure::{coverage, similarity, summary_similarity, title_similarity};

use serde::{Deserialize, Serialize};
use tokens::{hash, is_generic, is_numberish, normalise, title_tokens, tokens};

/// The decision's thresholds; [`Thresholds::DEFAULT`] is what [`same_story`] uses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Two dated entries further apart than this (seconds) are never one story.
    pub window_secs: i64,
    /// Title similarity at or above which two entries are one story on the title alone.
    pub title_same: f64,
    /// Title similarity below which the summary cannot rescue a pair.
    pub title_floor: f64,
    /// Summary overlap (estimated Jaccard of distinctive tokens) confirming a borderline title.
    pub summary_confirm: f64,
    /// Least [`coverage`]: share of each title's distinctive tokens found in the other entry.
    pub cover_min: f64,
}

impl Thresholds {
    pub const DEFAULT: Thresholds = Thresholds {
        window_secs: 72 * 3600,
        title_same: 0.60,
        title_floor: 0.15,
        summary_confirm: 0.35,
        cover_min: 0.2,
    };
}

/// Weight of generic topic tokens relative to distinctive ones.
pub const GENERIC_WEIGHT: f64 = 0.5;
/// Size of the bottom-k sketch kept of a summary.
const SUMMARY_SKETCH: usize = 64;
/// Most band keys per signature.
const MAX_BAND_KEYS: usize = 5;

/// What clustering knows of an entry.
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    pub title: &'a str,
    pub summary: &'a str,
    /// Unix seconds.
    pub published: Option<i64>,
}

/// Compact signature stored per story.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    /// Sorted, deduplicated hashes of the title's distinctive tokens.
    pub title: Vec<u64>,
    /// Sorted, deduplicated hashes of the title's generic topic tokens.
    pub generic: Vec<u64>,
    /// Numbers, digit-bearing names and months of the title, normalised ("5", "h20", "m11").
    pub numbers: Vec<String>,
    /// Bottom-k sketch (k smallest hashes, sorted) of the summary's distinctive tokens.
    pub summary: Vec<u64>,
}

/// Pairwise counts for the labelled-pairs evaluation: the same confusion counts as the
/// rule evaluation (precision and recall are 1.0 when there is nothing to count).
pub type PairScores = crate::rules::eval::Confusion;

/// The signature of an item: title tokens (CJK bigrams), the numbers in the title, and a
/// sample of the summary's distinctive tokens.
pub fn signature(item: &Item) -> Signature {
    let title = title_tokens(item.title);
    let mut sig = Signature::default();
    for tok in &title {
        if is_numberish(tok) {
            sig.numbers.push(tok.clone());
        }
        let h = hash(tok);
        if is_generic(tok) {
            sig.generic.push(h)
        } else {
            sig.title.push(h)
        }
    }
    let mut summary: Vec<u64> = tokens(&normalise(item.summary))
        .iter()
        .filter(|t| !is_generic(t))
        .map(|t| hash(t))
        .collect();
    for v in [&mut sig.title, &mut sig.generic, &mut summary] {
        v.sort_unstable();
        v.dedup();
    }
    summary.truncate(SUMMARY_SKETCH);
    sig.summary = summary;
    sig.numbers.sort();
    sig.numbers.dedup();
    sig
}

/// The near-duplicate signature of an entry: its title and the start of its summary (or of
/// its content when it has no summary).
pub fn of_entry(e: &crate::model::Entry) -> Signature {
    let body = if e.summary.trim().is_empty() {
        &e.content
    } else {
        &e.summary
    };
    let cut = body.char_indices().nth(1500).map_or(body.len(), |(i, _)| i);
    // A relayed copy ("… - Reuters" from Google News) clusters by the publisher's own title.
    let title = match &e.outlet {
        Some(o) => crate::parse::sources::strip_outlet_suffix(&e.title, o),
        None => &e.title,
    };
    signature(&Item {
        title,
        summary: &body[..cut],
        published: e.published.map(|d| d.timestamp()),
    })
}

/// Candidate keys, at most [`MAX_BAND_KEYS`]: first one for the whole token set of the title
/// (identical titles always meet, however many other stories share their words), then up to
/// two of the title's numbers and digit-bearing names, then its distinctive tokens in hash
/// order (a bottom-k sketch); generic topic tokens ("China", "chip") only for titles with fewer
/// than two distinctive tokens, since every story of the topic shares them. A title without
/// tokens keys on its summary. Every same-story pair of the labelled set shares a key.
pub fn band_keys(sig: &Signature) -> Vec<u64> {
    let mut keys: Vec<u64> = Vec::with_capacity(MAX_BAND_KEYS);
    if !(sig.title.is_empty() && sig.generic.is_empty()) {
        let whole = sig
            .title
            .iter()
            .chain(&sig.generic)
            .fold(0x9e37_79b9_7f4a_7c15_u64, |h, t| {
                (h ^ t).wrapping_mul(0x0100_0000_01b3).rotate_left(29)
            });
        keys.push(whole);
    }
    let generic: &[u64] = if sig.title.len() >= 2 {
        &[]
    } else {
        &sig.generic
    };
    // Names with digits (H20, B30A, 3A090) and counts are the most telling tokens: key them
    // first, then the bottom of the remaining tokens' hashes.
    let numbers: Vec<u64> = sig
        .numbers
        .iter()
        .map(|n| hash(n))
        .filter(|h| sig.title.binary_search(h).is_ok())
        .take(2)
        .collect();
    for h in numbers.iter().chain(&sig.title).chain(generic) {
        if keys.len() == MAX_BAND_KEYS {
            break;
        }
        if !keys.contains(h) {
            keys.push(*h);
        }
    }
    if keys.is_empty() {
        keys = sig.summary.iter().take(MAX_BAND_KEYS).copied().collect();
    }
    keys
}

/// [`same_story`] for two entries the caller knows more about: entries of the same feed
/// (`same_feed`) whose summaries agree almost word for word ([`SAME_FEED_SUMMARY`], at least
/// [`SAME_FEED_MIN_TOKENS`] distinctive tokens each) are one item whose title was edited, even
/// when the edit changed the title's numbers ("5 firms" corrected to "7 firms") — within the
/// same time window as any other pair.
pub fn same_story_in(
    a: &Signature,
    a_published: Option<i64>,
    b: &Signature,
    b_published: Option<i64>,
    same_feed: bool,
) -> bool {
    let th = Thresholds::DEFAULT;
    let edited = same_feed
        && within_window(a_published, b_published, &th)
        && a.summary.len().min(b.summary.len()) >= SAME_FEED_MIN_TOKENS
        && summary_similarity(a, b).is_some_and(|s| s >= SAME_FEED_SUMMARY);
    edited || decide(a, a_published, b, b_published, &th)
}

/// Summary overlap at which two entries of one feed are the same item, edited.
pub const SAME_FEED_SUMMARY: f64 = 0.8;
/// Fewest distinctive summary tokens for [`SAME_FEED_SUMMARY`] to count (boilerplate such as
/// "Read more on our website" is shorter).
pub const SAME_FEED_MIN_TOKENS: usize = 12;

impl Signature {
    /// Compact binary form for the store: four length-prefixed sections (title, generic and
    /// summary hashes as little-endian u64; numbers as length-prefixed UTF-8).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            8 * (self.title.len() + self.generic.len() + self.summary.len()) + 32,
        );
        for v in [&self.title, &self.generic, &self.summary] {
            out.extend_from_slice(&(v.len() as u32).to_le_bytes());
            for h in v {
                out.extend_from_slice(&h.to_le_bytes());
            }
        }
        out.extend_from_slice(&(self.numbers.len() as u32).to_le_bytes());
        for n in &self.numbers {
            out.extend_from_slice(&(n.len() as u32).to_le_bytes());
            out.extend_from_slice(n.as_bytes());
        }
        out
    }

    /// Reads [`Signature::to_bytes`]; `None` when the bytes are not such a signature.
    pub fn from_bytes(bytes: &[u8]) -> Option<Signature> {
        let mut r = Reader(bytes);
        let mut hashes = || -> Option<Vec<u64>> {
            let n = r.len()?;
            (0..n).map(|_| r.u64()).collect()
        };
        let (title, generic, summary) = (hashes()?, hashes()?, hashes()?);
        let n = r.len()?;
        let numbers = (0..n)
            .map(|_| {
                let len = r.len()?;
                String::from_utf8(r.take(len)?.to_vec()).ok()
            })
            .collect::<Option<Vec<_>>>()?;
        r.0.is_empty().then_some(Signature {
            title,
            generic,
            numbers,
            summary,
        })
    }
}

/// A cursor over [`Signature::to_bytes`] output.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let head = self.0.get(..n)?;
        self.0 = self.0.get(n..)?;
        Some(head)
    }
    fn len(&mut self) -> Option<usize> {
        let n = u32::from_le_bytes(self.take(4)?.try_into().ok()?) as usize;
        // Every element takes at least 4 bytes: a larger count is corrupt, not a huge alloc.
        (n <= self.0.len()).then_some(n)
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
}

/// The decision (see the module documentation).
pub fn same_story(
    a: &Signature,
    a_published: Option<i64>,
    b: &Signature,
    b_published: Option<i64>,
) -> bool {
    decide(a, a_published, b, b_published, &Thresholds::DEFAULT)
}

/// [`same_story`] with explicit thresholds (for tuning).
pub fn decide(
    a: &Signature,
    a_published: Option<i64>,
    b: &Signature,
    b_published: Option<i64>,
    th: &Thresholds,
) -> bool {
    if !within_window(a_published, b_published, th) {
        return false;
    }
    if numbers_conflict(&a.numbers, &b.numbers) {
        return false;
    }
    if coverage(a, b) < th.cover_min {
        return false;
    }
    let t = title_similarity(a, b);
    if t >= th.title_same {
        return true;
    }
    t >= th.title_floor && summary_similarity(a, b).is_some_and(|s| s >= th.summary_confirm)
}

/// Not both dated and further apart than `window_secs`.
fn within_window(a: Option<i64>, b: Option<i64>, th: &Thresholds) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => x.abs_diff(y) <= th.window_secs.unsigned_abs(),
        _ => true,
    }
}

#[cfg(test)]
mod tests;

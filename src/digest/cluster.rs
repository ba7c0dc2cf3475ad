//! Near-duplicate story clustering: whether two entries from different feeds report the same
//! news, judged from their titles, summaries and publication times. Owns the matching-only
//! text normalisation (NFKC, case and Traditional→Simplified folding, outlet boilerplate such
//! as "UPDATE 2-" or "| Tom's Hardware", light stemming and synonyms; word tokens for Latin
//! text, character bigrams for CJK), the per-story [`Signature`], the LSH [`band_keys`] the
//! store indexes to find candidates, and the decision [`same_story`] ([`same_story_in`] adds
//! what the store knows: two entries of one feed with the same body are one edited item).
//! Pure: no I/O, no clock. Same-canonical-link merging, the candidate lookup and the rule that
//! a story spans at most `window_secs` live in the store (`store/clusters.rs`). Reports of one event in different
//! languages share almost no tokens and are deliberately left as separate stories.
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

use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;
use unicode_normalization::UnicodeNormalization;

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
fn numbers_conflict(a: &[String], b: &[String]) -> bool {
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

/// FNV-1a with a SplitMix64 finaliser: stable across builds (signatures are stored).
fn hash(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// Title tokens without outlet boilerplate ("UPDATE 2-", "Exclusive:", "- Reuters").
fn title_tokens(title: &str) -> Vec<String> {
    let mut text = normalise(title);
    while let Some(cut) = SEPARATORS.iter().filter_map(|s| text.rfind(s)).max() {
        let tail = text[cut..]
            .trim_start_matches([' ', '-', '|', '–', '—', ':'])
            .trim();
        let tail = tail.strip_prefix("the ").unwrap_or(tail);
        if !OUTLETS.split('|').any(|o| o == tail) {
            break;
        }
        text.truncate(cut);
    }
    let mut out = Vec::new();
    let mut skip_number = false;
    for tok in tokens(&text) {
        if tok == "updat" {
            skip_number = true;
            continue;
        }
        if std::mem::take(&mut skip_number) && tok.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        out.push(tok);
    }
    out
}

/// NFKC, lowercase, Traditional→Simplified for common characters, a few phrase folds.
fn normalise(s: &str) -> String {
    let mut out: String = s
        .nfkc()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' | '`' | '\u{b4}' => '\'',
            c if (c as u32) < 0x3000 => c,
            c => TABLES.trad_simp.get(&c).copied().unwrap_or(c),
        })
        .collect();
    for (from, to) in PHRASES.split('|').filter_map(|p| p.split_once('=')) {
        if out.contains(from) {
            out = out.replace(from, to);
        }
    }
    out
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30ff | 0x3400..=0x4dbf | 0x4e00..=0x9fff | 0xac00..=0xd7af | 0xf900..=0xfaff)
}

/// Word tokens (stemmed, synonyms folded, stop words dropped) and CJK character bigrams.
fn tokens(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let start = i;
        if is_cjk(chars[i]) {
            while i < chars.len() && is_cjk(chars[i]) {
                i += 1;
            }
            let run = &chars[start..i];
            if run.len() == 1 {
                out.push(run[0].to_string());
            }
            out.extend(run.windows(2).map(|w| w.iter().collect::<String>()));
        } else if chars[i].is_alphanumeric() {
            while i < chars.len() {
                let (c, next) = (chars[i], chars.get(i + 1).copied().unwrap_or(' '));
                let digit_sep = matches!(c, '.' | ',')
                    && chars[i - 1].is_ascii_digit()
                    && next.is_ascii_digit();
                if (c.is_alphanumeric() && !is_cjk(c))
                    || digit_sep
                    || (c == '\'' && next.is_alphabetic())
                {
                    i += 1;
                } else {
                    break;
                }
            }
            let word: String = chars[start..i].iter().filter(|c| **c != ',').collect();
            push_word(&word, &mut out);
        } else {
            i += 1;
        }
    }
    out
}

fn push_word(word: &str, out: &mut Vec<String>) {
    if word.starts_with(|c: char| c.is_ascii_digit()) {
        let split = word
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(word.len());
        let (num, unit) = word.split_at(split);
        out.push(num.trim_end_matches('.').to_string());
        let unit = match unit {
            "m" | "mn" | "mln" => "million",
            "b" | "bn" | "bln" => "billion",
            "s" | "st" | "nd" | "rd" | "th" | "pct" => "",
            u => u,
        };
        if !unit.is_empty() {
            push_word(unit, out);
        }
        return;
    }
    let word = word.strip_suffix("'s").unwrap_or(word).replace('\'', "");
    if TABLES.stop.contains(word.as_str()) {
        return;
    }
    match TABLES.synonyms.get(word.as_str()) {
        Some(to) => out.push((*to).to_string()),
        None => out.push(stem(&word)),
    }
}

/// Light suffix stripping so "fine/fines/fined" and "curb/curbs/curbed" meet.
fn stem(w: &str) -> String {
    let mut s = w.to_string();
    if !s.is_ascii() || s.len() <= 3 || s.bytes().any(|b| b.is_ascii_digit()) {
        return s;
    }
    if s.len() > 4 && s.ends_with("ies") {
        s.truncate(s.len() - 3);
        s.push('y');
    } else if s.ends_with('s') && !s.ends_with("ss") && !s.ends_with("us") && !s.ends_with("is") {
        s.pop();
    }
    let cut = if s.len() > 5 && s.ends_with("ing") {
        3
    } else if s.len() > 4 && s.ends_with("ed") {
        2
    } else {
        0
    };
    if cut > 0 {
        s.truncate(s.len() - cut);
        let b = s.as_bytes();
        if b.len() > 2
            && b[b.len() - 1] == b[b.len() - 2]
            && !b"aeioulsdz".contains(&b[b.len() - 1])
        {
            s.pop();
        }
    }
    if s.len() > 3 && s.ends_with('e') {
        s.pop();
    }
    s
}

fn is_numberish(tok: &str) -> bool {
    tok.bytes().any(|b| b.is_ascii_digit())
}

fn is_generic(tok: &str) -> bool {
    TABLES.generic.contains(tok)
}

/// The word lists below as lookup tables, built once.
struct Tables {
    stop: HashSet<&'static str>,
    generic: HashSet<&'static str>,
    /// Raw form → canonical form.
    synonyms: HashMap<&'static str, &'static str>,
    trad_simp: HashMap<char, char>,
}

static TABLES: LazyLock<Tables> = LazyLock::new(|| {
    let mut synonyms = HashMap::new();
    for (to, forms) in SYNONYMS
        .split(';')
        .filter_map(|line| line.trim().split_once(": "))
    {
        for f in forms.split(' ') {
            // The first listing of a form wins, as a linear scan of the list would find it.
            synonyms.entry(f).or_insert(to);
        }
    }
    let t: Vec<char> = TRAD_SIMP.chars().collect();
    let mut trad_simp = HashMap::new();
    for pair in t.chunks_exact(2) {
        trad_simp.entry(pair[0]).or_insert(pair[1]);
    }
    Tables {
        stop: STOP.split(' ').filter(|w| !w.is_empty()).collect(),
        generic: GENERIC.split(' ').filter(|w| !w.is_empty()).collect(),
        synonyms,
        trad_simp,
    }
});

const SEPARATORS: [&str; 5] = [" - ", " | ", " – ", " — ", " : "];

const OUTLETS: &str = "reuters|bloomberg|scmp|south china morning post|nikkei|nikkei asia|register|\
    tom's hardware|toms hardware|digitimes|digitimes asia|ee times|eetimes|caixin|\
    caixin global|36kr|verge|financial times|ft|wsj|wall street journal|cnbc|ap|\
    associated press|yahoo finance|路透|路透社|彭博|彭博社|财新|财新网|36氪|南华早报|日经|日经中文网|中央社|经济日报|联合报";

const STOP: &str = "a an the of to in on for and or with by at from as is are be was were been its it that \
    this these after over amid into says said say sources source report reports reportedly \
    could would will may might can more than about has have had new latest monday tuesday \
    wednesday thursday friday saturday sunday exclusive breaking refile corrected \
    correction analysis factbox explainer reuters bloomberg scmp news what why how s via \
    per also just";

/// Canonical form ← space-separated raw forms (checked before stemming).
const SYNONYMS: &str = "us: us usa america american americans washington;\
    china: china chinese beijing prc mainland;\
    chip: chip chips semiconductor semiconductors microchip microchips accelerator accelerators gpu gpus processor processors;\
    firm: firm firms company companies businesses entities;\
    entitylist: entitylist blacklist blacklists blacklisted blacklisting;\
    curb: curb curbs curbed restriction restrictions restrict restricts restricted control controls limit limits;\
    ban: ban bans banned bar bars barred block blocks blocked prohibit prohibits prohibited;\
    fin: fine fines fined penalty penalties penalise penalises penalize penalizes settle settles settlement;\
    dutch: dutch netherlands hague;\
    japan: japan japanese tokyo;\
    korea: korea korean seoul;\
    taiwan: taiwan taiwanese taipei;\
    bis: bis commerce;\
    licens: license licence licenses licences licensing licensed permit permits approval approvals;\
    get: get gets got win wins won secure secures secured receive receives received obtain obtains grant grants granted;\
    fall: fall falls fell drop drops dropped dropping decline declines declined slip slips slide slides down;\
    rise: rise rises rose jump jumps jumped surge surges surged climb climbs climbed gain gains grow grows up increase increases;\
    probe: probe probes probing investigate investigates investigation investigating inquiry;\
    sal: sale sales sell sells selling sold ship ships shipping shipped shipment shipments;\
    launch: launch launches launched unveil unveils unveiled debut debuts introduce introduces;\
    profit: profit profits earnings income;\
    violat: violate violates violation violations breach breaches;\
    tighten: tighten tightens tightened tightening expand expands expanded widen widens widened;\
    2: two; 3: three; 4: four; 5: five; 6: six; 7: seven;\
    8: eight; 9: nine; 10: ten; 11: eleven; 12: twelve;\
    m1: january jan; m2: february feb; m3: march; m4: april; m6: june; m7: july;\
    m8: august aug; m9: september sept sep; m10: october oct; m11: november nov; m12: december dec;";

const GENERIC: &str = "us china chip firm curb export ban rul trade tech technology ai licens sal global \
    market industry government official 美国 中国 芯片 出口 管制 半导 导体 限制 企业 公司 禁令";

/// Phrase folds applied after character folding (Taiwan vs mainland terms, "U.S.").
const PHRASES: &str = "u.s.=us|u.s=us|entity list=entitylist|high-bandwidth memory=hbm|high bandwidth memory=hbm|third-quarter=q3|third quarter=q3|晶片=芯片|辉达=英伟达|川普=特朗普";

/// Traditional→Simplified pairs for characters common in this domain's headlines.
const TRAD_SIMP: &str = "國国對对華华為为實实體体導导製制擴扩將将於于與与產产業业發发們们進进設设備备廠厂積积電电臺台灣湾億亿萬万關关稅税際际術术這这個个來来說说時时會会長长門门開开東东車车輝辉達达韓韩聯联經经濟济貿贸擊击報报傳传訊讯記记證证據据議议應应銷销層层級级單单項项規规則则顯显處处罰罚審审調调條条歐欧蘭兰機机構构購购買买價价額额連连續续減减動动態态週周張张務务統统總总標标準准數数憂忧嚴严厲厉緊紧縮缩營营淨净虧亏損损賣卖裝装組组織织領领權权視视選选舉举區区壓压戰战爭争論论響响頭头資资軟软網网絡络雲云場场轉转變变簽签許许類类專专屬属歸归義义衛卫獲获邊边鏈链復复鄉乡節节點点紀纪錄录龍龙齊齐廣广風风險险餘余雙双階阶測测試试驗验線线讀读書书寫写號号碼码鋼钢鐵铁礦矿護护衝冲員员職职參参範范圍围約约協协談谈語语譯译稱称聲声還还從从後后裡里麼么著着給给讓让並并幾几兩两無无過过當当問问題题輸输運运陸陆臨临啟启預预計计劃划紐纽倫伦韌韧鎖锁禮礼庫库彈弹藥药槍枪殺杀戶户獨独門门間间閘闸鬆松蘋苹";

#[cfg(test)]
#[path = "cluster_tests.rs"]
mod tests;

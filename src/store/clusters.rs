//! Near-duplicate stories in the store: which story a new matched entry joins when its title
//! (and summary) report the same news as a recent matched entry of another story — the
//! decision is [`crate::story`]'s — and the index that finds the candidates (each
//! matched entry's signature and band keys). The story key (canonical link) of an entry that
//! joined another story is kept as an alias, so its syndicated copies follow it. Part of
//! [`super::Store`]; runs inside the poll's transaction.

use super::Result;
use crate::story::{self as cluster, Signature};
use rusqlite::{OptionalExtension, Transaction, params};
use std::cmp::Reverse;
use std::collections::HashMap;

/// Band rows read per key: the most recent within the time window.
const PER_BAND: i64 = 16;
/// Candidates given to the decision, those sharing the most keys first.
const MAX_CANDIDATES: usize = 8;

/// Where and when a new matched entry sits, for finding and indexing its story.
#[derive(Debug, Clone, Copy)]
pub(super) struct Placed<'a> {
    pub sig: &'a Signature,
    pub feed_id: crate::model::FeedId,
    /// Publication time, else the time it was stored (Unix seconds).
    pub at: i64,
    /// `at` is a publication time.
    pub dated: bool,
}

/// The story a story key belongs to: its own row, else the story it was merged into.
/// (One statement: every new entry asks, so this is on the poll's hot path.)
pub(super) fn story_for_key(tx: &Transaction, key: &str) -> Result<Option<i64>> {
    Ok(tx
        .prepare_cached(
            "SELECT id FROM stories WHERE story_key = ?1
             UNION ALL SELECT story_id FROM story_aliases WHERE story_key = ?1 LIMIT 1",
        )?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

/// The story of a recent matched entry that reports the same news as `p`, if any (the most
/// similar when several do).
pub(super) fn similar_story(tx: &Transaction, p: &Placed) -> Result<Option<i64>> {
    let window = cluster::Thresholds::DEFAULT.window_secs;
    let mut shared: HashMap<i64, (usize, i64)> = HashMap::new();
    let mut band = tx.prepare_cached(
        "SELECT entry_id, at FROM story_bands WHERE band = ?1 AND at BETWEEN ?2 AND ?3 ORDER BY at DESC LIMIT ?4",
    )?;
    for key in cluster::band_keys(p.sig) {
        let rows = band.query_map(
            params![key as i64, p.at - window, p.at + window, PER_BAND],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
        )?;
        for row in rows {
            let (entry, at) = row?;
            shared.entry(entry).or_insert((0, at)).0 += 1;
        }
    }
    let mut ranked: Vec<(i64, (usize, i64))> = shared.into_iter().collect();
    ranked.sort_by_key(|&(entry, (n, at))| (Reverse(n), (at - p.at).abs(), entry));
    ranked.truncate(MAX_CANDIDATES);
    let mut load = tx.prepare_cached(
        "SELECT story_id, feed_id, at, dated, sig FROM entry_sigs WHERE entry_id = ?1",
    )?;
    let mut best: Option<(f64, i64)> = None;
    let mut spans: HashMap<i64, bool> = HashMap::new();
    for (entry, _) in ranked {
        let row = load
            .query_row([entry], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, crate::model::FeedId>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, bool>(3)?,
                    r.get::<_, Vec<u8>>(4)?,
                ))
            })
            .optional()?;
        let Some((story, feed, at, dated, bytes)) = row else {
            continue;
        };
        let Some(theirs) = Signature::from_bytes(&bytes) else {
            continue;
        };
        let mine = p.dated.then_some(p.at);
        if !cluster::same_story_in(p.sig, mine, &theirs, dated.then_some(at), feed == p.feed_id) {
            continue;
        }
        let fits = match spans.get(&story) {
            Some(&fits) => fits,
            None => {
                let fits = !p.dated || within_span(tx, story, p.at, window)?;
                spans.insert(story, fits);
                fits
            }
        };
        if fits {
            let s = cluster::similarity(p.sig, &theirs);
            if best.is_none_or(|(b, _)| s > b) {
                best = Some((s, story));
            }
        }
    }
    Ok(best.map(|(_, story)| story))
}

/// A story spans one event: every dated entry of it lies within `window` of `at`, so a story
/// cannot creep across weeks one near-duplicate at a time.
fn within_span(tx: &Transaction, story: i64, at: i64, window: i64) -> Result<bool> {
    // Two subqueries, so each is one seek in the (story_id, dated, at) index.
    let (first, last): (Option<i64>, Option<i64>) = tx
        .prepare_cached(
            "SELECT (SELECT MIN(at) FROM entry_sigs WHERE story_id = ?1 AND dated = 1),
                    (SELECT MAX(at) FROM entry_sigs WHERE story_id = ?1 AND dated = 1)",
        )?
        .query_row([story], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(first.is_none_or(|f| at - f <= window) && last.is_none_or(|l| l - at <= window))
}

/// Records that entries with `key` belong to `story` (an entry with that key joined it).
pub(super) fn alias(tx: &Transaction, key: &str, story: i64) -> Result<()> {
    tx.prepare_cached("INSERT OR IGNORE INTO story_aliases (story_key, story_id) VALUES (?1, ?2)")?
        .execute(params![key, story])?;
    Ok(())
}

/// Indexes a stored matched entry so later near-duplicates find its story.
pub(super) fn index(tx: &Transaction, entry: i64, story: i64, p: &Placed) -> Result<()> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO entry_sigs (entry_id, story_id, feed_id, at, dated, sig) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![entry, story, p.feed_id, p.at, p.dated, p.sig.to_bytes()])?;
    let mut band = tx.prepare_cached(
        "INSERT OR IGNORE INTO story_bands (band, at, entry_id) VALUES (?1, ?2, ?3)",
    )?;
    for key in cluster::band_keys(p.sig) {
        band.execute(params![key as i64, p.at, entry])?;
    }
    Ok(())
}

/// Retention, after the pruned entries' signatures and the entries themselves are gone: drops
/// their band rows and the aliases of pruned stories.
pub(super) fn prune(tx: &Transaction) -> Result<()> {
    tx.execute_batch(
        "DELETE FROM story_bands WHERE entry_id NOT IN (SELECT entry_id FROM entry_sigs);
         DELETE FROM story_aliases WHERE story_id NOT IN (SELECT id FROM stories);",
    )?;
    Ok(())
}

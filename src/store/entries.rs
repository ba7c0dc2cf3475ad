//! Recording a poll: feed state, new entries (deduplicated on (feed, key)), their stories
//! (same canonical link across feeds = one story; a matched entry with a new link joins a
//! near-duplicate's story, see `clusters`) and matches — all in one transaction.
//! Several polls can share a transaction ([`Store::commit_polls`]). Part of [`Store`].

use super::clusters::{self, Placed};
use super::{Result, Store};
use crate::model::{BodyDigest, Entry, NewMatch};
use crate::story::Signature;
use rusqlite::{Transaction, params};
use std::collections::HashSet;

/// A parsed entry that was not in the store when the poll began, with its matches.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub entry: Entry,
    /// Older than the backfill window on the feed's first poll: stored as seen, not reported.
    pub backfilled: bool,
    pub matches: Vec<NewMatch>,
    /// Clustering signature: set (by the poller) for matched entries only, which are what
    /// digests show; only those are placed in near-duplicate stories.
    pub signature: Option<Signature>,
}

/// What happened when a feed was polled.
#[derive(Debug, Clone)]
pub enum PollOutcome {
    NotModified,
    /// A 200 whose document is the one parsed last time (or differs only outside its items):
    /// like a 304, with the response's validators and the digests recorded.
    Unchanged {
        digest: BodyDigest,
    },
    /// Not requested (the host asked us to wait); only the next check moves.
    Deferred,
    Modified {
        entries: Vec<NewEntry>,
        /// Keys of entries the document listed that were already stored (retention).
        still_listed: Vec<String>,
        format: String,
        encoding: String,
        repairs: Vec<String>,
        title: Option<String>,
        /// `unparsed: …` / `partial: …` when the document lists items the parse did not keep.
        problem: Option<String>,
        /// The source's new snapshot (screening lists), kept for the next poll's diff.
        snapshot: Option<crate::model::regulatory::Snapshot>,
        /// The document's digests, to recognise it when it comes again.
        digest: Option<BodyDigest>,
    },
    Failed {
        error: String,
        retry_after_until: Option<i64>,
        gone: bool,
    },
}

/// Everything a poll writes.
#[derive(Debug, Clone)]
pub struct PollRecord {
    pub feed_id: crate::model::FeedId,
    pub checked_at: i64,
    pub status: Option<u16>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Target of a permanent redirect seen during this poll.
    pub redirect_url: Option<String>,
    pub next_check_at: i64,
    pub interval_secs: Option<i64>,
    pub outcome: PollOutcome,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommitStats {
    pub entries_new: usize,
    pub matches_new: usize,
}

impl Store {
    /// Keys of the entries already stored for a feed (to skip matching known entries).
    pub fn known_keys(&self, feed_id: crate::model::FeedId) -> Result<HashSet<String>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT key FROM entries WHERE feed_id = ?1")?;
        let rows = st.query_map([feed_id], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<rusqlite::Result<HashSet<_>>>()?)
    }

    /// Records one poll in its own transaction.
    pub fn commit_poll(&mut self, rec: &PollRecord) -> Result<CommitStats> {
        self.commit_polls([rec])
            .map(|mut v| v.pop().unwrap_or_default())
    }

    /// Records several polls in one transaction (all or nothing).
    pub fn commit_polls<'a>(
        &mut self,
        recs: impl IntoIterator<Item = &'a PollRecord>,
    ) -> Result<Vec<CommitStats>> {
        let tx = self.conn.transaction()?;
        let mut out = Vec::new();
        for r in recs {
            out.push(record(&tx, r)?);
        }
        tx.commit()?;
        Ok(out)
    }
}

fn record(tx: &Transaction, r: &PollRecord) -> Result<CommitStats> {
    let mut stats = CommitStats::default();
    match &r.outcome {
        PollOutcome::Deferred => {
            tx.prepare_cached(
                "UPDATE feeds SET next_check_at = ?2, retry_after_until = MAX(COALESCE(retry_after_until, 0), ?2) WHERE id = ?1",
            )?
            .execute(params![r.feed_id, r.next_check_at])?;
        }
        PollOutcome::NotModified => {
            tx.prepare_cached(
                "UPDATE feeds SET last_status = ?2, last_checked_at = ?3, last_success_at = ?3, error_count = 0, first_error_at = NULL,
                 last_error = NULL, next_check_at = ?4, retry_after_until = NULL,
                 etag = COALESCE(?5, etag), last_modified = COALESCE(?6, last_modified), redirect_url = COALESCE(?7, redirect_url),
                 interval_secs = COALESCE(?8, interval_secs) WHERE id = ?1",
            )?
            .execute(params![r.feed_id, r.status, r.checked_at, r.next_check_at, r.etag, r.last_modified, r.redirect_url, r.interval_secs])?;
        }
        PollOutcome::Unchanged { digest } => {
            tx.prepare_cached(
                "UPDATE feeds SET last_status = ?2, last_checked_at = ?3, last_success_at = ?3, error_count = 0, first_error_at = NULL,
                 last_error = NULL, next_check_at = ?4, retry_after_until = NULL, etag = ?5, last_modified = ?6,
                 redirect_url = COALESCE(?7, redirect_url), interval_secs = COALESCE(?8, interval_secs),
                 body_digest = ?9, items_digest = ?10 WHERE id = ?1",
            )?
            .execute(params![r.feed_id, r.status, r.checked_at, r.next_check_at, r.etag, r.last_modified, r.redirect_url, r.interval_secs, digest.body, digest.items])?;
        }
        PollOutcome::Failed {
            error,
            retry_after_until,
            gone,
        } => {
            tx.prepare_cached(
                "UPDATE feeds SET last_status = ?2, last_checked_at = ?3, error_count = error_count + 1,
                 first_error_at = COALESCE(first_error_at, ?3), last_error = ?4, next_check_at = ?5,
                 retry_after_until = ?6, gone = MAX(gone, ?7), redirect_url = COALESCE(?8, redirect_url) WHERE id = ?1",
            )?
            .execute(params![r.feed_id, r.status, r.checked_at, error, r.next_check_at, retry_after_until, *gone as i64, r.redirect_url])?;
        }
        PollOutcome::Modified {
            entries,
            still_listed,
            format,
            encoding,
            repairs,
            title,
            problem,
            snapshot,
            digest,
        } => {
            if let Some(snap) = snapshot {
                super::regulatory::save_snapshot(tx, r.feed_id, r.checked_at, snap)?;
            }
            let repairs = (!repairs.is_empty()).then(|| repairs.join("; "));
            tx.prepare_cached(
                "UPDATE feeds SET last_status = ?2, last_checked_at = ?3, last_success_at = ?3, error_count = 0, first_error_at = NULL,
                 last_error = NULL, next_check_at = ?4, retry_after_until = NULL, etag = ?5, last_modified = ?6,
                 redirect_url = COALESCE(?7, redirect_url), polled = 1, format = ?8, encoding = ?9, repairs = ?10, title = ?11,
                 interval_secs = COALESCE(?12, interval_secs), parse_problem = ?13,
                 parse_problem_since = CASE WHEN ?13 IS NULL THEN NULL ELSE COALESCE(parse_problem_since, ?3) END,
                 body_digest = ?14, items_digest = ?15
                 WHERE id = ?1",
            )?
            .execute(params![
                r.feed_id, r.status, r.checked_at, r.next_check_at, r.etag, r.last_modified, r.redirect_url, format, encoding,
                repairs, title, r.interval_secs, problem, digest.as_ref().map(|d| &d.body),
                digest.as_ref().and_then(|d| d.items.as_ref())
            ])?;
            let mut seen = tx.prepare_cached(
                "UPDATE entries SET last_seen_at = ?3 WHERE feed_id = ?1 AND key = ?2",
            )?;
            for key in still_listed {
                seen.execute(params![r.feed_id, key, r.checked_at])?;
            }
            for ne in entries {
                let Some((entry_id, story_id)) = insert_entry(tx, r.feed_id, r.checked_at, ne)?
                else {
                    continue;
                };
                stats.entries_new += 1;
                if ne.backfilled {
                    continue;
                }
                for m in &ne.matches {
                    let n = tx
                        .prepare_cached(
                            "INSERT OR IGNORE INTO matches (entry_id, story_id, rule, score, hits, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        )?
                        .execute(params![entry_id, story_id, m.rule, m.score, serde_json::to_string(&m.hits)?, r.checked_at])?;
                    stats.matches_new += n;
                }
            }
            if stats.entries_new > 0 {
                tx.prepare_cached(
                    "UPDATE feeds SET entries_seen = entries_seen + ?2, last_new_at = ?3 WHERE id = ?1",
                )?
                .execute(params![r.feed_id, stats.entries_new as i64, r.checked_at])?;
            }
        }
    }
    Ok(stats)
}

/// Inserts an entry unless (feed, key) exists; returns its new row id and its story id.
/// (The poller already skipped known keys, so the insert almost always succeeds.)
/// Its story: the one with its story key (canonical link), else — for a matched entry — a
/// recent story it near-duplicates (its key then becomes an alias of that story), else new.
fn insert_entry(
    tx: &Transaction,
    feed_id: crate::model::FeedId,
    now: i64,
    ne: &NewEntry,
) -> Result<Option<(i64, i64)>> {
    let e = &ne.entry;
    let story_key = e.story_key(feed_id.0);
    let placed = ne.signature.as_ref().map(|sig| Placed {
        sig,
        feed_id,
        at: e.published.map_or(now, |d| d.timestamp()),
        dated: e.published.is_some(),
    });
    // Only entries a digest may show look for (and leave) citations: matched items, documents
    // and list changes.
    let cites = !ne.matches.is_empty() || e.meta.is_some();
    let found = match clusters::story_for_key(tx, &story_key)? {
        Some(id) => Some(id),
        // An item citing a stored Federal Register document joins its story (and so do later
        // copies of its link).
        None if !cites => None,
        None => match super::regulatory::cited_story(tx, e)? {
            Some(id) => {
                clusters::alias(tx, &story_key, id)?;
                Some(id)
            }
            None => None,
        },
    };
    let story_id = match found {
        Some(id) => id,
        None => match placed
            .as_ref()
            .map(|p| clusters::similar_story(tx, p))
            .transpose()?
            .flatten()
        {
            Some(id) => {
                clusters::alias(tx, &story_key, id)?;
                id
            }
            None => {
                tx.prepare_cached(
                    "INSERT INTO stories (story_key, first_seen_at) VALUES (?1, ?2)",
                )?
                .execute(params![story_key, now])?;
                tx.last_insert_rowid()
            }
        },
    };
    let n = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO entries (feed_id, key, story_id, title, link, canonical_link, published_at, seen_at, summary, content, backfilled, last_seen_at, outlet, meta)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?8, ?12, ?13)",
        )?
        .execute(params![
            feed_id,
            e.key,
            story_id,
            e.title,
            e.link,
            e.canonical_link,
            e.published.map(|d| d.timestamp()),
            now,
            e.summary,
            e.content,
            ne.backfilled as i64,
            e.outlet,
            e.meta.as_ref().map(serde_json::to_string).transpose()?
        ])?;
    if n != 1 {
        return Ok(None);
    }
    let entry_id = tx.last_insert_rowid();
    if cites {
        super::regulatory::alias_citations(tx, e, story_id)?;
    }
    if let Some(p) = &placed {
        clusters::index(tx, entry_id, story_id, p)?;
    }
    Ok(Some((entry_id, story_id)))
}

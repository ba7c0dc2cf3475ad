//! The outbox: claiming matched stories into digests (claim, recipients and rendered message
//! in one transaction), listing what is pending, and marking sends done or failed. A story is
//! delivered once per profile: the `deliveries` row is the claim. Part of [`Store`].

use super::{Result, Store};
use crate::model::{DigestItem, Recipients, RenderedPart, StoredHit};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;
use std::collections::HashMap;

/// Which matches a profile takes.
#[derive(Debug, Clone)]
pub struct ProfileFilter {
    pub profile: String,
    /// Rule names (empty = all).
    pub rules: Vec<String>,
    /// Feed tags (empty = all feeds).
    pub tags: Vec<String>,
    pub min_score: f64,
    /// "digest" (scheduled) or "alert" (immediate; does not move the digest schedule).
    pub kind: &'static str,
}

/// A digest waiting to be sent.
#[derive(Debug, Clone)]
pub struct PendingDigest {
    pub id: i64,
    pub profile: String,
    pub message_id: String,
    pub recipients: Recipients,
    pub message: Vec<u8>,
    pub attempts: i64,
    pub story_count: i64,
    /// Recipients already done with (delivered, or rejected for good): never sent again.
    pub done: Vec<String>,
}

impl PendingDigest {
    /// Recipients (to, cc, bcc) still waiting for this digest.
    pub fn remaining(&self) -> Vec<String> {
        let r = &self.recipients;
        r.to.iter()
            .chain(&r.cc)
            .chain(&r.bcc)
            .filter(|a| !self.done.contains(a))
            .cloned()
            .collect()
    }
}

/// A row of `digest history`.
#[derive(Debug, Clone, Serialize)]
pub struct DigestRecord {
    pub id: i64,
    pub profile: String,
    pub part: i64,
    pub parts: i64,
    pub message_id: String,
    pub status: String,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub recipients: Recipients,
    /// Recipients whose server refused the digest for good: (address, error).
    pub rejected: Vec<(String, String)>,
    pub subject: String,
    pub story_count: i64,
}

impl Store {
    /// Stories with a qualifying match not yet delivered to the profile (no claim made).
    pub fn digest_candidates(&self, f: &ProfileFilter) -> Result<Vec<DigestItem>> {
        candidates(&self.conn, f)
    }

    /// Claims the profile's pending stories, renders them with `render` and stores the
    /// resulting messages as pending digests — one transaction. Returns the new digest ids.
    pub fn claim_digest<F>(
        &mut self,
        f: &ProfileFilter,
        now: i64,
        next_due: Option<i64>,
        render: F,
    ) -> Result<Vec<i64>>
    where
        F: FnOnce(&[DigestItem], &mut dyn FnMut(RenderedPart)),
    {
        let tx = self.conn.transaction()?;
        let items = candidates(&tx, f)?;
        let mut ids = Vec::new();
        let mut failure: Option<super::StoreError> = None;
        render(&items, &mut |p| {
            if failure.is_none() {
                match insert_part(&tx, f, now, &p) {
                    Ok(id) => ids.push(id),
                    Err(e) => failure = Some(e),
                }
            }
        });
        drop(items);
        if let Some(e) = failure {
            return Err(e);
        }
        if let Some(first) = ids.first() {
            tx.prepare_cached(
                "UPDATE digests SET parts = ?1 WHERE id >= ?2 AND profile = ?3 AND created_at = ?4",
            )?
            .execute(params![ids.len() as i64, first, f.profile, now])?;
        }
        if f.kind == "digest" {
            set_due(&tx, &f.profile, Some(now), next_due)?;
        }
        tx.commit()?;
        Ok(ids)
    }

    /// Digests to send now, oldest first.
    pub fn pending_digests(&self, now: i64) -> Result<Vec<PendingDigest>> {
        let mut st = self.conn.prepare_cached(
            "SELECT id, profile, message_id, recipients, message, attempts, story_count, delivered_to, rejected FROM digests
             WHERE status = 'pending' AND next_attempt_at <= ?1 ORDER BY id",
        )?;
        let mut rows = st.query([now])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let (rcpt, delivered, rejected): (String, String, String) =
                (r.get(3)?, r.get(7)?, r.get(8)?);
            let mut done: Vec<String> = serde_json::from_str(&delivered)?;
            let rejected: Vec<(String, String)> = serde_json::from_str(&rejected)?;
            done.extend(rejected.into_iter().map(|(a, _)| a));
            out.push(PendingDigest {
                id: r.get(0)?,
                profile: r.get(1)?,
                message_id: r.get(2)?,
                recipients: serde_json::from_str(&rcpt)?,
                message: r.get(4)?,
                attempts: r.get(5)?,
                story_count: r.get(6)?,
                done,
            });
        }
        Ok(out)
    }

    /// Records one recipient of a digest as delivered (`error` None) or rejected for good.
    pub fn record_recipient(
        &mut self,
        id: i64,
        recipient: &str,
        error: Option<&str>,
    ) -> Result<()> {
        let (col, value) = match error {
            None => ("delivered_to", serde_json::to_value(recipient)?),
            Some(e) => ("rejected", serde_json::to_value((recipient, e))?),
        };
        self.conn.execute(
            &format!(
                "UPDATE digests SET {col} = json_insert({col}, '$[#]', json(?2)) WHERE id = ?1"
            ),
            params![id, value.to_string()],
        )?;
        Ok(())
    }

    /// Alerts created for `profile` since `since` (for the per-profile rate cap).
    pub fn alerts_since(&self, profile: &str, since: i64) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT COUNT(DISTINCT created_at) FROM digests WHERE profile = ?1 AND kind = 'alert' AND created_at >= ?2",
            params![profile, since],
            |r| r.get(0),
        )?)
    }

    /// Number of digests still pending (any due time).
    pub fn pending_count(&self) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM digests WHERE status = 'pending'",
            [],
            |r| r.get(0),
        )?)
    }

    pub fn mark_sent(&mut self, id: i64, now: i64) -> Result<()> {
        self.conn.execute(
            "UPDATE digests SET status = 'sent', sent_at = ?2, attempts = attempts + 1, last_error = NULL WHERE id = ?1",
            params![id, now],
        )?;
        Ok(())
    }

    /// Records a failed attempt; `dead` = permanent failure, not retried.
    pub fn mark_failed(
        &mut self,
        id: i64,
        error: &str,
        next_attempt_at: i64,
        dead: bool,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE digests SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3,
             status = CASE WHEN ?4 THEN 'dead' ELSE status END WHERE id = ?1",
            params![id, error, next_attempt_at, dead],
        )?;
        Ok(())
    }

    pub fn digest_history(&self, limit: i64) -> Result<Vec<DigestRecord>> {
        let mut st = self.conn.prepare(
            "SELECT id, profile, part, parts, message_id, status, created_at, sent_at, attempts, last_error, recipients, subject, story_count, rejected
             FROM digests ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = st.query_map([limit], |r| {
            Ok(DigestRecord {
                id: r.get(0)?,
                profile: r.get(1)?,
                part: r.get(2)?,
                parts: r.get(3)?,
                message_id: r.get(4)?,
                status: r.get(5)?,
                created_at: r.get(6)?,
                sent_at: r.get(7)?,
                attempts: r.get(8)?,
                last_error: r.get(9)?,
                recipients: serde_json::from_str(&r.get::<_, String>(10)?).unwrap_or_default(),
                subject: r.get(11)?,
                story_count: r.get(12)?,
                rejected: serde_json::from_str(&r.get::<_, String>(13)?).unwrap_or_default(),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// When the profile's next scheduled digest is due (None: never scheduled yet).
    pub fn profile_next_due(&self, profile: &str) -> Result<Option<i64>> {
        Ok(self
            .conn
            .query_row(
                "SELECT next_due_at FROM profiles WHERE name = ?1",
                [profile],
                |r| r.get::<_, Option<i64>>(0),
            )
            .optional()?
            .flatten())
    }

    pub fn set_profile_due(&mut self, profile: &str, next_due: Option<i64>) -> Result<()> {
        let tx = self.conn.transaction()?;
        set_due(&tx, profile, None, next_due)?;
        tx.commit()?;
        Ok(())
    }
}

/// Stores one rendered part as a pending digest and claims its stories for the profile.
fn insert_part(tx: &Transaction, f: &ProfileFilter, now: i64, p: &RenderedPart) -> Result<i64> {
    let part: i64 = tx
        .prepare_cached("SELECT COUNT(*) FROM digests WHERE profile = ?1 AND created_at = ?2")?
        .query_row(params![f.profile, now], |r| r.get(0))?;
    tx.prepare_cached(
        "INSERT INTO digests (profile, part, parts, message_id, status, created_at, recipients, subject, story_count, message, kind)
         VALUES (?1, ?2, ?2, ?3, 'pending', ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        f.profile,
        part + 1,
        p.message_id,
        now,
        serde_json::to_string(&p.recipients)?,
        p.subject,
        p.story_ids.len() as i64,
        p.message,
        f.kind
    ])?;
    let id = tx.last_insert_rowid();
    let mut claim = tx.prepare_cached(
        "INSERT INTO deliveries (profile, story_id, digest_id) VALUES (?1, ?2, ?3)",
    )?;
    for s in &p.story_ids {
        claim.execute(params![f.profile, s, id])?;
    }
    Ok(id)
}

fn set_due(tx: &Transaction, profile: &str, last: Option<i64>, next: Option<i64>) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO profiles (name, last_digest_at, next_due_at) VALUES (?1, ?2, ?3)
         ON CONFLICT(name) DO UPDATE SET last_digest_at = COALESCE(excluded.last_digest_at, last_digest_at), next_due_at = excluded.next_due_at",
    )?
    .execute(params![profile, last, next])?;
    Ok(())
}

type Row = (
    i64,
    String,
    f64,
    String,
    String,
    Option<String>,
    String,
    String,
    Option<i64>,
    String,
    String,
);

fn candidates(conn: &rusqlite::Connection, f: &ProfileFilter) -> Result<Vec<DigestItem>> {
    let mut st = conn.prepare_cached(
        "SELECT m.story_id, m.rule, m.score, m.hits, e.title, e.link, COALESCE(e.outlet, f.name), f.tags, e.published_at, e.summary, e.content
         FROM matches m JOIN entries e ON e.id = m.entry_id JOIN feeds f ON f.id = e.feed_id
         WHERE m.score >= ?2 AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.profile = ?1 AND d.story_id = m.story_id)
         ORDER BY m.story_id, m.score DESC, e.published_at IS NULL, e.published_at, m.id",
    )?;
    let rows = st.query_map(params![f.profile, f.min_score], |r| {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
            r.get(7)?,
            r.get(8)?,
            r.get(9)?,
            r.get(10)?,
        ))
    })?;
    let mut by_story: Vec<DigestItem> = Vec::new();
    let mut index: HashMap<i64, usize> = HashMap::new();
    for row in rows {
        let (
            story_id,
            rule,
            score,
            hits,
            title,
            link,
            feed_name,
            tags,
            published,
            summary,
            content,
        ): Row = row?;
        if !f.rules.is_empty() && !f.rules.contains(&rule) {
            continue;
        }
        let feed_tags: Vec<String> = serde_json::from_str(&tags).unwrap_or_default();
        if !f.tags.is_empty() && !feed_tags.iter().any(|t| f.tags.contains(t)) {
            continue;
        }
        match index.get(&story_id) {
            Some(&i) => {
                if let Some(item) = by_story.get_mut(i)
                    && !item.rules.contains(&rule)
                {
                    item.rules.push(rule);
                }
            }
            None => {
                index.insert(story_id, by_story.len());
                let hits: Vec<StoredHit> = serde_json::from_str(&hits)?;
                let mut item = DigestItem {
                    story_id,
                    rule: rule.clone(),
                    rules: vec![rule],
                    score,
                    hits,
                    title,
                    link,
                    feed_name,
                    feed_tags,
                    published,
                    summary,
                    content,
                    also: Vec::new(),
                    meta: Vec::new(),
                };
                item.trim_around_hits(2048);
                by_story.push(item);
            }
        }
    }
    let mut also = conn.prepare_cached(
        "SELECT COALESCE(e.outlet, f.name), e.link, e.meta FROM entries e JOIN feeds f ON f.id = e.feed_id WHERE e.story_id = ?1 ORDER BY e.id",
    )?;
    for item in &mut by_story {
        let rows = also.query_map([item.story_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })?;
        let mut first_skipped = false;
        for row in rows {
            let (name, link, meta) = row?;
            if let Some(m) = meta {
                item.meta.push(serde_json::from_str(&m)?);
            }
            if !first_skipped && name == item.feed_name && link == item.link {
                first_skipped = true;
                continue;
            }
            add_also(
                &mut item.also,
                &item.feed_name,
                item.link.as_deref(),
                name,
                link,
            );
        }
    }
    Ok(by_story)
}

/// Adds another outlet's entry to a story's "also reported by" list so that every link is
/// shown once: outlets carrying the same link share one item ("Beta, Gamma"), and outlets
/// carrying the story's own link are named without repeating it.
fn add_also(
    also: &mut Vec<(String, Option<String>)>,
    main_feed: &str,
    main_link: Option<&str>,
    name: String,
    link: Option<String>,
) {
    let link = link.filter(|l| Some(l.as_str()) != main_link);
    if link.is_none() && name == main_feed {
        return;
    }
    match also.iter_mut().find(|(_, l)| link.is_some() && *l == link) {
        Some((names, _)) => {
            if !names.split(", ").any(|n| n == name) {
                names.push_str(", ");
                names.push_str(&name);
            }
        }
        None => {
            if !also.iter().any(|(n, l)| *n == name && *l == link) {
                also.push((name, link));
            }
        }
    }
}

/// An entry with the rules it matched when stored (for `rules backtest`).
#[derive(Debug, Clone)]
pub struct BacktestRow {
    pub title: String,
    pub summary: String,
    pub content: String,
    pub link: Option<String>,
    pub feed_name: String,
    pub feed_tags: Vec<String>,
    pub rules: Vec<String>,
}

impl Store {
    /// Calls `f` for each entry first seen since `since` (not backfilled), with the rules it
    /// matched when stored; rows are streamed, so a large database is not loaded at once.
    pub fn for_each_entry_since(
        &self,
        since: i64,
        mut f: impl FnMut(BacktestRow),
    ) -> Result<usize> {
        let mut st = self.conn.prepare(
            "SELECT e.title, e.summary, e.content, COALESCE(e.canonical_link, e.link), f.name, f.tags,
                    (SELECT json_group_array(rule) FROM matches m WHERE m.entry_id = e.id)
             FROM entries e JOIN feeds f ON f.id = e.feed_id WHERE e.seen_at >= ?1 AND e.backfilled = 0 ORDER BY e.id",
        )?;
        let mut rows = st.query([since])?;
        let mut n = 0;
        while let Some(r) = rows.next()? {
            let tags: String = r.get(5)?;
            let rules: String = r.get(6)?;
            f(BacktestRow {
                title: r.get(0)?,
                summary: r.get(1)?,
                content: r.get(2)?,
                link: r.get(3)?,
                feed_name: r.get(4)?,
                feed_tags: serde_json::from_str(&tags)?,
                rules: serde_json::from_str(&rules)?,
            });
            n += 1;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::add_also;

    #[test]
    fn every_link_is_listed_once() {
        let main = Some("https://wire.example/a");
        let mut also = Vec::new();
        let mut add = |n: &str, l: Option<&str>| {
            add_also(&mut also, "Alpha", main, n.into(), l.map(Into::into))
        };
        add("Beta", Some("https://wire.example/a?utm_source=b"));
        add("Gamma", Some("https://wire.example/a?utm_source=b"));
        add("Gamma", Some("https://wire.example/a?utm_source=b"));
        add("Delta", Some("https://wire.example/a"));
        add("Alpha", Some("https://wire.example/a"));
        add("Epsilon", None);
        assert_eq!(
            also,
            vec![
                (
                    "Beta, Gamma".to_string(),
                    Some("https://wire.example/a?utm_source=b".to_string())
                ),
                ("Delta".to_string(), None),
                ("Epsilon".to_string(), None),
            ]
        );
    }
}

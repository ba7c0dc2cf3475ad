//! The outbox: claiming matched stories into digests (claim and rendered parts for mail and
//! channels in one transaction), listing what is pending, and marking sends done or failed. A story is
//! delivered once per profile: the `deliveries` row is the claim. Part of [`Store`].

use super::{Result, Store};
use crate::model::{DigestItem, Recipients, RenderedPart};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;

pub use super::candidates::ProfileFilter;

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
    /// "digest" or "alert".
    pub kind: String,
    /// None: mail; Some: the `[[channel]]` it goes to (`message` is the request body).
    pub channel: Option<String>,
    pub subject: String,
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
    /// "digest" or "alert".
    pub kind: String,
    /// None: mail; Some: the channel name.
    pub channel: Option<String>,
}

impl Store {
    /// Stories with a qualifying match not yet delivered to the profile (no claim made).
    pub fn digest_candidates(&self, f: &ProfileFilter) -> Result<Vec<DigestItem>> {
        super::candidates::candidates(&self.conn, f)
    }

    /// Claims `stories` for the profile and stores `parts` (already rendered from them, off
    /// the store thread) as pending deliveries — one transaction. Stories matched since the
    /// candidates were read are not in `stories` and wait for the next digest; a story claimed
    /// meanwhile by another process makes the whole claim fail ([`super::StoreError::Claimed`]).
    /// Each story's claim points at the first part that carries it. Returns the new row ids.
    pub fn commit_claim(
        &mut self,
        f: &ProfileFilter,
        now: i64,
        next_due: Option<i64>,
        stories: &[crate::model::StoryId],
        parts: &[RenderedPart],
    ) -> Result<Vec<i64>> {
        let tx = self.conn.transaction()?;
        {
            let mut taken =
                tx.prepare_cached("SELECT 1 FROM deliveries WHERE profile = ?1 AND story_id = ?2")?;
            for s in stories {
                if taken.exists(params![f.profile, s])? {
                    return Err(super::StoreError::Claimed);
                }
            }
        }
        let mut ids = Vec::new();
        for p in parts {
            ids.push(insert_part(&tx, f, now, p)?);
        }
        {
            let mut claim = tx.prepare_cached(
                "INSERT OR IGNORE INTO deliveries (profile, story_id, digest_id) VALUES (?1, ?2, ?3)",
            )?;
            for (p, id) in parts.iter().zip(&ids) {
                for s in p.story_ids.iter().filter(|s| stories.contains(s)) {
                    claim.execute(params![f.profile, s, id])?;
                }
            }
            // A story no part carries (none should be) is still claimed, by the first part.
            if let Some(first) = ids.first() {
                for s in stories {
                    claim.execute(params![f.profile, s, first])?;
                }
            }
        }
        let mut parts_of = tx.prepare_cached("UPDATE digests SET parts = ?1 WHERE id = ?2")?;
        for (p, id) in parts.iter().zip(&ids) {
            let n = parts.iter().filter(|q| q.channel == p.channel).count();
            parts_of.execute(params![n as i64, id])?;
        }
        drop(parts_of);
        if f.kind == "digest" {
            set_due(&tx, &f.profile, Some(now), next_due)?;
        }
        tx.commit()?;
        Ok(ids)
    }

    /// Deliveries (mail and channels) due by `due_by` (`i64::MAX`: every pending one, whatever
    /// its backoff) whose service did not ask us to wait past `now`, oldest first.
    pub fn pending_digests(&self, due_by: i64, now: i64) -> Result<Vec<PendingDigest>> {
        let mut st = self.conn.prepare_cached(
            "SELECT id, profile, message_id, recipients, message, attempts, story_count, delivered_to, rejected, kind, channel, subject FROM digests
             WHERE status = 'pending' AND next_attempt_at <= ?1 AND COALESCE(retry_after_until, 0) <= ?2 ORDER BY id",
        )?;
        let mut rows = st.query([due_by, now])?;
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
                kind: r.get(9)?,
                channel: r.get(10)?,
                subject: r.get(11)?,
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

    /// Records a failed attempt; `dead` = permanent failure, not retried; `retry_after`: the
    /// service asked us not to come back before then.
    pub fn mark_failed(
        &mut self,
        id: i64,
        error: &str,
        next_attempt_at: i64,
        dead: bool,
        retry_after: Option<i64>,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE digests SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3,
             status = CASE WHEN ?4 THEN 'dead' ELSE status END, retry_after_until = ?5 WHERE id = ?1",
            params![id, error, next_attempt_at, dead, retry_after],
        )?;
        Ok(())
    }

    pub fn digest_history(&self, limit: i64) -> Result<Vec<DigestRecord>> {
        let mut st = self.conn.prepare(
            "SELECT id, profile, part, parts, message_id, status, created_at, sent_at, attempts, last_error, recipients, subject, story_count, rejected, kind, channel
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
                kind: r.get(14)?,
                channel: r.get(15)?,
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

/// Stores one rendered part as a pending delivery (its claims are made by the caller).
fn insert_part(tx: &Transaction, f: &ProfileFilter, now: i64, p: &RenderedPart) -> Result<i64> {
    let part: i64 = tx
        .prepare_cached(
            "SELECT COUNT(*) FROM digests WHERE profile = ?1 AND created_at = ?2 AND channel IS ?3",
        )?
        .query_row(params![f.profile, now, p.channel], |r| r.get(0))?;
    tx.prepare_cached(
        "INSERT INTO digests (profile, part, parts, message_id, status, created_at, recipients, subject, story_count, message, kind, channel)
         VALUES (?1, ?2, ?2, ?3, 'pending', ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
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
        f.kind,
        p.channel
    ])?;
    Ok(tx.last_insert_rowid())
}

fn set_due(tx: &Transaction, profile: &str, last: Option<i64>, next: Option<i64>) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO profiles (name, last_digest_at, next_due_at) VALUES (?1, ?2, ?3)
         ON CONFLICT(name) DO UPDATE SET last_digest_at = COALESCE(excluded.last_digest_at, last_digest_at), next_due_at = excluded.next_due_at",
    )?
    .execute(params![profile, last, next])?;
    Ok(())
}

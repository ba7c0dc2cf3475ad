//! Feed rows: registering configured feeds, reading their poll state (validators, next check,
//! errors) and listing them for `feeds status`. Part of [`Store`].

use super::{Result, Store};
use crate::model::FeedSpec;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

/// A failing or gone feed for the digest footer: (name, url, failing since, error).
pub type Unhealthy = (String, String, Option<i64>, String);

/// Poll state of one feed, as the poller needs it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedState {
    pub id: i64,
    pub url: String,
    pub redirect_url: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub error_count: i64,
    pub next_check_at: i64,
    pub retry_after_until: Option<i64>,
    pub gone: bool,
    pub polled: bool,
    pub first_error_at: Option<i64>,
}

/// A row of `feeds status`.
#[derive(Debug, Clone, Serialize)]
pub struct FeedStatus {
    pub url: String,
    pub name: String,
    pub redirect_url: Option<String>,
    pub last_status: Option<i64>,
    pub last_checked_at: Option<i64>,
    pub last_success_at: Option<i64>,
    pub error_count: i64,
    pub first_error_at: Option<i64>,
    pub last_error: Option<String>,
    pub next_check_at: i64,
    pub gone: bool,
    pub entries_seen: i64,
    pub format: Option<String>,
    pub encoding: Option<String>,
    pub repairs: Option<String>,
    pub avg_post_interval_secs: Option<i64>,
}

impl Store {
    /// Makes sure every configured feed has a row (keeping history of existing ones) and
    /// returns their poll states in the order given.
    pub fn register_feeds(&mut self, feeds: &[FeedSpec]) -> Result<Vec<FeedState>> {
        let tx = self.conn.transaction()?;
        {
            let mut ins = tx.prepare_cached("INSERT INTO feeds (url, name, tags) VALUES (?1, ?2, ?3) ON CONFLICT(url) DO UPDATE SET name = excluded.name, tags = excluded.tags")?;
            for f in feeds {
                ins.execute(params![f.id_url(), f.name, serde_json::to_string(&f.tags)?])?;
            }
        }
        tx.commit()?;
        let wanted: std::collections::HashSet<String> =
            feeds.iter().map(FeedSpec::id_url).collect();
        Ok(self
            .feed_states()?
            .into_iter()
            .filter(|s| wanted.contains(&s.url))
            .collect())
    }

    /// Poll states of all feeds (one query; the daemon calls this every loop).
    pub fn feed_states(&self) -> Result<Vec<FeedState>> {
        let mut st = self
            .conn
            .prepare_cached(&format!("SELECT {STATE_COLS} FROM feeds"))?;
        let rows = st.query_map([], state_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Poll states of the feeds due at `now` (not gone, past their next check and any
    /// Retry-After), plus those under a Retry-After (so their host stays held).
    pub fn due_feed_states(&self, now: i64) -> Result<Vec<FeedState>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {STATE_COLS} FROM feeds WHERE gone = 0 AND (next_check_at <= ?1 OR retry_after_until > ?1)"
        ))?;
        let rows = st.query_map([now], state_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// (total, failing, gone) for metrics and status lines.
    pub fn feed_health_counts(&self) -> Result<(u64, u64, u64)> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*), COALESCE(SUM(error_count > 0 AND gone = 0), 0), COALESCE(SUM(gone), 0) FROM feeds",
            [],
            |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64, r.get::<_, i64>(2)? as u64)),
        )?)
    }

    pub fn feed_state(&self, url: &str) -> Result<Option<FeedState>> {
        let mut st = self
            .conn
            .prepare_cached(&format!("SELECT {STATE_COLS} FROM feeds WHERE url = ?1"))?;
        Ok(st.query_row([url], state_row).optional()?)
    }

    /// All feeds for `feeds status`, failing ones first.
    pub fn feed_statuses(&self) -> Result<Vec<FeedStatus>> {
        let mut st = self.conn.prepare(
            "SELECT f.url, f.name, f.redirect_url, f.last_status, f.last_checked_at, f.last_success_at, f.error_count,
                    f.first_error_at, f.last_error, f.next_check_at, f.gone, f.entries_seen, f.format, f.encoding, f.repairs,
                    (SELECT (MAX(published_at) - MIN(published_at)) / NULLIF(COUNT(published_at) - 1, 0) FROM entries e WHERE e.feed_id = f.id)
             FROM feeds f ORDER BY f.gone DESC, f.error_count > 0 DESC, f.error_count DESC, f.url",
        )?;
        let rows = st.query_map([], |r| {
            Ok(FeedStatus {
                url: r.get(0)?,
                name: r.get(1)?,
                redirect_url: r.get(2)?,
                last_status: r.get(3)?,
                last_checked_at: r.get(4)?,
                last_success_at: r.get(5)?,
                error_count: r.get(6)?,
                first_error_at: r.get(7)?,
                last_error: r.get(8)?,
                next_check_at: r.get(9)?,
                gone: r.get::<_, i64>(10)? != 0,
                entries_seen: r.get(11)?,
                format: r.get(12)?,
                encoding: r.get(13)?,
                repairs: r.get(14)?,
                avg_post_interval_secs: r.get(15)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Feeds failing, gone or not yet healthy, for the digest footer: (name, url, since, error).
    pub fn unhealthy_feeds(&self) -> Result<Vec<Unhealthy>> {
        let mut st = self.conn.prepare(
            "SELECT name, url, first_error_at, COALESCE(last_error, ''), gone FROM feeds WHERE gone = 1 OR error_count > 0 ORDER BY first_error_at",
        )?;
        let rows = st.query_map([], |r| {
            let gone: i64 = r.get(4)?;
            let err: String = r.get(3)?;
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                if gone != 0 {
                    format!("gone (410): {err}")
                } else {
                    err
                },
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// The earliest `next_check_at` among feeds that can be polled.
    pub fn next_check_due(&self) -> Result<Option<i64>> {
        Ok(self.conn.query_row("SELECT MIN(MAX(next_check_at, COALESCE(retry_after_until, 0))) FROM feeds WHERE gone = 0", [], |r| r.get(0))?)
    }
}

const STATE_COLS: &str = "id, url, redirect_url, etag, last_modified, error_count, next_check_at, retry_after_until, gone, polled, first_error_at";

fn state_row(r: &rusqlite::Row) -> rusqlite::Result<FeedState> {
    Ok(FeedState {
        id: r.get(0)?,
        url: r.get(1)?,
        redirect_url: r.get(2)?,
        etag: r.get(3)?,
        last_modified: r.get(4)?,
        error_count: r.get(5)?,
        next_check_at: r.get(6)?,
        retry_after_until: r.get(7)?,
        gone: r.get::<_, i64>(8)? != 0,
        polled: r.get::<_, i64>(9)? != 0,
        first_error_at: r.get(10)?,
    })
}

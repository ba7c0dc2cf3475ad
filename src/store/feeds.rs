//! Feed rows: registering configured feeds, reading their poll state (validators, next check,
//! errors), listing them for `feeds status` and the feeds with problems (failing, gone, items
//! the parse did not read, silent for longer than usual) for the digest footer. Part of [`Store`].

use super::{Result, Store};
use crate::model::{FeedProblem, FeedProblemKind, FeedSpec};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

/// With fewer dated entries than this, a feed's usual gap between posts is not known.
pub const MIN_DATED_ENTRIES: i64 = 5;

/// What the store knows about a feed's posting, for the silence rule ([`Activity::silent_since`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Activity {
    /// When chipwatch last stored a new entry of the feed (`feeds.last_new_at`). Not the newest
    /// published date: a feed first polled today may list only old entries, which says nothing
    /// about whether it is quiet now.
    pub last_new_at: Option<i64>,
    /// The last successful poll (200 or 304).
    pub last_success_at: Option<i64>,
    /// How many of its stored entries carry a published date.
    pub dated: i64,
    /// Average gap between those dates ((newest − oldest) / (dated − 1)), as `feeds status` shows.
    pub avg_gap_secs: Option<i64>,
}

impl Activity {
    /// The feed's usual gap between posts, when enough of its entries are dated to tell.
    pub fn usual_gap(&self) -> Option<i64> {
        self.avg_gap_secs
            .filter(|_| self.dated >= MIN_DATED_ENTRIES)
    }

    /// How long the feed may stay quiet before it is reported: 4 × its usual gap, at least
    /// `silent_min`. When the usual gap is unknown, 2 × `silent_min`: knowing nothing about its
    /// rhythm, we wait for more evidence before calling a quiet feed a problem.
    pub fn allowed_silence(&self, silent_min: i64) -> i64 {
        match self.usual_gap() {
            Some(gap) => gap.saturating_mul(4).max(silent_min),
            None => silent_min.saturating_mul(2),
        }
    }

    /// Since when the feed has been silent for longer than allowed at `now`, or None. A silence
    /// only counts once a successful poll has seen it: after a stopped daemon, or for a digest
    /// previewed before the feeds were polled again, the store has no evidence of silence.
    /// A feed that never had an entry is not silent (it has no usual). Health (failing, gone) is
    /// the caller's concern.
    pub fn silent_since(&self, now: i64, silent_min: i64) -> Option<i64> {
        let last = self.last_new_at?;
        let allowed = self.allowed_silence(silent_min);
        let checked = self.last_success_at?;
        (now.saturating_sub(last) > allowed && checked.saturating_sub(last) > allowed)
            .then_some(last)
    }
}

/// Poll state of one feed, as the poller needs it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedState {
    pub id: crate::model::FeedId,
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
    /// The last poll's parse problem (`unparsed: …` / `partial: …`), to log only changes.
    pub parse_problem: Option<String>,
    /// The interval chosen after the last successful poll (seconds).
    pub interval_secs: Option<i64>,
    /// Digests of the last document parsed (see `poller::unchanged`).
    pub body_digest: Option<String>,
    pub items_digest: Option<String>,
}

/// A row of `feeds status` (Default: a configured feed never polled yet).
#[derive(Debug, Clone, Default, Serialize)]
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
    /// Healthy but silent for longer than usual: when it last brought a new entry.
    pub silent_since: Option<i64>,
    /// Parsed, but the document lists items that were not read (`unparsed: …`/`partial: …`).
    pub parse_problem: Option<String>,
    pub parse_problem_since: Option<i64>,
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

    /// All feeds for `feeds status`: gone, failing, then silent ones first. `silent_min` is
    /// `[feeds] silent_after` in seconds (None: silence is not reported).
    pub fn feed_statuses(&self, now: i64, silent_min: Option<i64>) -> Result<Vec<FeedStatus>> {
        let mut st = self.conn.prepare(&format!(
            "SELECT f.url, f.name, f.redirect_url, f.last_status, f.last_checked_at, f.last_success_at, f.error_count,
                    f.first_error_at, f.last_error, f.next_check_at, f.gone, f.entries_seen, f.format, f.encoding, f.repairs,
                    f.last_new_at, {POSTING}, f.parse_problem, f.parse_problem_since
             FROM feeds f ORDER BY f.gone DESC, f.error_count > 0 DESC, f.error_count DESC, f.url",
        ))?;
        let rows = st.query_map([], |r| {
            let activity = Activity {
                last_new_at: r.get(15)?,
                last_success_at: r.get(5)?,
                dated: r.get(16)?,
                avg_gap_secs: r.get(17)?,
            };
            let (error_count, gone) = (r.get::<_, i64>(6)?, r.get::<_, i64>(10)? != 0);
            Ok(FeedStatus {
                url: r.get(0)?,
                name: r.get(1)?,
                redirect_url: r.get(2)?,
                last_status: r.get(3)?,
                last_checked_at: r.get(4)?,
                last_success_at: r.get(5)?,
                error_count,
                first_error_at: r.get(7)?,
                last_error: r.get(8)?,
                next_check_at: r.get(9)?,
                gone,
                entries_seen: r.get(11)?,
                format: r.get(12)?,
                encoding: r.get(13)?,
                repairs: r.get(14)?,
                avg_post_interval_secs: activity.avg_gap_secs,
                silent_since: silent_min
                    .filter(|_| error_count == 0 && !gone)
                    .and_then(|min| activity.silent_since(now, min)),
                parse_problem: r.get(18)?,
                parse_problem_since: r.get(19)?,
            })
        })?;
        let mut rows = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        // Stable: the SQL order stays within each group.
        rows.sort_by_key(|r| {
            (
                !r.gone,
                r.error_count == 0,
                r.parse_problem.is_none(),
                r.silent_since.is_none(),
            )
        });
        Ok(rows)
    }

    /// Feeds with problems for the digest footer: gone and failing ones (oldest failure first),
    /// then healthy feeds silent for longer than usual at `now` (longest silence first; see
    /// [`Activity::silent_since`]). `silent_min` is `[feeds] silent_after` in seconds (None:
    /// silence is not reported).
    pub fn feed_problems(&self, now: i64, silent_min: Option<i64>) -> Result<Vec<FeedProblem>> {
        let mut st = self.conn.prepare_cached(
            "SELECT name, url, first_error_at, COALESCE(last_error, ''), gone FROM feeds WHERE gone = 1 OR error_count > 0 ORDER BY first_error_at",
        )?;
        let rows = st.query_map([], |r| {
            let error: String = r.get(3)?;
            Ok(FeedProblem {
                name: r.get(0)?,
                url: r.get(1)?,
                since: r.get(2)?,
                kind: if r.get::<_, i64>(4)? != 0 {
                    FeedProblemKind::Gone { error }
                } else {
                    FeedProblemKind::Failing { error }
                },
            })
        })?;
        let mut out = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        // Polled fine, but the document lists items that were not read.
        let mut st = self.conn.prepare_cached(
            "SELECT name, url, parse_problem_since, parse_problem FROM feeds
             WHERE gone = 0 AND error_count = 0 AND parse_problem IS NOT NULL ORDER BY parse_problem_since, url",
        )?;
        let rows = st.query_map([], |r| {
            Ok(FeedProblem {
                name: r.get(0)?,
                url: r.get(1)?,
                since: r.get(2)?,
                kind: FeedProblemKind::Unparsed { problem: r.get(3)? },
            })
        })?;
        out.extend(rows.collect::<rusqlite::Result<Vec<_>>>()?);
        let Some(min) = silent_min else {
            return Ok(out);
        };
        // No feed may be quiet for less than `min`, so only feeds quiet for longer (and polled
        // successfully since) are candidates; the per-feed date statistics are read for those
        // only.
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT f.name, f.url, f.last_new_at, f.last_success_at, {POSTING}
             FROM feeds f WHERE f.gone = 0 AND f.error_count = 0
               AND f.last_new_at < ?1 - ?2 AND f.last_success_at - f.last_new_at > ?2
             ORDER BY f.last_new_at, f.url",
        ))?;
        let rows = st.query_map(params![now, min], |r| {
            let activity = Activity {
                last_new_at: r.get(2)?,
                last_success_at: r.get(3)?,
                dated: r.get(4)?,
                avg_gap_secs: r.get(5)?,
            };
            let Some(since) = activity.silent_since(now, min) else {
                return Ok(None);
            };
            Ok(Some(FeedProblem {
                name: r.get(0)?,
                url: r.get(1)?,
                since: Some(since),
                kind: FeedProblemKind::Silent {
                    usual_secs: activity.usual_gap(),
                },
            }))
        })?;
        for row in rows {
            out.extend(row?);
        }
        Ok(out)
    }

    /// The earliest `next_check_at` among feeds that can be polled.
    pub fn next_check_due(&self) -> Result<Option<i64>> {
        Ok(self.conn.query_row("SELECT MIN(MAX(next_check_at, COALESCE(retry_after_until, 0))) FROM feeds WHERE gone = 0", [], |r| r.get(0))?)
    }
}

/// A feed's (`f`) posting statistics from its entries' publication dates: how many are dated,
/// and the average gap between them (see [`Activity`]).
const POSTING: &str = "(SELECT COUNT(published_at) FROM entries e WHERE e.feed_id = f.id),
    (SELECT (MAX(published_at) - MIN(published_at)) / NULLIF(COUNT(published_at) - 1, 0) FROM entries e WHERE e.feed_id = f.id)";

const STATE_COLS: &str = "id, url, redirect_url, etag, last_modified, error_count, next_check_at, retry_after_until, gone, polled, first_error_at, parse_problem, interval_secs, body_digest, items_digest";

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
        parse_problem: r.get(11)?,
        interval_secs: r.get(12)?,
        body_digest: r.get(13)?,
        items_digest: r.get(14)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    fn hourly(last_new: i64, checked: i64) -> Activity {
        Activity {
            last_new_at: Some(last_new),
            last_success_at: Some(checked),
            dated: 48,
            avg_gap_secs: Some(3600),
        }
    }

    #[test]
    fn allowed_silence_is_4_gaps_at_least_the_minimum() {
        assert_eq!(hourly(0, 0).allowed_silence(3 * DAY), 3 * DAY);
        let weekly = Activity {
            avg_gap_secs: Some(7 * DAY),
            ..hourly(0, 0)
        };
        assert_eq!(weekly.allowed_silence(3 * DAY), 28 * DAY);
        let few = Activity {
            dated: MIN_DATED_ENTRIES - 1,
            ..weekly
        };
        assert_eq!(few.usual_gap(), None);
        assert_eq!(few.allowed_silence(3 * DAY), 6 * DAY);
    }

    #[test]
    fn silence_must_exceed_the_allowance_now_and_at_the_last_successful_poll() {
        let now = 100 * DAY;
        let last = now - 3 * DAY;
        assert_eq!(hourly(last, now).silent_since(now, 3 * DAY), None);
        assert_eq!(
            hourly(last - 1, now).silent_since(now, 3 * DAY),
            Some(last - 1)
        );
        assert_eq!(hourly(last - 1, now - 2).silent_since(now, 3 * DAY), None);
        let never = Activity {
            last_new_at: None,
            ..hourly(0, now)
        };
        assert_eq!(never.silent_since(now, 3 * DAY), None);
    }
}

//! Stored entries read back for `rules backtest`: every entry first seen since a time, with the
//! rules it matched when stored, streamed row by row. Part of [`Store`].

use super::{Result, Store};

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

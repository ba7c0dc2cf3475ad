//! The store: one [`Store`] type owns the SQLite connection and all SQL of chipwatch (WAL,
//! `synchronous=NORMAL`, forward-only migrations via `user_version`). Split by concern:
//! [`feeds`] (poll state), [`entries`] (one transaction per poll: entries, stories, matches),
//! `clusters` (which story a new matched entry joins when its title is a near-duplicate),
//! [`digests`] (the outbox; `candidates` reads what a digest would carry), [`backtest`],
//! [`regulatory`] (snapshots, documents for `deadlines`) and [`actor`] (a thread that owns a
//! Store for the async daemon).

pub mod actor;
pub mod backtest;
mod candidates;
mod clusters;
pub mod digests;
pub mod entries;
pub mod feeds;
pub mod regulatory;

use rusqlite::Connection;
use std::path::{Path, PathBuf};

const MIGRATIONS: &[&str] = &[
    include_str!("migrations/001_init.sql"),
    include_str!("migrations/002_retention.sql"),
    include_str!("migrations/003_due_index.sql"),
    include_str!("migrations/004_recipients.sql"),
    include_str!("migrations/005_alerts.sql"),
    include_str!("migrations/006_clusters.sql"),
    include_str!("migrations/007_silent.sql"),
    include_str!("migrations/008_parse_problems.sql"),
    include_str!("migrations/009_channels.sql"),
    include_str!("migrations/010_regulatory.sql"),
    include_str!("migrations/011_body_digest.sql"),
];

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("cannot create the state directory {path}: {source}")]
    Dir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "database {path} has schema version {found}, newer than this chipwatch knows ({known}); upgrade chipwatch"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("database: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("database: bad stored JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error(
        "stories of this digest were claimed meanwhile (another chipwatch process?); nothing was stored"
    )]
    Claimed,
    #[error("rendering the digest failed (a bug; nothing was claimed)")]
    Render,
    #[error("the store thread has stopped")]
    Gone,
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// The one owner of the database connection.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and migrates it.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Dir {
                path: dir.to_path_buf(),
                source: e,
            })?;
        }
        let open_err = |e| StoreError::Open {
            path: path.to_path_buf(),
            source: e,
        };
        let conn = Connection::open(path).map_err(open_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(open_err)?;
        // A 64 MiB page cache keeps the indexes a cold pass over 10,000 feeds inserts into (and
        // the story index it reads) in memory: 26.8 s instead of 32.9 s for that poll cycle.
        // The daemon returns it after every cycle (`shrink_memory`).
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536;",
        )
        .map_err(open_err)?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
        };
        store.migrate()?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn migrate(&mut self) -> Result<()> {
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError::TooNew {
                path: self.path.clone(),
                found: version,
                known,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", i as i64 + 1)?;
            tx.commit()?;
        }
        Ok(())
    }

    /// `PRAGMA integrity_check` result ("ok" when healthy).
    pub fn integrity_check(&self) -> Result<String> {
        Ok(self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }

    /// Counts for summaries and status lines.
    pub fn counts(&self) -> Result<Counts> {
        let one = |sql: &str| -> Result<i64> { Ok(self.conn.query_row(sql, [], |r| r.get(0))?) };
        Ok(Counts {
            feeds: one("SELECT COUNT(*) FROM feeds")?,
            entries: one("SELECT COUNT(*) FROM entries")?,
            stories: one("SELECT COUNT(*) FROM stories")?,
            matches: one("SELECT COUNT(*) FROM matches")?,
            digests_pending: one("SELECT COUNT(*) FROM digests WHERE status = 'pending'")?,
            digests_sent: one("SELECT COUNT(*) FROM digests WHERE status = 'sent'")?,
        })
    }
}

#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Counts {
    pub feeds: i64,
    pub entries: i64,
    pub stories: i64,
    pub matches: i64,
    pub digests_pending: i64,
    pub digests_sent: i64,
}

impl Store {
    /// Writes a consistent copy of the database to `file` (`VACUUM INTO`; safe while running).
    pub fn backup_to(&self, file: &Path) -> Result<()> {
        self.conn
            .execute("VACUUM INTO ?1", [file.to_string_lossy()])?;
        Ok(())
    }

    /// Retention: deletes entries (and their matches) that no poll has listed and that were
    /// stored more than `keep_secs` ago, stories left with neither entries nor deliveries, and
    /// the bodies of old sent digests. Delivered stories stay as tombstones (with their
    /// deliveries), so nothing pruned is ever reported again.
    pub fn prune(&mut self, now: i64, keep_secs: i64) -> Result<PruneStats> {
        let cutoff = now.saturating_sub(keep_secs);
        let tx = self.conn.transaction()?;
        // Entries of a feed's latest parsed document are still listed (a feed answering 304
        // for weeks still lists them): those are never pruned.
        const OLD: &str = "last_seen_at < ?1 AND last_seen_at < (SELECT MAX(l.last_seen_at) FROM entries l WHERE l.feed_id = e.feed_id)";
        let matches = tx.execute(
            &format!(
                "DELETE FROM matches WHERE entry_id IN (SELECT e.id FROM entries e WHERE {OLD})"
            ),
            [cutoff],
        )?;
        tx.execute(
            &format!(
                "DELETE FROM entry_sigs WHERE entry_id IN (SELECT e.id FROM entries e WHERE {OLD})"
            ),
            [cutoff],
        )?;
        let entries = tx.execute(&format!("DELETE FROM entries AS e WHERE {OLD}"), [cutoff])?;
        // Stories left without entries and never delivered are not needed as tombstones.
        tx.execute(
            "DELETE FROM stories WHERE id NOT IN (SELECT story_id FROM entries) AND id NOT IN (SELECT story_id FROM deliveries)",
            [],
        )?;
        clusters::prune(&tx)?;
        let digests = tx.execute(
            "UPDATE digests SET message = x'' WHERE status IN ('sent', 'dead') AND created_at < ?1 AND length(message) > 0",
            [cutoff],
        )?;
        tx.commit()?;
        Ok(PruneStats {
            entries,
            matches,
            digests,
        })
    }

    /// Returns SQLite's cache memory to the allocator (called when the daemon goes idle).
    pub fn shrink_memory(&self) -> Result<()> {
        self.conn.execute_batch("PRAGMA shrink_memory;")?;
        Ok(())
    }

    /// Rebuilds the database file; returns its size before and after.
    pub fn vacuum(&self) -> Result<(u64, u64)> {
        let size = || std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0);
        let before = size();
        self.conn.execute_batch(
            "PRAGMA wal_checkpoint(TRUNCATE); VACUUM; PRAGMA wal_checkpoint(TRUNCATE);",
        )?;
        Ok((before, size()))
    }
}

/// What a retention pass removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct PruneStats {
    pub entries: usize,
    pub matches: usize,
    pub digests: usize,
}
/// The model's ids as SQL integers (the store is the only place they meet SQL).
macro_rules! sql_id {
    ($t:ty) => {
        impl rusqlite::types::ToSql for $t {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                Ok(rusqlite::types::ToSqlOutput::from(self.0))
            }
        }
        impl rusqlite::types::FromSql for $t {
            fn column_result(
                v: rusqlite::types::ValueRef<'_>,
            ) -> rusqlite::types::FromSqlResult<Self> {
                i64::column_result(v).map(Self)
            }
        }
    };
}
sql_id!(crate::model::StoryId);
sql_id!(crate::model::FeedId);

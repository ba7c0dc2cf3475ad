//! Primary-source rows: the screening-list snapshot a source keeps between polls (read before
//! a poll through [`Store::snapshot`], written in the poll's transaction), the story aliases
//! that let a news item or a screening-list change citing a Federal Register document join its
//! story, and the stored documents `chipwatch deadlines` lists. Part of [`Store`].

use super::{Result, Store};
use crate::model::regulatory::{FrDoc, Snapshot, fr_citation_key, fr_story_key};
use crate::model::{Entry, EntryMeta};
use rusqlite::{OptionalExtension, Transaction, params};

/// A stored Federal Register document, for `chipwatch deadlines`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StoredDocument {
    pub source: String,
    pub title: String,
    pub doc: FrDoc,
}

impl Store {
    /// The snapshot a screening-list source kept at its last poll.
    pub fn snapshot(&self, feed_id: crate::model::FeedId) -> Result<Option<Snapshot>> {
        let text: Option<String> = self
            .conn
            .prepare_cached("SELECT records FROM source_snapshots WHERE feed_id = ?1")?
            .query_row([feed_id], |r| r.get(0))
            .optional()?;
        Ok(match text {
            Some(t) => Some(serde_json::from_str(&t)?),
            None => None,
        })
    }

    /// Every stored Federal Register document, the published version where both are stored
    /// (else the public-inspection one), by document number.
    pub fn fr_documents(&self) -> Result<Vec<StoredDocument>> {
        let mut st = self.conn.prepare(
            "SELECT f.name, e.title, e.meta FROM entries e JOIN feeds f ON f.id = e.feed_id
             WHERE e.meta IS NOT NULL AND json_extract(e.meta, '$.kind') = 'federal_register' ORDER BY e.id",
        )?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut by_number: std::collections::BTreeMap<String, StoredDocument> = Default::default();
        for row in rows {
            let (source, title, meta) = row?;
            let Ok(EntryMeta::FederalRegister(doc)) = serde_json::from_str(&meta) else {
                continue;
            };
            let keep = by_number
                .get(&doc.document_number)
                .is_none_or(|old| old.doc.public_inspection || !doc.public_inspection);
            if keep {
                by_number.insert(
                    doc.document_number.clone(),
                    StoredDocument { source, title, doc },
                );
            }
        }
        Ok(by_number.into_values().collect())
    }
}

/// Keeps a source's new snapshot (inside the poll's transaction).
pub(super) fn save_snapshot(
    tx: &Transaction,
    feed_id: crate::model::FeedId,
    now: i64,
    snapshot: &Snapshot,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO source_snapshots (feed_id, taken_at, records) VALUES (?1, ?2, ?3)
         ON CONFLICT(feed_id) DO UPDATE SET taken_at = excluded.taken_at, records = excluded.records",
    )?
    .execute(params![feed_id, now, serde_json::to_string(snapshot)?])?;
    Ok(())
}

/// The story an entry joins because of what it cites, if one is stored:
/// - a news item or a screening-list change citing a stored Federal Register document (its
///   citation, number or address) joins that document's story; a change joins only a story not
///   yet delivered, so it is still reported;
/// - a Federal Register document that news already cited (stored before it, under
///   `cites:` aliases) joins the news story, unless that was delivered.
pub(super) fn cited_story(tx: &Transaction, e: &Entry) -> Result<Option<i64>> {
    let (keys, undelivered_only): (Vec<String>, bool) = match &e.meta {
        Some(EntryMeta::FederalRegister(d)) => {
            let mut k = vec![format!("cites:{}", fr_story_key(&d.document_number))];
            k.extend(
                d.citation
                    .as_deref()
                    .and_then(fr_citation_key)
                    .map(|c| format!("cites:{c}")),
            );
            (k, true)
        }
        Some(EntryMeta::ScreeningChange(_)) => (crate::story::cites::cited_keys(e), true),
        None => (crate::story::cites::cited_keys(e), false),
    };
    for key in keys {
        if let Some(id) = super::clusters::story_for_key(tx, &key)? {
            if undelivered_only && delivered(tx, id)? {
                continue;
            }
            return Ok(Some(id));
        }
    }
    Ok(None)
}

fn delivered(tx: &Transaction, story: i64) -> Result<bool> {
    Ok(tx
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM deliveries WHERE story_id = ?1)")?
        .query_row([story], |r| r.get(0))?)
}

/// After an entry is stored: a Federal Register document's citation leads to its story; what a
/// news item cites is remembered (`cites:` aliases) for a document that arrives after it.
pub(super) fn alias_citations(tx: &Transaction, e: &Entry, story: i64) -> Result<()> {
    match &e.meta {
        Some(EntryMeta::FederalRegister(d)) => {
            if let Some(key) = d.citation.as_deref().and_then(fr_citation_key) {
                super::clusters::alias(tx, &key, story)?;
            }
        }
        Some(EntryMeta::ScreeningChange(_)) => {}
        None => {
            for key in crate::story::cites::cited_keys(e) {
                super::clusters::alias(tx, &format!("cites:{key}"), story)?;
            }
        }
    }
    Ok(())
}

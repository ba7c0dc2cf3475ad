//! Reading a profile's digest candidates: the stories with a qualifying match not yet delivered
//! to the profile, each with the hits of the entry it is shown by (every rule's), its canonical
//! link and "also reported by" (every outlet and link once). No claim is made. Used by
//! [`super::digests`] (claims and `digest preview`).

use super::Result;
use crate::model::{DigestItem, StoredHit};
use rusqlite::params;
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

/// One match row: a story's entry and the rule it matched.
struct Row {
    story_id: crate::model::StoryId,
    rule: String,
    score: f64,
    hits: String,
    title: String,
    link: Option<String>,
    feed_name: String,
    tags: String,
    published: Option<i64>,
    summary: String,
    content: String,
    entry_id: i64,
}

impl Row {
    fn read(r: &rusqlite::Row) -> rusqlite::Result<Row> {
        Ok(Row {
            story_id: r.get(0)?,
            rule: r.get(1)?,
            score: r.get(2)?,
            hits: r.get(3)?,
            title: r.get(4)?,
            link: r.get(5)?,
            feed_name: r.get(6)?,
            tags: r.get(7)?,
            published: r.get(8)?,
            summary: r.get(9)?,
            content: r.get(10)?,
            entry_id: r.get(11)?,
        })
    }

    /// The story as this row shows it.
    fn into_item(self, feed_tags: Vec<String>) -> Result<DigestItem> {
        Ok(DigestItem {
            story_id: self.story_id,
            rule: self.rule.clone(),
            rules: vec![self.rule],
            score: self.score,
            hits: serde_json::from_str(&self.hits)?,
            title: self.title,
            link: self.link,
            feed_name: self.feed_name,
            feed_tags,
            published: self.published,
            summary: self.summary,
            content: self.content,
            also: Vec::new(),
            meta: Vec::new(),
        })
    }
}

/// The outlet shown for an entry without a relayed publisher: the feed's configured name, or,
/// for a feed named by its address only (no `name`), the title its document gives.
const FEED_OUTLET: &str =
    "CASE WHEN f.name = f.url AND COALESCE(f.title, '') != '' THEN f.title ELSE f.name END";

pub(super) fn candidates(
    conn: &rusqlite::Connection,
    f: &ProfileFilter,
) -> Result<Vec<DigestItem>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT m.story_id, m.rule, m.score, m.hits, e.title, COALESCE(e.canonical_link, e.link), COALESCE(e.outlet, {FEED_OUTLET}), f.tags, e.published_at, e.summary, e.content, e.id
         FROM matches m JOIN entries e ON e.id = m.entry_id JOIN feeds f ON f.id = e.feed_id
         WHERE m.score >= ?2 AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.profile = ?1 AND d.story_id = m.story_id)
         ORDER BY m.story_id, m.score DESC, e.published_at IS NULL, e.published_at, m.id",
    ))?;
    let rows = st.query_map(params![f.profile, f.min_score], Row::read)?;
    let mut by_story: Vec<DigestItem> = Vec::new();
    let mut index: HashMap<crate::model::StoryId, usize> = HashMap::new();
    // The entry each story is shown by: other rules' hits in it are merged into the story's,
    // so every deciding term (the Entity List, not only the best rule's terms) is known.
    let mut shown_entry: i64 = -1;
    for row in rows {
        let row = row?;
        if !f.rules.is_empty() && !f.rules.contains(&row.rule) {
            continue;
        }
        let feed_tags: Vec<String> = serde_json::from_str(&row.tags).unwrap_or_default();
        if !f.tags.is_empty() && !feed_tags.iter().any(|t| f.tags.contains(t)) {
            continue;
        }
        match index.get(&row.story_id).and_then(|&i| by_story.get_mut(i)) {
            Some(item) => merge(item, row, shown_entry)?,
            None => {
                // Rows come by story: the previous story is complete, so trim it now.
                if let Some(prev) = by_story.last_mut() {
                    prev.trim_around_hits(2048);
                }
                shown_entry = row.entry_id;
                index.insert(row.story_id, by_story.len());
                by_story.push(row.into_item(feed_tags)?);
            }
        }
    }
    if let Some(last) = by_story.last_mut() {
        last.trim_around_hits(2048);
    }
    also_reported(conn, &mut by_story)?;
    Ok(by_story)
}

/// Another rule's match of a story already read: its rule is added, and its hits too when it
/// is in the entry the story is shown by.
fn merge(item: &mut DigestItem, row: Row, shown_entry: i64) -> Result<()> {
    if !item.rules.contains(&row.rule) {
        item.rules.push(row.rule);
    }
    if row.entry_id == shown_entry {
        let more: Vec<StoredHit> = serde_json::from_str(&row.hits)?;
        for h in more {
            if !item.hits.contains(&h) {
                item.hits.push(h);
            }
        }
    }
    Ok(())
}

/// Fills each story's "also reported by" from its other entries, and the structured
/// metadata its entries carry. A story with a primary-source entry (a Federal Register
/// document) is shown by that entry, whichever entry scored highest: the government action
/// leads, the news that cites it is "also reported by".
fn also_reported(conn: &rusqlite::Connection, stories: &mut [DigestItem]) -> Result<()> {
    let mut also = conn.prepare_cached(&format!(
        "SELECT COALESCE(e.outlet, {FEED_OUTLET}), COALESCE(e.canonical_link, e.link), e.meta, e.title, CASE WHEN e.meta IS NULL THEN '' ELSE e.summary END, e.published_at
         FROM entries e JOIN feeds f ON f.id = e.feed_id WHERE e.story_id = ?1 ORDER BY e.id",
    ))?;
    for item in stories {
        let rows = also
            .query_map([item.story_id], |r| {
                Ok(Sibling {
                    name: r.get(0)?,
                    link: r.get(1)?,
                    meta: r.get(2)?,
                    title: r.get(3)?,
                    summary: r.get(4)?,
                    published: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<Sibling>>>()?;
        let mut shown = rows
            .iter()
            .position(|r| r.name == item.feed_name && r.link == item.link);
        let primary = rows.iter().position(|r| r.meta.is_some());
        if let Some(p) = primary
            && shown.is_none_or(|s| rows[s].meta.is_none())
        {
            rows[p].show_as(item);
            shown = Some(p);
        }
        for (k, r) in rows.into_iter().enumerate() {
            // A primary-source entry's structured metadata (citation, dates, list changes).
            if let Some(m) = &r.meta {
                item.meta.push(serde_json::from_str(m)?);
            }
            if Some(k) == shown {
                continue;
            }
            add_also(
                &mut item.also,
                &item.feed_name,
                item.link.as_deref(),
                r.name,
                r.link,
            );
        }
    }
    Ok(())
}

/// One entry of a story, for "also reported by" (and to show a primary source by).
struct Sibling {
    name: String,
    link: Option<String>,
    meta: Option<String>,
    title: String,
    /// Read only for primary-source entries (the ones a story may be shown by).
    summary: String,
    published: Option<i64>,
}

impl Sibling {
    /// Makes `item` show this entry: its title, outlet, link and text (the hits of the entry
    /// shown before belong to that entry's text, so they go).
    fn show_as(&self, item: &mut DigestItem) {
        item.title = self.title.clone();
        item.feed_name = self.name.clone();
        item.link = self.link.clone();
        item.summary = self.summary.clone();
        item.content = String::new();
        item.published = self.published;
        item.hits.clear();
    }
}

/// Adds another outlet's entry to a story's "also reported by" list so that every outlet and
/// every link is shown once: outlets carrying the same link share one item ("Beta, Gamma"),
/// outlets carrying the story's own link are named without repeating it, and an outlet
/// already named (or the story's own) is not added again.
fn add_also(
    also: &mut Vec<(String, Option<String>)>,
    main_feed: &str,
    main_link: Option<&str>,
    name: String,
    link: Option<String>,
) {
    let link = link.filter(|l| Some(l.as_str()) != main_link);
    if name == main_feed || also.iter().any(|(n, _)| n.split(", ").any(|x| x == name)) {
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

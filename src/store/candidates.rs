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
    i64,
);

pub(super) fn candidates(
    conn: &rusqlite::Connection,
    f: &ProfileFilter,
) -> Result<Vec<DigestItem>> {
    let mut st = conn.prepare_cached(
        "SELECT m.story_id, m.rule, m.score, m.hits, e.title, COALESCE(e.canonical_link, e.link), COALESCE(e.outlet, f.name), f.tags, e.published_at, e.summary, e.content, e.id
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
            r.get(11)?,
        ))
    })?;
    let mut by_story: Vec<DigestItem> = Vec::new();
    let mut index: HashMap<i64, usize> = HashMap::new();
    // The entry each story is shown by: other rules' hits in it are merged into the story's,
    // so every deciding term (the Entity List, not only the best rule's terms) is known.
    let mut shown_entry: i64 = -1;
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
            entry_id,
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
                if let Some(item) = by_story.get_mut(i) {
                    if !item.rules.contains(&rule) {
                        item.rules.push(rule);
                    }
                    if entry_id == shown_entry {
                        let more: Vec<StoredHit> = serde_json::from_str(&hits)?;
                        for h in more {
                            if !item.hits.contains(&h) {
                                item.hits.push(h);
                            }
                        }
                    }
                }
            }
            None => {
                // Rows come by story: the previous story is complete, so trim it now.
                if let Some(prev) = by_story.last_mut() {
                    prev.trim_around_hits(2048);
                }
                shown_entry = entry_id;
                index.insert(story_id, by_story.len());
                let hits: Vec<StoredHit> = serde_json::from_str(&hits)?;
                let item = DigestItem {
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
                by_story.push(item);
            }
        }
    }
    if let Some(last) = by_story.last_mut() {
        last.trim_around_hits(2048);
    }
    also_reported(conn, &mut by_story)?;
    Ok(by_story)
}

/// Fills each story's "also reported by" from its other entries, and the structured
/// metadata its entries carry.
fn also_reported(conn: &rusqlite::Connection, stories: &mut [DigestItem]) -> Result<()> {
    let mut also = conn.prepare_cached(
        "SELECT COALESCE(e.outlet, f.name), COALESCE(e.canonical_link, e.link), e.meta FROM entries e JOIN feeds f ON f.id = e.feed_id WHERE e.story_id = ?1 ORDER BY e.id",
    )?;
    for item in stories {
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
            // A primary-source entry's structured metadata (citation, dates, list changes).
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
    Ok(())
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

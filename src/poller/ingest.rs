//! The pure part of a refresh: given the parsed entries, the keys already stored, the rules
//! and the clock, which entries are new, which are backfilled (older than the backfill window
//! on a feed's first poll: stored, not matched), their matches and story signatures, which
//! stored entries the feed still lists, and the feed's posting interval. No I/O; unit-tested
//! without HTTP or a database.

use crate::config::Backfill;
use crate::model::{Entry, FeedSpec, NewMatch, StoredHit};
use crate::rules::{Doc, RuleSet};
use crate::store::entries::NewEntry;
use chrono::{DateTime, Utc};
use std::collections::HashSet;
use std::time::Duration;

/// What one parsed document adds.
#[derive(Debug)]
pub struct Ingested {
    pub entries: Vec<NewEntry>,
    pub still_listed: Vec<String>,
    pub posting: Option<Duration>,
    /// How many entries the document gave.
    pub parsed: usize,
}

/// Splits `parsed` into new entries (matched unless backfilled) and still-listed known keys.
/// Takes the entries: the new ones move into the result, nothing is copied.
pub fn ingest(
    parsed: Vec<Entry>,
    known: &HashSet<String>,
    rules: &RuleSet,
    spec: &FeedSpec,
    first_poll: bool,
    backfill: Backfill,
    now: DateTime<Utc>,
) -> Ingested {
    let cutoff = match backfill {
        Backfill::All => None,
        Backfill::Within(d) => chrono::Duration::from_std(d)
            .ok()
            .and_then(|d| now.checked_sub_signed(d)),
    };
    let (posting, count) = (posting_interval(&parsed), parsed.len());
    let (listed, new): (Vec<Entry>, Vec<Entry>) =
        parsed.into_iter().partition(|e| known.contains(&e.key));
    let still_listed = listed.into_iter().map(|e| e.key).collect();
    let entries = new
        .into_iter()
        .map(|e| {
            let backfilled =
                first_poll && matches!((cutoff, e.published), (Some(c), Some(p)) if p < c);
            let matches = if backfilled {
                Vec::new()
            } else {
                with_report_all(match_entry(rules, &e, spec), spec)
            };
            // Documents and list changes are told apart by their identity, never by look-alike
            // titles ("Additions to the Entity List" recurs): only news items are clustered.
            let signature =
                (!matches.is_empty() && e.meta.is_none()).then(|| crate::story::of_entry(&e));
            NewEntry {
                entry: e,
                backfilled,
                matches,
                signature,
            }
        })
        .collect();
    Ingested {
        entries,
        still_listed,
        posting,
        parsed: count,
    }
}

/// Matches one entry against all rules; the hits refer to the entry's stored text.
pub fn match_entry(rules: &RuleSet, e: &Entry, feed: &FeedSpec) -> Vec<NewMatch> {
    let doc = Doc {
        title: &e.title,
        summary: &e.summary,
        content: &e.content,
        link: e
            .canonical_link
            .as_deref()
            .or(e.link.as_deref())
            .unwrap_or(""),
        feed_name: Some(&feed.name),
        feed_tags: &feed.tags,
    };
    let infos = rules.rules();
    rules
        .match_doc(&doc)
        .into_iter()
        .filter_map(|m| {
            let info = infos.get(m.rule)?;
            Some(NewMatch {
                rule: info.name.clone(),
                score: m.score,
                hits: m
                    .hits
                    .into_iter()
                    .map(|h| StoredHit {
                        term: h.term.to_string(),
                        field: h.field.as_str().to_string(),
                        start: h.start,
                        end: h.end,
                    })
                    .collect(),
            })
        })
        .collect()
}

/// A source with `report = "all"` reports every new entry: one that no rule matched is filed
/// under the source's name (no hits).
fn with_report_all(mut matches: Vec<NewMatch>, spec: &FeedSpec) -> Vec<NewMatch> {
    if matches.is_empty() && spec.kind.report_all() {
        matches.push(NewMatch {
            rule: spec.name.clone(),
            score: 1.0,
            hits: Vec::new(),
        });
    }
    matches
}

/// Average gap between the feed's dated entries (None with fewer than 3).
fn posting_interval(entries: &[Entry]) -> Option<Duration> {
    let mut ts: Vec<i64> = entries
        .iter()
        .filter_map(|e| e.published.map(|p| p.timestamp()))
        .collect();
    if ts.len() < 3 {
        return None;
    }
    ts.sort_unstable();
    let span = ts.last()? - ts.first()?;
    u64::try_from(span / (ts.len() as i64 - 1))
        .ok()
        .map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FeedSource;
    use crate::rules::{Origin, Priority, RuleDef, TermSets};
    use chrono::TimeZone;

    fn entry(key: &str, title: &str, day: u32) -> Entry {
        Entry {
            key: key.into(),
            title: title.into(),
            link: None,
            canonical_link: None,
            published: Utc.with_ymd_and_hms(2026, 11, day, 8, 0, 0).single(),
            summary: String::new(),
            content: String::new(),
            link_shared: false,
            outlet: None,
            meta: None,
        }
    }

    fn setup() -> (RuleSet, FeedSpec) {
        let def = RuleDef {
            name: "ec".into(),
            query: "\"export controls\"".into(),
            weight: 1.0,
            min_score: 0.0,
            priority: Priority::Digest,
            feeds: vec![],
            tags: vec![],
            topic: None,
            origin: Origin::default(),
        };
        let (rules, _) = RuleSet::compile(&[def], &TermSets::new()).unwrap();
        let spec = FeedSpec {
            source: FeedSource::Url("https://a.example/rss".parse().unwrap()),
            name: "a".into(),
            tags: vec![],
            interval: None,
            default_offset: None,
            headers: vec![],
            user_written: true,
            kind: Default::default(),
        };
        (rules, spec)
    }

    #[test]
    fn new_known_backfilled_and_matched() {
        let (rules, spec) = setup();
        let now = Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap();
        let parsed = vec![
            entry("old", "Export controls tightened", 1),
            entry("new", "Export controls tightened again", 29),
            entry("other", "Weather", 29),
            entry("seen", "Export controls", 28),
        ];
        let known: HashSet<String> = ["seen".to_string()].into();
        let window = Backfill::Within(Duration::from_secs(14 * 86_400));
        let first = ingest(parsed.clone(), &known, &rules, &spec, true, window, now);
        let keys: Vec<(&str, bool, usize, bool)> = first
            .entries
            .iter()
            .map(|n| {
                (
                    n.entry.key.as_str(),
                    n.backfilled,
                    n.matches.len(),
                    n.signature.is_some(),
                )
            })
            .collect();
        assert_eq!(
            keys,
            [
                ("old", true, 0, false),
                ("new", false, 1, true),
                ("other", false, 0, false)
            ]
        );
        assert_eq!(first.still_listed, ["seen"]);
        assert!(first.posting.is_some());
        // Later polls never backfill: an old item appearing now is news to the reader.
        let later = ingest(parsed, &known, &rules, &spec, false, window, now);
        assert!(later.entries.iter().all(|n| !n.backfilled));
        assert_eq!(later.entries[0].matches.len(), 1);
    }
}

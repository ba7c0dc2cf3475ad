//! Silent feeds: a healthy feed that brings no new entry for much longer than it usually posts
//! is listed in the digest footer (and `feeds status`), with since when. Real SQLite files,
//! fixed times: each feed is polled at chosen instants through `Store::commit_poll`.

use chipwatch::model::{Entry, FeedId, FeedProblem, FeedProblemKind, FeedSource, FeedSpec};
use chipwatch::store::Store;
use chipwatch::store::entries::{NewEntry, PollOutcome, PollRecord};

/// "Now" in every test: 2027-01-15 08:00 UTC.
const NOW: i64 = 1_800_000_000;
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;
/// `[feeds] silent_after` default.
const MIN: Option<i64> = Some(3 * DAY);

struct Db {
    _dir: tempfile::TempDir,
    store: Store,
}

impl Db {
    fn new() -> Db {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("c.db")).unwrap();
        Db { _dir: dir, store }
    }

    /// Registers a feed named `name` (URL https://<name>.example/rss); returns its id.
    fn feed(&mut self, name: &str) -> FeedId {
        let spec = FeedSpec {
            source: FeedSource::Url(format!("https://{name}.example/rss").parse().unwrap()),
            name: name.into(),
            tags: vec![],
            interval: None,
            default_offset: None,
            headers: vec![],
            user_written: true,
            kind: Default::default(),
        };
        self.store.register_feeds(&[spec]).unwrap()[0].id
    }

    fn record(&mut self, feed_id: FeedId, at: i64, outcome: PollOutcome) {
        self.store
            .commit_poll(&PollRecord {
                feed_id,
                checked_at: at,
                status: Some(200),
                etag: None,
                last_modified: None,
                redirect_url: None,
                next_check_at: at + HOUR,
                interval_secs: None,
                outcome,
            })
            .unwrap();
    }

    /// A successful poll at `at` that stores `count` new entries published every `gap` seconds,
    /// the newest at `newest` (None: undated).
    fn new_entries(&mut self, feed_id: FeedId, at: i64, count: i64, gap: i64, newest: Option<i64>) {
        let entries = (0..count)
            .map(|i| NewEntry {
                entry: Entry {
                    key: format!("{feed_id}-{at}-{i}"),
                    title: format!("item {i}"),
                    link: None,
                    canonical_link: None,
                    published: newest
                        .map(|n| chrono::DateTime::from_timestamp(n - i * gap, 0).unwrap()),
                    summary: String::new(),
                    content: String::new(),
                    link_shared: false,
                    outlet: None,
                    meta: None,
                },
                backfilled: false,
                matches: vec![],
                signature: None,
            })
            .collect();
        let outcome = PollOutcome::Modified {
            entries,
            still_listed: vec![],
            format: "rss".into(),
            encoding: "utf-8".into(),
            repairs: vec![],
            title: None,
            problem: None,
            snapshot: None,
            digest: None,
        };
        self.record(feed_id, at, outcome);
    }

    /// A successful poll at `at` with nothing new (304).
    fn unchanged(&mut self, feed_id: FeedId, at: i64) {
        self.record(feed_id, at, PollOutcome::NotModified);
    }

    fn failed(&mut self, feed_id: FeedId, at: i64, error: &str) {
        let outcome = PollOutcome::Failed {
            error: error.into(),
            retry_after_until: None,
            gone: false,
        };
        self.record(feed_id, at, outcome);
    }

    /// A feed that posted hourly (48 entries) up to `quiet` seconds ago, then nothing; polled
    /// fine ten minutes ago.
    fn hourly_quiet_for(&mut self, name: &str, quiet: i64) -> FeedId {
        let id = self.feed(name);
        self.new_entries(id, NOW - quiet, 48, HOUR, Some(NOW - quiet - 600));
        self.unchanged(id, NOW - 600);
        id
    }

    fn problems(&self) -> Vec<FeedProblem> {
        self.store.feed_problems(NOW, MIN).unwrap()
    }
}

fn problem<'a>(problems: &'a [FeedProblem], name: &str) -> Option<&'a FeedProblem> {
    problems.iter().find(|p| p.name == name)
}

#[test]
fn hourly_feed_quiet_for_5_days_is_silent() {
    let mut db = Db::new();
    db.hourly_quiet_for("hourly", 5 * DAY);
    assert_eq!(
        db.problems(),
        vec![FeedProblem {
            name: "hourly".into(),
            url: "https://hourly.example/rss".into(),
            since: Some(NOW - 5 * DAY),
            kind: FeedProblemKind::Silent {
                usual_secs: Some(HOUR)
            },
        }]
    );
}

#[test]
fn hourly_feed_quiet_for_1_day_is_not_silent() {
    // 4 × 1 h is exceeded, but not the 3-day minimum.
    let mut db = Db::new();
    db.hourly_quiet_for("hourly", DAY);
    assert_eq!(db.problems(), vec![]);
}

#[test]
fn failing_feed_is_listed_as_failing_not_silent() {
    let mut db = Db::new();
    let id = db.hourly_quiet_for("broken", 5 * DAY);
    db.failed(id, NOW - 300, "HTTP 503");
    assert_eq!(
        db.problems(),
        vec![FeedProblem {
            name: "broken".into(),
            url: "https://broken.example/rss".into(),
            since: Some(NOW - 300),
            kind: FeedProblemKind::Failing {
                error: "HTTP 503".into()
            },
        }]
    );
}

#[test]
fn weekly_feed_quiet_for_10_days_is_not_silent_until_4_weeks() {
    let mut db = Db::new();
    let weekly = db.feed("weekly");
    db.new_entries(weekly, NOW - 10 * DAY, 10, 7 * DAY, Some(NOW - 10 * DAY));
    db.unchanged(weekly, NOW - 600);
    assert_eq!(db.problems(), vec![]);
    // Four weeks and a day later (polled fine meanwhile) it is.
    let later = NOW + 19 * DAY;
    db.unchanged(weekly, later - 600);
    let p = db.store.feed_problems(later, MIN).unwrap();
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(
        p[0].kind,
        FeedProblemKind::Silent {
            usual_secs: Some(7 * DAY)
        }
    );
}

#[test]
fn old_entries_first_seen_recently_are_not_silent() {
    // Items all published a year ago, but chipwatch found them an hour ago: activity is when
    // chipwatch stores new entries, not their dates.
    let mut db = Db::new();
    let id = db.feed("archive");
    db.new_entries(id, NOW - HOUR, 20, HOUR, Some(NOW - 365 * DAY));
    db.unchanged(id, NOW - 600);
    assert_eq!(db.problems(), vec![]);
}

#[test]
fn feeds_with_few_dated_entries_wait_twice_the_minimum() {
    let mut db = Db::new();
    let six = db.feed("six-days");
    db.new_entries(six, NOW - 6 * DAY + HOUR, 3, HOUR, Some(NOW - 7 * DAY));
    db.unchanged(six, NOW - 600);
    let seven = db.feed("seven-days");
    db.new_entries(seven, NOW - 7 * DAY, 40, 0, None); // undated: no rate at all
    db.unchanged(seven, NOW - 600);
    let p = db.problems();
    assert!(problem(&p, "six-days").is_none(), "{p:?}");
    assert_eq!(
        problem(&p, "seven-days").map(|p| (&p.kind, p.since)),
        Some((
            &FeedProblemKind::Silent { usual_secs: None },
            Some(NOW - 7 * DAY)
        ))
    );
}

#[test]
fn silence_needs_a_successful_poll_after_it_became_unusual() {
    // Quiet for 5 days, but not polled since (daemon stopped): no evidence, not listed.
    let mut db = Db::new();
    let id = db.feed("unpolled");
    db.new_entries(id, NOW - 5 * DAY, 48, HOUR, Some(NOW - 5 * DAY));
    db.unchanged(id, NOW - 5 * DAY + HOUR);
    assert_eq!(db.problems(), vec![]);
    // A feed that never brought an entry has no usual rhythm to break.
    let empty = db.feed("empty");
    db.new_entries(empty, NOW - 30 * DAY, 0, 0, None);
    db.unchanged(empty, NOW - 600);
    assert_eq!(db.problems(), vec![]);
}

#[test]
fn problems_list_failing_and_gone_first_then_the_longest_silence() {
    let mut db = Db::new();
    db.hourly_quiet_for("quiet-5d", 5 * DAY);
    db.hourly_quiet_for("quiet-9d", 9 * DAY);
    db.hourly_quiet_for("fine", HOUR);
    let gone = db.feed("gone");
    db.record(
        gone,
        NOW - DAY,
        PollOutcome::Failed {
            error: "HTTP 410".into(),
            retry_after_until: None,
            gone: true,
        },
    );
    let names: Vec<String> = db.problems().into_iter().map(|p| p.name).collect();
    assert_eq!(names, vec!["gone", "quiet-9d", "quiet-5d"]);
    assert!(matches!(
        db.problems()[0].kind,
        FeedProblemKind::Gone { .. }
    ));
    // `silent_after = "off"`: only the gone feed.
    assert_eq!(db.store.feed_problems(NOW, None).unwrap().len(), 1);
}

#[test]
fn feeds_status_shows_silent_since_and_lists_silent_feeds_after_failing_ones() {
    let mut db = Db::new();
    db.hourly_quiet_for("a-fine", HOUR);
    db.hourly_quiet_for("b-quiet", 5 * DAY);
    let broken = db.hourly_quiet_for("c-broken", 5 * DAY);
    db.failed(broken, NOW - 300, "HTTP 500");
    let rows = db.store.feed_statuses(NOW, MIN).unwrap();
    let got: Vec<(&str, Option<i64>)> = rows
        .iter()
        .map(|r| (r.name.as_str(), r.silent_since))
        .collect();
    assert_eq!(
        got,
        vec![
            ("c-broken", None),
            ("b-quiet", Some(NOW - 5 * DAY)),
            ("a-fine", None)
        ]
    );
    let json = serde_json::to_value(&rows).unwrap();
    assert_eq!(json[1]["silent_since"], NOW - 5 * DAY);
    let off = db.store.feed_statuses(NOW, None).unwrap();
    assert!(off.iter().all(|r| r.silent_since.is_none()));
}

//! In-process metrics: counters, gauges and one histogram updated by the poller, the rules and
//! the digest sender, rendered on demand in the Prometheus text exposition format 0.0.4 (served
//! by [`crate::server`] at `/metrics`). Shared as `Arc<Metrics>`; plain counters are atomics,
//! labelled ones a `Mutex<BTreeMap>` (stable output order). Nothing here does I/O.

use std::collections::BTreeMap;
use std::fmt::{Display, Write as _};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// Poll outcomes that are always exposed (at 0 before the first poll, so `rate()` works).
/// `unchanged`: a 200 with the document parsed last time (a server that ignores conditional GET).
pub const POLL_OUTCOMES: [&str; 6] = [
    "modified",
    "not_modified",
    "unchanged",
    "error",
    "gone",
    "rate_limited",
];

/// Outcomes that count as a successful poll for `chipwatch_last_successful_poll_timestamp_seconds`.
const SUCCESS_OUTCOMES: [&str; 3] = ["modified", "not_modified", "unchanged"];

/// Upper bounds (seconds) of the poll-duration histogram, with their `le` label text; `+Inf` is
/// implicit (it is the total count).
const BUCKETS: [(f64, &str); 10] = [
    (0.01, "0.01"),
    (0.05, "0.05"),
    (0.1, "0.1"),
    (0.25, "0.25"),
    (0.5, "0.5"),
    (1.0, "1"),
    (2.5, "2.5"),
    (5.0, "5"),
    (10.0, "10"),
    (30.0, "30"),
];

#[derive(Debug, Default)]
struct Histogram {
    /// Non-cumulative: `counts[i]` holds observations in `(BUCKETS[i-1], BUCKETS[i]]`.
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, secs: f64) {
        if let Some(i) = BUCKETS.iter().position(|(le, _)| secs <= *le) {
            self.counts[i] += 1;
        }
        self.count += 1;
        self.sum += secs;
    }
}

/// All chipwatch metrics. Cheap to update from any task or thread.
#[derive(Debug)]
pub struct Metrics {
    polls: Mutex<BTreeMap<String, u64>>,
    http_responses: Mutex<BTreeMap<u16, u64>>,
    entries_stored: AtomicU64,
    matches: Mutex<BTreeMap<String, u64>>,
    digests_sent: AtomicU64,
    digests_failed: AtomicU64,
    alerts_sent: AtomicU64,
    alerts_failed: AtomicU64,
    queue_depth: AtomicU64,
    feeds_total: AtomicU64,
    feeds_failing: AtomicU64,
    feeds_gone: AtomicU64,
    /// Unix seconds; 0 = never.
    last_successful_poll: AtomicI64,
    /// Unix seconds of the last digest sent; 0 = never.
    last_digest: AtomicI64,
    poll_duration: Mutex<Histogram>,
    /// Polls whose document listed items the parse did not read, by state.
    parse_problems: Mutex<BTreeMap<String, u64>>,
}

/// A poisoned lock only means another thread panicked mid-update of a counter; the data is
/// still usable, so keep going rather than propagate the panic.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let polls = POLL_OUTCOMES.iter().map(|o| (o.to_string(), 0)).collect();
        Metrics {
            polls: Mutex::new(polls),
            http_responses: Mutex::new(BTreeMap::new()),
            entries_stored: AtomicU64::new(0),
            matches: Mutex::new(BTreeMap::new()),
            digests_sent: AtomicU64::new(0),
            digests_failed: AtomicU64::new(0),
            alerts_sent: AtomicU64::new(0),
            alerts_failed: AtomicU64::new(0),
            queue_depth: AtomicU64::new(0),
            feeds_total: AtomicU64::new(0),
            feeds_failing: AtomicU64::new(0),
            feeds_gone: AtomicU64::new(0),
            last_successful_poll: AtomicI64::new(0),
            last_digest: AtomicI64::new(0),
            poll_duration: Mutex::new(Histogram::default()),
            parse_problems: Mutex::new(
                ["partial", "unparsed"]
                    .iter()
                    .map(|s| (s.to_string(), 0))
                    .collect(),
            ),
        }
    }

    /// One poll finished. outcome: "modified" | "not_modified" | "error" | "gone" |
    /// "rate_limited" (other strings are counted under their own label). `http_status` is the
    /// response status when a response arrived; `entries_new` the entries stored by this poll.
    pub fn record_poll(
        &self,
        outcome: &str,
        http_status: Option<u16>,
        duration: Duration,
        entries_new: u64,
        now_unix: i64,
    ) {
        *lock(&self.polls).entry(outcome.to_string()).or_insert(0) += 1;
        if let Some(status) = http_status {
            *lock(&self.http_responses).entry(status).or_insert(0) += 1;
        }
        self.entries_stored
            .fetch_add(entries_new, Ordering::Relaxed);
        lock(&self.poll_duration).observe(duration.as_secs_f64());
        if SUCCESS_OUTCOMES.contains(&outcome) {
            self.last_successful_poll
                .fetch_max(now_unix, Ordering::Relaxed);
        }
    }

    /// A poll whose document listed items that were not read: `unparsed` (none, or an HTML
    /// page where the feed was) or `partial` (fewer than half).
    pub fn record_parse_problem(&self, state: &str) {
        *lock(&self.parse_problems)
            .entry(state.to_string())
            .or_insert(0) += 1;
    }

    /// `n` new matches for rule `rule`.
    pub fn record_match(&self, rule: &str, n: u64) {
        *lock(&self.matches).entry(rule.to_string()).or_insert(0) += n;
    }

    /// One delivery attempt of a digest (or, `alert`, of an alert) finished.
    pub fn record_digest(&self, sent: bool, alert: bool, now_unix: i64) {
        match (sent, alert) {
            (true, false) => {
                self.digests_sent.fetch_add(1, Ordering::Relaxed);
                self.last_digest.fetch_max(now_unix, Ordering::Relaxed);
            }
            (false, false) => {
                self.digests_failed.fetch_add(1, Ordering::Relaxed);
            }
            (true, true) => {
                self.alerts_sent.fetch_add(1, Ordering::Relaxed);
            }
            (false, true) => {
                self.alerts_failed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Digests pending delivery.
    pub fn set_queue_depth(&self, n: u64) {
        self.queue_depth.store(n, Ordering::Relaxed);
    }

    /// Feed counts: all configured, currently failing (backing off), gone (HTTP 410).
    pub fn set_feeds(&self, total: u64, failing: u64, gone: u64) {
        self.feeds_total.store(total, Ordering::Relaxed);
        self.feeds_failing.store(failing, Ordering::Relaxed);
        self.feeds_gone.store(gone, Ordering::Relaxed);
    }

    /// Prometheus text exposition format 0.0.4.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        let o = &mut out;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let (c, g) = ("counter", "gauge");

        scalar(
            o,
            "chipwatch_up",
            g,
            "Whether chipwatch is running (always 1).",
            1,
        );
        let polls = lock(&self.polls).clone();
        let help = "Feed polls finished, by outcome.";
        labelled(o, "chipwatch_polls_total", c, help, "outcome", polls);
        let http = lock(&self.http_responses).clone();
        let help = "HTTP responses received from feeds, by status code.";
        labelled(o, "chipwatch_http_responses_total", c, help, "status", http);
        let name = "chipwatch_entries_stored_total";
        scalar(
            o,
            name,
            c,
            "New feed entries stored.",
            get(&self.entries_stored),
        );
        let problems = lock(&self.parse_problems).clone();
        let help = "Polls whose document listed items that were not read, by state.";
        labelled(
            o,
            "chipwatch_parse_problems_total",
            c,
            help,
            "state",
            problems,
        );
        let matches = lock(&self.matches).clone();
        let help = "Rule matches recorded, by rule.";
        labelled(o, "chipwatch_matches_total", c, help, "rule", matches);
        let name = "chipwatch_digests_sent_total";
        scalar(o, name, c, "Digests delivered.", get(&self.digests_sent));
        let name = "chipwatch_digests_failed_total";
        let help = "Digest delivery attempts that failed.";
        scalar(o, name, c, help, get(&self.digests_failed));
        let name = "chipwatch_alerts_sent_total";
        scalar(
            o,
            name,
            c,
            "Alert messages delivered.",
            get(&self.alerts_sent),
        );
        let name = "chipwatch_alerts_failed_total";
        let help = "Alert delivery attempts that failed.";
        scalar(o, name, c, help, get(&self.alerts_failed));
        let name = "chipwatch_digest_queue_depth";
        scalar(
            o,
            name,
            g,
            "Digests pending delivery.",
            get(&self.queue_depth),
        );
        let feeds = [
            ("total", get(&self.feeds_total)),
            ("failing", get(&self.feeds_failing)),
            ("gone", get(&self.feeds_gone)),
        ];
        let help = "Configured feeds, by state.";
        labelled(o, "chipwatch_feeds", g, help, "state", feeds);
        let name = "chipwatch_last_successful_poll_timestamp_seconds";
        let help = "Unix time of the last successful feed poll (0 = never).";
        scalar(
            o,
            name,
            g,
            help,
            self.last_successful_poll.load(Ordering::Relaxed),
        );
        let name = "chipwatch_last_digest_timestamp_seconds";
        let help = "Unix time of the last digest sent (0 = never).";
        scalar(o, name, g, help, self.last_digest.load(Ordering::Relaxed));

        let name = "chipwatch_poll_duration_seconds";
        header(o, name, "histogram", "Time taken by one feed poll.");
        let (counts, count, sum) = {
            let h = lock(&self.poll_duration);
            (h.counts, h.count, h.sum)
        };
        let mut cumulative = 0u64;
        for ((_, le), n) in BUCKETS.iter().zip(counts) {
            cumulative += n;
            sample(o, name, "_bucket", Some(("le", le)), cumulative);
        }
        sample(o, name, "_bucket", Some(("le", "+Inf")), count);
        sample(o, name, "_sum", None, sum);
        sample(o, name, "_count", None, count);
        out
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A family with one unlabelled sample.
fn scalar(out: &mut String, name: &str, kind: &str, help: &str, value: impl Display) {
    header(out, name, kind, help);
    sample(out, name, "", None, value);
}

/// A family with one label.
fn labelled<K: Display, V: Display>(
    out: &mut String,
    name: &str,
    kind: &str,
    help: &str,
    label: &str,
    samples: impl IntoIterator<Item = (K, V)>,
) {
    header(out, name, kind, help);
    for (k, v) in samples {
        sample(out, name, "", Some((label, &k.to_string())), v);
    }
}

fn sample(
    out: &mut String,
    name: &str,
    suffix: &str,
    label: Option<(&str, &str)>,
    value: impl Display,
) {
    out.push_str(name);
    out.push_str(suffix);
    if let Some((k, v)) = label {
        let _ = write!(out, "{{{k}=\"");
        escape_label_value(out, v);
        out.push_str("\"}");
    }
    let _ = writeln!(out, " {value}");
}

/// Label values escape backslash, double quote and line feed (`\\`, `\"`, `\n`).
fn escape_label_value(out: &mut String, v: &str) {
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests;

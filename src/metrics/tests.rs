//! Unit tests of `metrics`.
use super::*;

/// One parsed sample line: metric name, labels (unescaped) and value.
type Sample = (String, Vec<(String, String)>, f64);

/// Strict parser for one sample line, `name{k="v",..} value`; panics on anything else.
fn parse_sample(line: &str) -> Sample {
    let (series, value) = line.rsplit_once(' ').unwrap();
    let value: f64 = value.parse().unwrap_or_else(|e| panic!("{line}: {e}"));
    let (name, labels) = match series.split_once('{') {
        None => (series, Vec::new()),
        Some((name, rest)) => (name, parse_labels(rest.strip_suffix('}').unwrap())),
    };
    let mut chars = name.chars();
    let ok = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':';
    assert!(
        chars.next().is_some_and(|c| ok(c) && !c.is_ascii_digit()),
        "{line}"
    );
    assert!(chars.all(ok), "{line}");
    (name.to_string(), labels, value)
}

fn parse_labels(s: &str) -> Vec<(String, String)> {
    let (mut out, mut chars) = (Vec::new(), s.chars());
    loop {
        let key: String = chars.by_ref().take_while(|&c| c != '=').collect();
        assert!(!key.is_empty() && chars.next() == Some('"'), "{s}");
        let mut v = String::new();
        loop {
            match chars.next() {
                Some('"') => break,
                Some('\\') => v.push(match chars.next() {
                    Some('\\') => '\\',
                    Some('"') => '"',
                    Some('n') => '\n',
                    c => panic!("bad escape {c:?} in {s}"),
                }),
                Some('\n') | None => panic!("unterminated value in {s}"),
                Some(c) => v.push(c),
            }
        }
        out.push((key, v));
        match chars.next() {
            None => return out,
            Some(',') => {}
            Some(c) => panic!("unexpected {c:?} in {s}"),
        }
    }
}

fn parse_all(text: &str) -> Vec<Sample> {
    assert!(text.ends_with('\n'));
    let mut typed: Vec<String> = Vec::new();
    let mut samples = Vec::new();
    for line in text.lines() {
        if let Some(c) = line.strip_prefix("# ") {
            let mut parts = c.splitn(3, ' ');
            let kind = parts.next().unwrap();
            let name = parts.next().unwrap();
            assert!(parts.next().is_some_and(|t| !t.is_empty()), "{line}");
            if kind == "TYPE" {
                typed.push(name.to_string());
            } else {
                assert_eq!(kind, "HELP", "{line}");
            }
            continue;
        }
        let s = parse_sample(line);
        let family = typed.last().unwrap();
        assert!(
            s.0.starts_with(family.as_str()),
            "{line} after TYPE {family}"
        );
        samples.push(s);
    }
    samples
}

fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    let found: Vec<_> = samples
        .iter()
        .filter(|(n, l, _)| {
            n == name
                && l.len() == labels.len()
                && l.iter()
                    .zip(labels)
                    .all(|((k, v), (k2, v2))| k == k2 && v == v2)
        })
        .collect();
    assert_eq!(found.len(), 1, "{name} {labels:?}: {found:?}");
    found[0].2
}

#[test]
fn empty_metrics_render_and_parse() {
    let s = parse_all(&Metrics::new().render());
    assert_eq!(value(&s, "chipwatch_up", &[]), 1.0);
    for o in POLL_OUTCOMES {
        assert_eq!(value(&s, "chipwatch_polls_total", &[("outcome", o)]), 0.0);
    }
    assert_eq!(value(&s, "chipwatch_poll_duration_seconds_count", &[]), 0.0);
    assert_eq!(
        value(&s, "chipwatch_last_digest_timestamp_seconds", &[]),
        0.0
    );
}

#[test]
fn records_show_up_in_render() {
    let m = Metrics::new();
    let ms = Duration::from_millis;
    m.record_poll("modified", Some(200), ms(30), 5, 1_700_000_000);
    m.record_poll("not_modified", Some(304), ms(8), 0, 1_700_000_100);
    m.record_poll("error", None, ms(3000), 0, 1_700_000_200);
    m.record_poll("gone", Some(410), ms(40), 0, 1_700_000_300);
    m.record_poll("rate_limited", Some(429), ms(40), 0, 1_700_000_400);
    m.record_poll("modified", Some(200), ms(60), 2, 1_600_000_000); // older clock: no rewind
    m.record_match("bis-entity-list", 3);
    m.record_match("bis-entity-list", 1);
    m.record_match("eu", 2);
    m.record_digest(true, false, 1_700_000_500);
    m.record_digest(false, false, 1_700_000_600);
    m.record_digest(true, true, 1_700_000_700);
    m.set_queue_depth(4);
    m.set_feeds(40, 3, 1);
    let s = parse_all(&m.render());
    let polls = |o| value(&s, "chipwatch_polls_total", &[("outcome", o)]);
    assert_eq!(polls("modified"), 2.0);
    assert_eq!(polls("not_modified"), 1.0);
    assert_eq!(polls("error"), 1.0);
    assert_eq!(polls("gone"), 1.0);
    assert_eq!(polls("rate_limited"), 1.0);
    let http = |c| value(&s, "chipwatch_http_responses_total", &[("status", c)]);
    assert_eq!(
        (http("200"), http("304"), http("410"), http("429")),
        (2.0, 1.0, 1.0, 1.0)
    );
    assert_eq!(value(&s, "chipwatch_entries_stored_total", &[]), 7.0);
    assert_eq!(
        value(
            &s,
            "chipwatch_matches_total",
            &[("rule", "bis-entity-list")]
        ),
        4.0
    );
    assert_eq!(value(&s, "chipwatch_matches_total", &[("rule", "eu")]), 2.0);
    assert_eq!(value(&s, "chipwatch_digests_sent_total", &[]), 1.0);
    assert_eq!(value(&s, "chipwatch_digests_failed_total", &[]), 1.0);
    assert_eq!(value(&s, "chipwatch_alerts_sent_total", &[]), 1.0);
    assert_eq!(value(&s, "chipwatch_alerts_failed_total", &[]), 0.0);
    assert_eq!(value(&s, "chipwatch_digest_queue_depth", &[]), 4.0);
    assert_eq!(value(&s, "chipwatch_feeds", &[("state", "total")]), 40.0);
    assert_eq!(value(&s, "chipwatch_feeds", &[("state", "failing")]), 3.0);
    assert_eq!(value(&s, "chipwatch_feeds", &[("state", "gone")]), 1.0);
    let last_poll = "chipwatch_last_successful_poll_timestamp_seconds";
    assert_eq!(value(&s, last_poll, &[]), 1_700_000_100.0);
    let last_digest = "chipwatch_last_digest_timestamp_seconds";
    assert_eq!(value(&s, last_digest, &[]), 1_700_000_500.0);
    assert_eq!(value(&s, "chipwatch_poll_duration_seconds_count", &[]), 6.0);
    let sum = value(&s, "chipwatch_poll_duration_seconds_sum", &[]);
    assert!((sum - 3.178).abs() < 1e-9, "{sum}");
}

#[test]
fn histogram_buckets_are_cumulative() {
    let m = Metrics::new();
    for secs in [0.001, 0.01, 0.02, 0.3, 0.3, 1.0, 7.0, 29.9, 31.0, 500.0] {
        m.record_poll("modified", Some(200), Duration::from_secs_f64(secs), 0, 1);
    }
    let s = parse_all(&m.render());
    let buckets: Vec<(String, f64)> = s
        .iter()
        .filter(|(n, _, _)| n == "chipwatch_poll_duration_seconds_bucket")
        .map(|(_, l, v)| {
            assert_eq!(l.len(), 1);
            assert_eq!(l[0].0, "le");
            (l[0].1.clone(), *v)
        })
        .collect();
    let les: Vec<&str> = buckets.iter().map(|(le, _)| le.as_str()).collect();
    let expected_les = [
        "0.01", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "30", "+Inf",
    ];
    assert_eq!(les, expected_les);
    let counts: Vec<f64> = buckets.iter().map(|(_, v)| *v).collect();
    assert_eq!(
        counts,
        [2.0, 3.0, 3.0, 3.0, 5.0, 6.0, 6.0, 6.0, 7.0, 8.0, 10.0]
    );
    assert!(counts.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(
        value(&s, "chipwatch_poll_duration_seconds_count", &[]),
        10.0
    );
}

#[test]
fn label_values_are_escaped() {
    let m = Metrics::new();
    let nasty = "a\"b\\c\nd}e,f=g h";
    m.record_match(nasty, 1);
    let text = m.render();
    assert!(
        text.contains(r#"chipwatch_matches_total{rule="a\"b\\c\nd}e,f=g h"} 1"#),
        "{text}"
    );
    let s = parse_all(&text);
    assert_eq!(
        value(&s, "chipwatch_matches_total", &[("rule", nasty)]),
        1.0
    );
    let mut out = String::new();
    escape_label_value(&mut out, "plain ünïcode");
    assert_eq!(out, "plain ünïcode");
}

#[test]
fn concurrent_updates_are_not_lost() {
    let m = std::sync::Arc::new(Metrics::new());
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let m = m.clone();
            std::thread::spawn(move || {
                for _ in 0..1000 {
                    m.record_poll("modified", Some(200), Duration::from_millis(1), 1, 1);
                    m.record_match("r", 1);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let s = parse_all(&m.render());
    assert_eq!(value(&s, "chipwatch_entries_stored_total", &[]), 4000.0);
    assert_eq!(
        value(&s, "chipwatch_matches_total", &[("rule", "r")]),
        4000.0
    );
    let bucket = "chipwatch_poll_duration_seconds_bucket";
    assert_eq!(value(&s, bucket, &[("le", "0.01")]), 4000.0);
}

//! Benchmark of the screening-list source (`cargo bench --bench screening`, harness = false):
//! parse and diff time and memory on the largest real Consolidated Screening List snapshot
//! (`../shared/corpus/regulatory/screening-list/…4228-records…csv`, or `$CHIPWATCH_CSL`), and
//! on 3× and 6× copies of it (≈12,700 and ≈25,300 records, names suffixed so each copy is
//! distinct): the full download had 25,830 records (~16.5 MB) when a third party measured it.
//! The "next download" removes, adds and amends 50 records each and reverses the row order.
//! One poll = the previous snapshot read back from JSON (as the store keeps it), the new file
//! parsed, the diff, the new snapshot written as JSON. Prints medians of 7 polls, what one poll
//! adds to the process's peak RSS, and RSS before and after 28 more polls (it must stay flat).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chipwatch::source::screening::parse;
use chipwatch::source::screening_diff::diff;
use std::time::{Duration, Instant};

fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// The rows of a CSV, re-written: `copies` copies (names suffixed), then changed.
fn variants(body: &[u8], copies: usize) -> (Vec<u8>, Vec<u8>) {
    let mut rd = csv::ReaderBuilder::new().flexible(true).from_reader(body);
    let header = rd.headers().unwrap().clone();
    let name = header.iter().position(|h| h == "name").unwrap();
    let alt = header.iter().position(|h| h == "alt_names").unwrap();
    let num = header.iter().position(|h| h == "entity_number").unwrap();
    let rows: Vec<csv::StringRecord> = rd
        .records()
        .filter_map(Result::ok)
        .filter(|r| r.len() == header.len())
        .collect();
    let mut all = Vec::new();
    for c in 0..copies {
        for r in &rows {
            all.push(
                r.iter()
                    .enumerate()
                    .map(|(i, v)| {
                        if (i == name || (i == num && !v.is_empty())) && c > 0 {
                            format!("{v} #{c}")
                        } else {
                            v.to_string()
                        }
                    })
                    .collect::<csv::StringRecord>(),
            );
        }
    }
    let write = |rows: &[csv::StringRecord]| {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&header).unwrap();
        for r in rows {
            w.write_record(r).unwrap();
        }
        w.into_inner().unwrap()
    };
    let before = write(&all);
    let mut after: Vec<csv::StringRecord> = all.clone();
    after.drain(100..150);
    for k in 0..50 {
        let t = after[200 + k].clone();
        after.push(
            t.iter()
                .enumerate()
                .map(|(i, v)| match i {
                    i if i == name => format!("Added Entity {k}"),
                    i if i == num => String::new(),
                    _ => v.to_string(),
                })
                .collect(),
        );
        let a = after[400 + k].clone();
        after[400 + k] = a
            .iter()
            .enumerate()
            .map(|(i, v)| {
                if i == alt {
                    format!("{v}; New Alias {k}")
                } else {
                    v.to_string()
                }
            })
            .collect();
    }
    after.reverse();
    (before, write(&after))
}

/// One poll's work as the daemon does it: the previous snapshot read back from its JSON (as
/// the store keeps it), the new download parsed, the diff, the new snapshot written as JSON.
fn poll(old_json: &str, body: &[u8]) -> (usize, [Duration; 4]) {
    let t = Instant::now();
    let old: chipwatch::model::regulatory::Snapshot = serde_json::from_str(old_json).unwrap();
    let load = t.elapsed();
    let t = Instant::now();
    let new = parse(body).unwrap();
    let parse_t = t.elapsed();
    let t = Instant::now();
    let changes = diff(&old, &new, &[]).len();
    let diff_t = t.elapsed();
    let t = Instant::now();
    std::hint::black_box(serde_json::to_string(&new).unwrap());
    (changes, [load, parse_t, diff_t, t.elapsed()])
}

fn main() {
    let path = std::env::var("CHIPWATCH_CSL").unwrap_or_else(|_| {
        format!(
            "{}/../shared/corpus/regulatory/screening-list/csl-consolidated__4228-records__2023-11__moov-watchman.csv",
            env!("CARGO_MANIFEST_DIR")
        )
    });
    let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    println!("screening-list poll benchmark ({path}); medians of 7");
    for copies in [1, 3, 6] {
        let (before, after) = variants(&raw, copies);
        let old = parse(&before).unwrap();
        let (records, old_json) = (old.records.len(), serde_json::to_string(&old).unwrap());
        drop(old);
        // Peak RSS from here on: what one poll adds (Linux: writing 5 resets VmHWM).
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let rss0 = rss_kib("VmRSS:");
        let (changes, _) = poll(&old_json, &after);
        let peak = rss_kib("VmHWM:").saturating_sub(rss0);
        let mut times: [Vec<Duration>; 4] = Default::default();
        for _ in 0..7 {
            let (_, t) = poll(&old_json, &after);
            for (v, d) in times.iter_mut().zip(t) {
                v.push(d);
            }
        }
        for _ in 0..20 {
            poll(&old_json, &after);
        }
        let rss1 = rss_kib("VmRSS:");
        let ms = |v: &Vec<Duration>| median(v.clone()).as_secs_f64() * 1e3;
        println!(
            "  {records:>6} records ({:.1} MB CSV, snapshot JSON {:.1} MB): load {:.0} ms, parse {:.0} ms, diff {:.1} ms ({changes} changes), save {:.0} ms; \
             one poll adds {:.1} MiB at its peak; RSS {:.1} MiB before, {:.1} MiB after 28 more polls",
            after.len() as f64 / 1e6,
            old_json.len() as f64 / 1e6,
            ms(&times[0]),
            ms(&times[1]),
            ms(&times[2]),
            ms(&times[3]),
            peak as f64 / 1024.0,
            rss0 as f64 / 1024.0,
            rss1 as f64 / 1024.0,
        );
    }
}

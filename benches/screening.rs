//! Benchmark of the screening-list source (`cargo bench --bench screening`, harness = false):
//! parse and diff time and memory on the largest real Consolidated Screening List snapshot
//! (`../shared/corpus/regulatory/screening-list/…4228-records…csv`, or `$CHIPWATCH_CSL`), and
//! on a 3× copy of it (≈12,700 records, names suffixed so each copy is distinct) to stand for a
//! full ~10^4-record download. The "next download" removes, adds and amends 50 records each and
//! reverses the row order. Prints medians of 7 runs, the snapshot's JSON size (what the store
//! keeps), and the process's peak and current RSS before and after 20 more polls' worth of
//! parse + diff (memory must stay flat).
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
                        if i == name && c > 0 {
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
                .map(|(i, v)| {
                    if i == name {
                        format!("Added Entity {k}")
                    } else {
                        v.to_string()
                    }
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

fn main() {
    let path = std::env::var("CHIPWATCH_CSL").unwrap_or_else(|_| {
        format!(
            "{}/../shared/corpus/regulatory/screening-list/csl-consolidated__4228-records__2023-11__moov-watchman.csv",
            env!("CARGO_MANIFEST_DIR")
        )
    });
    let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    println!("screening-list diff benchmark ({path})");
    for copies in [1, 3] {
        let (before, after) = if copies == 1 {
            let (_, a) = variants(&raw, 1);
            (raw.clone(), a)
        } else {
            variants(&raw, copies)
        };
        let mut parse_t = Vec::new();
        let mut diff_t = Vec::new();
        let mut changes = 0;
        let mut records = 0;
        let mut json = 0;
        for _ in 0..7 {
            let t = Instant::now();
            let old = parse(&before).unwrap();
            let new = parse(&after).unwrap();
            parse_t.push(t.elapsed() / 2);
            let t = Instant::now();
            let d = diff(&old, &new, &[]);
            diff_t.push(t.elapsed());
            changes = d.len();
            records = new.records.len();
            json = serde_json::to_vec(&new).unwrap().len();
        }
        let (hwm0, rss0) = (rss_kib("VmHWM:"), rss_kib("VmRSS:"));
        for _ in 0..20 {
            let old = parse(&before).unwrap();
            let new = parse(&after).unwrap();
            std::hint::black_box(diff(&old, &new, &[]));
        }
        let (hwm1, rss1) = (rss_kib("VmHWM:"), rss_kib("VmRSS:"));
        println!(
            "  {records:>6} records ({:.1} MB CSV): parse {:.1} ms, diff {:.2} ms ({changes} changes), snapshot JSON {:.1} MB; \
             peak RSS {:.1} → {:.1} MiB and RSS {:.1} → {:.1} MiB over 20 more polls",
            after.len() as f64 / 1e6,
            median(parse_t).as_secs_f64() * 1e3,
            median(diff_t).as_secs_f64() * 1e3,
            json as f64 / 1e6,
            hwm0 as f64 / 1024.0,
            hwm1 as f64 / 1024.0,
            rss0 as f64 / 1024.0,
            rss1 as f64 / 1024.0,
        );
    }
}

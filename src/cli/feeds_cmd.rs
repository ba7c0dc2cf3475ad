//! `chipwatch feeds status|inspect|import-opml|export-opml`: per-feed health (configured feeds
//! not polled yet included), what chipwatch sees in one feed ([`super::inspect_cmd`]), and
//! OPML in and out.

use super::{Cli, load_config};
use crate::clock::Clock;
use crate::store::Store;
use crate::store::feeds::FeedStatus;
use anyhow::Context;
use clap::Subcommand;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Subcommand)]
pub enum FeedsCmd {
    /// Health of every feed: gone and failing ones first, then `unparsed`/`partial` ones (the
    /// document lists items that were not read), then silent ones.
    Status {
        /// Print all rows as one JSON array on stdout (times as Unix seconds, UTC).
        #[arg(long)]
        json: bool,
    },
    /// Fetch (or read) one feed and show what chipwatch sees; nothing is stored.
    Inspect {
        /// URL (https://…, file://…) or a local file path.
        #[arg(value_name = "URL|FILE")]
        target: String,
        /// Print one JSON object (format, encoding, entries, repairs, problems) on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Print the configured feeds as OPML 2.0.
    ExportOpml,
    /// Add the feeds of an OPML file (Miniflux, FreshRSS, Inoreader … exports) to the OPML file
    /// the configuration includes; folders and categories become tags.
    ImportOpml {
        /// The OPML export to read.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

/// A stored time as `2026-12-02 08:00 UTC` (`-` when unset).
fn ts(t: Option<i64>) -> String {
    t.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "-".into())
}

/// The stored rows plus a row for each configured feed not polled yet (a fresh database has
/// none), so the list is useful before the first `run`.
fn with_unpolled(config: &crate::config::Config, mut rows: Vec<FeedStatus>) -> Vec<FeedStatus> {
    let known: std::collections::HashSet<String> = rows.iter().map(|r| r.url.clone()).collect();
    for f in &config.feeds {
        let url = f.id_url();
        if !known.contains(&url) {
            rows.push(FeedStatus {
                url,
                name: f.name.clone(),
                ..Default::default()
            });
        }
    }
    rows
}

pub fn run(cli: &Cli, cmd: &FeedsCmd, clock: Arc<dyn Clock>) -> anyhow::Result<i32> {
    match cmd {
        FeedsCmd::Status { json } => status(cli, *json, clock),
        FeedsCmd::Inspect { target, json } => {
            super::inspect_cmd::inspect(cli, target, *json, clock)
        }
        FeedsCmd::ImportOpml { file } => import_opml(cli, file),
        FeedsCmd::ExportOpml => {
            let config = load_config(cli)?;
            let outlines: Vec<crate::opml::Outline> = config
                .feeds
                .iter()
                .filter(|f| f.kind == crate::model::SourceKind::Feed)
                .map(|f| crate::opml::Outline {
                    title: f.name.clone(),
                    xml_url: f.id_url(),
                    html_url: None,
                    tags: f.tags.clone(),
                })
                .collect();
            print!("{}", crate::opml::write("chipwatch feeds", &outlines));
            Ok(0)
        }
    }
}

/// `feeds status`: every stored feed plus the configured ones not polled yet.
fn status(cli: &Cli, json: bool, clock: Arc<dyn Clock>) -> anyhow::Result<i32> {
    let config = load_config(cli)?;
    let store = Store::open(&config.store_path)?;
    let rows = store.feed_statuses(clock.now().timestamp(), config.silent_after_secs())?;
    let rows = with_unpolled(&config, rows);
    // Each source's kind (feed, federal_register, screening_list), from the config.
    let kinds: std::collections::HashMap<String, &'static str> = config
        .feeds
        .iter()
        .map(|f| (f.id_url(), f.kind.name()))
        .collect();
    let kind_of = |url: &str| kinds.get(url).copied().unwrap_or("feed");
    if json {
        let mut out = Vec::new();
        for r in &rows {
            let mut v = serde_json::to_value(r)?;
            v["kind"] = kind_of(&r.url).into();
            out.push(v);
        }
        println!("{}", serde_json::to_string(&out)?);
        return Ok(0);
    }
    for r in &rows {
        print_row(r, kind_of(&r.url));
    }
    Ok(0)
}

/// One feed of `feeds status` in text: state, address and name, then its details.
/// The address as shown: an API source's long query (every `fields[]` spelled out) is cut
/// after its path; `--json` has it whole.
fn shown_url(url: &str, kind: &str) -> String {
    let shown = crate::redact::url(url);
    match shown.split_once('?') {
        Some((path, _)) if !kind.is_empty() && shown.len() > 120 => format!("{path}?…"),
        _ => shown,
    }
}

/// One source's lines; `kind` is shown unless it is a plain feed.
fn print_row(r: &FeedStatus, kind: &str) {
    let unparsed_error = r
        .last_error
        .as_deref()
        .is_some_and(|e| e.starts_with("parse: unparsed"));
    let state = if r.gone {
        "GONE".to_string()
    } else if r.error_count > 0 && unparsed_error {
        format!("unparsed×{}", r.error_count)
    } else if r.error_count > 0 {
        format!("FAIL×{}", r.error_count)
    } else if let Some(p) = &r.parse_problem {
        p.split(':').next().unwrap_or("partial").to_string()
    } else if r.silent_since.is_some() {
        "silent".into()
    } else if r.last_checked_at.is_none() {
        "new".into()
    } else {
        "ok".into()
    };
    let kind = match kind {
        "feed" => String::new(),
        k => format!(" {k}"),
    };
    println!(
        "{state:<8} {}  [{}]{kind}",
        shown_url(&r.url, &kind),
        r.name
    );
    if r.last_checked_at.is_none() && r.error_count == 0 {
        println!("         never polled (the next `chipwatch run` polls it)");
        return;
    }
    if let Some(rd) = &r.redirect_url {
        let rd = crate::redact::url(rd);
        println!("         moved permanently to {rd} (update the config)");
    }
    println!(
        "         last status {}  checked {}  last success {}  next {}  entries {}  avg interval {}",
        r.last_status.map(|s| s.to_string()).unwrap_or("-".into()),
        ts(r.last_checked_at),
        ts(r.last_success_at),
        ts(Some(r.next_check_at).filter(|t| *t > 0 && *t < i64::MAX / 8)),
        r.entries_seen,
        r.avg_post_interval_secs
            .map(|s| format!("{:.1}h", s as f64 / 3600.0))
            .unwrap_or("-".into())
    );
    if let Some(p) = &r.parse_problem {
        println!("         {p} (since {})", ts(r.parse_problem_since));
    }
    if let Some(since) = r.silent_since {
        println!("         no new entry since {}", ts(Some(since)));
    }
    if let Some(e) = &r.last_error {
        println!("         error since {}: {e}", ts(r.first_error_at));
    }
    if let Some(rep) = &r.repairs {
        println!("         repaired: {rep}");
    }
}

fn import_opml(cli: &Cli, file: &std::path::Path) -> anyhow::Result<i32> {
    let config = load_config(cli)?;
    let target = config.opml_path.clone().ok_or_else(|| {
        anyhow::anyhow!("import-opml adds to the OPML file named by [feeds] opml in your config file; give --config FILE with such a setting")
    })?;
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let incoming =
        crate::opml::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let mut existing = match std::fs::read_to_string(&target) {
        Ok(t) => {
            crate::opml::parse(&t).map_err(|e| anyhow::anyhow!("{}: {e}", target.display()))?
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", target.display())),
    };
    let (mut added, mut skipped) = (0, 0);
    for o in incoming {
        if let Err(why) = crate::opml::feed_url(&o) {
            eprintln!("skipping {why}");
            skipped += 1;
        } else if existing.iter().any(|e| e.xml_url == o.xml_url) {
            skipped += 1;
        } else {
            existing.push(o);
            added += 1;
        }
    }
    let tmp = target.with_extension("opml.tmp");
    std::fs::write(&tmp, crate::opml::write("chipwatch feeds", &existing))
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &target).with_context(|| format!("writing {}", target.display()))?;
    println!(
        "{} added to {} ({skipped} already there or unusable); reload chipwatch to poll them",
        crate::words::count(added, "feed", "feeds"),
        target.display()
    );
    Ok(0)
}

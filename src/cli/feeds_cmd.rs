//! `chipwatch feeds status|inspect|import-opml|export-opml`: per-feed health, what chipwatch
//! sees in one feed (nothing stored; `--json` is the contract the differential test against
//! feedparser reads: a partial parse exits 0 with `problems`, only an unreadable document
//! fails), and OPML in and out.

use super::{Cli, load_config, runtime};
use crate::clock::Clock;
use crate::fetch::{FetchOutcome, FetchRequest, Fetcher};
use crate::parse::{ParseOptions, parse_feed};
use crate::store::Store;
use anyhow::Context;
use clap::Subcommand;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Subcommand)]
pub enum FeedsCmd {
    /// Health of every feed: gone and failing ones first, then `unparsed`/`partial` ones (the
    /// document lists items that were not read), then silent ones.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Fetch (or read) one feed and show what chipwatch sees; nothing is stored.
    Inspect {
        /// URL or file path.
        target: String,
        #[arg(long)]
        json: bool,
    },
    /// Print the configured feeds as OPML 2.0.
    ExportOpml,
    /// Add the feeds of an OPML file (Miniflux, FreshRSS, Inoreader … exports) to the OPML file
    /// the configuration includes; folders and categories become tags.
    ImportOpml { file: PathBuf },
}

fn ts(t: Option<i64>) -> String {
    t.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "-".into())
}

pub fn run(cli: &Cli, cmd: &FeedsCmd, clock: Arc<dyn Clock>) -> anyhow::Result<i32> {
    match cmd {
        FeedsCmd::Status { json } => {
            let config = load_config(cli)?;
            let store = Store::open(&config.store_path)?;
            let mut rows =
                store.feed_statuses(clock.now().timestamp(), config.silent_after_secs())?;
            // Configured sources not polled yet are listed too (state "new").
            let known: std::collections::HashSet<String> =
                rows.iter().map(|r| r.url.clone()).collect();
            rows.extend(
                config
                    .feeds
                    .iter()
                    .filter(|f| !known.contains(&f.id_url()))
                    .map(|f| crate::store::feeds::FeedStatus::never_polled(f.id_url(), &f.name)),
            );
            // Each source's kind (feed, federal_register, screening_list), from the config.
            let kinds: std::collections::HashMap<String, &'static str> = config
                .feeds
                .iter()
                .map(|f| (f.id_url(), f.kind.name()))
                .collect();
            let kind_of = |url: &str| kinds.get(url).copied().unwrap_or("feed");
            if *json {
                let mut out = Vec::new();
                for r in &rows {
                    let mut v = serde_json::to_value(r)?;
                    v["kind"] = kind_of(&r.url).into();
                    out.push(v);
                }
                println!("{}", serde_json::to_string(&out)?);
                return Ok(0);
            }
            for r in rows {
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
                let kind = match kind_of(&r.url) {
                    "feed" => String::new(),
                    k => format!(" {k}"),
                };
                println!(
                    "{state:<8} {}  [{}]{kind}",
                    crate::redact::url(&r.url),
                    r.name
                );
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
            Ok(0)
        }
        FeedsCmd::Inspect { target, json } => inspect(cli, target, *json, clock),
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

fn inspect(cli: &Cli, target: &str, json: bool, clock: Arc<dyn Clock>) -> anyhow::Result<i32> {
    let http = match load_config(cli) {
        Ok(c) => c.http,
        Err(_) => {
            crate::config::load_from_str(
                "",
                None,
                crate::config::ConfigSource::Embedded,
                PathBuf::from("."),
            )
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .http
        }
    };
    // A local file is read as it is: no fetcher, no network, no size or scheme policy.
    let (url, body, content_type, final_url, permanent_redirect) = if target.contains("://") {
        let url = target.to_string();
        let rt = runtime()?;
        let outcome = rt.block_on(async {
            let f = Fetcher::new(&http)?;
            Ok::<_, anyhow::Error>(
                f.fetch(
                    &FetchRequest {
                        url: url.clone(),
                        // The user typed this address: a file:// URL is theirs to read.
                        allow_local: true,
                        ..Default::default()
                    },
                    clock.now(),
                )
                .await,
            )
        })?;
        let fetched = match outcome {
            FetchOutcome::Modified(f) => f,
            other => anyhow::bail!("{url}: {}", describe(&other)),
        };
        let body = fetched.body.to_vec();
        (
            url,
            body,
            fetched.content_type,
            fetched.final_url,
            fetched.permanent_redirect,
        )
    } else {
        let p = std::fs::canonicalize(target).with_context(|| format!("reading {target}"))?;
        let url = url::Url::from_file_path(&p)
            .map_err(|()| anyhow::anyhow!("bad path {target}"))?
            .to_string();
        let body = std::fs::read(&p).with_context(|| format!("reading {target}"))?;
        (url.clone(), body, None, url, None)
    };
    let feed = parse_feed(
        &body,
        &ParseOptions {
            content_type: content_type.as_deref(),
            base_url: Some(&final_url),
            default_offset: None,
        },
    )
    .map_err(|e| anyhow::anyhow!("{url}: {e}"))?;
    let base = url::Url::parse(&final_url).ok();
    let resolve = |l: &str| match &base {
        Some(b) => b
            .join(l)
            .map(|u| u.to_string())
            .unwrap_or_else(|_| l.to_string()),
        None => l.to_string(),
    };
    if json {
        let entries: Vec<serde_json::Value> = feed
            .entries
            .iter()
            .map(|e| {
                serde_json::json!({"key": e.key, "title": e.title, "link": e.link.as_deref().map(resolve),
                    "canonical_link": e.canonical_link, "outlet": e.outlet, "published": e.published.map(|p| p.to_rfc3339()),
                    "summary": e.summary, "content": e.content})
            })
            .collect();
        let v = serde_json::json!({"format": feed.format, "encoding": feed.encoding, "title": feed.title,
            "link": feed.link.as_deref().map(resolve), "id": feed.id,
            "published": feed.published.map(|p| p.to_rfc3339()), "repairs": feed.repairs,
            "problems": feed.problem.iter().collect::<Vec<_>>(), "item_elements": feed.item_elements,
            "entries": entries});
        println!("{v}");
        return Ok(0);
    }
    println!(
        "{url}\n  format {}  encoding {}  title {:?}  {} entries",
        feed.format,
        feed.encoding,
        feed.title.as_deref().unwrap_or(""),
        feed.entries.len()
    );
    if let Some(p) = &feed.problem {
        println!("  PROBLEM: {p}");
    }
    if let Some(p) = &permanent_redirect {
        println!("  moved permanently to {p}");
    }
    if !feed.repairs.is_empty() {
        println!("  repairs: {}", feed.repairs.join("; "));
    }
    for e in &feed.entries {
        println!(
            "\n- {}\n  key       {}\n  link      {}\n  published {}",
            e.title,
            e.key,
            e.canonical_link.as_deref().unwrap_or("-"),
            e.published.map(|p| p.to_rfc3339()).unwrap_or("-".into())
        );
        let text = if e.summary.is_empty() {
            &e.content
        } else {
            &e.summary
        };
        let short: String = text.chars().take(300).collect();
        println!(
            "  text      {short}{}",
            if text.chars().count() > 300 {
                "…"
            } else {
                ""
            }
        );
    }
    Ok(0)
}

fn describe(o: &FetchOutcome) -> String {
    match o {
        FetchOutcome::NotModified { .. } => "not modified".into(),
        FetchOutcome::Modified(_) => "ok".into(),
        FetchOutcome::RateLimited {
            status,
            retry_after,
        } => format!("HTTP {status}, retry after {retry_after:?}"),
        FetchOutcome::Gone => "HTTP 410 Gone".into(),
        FetchOutcome::Failed { error, .. } => error.to_string(),
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
        "{added} feeds added to {} ({skipped} already there or unusable); reload chipwatch to poll them",
        target.display()
    );
    Ok(0)
}

//! `chipwatch feeds inspect URL|FILE`: what chipwatch sees in one feed — format, encoding,
//! entries with keys, links, dates and text; nothing is stored. `--json` is the contract the
//! differential test against feedparser reads: a partial parse exits 0 with `problems`, only an
//! unreadable document fails. Called by [`super::feeds_cmd`].

use super::{Cli, load_config, runtime};
use crate::clock::Clock;
use crate::fetch::{FetchOutcome, FetchRequest, Fetcher};
use crate::model::ParsedFeed;
use crate::parse::{ParseOptions, parse_feed};
use anyhow::Context;
use std::path::PathBuf;
use std::sync::Arc;

/// One document as fetched (or read from a file).
struct Document {
    url: String,
    body: Vec<u8>,
    content_type: Option<String>,
    final_url: String,
    permanent_redirect: Option<String>,
}

pub(super) fn inspect(
    cli: &Cli,
    target: &str,
    json: bool,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<i32> {
    let doc = if target.contains("://") {
        fetch(cli, target, clock)?
    } else {
        read_file(target)?
    };
    let feed = parse_feed(
        &doc.body,
        &ParseOptions {
            content_type: doc.content_type.as_deref(),
            base_url: Some(&doc.final_url),
            default_offset: None,
        },
    )
    .map_err(|e| anyhow::anyhow!("{}: {e}", doc.url))?;
    let base = url::Url::parse(&doc.final_url).ok();
    let resolve = |l: &str| match &base {
        Some(b) => b
            .join(l)
            .map(|u| u.to_string())
            .unwrap_or_else(|_| l.to_string()),
        None => l.to_string(),
    };
    if json {
        println!("{}", as_json(&feed, &resolve));
    } else {
        print_text(&doc, &feed);
    }
    Ok(0)
}

/// Fetches `url` once with the configuration's HTTP settings (the defaults without one).
fn fetch(cli: &Cli, url: &str, clock: Arc<dyn Clock>) -> anyhow::Result<Document> {
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
    let outcome = runtime()?.block_on(async {
        let f = Fetcher::new(&http)?;
        Ok::<_, anyhow::Error>(
            f.fetch(
                &FetchRequest {
                    url: url.to_string(),
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
    Ok(Document {
        url: url.to_string(),
        body: fetched.body.to_vec(),
        content_type: fetched.content_type,
        final_url: fetched.final_url,
        permanent_redirect: fetched.permanent_redirect,
    })
}

/// A local file is read as it is: no fetcher, no network, no size or scheme policy.
fn read_file(target: &str) -> anyhow::Result<Document> {
    let p = std::fs::canonicalize(target).with_context(|| format!("reading {target}"))?;
    let url = url::Url::from_file_path(&p)
        .map_err(|()| anyhow::anyhow!("bad path {target}"))?
        .to_string();
    let body = std::fs::read(&p).with_context(|| format!("reading {target}"))?;
    Ok(Document {
        url: url.clone(),
        body,
        content_type: None,
        final_url: url,
        permanent_redirect: None,
    })
}

fn as_json(feed: &ParsedFeed, resolve: &dyn Fn(&str) -> String) -> serde_json::Value {
    let entries: Vec<serde_json::Value> = feed
        .entries
        .iter()
        .map(|e| {
            serde_json::json!({"key": e.key, "title": e.title, "link": e.link.as_deref().map(resolve),
                "canonical_link": e.canonical_link, "outlet": e.outlet, "published": e.published.map(|p| p.to_rfc3339()),
                "summary": e.summary, "content": e.content})
        })
        .collect();
    serde_json::json!({"format": feed.format, "encoding": feed.encoding, "title": feed.title,
        "link": feed.link.as_deref().map(resolve), "id": feed.id,
        "published": feed.published.map(|p| p.to_rfc3339()), "repairs": feed.repairs,
        "problems": feed.problem.iter().collect::<Vec<_>>(), "item_elements": feed.item_elements,
        "entries": entries})
}

fn print_text(doc: &Document, feed: &ParsedFeed) {
    println!(
        "{}\n  format {}  encoding {}  title {:?}  {} entries",
        doc.url,
        feed.format,
        feed.encoding,
        feed.title.as_deref().unwrap_or(""),
        feed.entries.len()
    );
    if let Some(p) = &feed.problem {
        println!("  PROBLEM: {p}");
    }
    if let Some(p) = &doc.permanent_redirect {
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
        let more = if text.chars().count() > 300 {
            "…"
        } else {
            ""
        };
        println!("  text      {short}{more}");
    }
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

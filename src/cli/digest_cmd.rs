//! `chipwatch digest preview|send|history`: render what would be sent now without claiming
//! anything, send now (retrying pending digests first), and list past digests.

use super::{Cli, load_config, runtime};
use crate::clock::Clock;
use crate::config::{Config, DigestProfile};
use crate::digest::{self, render};
use crate::store::Store;
use anyhow::Context;
use clap::Subcommand;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Subcommand)]
pub enum DigestCmd {
    /// Render what would be sent now (nothing is claimed or sent).
    Preview {
        /// Only this `[[digest]]` profile (by name; default: every profile).
        #[arg(long, value_name = "NAME")]
        profile: Option<String>,
        /// Write the HTML part to this file.
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
        /// Print the plain-text part (default when --html is not given).
        #[arg(long)]
        text: bool,
    },
    /// Send every pending delivery now (mail and channels), then claim new matches and send.
    #[command(
        long_about = "Sends every pending delivery now — mail and [[channel]]s alike — ignoring the retry backoff (a service's Retry-After is still honoured), then claims the new matches and sends them as digests, whatever the schedule.\n\nExit code 0 when everything went out; 1 when a delivery failed or stays pending (the daemon keeps retrying it)."
    )]
    Send {
        /// Only this `[[digest]]` profile (by name; default: every profile).
        #[arg(long, value_name = "NAME")]
        profile: Option<String>,
    },
    /// Past and pending digests.
    History {
        /// Print one JSON array on stdout: one object per digest (each part and channel
        /// delivery is one), newest first.
        #[arg(long)]
        json: bool,
        /// Show at most this many digests, newest first.
        #[arg(long, default_value_t = 50, value_name = "N")]
        limit: i64,
    },
}

fn profiles<'a>(
    config: &'a Config,
    name: &Option<String>,
) -> anyhow::Result<Vec<&'a DigestProfile>> {
    match name {
        None => Ok(config.digests.iter().collect()),
        Some(n) => match config.digests.iter().find(|p| p.name == *n) {
            Some(p) => Ok(vec![p]),
            None => anyhow::bail!(
                "no digest profile named `{n}` (profiles: {})",
                config
                    .digests
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
    }
}

pub fn run(cli: &Cli, cmd: &DigestCmd, clock: Arc<dyn Clock>) -> anyhow::Result<i32> {
    let config = load_config(cli)?;
    match cmd {
        DigestCmd::Preview {
            profile,
            html,
            text,
        } => preview(&config, profile, html.as_deref(), *text, clock.as_ref()),
        DigestCmd::Send { profile } => {
            let chosen: Vec<DigestProfile> =
                profiles(&config, profile)?.into_iter().cloned().collect();
            let mut cfg = config.clone();
            cfg.digests = chosen;
            let rt = runtime()?;
            rt.block_on(async move {
                let mut svc = crate::app::Service::start(cfg, clock)?;
                // Run by hand: every pending delivery goes now, whatever its backoff.
                svc.digests.send_now = true;
                let d = digest::run_due(&svc.digests, true, false).await;
                svc.shutdown();
                println!(
                    "digests: {} created, {} sent, {} failed, {} still pending",
                    d.created, d.sent, d.failed, d.pending
                );
                if d.alerts_sent > 0 {
                    println!("(of the sent: {} alerts)", d.alerts_sent);
                }
                for e in &d.errors {
                    eprintln!("error: {e}");
                }
                Ok(if d.pending > 0 || d.failed > 0 { 1 } else { 0 })
            })
        }
        DigestCmd::History { json, limit } => {
            let store = Store::open(&config.store_path)?;
            let rows = store.digest_history(*limit)?;
            if *json {
                println!("{}", serde_json::to_string(&rows)?);
                return Ok(0);
            }
            if rows.is_empty() {
                println!("no digests yet");
            }
            for r in rows {
                let when = |t: Option<i64>| {
                    t.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                        .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
                        .unwrap_or("-".into())
                };
                let to = match &r.channel {
                    Some(c) => format!("channel {c}"),
                    None => r.recipients.to.join(", "),
                };
                println!(
                    "#{:<5} {:<6} {:<8} {:<12} part {}/{} {:>4} {:<7}  created {}  sent {}  attempts {}  to {}{}",
                    r.id,
                    r.kind,
                    r.status,
                    r.profile,
                    r.part,
                    r.parts,
                    r.story_count,
                    if r.story_count == 1 {
                        "story"
                    } else {
                        "stories"
                    },
                    when(Some(r.created_at)),
                    when(r.sent_at),
                    r.attempts,
                    to,
                    r.last_error
                        .map(|e| format!("  last error: {e}"))
                        .unwrap_or_default()
                );
            }
            Ok(0)
        }
    }
}

/// `digest preview`: renders what would be sent now (with the full "why"), claims nothing.
fn preview(
    config: &Config,
    profile: &Option<String>,
    html: Option<&std::path::Path>,
    text: bool,
    clock: &dyn Clock,
) -> anyhow::Result<i32> {
    let store = Store::open(&config.store_path)?;
    for p in profiles(config, profile)? {
        let items = store.digest_candidates(&digest::filter_for(p))?;
        let now = clock.now();
        let problems = store.feed_problems(now.timestamp(), config.silent_after_secs())?;
        let mut cx = digest::render_context(p, digest::settings(config), now, problems);
        // The preview always explains (rules, fields, score).
        cx.explain = true;
        let parts = render::render(&items, &cx);
        eprintln!(
            "profile {}: {} stories in {} message(s)",
            p.name,
            items.len(),
            parts.len()
        );
        for (k, part) in parts.iter().enumerate() {
            let (t, h) = crate::digest::mime::split_parts(&part.message);
            if let Some(file) = html {
                let f = if parts.len() > 1 {
                    numbered(file, k + 1)
                } else {
                    file.to_path_buf()
                };
                std::fs::write(&f, h).with_context(|| format!("writing {}", f.display()))?;
                eprintln!("HTML written to {}", f.display());
            }
            if text || html.is_none() {
                println!("Subject: {}\n\n{t}", part.subject);
            }
        }
    }
    Ok(0)
}

fn numbered(file: &std::path::Path, k: usize) -> PathBuf {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let ext = file
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    file.with_file_name(format!("{stem}-{k}{ext}"))
}

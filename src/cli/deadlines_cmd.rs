//! `chipwatch deadlines [--since DATE] [--ics FILE] [--json]`: the effective dates and comment
//! deadlines of the Federal Register documents in the store, from a date on (default today),
//! as a list, JSON, or an iCalendar file (the same events as the digests' attachments).

use crate::clock::Clock;
use crate::digest::calendar::{Deadline, calendar, deadlines_of};
use anyhow::Context;
use clap::Args;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Args)]
pub struct DeadlinesArgs {
    /// First date to list (YYYY-MM-DD; default: today, UTC). Use an early date for past ones.
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Also write the listed dates as an iCalendar file (RFC 5545) to FILE.
    #[arg(long, value_name = "FILE")]
    pub ics: Option<PathBuf>,
    /// Print the dates as a JSON array.
    #[arg(long)]
    pub json: bool,
}

pub fn run(cli: &super::Cli, a: &DeadlinesArgs, clock: Arc<dyn Clock>) -> anyhow::Result<i32> {
    let config = super::load_config(cli)?;
    let now = clock.now();
    let since = match &a.since {
        Some(s) => chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .with_context(|| format!("--since {s:?}: expected a date as YYYY-MM-DD"))?,
        None => now.date_naive(),
    };
    let store = crate::store::Store::open(&config.store_path)?;
    let since = since.format("%Y-%m-%d").to_string();
    let mut dates: Vec<Deadline> = store
        .fr_documents()?
        .iter()
        .flat_map(|d| deadlines_of(&d.doc, &d.title, &d.source))
        .filter(|d| d.date >= since)
        .collect();
    dates.sort_by(|a, b| {
        (&a.date, &a.document_number, a.kind).cmp(&(&b.date, &b.document_number, b.kind))
    });
    if let Some(file) = &a.ics {
        std::fs::write(file, calendar(&dates, now))
            .with_context(|| format!("writing {}", file.display()))?;
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&dates)?);
    } else if dates.is_empty() {
        println!("no effective dates or comment deadlines on or after {since}");
    } else {
        for d in &dates {
            println!(
                "{}  {:<15} {:<22} {}  ({})",
                d.date,
                d.label(),
                format!(
                    "{} {}",
                    d.type_label,
                    d.citation.as_deref().unwrap_or(&d.document_number)
                ),
                crate::digest::text::one_line(&d.title, 100),
                d.source
            );
        }
    }
    Ok(0)
}

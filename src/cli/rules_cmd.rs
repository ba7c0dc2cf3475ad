//! `chipwatch rules test|eval|backtest`: try rules on a text, measure them on labelled items
//! (in [`super::eval_cmd`]), and compare the current rules with what was matched when entries were stored.

use super::{Cli, load_config};
use crate::clock::Clock;
use crate::rules::{Doc, Field, RuleSet, highlight_markers};
use clap::Subcommand;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Subcommand)]
pub enum RulesCmd {
    /// Show which rules match a text, with scores and highlighted hits.
    Test {
        /// Only this rule (by name; default: all rules).
        #[arg(long, value_name = "NAME")]
        rule: Option<String>,
        /// The entry's title (title hits count double).
        #[arg(long, value_name = "TEXT")]
        title: Option<String>,
        /// The entry's summary.
        #[arg(long, value_name = "TEXT")]
        summary: Option<String>,
        /// Body text (matched as content).
        text: Option<String>,
    },
    /// Precision and recall of the rules on labelled items (JSON lines), per language,
    /// stratum and tag; items are judged on title + summary alone.
    Eval {
        /// Labelled items, one JSON object a line: title, summary, label
        /// ("relevant"/"irrelevant"), and optionally id, language, stratum, tags.
        #[arg(long, value_name = "FILE")]
        labels: PathBuf,
        /// Print one JSON object (scores, per-group scores, false positives/negatives).
        #[arg(long)]
        json: bool,
        /// Explain each missed item: the rules that came closest, the parts of their
        /// queries that failed and the terms that were present.
        #[arg(long)]
        misses: bool,
    },
    /// Run the current rules over stored entries and show what changed.
    Backtest {
        /// How far back to look at stored entries (a duration: "30d", "12h").
        #[arg(long, default_value = "30d", value_name = "DURATION")]
        since: String,
        /// Only this rule (by name; default: all rules).
        #[arg(long, value_name = "NAME")]
        rule: Option<String>,
    },
}

pub fn run(cli: &Cli, cmd: &RulesCmd, clock: Arc<dyn Clock>) -> anyhow::Result<i32> {
    let config = load_config(cli)?;
    for w in &config.rule_warnings {
        eprintln!("{w}");
    }
    match cmd {
        RulesCmd::Test {
            rule,
            title,
            summary,
            text,
        } => test(&config.rules, rule.as_deref(), title, summary, text),
        RulesCmd::Eval {
            labels,
            json,
            misses,
        } => super::eval_cmd::eval(&config.rules, labels, *json, *misses),
        RulesCmd::Backtest { since, rule } => {
            let since = crate::config::units::parse_duration(since)
                .map_err(|m| anyhow::anyhow!("--since: {m}"))?;
            let from = clock.now().timestamp() - since.as_secs() as i64;
            let store = crate::store::Store::open(&config.store_path)?;
            backtest(&config.rules, &store, from, rule.as_deref())
        }
    }
}

fn test(
    rules: &RuleSet,
    only: Option<&str>,
    title: &Option<String>,
    summary: &Option<String>,
    text: &Option<String>,
) -> anyhow::Result<i32> {
    if let Some(r) = only
        && !rules.rules().iter().any(|i| i.name == r)
    {
        anyhow::bail!("no rule named `{r}`");
    }
    let (t, s, c) = (
        title.clone().unwrap_or_default(),
        summary.clone().unwrap_or_default(),
        text.clone().unwrap_or_default(),
    );
    if t.is_empty() && s.is_empty() && c.is_empty() {
        anyhow::bail!("give some text: --title, --summary and/or TEXT");
    }
    let doc = Doc {
        title: &t,
        summary: &s,
        content: &c,
        link: "",
        feed_name: None,
        feed_tags: &[],
    };
    let color = std::io::stdout().is_terminal();
    let (open, close) = if color {
        ("\x1b[1;33m", "\x1b[0m")
    } else {
        ("[[", "]]")
    };
    let infos = rules.rules();
    let matches: Vec<_> = rules
        .match_doc(&doc)
        .into_iter()
        .filter(|m| only.is_none_or(|o| infos.get(m.rule).is_some_and(|i| i.name == o)))
        .collect();
    if matches.is_empty() {
        println!("no rule matches");
        return Ok(1);
    }
    for m in &matches {
        let Some(info) = infos.get(m.rule) else {
            continue;
        };
        let terms: Vec<String> = m
            .hits
            .iter()
            .map(|h| format!("{} ({})", h.term, h.field.as_str()))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        println!(
            "✓ {} — score {} — {:?}: {}",
            info.name,
            m.score,
            info.priority,
            terms.join(", ")
        );
        for (field, text) in [
            (Field::Title, &t),
            (Field::Summary, &s),
            (Field::Content, &c),
        ] {
            let spans: Vec<(usize, usize)> = m
                .hits
                .iter()
                .filter(|h| h.field == field && h.end <= text.len())
                .filter(|h| text.is_char_boundary(h.start) && text.is_char_boundary(h.end))
                .map(|h| crate::rules::whole_words(text, h.start, h.end))
                .collect();
            if !text.is_empty() && !spans.is_empty() {
                println!(
                    "    {}: {}",
                    field.as_str(),
                    highlight_markers(text, &spans, open, close)
                );
            }
        }
    }
    Ok(0)
}

fn backtest(
    rules: &RuleSet,
    store: &crate::store::Store,
    since: i64,
    only: Option<&str>,
) -> anyhow::Result<i32> {
    let infos = rules.rules();
    let (mut gained, mut lost) = (0, 0);
    let checked = store.for_each_entry_since(since, |r| {
        let doc = Doc {
            title: &r.title,
            summary: &r.summary,
            content: &r.content,
            link: r.link.as_deref().unwrap_or(""),
            feed_name: Some(&r.feed_name),
            feed_tags: &r.feed_tags,
        };
        let now: std::collections::BTreeSet<String> = rules
            .match_doc(&doc)
            .iter()
            .filter_map(|m| infos.get(m.rule).map(|i| i.name.clone()))
            .collect();
        let then: std::collections::BTreeSet<String> = r.rules.iter().cloned().collect();
        for n in now
            .difference(&then)
            .filter(|n| only.is_none_or(|o| o == *n))
        {
            gained += 1;
            println!("+ {n}: {} ({})", r.title, r.feed_name);
        }
        for n in then
            .difference(&now)
            .filter(|n| only.is_none_or(|o| o == *n))
        {
            lost += 1;
            println!("- {n}: {} ({})", r.title, r.feed_name);
        }
    })?;
    println!(
        "{checked} entries checked: {gained} would match now and did not, {lost} matched then and would not now"
    );
    Ok(0)
}

//! `chipwatch rules test|eval|backtest`: try rules on a text, measure them on labelled items,
//! and compare the current rules with what was matched when entries were stored.

use super::{Cli, load_config};
use crate::clock::Clock;
use crate::rules::eval::Confusion;
use crate::rules::{Doc, Field, RuleSet, highlight_markers};
use anyhow::Context;
use clap::Subcommand;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Subcommand)]
pub enum RulesCmd {
    /// Show which rules match a text, with scores and highlighted hits.
    Test {
        #[arg(long)]
        rule: Option<String>,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        summary: Option<String>,
        /// Body text (matched as content).
        text: Option<String>,
    },
    /// Precision and recall of the rules on labelled items (JSON lines).
    Eval {
        #[arg(long)]
        labels: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Run the current rules over stored entries and show what changed.
    Backtest {
        #[arg(long, default_value = "30d")]
        since: String,
        #[arg(long)]
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
        RulesCmd::Eval { labels, json } => eval(&config.rules, labels, *json),
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
                .filter(|h| h.field == field)
                .map(|h| (h.start, h.end))
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

#[derive(Debug, Deserialize)]
struct Labelled {
    #[serde(default)]
    id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    language: String,
    label: String,
}

#[derive(Debug, Serialize)]
struct Miss {
    id: String,
    title: String,
    language: String,
    terms: Vec<String>,
}

#[derive(Debug, Serialize)]
struct Scores {
    precision: f64,
    recall: f64,
    f1: f64,
    tp: u64,
    fp: u64,
    #[serde(rename = "fn")]
    fn_: u64,
    tn: u64,
}

fn scores(c: &Confusion) -> Scores {
    Scores {
        precision: c.precision(),
        recall: c.recall(),
        f1: c.f1(),
        tp: c.tp,
        fp: c.fp,
        fn_: c.fn_,
        tn: c.tn,
    }
}

fn eval(rules: &RuleSet, labels: &PathBuf, json: bool) -> anyhow::Result<i32> {
    let text =
        std::fs::read_to_string(labels).with_context(|| format!("reading {}", labels.display()))?;
    let mut all = Confusion::default();
    let mut by_lang: BTreeMap<String, Confusion> = BTreeMap::new();
    let (mut fps, mut fns) = (Vec::new(), Vec::new());
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let item: Labelled = serde_json::from_str(line)
            .with_context(|| format!("{}:{}: bad JSON line", labels.display(), n + 1))?;
        let actual = match item.label.as_str() {
            "relevant" => true,
            "irrelevant" => false,
            other => anyhow::bail!(
                "{}:{}: label {other:?} (expected \"relevant\" or \"irrelevant\")",
                labels.display(),
                n + 1
            ),
        };
        let doc = Doc {
            title: &item.title,
            summary: &item.summary,
            content: "",
            link: "",
            feed_name: None,
            feed_tags: &[],
        };
        let matches = rules.match_doc(&doc);
        let predicted = !matches.is_empty();
        all.add(predicted, actual);
        by_lang
            .entry(item.language.clone())
            .or_default()
            .add(predicted, actual);
        let terms: Vec<String> = matches
            .iter()
            .flat_map(|m| {
                m.hits.iter().map(move |h| {
                    format!(
                        "{}:{}",
                        rules
                            .rules()
                            .get(m.rule)
                            .map(|i| i.name.as_str())
                            .unwrap_or("?"),
                        h.term
                    )
                })
            })
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let miss = Miss {
            id: item.id.clone(),
            title: item.title.clone(),
            language: item.language.clone(),
            terms,
        };
        match (predicted, actual) {
            (true, false) => fps.push(miss),
            (false, true) => fns.push(miss),
            _ => {}
        }
    }
    if json {
        let per_language: BTreeMap<&String, Scores> =
            by_lang.iter().map(|(k, v)| (k, scores(v))).collect();
        let mut v = serde_json::to_value(scores(&all))?;
        if let Some(o) = v.as_object_mut() {
            o.insert("per_language".into(), serde_json::to_value(per_language)?);
            o.insert("false_positives".into(), serde_json::to_value(&fps)?);
            o.insert("false_negatives".into(), serde_json::to_value(&fns)?);
        }
        println!("{v}");
        return Ok(0);
    }
    let line = |name: &str, c: &Confusion| {
        println!(
            "{name:<10} precision {:.3}  recall {:.3}  F1 {:.3}   (tp {} fp {} fn {} tn {})",
            c.precision(),
            c.recall(),
            c.f1(),
            c.tp,
            c.fp,
            c.fn_,
            c.tn
        )
    };
    line("overall", &all);
    for (k, c) in &by_lang {
        line(if k.is_empty() { "?" } else { k }, c);
    }
    for (title, list) in [("false positives", &fps), ("false negatives", &fns)] {
        if !list.is_empty() {
            println!("\n{title} ({}):", list.len());
            for m in list {
                println!(
                    "  {} [{}] {}{}",
                    m.id,
                    m.language,
                    m.title,
                    if m.terms.is_empty() {
                        String::new()
                    } else {
                        format!("  — {}", m.terms.join(", "))
                    }
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

//! `chipwatch rules eval`: precision and recall of the rules on labelled items (JSON lines:
//! `title`, `summary`, `label`, optional `id`, `language`, `stratum`, `tags`), broken down per
//! language, stratum and tag and by headline-only vs. with summary; `--misses` explains each
//! miss with the rules that came closest. Items are judged on title + summary alone (no feed,
//! no tags of a feed, no link), as a rule pack must work on any source.

use crate::rules::eval::Confusion;
use crate::rules::{Doc, NearMiss, RuleSet};
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Near misses shown per missed item with `--misses`.
const NEAREST: usize = 2;

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
    #[serde(default)]
    stratum: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
}

#[derive(Debug, Serialize)]
struct Nearest {
    rule: String,
    /// Top-level AND parts that held / all parts.
    parts_held: String,
    missing: Vec<String>,
    present: Vec<String>,
}

#[derive(Debug, Serialize)]
struct Miss {
    id: String,
    title: String,
    language: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    stratum: Option<String>,
    /// For a false positive: `rule:term` of what matched; for a miss: positive terms present.
    terms: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    nearest: Vec<Nearest>,
}

#[derive(Debug, Serialize)]
struct Scores {
    items: u64,
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
        items: c.total(),
        precision: c.precision(),
        recall: c.recall(),
        f1: c.f1(),
        tp: c.tp,
        fp: c.fp,
        fn_: c.fn_,
        tn: c.tn,
    }
}

/// Confusion counts overall and per group.
#[derive(Default)]
struct Tally {
    all: Confusion,
    language: BTreeMap<String, Confusion>,
    stratum: BTreeMap<String, Confusion>,
    tag: BTreeMap<String, Confusion>,
    form: BTreeMap<String, Confusion>,
    fps: Vec<Miss>,
    fns: Vec<Miss>,
}

fn nearest(rules: &RuleSet, near: Vec<NearMiss>) -> Vec<Nearest> {
    near.into_iter()
        .take(NEAREST)
        .map(|m| Nearest {
            rule: rules
                .rules()
                .get(m.rule)
                .map_or_else(|| "?".to_owned(), |i| i.name.clone()),
            parts_held: format!("{}/{}", m.satisfied, m.parts),
            missing: m.missing,
            present: m.present,
        })
        .collect()
}

fn judge(rules: &RuleSet, item: Labelled, actual: bool, misses: bool, t: &mut Tally) {
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
    t.all.add(predicted, actual);
    let lang = if item.language.is_empty() {
        "?"
    } else {
        &item.language
    };
    let form = if item.summary.trim().is_empty() {
        "headline-only"
    } else {
        "with summary"
    };
    let groups = [
        (&mut t.language, Some(lang)),
        (&mut t.stratum, item.stratum.as_deref()),
        (&mut t.form, Some(form)),
    ];
    for (map, key) in groups {
        if let Some(k) = key {
            map.entry(k.to_owned()).or_default().add(predicted, actual);
        }
    }
    for tag in item.tags.iter().collect::<BTreeSet<_>>() {
        t.tag.entry(tag.clone()).or_default().add(predicted, actual);
    }
    if predicted == actual {
        return;
    }
    let name = |r: usize| rules.rules().get(r).map_or("?", |i| i.name.as_str());
    let (terms, near) = if predicted {
        let terms = matches
            .iter()
            .flat_map(|m| {
                m.hits
                    .iter()
                    .map(move |h| format!("{}:{}", name(m.rule), h.term))
            })
            .collect::<BTreeSet<_>>();
        (terms, Vec::new())
    } else {
        let near = rules.near_misses(&doc);
        let terms = near
            .iter()
            .flat_map(|m| m.present.iter().cloned())
            .collect();
        let near = if misses {
            nearest(rules, near)
        } else {
            Vec::new()
        };
        (terms, near)
    };
    let miss = Miss {
        id: item.id,
        title: item.title,
        language: item.language,
        stratum: item.stratum,
        terms: terms.into_iter().collect(),
        nearest: near,
    };
    if predicted {
        t.fps.push(miss);
    } else {
        t.fns.push(miss);
    }
}

pub fn eval(rules: &RuleSet, labels: &Path, json: bool, misses: bool) -> anyhow::Result<i32> {
    let text =
        std::fs::read_to_string(labels).with_context(|| format!("reading {}", labels.display()))?;
    let mut t = Tally::default();
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
        judge(rules, item, actual, misses, &mut t);
    }
    if json {
        print_json(&t)?;
    } else {
        print_text(&t, misses);
    }
    Ok(0)
}

fn print_json(t: &Tally) -> anyhow::Result<()> {
    let per = |m: &BTreeMap<String, Confusion>| -> BTreeMap<String, Scores> {
        m.iter().map(|(k, v)| (k.clone(), scores(v))).collect()
    };
    let mut v = serde_json::to_value(scores(&t.all))?;
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "per_language".into(),
            serde_json::to_value(per(&t.language))?,
        );
        o.insert("per_form".into(), serde_json::to_value(per(&t.form))?);
        if !t.stratum.is_empty() {
            o.insert("per_stratum".into(), serde_json::to_value(per(&t.stratum))?);
        }
        if !t.tag.is_empty() {
            o.insert("per_tag".into(), serde_json::to_value(per(&t.tag))?);
        }
        o.insert("false_positives".into(), serde_json::to_value(&t.fps)?);
        o.insert("false_negatives".into(), serde_json::to_value(&t.fns)?);
    }
    println!("{v}");
    Ok(())
}

fn group_line(name: &str, c: &Confusion) {
    let rel = c.tp + c.fn_;
    let irr = c.fp + c.tn;
    let mut s = format!("  {name:<20} {:>4} items", c.total());
    if rel > 0 {
        s.push_str(&format!("  recall {:.3} ({}/{rel})", c.recall(), c.tp));
    }
    if irr > 0 {
        s.push_str(&format!("  false alarms {}/{irr}", c.fp));
    }
    if c.tp + c.fp > 0 {
        s.push_str(&format!("  precision {:.3}", c.precision()));
    }
    println!("{s}");
}

fn print_text(t: &Tally, misses: bool) {
    let c = &t.all;
    println!(
        "overall    precision {:.3}  recall {:.3}  F1 {:.3}   (tp {} fp {} fn {} tn {})",
        c.precision(),
        c.recall(),
        c.f1(),
        c.tp,
        c.fp,
        c.fn_,
        c.tn
    );
    let groups = [
        ("language", &t.language),
        ("form", &t.form),
        ("stratum", &t.stratum),
        ("tag", &t.tag),
    ];
    for (title, map) in groups {
        if map.is_empty() {
            continue;
        }
        println!("by {title}:");
        for (k, c) in map {
            group_line(k, c);
        }
    }
    for (title, list) in [("false positives", &t.fps), ("false negatives", &t.fns)] {
        if list.is_empty() {
            continue;
        }
        println!("\n{title} ({}):", list.len());
        for m in list {
            let terms = if m.terms.is_empty() || (misses && !m.nearest.is_empty()) {
                String::new()
            } else {
                format!("  — {}", m.terms.join(", "))
            };
            println!("  {} [{}] {}{terms}", m.id, m.language, m.title);
            if misses && title == "false negatives" && m.nearest.is_empty() {
                println!("      no rule has a term in it");
            }
            for n in &m.nearest {
                println!(
                    "      nearest: {} ({} parts held); missing: {}",
                    n.rule,
                    n.parts_held,
                    n.missing.join("; ")
                );
                println!("               present: {}", n.present.join(", "));
            }
        }
    }
}

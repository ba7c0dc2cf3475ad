//! The shipped rule pack: table cases (tests/data/rules-cases.toml) and precision/recall on the
//! labelled sets (our own tests/data/relevance-extra.jsonl, and ../shared's dev set), through
//! the `rules eval --json` command users run.

use crate::util::{Env, shared};
use chipwatch::config::{Config, ConfigSource};
use chipwatch::rules::Doc;

#[derive(serde::Deserialize)]
struct Cases {
    case: Vec<Case>,
}

#[derive(serde::Deserialize)]
struct Case {
    title: String,
    #[serde(default)]
    summary: String,
    expect: bool,
    #[serde(default)]
    note: String,
}

#[test]
fn pack_cases() {
    let config = Config::load(&ConfigSource::Embedded).unwrap();
    assert!(
        config.rule_warnings.is_empty(),
        "the shipped pack has warnings: {:?}",
        config.rule_warnings
    );
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/rules-cases.toml"
    ))
    .unwrap();
    let cases: Cases = toml::from_str(&text).unwrap();
    assert!(cases.case.len() >= 40);
    let mut wrong = Vec::new();
    for c in &cases.case {
        let doc = Doc {
            title: &c.title,
            summary: &c.summary,
            content: "",
            link: "",
            feed_name: None,
            feed_tags: &[],
        };
        let got = !config.rules.match_doc(&doc).is_empty();
        if got != c.expect {
            wrong.push(format!(
                "expected {} for {:?} ({})",
                c.expect, c.title, c.note
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

fn eval(env: &Env, labels: &std::path::Path) -> serde_json::Value {
    let out = env.run(
        "",
        &[
            "rules",
            "eval",
            "--json",
            "--labels",
            labels.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn pack_precision_and_recall() {
    let env = Env::new();
    let own =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/relevance-extra.jsonl");
    let r = eval(&env, &own);
    let (p, rc) = (
        r["precision"].as_f64().unwrap(),
        r["recall"].as_f64().unwrap(),
    );
    assert!(
        p >= 0.95 && rc >= 0.90,
        "own labelled set: precision {p}, recall {rc}: {r}"
    );
    assert!(r["tp"].as_u64().unwrap() + r["fn"].as_u64().unwrap() >= 60);
    if let Some(dev) = shared("corpus/relevance-dev.jsonl") {
        let r = eval(&env, &dev);
        let (p, rc) = (
            r["precision"].as_f64().unwrap(),
            r["recall"].as_f64().unwrap(),
        );
        assert!(
            p >= 0.95 && rc >= 0.90,
            "dev set: precision {p}, recall {rc}: {r}"
        );
    }
}

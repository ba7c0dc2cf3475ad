//! The differential test of issue 12: tests/feedparser_diff.py runs feedparser (the Python
//! reference parser) over ../shared/corpus/feeds and compares with `chipwatch feeds inspect
//! --json`; this test holds chipwatch to the bars. The Python comes from
//! CHIPWATCH_FEEDPARSER_PYTHON (`.ci/run` makes a venv with a pinned feedparser), else
//! `python3`. With CI=true a missing Python, feedparser or corpus fails the test.

use crate::util::shared;
use std::path::Path;
use std::process::Command;

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

#[test]
fn shared_corpus_chipwatch_finds_what_feedparser_finds() {
    let Some(corpus) = shared("corpus/feeds") else {
        return;
    };
    let python =
        std::env::var("CHIPWATCH_FEEDPARSER_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let has_feedparser = Command::new(&python)
        .args(["-c", "import feedparser"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_feedparser {
        assert!(
            !ci(),
            "{python} cannot import feedparser; set CHIPWATCH_FEEDPARSER_PYTHON (see .ci/run)"
        );
        eprintln!("skipping: {python} has no feedparser");
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/feedparser_diff.py");
    let out = Command::new(&python)
        .arg(&script)
        .arg(env!("CARGO_BIN_EXE_chipwatch"))
        .arg(&corpus)
        .arg("--json")
        .output()
        .expect("run feedparser_diff.py");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "feedparser_diff.py failed: {stderr}");
    let m: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON from the script");
    eprintln!("{}", serde_json::to_string_pretty(&m).unwrap_or_default());
    let f = |k: &str| m[k].as_f64().unwrap_or(0.0);
    let len = |k: &str| m[k].as_array().map_or(0, Vec::len);
    assert!(f("documents") >= 300.0, "too few documents: {m}");
    assert_eq!(len("panics"), 0, "panics: {}", m["panics"]);
    assert!(f("entries_pct") >= 99.5, "entries {}", m["entries_pct"]);
    assert_eq!(len("empty_documents"), 0, "empty: {}", m["empty_documents"]);
    assert!(f("dates_pct") >= 99.0, "dates {}", m["dates_pct"]);
    assert!(f("titles_pct") >= 95.0, "titles {}", m["titles_pct"]);
    assert!(
        f("legacy_same") >= 0.9 * f("legacy_total"),
        "legacy encodings {} of {}: {}",
        m["legacy_same"],
        m["legacy_total"],
        m["legacy_different"]
    );
    assert_eq!(
        len("worse_than_feedparser"),
        0,
        "worse than feedparser and not on the script's allow-list: {}",
        m["worse_than_feedparser"]
    );
    assert!(
        f("json_feed_ok") >= 18.0,
        "JSON Feed {}: {}",
        m["json_feed_ok"],
        m["json_feed_failed"]
    );
}

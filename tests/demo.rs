//! The offline demo of the README: `run --once --digest-now --config config/demo.toml` reads
//! the shipped sample feeds and writes one digest .eml with the relevant stories only.

use crate::util::{Env, decoded};

#[test]
fn demo_writes_a_digest_with_relevant_stories_only() {
    let env = Env::new();
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo.toml");
    let demo = demo.to_str().unwrap();
    let out = env.run("", &["--config", demo, "run", "--once", "--digest-now"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let emls = env.emls("chipwatch-state/demo-outbox");
    assert_eq!(emls.len(), 1, "one digest file expected");
    let body = decoded(&emls[0]);
    let text = body.split("<!DOCTYPE html>").next().unwrap_or("");
    for wanted in ["Entity List", "H20", "ASML", "METI"] {
        assert!(text.contains(wanted), "digest lacks {wanted}: {text}");
    }
    assert!(
        text.contains('镓') || text.contains("稀土"),
        "the GB2312 sample must come through decoded: {text}"
    );
    for unwanted in [
        "potato",
        "Blue-chip",
        "CSV",
        "rice export",
        "crude oil",
        "Laptop makers",
    ] {
        assert!(
            !text.contains(unwanted),
            "digest must not contain {unwanted:?}: {text}"
        );
    }
    // The story carried by two sample feeds is shown once.
    assert_eq!(
        text.matches("* Commerce adds 14 Chinese chip firms to the Entity List")
            .count(),
        1,
        "{text}"
    );
    // Second run: nothing new, no second file.
    let out = env.run("", &["--config", demo, "run", "--once", "--digest-now"]);
    assert!(out.status.success());
    assert_eq!(env.emls("chipwatch-state/demo-outbox").len(), 1);
}

#[test]
fn demo_works_with_a_relative_config_path() {
    let state = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_chipwatch"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("STATE_DIRECTORY", state.path())
        .env("RUST_LOG", "warn")
        .args(["run", "--once", "--json", "--config", "config/demo.toml"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (s["http_200"].as_i64(), s["errors"].as_i64()),
        (Some(4), Some(0)),
        "{s}"
    );
}

//! Helpers for the integration tests: run the binary in a temp dir with a config, read the
//! JSON summary, read .eml files.

use std::path::{Path, PathBuf};
use std::process::Output;

pub struct Env {
    pub dir: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Env {
        Env {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).expect("mkdir");
        }
        std::fs::write(&p, text).expect("write");
        p
    }
    /// `chipwatch --config <config> ARGS` with the temp dir as working directory, not started.
    pub fn command(&self, config: &str, args: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_chipwatch"));
        cmd.current_dir(self.path())
            .env_remove("STATE_DIRECTORY")
            .env_remove("CHIPWATCH_CONFIG")
            .env("RUST_LOG", "warn");
        if !config.is_empty() {
            cmd.arg("--config").arg(self.path().join(config));
        }
        cmd.args(args);
        cmd
    }
    /// Runs `chipwatch --config <config> ARGS` with the temp dir as working directory.
    pub fn run(&self, config: &str, args: &[&str]) -> Output {
        self.command(config, args).output().expect("run chipwatch")
    }
    /// `run --once --json …` → parsed summary; panics with stderr on failure.
    pub fn once(&self, config: &str, extra: &[&str]) -> serde_json::Value {
        let mut args = vec!["run", "--once", "--json"];
        args.extend_from_slice(extra);
        let out = self.run(config, &args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "chipwatch failed: {stderr}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        serde_json::from_str(stdout.trim())
            .unwrap_or_else(|e| panic!("bad JSON {stdout:?}: {e}; stderr: {stderr}"))
    }
    /// `feeds status --json` as a list of rows.
    pub fn feed_status(&self, config: &str) -> Vec<serde_json::Value> {
        let out = self.run(config, &["feeds", "status", "--json"]);
        let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("status json");
        rows.as_array().expect("array").clone()
    }
    pub fn emls(&self, dir: &str) -> Vec<String> {
        let d = self.path().join(dir);
        let mut v: Vec<_> = std::fs::read_dir(&d)
            .map(|r| {
                r.filter_map(|e| e.ok())
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v.iter()
            .map(|p| String::from_utf8_lossy(&std::fs::read(p).expect("read eml")).into_owned())
            .collect()
    }
}

pub fn n(v: &serde_json::Value, k: &str) -> i64 {
    v[k].as_i64().unwrap_or_else(|| panic!("no {k} in {v}"))
}

/// The decoded text part followed by the HTML part of a message, for searching.
pub fn decoded(message: &str) -> String {
    let (text, html) = chipwatch::digest::mime::split_parts(message.as_bytes());
    format!("{text}\n{html}")
}

/// Path of the shared corpus, or None when it is absent locally (fails under CI=true). Tests
/// that need it have `shared` in their name, so a skip is visible in the `test … ok` line.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("shared")
        .join(rel);
    if p.exists() {
        return Some(p);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("../shared/{rel} is missing, and CI=true requires it");
    }
    eprintln!(
        "SKIPPED: needs ../shared/{rel}, which is not present (with CI=true this test fails instead)"
    );
    None
}

/// The status row of the feed whose URL ends with `suffix`.
pub fn status_row<'a>(rows: &'a [serde_json::Value], suffix: &str) -> &'a serde_json::Value {
    rows.iter()
        .find(|r| r["url"].as_str().is_some_and(|u| u.ends_with(suffix)))
        .unwrap_or_else(|| panic!("no row {suffix}"))
}

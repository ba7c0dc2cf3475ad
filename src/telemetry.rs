//! Logging: tracing-subscriber with `RUST_LOG`-style filtering (default `info`), human text or
//! JSON lines on stderr; under journald (`JOURNAL_STREAM` set) no timestamps or colours, since
//! the journal adds its own. Libraries that would log secrets are kept quiet (see [`QUIET`]).
//! Machine-readable command output goes to stdout, never here.

use tracing_subscriber::EnvFilter;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Libraries whose debug and trace output carries secrets (lettre: the SMTP conversation with
/// `AUTH PLAIN <base64>`; reqwest, hyper, h2: request addresses with their tokens and headers).
/// They log at `warn` at most, whatever RUST_LOG says; chipwatch's own events say what they do.
const QUIET: &[&str] = &[
    "lettre=off",
    "reqwest=warn",
    "hyper=warn",
    "hyper_util=warn",
    "h2=warn",
    "rustls=warn",
    "tower_http=warn",
];

/// The filter: RUST_LOG (or `default_level`), with [`QUIET`] on top.
pub fn filter(default_level: &str) -> EnvFilter {
    let mut filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    for q in QUIET {
        if let Ok(d) = q.parse() {
            filter = filter.add_directive(d);
        }
    }
    filter
}

/// Installs the global subscriber. `default_level` applies when RUST_LOG is unset.
pub fn init(format: LogFormat, default_level: &str) {
    let filter = filter(default_level);
    let journald = std::env::var_os("JOURNAL_STREAM").is_some();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    let _ = match (format, journald) {
        (LogFormat::Json, _) => builder.json().flatten_event(true).try_init(),
        (LogFormat::Text, true) => builder.without_time().with_ansi(false).try_init(),
        (LogFormat::Text, false) => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init(),
    };
}

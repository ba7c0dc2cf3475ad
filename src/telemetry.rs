//! Logging: tracing-subscriber with `RUST_LOG`-style filtering (default `info`), human text or
//! JSON lines on stderr; under journald (`JOURNAL_STREAM` set) no timestamps or colours, since
//! the journal adds its own, and each line starts with its syslog priority (`<3>` error, `<4>`
//! warning, `<6>` info, `<7>` debug), which journald reads, so `journalctl -p warning` works.
//! Libraries that would log secrets are kept quiet (see [`QUIET`]). Machine-readable command
//! output goes to stdout, never here.

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::FmtContext;
use tracing_subscriber::fmt::format::{self, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

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

/// Whether stderr goes to the journal (systemd sets `JOURNAL_STREAM` for its services).
fn under_journald() -> bool {
    std::env::var_os("JOURNAL_STREAM").is_some()
}

/// The syslog priority journald reads from a `<N>` line prefix.
fn priority(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        _ => 7,
    }
}

/// A text format with the `<N>` priority prefix in front of each event.
struct Prefixed<F>(F);

impl<S, N, F> FormatEvent<S, N> for Prefixed<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: format::Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        write!(writer, "<{}>", priority(event.metadata().level()))?;
        self.0.format_event(ctx, writer, event)
    }
}

/// Prints `warning: …` on stderr (with the journald priority prefix under systemd): for
/// configuration warnings at start-up, which read the same as in `check-config`.
pub fn warning_line(w: &str) {
    if under_journald() {
        eprintln!("<{}>warning: {w}", priority(&Level::WARN));
    } else {
        eprintln!("warning: {w}");
    }
}

/// Installs the global subscriber. `default_level` applies when RUST_LOG is unset.
pub fn init(format: LogFormat, default_level: &str) {
    let filter = filter(default_level);
    let journald = under_journald();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    let _ = match (format, journald) {
        (LogFormat::Json, _) => builder.json().flatten_event(true).try_init(),
        (LogFormat::Text, true) => builder
            .with_ansi(false)
            .event_format(Prefixed(
                format::format()
                    .without_time()
                    .with_target(false)
                    .with_ansi(false),
            ))
            .try_init(),
        (LogFormat::Text, false) => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init(),
    };
}

//! chipwatch: watches news feeds for semiconductor export-policy news and emails digests.
//!
//! Crate map (calls go one way, top to bottom):
//! - [`config`]: the TOML configuration (plus rule packs and OPML) → validated [`config::Config`].
//! - [`clock`]: the only place that reads the wall clock; tests pass a fixed clock.
//! - [`model`]: plain data shared by the stages (feeds, entries, matches, stories).
//! - [`parse`]: pure: feed bytes → entries (encodings, old formats and repairs, identity keys,
//!   canonical links, plain text, relayed outlets) and a verdict on items that were not read.
//! - [`rules`]: pure: the rule language, one automaton for all terms, explanations.
//! - [`fetch`]: the only HTTP code: conditional GET with limits → [`fetch::FetchOutcome`].
//! - [`store`]: the only SQL: one [`store::Store`] type owning the SQLite connection.
//! - [`poller`]: one feed refresh: fetch → parse → match → store.
//! - [`scheduler`]: which feeds are due, concurrency limits, intervals and backoff.
//! - [`digest`]: schedules, claiming matches into digests, rendering HTML + text.
//! - [`mailer`]: transports (SMTP, sendmail, .eml files).
//! - [`metrics`] / [`server`]: Prometheus counters and the optional /healthz + /metrics endpoint.
//! - [`app`]: wires everything for `run`; [`cli`] holds the subcommands; [`telemetry`] logging.

pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod daemon;
pub mod digest;
pub mod fetch;
pub mod mailer;
pub mod metrics;
pub mod model;
pub mod opml;
pub mod parse;
pub mod poller;
pub mod redact;
pub mod rules;
pub mod scheduler;
pub mod server;
pub mod store;
pub mod story;
pub mod telemetry;

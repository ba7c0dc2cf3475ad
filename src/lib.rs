//! chipwatch: watches news feeds for semiconductor export-policy news and emails digests.
//!
//! Crate map (calls go one way, top to bottom; `python3 benches/import_graph.py` checks that
//! no file-level circle exists):
//! - [`config`]: the TOML configuration (plus rule packs, OPML, digest schedules) → validated
//!   [`config::Config`]; every number range-checked. All problems of one load are collected in a
//!   [`config::diag::Report`] (`file:line:col: what — hint`, "did you mean"), with warnings for
//!   contradictory settings; new config tables push their errors into it through `Ctx`.
//! - [`clock`]: the only place that reads the wall clock (clippy's `disallowed-methods` holds
//!   the rest of the crate to it); tests pass a fixed clock.
//! - [`model`]: plain data shared by the stages (sources and their kinds, entries with their
//!   structured metadata, matches, stories, screening-list snapshots).
//! - [`cause`]: the innermost cause of an error chain, as the text a user reads.
//! - [`redact`]: secrets in addresses masked before they reach a log, status line or digest.
//! - [`parse`]: pure: feed bytes → entries (encodings, old formats and repairs, identity keys,
//!   canonical links, plain text, relayed outlets) and a verdict on items that were not read.
//! - [`rules`]: pure: the rule language, one automaton for all terms, explanations.
//! - [`story`]: pure: near-duplicate signatures and the same-story decision.
//! - [`opml`]: OPML lists in and out (http/https feeds only).
//! - [`fetch`]: the only HTTP code: conditional GET with limits, redirects under our address
//!   rules, a memory budget for bodies → [`fetch::FetchOutcome`].
//! - [`store`]: the only SQL: one [`store::Store`] type owning the SQLite connection.
//! - [`source`]: pure: source kinds turn a fetched body into entries — a feed (via [`parse`]), a
//!   Federal Register API page, a screening-list snapshot diffed with the previous one.
//! - [`poller`]: one refresh of a source: fetch → read (its kind) → match → store.
//! - [`scheduler`]: concurrency limits, intervals and backoff.
//! - [`digest`]: claiming matches into digests and alerts, laying them out by topic, rendering
//!   them for mail (HTML + text) and chat (Slack, Matrix, Telegram, ntfy, webhook JSON), and the
//!   outbox that sends every kind with the same retries, idempotency keys and dead letters.
//! - [`channel`]: the ways out — mail (via [`mailer`]) and the `[[channel]]` HTTP requests
//!   (idempotency keys, webhook signatures, tokens), classifying each answer.
//! - [`mailer`]: transports (SMTP, sendmail, Maildir, .eml files).
//! - [`crypto`]: leaf helpers: the FNV-1a identity hash, the rustls provider, HMAC-SHA256.
//! - [`metrics`] / [`server`]: Prometheus counters and the optional /healthz + /metrics endpoint.
//! - [`app`]: wires everything for `run`; [`daemon`] is the long-running loop; [`cli`] holds the
//!   subcommands (including `init` and `mail test`); [`telemetry`] logging (journald priorities);
//!   [`words`] counted nouns ("1 feed", "2 feeds").

pub mod app;
pub mod cause;
pub mod channel;
pub mod cli;
pub mod clock;
pub mod config;
pub mod crypto;
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
pub mod source;
pub mod store;
pub mod story;
pub mod telemetry;
pub mod words;

//! Configuration: finds the file (`--config`, `$CHIPWATCH_CONFIG`, else the embedded default),
//! reads it with its rule packs and OPML, validates everything and returns a [`Config`].
//! Every error names the file, line and column. Called by `cli` and `app` (also on SIGHUP).

pub mod channels;
pub mod diag;
mod feeds;
mod files;
mod mail;
mod raw;
pub mod regulatory;
mod resolve;
pub mod schedule;
mod schema;
mod sections;
pub mod units;

use crate::config::schedule::Schedule;
use crate::model::FeedSpec;
use crate::rules::{RuleSet, Warning};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub use resolve::load_from_str;

/// Files compiled into the binary: the shipped configuration and what it includes.
pub const EMBEDDED: &[(&str, &str)] = &[
    (
        "chipwatch.toml",
        include_str!("../../config/chipwatch.toml"),
    ),
    ("feeds.opml", include_str!("../../config/feeds.opml")),
    (
        "rules/semiconductor-export.toml",
        include_str!("../../config/rules/semiconductor-export.toml"),
    ),
];

/// A configuration problem, with where it is.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{location}: {message}")]
    Invalid { location: String, message: String },
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
    Rules(Vec<crate::rules::RuleError>),
    /// Several problems, in the order found (`check-config` shows them all).
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
    Many(Vec<ConfigError>),
}

impl ConfigError {
    /// Each problem on its own (a rule error may span several lines, with its caret).
    pub fn problems(&self) -> Vec<String> {
        match self {
            Self::Many(list) => list.iter().flat_map(|e| e.problems()).collect(),
            Self::Rules(list) => list.iter().map(|e| e.to_string()).collect(),
            other => vec![other.to_string()],
        }
    }
}

/// Where the configuration came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    File(PathBuf),
    Embedded,
}

impl ConfigSource {
    /// The file given by `--config` (clap also reads it from `$CHIPWATCH_CONFIG`), else the
    /// embedded default.
    pub fn locate(cli: Option<&Path>) -> Self {
        match cli {
            Some(p) if !p.as_os_str().is_empty() => Self::File(p.to_path_buf()),
            _ => Self::Embedded,
        }
    }
    pub fn describe(&self) -> String {
        match self {
            Self::File(p) => p.display().to_string(),
            Self::Embedded => "(embedded default config/chipwatch.toml)".into(),
        }
    }
}

/// First-poll behaviour: how old an entry may be and still be reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backfill {
    All,
    Within(Duration),
}

#[derive(Debug, Clone)]
pub struct PollPolicy {
    pub default_interval: Duration,
    pub min_interval: Duration,
    pub max_interval: Duration,
}

#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub concurrency: usize,
    pub per_host_concurrency: usize,
    /// Optional per-host request rate: at least this long between request starts.
    pub per_host_interval: Option<Duration>,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub user_agent: String,
    pub max_body: u64,
    pub proxy: Option<String>,
    /// Redirects and discovered feeds may reach loopback/link-local/private ranges.
    pub allow_private: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tls {
    Starttls,
    Tls,
    None,
}

/// A secret that never shows in `Debug` output or logs.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(pub String);
impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: Tls,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub timeout: Duration,
}

#[derive(Debug, Clone)]
pub enum Transport {
    File {
        dir: PathBuf,
    },
    /// A Maildir (`tmp/`, `new/`, `cur/`) that a local mail client or IMAP server reads.
    Maildir {
        dir: PathBuf,
    },
    Smtp(SmtpConfig),
    Sendmail {
        command: Option<String>,
    },
}

#[derive(Debug, Clone)]
pub struct MailConfig {
    pub from: String,
    pub transport: Transport,
    pub unsubscribe: Option<String>,
}

/// One `[[digest]]` profile.
#[derive(Debug, Clone)]
pub struct DigestProfile {
    pub name: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
    pub schedule: Schedule,
    /// Rule names included (empty = all digest/alert rules).
    pub rules: Vec<String>,
    /// Feed tags included (empty = all feeds).
    pub tags: Vec<String>,
    pub min_score: f64,
    pub max_stories: Option<usize>,
    pub send_empty: bool,
    pub subject: String,
    /// Immediate alerts for `priority = "alert"` rules.
    pub alerts: bool,
    pub alerts_per_hour: u32,
    pub quiet_hours: Option<crate::config::schedule::QuietHours>,
    pub repeat_alerts: bool,
    /// `[[channel]]` names this profile also (or only) delivers to.
    pub channels: Vec<String>,
    /// Full "why" detail (rules, fields, score) under every story.
    pub explain: bool,
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub source: ConfigSource,
    pub state_dir: PathBuf,
    pub store_path: PathBuf,
    /// Retention period (`[store] keep_days`).
    pub keep: Option<Duration>,
    pub feeds: Vec<FeedSpec>,
    /// The OPML file named by `[feeds] opml` (None with the embedded config or without one).
    pub opml_path: Option<PathBuf>,
    pub backfill: Backfill,
    /// `[feeds] silent_after`: the shortest silence reported as a problem (None = "off").
    pub silent_after: Option<Duration>,
    pub poll: PollPolicy,
    pub http: HttpConfig,
    pub mail: MailConfig,
    pub rules: Arc<RuleSet>,
    pub rule_warnings: Vec<String>,
    pub rule_pack_version: Option<String>,
    pub digests: Vec<DigestProfile>,
    /// `[[channel]]` destinations.
    pub channels: Vec<channels::ChannelConfig>,
    /// `[server]`: the /healthz and /metrics endpoint, if enabled.
    pub server: Option<ServerSettings>,
    /// Settings that contradict each other, as `file:line:col: what — fix` (shown as
    /// `warning: …` by `check-config` and at start-up).
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub listen: std::net::SocketAddr,
    /// /healthz fails when the scheduler loop has not reported for this long.
    pub max_scheduler_age: Duration,
    /// Networks whose clients may read /healthz and /metrics.
    pub allow: Vec<ipnet::IpNet>,
}

/// The default `[server] allow`: this machine only.
pub fn loopback_only() -> Vec<ipnet::IpNet> {
    ["127.0.0.0/8", "::1/128"]
        .iter()
        .filter_map(|n| n.parse().ok())
        .collect()
}

/// `[server] allow`: CIDR networks (a bare address is one host); default loopback only.
fn server_allow(
    cx: &files::Ctx,
    allow: Option<&[toml::Spanned<String>]>,
) -> Result<Vec<ipnet::IpNet>, ConfigError> {
    let Some(list) = allow else {
        return Ok(loopback_only());
    };
    list.iter()
        .map(|s| {
            let t = s.get_ref().trim();
            t.parse::<ipnet::IpNet>()
                .or_else(|_| t.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    cx.err(
                        s,
                        format!(
                            "[server] allow: {t:?} is not a network (expected e.g. \"127.0.0.1/32\", \"10.0.0.0/8\", \"::1/128\")"
                        ),
                    )
                })
        })
        .collect()
}

impl Config {
    /// Loads and validates the configuration from `source`.
    pub fn load(source: &ConfigSource) -> Result<Config, ConfigError> {
        let state_dir = default_state_dir();
        match source {
            ConfigSource::Embedded => {
                let text = EMBEDDED[0].1;
                resolve::load_from_str(text, None, source.clone(), state_dir)
            }
            ConfigSource::File(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| ConfigError::Read {
                    path: p.display().to_string(),
                    source: e,
                })?;
                resolve::load_from_str(&text, Some(p), source.clone(), state_dir)
            }
        }
    }

    /// `[feeds] silent_after` in seconds, as the store takes it (None: "off").
    pub fn silent_after_secs(&self) -> Option<i64> {
        self.silent_after
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    }

    /// Names of the rules that exist (for validation of profile filters, CLI `--rule`).
    pub fn rule_names(&self) -> Vec<String> {
        self.rules.rules().iter().map(|r| r.name.clone()).collect()
    }
}

/// `p` made absolute against the working directory, `..` and `.` removed (lexically).
pub fn absolute(p: &Path) -> PathBuf {
    files::normalize(&std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()))
}

/// `$STATE_DIRECTORY` (set by systemd's `StateDirectory=`), else `./chipwatch-state`.
pub fn default_state_dir() -> PathBuf {
    match std::env::var("STATE_DIRECTORY") {
        Ok(s) if !s.is_empty() => PathBuf::from(s.split(':').next().unwrap_or(&s)),
        _ => PathBuf::from("chipwatch-state"),
    }
}

/// Formats a rule warning for `check-config` and logs.
pub fn format_warning(w: &Warning) -> String {
    w.to_string()
}

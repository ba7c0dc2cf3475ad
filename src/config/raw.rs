//! The configuration file as written: serde structs with `deny_unknown_fields`, so a typo is
//! an error with its line (`schema::decode` reports all of them, with "did you mean").
//! `Spanned` values keep their position for validation messages. Only `config::load` reads
//! these; everything else sees the validated `Config`.

use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub store: Option<RawStore>,
    pub feeds: Option<RawFeeds>,
    #[serde(default)]
    pub feed: Vec<RawFeed>,
    pub http: Option<RawHttp>,
    pub mail: Option<RawMail>,
    pub smtp: Option<RawSmtp>,
    pub rules: Option<RawRules>,
    #[serde(default)]
    pub terms: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub rule: Vec<RawRule>,
    #[serde(default)]
    pub digest: Vec<RawDigest>,
    #[serde(default)]
    pub channel: Vec<super::channels::RawChannel>,
    pub server: Option<RawServer>,
    #[serde(default)]
    pub federal_register: Vec<super::regulatory::RawFederalRegister>,
    #[serde(default)]
    pub screening_list: Vec<super::regulatory::RawScreeningList>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServer {
    pub listen: Spanned<String>,
    pub max_scheduler_age: Option<Spanned<String>>,
    /// Networks (CIDR) that may read /healthz and /metrics; default loopback only.
    pub allow: Option<Vec<Spanned<String>>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawStore {
    pub path: Option<String>,
    /// Days; fractions allowed (0.5 = 12 hours).
    pub keep_days: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawFeeds {
    pub opml: Option<Spanned<String>>,
    pub backfill: Option<Spanned<String>>,
    pub interval: Option<Spanned<String>>,
    pub min_interval: Option<Spanned<String>>,
    pub max_interval: Option<Spanned<String>>,
    pub silent_after: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFeed {
    pub url: Option<Spanned<String>>,
    pub path: Option<Spanned<String>>,
    pub name: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub interval: Option<Spanned<String>>,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// UTC offset for dates without a zone, e.g. "+08:00".
    pub utc_offset: Option<Spanned<String>>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawHttp {
    pub concurrency: Option<Spanned<i64>>,
    pub per_host_concurrency: Option<Spanned<i64>>,
    pub per_host_interval: Option<Spanned<String>>,
    pub timeout: Option<Spanned<String>>,
    pub connect_timeout: Option<Spanned<String>>,
    pub user_agent: Option<String>,
    pub max_body: Option<Spanned<String>>,
    pub proxy: Option<Spanned<String>>,
    /// Follow redirects and discovered feeds into loopback/link-local/private ranges.
    #[serde(default)]
    pub allow_private: bool,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawMail {
    pub from: Option<Spanned<String>>,
    pub transport: Option<Spanned<String>>,
    pub dir: Option<Spanned<String>>,
    pub sendmail_command: Option<Spanned<String>>,
    /// mailto: (or https:) address for the List-Unsubscribe header.
    pub unsubscribe: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSmtp {
    pub host: Spanned<String>,
    pub port: Option<Spanned<u16>>,
    pub tls: Option<Spanned<String>>,
    pub username: Option<Spanned<String>>,
    pub password_file: Option<Spanned<String>>,
    pub password_env: Option<Spanned<String>>,
    pub timeout: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawRules {
    #[serde(default)]
    pub include: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    pub name: Spanned<String>,
    pub query: Spanned<String>,
    pub weight: Option<Spanned<f64>>,
    pub min_score: Option<Spanned<f64>>,
    pub priority: Option<Spanned<String>>,
    #[serde(default)]
    pub feeds: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[allow(dead_code)] // documentation for readers of the file; accepted, not used
    pub description: Option<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The digest section (a human title); several rules, in any language, may share one.
    pub topic: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDigest {
    pub name: Spanned<String>,
    #[serde(default)]
    pub to: Vec<Spanned<String>>,
    #[serde(default)]
    pub cc: Vec<Spanned<String>>,
    #[serde(default)]
    pub bcc: Vec<Spanned<String>>,
    pub schedule: Option<Spanned<String>>,
    pub timezone: Option<Spanned<String>>,
    #[serde(default)]
    pub rules: Vec<Spanned<String>>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub min_score: Option<Spanned<f64>>,
    pub max_stories: Option<Spanned<i64>>,
    #[serde(default)]
    pub send_empty: bool,
    pub subject: Option<String>,
    /// Mail matches of `priority = "alert"` rules at once (default true).
    pub alerts: Option<bool>,
    pub alerts_per_hour: Option<Spanned<i64>>,
    /// "22:00-07:00" in the profile's time zone: alerts are held and merged, not dropped.
    pub quiet_hours: Option<Spanned<String>>,
    /// Repeat alerted stories in the next scheduled digest (default false).
    #[serde(default)]
    pub repeat_alerts: bool,
    /// `[[channel]]` names to deliver to.
    #[serde(default)]
    pub channels: Vec<Spanned<String>>,
    /// Full "why" detail (rules, fields, score) under every story.
    #[serde(default)]
    pub explain: bool,
}

/// A rule pack file (`[rules] include`): version, term sets and rules.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawPack {
    pub version: Option<String>,
    #[allow(dead_code)] // documentation for readers of the file; accepted, not used
    pub description: Option<String>,
    #[serde(default)]
    pub terms: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub rule: Vec<RawRule>,
    /// The order of the digest's topic sections (topics not listed follow, in rule order).
    #[serde(default)]
    pub topics: Vec<String>,
    /// Terms (`"Commerce"`) and term sets (`"@china"`) that only support a match (places,
    /// actors, generic verbs): never highlighted nor named in the short "why".
    #[serde(default)]
    pub context_terms: Vec<String>,
}

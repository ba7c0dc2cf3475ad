//! `[[channel]]` tables: chat and webhook destinations a digest profile delivers to besides (or
//! instead of) mail — Slack-compatible incoming webhooks, Matrix rooms, Telegram chats, ntfy
//! topics and signed JSON webhooks. Secrets (the URL, tokens, the signing key) come from the
//! environment or files, are read once here and never shown (`Secret`). Called by
//! `config::resolve`; the `channel` module delivers through them.

use super::files::{Ctx, Files};
use super::{ConfigError, Secret};
use serde::Deserialize;
use std::path::Path;
use toml::Spanned;

/// A `[[channel]]` table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChannel {
    pub name: Spanned<String>,
    pub kind: Spanned<String>,
    pub url: Option<Spanned<String>>,
    pub url_env: Option<Spanned<String>>,
    pub url_file: Option<Spanned<String>>,
    /// Matrix: `https://matrix.example.org`.
    pub homeserver: Option<Spanned<String>>,
    /// Matrix: the room id (`!abc:example.org`).
    pub room: Option<Spanned<String>>,
    pub token_file: Option<Spanned<String>>,
    /// Telegram: the chat id (`-1001234567890` or `@channel`).
    pub chat_id: Option<Spanned<String>>,
    /// Webhook: the HMAC-SHA256 key for `X-Chipwatch-Signature`.
    pub secret_file: Option<Spanned<String>>,
}

/// What a channel is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelKind {
    /// Slack incoming webhooks (also Mattermost and Rocket.Chat ones).
    Slack,
    Matrix,
    Telegram,
    Ntfy,
    Webhook,
}

impl ChannelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Slack => "slack",
            ChannelKind::Matrix => "matrix",
            ChannelKind::Telegram => "telegram",
            ChannelKind::Ntfy => "ntfy",
            ChannelKind::Webhook => "webhook",
        }
    }
}

/// One validated `[[channel]]`.
#[derive(Debug, Clone)]
pub struct ChannelConfig {
    pub name: String,
    pub kind: ChannelKind,
    /// Slack/webhook: the endpoint; ntfy: the topic URL; Telegram: the API base
    /// (default `https://api.telegram.org`); Matrix: unused (see `homeserver`).
    pub url: Option<Secret>,
    pub homeserver: Option<String>,
    pub room: Option<String>,
    pub token: Option<Secret>,
    pub chat_id: Option<String>,
    pub secret: Option<Secret>,
}

/// Reads a secret file: its content minus one trailing newline. A relative name is looked up
/// under systemd's `$CREDENTIALS_DIRECTORY` first, then beside the config file.
fn read_secret(files: &Files, f: &str) -> Result<Secret, ConfigError> {
    let path = match std::env::var("CREDENTIALS_DIRECTORY") {
        Ok(d) if !Path::new(f).is_absolute() && Path::new(&d).join(f).exists() => {
            Path::new(&d).join(f)
        }
        _ => files.resolve(f),
    };
    let text = std::fs::read_to_string(&path).map_err(|e| ConfigError::Read {
        path: path.display().to_string(),
        source: e,
    })?;
    let t = text.strip_suffix('\n').unwrap_or(&text);
    Ok(Secret(t.strip_suffix('\r').unwrap_or(t).to_string()))
}

fn file_secret(files: &Files, f: &Option<Spanned<String>>) -> Result<Option<Secret>, ConfigError> {
    f.as_ref()
        .map(|f| read_secret(files, f.get_ref()))
        .transpose()
}

/// The channel's URL from `url`, `url_env` or `url_file` (at most one of them).
fn url_of(cx: &Ctx, files: &Files, c: &RawChannel) -> Result<Option<Secret>, ConfigError> {
    let name = c.name.get_ref();
    let given = [&c.url, &c.url_env, &c.url_file]
        .iter()
        .filter(|o| o.is_some())
        .count();
    if given > 1 {
        return Err(cx.err(
            &c.name,
            format!("channel `{name}`: give only one of url, url_env and url_file"),
        ));
    }
    let url = if let Some(u) = &c.url {
        Secret(u.get_ref().clone())
    } else if let Some(v) = &c.url_env {
        match std::env::var(v.get_ref()) {
            Ok(u) => Secret(u.trim().to_string()),
            Err(_) => {
                return Err(cx.err(
                    v,
                    format!(
                        "channel `{name}`: url_env: environment variable {} is not set",
                        v.get_ref()
                    ),
                ));
            }
        }
    } else if c.url_file.is_some() {
        match file_secret(files, &c.url_file)? {
            Some(s) => Secret(s.0.trim().to_string()),
            None => return Ok(None),
        }
    } else {
        return Ok(None);
    };
    let at = c
        .url
        .as_ref()
        .or(c.url_env.as_ref())
        .or(c.url_file.as_ref())
        .unwrap_or(&c.name);
    match url::Url::parse(&url.0) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(Some(url)),
        // The URL itself is a secret: the message names where it came from, not its text.
        _ => Err(cx.err(
            at,
            format!("channel `{name}`: the url is not an http(s) URL"),
        )),
    }
}

fn kind_of(cx: &Ctx, c: &RawChannel) -> Result<ChannelKind, ConfigError> {
    Ok(match c.kind.get_ref().as_str() {
        "slack" | "mattermost" | "rocketchat" => ChannelKind::Slack,
        "matrix" => ChannelKind::Matrix,
        "telegram" => ChannelKind::Telegram,
        "ntfy" => ChannelKind::Ntfy,
        "webhook" => ChannelKind::Webhook,
        other => {
            return Err(cx.err(
                &c.kind,
                format!(
                    "channel `{}`: kind = {other:?} — {}",
                    c.name.get_ref(),
                    super::diag::enum_hint(
                        other,
                        &[
                            "slack",
                            "mattermost",
                            "rocketchat",
                            "matrix",
                            "telegram",
                            "ntfy",
                            "webhook"
                        ]
                    )
                ),
            ));
        }
    })
}

/// Validates the `[[channel]]` tables, reporting every problem; None when one was found.
pub(super) fn resolve_channels(
    cx: &Ctx,
    raw: Vec<RawChannel>,
    files: &Files,
) -> Option<Vec<ChannelConfig>> {
    let mut out: Vec<ChannelConfig> = Vec::new();
    let mut failed = false;
    for c in raw {
        match cx.ok(channel(cx, files, &c, &out)) {
            Some(ch) => out.push(ch),
            None => failed = true,
        }
    }
    (!failed).then_some(out)
}

/// One `[[channel]]` table (`before`: the ones already read, for duplicate names).
fn channel(
    cx: &Ctx,
    files: &Files,
    c: &RawChannel,
    before: &[ChannelConfig],
) -> Result<ChannelConfig, ConfigError> {
    let name = c.name.get_ref().clone();
    // The name goes into idempotency keys and Matrix transaction ids.
    let ok = |ch: char| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_';
    if name.is_empty() || !name.chars().all(ok) {
        return Err(cx.err(
            &c.name,
            format!("channel name {name:?}: use letters, digits, '-' and '_'"),
        ));
    }
    if before.iter().any(|o| o.name == name) {
        return Err(cx.err(
            &c.name,
            format!("channel `{name}` is defined twice — rename one of them"),
        ));
    }
    let kind = kind_of(cx, c)?;
    let ch = ChannelConfig {
        name: name.clone(),
        kind,
        url: url_of(cx, files, c)?,
        homeserver: c.homeserver.as_ref().map(|h| h.get_ref().clone()),
        room: c.room.as_ref().map(|r| r.get_ref().clone()),
        token: file_secret(files, &c.token_file)?,
        chat_id: c.chat_id.as_ref().map(|r| r.get_ref().clone()),
        secret: file_secret(files, &c.secret_file)?,
    };
    let missing = |what: &str| {
        cx.err(
            &c.kind,
            format!(
                "channel `{name}` (kind = \"{}\") needs {what}",
                kind.as_str()
            ),
        )
    };
    match kind {
        ChannelKind::Slack | ChannelKind::Webhook | ChannelKind::Ntfy if ch.url.is_none() => {
            Err(missing("url, url_env or url_file"))
        }
        ChannelKind::Matrix if ch.homeserver.is_none() || ch.room.is_none() => {
            Err(missing("homeserver and room"))
        }
        ChannelKind::Matrix | ChannelKind::Telegram if ch.token.is_none() => {
            Err(missing("token_file"))
        }
        ChannelKind::Telegram if ch.chat_id.is_none() => Err(missing("chat_id")),
        _ => Ok(ch),
    }
}

/// Every channel a `[[digest]]` names must be defined: each unknown one is reported (with the
/// nearest defined name); false when one was.
pub(super) fn check_profile_channels(
    cx: &Ctx,
    profile: &str,
    named: &[Spanned<String>],
    channels: &[ChannelConfig],
) -> bool {
    let mut ok = true;
    for c in named {
        if !channels.iter().any(|k| k.name == *c.get_ref()) {
            let hint =
                match super::diag::nearest(c.get_ref(), channels.iter().map(|k| k.name.as_str())) {
                    Some(n) => format!("did you mean `{n}`?"),
                    None => "define it in a [[channel]] table".into(),
                };
            cx.report(
                c,
                format!(
                    "digest `{profile}` names unknown channel `{}` — {hint}",
                    c.get_ref()
                ),
            );
            ok = false;
        }
    }
    ok
}

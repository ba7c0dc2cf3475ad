//! Turns the raw TOML (plus included rule packs and OPML) into a validated [`Config`]:
//! resolves paths against the config file's folder (or the embedded files), parses durations,
//! URLs, addresses, schedules and rules, and reports each problem with file:line:col.

use super::files::{CENTURY, Ctx, DAY, Files, HOUR, MIN, SEC, syntax};
use super::raw::RawConfig;
use super::sections::{resolve_digests, resolve_mail, resolve_rules};
use super::units::{parse_duration, parse_size};
use super::*;

/// Loads a configuration from its text. `path` is None for the embedded default.
pub fn load_from_str(
    text: &str,
    path: Option<&Path>,
    source: ConfigSource,
    state_dir: PathBuf,
) -> Result<Config, ConfigError> {
    let display = path
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "(embedded) config/chipwatch.toml".into());
    let raw: RawConfig = toml::from_str(text).map_err(|e| syntax(&display, e))?;
    let files = Files { base: path };
    let cx = Ctx {
        path: display.clone(),
        text,
    };

    let store = raw.store.unwrap_or_default();
    let store_path = state_dir.join(store.path.as_deref().unwrap_or("chipwatch.db"));

    let rf = raw.feeds.unwrap_or_default();
    let mut feeds = super::feeds::resolve_feeds(&cx, &files, &rf, &raw.feed)?;
    feeds.extend(super::regulatory::resolve_federal_register(
        &cx,
        &raw.federal_register,
    )?);
    feeds.extend(super::regulatory::resolve_screening_lists(
        &cx,
        &files,
        &raw.screening_list,
    )?);
    let (backfill, silent_after, poll) = resolve_polling(&cx, &rf)?;
    let http = resolve_http(&cx, raw.http.unwrap_or_default())?;
    let mail = resolve_mail(
        &cx,
        raw.mail.unwrap_or_default(),
        raw.smtp,
        &state_dir,
        &files,
    )?;
    let (rules, rule_warnings, rule_pack_version) = resolve_rules(
        &cx,
        &files,
        raw.rules.unwrap_or_default(),
        raw.terms,
        raw.rule,
    )?;
    let server = resolve_server(&cx, raw.server.as_ref())?;
    let keep = resolve_keep(&cx, &store)?;
    let digests = resolve_digests(&cx, raw.digest, &rules, &mail)?;

    Ok(Config {
        source,
        state_dir,
        store_path,
        keep,
        feeds,
        opml_path: match (&rf.opml, path) {
            (Some(o), Some(_)) => Some(files.resolve(o.get_ref())),
            _ => None,
        },
        backfill,
        silent_after,
        poll,
        http,
        mail,
        rules: Arc::new(rules),
        rule_warnings,
        rule_pack_version,
        digests,
        server,
    })
}

/// `[feeds]` backfill, silent_after and the poll intervals.
fn resolve_polling(
    cx: &Ctx,
    rf: &super::raw::RawFeeds,
) -> Result<(Backfill, Option<Duration>, PollPolicy), ConfigError> {
    let backfill = match &rf.backfill {
        None => Backfill::Within(Duration::from_secs(14 * 86_400)),
        Some(b) if b.get_ref().trim() == "all" => Backfill::All,
        Some(b) => Backfill::Within(
            cx.check_duration(
                b,
                parse_duration(b.get_ref())
                    .map_err(|m| cx.err(b, format!("backfill: {m} (or \"all\")")))?,
                (Duration::ZERO, CENTURY),
                "[feeds] backfill",
            )?,
        ),
    };
    // A healthy feed quiet for longer than this (and than 4 × its usual gap) is listed in the
    // digest footer. "off" or a zero duration turns that off, as a zero per_host_interval does.
    let silent_after = match &rf.silent_after {
        None => Some(Duration::from_secs(3 * 86_400)),
        Some(s) if s.get_ref().trim() == "off" => None,
        Some(s) => Some(
            cx.check_duration(
                s,
                parse_duration(s.get_ref())
                    .map_err(|m| cx.err(s, format!("silent_after: {m} (or \"off\")")))?,
                (Duration::ZERO, CENTURY),
                "[feeds] silent_after",
            )?,
        )
        .filter(|d| !d.is_zero()),
    };
    let poll = PollPolicy {
        default_interval: cx.duration_in(
            &rf.interval,
            30 * MIN,
            (SEC, 365 * DAY),
            "[feeds] interval",
        )?,
        min_interval: cx.duration_in(
            &rf.min_interval,
            5 * MIN,
            (SEC, 365 * DAY),
            "[feeds] min_interval",
        )?,
        max_interval: cx.duration_in(
            &rf.max_interval,
            DAY,
            (SEC, 365 * DAY),
            "[feeds] max_interval",
        )?,
    };
    if poll.min_interval > poll.max_interval {
        return Err(ConfigError::Invalid {
            location: cx.path.clone(),
            message: "[feeds] min_interval is larger than max_interval".into(),
        });
    }
    Ok((backfill, silent_after, poll))
}

/// `[http]`, every value range-checked.
fn resolve_http(cx: &Ctx, rh: super::raw::RawHttp) -> Result<HttpConfig, ConfigError> {
    Ok(HttpConfig {
        concurrency: cx.int_in(&rh.concurrency, 64, (1, 1024), "[http] concurrency")? as usize,
        per_host_concurrency: cx.int_in(
            &rh.per_host_concurrency,
            2,
            (1, 64),
            "[http] per_host_concurrency",
        )? as usize,
        per_host_interval: match &rh.per_host_interval {
            Some(_) => Some(cx.duration_in(
                &rh.per_host_interval,
                Duration::ZERO,
                (Duration::ZERO, HOUR),
                "[http] per_host_interval",
            )?),
            None => None,
        },
        timeout: cx.duration_in(&rh.timeout, 30 * SEC, (SEC, HOUR), "[http] timeout")?,
        connect_timeout: cx.duration_in(
            &rh.connect_timeout,
            10 * SEC,
            (SEC, 10 * MIN),
            "[http] connect_timeout",
        )?,
        user_agent: rh.user_agent.unwrap_or_else(|| {
            format!(
                "chipwatch/{} (+https://github.com/chipwatch/chipwatch; feed monitor)",
                env!("CARGO_PKG_VERSION")
            )
        }),
        max_body: match &rh.max_body {
            Some(s) => {
                let n = parse_size(s.get_ref()).map_err(|m| cx.err(s, m))?;
                if !(1024..=1 << 30).contains(&n) {
                    return Err(cx.err(
                        s,
                        format!(
                            "[http] max_body = {:?}: must be between 1KiB and 1GiB",
                            s.get_ref()
                        ),
                    ));
                }
                n
            }
            None => 16 << 20,
        },
        allow_private: rh.allow_private,
        proxy: match &rh.proxy {
            Some(p) => {
                url::Url::parse(p.get_ref())
                    .map_err(|e| cx.err(p, format!("bad proxy URL: {e}")))?;
                Some(p.get_ref().clone())
            }
            None => None,
        },
    })
}

/// `[server]`, when present.
fn resolve_server(
    cx: &Ctx,
    raw: Option<&super::raw::RawServer>,
) -> Result<Option<ServerSettings>, ConfigError> {
    Ok(match raw {
        Some(sv) => Some(ServerSettings {
            listen: sv.listen.get_ref().parse().map_err(|e| {
                cx.err(
                    &sv.listen,
                    format!(
                        "[server] listen {:?}: {e} (expected e.g. \"127.0.0.1:9870\")",
                        sv.listen.get_ref()
                    ),
                )
            })?,
            max_scheduler_age: cx.duration_in(
                &sv.max_scheduler_age,
                3 * MIN,
                (10 * SEC, DAY),
                "[server] max_scheduler_age",
            )?,
            allow: super::server_allow(cx, sv.allow.as_deref())?,
        }),
        None => None,
    })
}

/// `[store] keep_days` as a retention period.
fn resolve_keep(cx: &Ctx, store: &super::raw::RawStore) -> Result<Option<Duration>, ConfigError> {
    Ok(match &store.keep_days {
        Some(d) if d.get_ref().is_finite() && *d.get_ref() > 0.0 && *d.get_ref() <= 36_500.0 => {
            Some(Duration::from_secs_f64(d.get_ref() * 86_400.0))
        }
        Some(d) => {
            return Err(cx.err(
                d,
                format!(
                    "[store] keep_days = {}: must be a number of days above 0 and at most 36500",
                    d.get_ref()
                ),
            ));
        }
        None => None,
    })
}

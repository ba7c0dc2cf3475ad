//! Turns the raw TOML (plus included rule packs and OPML) into a validated [`Config`]:
//! resolves paths against the config file's folder (or the embedded files), parses durations,
//! URLs, addresses, schedules and rules, and reports each problem with file:line:col.

use super::files::{CENTURY, Ctx, DAY, Files, HOUR, MIN, SEC, locate, syntax};
use super::raw::RawConfig;
use super::sections::{resolve_digests, resolve_mail, resolve_rules};
use super::units::{parse_duration, parse_offset, parse_size};
use super::*;
use crate::model::FeedSource;

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

    // Feeds: OPML first, then [[feed]] entries.
    let rf = raw.feeds.unwrap_or_default();
    let mut feeds: Vec<FeedSpec> = Vec::new();
    if let Some(opml) = &rf.opml {
        let (opath, otext) = files.read(opml.get_ref()).map_err(|e| match e {
            ConfigError::Read { path: p, source } => ConfigError::Invalid {
                location: locate(&display, text, opml.span().start).2,
                message: format!("cannot read OPML file {p}: {source}"),
            },
            other => other,
        })?;
        let outlines = crate::opml::parse(&otext).map_err(|m| ConfigError::Invalid {
            location: opath.clone(),
            message: format!("unreadable OPML: {m}"),
        })?;
        for o in outlines {
            let url = crate::opml::feed_url(&o).map_err(|message| ConfigError::Invalid {
                location: opath.clone(),
                message,
            })?;
            feeds.push(FeedSpec {
                name: if o.title.is_empty() {
                    crate::redact::url(url.as_str())
                } else {
                    o.title.clone()
                },
                source: FeedSource::Url(url),
                tags: o.tags,
                interval: None,
                default_offset: None,
                headers: Vec::new(),
                user_written: false,
            });
        }
    }
    for f in &raw.feed {
        if !f.enabled {
            continue;
        }
        let source = match (&f.url, &f.path) {
            (Some(u), None) => {
                let url = url::Url::parse(u.get_ref())
                    .map_err(|e| cx.err(u, format!("bad feed URL {:?}: {e}", u.get_ref())))?;
                if !matches!(url.scheme(), "http" | "https" | "file") {
                    return Err(cx.err(
                        u,
                        format!(
                            "feed URL {:?}: scheme must be http, https or file",
                            u.get_ref()
                        ),
                    ));
                }
                FeedSource::Url(url)
            }
            (None, Some(p)) => {
                let path = files.resolve(p.get_ref());
                FeedSource::Path(std::path::absolute(&path).unwrap_or(path))
            }
            (Some(u), Some(_)) => {
                return Err(cx.err(u, "a [[feed]] takes either url or path, not both"));
            }
            (None, None) => {
                return Err(ConfigError::Invalid {
                    location: display.clone(),
                    message: format!(
                        "a [[feed]] ({}) needs url or path",
                        f.name.as_deref().unwrap_or("unnamed")
                    ),
                });
            }
        };
        let default_offset = match &f.utc_offset {
            Some(o) => Some(parse_offset(o.get_ref()).map_err(|m| cx.err(o, m))?),
            None => None,
        };
        let interval = match &f.interval {
            Some(_) => {
                Some(cx.duration_in(&f.interval, MIN, (SEC, 365 * DAY), "[[feed]] interval")?)
            }
            None => None,
        };
        let mut spec = FeedSpec {
            name: String::new(),
            source,
            tags: f.tags.clone(),
            interval,
            default_offset,
            headers: f
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            user_written: true,
        };
        // An unnamed feed is shown by its address, without the secrets in it.
        spec.name = f
            .name
            .clone()
            .unwrap_or_else(|| crate::redact::url(&spec.id_url()));
        feeds.push(spec);
    }
    // The same feed listed twice (OPML and [[feed]]) is polled once; the later entry wins.
    let mut seen = std::collections::HashSet::new();
    feeds.reverse();
    feeds.retain(|f| seen.insert(f.id_url()));
    feeds.reverse();

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
            location: display.clone(),
            message: "[feeds] min_interval is larger than max_interval".into(),
        });
    }

    let rh = raw.http.unwrap_or_default();
    let http = HttpConfig {
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
    };

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
    let server = match &raw.server {
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
            allow: super::server_allow(&cx, sv.allow.as_deref())?,
        }),
        None => None,
    };
    let digests = resolve_digests(&cx, raw.digest, &rules, &mail)?;

    Ok(Config {
        source,
        state_dir,
        store_path,
        keep: match &store.keep_days {
            Some(d)
                if d.get_ref().is_finite() && *d.get_ref() > 0.0 && *d.get_ref() <= 36_500.0 =>
            {
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
        },
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

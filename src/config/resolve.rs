//! Turns the raw TOML (plus included rule packs and OPML) into a validated [`Config`]:
//! resolves paths against the config file's folder (or the embedded files), parses durations,
//! URLs, addresses, schedules and rules, and reports each problem with file:line:col.

use super::raw::RawConfig;
use super::sections::{resolve_digests, resolve_mail, resolve_rules};
use super::units::{parse_duration, parse_offset, parse_size};
use super::*;
use crate::model::FeedSource;
use toml::Spanned;

/// Reads files relative to the config file, or from the embedded set.
pub(super) struct Files<'a> {
    base: Option<&'a Path>,
}

impl Files<'_> {
    pub(super) fn resolve(&self, rel: &str) -> PathBuf {
        let p = Path::new(rel);
        match self.base {
            Some(b) if p.is_relative() => b.parent().unwrap_or(Path::new(".")).join(p),
            _ => p.to_path_buf(),
        }
    }
    pub(super) fn read(&self, rel: &str) -> Result<(String, String), ConfigError> {
        if self.base.is_none()
            && let Some((name, text)) = EMBEDDED.iter().find(|(n, _)| *n == rel)
        {
            return Ok((format!("(embedded) config/{name}"), (*text).to_string()));
        }
        let p = self.resolve(rel);
        let text = std::fs::read_to_string(&p).map_err(|e| ConfigError::Read {
            path: p.display().to_string(),
            source: e,
        })?;
        Ok((p.display().to_string(), text))
    }
}

/// `path:line:col` of a byte offset in `text`.
pub(super) fn locate(path: &str, text: &str, offset: usize) -> (usize, usize, String) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col, format!("{path}:{line}:{col}"))
}

pub(super) struct Ctx<'a> {
    pub(super) path: String,
    pub(super) text: &'a str,
}

impl Ctx<'_> {
    pub(super) fn err<T>(&self, s: &Spanned<T>, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            location: locate(&self.path, self.text, s.span().start).2,
            message: message.into(),
        }
    }
    pub(super) fn duration(
        &self,
        s: &Option<Spanned<String>>,
        default: Duration,
    ) -> Result<Duration, ConfigError> {
        match s {
            None => Ok(default),
            Some(v) => parse_duration(v.get_ref()).map_err(|m| self.err(v, m)),
        }
    }
}

pub(super) fn syntax(path: &str, e: toml::de::Error) -> ConfigError {
    ConfigError::Syntax {
        path: path.to_string(),
        message: e.to_string().trim_end().to_string(),
    }
}

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
            let url = url::Url::parse(&o.xml_url).map_err(|e| ConfigError::Invalid {
                location: opath.clone(),
                message: format!("feed {:?} has a bad xmlUrl {:?}: {e}", o.title, o.xml_url),
            })?;
            feeds.push(FeedSpec {
                name: if o.title.is_empty() {
                    url.to_string()
                } else {
                    o.title.clone()
                },
                source: FeedSource::Url(url),
                tags: o.tags,
                interval: None,
                default_offset: None,
                headers: Vec::new(),
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
            Some(i) => Some(parse_duration(i.get_ref()).map_err(|m| cx.err(i, m))?),
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
        };
        spec.name = f.name.clone().unwrap_or_else(|| spec.id_url());
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
            parse_duration(b.get_ref())
                .map_err(|m| cx.err(b, format!("backfill: {m} (or \"all\")")))?,
        ),
    };
    // A healthy feed quiet for longer than this (and than 4 × its usual gap) is listed in the
    // digest footer. "off" or a zero duration turns that off, as a zero per_host_interval does.
    let silent_after = match &rf.silent_after {
        None => Some(Duration::from_secs(3 * 86_400)),
        Some(s) if s.get_ref().trim() == "off" => None,
        Some(s) => Some(
            parse_duration(s.get_ref())
                .map_err(|m| cx.err(s, format!("silent_after: {m} (or \"off\")")))?,
        )
        .filter(|d| !d.is_zero()),
    };
    let poll = PollPolicy {
        default_interval: cx.duration(&rf.interval, Duration::from_secs(30 * 60))?,
        min_interval: cx.duration(&rf.min_interval, Duration::from_secs(5 * 60))?,
        max_interval: cx.duration(&rf.max_interval, Duration::from_secs(24 * 3600))?,
    };
    if poll.min_interval > poll.max_interval {
        return Err(ConfigError::Invalid {
            location: display.clone(),
            message: "[feeds] min_interval is larger than max_interval".into(),
        });
    }

    let rh = raw.http.unwrap_or_default();
    let http = HttpConfig {
        concurrency: rh.concurrency.unwrap_or(64).max(1),
        per_host_concurrency: rh.per_host_concurrency.unwrap_or(2).max(1),
        per_host_interval: match &rh.per_host_interval {
            Some(v) => Some(parse_duration(v.get_ref()).map_err(|m| cx.err(v, m))?),
            None => None,
        },
        timeout: cx.duration(&rh.timeout, Duration::from_secs(30))?,
        connect_timeout: cx.duration(&rh.connect_timeout, Duration::from_secs(10))?,
        user_agent: rh.user_agent.unwrap_or_else(|| {
            format!(
                "chipwatch/{} (+https://github.com/chipwatch/chipwatch; feed monitor)",
                env!("CARGO_PKG_VERSION")
            )
        }),
        max_body: match &rh.max_body {
            Some(s) => parse_size(s.get_ref()).map_err(|m| cx.err(s, m))?,
            None => 16 << 20,
        },
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
            max_scheduler_age: cx.duration(&sv.max_scheduler_age, Duration::from_secs(180))?,
        }),
        None => None,
    };
    let digests = resolve_digests(&cx, raw.digest, &rules, &mail)?;

    Ok(Config {
        source,
        state_dir,
        store_path,
        keep: match store.keep_days {
            Some(d) if d.is_finite() && d > 0.0 => Some(Duration::from_secs_f64(d * 86_400.0)),
            Some(d) => {
                return Err(ConfigError::Invalid {
                    location: display.clone(),
                    message: format!("[store] keep_days = {d}: must be a positive number of days"),
                });
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

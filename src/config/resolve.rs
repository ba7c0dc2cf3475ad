//! Turns the raw TOML (plus included rule packs and OPML) into a validated [`Config`]:
//! resolves paths against the config file's folder (or the embedded files), parses durations,
//! URLs, addresses, schedules and rules, and reports each problem with file:line:col.

use super::raw::{RawConfig, RawPack, RawRule};
use super::units::{parse_duration, parse_offset, parse_size};
use super::*;
use crate::model::FeedSource;
use crate::rules::{Origin, Priority, RuleDef, TermSets};
use toml::Spanned;

/// Reads files relative to the config file, or from the embedded set.
struct Files<'a> {
    base: Option<&'a Path>,
}

impl Files<'_> {
    fn resolve(&self, rel: &str) -> PathBuf {
        let p = Path::new(rel);
        match self.base {
            Some(b) if p.is_relative() => b.parent().unwrap_or(Path::new(".")).join(p),
            _ => p.to_path_buf(),
        }
    }
    fn read(&self, rel: &str) -> Result<(String, String), ConfigError> {
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
fn locate(path: &str, text: &str, offset: usize) -> (usize, usize, String) {
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

struct Ctx<'a> {
    path: String,
    text: &'a str,
}

impl Ctx<'_> {
    fn err<T>(&self, s: &Spanned<T>, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            location: locate(&self.path, self.text, s.span().start).2,
            message: message.into(),
        }
    }
    fn duration(
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

fn syntax(path: &str, e: toml::de::Error) -> ConfigError {
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
        keep_days: store.keep_days,
        feeds,
        opml_path: match (&rf.opml, path) {
            (Some(o), Some(_)) => Some(files.resolve(o.get_ref())),
            _ => None,
        },
        backfill,
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

fn resolve_mail(
    cx: &Ctx,
    m: super::raw::RawMail,
    smtp: Option<super::raw::RawSmtp>,
    state_dir: &Path,
    files: &Files,
) -> Result<MailConfig, ConfigError> {
    let from = match &m.from {
        Some(f) => {
            f.get_ref()
                .parse::<lettre::message::Mailbox>()
                .map_err(|e| {
                    cx.err(f, format!("bad [mail] from address {:?}: {e}", f.get_ref()))
                })?;
            f.get_ref().clone()
        }
        None => "chipwatch <chipwatch@localhost>".to_string(),
    };
    let kind = match &m.transport {
        Some(t) => t.get_ref().as_str(),
        None if smtp.is_some() => "smtp",
        None => "file",
    };
    let transport = match kind {
        "file" => Transport::File {
            dir: state_dir.join(m.dir.as_deref().unwrap_or("outbox")),
        },
        "sendmail" => Transport::Sendmail {
            command: m.sendmail_command.clone(),
        },
        "smtp" => {
            let Some(s) = smtp else {
                let loc = m
                    .transport
                    .as_ref()
                    .map(|t| locate(&cx.path, cx.text, t.span().start).2)
                    .unwrap_or(cx.path.clone());
                return Err(ConfigError::Invalid {
                    location: loc,
                    message: "transport = \"smtp\" needs an [smtp] section".into(),
                });
            };
            let tls = match s.tls.as_ref().map(|t| t.get_ref().as_str()) {
                None | Some("starttls") => Tls::Starttls,
                Some("tls") => Tls::Tls,
                Some("none") => Tls::None,
                Some(other) => {
                    return Err(cx.err(
                        s.tls.as_ref().unwrap_or(&s.host),
                        format!("tls = {other:?}: use \"starttls\", \"tls\" or \"none\""),
                    ));
                }
            };
            let password = match (&s.password_file, &s.password_env) {
                (Some(f), _) => {
                    // systemd LoadCredential= puts secrets under $CREDENTIALS_DIRECTORY.
                    let path = match std::env::var("CREDENTIALS_DIRECTORY") {
                        Ok(d) if !Path::new(f).is_absolute() && Path::new(&d).join(f).exists() => {
                            Path::new(&d).join(f)
                        }
                        _ => files.resolve(f),
                    };
                    let p = std::fs::read_to_string(&path).map_err(|e| ConfigError::Read {
                        path: path.display().to_string(),
                        source: e,
                    })?;
                    Some(Secret(p.trim_end_matches(['\r', '\n']).to_string()))
                }
                (None, Some(var)) => match std::env::var(var) {
                    Ok(v) => Some(Secret(v)),
                    Err(_) => {
                        return Err(cx.err(
                            &s.host,
                            format!("[smtp] password_env: environment variable {var} is not set"),
                        ));
                    }
                },
                (None, None) => None,
            };
            Transport::Smtp(SmtpConfig {
                host: s.host.get_ref().clone(),
                port: s.port.unwrap_or(match tls {
                    Tls::Tls => 465,
                    Tls::Starttls => 587,
                    Tls::None => 25,
                }),
                tls,
                username: s.username.clone(),
                password,
                timeout: cx.duration(&s.timeout, Duration::from_secs(30))?,
            })
        }
        other => {
            let t = m
                .transport
                .as_ref()
                .map(|t| locate(&cx.path, cx.text, t.span().start).2)
                .unwrap_or(cx.path.clone());
            return Err(ConfigError::Invalid {
                location: t,
                message: format!("transport = {other:?}: use \"file\", \"smtp\" or \"sendmail\""),
            });
        }
    };
    Ok(MailConfig { from, transport })
}

fn rule_def(path: &str, text: &str, r: &RawRule) -> Result<RuleDef, ConfigError> {
    let start = r.query.span().start;
    let quote = if text[start.min(text.len())..].starts_with("'''")
        || text[start.min(text.len())..].starts_with("\"\"\"")
    {
        3
    } else {
        1
    };
    let (line, col, _) = locate(path, text, start + quote);
    let priority = match r.priority.as_ref().map(|p| p.get_ref().as_str()) {
        None | Some("digest") => Priority::Digest,
        Some("alert") => Priority::Alert,
        Some(other) => {
            let p = r.priority.as_ref().map(|p| p.span().start).unwrap_or(start);
            return Err(ConfigError::Invalid {
                location: locate(path, text, p).2,
                message: format!(
                    "rule `{}`: priority = {other:?}: use \"digest\" or \"alert\"",
                    r.name.get_ref()
                ),
            });
        }
    };
    Ok(RuleDef {
        name: r.name.get_ref().clone(),
        query: r.query.get_ref().clone(),
        weight: r.weight.unwrap_or(1.0),
        min_score: r.min_score.unwrap_or(0.0),
        priority,
        feeds: r.feeds.clone(),
        tags: r.tags.clone(),
        origin: Origin {
            path: path.to_string(),
            line,
            col,
        },
    })
}

type RulesOut = (RuleSet, Vec<String>, Option<String>);

fn resolve_rules(
    cx: &Ctx,
    files: &Files,
    inc: super::raw::RawRules,
    terms: std::collections::BTreeMap<String, Vec<String>>,
    inline: Vec<RawRule>,
) -> Result<RulesOut, ConfigError> {
    let mut defs = Vec::new();
    let mut sets: TermSets = TermSets::new();
    let mut version = None;
    let mut names: std::collections::HashMap<String, String> = Default::default();
    let mut add = |d: RuleDef, loc: String, defs: &mut Vec<RuleDef>| -> Result<(), ConfigError> {
        if let Some(prev) = names.insert(d.name.clone(), loc.clone()) {
            return Err(ConfigError::Invalid {
                location: loc,
                message: format!("rule `{}` is defined twice (first at {prev})", d.name),
            });
        }
        defs.push(d);
        Ok(())
    };
    for i in &inc.include {
        let (ppath, ptext) = files.read(i.get_ref()).map_err(|e| match e {
            ConfigError::Read { path, source } => {
                cx.err(i, format!("cannot read rule pack {path}: {source}"))
            }
            other => other,
        })?;
        let pack: RawPack = toml::from_str(&ptext).map_err(|e| syntax(&ppath, e))?;
        if version.is_none() {
            version = pack.version.clone();
        }
        for (k, v) in pack.terms {
            if sets.insert(k.clone(), v).is_some() {
                return Err(ConfigError::Invalid {
                    location: ppath.clone(),
                    message: format!("term set @{k} is defined twice"),
                });
            }
        }
        for r in pack.rule.iter().filter(|r| r.enabled) {
            let d = rule_def(&ppath, &ptext, r)?;
            let loc = locate(&ppath, &ptext, r.name.span().start).2;
            add(d, loc, &mut defs)?;
        }
    }
    for (k, v) in terms {
        if sets.insert(k.clone(), v).is_some() {
            return Err(ConfigError::Invalid {
                location: cx.path.clone(),
                message: format!("term set @{k} is defined twice"),
            });
        }
    }
    for r in inline.iter().filter(|r| r.enabled) {
        let d = rule_def(&cx.path, cx.text, r)?;
        let loc = locate(&cx.path, cx.text, r.name.span().start).2;
        add(d, loc, &mut defs)?;
    }
    let (set, warnings) = RuleSet::compile(&defs, &sets).map_err(ConfigError::Rules)?;
    Ok((
        set,
        warnings.iter().map(|w| w.to_string()).collect(),
        version,
    ))
}

fn resolve_digests(
    cx: &Ctx,
    raw: Vec<super::raw::RawDigest>,
    rules: &RuleSet,
    mail: &MailConfig,
) -> Result<Vec<DigestProfile>, ConfigError> {
    let mut out = Vec::new();
    let known: Vec<&str> = rules.rules().iter().map(|r| r.name.as_str()).collect();
    for d in raw {
        let addr = |v: &Vec<Spanned<String>>| -> Result<Vec<String>, ConfigError> {
            v.iter()
                .map(|a| {
                    a.get_ref()
                        .parse::<lettre::message::Mailbox>()
                        .map(|_| a.get_ref().clone())
                        .map_err(|e| {
                            cx.err(
                                a,
                                format!(
                                    "digest `{}`: bad address {:?}: {e}",
                                    d.name.get_ref(),
                                    a.get_ref()
                                ),
                            )
                        })
                })
                .collect()
        };
        let (to, cc, bcc) = (addr(&d.to)?, addr(&d.cc)?, addr(&d.bcc)?);
        if to.is_empty() && cc.is_empty() && bcc.is_empty() {
            return Err(cx.err(
                &d.name,
                format!(
                    "digest `{}` has no recipients (to = [...])",
                    d.name.get_ref()
                ),
            ));
        }
        let tz = d
            .timezone
            .as_ref()
            .map(|t| t.get_ref().as_str())
            .unwrap_or("UTC");
        let sched_text = d
            .schedule
            .as_ref()
            .map(|s| s.get_ref().as_str())
            .unwrap_or("daily at 08:00");
        let schedule =
            Schedule::parse(sched_text, tz).map_err(|m| match (&d.schedule, &d.timezone) {
                (_, Some(t)) if m.contains("time zone") => {
                    cx.err(t, format!("digest `{}`: {m}", d.name.get_ref()))
                }
                (Some(s), _) => cx.err(s, format!("digest `{}`: {m}", d.name.get_ref())),
                _ => cx.err(&d.name, m),
            })?;
        for r in &d.rules {
            if !known.contains(&r.as_str()) {
                return Err(cx.err(
                    &d.name,
                    format!("digest `{}` names unknown rule `{r}`", d.name.get_ref()),
                ));
            }
        }
        if out
            .iter()
            .any(|p: &DigestProfile| p.name == *d.name.get_ref())
        {
            return Err(cx.err(
                &d.name,
                format!("digest `{}` is defined twice", d.name.get_ref()),
            ));
        }
        out.push(DigestProfile {
            name: d.name.get_ref().clone(),
            to,
            cc,
            bcc,
            schedule,
            rules: d.rules,
            tags: d.tags,
            min_score: d.min_score.unwrap_or(0.0),
            max_stories: d.max_stories,
            send_empty: d.send_empty,
            subject: d
                .subject
                .unwrap_or_else(|| "chipwatch {profile}: {stories} stories ({date})".into()),
        });
    }
    if out.is_empty() {
        // No profile configured: one daily digest to the sender address.
        let to = mail.from.clone();
        let schedule =
            Schedule::parse("daily at 08:00", "UTC").map_err(|m| ConfigError::Invalid {
                location: cx.path.clone(),
                message: m,
            })?;
        out.push(DigestProfile {
            name: "daily".into(),
            to: vec![to],
            cc: vec![],
            bcc: vec![],
            schedule,
            rules: vec![],
            tags: vec![],
            min_score: 0.0,
            max_stories: None,
            send_empty: false,
            subject: "chipwatch {profile}: {stories} stories ({date})".into(),
        });
    }
    Ok(out)
}

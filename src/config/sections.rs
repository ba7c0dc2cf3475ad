//! The mail, rules and digest sections of the configuration: transports and secrets, rule
//! packs with their term sets (each query's file position kept for error messages), and digest
//! profiles with their recipients and schedules. Called by [`super::resolve`].

use super::files::{Ctx, Files, locate, syntax};
use super::raw::{RawPack, RawRule};
use super::*;
use crate::rules::{Origin, Priority, RuleDef, TermSets};
use toml::Spanned;

pub(super) fn resolve_mail(
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
        "maildir" => Transport::Maildir {
            dir: state_dir.join(m.dir.as_deref().unwrap_or("maildir")),
        },
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
                timeout: cx.duration_in(
                    &s.timeout,
                    Duration::from_secs(30),
                    (Duration::from_secs(1), Duration::from_secs(600)),
                    "[smtp] timeout",
                )?,
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
                message: format!(
                    "transport = {other:?}: use \"file\", \"maildir\", \"smtp\" or \"sendmail\""
                ),
            });
        }
    };
    let unsubscribe = match &m.unsubscribe {
        Some(u) => {
            let ok = url::Url::parse(u.get_ref())
                .is_ok_and(|x| matches!(x.scheme(), "mailto" | "https"));
            if !ok {
                return Err(cx.err(
                    u,
                    format!(
                        "[mail] unsubscribe {:?}: use a mailto: or https: URL",
                        u.get_ref()
                    ),
                ));
            }
            Some(u.get_ref().clone())
        }
        None => None,
    };
    Ok(MailConfig {
        from,
        transport,
        unsubscribe,
    })
}

/// A rule's weight or min_score: finite and within ±1,000,000.
fn num(
    path: &str,
    text: &str,
    v: &Option<Spanned<f64>>,
    default: f64,
    what: &str,
    r: &RawRule,
) -> Result<f64, ConfigError> {
    let cx = Ctx {
        path: path.to_string(),
        text,
    };
    cx.float_in(
        v,
        default,
        (-1e6, 1e6),
        &format!("rule `{}`: {what}", r.name.get_ref()),
    )
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
        weight: num(path, text, &r.weight, 1.0, "weight", r)?,
        min_score: num(path, text, &r.min_score, 0.0, "min_score", r)?,
        priority,
        feeds: r.feeds.clone(),
        tags: r.tags.clone(),
        topic: r.topic.clone(),
        origin: Origin {
            path: path.to_string(),
            line,
            col,
        },
    })
}

type RulesOut = (RuleSet, Vec<String>, Option<String>);

pub(super) fn resolve_rules(
    cx: &Ctx,
    files: &Files,
    inc: super::raw::RawRules,
    terms: std::collections::BTreeMap<String, Vec<String>>,
    inline: Vec<RawRule>,
) -> Result<RulesOut, ConfigError> {
    let mut defs = Vec::new();
    let mut sets: TermSets = TermSets::new();
    let mut version = None;
    let (mut topic_order, mut context): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
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
        topic_order.extend(pack.topics.iter().cloned());
        context.extend(pack.context_terms.iter().cloned());
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
    let (mut set, warnings) = RuleSet::compile(&defs, &sets).map_err(ConfigError::Rules)?;
    set.set_topics(&topic_order, context_members(&context, &sets));
    Ok((
        set,
        warnings.iter().map(|w| w.to_string()).collect(),
        version,
    ))
}

pub(super) fn resolve_digests(
    cx: &Ctx,
    raw: Vec<super::raw::RawDigest>,
    rules: &RuleSet,
    mail: &MailConfig,
    channels: &[channels::ChannelConfig],
) -> Result<Vec<DigestProfile>, ConfigError> {
    let mut out = Vec::new();
    let known: Vec<&str> = rules.rules().iter().map(|r| r.name.as_str()).collect();
    for d in raw {
        let addr = |v: &Vec<Spanned<String>>| addresses(cx, d.name.get_ref(), v);
        let (to, cc, bcc) = (addr(&d.to)?, addr(&d.cc)?, addr(&d.bcc)?);
        channels::check_profile_channels(cx, d.name.get_ref(), &d.channels, channels)?;
        if to.is_empty() && cc.is_empty() && bcc.is_empty() && d.channels.is_empty() {
            return Err(cx.err(
                &d.name,
                format!(
                    "digest `{}` has no recipients (to = [...] or channels = [...])",
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
        let quiet_hours = match &d.quiet_hours {
            Some(q) => Some(
                crate::config::schedule::QuietHours::parse(q.get_ref())
                    .map_err(|m| cx.err(q, format!("digest `{}`: {m}", d.name.get_ref())))?,
            ),
            None => None,
        };
        out.push(DigestProfile {
            name: d.name.get_ref().clone(),
            to,
            cc,
            bcc,
            schedule,
            rules: d.rules,
            tags: d.tags,
            min_score: cx.float_in(
                &d.min_score,
                0.0,
                (-1e6, 1e6),
                &format!("digest `{}`: min_score", d.name.get_ref()),
            )?,
            max_stories: match &d.max_stories {
                Some(_) => Some(cx.int_in(
                    &d.max_stories,
                    0,
                    (1, 100_000),
                    &format!("digest `{}`: max_stories", d.name.get_ref()),
                )? as usize),
                None => None,
            },
            send_empty: d.send_empty,
            subject: d
                .subject
                .unwrap_or_else(|| "chipwatch {profile}: {stories} stories ({date})".into()),
            alerts: d.alerts.unwrap_or(true),
            alerts_per_hour: cx.int_in(
                &d.alerts_per_hour,
                12,
                (0, 3600),
                &format!("digest `{}`: alerts_per_hour", d.name.get_ref()),
            )? as u32,
            quiet_hours,
            repeat_alerts: d.repeat_alerts,
            channels: d.channels.iter().map(|c| c.get_ref().clone()).collect(),
            explain: d.explain,
        });
    }
    if out.is_empty() {
        out.push(default_profile(cx, mail)?);
    }
    Ok(out)
}

/// A profile's addresses, each checked.
fn addresses(cx: &Ctx, profile: &str, v: &[Spanned<String>]) -> Result<Vec<String>, ConfigError> {
    v.iter()
        .map(|a| {
            a.get_ref()
                .parse::<lettre::message::Mailbox>()
                .map(|_| a.get_ref().clone())
                .map_err(|e| {
                    cx.err(
                        a,
                        format!("digest `{profile}`: bad address {:?}: {e}", a.get_ref()),
                    )
                })
        })
        .collect()
}

/// No profile configured: one daily digest to the sender address.
fn default_profile(cx: &Ctx, mail: &MailConfig) -> Result<DigestProfile, ConfigError> {
    let to = mail.from.clone();
    let schedule = Schedule::parse("daily at 08:00", "UTC").map_err(|m| ConfigError::Invalid {
        location: cx.path.clone(),
        message: m,
    })?;
    Ok(DigestProfile {
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
        alerts: true,
        alerts_per_hour: 12,
        quiet_hours: None,
        repeat_alerts: false,
        channels: vec![],
        explain: false,
    })
}

/// The context term expressions: literal terms as given, `@set`s expanded to their members.
fn context_members(names: &[String], sets: &TermSets) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo: Vec<String> = Vec::new();
    for n in names {
        match n.strip_prefix('@') {
            Some(set) => todo.push(set.to_string()),
            None => out.push(n.clone()),
        }
    }
    let mut seen = std::collections::HashSet::new();
    while let Some(n) = todo.pop() {
        if !seen.insert(n.clone()) {
            continue;
        }
        for m in sets.get(&n).into_iter().flatten() {
            match m.strip_prefix('@') {
                Some(inner) => todo.push(inner.to_string()),
                None => out.push(m.clone()),
            }
        }
    }
    out
}

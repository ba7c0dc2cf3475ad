//! The rules and digest sections of the configuration: rule packs with their term sets (each
//! query's file position kept for error messages) and digest profiles with their recipients
//! and schedules. Every problem goes to the load's report; a bad rule or profile does not hide
//! the next. Called by [`super::resolve`].

use super::diag::{enum_hint, nearest, zone_hint};
use super::files::{Ctx, Files, locate};
use super::raw::{RawDigest, RawPack, RawRule};
use super::*;
use crate::rules::{Origin, Priority, RuleDef, TermSets};
use toml::Spanned;

/// One `[[rule]]` of `cx`'s file as a [`RuleDef`] (its query's position kept), or None after
/// reporting what is wrong with it.
fn rule_def(cx: &Ctx, r: &RawRule) -> Option<RuleDef> {
    let start = r.query.span().start;
    let rest = &cx.text[start.min(cx.text.len())..];
    let quote = if rest.starts_with("'''") || rest.starts_with("\"\"\"") {
        3
    } else {
        1
    };
    let (line, col, _) = locate(&cx.path, cx.text, start + quote);
    let name = r.name.get_ref();
    let priority = match r.priority.as_ref().map(|p| (p, p.get_ref().as_str())) {
        None | Some((_, "digest")) => Some(Priority::Digest),
        Some((_, "alert")) => Some(Priority::Alert),
        Some((p, other)) => {
            cx.report(
                p,
                format!(
                    "rule `{name}`: priority = {other:?} — {}",
                    enum_hint(other, &["digest", "alert"])
                ),
            );
            None
        }
    };
    let num = |v: &Option<Spanned<f64>>, default: f64, what: &str| {
        cx.ok(cx.float_in(v, default, (-1e6, 1e6), &format!("rule `{name}`: {what}")))
    };
    let (weight, min_score) = (
        num(&r.weight, 1.0, "weight"),
        num(&r.min_score, 0.0, "min_score"),
    );
    Some(RuleDef {
        name: name.clone(),
        query: r.query.get_ref().clone(),
        weight: weight?,
        min_score: min_score?,
        priority: priority?,
        feeds: r.feeds.clone(),
        tags: r.tags.clone(),
        topic: r.topic.clone(),
        origin: Origin {
            path: cx.path.clone(),
            line,
            col,
        },
    })
}

type RulesOut = (RuleSet, Vec<String>, Option<String>);

/// Rule definitions and term sets gathered from the packs and the config file, with
/// duplicates reported.
#[derive(Default)]
struct Gathered {
    defs: Vec<RuleDef>,
    sets: TermSets,
    names: std::collections::HashMap<String, String>,
}

impl Gathered {
    fn terms(&mut self, cx: &Ctx, terms: std::collections::BTreeMap<String, Vec<String>>) {
        for (k, v) in terms {
            if self.sets.insert(k.clone(), v).is_some() {
                cx.report.error(cx.err_file(format!(
                    "term set @{k} is defined twice — rename one of them"
                )));
            }
        }
    }
    fn rules(&mut self, cx: &Ctx, rules: &[RawRule]) {
        for r in rules.iter().filter(|r| r.enabled) {
            let Some(d) = rule_def(cx, r) else { continue };
            let loc = cx.at(&r.name);
            match self.names.insert(d.name.clone(), loc.clone()) {
                Some(prev) => cx.report(
                    &r.name,
                    format!(
                        "rule `{}` is defined twice (first at {prev}) — rename one of them",
                        d.name
                    ),
                ),
                None => self.defs.push(d),
            }
        }
    }
}

pub(super) fn resolve_rules(
    cx: &Ctx,
    files: &Files,
    inc: super::raw::RawRules,
    terms: std::collections::BTreeMap<String, Vec<String>>,
    inline: Vec<RawRule>,
) -> Option<RulesOut> {
    let mut g = Gathered::default();
    let mut version = None;
    // The digest's topic order and the terms that only support a match, from the packs.
    let (mut topic_order, mut context): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
    let errors_before = cx.report.error_count();
    for i in &inc.include {
        let read = files.read(i.get_ref()).map_err(|e| match e {
            ConfigError::Read { path, source } => cx.err(
                i,
                format!(
                    "cannot read rule pack {path}: {source} — paths are relative to the config file's folder; \"{}rules/semiconductor-export.toml\" names the pack built into chipwatch",
                    super::files::BUILTIN
                ),
            ),
            other => cx.err(i, other.to_string()),
        });
        let Some((ppath, ptext)) = cx.ok(read) else {
            continue;
        };
        let pcx = Ctx::new(ppath.as_str(), &ptext, cx.report);
        let Some(pack) = super::schema::decode::<RawPack>(&ppath, &ptext, cx.report) else {
            continue;
        };
        version = version.or(pack.version.clone());
        topic_order.extend(pack.topics.iter().cloned());
        context.extend(pack.context_terms.iter().cloned());
        g.terms(&pcx, pack.terms);
        g.rules(&pcx, &pack.rule);
    }
    g.terms(cx, terms);
    g.rules(cx, &inline);
    if cx.report.error_count() > errors_before {
        // Some rule is missing: compiling the rest would only mislead the later checks.
        return None;
    }
    let (mut set, warnings) =
        cx.ok(RuleSet::compile(&g.defs, &g.sets).map_err(ConfigError::Rules))?;
    set.set_topics(&topic_order, context_members(&context, &g.sets));
    Some((
        set,
        warnings.iter().map(|w| w.to_string()).collect(),
        version,
    ))
}

/// The `[[digest]]` profiles (or, with none, one daily digest to the sender); None after
/// reporting their errors. `rules` is None when the rules themselves failed.
pub(super) fn resolve_digests(
    cx: &Ctx,
    raw: Vec<RawDigest>,
    rules: Option<&RuleSet>,
    mail_from: &str,
    delivers: bool,
    channels: Option<&[channels::ChannelConfig]>,
) -> Option<Vec<DigestProfile>> {
    let known: Option<Vec<&str>> =
        rules.map(|r| r.rules().iter().map(|r| r.name.as_str()).collect());
    let mut out: Vec<DigestProfile> = Vec::new();
    let mut failed = false;
    for d in raw {
        if out.iter().any(|p| p.name == *d.name.get_ref()) {
            cx.report(
                &d.name,
                format!(
                    "digest `{}` is defined twice — rename one of them",
                    d.name.get_ref()
                ),
            );
            continue;
        }
        if delivers {
            placeholders(cx, &d);
        }
        match profile(cx, d, known.as_deref(), channels) {
            Some(p) => out.push(p),
            None => failed = true,
        }
    }
    if out.is_empty() && !failed {
        // No profile configured: one daily digest to the sender address.
        out.push(DigestProfile {
            name: "daily".into(),
            to: vec![mail_from.to_string()],
            cc: vec![],
            bcc: vec![],
            schedule: cx.ok(Schedule::parse("daily at 08:00", "UTC").map_err(|m| cx.err_file(m)))?,
            rules: vec![],
            tags: vec![],
            min_score: 0.0,
            max_stories: None,
            send_empty: false,
            subject: DEFAULT_SUBJECT.into(),
            alerts: true,
            alerts_per_hour: 12,
            quiet_hours: None,
            repeat_alerts: false,
            channels: vec![],
            explain: false,
        });
    }
    (!failed).then_some(out)
}

const DEFAULT_SUBJECT: &str = "chipwatch {profile}: {stories} stories ({date})";

/// Mail to the example domains goes nowhere: a warning once SMTP or sendmail would send it.
fn placeholders(cx: &Ctx, d: &RawDigest) {
    for a in d.to.iter().chain(&d.cc).chain(&d.bcc) {
        let domain = a
            .get_ref()
            .rsplit('@')
            .next()
            .unwrap_or("")
            .trim_end_matches('>');
        if matches!(domain, "example.org" | "example.com" | "example.net") {
            cx.warn(
                a,
                format!(
                    "digest `{}` sends to {:?}, a placeholder address that receives no mail — put your own address here",
                    d.name.get_ref(),
                    a.get_ref()
                ),
            );
        }
    }
}

/// The addresses of one recipient list; None after reporting the bad ones.
fn addresses(cx: &Ctx, profile: &str, v: &[Spanned<String>]) -> Option<Vec<String>> {
    let mut ok = true;
    for a in v {
        if let Err(e) = a.get_ref().parse::<lettre::message::Mailbox>() {
            cx.report(
                a,
                format!(
                    "digest `{profile}`: {:?} is not a mail address ({e}) — e.g. \"you@example.org\" or \"Your Name <you@example.org>\"",
                    a.get_ref()
                ),
            );
            ok = false;
        }
    }
    ok.then(|| v.iter().map(|a| a.get_ref().clone()).collect())
}

/// The profile's schedule in its time zone (the zone checked first, with the nearest names).
fn schedule(cx: &Ctx, d: &RawDigest) -> Option<Schedule> {
    let name = d.name.get_ref();
    let tz = d.timezone.as_ref().map_or("UTC", |t| t.get_ref().as_str());
    if let Some(t) = &d.timezone
        && tz.parse::<chrono_tz::Tz>().is_err()
    {
        cx.report(
            t,
            format!(
                "digest `{name}`: unknown time zone {tz:?} — {}",
                zone_hint(tz)
            ),
        );
        return None;
    }
    let text = d
        .schedule
        .as_ref()
        .map_or("daily at 08:00", |s| s.get_ref().as_str());
    let r = Schedule::parse(text, tz).map_err(|m| match &d.schedule {
        Some(s) => cx.err(s, format!("digest `{name}`: {m}")),
        None => cx.err(&d.name, m),
    });
    cx.ok(r)
}

/// Rule names a profile filters on that no rule has; reported, with the nearest name.
fn unknown_rules(cx: &Ctx, name: &str, rules: &[Spanned<String>], known: Option<&[&str]>) -> bool {
    let Some(known) = known else { return true };
    let mut ok = true;
    for r in rules
        .iter()
        .filter(|r| !known.contains(&r.get_ref().as_str()))
    {
        let hint = match nearest(r.get_ref(), known.iter().copied()) {
            Some(n) => format!("did you mean `{n}`?"),
            None => format!(
                "this configuration has {} rules; `chipwatch rules test TEXT` names them as they match",
                known.len()
            ),
        };
        cx.report(
            r,
            format!(
                "digest `{name}` names unknown rule `{}` — {hint}",
                r.get_ref()
            ),
        );
        ok = false;
    }
    ok
}

/// One `[[digest]]`; None after reporting everything wrong with it.
/// `channels` is None when the `[[channel]]` tables had errors (then the names are not checked,
/// so one mistake is not reported twice).
fn profile(
    cx: &Ctx,
    d: RawDigest,
    known: Option<&[&str]>,
    channels: Option<&[channels::ChannelConfig]>,
) -> Option<DigestProfile> {
    let name = d.name.get_ref().clone();
    let lists = [&d.to, &d.cc, &d.bcc].map(|l| addresses(cx, &name, l));
    let no_mail = d.to.is_empty() && d.cc.is_empty() && d.bcc.is_empty();
    if no_mail && d.channels.is_empty() {
        cx.report(
            &d.name,
            format!(
                "digest `{name}` has no recipients — add to = [\"you@example.org\"] or channels = [\"…\"]"
            ),
        );
    }
    let channels_ok =
        channels.is_none_or(|c| channels::check_profile_channels(cx, &name, &d.channels, c));
    let schedule = schedule(cx, &d);
    let rules_ok = unknown_rules(cx, &name, &d.rules, known);
    let quiet_hours = match &d.quiet_hours {
        Some(q) => cx
            .ok(schedule::QuietHours::parse(q.get_ref())
                .map_err(|m| cx.err(q, format!("digest `{name}`: {m}"))))
            .map(Some),
        None => Some(None),
    };
    let what = |k: &str| format!("digest `{name}`: {k}");
    let min_score = cx.ok(cx.float_in(&d.min_score, 0.0, (-1e6, 1e6), &what("min_score")));
    let max_stories = match &d.max_stories {
        Some(_) => cx
            .ok(cx.int_in(&d.max_stories, 0, (1, 100_000), &what("max_stories")))
            .map(|n| Some(n as usize)),
        None => Some(None),
    };
    let per_hour = cx.ok(cx.int_in(&d.alerts_per_hour, 12, (0, 3600), &what("alerts_per_hour")));
    let [to, cc, bcc] = lists;
    let (to, cc, bcc) = (to?, cc?, bcc?);
    if (no_mail && d.channels.is_empty()) || !rules_ok || !channels_ok {
        return None;
    }
    Some(DigestProfile {
        name,
        to,
        cc,
        bcc,
        schedule: schedule?,
        rules: d.rules.into_iter().map(Spanned::into_inner).collect(),
        tags: d.tags,
        min_score: min_score?,
        max_stories: max_stories?,
        send_empty: d.send_empty,
        subject: d.subject.unwrap_or_else(|| DEFAULT_SUBJECT.into()),
        alerts: d.alerts.unwrap_or(true),
        alerts_per_hour: per_hour? as u32,
        quiet_hours: quiet_hours?,
        repeat_alerts: d.repeat_alerts,
        channels: d.channels.iter().map(|c| c.get_ref().clone()).collect(),
        explain: d.explain,
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

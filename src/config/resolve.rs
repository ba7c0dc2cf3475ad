//! Turns the raw TOML (plus included rule packs and OPML) into a validated [`Config`]:
//! resolves paths against the config file's folder (or the embedded files), parses durations,
//! URLs, addresses, schedules and rules. Every problem goes to one [`Report`], so a load
//! lists all of them (each with file:line:col and a hint), plus warnings for settings that
//! contradict each other.

use super::diag::{Report, url_hint};
use super::files::{CENTURY, Ctx, DAY, Files, HOUR, MIN, SEC};
use super::raw::{RawConfig, RawFeeds, RawHttp, RawServer, RawStore};
use super::sections::{resolve_digests, resolve_rules};
use super::units::{parse_duration, parse_size};
use super::*;
use toml::Spanned;

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
    let report = Report::default();
    let config = build(
        &Ctx::new(display.as_str(), text, &report),
        path,
        source,
        state_dir,
    );
    let (error, warnings) = report.finish();
    match (error, config) {
        (Some(e), _) => Err(e),
        (None, Some(mut c)) => {
            c.warnings = warnings;
            Ok(c)
        }
        // Every None above comes with a reported error; keep a message should one not.
        (None, None) => Err(ConfigError::Invalid {
            location: display,
            message: "invalid configuration".into(),
        }),
    }
}

/// Resolves every section, reporting all problems; None if any section failed.
fn build(
    cx: &Ctx,
    path: Option<&Path>,
    source: ConfigSource,
    state_dir: PathBuf,
) -> Option<Config> {
    let raw: RawConfig = super::schema::decode(&cx.path, cx.text, cx.report)?;
    let files = Files { base: path };
    let store = raw.store.unwrap_or_default();
    let store_path = state_dir.join(store.path.as_deref().unwrap_or("chipwatch.db"));
    let rf = raw.feeds.unwrap_or_default();
    let feeds = super::feeds::resolve_feeds(cx, &files, &rf, &raw.feed);
    let federal = super::regulatory::resolve_federal_register(cx, &raw.federal_register);
    let lists = super::regulatory::resolve_screening_lists(cx, &files, &raw.screening_list);
    if [&feeds, &federal, &lists]
        .iter()
        .all(|f| f.as_ref().is_some_and(Vec::is_empty))
    {
        cx.report.warning(
            &cx.path,
            "no feeds configured: nothing is polled — add [[feed]] url = \"…\" tables, [feeds] opml = \"feeds.opml\" or a [[federal_register]] source (`chipwatch init DIR` writes a starter setup)",
        );
    }
    let polling = resolve_polling(cx, &rf);
    let http = resolve_http(cx, raw.http.unwrap_or_default());
    let mail = super::mail::resolve_mail(
        cx,
        raw.mail.unwrap_or_default(),
        raw.smtp,
        &state_dir,
        &files,
    );
    let rules = resolve_rules(
        cx,
        &files,
        raw.rules.unwrap_or_default(),
        raw.terms,
        raw.rule,
    );
    let server = cx.ok(resolve_server(cx, raw.server.as_ref()));
    let keep = cx.ok(resolve_keep(cx, &store));
    let from = mail
        .as_ref()
        .map_or("chipwatch@localhost", |m| m.from.as_str());
    // Only SMTP and sendmail deliver: then an example.org recipient is worth a warning.
    let delivers = mail
        .as_ref()
        .is_some_and(|m| matches!(m.transport, Transport::Smtp(_) | Transport::Sendmail { .. }));
    let channels = super::channels::resolve_channels(cx, raw.channel, &files);
    let digests = resolve_digests(
        cx,
        raw.digest,
        rules.as_ref().map(|r| &r.0),
        from,
        delivers,
        channels.as_deref(),
    );
    let (backfill, silent_after, poll) = polling?;
    let (rules, rule_warnings, rule_pack_version) = rules?;
    Some(Config {
        source,
        state_dir,
        store_path,
        keep: keep?,
        // Feeds first, then the primary sources (the order `feeds status` lists them in).
        feeds: [feeds?, federal?, lists?].concat(),
        opml_path: match (&rf.opml, path) {
            (Some(o), Some(_)) => Some(files.resolve(o.get_ref())),
            _ => None,
        },
        backfill,
        silent_after,
        poll,
        http: http?,
        mail: mail?,
        rules: Arc::new(rules),
        rule_warnings,
        rule_pack_version,
        digests: digests?,
        channels: channels?,
        server: server?,
        warnings: Vec::new(),
    })
}

/// A duration that may also be a word (`"all"`, `"off"`) handled by the caller.
fn duration_or_word(
    cx: &Ctx,
    v: &Spanned<String>,
    word: &str,
    what: &str,
) -> Result<Duration, ConfigError> {
    let d = parse_duration(v.get_ref())
        .map_err(|m| cx.err(v, format!("{what}: {m} (or \"{word}\")")))?;
    cx.check_duration(v, d, (Duration::ZERO, CENTURY), what)
}

/// `[feeds]` backfill, silent_after and the poll intervals.
fn resolve_polling(cx: &Ctx, rf: &RawFeeds) -> Option<(Backfill, Option<Duration>, PollPolicy)> {
    let backfill = match &rf.backfill {
        None => Some(Backfill::Within(Duration::from_secs(14 * 86_400))),
        Some(b) if b.get_ref().trim() == "all" => Some(Backfill::All),
        Some(b) => cx
            .ok(duration_or_word(cx, b, "all", "[feeds] backfill"))
            .map(Backfill::Within),
    };
    // A healthy feed quiet for longer than this (and than 4 × its usual gap) is listed in the
    // digest footer. "off" or a zero duration turns that off, as a zero per_host_interval does.
    let silent_after = match &rf.silent_after {
        None => Some(Some(Duration::from_secs(3 * 86_400))),
        Some(s) if s.get_ref().trim() == "off" => Some(None),
        Some(s) => cx
            .ok(duration_or_word(cx, s, "off", "[feeds] silent_after"))
            .map(|d| Some(d).filter(|d| !d.is_zero())),
    };
    let interval = |v: &Option<Spanned<String>>, default: Duration, what: &str| {
        cx.ok(cx.duration_in(v, default, (SEC, 365 * DAY), what))
    };
    let default_interval = interval(&rf.interval, 30 * MIN, "[feeds] interval");
    let min_interval = interval(&rf.min_interval, 5 * MIN, "[feeds] min_interval");
    let max_interval = interval(&rf.max_interval, DAY, "[feeds] max_interval");
    let poll = PollPolicy {
        default_interval: default_interval?,
        min_interval: min_interval?,
        max_interval: max_interval?,
    };
    if poll.min_interval > poll.max_interval {
        let at = rf.min_interval.as_ref().or(rf.max_interval.as_ref())?;
        cx.report(
            at,
            format!(
                "[feeds] min_interval ({}) is larger than max_interval ({}) — swap them",
                units::show(poll.min_interval),
                units::show(poll.max_interval)
            ),
        );
        return None;
    }
    Some((backfill?, silent_after?, poll))
}

/// `[http] max_body`: a size between 1 KiB and 1 GiB.
fn max_body(cx: &Ctx, v: &Option<Spanned<String>>) -> Result<u64, ConfigError> {
    let Some(s) = v else { return Ok(16 << 20) };
    let n = parse_size(s.get_ref()).map_err(|m| cx.err(s, format!("[http] max_body: {m}")))?;
    if !(1024..=1 << 30).contains(&n) {
        return Err(cx.err(
            s,
            format!(
                "[http] max_body = {:?}: must be between 1KiB and 1GiB",
                s.get_ref()
            ),
        ));
    }
    Ok(n)
}

/// `[http] proxy`: a URL.
fn proxy(cx: &Ctx, v: &Option<Spanned<String>>) -> Result<Option<String>, ConfigError> {
    let Some(p) = v else { return Ok(None) };
    url::Url::parse(p.get_ref()).map_err(|e| {
        let hint =
            url_hint(p.get_ref()).unwrap_or_else(|| "e.g. \"http://proxy.example:3128\"".into());
        cx.err(
            p,
            format!("[http] proxy {:?} is not a URL ({e}) — {hint}", p.get_ref()),
        )
    })?;
    Ok(Some(p.get_ref().clone()))
}

/// `[http]`, every value range-checked.
fn resolve_http(cx: &Ctx, rh: RawHttp) -> Option<HttpConfig> {
    let int = |v: &Option<Spanned<i64>>, default: i64, range: (i64, i64), what: &str| {
        cx.ok(cx.int_in(v, default, range, what))
            .map(|n| n as usize)
    };
    let dur = |v: &Option<Spanned<String>>, default: Duration, range, what: &str| {
        cx.ok(cx.duration_in(v, default, range, what))
    };
    let concurrency = int(&rh.concurrency, 64, (1, 1024), "[http] concurrency");
    let per_host = int(
        &rh.per_host_concurrency,
        2,
        (1, 64),
        "[http] per_host_concurrency",
    );
    let per_host_interval = match &rh.per_host_interval {
        Some(_) => dur(
            &rh.per_host_interval,
            Duration::ZERO,
            (Duration::ZERO, HOUR),
            "[http] per_host_interval",
        )
        .map(Some),
        None => Some(None),
    };
    let timeout = dur(&rh.timeout, 30 * SEC, (SEC, HOUR), "[http] timeout");
    let connect = dur(
        &rh.connect_timeout,
        10 * SEC,
        (SEC, 10 * MIN),
        "[http] connect_timeout",
    );
    let max_body = cx.ok(max_body(cx, &rh.max_body));
    let proxy = cx.ok(proxy(cx, &rh.proxy));
    Some(HttpConfig {
        concurrency: concurrency?,
        per_host_concurrency: per_host?,
        per_host_interval: per_host_interval?,
        timeout: timeout?,
        connect_timeout: connect?,
        user_agent: rh.user_agent.unwrap_or_else(|| {
            format!(
                "chipwatch/{} (+https://github.com/chipwatch/chipwatch; feed monitor)",
                env!("CARGO_PKG_VERSION")
            )
        }),
        max_body: max_body?,
        allow_private: rh.allow_private,
        proxy: proxy?,
    })
}

/// `[server]`, when present.
fn resolve_server(
    cx: &Ctx,
    raw: Option<&RawServer>,
) -> Result<Option<ServerSettings>, ConfigError> {
    let Some(sv) = raw else { return Ok(None) };
    let listen = sv.listen.get_ref().parse().map_err(|e| {
        cx.err(
            &sv.listen,
            format!(
                "[server] listen {:?}: {e} — expected an address and port, e.g. \"127.0.0.1:9870\"",
                sv.listen.get_ref()
            ),
        )
    });
    let max_scheduler_age = cx.duration_in(
        &sv.max_scheduler_age,
        3 * MIN,
        (10 * SEC, DAY),
        "[server] max_scheduler_age",
    );
    let allow = super::server_allow(cx, sv.allow.as_deref());
    let (listen, age, allow) = (cx.ok(listen), cx.ok(max_scheduler_age), cx.ok(allow));
    match (listen, age, allow) {
        (Some(listen), Some(max_scheduler_age), Some(allow)) => Ok(Some(ServerSettings {
            listen,
            max_scheduler_age,
            allow,
        })),
        // The errors are in the report already.
        _ => Err(ConfigError::Many(Vec::new())),
    }
}

/// `[store] keep_days` as a retention period.
fn resolve_keep(cx: &Ctx, store: &RawStore) -> Result<Option<Duration>, ConfigError> {
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

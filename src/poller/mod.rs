//! One refresh of one source, start to finish: fetch (conditional GET) → read the body as the
//! source's kind says ([`crate::source`]: a feed, a Federal Register page, a screening-list
//! snapshot diffed with the one the store kept) → skip entries already stored → match the
//! new ones → record everything in one store transaction, and decide when to poll next. The
//! pure part (which entries are new, their matches and story signatures) is [`ingest`].
//! Errors are recorded on the feed and backed off; they never escape. Called by `app` for
//! every due feed.

pub mod ingest;
pub mod unchanged;

use crate::clock::Clock;
use crate::config::{Backfill, PollPolicy};
use crate::fetch::{FetchOutcome, FetchRequest, Fetcher};
use crate::model::FeedSpec;
use crate::rules::RuleSet;
use crate::scheduler::{Hints, backoff, interval_after_success, jitter};
use crate::source::{Prior, Read, SourceError};
use crate::store::actor::StoreHandle;
use crate::store::entries::{PollOutcome, PollRecord};
use crate::store::feeds::FeedState;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// What a poll needs; cheap to clone.
#[derive(Clone)]
pub struct PollContext {
    pub fetcher: Fetcher,
    pub store: StoreHandle,
    pub rules: Arc<RuleSet>,
    pub clock: Arc<dyn Clock>,
    pub backfill: Backfill,
    pub policy: PollPolicy,
    /// Bounds CPU-heavy parsing/matching to the number of cores.
    pub cpu: Arc<Semaphore>,
    /// Per-host request limit (held only while the request runs).
    pub limits: crate::scheduler::Limits,
    pub metrics: Arc<crate::metrics::Metrics>,
}

impl PollContext {
    /// The poll context a configuration asks for; `cpu` and `metrics` outlive reloads.
    pub fn new(
        config: &crate::config::Config,
        fetcher: Fetcher,
        store: StoreHandle,
        clock: Arc<dyn Clock>,
        cpu: Arc<Semaphore>,
        metrics: Arc<crate::metrics::Metrics>,
    ) -> PollContext {
        PollContext {
            fetcher,
            store,
            rules: config.rules.clone(),
            clock,
            backfill: config.backfill,
            policy: config.poll.clone(),
            cpu,
            limits: crate::scheduler::Limits::new(
                config.http.concurrency,
                config.http.per_host_concurrency,
            )
            .with_host_gap(config.http.per_host_interval),
            metrics,
        }
    }
}

/// The outcome of one poll, for summaries and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PollSummary {
    pub status: Option<u16>,
    pub modified: bool,
    pub not_modified: bool,
    /// A 200 with the document parsed last time (see [`unchanged`]).
    pub unchanged: bool,
    pub error: bool,
    /// Not requested: the host is under a Retry-After.
    pub deferred: bool,
    /// The result could not be written to the database.
    pub store_failed: bool,
    pub entries_new: usize,
    pub matches_new: usize,
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 4)
}

/// The most a document's parsing and matching may take (CPU-bound work on a core of its own,
/// so about its CPU time). Text extraction is linear, so only a pathological document gets
/// near it; it is then recorded as an error on its feed while the daemon goes on.
pub const PARSE_BUDGET: Duration = Duration::from_secs(15);

/// [`poll_feed`] with a panic anywhere in it caught: logged with the feed, recorded on the
/// feed as an error and backed off like any failure, so the feed is polled again later and
/// the other polls go on.
pub async fn poll_feed_caught(
    ctx: &PollContext,
    spec: &FeedSpec,
    state: &FeedState,
) -> PollSummary {
    use futures_util::FutureExt;
    let run = std::panic::AssertUnwindSafe(poll_feed(ctx, spec, state));
    match run.catch_unwind().await {
        Ok(summary) => summary,
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            let shown = crate::redact::url(&spec.id_url());
            tracing::error!(feed = %shown, panic = %msg, "poll crashed (a bug: please report it); the feed is backed off and retried");
            let now = ctx.clock.now().timestamp();
            let next = now + secs(jitter(backoff(&ctx.policy, state.error_count + 1), 0.2));
            let mut summary = PollSummary::default();
            let rec = failed(
                &mut summary,
                state,
                now,
                None,
                format!("internal error while polling: {msg}"),
                None,
                false,
                next,
                &shown,
            );
            if let Err(e) = ctx.store.commit(rec).await {
                tracing::error!(feed = %shown, error = %e, "cannot record poll");
            }
            summary
        }
    }
}

/// Polls one feed and records the result. Never fails: problems are recorded on the feed.
pub async fn poll_feed(ctx: &PollContext, spec: &FeedSpec, state: &FeedState) -> PollSummary {
    let now = ctx.clock.now();
    let configured = spec.id_url();
    // A stored permanent redirect came from a server: it is used only if it is an address a
    // server may send us to (http/https); the configured one otherwise.
    let url = state
        .redirect_url
        .clone()
        .filter(|r| r.starts_with("http://") || r.starts_with("https://"))
        .unwrap_or_else(|| configured.clone());
    let shown = crate::redact::url(&url);
    let req = FetchRequest {
        url: url.clone(),
        etag: state.etag.clone(),
        last_modified: state.last_modified.clone(),
        headers: spec.headers.clone(),
        // Local files only where the user wrote the address in their own config.
        allow_local: url == configured && spec.user_written,
        configured: Some(configured.clone()),
    };
    let host = spec.host();
    if let Some(until) = ctx.limits.blocked_until(&host, now.timestamp()) {
        return deferred(ctx, state, now, until, &shown).await;
    }
    let (outcome, discovered) = fetch_or_discover(ctx, spec, req, &configured, &shown, now).await;
    let mut summary = PollSummary::default();
    // The body's share of the memory budget is held until its entries are committed, so
    // documents parsed faster than the store writes them cannot pile up in memory.
    let mut held = crate::fetch::budget::Held::default();
    let fail = |errors: i64| now.timestamp() + secs(jitter(backoff(&ctx.policy, errors), 0.2));
    let rec = match outcome {
        FetchOutcome::NotModified {
            permanent_redirect,
            max_age,
        } => not_modified(
            ctx,
            spec,
            state,
            now,
            permanent_redirect,
            max_age,
            &shown,
            &mut summary,
        ),
        FetchOutcome::Modified(mut f) => {
            held = std::mem::take(&mut f.budget);
            modified(ctx, spec, state, now, f, discovered, &shown, &mut summary).await
        }
        FetchOutcome::RateLimited {
            status,
            retry_after,
        } => {
            let wait = retry_after.unwrap_or_else(|| backoff(&ctx.policy, state.error_count + 1));
            let until = now.timestamp() + secs(wait.min(ctx.policy.max_interval.saturating_mul(7)));
            ctx.limits.block_host(&host, until);
            let msg = format!(
                "HTTP {status}: rate limited, retry after {}s",
                until - now.timestamp()
            );
            failed(
                &mut summary,
                state,
                now.timestamp(),
                Some(status),
                msg,
                Some(until),
                false,
                until,
                &shown,
            )
        }
        FetchOutcome::Gone => {
            tracing::warn!(feed = %shown, "feed is gone (HTTP 410); disabled, kept in `feeds status`");
            failed(
                &mut summary,
                state,
                now.timestamp(),
                Some(410),
                "HTTP 410 Gone".into(),
                None,
                true,
                i64::MAX / 4,
                &shown,
            )
        }
        FetchOutcome::Failed { status, error } => failed(
            &mut summary,
            state,
            now.timestamp(),
            status,
            error.to_string(),
            None,
            false,
            fail(state.error_count + 1),
            &shown,
        ),
    };
    finish(ctx, rec, held, now, &shown, summary).await
}

/// Another feed on this host got a Retry-After: wait with it, without counting an error.
async fn deferred(
    ctx: &PollContext,
    state: &FeedState,
    now: chrono::DateTime<chrono::Utc>,
    until: i64,
    shown: &str,
) -> PollSummary {
    tracing::debug!(feed = %shown, until, "host asked us to wait (Retry-After); deferred");
    let rec = PollRecord {
        feed_id: state.id,
        checked_at: now.timestamp(),
        status: None,
        etag: None,
        last_modified: None,
        redirect_url: None,
        next_check_at: until,
        interval_secs: None,
        outcome: PollOutcome::Deferred,
    };
    if let Err(e) = ctx.store.commit(rec).await {
        tracing::error!(feed = %shown, error = %e, "cannot record poll");
    }
    PollSummary {
        deferred: true,
        ..Default::default()
    }
}

/// Fetches the feed; an HTML page that announces a feed is replaced by that feed. Returns the
/// outcome and the announced address, if one was followed.
async fn fetch_or_discover(
    ctx: &PollContext,
    spec: &FeedSpec,
    mut req: FetchRequest,
    configured: &str,
    shown: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> (FetchOutcome, Option<String>) {
    let mut discovered = None;
    let mut outcome = fetch_limited(ctx, &req, &spec.host(), now).await;
    // Feed discovery: an HTML page that announces a feed is replaced by that feed.
    if let FetchOutcome::Modified(f) = &outcome
        && crate::parse::looks_like_html(&f.body)
    {
        let base = url::Url::parse(&f.final_url).ok();
        let links = crate::parse::discover::discover_feed_links(
            &String::from_utf8_lossy(&f.body),
            base.as_ref(),
        );
        if let Some(link) = links.into_iter().next() {
            tracing::info!(feed = %shown, discovered = %crate::redact::url(&link), "the address is an HTML page; using the feed it announces");
            // The page's announcement is the server's word: http(s) only, no private ranges
            // off the configured host (the fetcher checks), and the per-feed headers only on
            // the configured origin (the fetcher keeps them there).
            req = FetchRequest {
                url: link.clone(),
                etag: None,
                last_modified: None,
                headers: spec.headers.clone(),
                allow_local: false,
                configured: Some(configured.to_string()),
            };
            outcome = fetch_limited(ctx, &req, &spec.host(), now).await;
            discovered = Some(link);
        }
    }
    (outcome, discovered)
}

/// A 304: the schedule moves on, nothing else changes.
#[allow(clippy::too_many_arguments)]
fn not_modified(
    ctx: &PollContext,
    spec: &FeedSpec,
    state: &FeedState,
    now: chrono::DateTime<chrono::Utc>,
    permanent_redirect: Option<String>,
    max_age: Option<Duration>,
    shown: &str,
    summary: &mut PollSummary,
) -> PollRecord {
    summary.not_modified = true;
    summary.status = Some(304);
    let hints = Hints {
        max_age,
        ..Default::default()
    };
    let next = now.timestamp()
        + secs(jitter(
            interval_after_success(&ctx.policy, spec, &hints),
            0.1,
        ));
    log_redirect(shown, &permanent_redirect);
    PollRecord {
        feed_id: state.id,
        checked_at: now.timestamp(),
        status: Some(304),
        etag: None,
        last_modified: None,
        redirect_url: permanent_redirect,
        next_check_at: next,
        interval_secs: None,
        outcome: PollOutcome::NotModified,
    }
}

/// A new document: parsed and matched on a core of its own within [`PARSE_BUDGET`].
#[allow(clippy::too_many_arguments)]
async fn modified(
    ctx: &PollContext,
    spec: &FeedSpec,
    state: &FeedState,
    now: chrono::DateTime<chrono::Utc>,
    mut f: Box<crate::fetch::Fetched>,
    discovered: Option<String>,
    shown: &str,
    summary: &mut PollSummary,
) -> PollRecord {
    let fail = |errors: i64| now.timestamp() + secs(jitter(backoff(&ctx.policy, errors), 0.2));

    if f.permanent_redirect.is_none() {
        f.permanent_redirect = discovered.clone();
    }
    summary.status = Some(f.status);
    log_redirect(shown, &f.permanent_redirect);
    let digest = unchanged::digest(&f.body, f.content_type.as_deref(), &f.final_url);
    if unchanged::same(&digest, state) {
        summary.unchanged = true;
        return unchanged_body(ctx, spec, state, now, &f, digest);
    }
    let prior = load_prior(ctx, spec, state).await;
    let (status, etag, last_modified, permanent_redirect, max_age) = (
        f.status,
        f.etag.clone(),
        f.last_modified.clone(),
        f.permanent_redirect.clone(),
        f.max_age,
    );
    let parsed = parse_in_budget(ctx, spec, state, f, prior, now).await;
    match parsed {
        Ok(Ok((
            Read { feed, snapshot },
            ingest::Ingested {
                entries,
                still_listed,
                posting,
                parsed,
            },
        ))) => {
            summary.modified = true;
            let hints = Hints {
                max_age,
                ttl: feed.ttl,
                posting_interval: posting,
            };
            let interval = interval_after_success(&ctx.policy, spec, &hints);
            if !feed.repairs.is_empty() {
                tracing::debug!(feed = %shown, repairs = ?feed.repairs, "feed repaired before parsing");
            }
            let problem = feed.problem.clone();
            note_problem(ctx, state, &problem, (parsed, feed.item_elements), shown);
            PollRecord {
                feed_id: state.id,
                checked_at: now.timestamp(),
                status: Some(status),
                etag,
                last_modified,
                redirect_url: permanent_redirect,
                next_check_at: now.timestamp() + secs(jitter(interval, 0.1)),
                interval_secs: Some(secs(interval)),
                outcome: PollOutcome::Modified {
                    entries,
                    still_listed,
                    format: feed.format,
                    encoding: feed.encoding,
                    repairs: feed.repairs,
                    title: feed.title,
                    problem,
                    snapshot,
                    digest: Some(digest),
                },
            }
        }
        Ok(Err(e)) => failed(
            summary,
            state,
            now.timestamp(),
            Some(status),
            parse_error_text(&e, state, &ctx.metrics),
            None,
            false,
            fail(state.error_count + 1),
            shown,
        ),
        Err(e) => failed(
            summary,
            state,
            now.timestamp(),
            Some(status),
            format!("parse: {e}"),
            None,
            false,
            fail(state.error_count + 1),
            shown,
        ),
    }
}

/// A 200 with the document parsed last time: scheduled like a 304 (the interval chosen after
/// the last parse unless the server sends a new max-age), no parse, no lookups.
fn unchanged_body(
    ctx: &PollContext,
    spec: &FeedSpec,
    state: &FeedState,
    now: chrono::DateTime<chrono::Utc>,
    f: &crate::fetch::Fetched,
    digest: crate::model::BodyDigest,
) -> PollRecord {
    let hints = Hints {
        max_age: f.max_age,
        ttl: state
            .interval_secs
            .and_then(|s| u64::try_from(s).ok())
            .map(Duration::from_secs),
        posting_interval: None,
    };
    let interval = interval_after_success(&ctx.policy, spec, &hints);
    PollRecord {
        feed_id: state.id,
        checked_at: now.timestamp(),
        status: Some(f.status),
        etag: f.etag.clone(),
        last_modified: f.last_modified.clone(),
        redirect_url: f.permanent_redirect.clone(),
        next_check_at: now.timestamp() + secs(jitter(interval, 0.1)),
        interval_secs: None,
        outcome: PollOutcome::Unchanged { digest },
    }
}

type Parsed = Result<(Read, ingest::Ingested), SourceError>;

/// What the store knows about the source before its body is read (nothing on a first poll).
async fn load_prior(ctx: &PollContext, spec: &FeedSpec, state: &FeedState) -> Prior {
    if !state.polled {
        return Prior::default();
    }
    let (id, snapshot) = (state.id, crate::source::needs_snapshot(&spec.kind));
    ctx.store
        .call(move |s| {
            Ok(Prior {
                known: s.known_keys(id)?,
                snapshot: if snapshot { s.snapshot(id)? } else { None },
            })
        })
        .await
        .unwrap_or_default()
}

/// Reads (as the source's kind says) and ingests on a core of its own (the CPU permit) within
/// [`PARSE_BUDGET`]; the outer error says the work crashed or ran out of time.
async fn parse_in_budget(
    ctx: &PollContext,
    spec: &FeedSpec,
    state: &FeedState,
    fetched: Box<crate::fetch::Fetched>,
    prior: Prior,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Parsed, String> {
    let permit = ctx.cpu.clone().acquire_owned().await.ok();
    let (rules, spec, backfill, polled) =
        (ctx.rules.clone(), spec.clone(), ctx.backfill, state.polled);
    let parsed = tokio::task::spawn_blocking(move || {
        // Held until the work ends, even when the poll stopped waiting for it.
        let _permit = permit;
        let doc = crate::source::Document {
            body: &fetched.body,
            content_type: fetched.content_type.as_deref(),
            url: &fetched.final_url,
        };
        let mut read = crate::source::read(&spec, doc, &prior)?;
        // The entries move into the result (only their number is needed afterwards).
        let entries = std::mem::take(&mut read.feed.entries);
        let new = ingest::ingest(entries, &prior.known, &rules, &spec, !polled, backfill, now);
        Ok((read, new))
    });
    match tokio::time::timeout(PARSE_BUDGET, parsed).await {
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(_) => Err(format!(
            "parsing and matching took longer than {} s; document skipped",
            PARSE_BUDGET.as_secs()
        )),
    }
}

/// Metrics, the one store commit, and the summary of the poll.
async fn finish(
    ctx: &PollContext,
    rec: PollRecord,
    held: crate::fetch::budget::Held,
    now: chrono::DateTime<chrono::Utc>,
    shown: &str,
    mut summary: PollSummary,
) -> PollSummary {
    let mut per_rule: std::collections::BTreeMap<&str, u64> = Default::default();
    if let PollOutcome::Modified { entries, .. } = &rec.outcome {
        for m in entries.iter().flat_map(|e| e.matches.iter()) {
            *per_rule.entry(m.rule.as_str()).or_default() += 1;
        }
    }
    let outcome_name = match &rec.outcome {
        PollOutcome::Modified { .. } => "modified",
        PollOutcome::NotModified => "not_modified",
        PollOutcome::Unchanged { .. } => "unchanged",
        PollOutcome::Deferred => "rate_limited",
        PollOutcome::Failed { gone: true, .. } => "gone",
        PollOutcome::Failed {
            retry_after_until: Some(_),
            ..
        } => "rate_limited",
        PollOutcome::Failed { .. } => "error",
    };
    let elapsed = (ctx.clock.now() - now).to_std().unwrap_or_default();
    for (rule, n) in per_rule {
        ctx.metrics.record_match(rule, n);
    }
    let checked_at = rec.checked_at;
    let result = ctx.store.commit(rec).await;
    drop(held);
    ctx.metrics.record_poll(
        outcome_name,
        summary.status,
        elapsed,
        result.as_ref().map(|s| s.entries_new as u64).unwrap_or(0),
        checked_at,
    );
    match result {
        Ok(stats) => {
            summary.entries_new = stats.entries_new;
            summary.matches_new = stats.matches_new;
            tracing::debug!(feed = %shown, status = ?summary.status, entries_new = stats.entries_new, matches_new = stats.matches_new, "polled");
        }
        Err(e) => {
            summary.error = true;
            summary.store_failed = true;
            tracing::error!(feed = %shown, error = %e, "cannot record poll (disk full, or state directory not writable?)");
        }
    }
    summary
}

/// A document whose items were not read is never a quiet, healthy feed: logged when its
/// state changes, counted on every poll. `counts` = (entries parsed, item elements).
fn note_problem(
    ctx: &PollContext,
    state: &FeedState,
    problem: &Option<String>,
    counts: (usize, usize),
    shown: &str,
) {
    let (parsed, items) = counts;
    let now_state = problem_state(problem.as_deref());
    if now_state != problem_state(state.parse_problem.as_deref()) {
        match problem {
            Some(p) => {
                tracing::warn!(feed = %shown, problem = %p, entries = parsed, items, "feed parsed, but its items were not read")
            }
            None => tracing::info!(feed = %shown, entries = parsed, "feed items read again"),
        }
    }
    if let Some(s) = now_state {
        ctx.metrics.record_parse_problem(s);
    }
}

/// `unparsed` / `partial`: the state word that starts a parse problem.
fn problem_state(p: Option<&str>) -> Option<&str> {
    p.and_then(|p| p.split(':').next())
}

/// The error recorded for a document that is not a feed. An HTML page where a feed used to be
/// (a login wall, a challenge page, a parked domain) is said so, and counted as unparsed.
fn parse_error_text(
    e: &SourceError,
    state: &FeedState,
    metrics: &crate::metrics::Metrics,
) -> String {
    match e {
        SourceError::Parse(crate::parse::ParseError::Html) => {
            metrics.record_parse_problem("unparsed");
            if state.polled {
                "parse: unparsed: the feed's address now serves an HTML page (a login wall, a challenge page or a parked domain?)".into()
            } else {
                "parse: unparsed: got an HTML page, not a feed (give the feed's own address)".into()
            }
        }
        other => format!("parse: {other}"),
    }
}

#[allow(clippy::too_many_arguments)]
fn failed(
    summary: &mut PollSummary,
    state: &FeedState,
    now: i64,
    status: Option<u16>,
    error: String,
    retry_after_until: Option<i64>,
    gone: bool,
    next: i64,
    url: &str,
) -> PollRecord {
    summary.error = true;
    summary.status = status;
    if !gone {
        tracing::warn!(feed = %url, error = %error, errors = state.error_count + 1, retry_in_s = next - now, "feed failed");
    }
    PollRecord {
        feed_id: state.id,
        checked_at: now,
        status,
        etag: None,
        last_modified: None,
        redirect_url: None,
        next_check_at: next,
        interval_secs: None,
        outcome: PollOutcome::Failed {
            error,
            retry_after_until,
            gone,
        },
    }
}

/// One request under the per-host limit.
async fn fetch_limited(
    ctx: &PollContext,
    req: &FetchRequest,
    host: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> FetchOutcome {
    let _host_permit = ctx.limits.acquire_host(host).await;
    ctx.fetcher.fetch(req, now).await
}

fn log_redirect(url: &str, to: &Option<String>) {
    if let Some(t) = to {
        tracing::info!(feed = %url, moved_to = %crate::redact::url(t), "feed moved permanently; polling the new address (update the config to silence this)");
    }
}

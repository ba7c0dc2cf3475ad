//! One refresh of one source, start to finish: fetch (conditional GET) → read the body as the
//! source's kind says ([`crate::source`]: a feed, a Federal Register page, a screening-list
//! snapshot diffed with the one the store kept) → skip entries already stored → match the
//! new ones → record everything in one store transaction, and decide when to poll next. The
//! pure part (which entries are new, their matches and story signatures) is [`ingest`]; the
//! reading on a core of its own is `read`, each outcome's record `outcome`, the unchanged-body
//! check [`unchanged`], the context and summary `context`.
//! Errors are recorded on the feed and backed off; they never escape. Called by `app` for
//! every due feed.

mod context;
pub mod ingest;
mod outcome;
mod read;
pub mod unchanged;

pub use context::{PollContext, PollSummary};
use outcome::{failed, log_redirect, not_modified, note_problem, parse_error_text, unchanged_body};
pub use read::PARSE_BUDGET;
use read::{load_prior, parse_in_budget};

use crate::fetch::{FetchOutcome, FetchRequest};
use crate::model::FeedSpec;
use crate::scheduler::{Hints, backoff, interval_after_success, jitter};
use crate::source::Read;
use crate::store::entries::{PollOutcome, PollRecord};
use crate::store::feeds::FeedState;
use std::time::Duration;

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 4)
}

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

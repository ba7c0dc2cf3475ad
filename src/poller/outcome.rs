//! The record of each way a poll can end, as the store takes it: not modified, an unchanged
//! body, a failure (with the feed's error count and backoff); the parse-problem state of a
//! document, and how failures and moves are logged. Used by [`super::poll_feed`].

use super::{PollContext, PollSummary, secs};
use crate::model::FeedSpec;
use crate::scheduler::{Hints, interval_after_success, jitter};
use crate::source::SourceError;
use crate::store::entries::{PollOutcome, PollRecord};
use crate::store::feeds::FeedState;
use std::time::Duration;

/// A 304: the schedule moves on, nothing else changes.
#[allow(clippy::too_many_arguments)]
pub(super) fn not_modified(
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

/// A 200 with the document parsed last time: scheduled like a 304 (the interval chosen after
/// the last parse unless the server sends a new max-age), no parse, no lookups.
pub(super) fn unchanged_body(
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

/// A document whose items were not read is never a quiet, healthy feed: logged when its
/// state changes, counted on every poll. `counts` = (entries parsed, item elements).
pub(super) fn note_problem(
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
pub(super) fn problem_state(p: Option<&str>) -> Option<&str> {
    p.and_then(|p| p.split(':').next())
}

/// The error recorded for a document that is not a feed. An HTML page where a feed used to be
/// (a login wall, a challenge page, a parked domain) is said so, and counted as unparsed.
pub(super) fn parse_error_text(
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
pub(super) fn failed(
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

pub(super) fn log_redirect(url: &str, to: &Option<String>) {
    if let Some(t) = to {
        tracing::info!(feed = %url, moved_to = %crate::redact::url(t), "feed moved permanently; polling the new address (update the config to silence this)");
    }
}

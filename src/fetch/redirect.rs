//! Our redirect policy inside reqwest's redirect machinery, so reqwest keeps stripping
//! sensitive headers on cross-origin hops while we keep the hop limit, loop detection, the
//! address rules of [`super::guard`] and the 301/308 bookkeeping. The per-fetch state lives in
//! a task-local [`HopLog`] set around each request; a request carrying per-feed headers stops
//! at the first hop to another origin and the fetcher continues without them.

use super::{FetchError, MAX_HOPS, guard};
use reqwest::StatusCode;
use std::sync::{Arc, Mutex, MutexGuard};

tokio::task_local! {
    static LOG: HopLog;
}

#[derive(Debug)]
struct State {
    configured: url::Url,
    allow_private: bool,
    /// This round carries per-feed headers: stop before leaving the configured origin.
    scoped: bool,
    /// Status of every hop followed so far, in order.
    statuses: Vec<StatusCode>,
    /// Every address left by a hop, across rounds.
    visited: Vec<url::Url>,
    refused: Option<FetchError>,
}

/// The redirect bookkeeping of one fetch.
#[derive(Clone, Debug)]
pub struct HopLog(Arc<Mutex<State>>);

impl HopLog {
    pub fn new(configured: url::Url, allow_private: bool) -> HopLog {
        HopLog(Arc::new(Mutex::new(State {
            configured,
            allow_private,
            scoped: false,
            statuses: Vec::new(),
            visited: Vec::new(),
            refused: None,
        })))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn begin_round(&self, scoped: bool) {
        self.lock().scoped = scoped;
    }

    /// Runs one request with this log visible to the policy.
    pub async fn scope<F: std::future::Future>(&self, f: F) -> F::Output {
        LOG.scope(self.clone(), f).await
    }

    /// Why the policy refused a hop, if it did.
    pub fn take_refusal(&self) -> Option<FetchError> {
        self.lock().refused.take()
    }

    /// Records a hop the fetcher follows itself (after the policy stopped at another origin).
    pub fn manual_hop(
        &self,
        status: StatusCode,
        from: &url::Url,
        to: &url::Url,
    ) -> Result<(), FetchError> {
        let mut s = self.lock();
        check(&s, to, std::slice::from_ref(from))?;
        s.visited.push(from.clone());
        s.statuses.push(status);
        Ok(())
    }

    /// Whether every hop (at least one) was a permanent redirect.
    pub fn permanent(&self) -> bool {
        let s = self.lock();
        !s.statuses.is_empty()
            && s.statuses.iter().all(|st| {
                matches!(
                    *st,
                    StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT
                )
            })
    }
}

fn check(s: &State, next: &url::Url, previous: &[url::Url]) -> Result<(), FetchError> {
    if s.visited.contains(next) || previous.contains(next) {
        return Err(FetchError::RedirectLoop(crate::redact::url(next.as_str())));
    }
    if s.statuses.len() >= MAX_HOPS {
        return Err(FetchError::TooManyRedirects);
    }
    guard::check_remote(next, &s.configured, s.allow_private)?;
    Ok(())
}

/// The client's redirect policy. Outside a fetch's [`HopLog`] scope it only limits hops.
pub fn policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let Ok(log) = LOG.try_with(HopLog::clone) else {
            return if attempt.previous().len() > MAX_HOPS {
                attempt.error(FetchError::TooManyRedirects.to_string())
            } else {
                attempt.follow()
            };
        };
        let mut s = log.lock();
        let next = attempt.url().clone();
        if let Err(e) = check(&s, &next, attempt.previous()) {
            let msg = e.to_string();
            s.refused = Some(e);
            return attempt.error(msg);
        }
        if s.scoped && !guard::same_origin(&next, &s.configured) {
            // Per-feed headers never leave the configured origin: the fetcher goes on without.
            return attempt.stop();
        }
        s.statuses.push(attempt.status());
        if let Some(from) = attempt.previous().last() {
            s.visited.push(from.clone());
        }
        attempt.follow()
    })
}

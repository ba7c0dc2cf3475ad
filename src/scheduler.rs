//! Scheduling: when each feed is next polled (interval from config, server hints and the
//! feed's own posting rate, clamped; exponential backoff with jitter on errors) and running
//! polls under a global and a per-host concurrency limit. Used by `app` for the daemon and
//! for `run --once`.

use crate::config::PollPolicy;
use crate::model::FeedSpec;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Hints gathered by a successful poll.
#[derive(Debug, Clone, Copy, Default)]
pub struct Hints {
    /// Cache-Control max-age / Expires.
    pub max_age: Option<Duration>,
    /// RSS `<ttl>`.
    pub ttl: Option<Duration>,
    /// Average time between the feed's recent entries.
    pub posting_interval: Option<Duration>,
}

/// Interval after a successful poll: the per-feed override wins; otherwise server hints
/// (max-age, ttl), then half the observed posting interval, then the default; clamped.
pub fn interval_after_success(policy: &PollPolicy, spec: &FeedSpec, hints: &Hints) -> Duration {
    if let Some(i) = spec.interval {
        return i.clamp(policy.min_interval.min(i), policy.max_interval.max(i));
    }
    let base = hints
        .max_age
        .or(hints.ttl)
        .or(hints.posting_interval.map(|p| p / 2))
        .unwrap_or(policy.default_interval);
    base.clamp(policy.min_interval, policy.max_interval)
}

/// Backoff after `errors` consecutive failures: min interval × 2^(errors-1), capped at the
/// max interval.
pub fn backoff(policy: &PollPolicy, errors: i64) -> Duration {
    let exp = errors.clamp(1, 20) as u32 - 1;
    let d = policy.min_interval.saturating_mul(1u32 << exp.min(16));
    d.min(policy.max_interval)
}

/// Spreads `d` by ±`frac` so feeds (and retries) don't move in lockstep.
pub fn jitter(d: Duration, frac: f64) -> Duration {
    let f = 1.0 + frac * (fastrand::f64() * 2.0 - 1.0);
    // Saturates: a huge interval (or server hint) stays huge instead of panicking.
    Duration::try_from_secs_f64((d.as_secs_f64() * f).max(0.0)).unwrap_or(Duration::MAX)
}

/// Global and per-host concurrency limits for requests.
#[derive(Clone)]
pub struct Limits {
    global: Arc<Semaphore>,
    per_host: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
    host_limit: usize,
    /// Optional minimum gap between request starts to one host (a per-host rate).
    host_gap: Option<Duration>,
    last_start: Arc<Mutex<HashMap<String, tokio::time::Instant>>>,
    /// Hosts that answered 429/503 with Retry-After: no request before this Unix time.
    blocked: Arc<Mutex<HashMap<String, i64>>>,
}

/// A held slot (global or per host); released when dropped.
pub struct Permit {
    _permit: OwnedSemaphorePermit,
}

impl Limits {
    pub fn new(global: usize, per_host: usize) -> Limits {
        Limits {
            global: Arc::new(Semaphore::new(global.max(1))),
            per_host: Arc::new(Mutex::new(HashMap::new())),
            host_limit: per_host.max(1),
            host_gap: None,
            last_start: Default::default(),
            blocked: Default::default(),
        }
    }

    /// Adds a per-host request rate: at most one request start per `gap`.
    pub fn with_host_gap(mut self, gap: Option<Duration>) -> Limits {
        self.host_gap = gap.filter(|g| !g.is_zero());
        self
    }

    /// Remembers that `host` asked us to wait until `until` (Unix seconds).
    pub fn block_host(&self, host: &str, until: i64) {
        if host.is_empty() {
            return;
        }
        if let Ok(mut m) = self.blocked.lock() {
            let e = m.entry(host.to_string()).or_insert(until);
            *e = (*e).max(until);
        }
    }

    /// When `host` is under a Retry-After that has not passed at `now`, its end.
    pub fn blocked_until(&self, host: &str, now: i64) -> Option<i64> {
        self.blocked
            .lock()
            .ok()?
            .get(host)
            .copied()
            .filter(|t| *t > now)
    }

    /// One of the global slots, held for a whole poll (fetch, parse, store), so that at most
    /// `concurrency` fetched documents are in memory at once.
    pub async fn acquire(&self) -> Option<Permit> {
        Some(Permit {
            _permit: self.global.clone().acquire_owned().await.ok()?,
        })
    }

    /// A slot for one request to `host` ("" = local file: no host limit → None at once).
    pub async fn acquire_host(&self, host: &str) -> Option<Permit> {
        if host.is_empty() {
            return None;
        }
        let sem = match self.per_host.lock() {
            Ok(mut m) => m
                .entry(host.to_string())
                .or_insert_with(|| Arc::new(Semaphore::new(self.host_limit)))
                .clone(),
            Err(p) => p
                .into_inner()
                .entry(host.to_string())
                .or_insert_with(|| Arc::new(Semaphore::new(self.host_limit)))
                .clone(),
        };
        let permit = Permit {
            _permit: sem.acquire_owned().await.ok()?,
        };
        if let Some(gap) = self.host_gap {
            let wait_until = match self.last_start.lock() {
                Ok(mut m) => {
                    let now = tokio::time::Instant::now();
                    let next = m.get(host).map(|t| (*t + gap).max(now)).unwrap_or(now);
                    m.insert(host.to_string(), next);
                    next
                }
                Err(_) => tokio::time::Instant::now(),
            };
            tokio::time::sleep_until(wait_until).await;
        }
        Some(permit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FeedSource;

    fn policy() -> PollPolicy {
        PollPolicy {
            default_interval: Duration::from_secs(1800),
            min_interval: Duration::from_secs(300),
            max_interval: Duration::from_secs(86400),
        }
    }

    fn spec(interval: Option<Duration>) -> FeedSpec {
        FeedSpec {
            source: FeedSource::Path("x".into()),
            name: "x".into(),
            tags: vec![],
            interval,
            default_offset: None,
            headers: vec![],
            user_written: true,
            kind: Default::default(),
        }
    }

    #[test]
    fn intervals_follow_hints_and_clamp() {
        let p = policy();
        let h = Hints::default();
        assert_eq!(
            interval_after_success(&p, &spec(None), &h),
            Duration::from_secs(1800)
        );
        let h = Hints {
            max_age: Some(Duration::from_secs(60)),
            ..Default::default()
        };
        assert_eq!(
            interval_after_success(&p, &spec(None), &h),
            Duration::from_secs(300)
        );
        let h = Hints {
            posting_interval: Some(Duration::from_secs(7 * 86400)),
            ..Default::default()
        };
        assert_eq!(
            interval_after_success(&p, &spec(None), &h),
            Duration::from_secs(86400)
        );
        let h = Hints {
            posting_interval: Some(Duration::from_secs(3600)),
            ..Default::default()
        };
        assert_eq!(
            interval_after_success(&p, &spec(None), &h),
            Duration::from_secs(1800)
        );
        assert_eq!(
            interval_after_success(&p, &spec(Some(Duration::from_secs(60))), &h),
            Duration::from_secs(60)
        );
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let p = policy();
        assert_eq!(backoff(&p, 1), Duration::from_secs(300));
        assert_eq!(backoff(&p, 3), Duration::from_secs(1200));
        assert_eq!(backoff(&p, 50), Duration::from_secs(86400));
        let j = jitter(Duration::from_secs(100), 0.2);
        assert!(j >= Duration::from_secs(80) && j <= Duration::from_secs(120));
    }

    #[tokio::test]
    async fn per_host_limit_holds() {
        let l = Limits::new(2, 1);
        let a = l.acquire_host("a.example").await;
        assert!(a.is_some());
        let blocked =
            tokio::time::timeout(Duration::from_millis(20), l.acquire_host("a.example")).await;
        assert!(
            blocked.is_err(),
            "second permit for the same host must wait"
        );
        assert!(l.acquire_host("b.example").await.is_some());
        drop(a);
        assert!(l.acquire_host("a.example").await.is_some());
        assert!(
            l.acquire_host("").await.is_none(),
            "local files have no host limit"
        );
        let (g1, g2) = (l.acquire().await, l.acquire().await);
        assert!(g1.is_some() && g2.is_some());
        assert!(
            tokio::time::timeout(Duration::from_millis(20), l.acquire())
                .await
                .is_err(),
            "global limit holds"
        );
        l.block_host("a.example", 100);
        assert_eq!(l.blocked_until("a.example", 50), Some(100));
        assert_eq!(l.blocked_until("a.example", 100), None);
        assert_eq!(l.blocked_until("b.example", 50), None);
    }

    #[tokio::test(start_paused = true)]
    async fn per_host_rate_spaces_requests() {
        let l = Limits::new(8, 8).with_host_gap(Some(Duration::from_secs(2)));
        let t0 = tokio::time::Instant::now();
        for _ in 0..3 {
            drop(l.acquire_host("a.example").await);
        }
        assert!(
            t0.elapsed() >= Duration::from_secs(4),
            "three starts need two gaps"
        );
        let t1 = tokio::time::Instant::now();
        drop(l.acquire_host("b.example").await);
        assert!(
            t1.elapsed() < Duration::from_millis(10),
            "other hosts are not slowed"
        );
    }
}

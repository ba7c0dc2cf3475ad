//! What a poll needs ([`PollContext`], built from the configuration once) and what it tells
//! its caller ([`PollSummary`]). Used by `app` and the daemon to run [`super::poll_feed`].

use crate::clock::Clock;
use crate::config::{Backfill, PollPolicy};
use crate::fetch::Fetcher;
use crate::rules::RuleSet;
use crate::store::actor::StoreHandle;
use std::sync::Arc;
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

//! The running service: builds the components from a [`Config`] (store thread, HTTP client,
//! mailer, limits, metrics), runs poll cycles under the concurrency limits and digests when
//! due. `run --once` lives here; the long-running loop is in [`crate::daemon`].

use crate::channel::Channels;
use crate::clock::Clock;
use crate::config::Config;
use crate::digest::{self, DigestContext};
use crate::fetch::Fetcher;
use crate::mailer::Mailer;
use crate::metrics::Metrics;
use crate::model::FeedSpec;
use crate::poller::{PollContext, PollSummary, poll_feed_caught};
use crate::scheduler::Limits;
use crate::store::Store;
use crate::store::actor::StoreHandle;
use crate::store::feeds::FeedState;
use serde::Serialize;
use std::collections::HashMap;
use std::fs::File;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// What `run --once` prints (one JSON object with `--json`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunSummary {
    pub feeds: usize,
    pub polled: usize,
    pub http_200: usize,
    pub http_304: usize,
    /// 200s (counted in `http_200` too) whose document was the one parsed last time.
    pub unchanged: usize,
    pub errors: usize,
    /// Feeds not requested because their host asked us to wait (Retry-After).
    pub deferred: usize,
    /// Polls whose results could not be written to the database (disk full, read-only …).
    pub store_errors: usize,
    pub entries_new: usize,
    /// New (entry, rule) pairs: an entry two rules match counts twice.
    pub matches_new: usize,
    pub digests_created: usize,
    pub digests_sent: usize,
    /// Alert messages sent (counted apart from `digests_sent`).
    pub alerts_sent: usize,
    pub digests_failed: usize,
    pub digests_pending: i64,
    pub elapsed_ms: u128,
}

impl RunSummary {
    pub fn add(&mut self, p: &PollSummary) {
        self.polled += 1;
        if p.store_failed {
            self.store_errors += 1;
        }
        if p.deferred {
            self.deferred += 1;
        } else if p.error {
            self.errors += 1;
        } else if p.not_modified {
            self.http_304 += 1;
        } else if p.modified || p.unchanged {
            self.http_200 += 1;
            self.unchanged += usize::from(p.unchanged);
        }
        self.entries_new += p.entries_new;
        self.matches_new += p.matches_new;
    }

    /// The one-line summary of `run --once`. A match is one (entry, rule) pair: an entry that
    /// two rules match counts twice, so "new matches" can exceed "new entries".
    pub fn line(&self) -> String {
        use crate::words::count;
        format!(
            "{}: {} polled ({} new content, {} unchanged, {} not modified, {}); {}, {} ({}); digests: {} created, {} sent, {} failed, {} pending; alerts: {} sent ({} ms)",
            count(self.feeds, "feed", "feeds"),
            self.polled,
            self.http_200.saturating_sub(self.unchanged),
            self.unchanged,
            self.http_304,
            count(self.errors, "error", "errors"),
            count(self.entries_new, "new entry", "new entries"),
            count(self.matches_new, "new match", "new matches"),
            if self.matches_new == 1 {
                "entry × rule pair"
            } else {
                "entry × rule pairs"
            },
            self.digests_created,
            self.digests_sent,
            self.digests_failed,
            self.digests_pending,
            self.alerts_sent,
            self.elapsed_ms
        )
    }
}

/// The components shared by polls and digests.
pub struct Service {
    pub config: Config,
    pub metrics: Arc<Metrics>,
    pub store: StoreHandle,
    store_thread: Option<std::thread::JoinHandle<()>>,
    pub poll: PollContext,
    pub digests: DigestContext,
    limits: Limits,
    _lock: Option<File>,
}

/// Why the service could not start, be reconfigured or keep its loop going.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{what} {}: {source}", .path.display())]
    Io {
        /// "creating state directory", "creating lock file", "locking".
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("another `chipwatch run` is already using {} (lock {} is held); stop it first", .db.display(), .lock.display())]
    Locked { db: PathBuf, lock: PathBuf },
    #[error("cannot install signal handlers: {0}")]
    Signals(#[source] std::io::Error),
    #[error("[store] path changed; restart chipwatch to use another database")]
    StorePathChanged,
    #[error("[server] listen {addr}: {source}")]
    Listen {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Fetch(#[from] crate::fetch::FetchError),
    #[error(transparent)]
    Mail(#[from] crate::mailer::MailError),
    #[error(transparent)]
    Channel(#[from] crate::channel::ChannelError),
}

/// Takes the database's run lock: one `chipwatch run` per database.
fn take_lock(db: &std::path::Path) -> Result<File, ServiceError> {
    let mut p = db.as_os_str().to_owned();
    p.push(".lock");
    let path = PathBuf::from(p);
    let io = |what, path: &std::path::Path| {
        let path = path.to_path_buf();
        move |source| ServiceError::Io { what, path, source }
    };
    if let Some(d) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(d).map_err(io("creating state directory", d))?;
    }
    let f = File::create(&path).map_err(io("creating lock file", &path))?;
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(std::fs::TryLockError::WouldBlock) => Err(ServiceError::Locked {
            db: db.to_path_buf(),
            lock: path,
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(io("locking", &path)(e)),
    }
}

impl Service {
    /// Opens the database (taking the run lock) and builds every component.
    pub fn start(config: Config, clock: Arc<dyn Clock>) -> Result<Service, ServiceError> {
        let lock = take_lock(&config.store_path)?;
        let store = Store::open(&config.store_path)?;
        let (handle, join) = StoreHandle::spawn(store);
        let fetcher = Fetcher::new(&config.http)?;
        let channels = Arc::new(Channels::new(Mailer::new(&config.mail)?, &config.channels)?);
        let metrics = Arc::new(Metrics::new());
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let cpu = Arc::new(Semaphore::new(cores));
        let poll = PollContext::new(
            &config,
            fetcher,
            handle.clone(),
            clock.clone(),
            cpu,
            metrics.clone(),
        );
        let digests = DigestContext::new(&config, handle.clone(), channels, clock, metrics.clone());
        let limits = poll.limits.clone();
        Ok(Service {
            config,
            metrics,
            store: handle,
            store_thread: Some(join),
            poll,
            digests,
            limits,
            _lock: Some(lock),
        })
    }

    /// Applies a new configuration (SIGHUP): rules, feeds, profiles, limits.
    pub fn reconfigure(&mut self, config: Config) -> Result<(), ServiceError> {
        if config.store_path != self.config.store_path {
            return Err(ServiceError::StorePathChanged);
        }
        let fetcher = Fetcher::new(&config.http)?;
        let channels = Arc::new(Channels::new(Mailer::new(&config.mail)?, &config.channels)?);
        let p = &self.poll;
        self.poll = PollContext::new(
            &config,
            fetcher,
            p.store.clone(),
            p.clock.clone(),
            p.cpu.clone(),
            p.metrics.clone(),
        );
        let d = &self.digests;
        self.digests = DigestContext::new(
            &config,
            d.store.clone(),
            channels,
            d.clock.clone(),
            d.metrics.clone(),
        );
        self.limits = self.poll.limits.clone();
        self.config = config;
        Ok(())
    }

    /// Registers the configured feeds and returns them with their poll state.
    pub async fn register_feeds(&self) -> Result<Vec<(FeedSpec, FeedState)>, ServiceError> {
        let specs = self.config.feeds.clone();
        let states = self.store.call(move |s| s.register_feeds(&specs)).await?;
        Ok(self.pair(states))
    }

    /// The configured feeds that are due at `now`, with their poll state (feeds must be
    /// registered). One indexed query, so an idle daemon with many feeds stays cheap.
    pub async fn due_feed_states(
        &self,
        now: i64,
    ) -> Result<Vec<(FeedSpec, FeedState)>, ServiceError> {
        let states = self.store.call(move |s| s.due_feed_states(now)).await?;
        if states.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self.pair(states))
    }

    fn pair(&self, states: Vec<FeedState>) -> Vec<(FeedSpec, FeedState)> {
        let mut by_url: HashMap<String, FeedState> =
            states.into_iter().map(|s| (s.url.clone(), s)).collect();
        self.config
            .feeds
            .iter()
            .filter_map(|f| by_url.remove(&f.id_url()).map(|s| (f.clone(), s)))
            .collect()
    }

    /// One feed's poll as a task to spawn: it waits for a global slot, then polls (a panic is
    /// caught and recorded on the feed). Used by `run --once` and the daemon alike.
    pub fn poll_task(
        &self,
        spec: FeedSpec,
        state: FeedState,
    ) -> impl std::future::Future<Output = PollSummary> + Send + 'static {
        let (ctx, limits) = (self.poll.clone(), self.limits.clone());
        async move {
            let _slot = limits.acquire().await;
            poll_feed_caught(&ctx, &spec, &state).await
        }
    }

    /// Polls the given feeds concurrently and waits for all of them.
    pub async fn poll_all(&self, feeds: Vec<(FeedSpec, FeedState)>, summary: &mut RunSummary) {
        let mut set = JoinSet::new();
        for (spec, state) in feeds {
            set.spawn(self.poll_task(spec, state));
        }
        while let Some(r) = set.join_next().await {
            match r {
                Ok(p) => summary.add(&p),
                Err(e) => {
                    summary.errors += 1;
                    tracing::error!(error = %e, "poll task failed");
                }
            }
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Applies `[store] keep_days`, if set.
    pub async fn prune(&self) {
        let Some(keep) = self.config.keep else { return };
        let now = self.poll.clock.now().timestamp();
        let secs = i64::try_from(keep.as_secs()).unwrap_or(i64::MAX / 4);
        match self.store.call(move |s| s.prune(now, secs)).await {
            Ok(p) if p.entries + p.digests > 0 => {
                tracing::info!(
                    entries = p.entries,
                    matches = p.matches,
                    digests = p.digests,
                    keep_s = secs,
                    "retention: pruned"
                )
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "retention failed"),
        }
    }

    /// Stops the store thread after the last write.
    pub fn shutdown(mut self) {
        let join = self.store_thread.take();
        drop(self);
        if let Some(j) = join {
            let _ = j.join();
        }
    }
}

/// Feeds that may be polled now: not gone, not under Retry-After, and (if `due_only`) due.
/// A Retry-After stored on a feed also holds the other feeds of its host (`limits`).
pub fn pollable(
    feeds: Vec<(FeedSpec, FeedState)>,
    now: i64,
    due_only: bool,
    limits: &Limits,
) -> Vec<(FeedSpec, FeedState)> {
    for (spec, st) in &feeds {
        if let Some(t) = st.retry_after_until.filter(|t| *t > now && !st.gone) {
            limits.block_host(&spec.host(), t);
        }
    }
    feeds
        .into_iter()
        .filter(|(_, s)| {
            !s.gone
                && s.retry_after_until.is_none_or(|t| t <= now)
                && (!due_only || s.next_check_at <= now)
        })
        .collect()
}

/// `run --once`: one poll cycle, then digests if due (or forced).
pub async fn run_once(
    config: Config,
    clock: Arc<dyn Clock>,
    due_only: bool,
    digest_now: bool,
) -> Result<RunSummary, ServiceError> {
    let started = Instant::now();
    let svc = Service::start(config, clock.clone())?;
    let feeds = svc.register_feeds().await?;
    let mut summary = RunSummary {
        feeds: feeds.len(),
        ..Default::default()
    };
    let now = clock.now().timestamp();
    let todo = pollable(feeds, now, due_only, &svc.limits);
    svc.poll_all(todo, &mut summary).await;
    tracing::info!(
        polled = summary.polled,
        entries_new = summary.entries_new,
        matches_new = summary.matches_new,
        ms = started.elapsed().as_millis() as u64,
        "poll cycle done"
    );
    let d = digest::run_due(&svc.digests, digest_now, true).await;
    for e in &d.errors {
        tracing::warn!(error = %e, "digest problem");
    }
    summary.digests_created = d.created;
    summary.digests_sent = d.sent - d.alerts_sent;
    summary.alerts_sent = d.alerts_sent;
    summary.digests_failed = d.failed;
    summary.digests_pending = d.pending;
    svc.prune().await;
    summary.elapsed_ms = started.elapsed().as_millis();
    svc.shutdown();
    Ok(summary)
}

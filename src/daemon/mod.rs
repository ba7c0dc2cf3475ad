//! The long-running daemon (`chipwatch run`): polls feeds as they fall due, sends digests on
//! schedule, reloads on SIGHUP (an invalid config is logged and the old one kept), stops
//! cleanly on SIGTERM/SIGINT (a second signal exits at once), talks to systemd (READY, STATUS,
//! RELOADING, STOPPING, watchdog pings only while this loop runs) and serves /healthz and
//! /metrics when `[server]` is configured.

use crate::app::{RunSummary, Service, ServiceError, pollable};
use crate::clock::Clock;
use crate::config::{Config, ConfigSource};
use crate::digest;
use crate::poller::PollSummary;
use crate::server::{Health, ServerConfig};
use sd_notify::NotifyState;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;
use tokio::task::JoinSet;

mod health;
mod lifecycle;

use health::AppHealth;
pub use lifecycle::tune_allocator;
use lifecycle::{Signals, notify, reload, settle, stop};

/// Runs until SIGTERM/SIGINT.
pub async fn run(
    source: ConfigSource,
    config: Config,
    clock: Arc<dyn Clock>,
) -> Result<(), ServiceError> {
    use tokio::signal::unix::{SignalKind, signal};
    let svc = Service::start(config, clock.clone())?;
    let mut signals = Signals {
        hup: signal(SignalKind::hangup()).map_err(ServiceError::Signals)?,
        term: signal(SignalKind::terminate()).map_err(ServiceError::Signals)?,
        int: signal(SignalKind::interrupt()).map_err(ServiceError::Signals)?,
    };
    let mut d = Daemon::new(svc, clock, source);
    let stop_server = d.start_server().await?;
    d.svc.register_feeds().await?;
    tracing::info!(feeds = d.svc.config.feeds.len(), rules = d.svc.config.rules.rules().len(), db = %d.svc.config.store_path.display(), mail = %d.svc.digests.channels.mail.describe(), "chipwatch started");
    notify(&[NotifyState::Ready]);
    loop {
        d.beat();
        d.start_due_polls().await?;
        d.digests().await;
        d.summary_line();
        d.retention().await;
        d.report_status();
        let wait = d.next_wait().await;
        if d.wait(wait, &mut signals).await == Wake::Stop {
            return stop(d.svc, d.tasks, d.digest_task, &mut signals, stop_server).await;
        }
    }
}

/// Why a wait between turns ended.
#[derive(PartialEq, Eq)]
enum Wake {
    Turn,
    Stop,
}

/// The scheduler loop's state between turns.
struct Daemon {
    svc: Service,
    clock: Arc<dyn Clock>,
    source: ConfigSource,
    /// Read by /healthz: the loop's last turn, and whether its database calls succeed.
    heartbeat: Arc<AtomicI64>,
    database_ok: Arc<AtomicBool>,
    watchdog: Option<Duration>,
    in_flight: Arc<std::sync::Mutex<HashSet<String>>>,
    tasks: JoinSet<PollSummary>,
    cycle: RunSummary,
    last_prune: Option<tokio::time::Instant>,
    last_summary: tokio::time::Instant,
    failing_now: u64,
    /// Look for alerts in the next digest run (new matches stored, or alerts held back).
    check_alerts: bool,
    digest_task: Option<tokio::task::JoinHandle<digest::DigestRun>>,
    digest_done: Option<Result<digest::DigestRun, tokio::task::JoinError>>,
    last_pending: i64,
}

impl Daemon {
    fn new(svc: Service, clock: Arc<dyn Clock>, source: ConfigSource) -> Daemon {
        Daemon {
            svc,
            heartbeat: Arc::new(AtomicI64::new(clock.now().timestamp())),
            clock,
            source,
            database_ok: Arc::new(AtomicBool::new(true)),
            watchdog: sd_notify::watchdog_enabled(),
            in_flight: Default::default(),
            tasks: JoinSet::new(),
            cycle: RunSummary::default(),
            last_prune: None,
            last_summary: tokio::time::Instant::now(),
            failing_now: 0,
            // Alerts may be pending from before a restart: look once at start.
            check_alerts: true,
            digest_task: None,
            digest_done: None,
            last_pending: 0,
        }
    }

    /// Serves /healthz and /metrics when `[server]` is configured; the sender stops it.
    async fn start_server(&self) -> Result<tokio::sync::oneshot::Sender<()>, ServiceError> {
        let (stop_server, server_stopped) = tokio::sync::oneshot::channel::<()>();
        let Some(sv) = &self.svc.config.server else {
            return Ok(stop_server);
        };
        let health: Arc<dyn Health> = Arc::new(AppHealth {
            heartbeat: self.heartbeat.clone(),
            clock: self.clock.clone(),
            database_ok: self.database_ok.clone(),
        });
        let cfg = ServerConfig {
            listen: sv.listen,
            max_scheduler_age_secs: sv.max_scheduler_age.as_secs(),
            allow: sv.allow.clone(),
        };
        let (ready, bound) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(crate::server::serve(
            cfg,
            self.svc.metrics.clone(),
            health,
            ready,
            async move {
                let _ = server_stopped.await;
            },
        ));
        match bound.await {
            Ok(addr) => tracing::info!(%addr, "serving /healthz and /metrics"),
            Err(_) => {
                let source = match task.await {
                    Ok(Err(e)) => e,
                    Ok(Ok(())) => std::io::Error::other("the server stopped before listening"),
                    Err(e) => std::io::Error::other(e),
                };
                return Err(ServiceError::Listen {
                    addr: sv.listen,
                    source,
                });
            }
        }
        Ok(stop_server)
    }

    /// The loop is alive: heartbeat for /healthz, ping for the systemd watchdog.
    fn beat(&self) {
        self.heartbeat
            .store(self.clock.now().timestamp(), Ordering::Relaxed);
        if self.watchdog.is_some() {
            notify(&[NotifyState::Watchdog]);
        }
    }

    /// Spawns a poll for every due feed not already being polled.
    async fn start_due_polls(&mut self) -> Result<(), ServiceError> {
        let now = self.clock.now().timestamp();
        let feeds = self.svc.due_feed_states(now).await?;
        match self.svc.store.call(|s| s.feed_health_counts()).await {
            Ok((total, failing, gone)) => {
                self.svc.metrics.set_feeds(total, failing, gone);
                self.cycle.feeds = total as usize;
                self.failing_now = failing;
                self.database_ok.store(true, Ordering::Relaxed);
            }
            Err(_) => self.database_ok.store(false, Ordering::Relaxed),
        }
        let in_flight = &self.in_flight;
        let due: Vec<_> = pollable(feeds, now, true, self.svc.limits())
            .into_iter()
            .filter(|(f, _)| {
                in_flight
                    .lock()
                    .map(|mut s| s.insert(f.id_url()))
                    .unwrap_or(false)
            })
            .collect();
        for (spec, state) in due {
            let flight = InFlight {
                set: self.in_flight.clone(),
                url: spec.id_url(),
            };
            let poll = self.svc.poll_task(spec, state);
            self.tasks.spawn(async move {
                // Leaves the in-flight set however the task ends (also if it is aborted).
                let _flight = flight;
                poll.await
            });
        }
        Ok(())
    }

    /// Takes the result of the last digest run and starts the next. Digests are created and
    /// sent by a task of their own, so a slow or black-holed mail server never holds up
    /// polling or the watchdog pings of this loop.
    async fn digests(&mut self) {
        if let Some(d) = finished_digests(&mut self.digest_task, &mut self.digest_done).await {
            // Looking for alerts reads every undelivered match: do it when polls stored new
            // matches, or while alerts are held back, not on every idle turn of the loop.
            self.check_alerts |= d.alerts_held;
            self.last_pending = d.pending;
            self.svc
                .metrics
                .set_queue_depth(u64::try_from(d.pending).unwrap_or(0));
            if d.created + d.sent + d.failed > 0 {
                if self.tasks.is_empty() {
                    settle(&self.svc).await;
                }
                tracing::info!(
                    created = d.created,
                    sent = d.sent,
                    failed = d.failed,
                    pending = d.pending,
                    "digests"
                );
            }
        }
        if self.digest_task.is_none() {
            let mut ctx = self.svc.digests.clone();
            ctx.send_budget = Some(DIGEST_SEND_BUDGET);
            let alerts = std::mem::take(&mut self.check_alerts);
            self.digest_task = Some(tokio::spawn(async move {
                digest::run_due(&ctx, false, alerts).await
            }));
        }
    }

    /// One summary line a minute at most (feeds trickle in continuously on a busy daemon).
    fn summary_line(&mut self) {
        if self.cycle.polled > 0 && self.last_summary.elapsed() >= Duration::from_secs(60) {
            tracing::info!("{}", self.cycle.line());
            self.cycle = RunSummary {
                feeds: self.cycle.feeds,
                ..Default::default()
            };
            self.last_summary = tokio::time::Instant::now();
        }
    }

    /// Retention runs hourly (more often for very short keep periods), busy or not.
    async fn retention(&mut self) {
        let every = self
            .svc
            .config
            .keep
            .map(|k| (k / 4).clamp(Duration::from_secs(10), Duration::from_secs(3600)));
        if every.is_some_and(|e| self.last_prune.is_none_or(|t| t.elapsed() >= e)) {
            self.svc.prune().await;
            self.last_prune = Some(tokio::time::Instant::now());
            if self.tasks.is_empty() {
                settle(&self.svc).await;
            }
        }
    }

    fn report_status(&self) {
        let status = format!(
            "{} feeds ({} failing), {} polls in flight, {} digests pending",
            self.cycle.feeds,
            self.failing_now,
            self.tasks.len(),
            self.last_pending
        );
        notify(&[NotifyState::Status(&status)]);
    }

    /// Until the next feed is due (5–30 s: feeds falling due meanwhile wait a few seconds and
    /// go together), and within half the watchdog period.
    async fn next_wait(&self) -> Duration {
        let now = self.clock.now().timestamp();
        let next = self
            .svc
            .store
            .call(|s| s.next_check_due())
            .await
            .ok()
            .flatten()
            .unwrap_or(now + 30);
        let mut wait = Duration::from_secs(u64::try_from(next - now).unwrap_or(0).clamp(5, 30));
        if let Some(w) = self.watchdog {
            wait = wait.min(w / 2).max(Duration::from_millis(100));
        }
        wait
    }

    /// Waits `wait`, collecting finished polls and digests meanwhile; a SIGHUP reloads and
    /// ends the wait, SIGTERM/SIGINT ask to stop.
    async fn wait(&mut self, wait: Duration, sig: &mut Signals) -> Wake {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => return Wake::Turn,
                r = async { match self.digest_task.as_mut() { Some(t) => t.await, None => std::future::pending().await } }, if self.digest_task.is_some() => {
                    // Looked at in the next turn; the loop keeps its pace.
                    self.digest_task = None;
                    self.digest_done = Some(r);
                }
                Some(r) = self.tasks.join_next(), if !self.tasks.is_empty() => {
                    match r {
                        Ok(p) => {
                            self.check_alerts |= p.matches_new > 0;
                            self.cycle.add(&p);
                        }
                        Err(e) => {
                            self.cycle.errors += 1;
                            tracing::error!(error = %e, "poll task ended abnormally");
                        }
                    }
                    if self.tasks.is_empty() {
                        settle(&self.svc).await;
                    }
                }
                _ = sig.hup.recv() => {
                    reload(&mut self.svc, &self.source).await;
                    // Alert rules or profiles may have changed.
                    self.check_alerts = true;
                    return Wake::Turn;
                }
                _ = sig.term.recv() => return Wake::Stop,
                _ = sig.int.recv() => return Wake::Stop,
            }
        }
    }
}

/// Sending digests may take this long per turn of the loop; the rest wait for the next turn.
/// Well inside the unit's WatchdogSec=120s, though the loop pings on its own meanwhile.
pub const DIGEST_SEND_BUDGET: Duration = Duration::from_secs(60);

/// A feed's entry in the in-flight set, removed when the poll task ends in any way.
struct InFlight {
    set: Arc<std::sync::Mutex<HashSet<String>>>,
    url: String,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut s = self.set.lock().unwrap_or_else(|p| p.into_inner());
        s.remove(&self.url);
    }
}

/// The result of the digest task, once it has finished (None while it runs or if none runs).
async fn finished_digests(
    task: &mut Option<tokio::task::JoinHandle<digest::DigestRun>>,
    done: &mut Option<Result<digest::DigestRun, tokio::task::JoinError>>,
) -> Option<digest::DigestRun> {
    let result = match done.take() {
        Some(r) => r,
        None if task.as_ref().is_some_and(|t| t.is_finished()) => task.take()?.await,
        None => return None,
    };
    match result {
        Ok(d) => Some(d),
        Err(e) => {
            tracing::error!(error = %e, "digest task ended abnormally; retried next turn");
            Some(digest::DigestRun {
                alerts_held: true,
                ..Default::default()
            })
        }
    }
}

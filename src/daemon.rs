//! The long-running daemon (`chipwatch run`): polls feeds as they fall due, sends digests on
//! schedule, reloads on SIGHUP (an invalid config is logged and the old one kept), stops
//! cleanly on SIGTERM/SIGINT (a second signal exits at once), talks to systemd (READY, STATUS,
//! RELOADING, STOPPING, watchdog pings only while this loop runs) and serves /healthz and
//! /metrics when `[server]` is configured.

use crate::app::{RunSummary, Service, pollable};
use crate::clock::Clock;
use crate::config::{Config, ConfigSource};
use crate::digest;
use crate::poller::{PollSummary, poll_feed};
use crate::server::{Health, ServerConfig};
use crate::store::actor::StoreHandle;
use sd_notify::NotifyState;
use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use tokio::task::JoinSet;

/// What /healthz looks at: the loop's heartbeat and a database ping.
struct AppHealth {
    heartbeat: Arc<AtomicI64>,
    clock: Arc<dyn Clock>,
    store: StoreHandle,
}

impl Health for AppHealth {
    fn scheduler_age_secs(&self) -> u64 {
        u64::try_from(self.clock.now().timestamp() - self.heartbeat.load(Ordering::Relaxed))
            .unwrap_or(0)
    }
    fn database_ok(&self) -> Pin<Box<dyn Future<Output = bool> + Send + '_>> {
        Box::pin(async move { self.store.call(|s| s.counts()).await.is_ok() })
    }
}

/// Hands memory freed by a poll cycle back to the OS, so the daemon idles small between
/// cycles (glibc keeps freed heap in its per-thread arenas otherwise).
fn release_memory() {
    // SAFETY: malloc_trim only walks the allocator's own free lists; it takes no pointers
    // from us and is safe to call at any time from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// After a burst of work (polls, retention, digests) with nothing in flight: SQLite's page
/// cache and the allocator's free memory go back to the OS, so the daemon idles small.
async fn settle(svc: &Service) {
    let _ = svc.store.call(|s| s.shrink_memory()).await;
    release_memory();
}

fn notify(states: &[NotifyState]) {
    // Not under systemd (no NOTIFY_SOCKET): nothing to do, and nothing to report.
    let _ = sd_notify::notify(states);
}

/// Allocator settings for a long-running process: feed documents and parsed entries are large,
/// short-lived buffers; served from mmap they go back to the OS when freed instead of
/// fragmenting the heap, and two arenas (not one per thread) keep the idle footprint small.
pub fn tune_allocator() {
    // SAFETY: mallopt only changes glibc allocator parameters; both values are valid.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 64 * 1024);
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Runs until SIGTERM/SIGINT.
pub async fn run(
    source: ConfigSource,
    config: Config,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut svc = Service::start(config, clock.clone())?;
    let mut hup = signal(SignalKind::hangup())?;
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let heartbeat = Arc::new(AtomicI64::new(clock.now().timestamp()));
    let (stop_server, server_stopped) = tokio::sync::oneshot::channel::<()>();
    if let Some(sv) = &svc.config.server {
        let health: Arc<dyn Health> = Arc::new(AppHealth {
            heartbeat: heartbeat.clone(),
            clock: clock.clone(),
            store: svc.store.clone(),
        });
        let cfg = ServerConfig {
            listen: sv.listen,
            max_scheduler_age_secs: sv.max_scheduler_age.as_secs(),
        };
        let (ready, bound) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(crate::server::serve(
            cfg,
            svc.metrics.clone(),
            health,
            ready,
            async move {
                let _ = server_stopped.await;
            },
        ));
        match bound.await {
            Ok(addr) => tracing::info!(%addr, "serving /healthz and /metrics"),
            Err(_) => {
                let err = task
                    .await
                    .ok()
                    .and_then(|r| r.err())
                    .map(|e| e.to_string())
                    .unwrap_or_default();
                anyhow::bail!("[server] listen {}: {err}", sv.listen);
            }
        }
    }
    let watchdog = sd_notify::watchdog_enabled();
    let in_flight: Arc<std::sync::Mutex<HashSet<String>>> = Default::default();
    let mut tasks: JoinSet<PollSummary> = JoinSet::new();
    let mut cycle = RunSummary::default();
    let mut last_prune: Option<tokio::time::Instant> = None;
    let mut last_summary = tokio::time::Instant::now();
    let mut failing_now = 0u64;
    // Alerts may be pending from before a restart: look once at start.
    let mut check_alerts = true;
    svc.feeds().await?;
    tracing::info!(feeds = svc.config.feeds.len(), rules = svc.config.rules.rules().len(), db = %svc.config.store_path.display(), mail = %svc.digests.mailer.describe(), "chipwatch started");
    notify(&[NotifyState::Ready]);
    loop {
        let now = clock.now().timestamp();
        heartbeat.store(now, Ordering::Relaxed);
        if watchdog.is_some() {
            notify(&[NotifyState::Watchdog]);
        }
        let feeds = svc.due_feed_states(now).await?;
        if let Ok((total, failing, gone)) = svc.store.call(|s| s.feed_health_counts()).await {
            svc.metrics.set_feeds(total, failing, gone);
            cycle.feeds = total as usize;
            failing_now = failing;
        }
        let due: Vec<_> = pollable(feeds, now, true, svc.limits())
            .into_iter()
            .filter(|(f, _)| {
                in_flight
                    .lock()
                    .map(|mut s| s.insert(f.id_url()))
                    .unwrap_or(false)
            })
            .collect();
        for (spec, state) in due {
            let (ctx, limits, flight) = (svc.poll.clone(), svc.limits().clone(), in_flight.clone());
            tasks.spawn(async move {
                let _slot = limits.acquire().await;
                let r = poll_feed(&ctx, &spec, &state).await;
                if let Ok(mut s) = flight.lock() {
                    s.remove(&spec.id_url());
                }
                r
            });
        }
        let d = digest::run_due(&svc.digests, false, check_alerts).await;
        // Looking for alerts reads every undelivered match: do it when polls stored new
        // matches, or while alerts are held back, not on every idle turn of the loop.
        check_alerts = d.alerts_held;
        svc.metrics
            .set_queue_depth(u64::try_from(d.pending).unwrap_or(0));
        if d.created + d.sent + d.failed > 0 {
            if tasks.is_empty() {
                settle(&svc).await;
            }
            tracing::info!(
                created = d.created,
                sent = d.sent,
                failed = d.failed,
                pending = d.pending,
                "digests"
            );
        }
        // One summary line a minute at most (feeds trickle in continuously on a busy daemon).
        if cycle.polled > 0 && last_summary.elapsed() >= Duration::from_secs(60) {
            tracing::info!("{}", cycle.line());
            cycle = RunSummary {
                feeds: cycle.feeds,
                ..Default::default()
            };
            last_summary = tokio::time::Instant::now();
        }
        // Retention runs hourly (more often for very short keep periods), busy or not.
        let every = svc
            .config
            .keep
            .map(|k| (k / 4).clamp(Duration::from_secs(10), Duration::from_secs(3600)));
        if every.is_some_and(|e| last_prune.is_none_or(|t| t.elapsed() >= e)) {
            svc.prune().await;
            last_prune = Some(tokio::time::Instant::now());
            if tasks.is_empty() {
                settle(&svc).await;
            }
        }
        let status = format!(
            "{} feeds ({failing_now} failing), {} polls in flight, {} digests pending",
            cycle.feeds,
            tasks.len(),
            d.pending
        );
        notify(&[NotifyState::Status(&status)]);
        // Sleep until the next feed is due (5–30 s: feeds falling due meanwhile wait a few seconds
        // and go together), and within half the watchdog period.
        let next = svc
            .store
            .call(|s| s.next_check_due())
            .await
            .ok()
            .flatten()
            .unwrap_or(now + 30);
        let mut wait = Duration::from_secs(
            u64::try_from(next - clock.now().timestamp())
                .unwrap_or(0)
                .clamp(5, 30),
        );
        if let Some(w) = watchdog {
            wait = wait.min(w / 2).max(Duration::from_millis(100));
        }
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => break,
                Some(r) = tasks.join_next(), if !tasks.is_empty() => {
                    if let Ok(p) = r {
                        check_alerts |= p.matches_new > 0;
                        cycle.add(&p);
                    }
                    if tasks.is_empty() {
                        settle(&svc).await;
                    }
                }
                _ = hup.recv() => {
                    reload(&mut svc, &source).await;
                    // Alert rules or profiles may have changed.
                    check_alerts = true;
                    break;
                }
                _ = term.recv() => return stop(svc, tasks, &mut term, &mut int, stop_server).await,
                _ = int.recv() => return stop(svc, tasks, &mut term, &mut int, stop_server).await,
            }
        }
    }
}

/// SIGHUP: a valid new configuration is applied; an invalid one is reported and ignored.
async fn reload(svc: &mut Service, source: &ConfigSource) {
    let mut states = vec![NotifyState::Reloading];
    states.extend(NotifyState::monotonic_usec_now().ok());
    notify(&states);
    match Config::load(source) {
        Ok(c) => match svc.reconfigure(c) {
            Ok(()) => match svc.feeds().await {
                Ok(f) => tracing::info!(
                    feeds = f.len(),
                    rules = svc.config.rules.rules().len(),
                    "configuration reloaded"
                ),
                Err(e) => {
                    tracing::error!(error = %e, "configuration reloaded but feeds could not be registered")
                }
            },
            Err(e) => {
                tracing::error!(error = %e, "new configuration not applied; keeping the old one")
            }
        },
        Err(e) => tracing::error!(error = %e, "invalid configuration; keeping the old one"),
    }
    notify(&[NotifyState::Ready]);
}

/// Graceful stop: no new polls; in-flight ones get a grace period; a second signal exits now.
async fn stop(
    svc: Service,
    mut tasks: JoinSet<PollSummary>,
    term: &mut tokio::signal::unix::Signal,
    int: &mut tokio::signal::unix::Signal,
    stop_server: tokio::sync::oneshot::Sender<()>,
) -> anyhow::Result<()> {
    notify(&[NotifyState::Stopping]);
    tracing::info!(
        in_flight = tasks.len(),
        "stopping: finishing in-flight polls (up to 20 s)"
    );
    let grace = tokio::time::sleep(Duration::from_secs(20));
    tokio::pin!(grace);
    loop {
        tokio::select! {
            r = tasks.join_next() => if r.is_none() { break },
            _ = &mut grace => { tracing::warn!(aborted = tasks.len(), "grace period over; aborting remaining polls"); tasks.abort_all(); break }
            _ = term.recv() => { tracing::warn!("second signal: exiting now"); std::process::exit(0) }
            _ = int.recv() => { tracing::warn!("second signal: exiting now"); std::process::exit(0) }
        }
    }
    let _ = stop_server.send(());
    svc.shutdown();
    tracing::info!("stopped");
    Ok(())
}

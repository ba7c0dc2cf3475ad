//! The daemon's life outside its loop turns: signals, SIGHUP reload, graceful stop (a second
//! signal exits at once, non-zero), systemd notifications, and handing memory back to the OS
//! between bursts of work. Used by [`super::run`].

use crate::app::{Service, ServiceError};
use crate::config::{Config, ConfigSource};
use crate::digest;
use crate::poller::PollSummary;
use sd_notify::NotifyState;
use std::time::Duration;
use tokio::task::JoinSet;

/// Hands memory freed by a poll cycle back to the OS, so the daemon idles small between
/// cycles (glibc keeps freed heap in its per-thread arenas otherwise).
pub(super) fn release_memory() {
    // SAFETY: malloc_trim only walks the allocator's own free lists; it takes no pointers
    // from us and is safe to call at any time from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// After a burst of work (polls, retention, digests) with nothing in flight: SQLite's page
/// cache and the allocator's free memory go back to the OS, so the daemon idles small.
pub(super) async fn settle(svc: &Service) {
    let _ = svc.store.call(|s| s.shrink_memory()).await;
    release_memory();
}

pub(super) fn notify(states: &[NotifyState]) {
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

/// The signals the daemon reacts to.
pub(super) struct Signals {
    pub(super) hup: tokio::signal::unix::Signal,
    pub(super) term: tokio::signal::unix::Signal,
    pub(super) int: tokio::signal::unix::Signal,
}

/// SIGHUP: a valid new configuration is applied; an invalid one is reported and ignored.
pub(super) async fn reload(svc: &mut Service, source: &ConfigSource) {
    let mut states = vec![NotifyState::Reloading];
    states.extend(NotifyState::monotonic_usec_now().ok());
    notify(&states);
    let loaded = Config::load(source);
    if let Ok(c) = &loaded {
        for w in &c.warnings {
            tracing::warn!("{w}");
        }
    }
    match loaded {
        Ok(c) => match svc.reconfigure(c) {
            Ok(()) => match svc.register_feeds().await {
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
        Err(e) => {
            // One event per problem, so each carries its priority under journald.
            let problems = e.problems();
            for p in &problems {
                tracing::error!("{p}");
            }
            tracing::error!(
                problems = problems.len(),
                "invalid configuration; keeping the old one"
            )
        }
    }
    notify(&[NotifyState::Ready]);
}

/// Graceful stop: no new polls; in-flight ones get a grace period; a second signal exits now.
pub(super) async fn stop(
    svc: Service,
    mut tasks: JoinSet<PollSummary>,
    digest_task: Option<tokio::task::JoinHandle<digest::DigestRun>>,
    sig: &mut Signals,
    stop_server: tokio::sync::oneshot::Sender<()>,
) -> Result<(), ServiceError> {
    notify(&[NotifyState::Stopping]);
    tracing::info!(
        in_flight = tasks.len(),
        "stopping: finishing in-flight polls (up to 20 s)"
    );
    let grace = tokio::time::sleep(Duration::from_secs(20));
    tokio::pin!(grace);
    if let Some(mut d) = digest_task {
        // A digest being sent is finished (each message is recorded as sent or pending).
        tokio::select! {
            _ = &mut d => {}
            _ = &mut grace => { tracing::warn!("grace period over while sending digests; the unsent ones stay pending"); d.abort(); }
        }
    }
    loop {
        tokio::select! {
            r = tasks.join_next() => if r.is_none() { break },
            _ = &mut grace => { tracing::warn!(aborted = tasks.len(), "grace period over; aborting remaining polls"); tasks.abort_all(); break }
            _ = sig.term.recv() => { tracing::warn!("second signal: exiting now"); std::process::exit(143) }
            _ = sig.int.recv() => { tracing::warn!("second signal: exiting now"); std::process::exit(130) }
        }
    }
    let _ = stop_server.send(());
    svc.shutdown();
    tracing::info!("stopped");
    Ok(())
}

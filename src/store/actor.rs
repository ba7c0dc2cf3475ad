//! A thread that owns the [`Store`] for the async daemon, so no SQLite call blocks the
//! runtime's workers. Poll records queued together are written in one transaction (a
//! 304-heavy pass costs one commit per batch, not per feed). Used by `app` and `poller`.

use super::entries::{CommitStats, PollRecord};
use super::{Result, Store, StoreError};
use tokio::sync::{mpsc, oneshot};

type Call = Box<dyn FnOnce(&mut Store) + Send>;

enum Job {
    Commit(Box<PollRecord>, oneshot::Sender<Result<CommitStats>>),
    Call(Call),
}

/// Cheap, cloneable handle to the store thread.
#[derive(Clone)]
pub struct StoreHandle {
    tx: mpsc::Sender<Job>,
}

/// Most poll records written in one transaction.
const BATCH: usize = 256;
/// Jobs waiting for the store thread. A full queue makes pollers wait (backpressure), so
/// parsed feeds never pile up in memory faster than SQLite can write them.
const QUEUE: usize = 128;

impl StoreHandle {
    /// Moves `store` onto its own thread. The thread ends when every handle is dropped.
    pub fn spawn(store: Store) -> (StoreHandle, std::thread::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel::<Job>(QUEUE);
        let join = std::thread::Builder::new()
            .name("chipwatch-store".into())
            .spawn(move || run(store, rx))
            .unwrap_or_else(|e| {
                // Spawning a thread fails only when the OS is out of resources; nothing can run then.
                tracing::error!(error = %e, "cannot start the store thread");
                std::process::exit(70)
            });
        (StoreHandle { tx }, join)
    }

    /// Records a poll (batched with others queued at the same time).
    pub async fn commit(&self, rec: PollRecord) -> Result<CommitStats> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Job::Commit(Box::new(rec), tx))
            .await
            .map_err(|_| StoreError::Gone)?;
        rx.await.map_err(|_| StoreError::Gone)?
    }

    /// Runs `f` on the store thread and returns its result.
    pub async fn call<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: Call = Box::new(move |s| {
            let _ = tx.send(f(s));
        });
        self.tx
            .send(Job::Call(job))
            .await
            .map_err(|_| StoreError::Gone)?;
        rx.await.map_err(|_| StoreError::Gone)?
    }
}

fn run(mut store: Store, mut rx: mpsc::Receiver<Job>) {
    let mut held: Option<Job> = None;
    loop {
        let job = match held.take() {
            Some(j) => j,
            None => match rx.blocking_recv() {
                Some(j) => j,
                None => return,
            },
        };
        match job {
            Job::Call(f) => f(&mut store),
            Job::Commit(rec, reply) => {
                let mut batch = vec![(rec, reply)];
                while batch.len() < BATCH {
                    match rx.try_recv() {
                        Ok(Job::Commit(r, t)) => batch.push((r, t)),
                        Ok(other) => {
                            held = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                write_batch(&mut store, batch);
            }
        }
    }
}

fn write_batch(
    store: &mut Store,
    batch: Vec<(Box<PollRecord>, oneshot::Sender<Result<CommitStats>>)>,
) {
    let size = batch.len();
    match store.commit_polls(batch.iter().map(|(r, _)| &**r)) {
        Ok(stats) => {
            for ((_, reply), s) in batch.into_iter().zip(stats) {
                let _ = reply.send(Ok(s));
            }
        }
        Err(e) => {
            // One bad record must not fail the others: retry one by one.
            tracing::warn!(error = %e, size, "batched commit failed; committing polls one by one");
            for (rec, reply) in batch {
                let _ = reply.send(store.commit_poll(&rec));
            }
        }
    }
}

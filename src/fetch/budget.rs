//! The memory budget for response bodies in flight: every body being read or waiting to be
//! parsed holds permits for its size, so 64 concurrent polls of 16 MiB documents hold at most
//! the budget, not 64 × 16 MiB. Small bodies (most feeds) take a fixed 1 MiB share up front; a
//! body that grows past it gives that share back and waits for a full `max_body` share while
//! holding none, so readers never deadlock on each other. Used by [`super::Fetcher`].

use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Bytes per permit.
const UNIT: u64 = 64 * 1024;
/// The share every body takes before its size is known.
pub const SMALL: u64 = 1 << 20;

/// Shared by all fetches of one [`super::Fetcher`].
#[derive(Clone)]
pub struct BodyBudget {
    sem: Arc<Semaphore>,
    total_units: u32,
}

/// Permits held by one body; released when the body (and its [`super::Fetched`]) is dropped.
#[derive(Clone, Default)]
pub struct Held(Option<Arc<OwnedSemaphorePermit>>);

impl PartialEq for Held {
    fn eq(&self, _: &Held) -> bool {
        true
    }
}

impl std::fmt::Debug for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.0.as_ref().map_or(0, |p| p.num_permits());
        write!(f, "Held({} KiB)", n as u64 * UNIT / 1024)
    }
}

fn units(bytes: u64) -> u64 {
    bytes.div_ceil(UNIT).max(1)
}

impl BodyBudget {
    /// A budget of `bytes` (at least one `max_body`).
    pub fn new(bytes: u64, max_body: u64) -> BodyBudget {
        let total = units(bytes.max(max_body).max(SMALL)).min(u64::from(u32::MAX >> 4));
        BodyBudget {
            sem: Arc::new(Semaphore::new(total as usize)),
            total_units: total as u32,
        }
    }

    /// The default budget for a body cap: eight full-size bodies, at least 64 MiB.
    pub fn for_max_body(max_body: u64) -> BodyBudget {
        BodyBudget::new(max_body.saturating_mul(8).max(64 << 20), max_body)
    }

    /// Waits for a share of `bytes` (capped at the whole budget).
    pub async fn acquire(&self, bytes: u64) -> Held {
        let n = units(bytes).min(u64::from(self.total_units)) as u32;
        Held(
            self.sem
                .clone()
                .acquire_many_owned(n)
                .await
                .ok()
                .map(Arc::new),
        )
    }

    /// Free bytes now (for tests and metrics).
    pub fn available(&self) -> u64 {
        self.sem.available_permits() as u64 * UNIT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn shares_are_returned_on_drop() {
        let b = BodyBudget::new(4 << 20, 2 << 20);
        let h1 = b.acquire(2 << 20).await;
        let h2 = b.acquire(2 << 20).await;
        assert_eq!(b.available(), 0);
        let waiting =
            tokio::time::timeout(std::time::Duration::from_millis(50), b.acquire(1)).await;
        assert!(waiting.is_err(), "no share while the budget is used");
        drop(h1);
        let h3 = b.acquire(1).await;
        drop((h2, h3));
        assert_eq!(b.available(), 4 << 20);
    }
}

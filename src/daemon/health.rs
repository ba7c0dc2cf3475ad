//! What `/healthz` reports for the daemon: the loop's heartbeat and whether its own database
//! calls succeed, both kept by the loop as it runs. Used by [`super`]'s server start.

use crate::clock::Clock;
use crate::server::Health;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

/// What /healthz looks at: the loop's heartbeat and whether the loop's own database calls
/// succeed. Both are kept by the loop as it runs, so a request costs no database work.
pub(super) struct AppHealth {
    pub(super) heartbeat: Arc<AtomicI64>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) database_ok: Arc<AtomicBool>,
}

impl Health for AppHealth {
    fn scheduler_age_secs(&self) -> u64 {
        u64::try_from(self.clock.now().timestamp() - self.heartbeat.load(Ordering::Relaxed))
            .unwrap_or(0)
    }
    fn database_ok(&self) -> Pin<Box<dyn Future<Output = bool> + Send + '_>> {
        let ok = self.database_ok.load(Ordering::Relaxed);
        Box::pin(async move { ok })
    }
}

//! Sending what the outbox holds: every pending delivery record (one part of a digest or alert
//! for mail or for one channel) is handed to its channel kind, marked sent only after the
//! service accepted it, retried with exponential backoff (or the service's `Retry-After`) on
//! transient failures and dead-lettered on permanent ones. The same for every kind: mail
//! recipients refused one by one are recorded per recipient; a channel part carries its stable
//! idempotency key. Called by [`super::run_due`].

use super::DigestContext;
use crate::channel::ChannelError;
use crate::store::digests::PendingDigest;

/// Retry delay after `attempts` failed sends: 1 min × 2^attempts, at most 6 h, ±20 %.
fn retry_delay(attempts: i64) -> i64 {
    let base = 60i64
        .saturating_mul(1i64 << attempts.clamp(0, 9))
        .min(6 * 3600);
    crate::scheduler::jitter(std::time::Duration::from_secs(base as u64), 0.2).as_secs() as i64
}

/// What happened to one pending delivery.
enum Sent {
    /// Every remaining recipient has it (or refused it for good; some got it).
    Done,
    /// Nobody could be reached for good: a dead letter.
    Dead(String),
    /// Worth retrying later (recipients already served are not sent to again), not before
    /// the given time when the service said so (`Retry-After`).
    Retry(String, Option<i64>),
}

/// Sends one mail digest to its remaining recipients. When the server refuses one recipient
/// for good, the others are tried one by one, so a bad address never blocks the rest.
async fn deliver_mail(ctx: &DigestContext, d: &PendingDigest) -> Sent {
    let remaining = d.remaining();
    if remaining.is_empty() {
        return Sent::Done;
    }
    let mailer = &ctx.channels.mail;
    let first = match mailer.send(&ctx.from, d, &remaining).await {
        Ok(()) => return Sent::Done,
        Err(e) if e.is_transient() => return Sent::Retry(e.to_string(), None),
        Err(e) if remaining.len() > 1 => e.to_string(),
        Err(e) => return Sent::Dead(e.to_string()),
    };
    tracing::warn!(digest = d.id, error = %first, "a recipient was refused; delivering to each recipient separately");
    let (mut delivered, mut rejected, mut transient) = (0, Vec::new(), None);
    for r in remaining {
        let outcome = mailer.send(&ctx.from, d, std::slice::from_ref(&r)).await;
        let (id, who) = (d.id, r.clone());
        let record = match &outcome {
            Ok(()) => {
                delivered += 1;
                Some(None)
            }
            Err(e) if e.is_transient() => {
                transient = Some(e.to_string());
                None
            }
            Err(e) => {
                rejected.push(format!("{r}: {e}"));
                Some(Some(e.to_string()))
            }
        };
        if let Some(err) = record
            && let Err(e) = ctx
                .store
                .call(move |s| s.record_recipient(id, &who, err.as_deref()))
                .await
        {
            tracing::error!(digest = id, error = %e, "cannot record a recipient's delivery");
        }
    }
    match (transient, delivered) {
        (Some(m), _) => Sent::Retry(m, None),
        (None, 0) if d.done.is_empty() => Sent::Dead(rejected.join("; ")),
        _ => {
            if !rejected.is_empty() {
                tracing::warn!(digest = d.id, rejected = %rejected.join("; "), "digest delivered except to refused recipients (see `digest history`)");
            }
            Sent::Done
        }
    }
}

/// Tries per part when sending by hand (`digest send`): a service that fails once (a 500, a
/// restart) is retried at once rather than left for the backoff.
const BY_HAND_TRIES: u32 = 3;
/// The longest `Retry-After` waited out within one `digest send`.
const BY_HAND_WAIT_SECS: i64 = 10;

/// Posts one channel part (its idempotency key is the stored `message_id`, the same on every
/// try, so a service that saw an earlier try can drop the repeat).
async fn deliver_channel(ctx: &DigestContext, d: &PendingDigest, channel: &str) -> Sent {
    let tries = if ctx.send_now { BY_HAND_TRIES } else { 1 };
    let mut last = Sent::Retry(String::new(), None);
    for k in 1..=tries {
        let now = ctx.clock.now().timestamp();
        let (msg, after) = match ctx.channels.post(channel, d, now).await {
            Ok(_) => return Sent::Done,
            Err(e @ ChannelError::Unknown { .. }) => return Sent::Retry(e.to_string(), None),
            Err(e) if e.is_transient() => (e.to_string(), e.retry_at()),
            Err(e) => return Sent::Dead(e.to_string()),
        };
        let wait = after.map(|a| a - now).unwrap_or(i64::from(k));
        last = Sent::Retry(msg, after);
        if k == tries || wait > BY_HAND_WAIT_SECS {
            break;
        }
        tracing::info!(
            digest = d.id,
            channel,
            wait,
            "channel did not take the part; trying again"
        );
        tokio::time::sleep(std::time::Duration::from_secs(wait.max(0) as u64)).await;
    }
    last
}

/// What one sending pass did.
#[derive(Debug, Default)]
pub struct SendReport {
    /// Deliveries accepted (digests and alerts, every channel).
    pub sent: usize,
    /// Of those, alerts.
    pub alerts_sent: usize,
    pub failed: usize,
    pub errors: Vec<String>,
}

/// Sends every pending delivery that is due (every pending one when the context says
/// `send_now`: a command run by hand means now).
pub async fn send_pending(ctx: &DigestContext) -> SendReport {
    let now = ctx.clock.now().timestamp();
    let due_by = if ctx.send_now { i64::MAX } else { now };
    let pending = match ctx
        .store
        .call(move |s| s.pending_digests(due_by, now))
        .await
    {
        Ok(p) => p,
        Err(e) => {
            return SendReport {
                errors: vec![e.to_string()],
                ..Default::default()
            };
        }
    };
    let mut report = SendReport::default();
    let started = tokio::time::Instant::now();
    for d in pending {
        if ctx.send_budget.is_some_and(|b| started.elapsed() >= b) {
            tracing::info!(
                digest = d.id,
                "sending took long (slow server?); the remaining deliveries go out next turn"
            );
            break;
        }
        match send_one(ctx, &d).await {
            Ok(()) => {
                report.sent += 1;
                report.alerts_sent += usize::from(d.kind == "alert");
            }
            Err(msg) => {
                report.failed += 1;
                report.errors.push(msg);
            }
        }
    }
    report
}

/// Delivers one record and records the outcome.
async fn send_one(ctx: &DigestContext, d: &PendingDigest) -> Result<(), String> {
    let outcome = match &d.channel {
        None => deliver_mail(ctx, d).await,
        Some(c) => deliver_channel(ctx, d, c).await,
    };
    let at = ctx.clock.now().timestamp();
    let (id, attempts) = (d.id, d.attempts);
    let via = d.channel.as_deref().unwrap_or("mail");
    let alert = d.kind == "alert";
    let (dead, msg, not_before) = match outcome {
        Sent::Done => {
            if let Err(e) = ctx.store.call(move |s| s.mark_sent(id, at)).await {
                // Sent but not recorded: the next run resends it with the same Message-ID /
                // idempotency key.
                tracing::error!(digest = id, error = %e, "delivery sent but not marked; it may be sent again (same Message-ID / idempotency key)");
                ctx.metrics.record_digest(true, alert, at);
                return Err(e.to_string());
            }
            ctx.metrics.record_digest(true, alert, at);
            tracing::info!(digest = id, kind = %d.kind, profile = %d.profile, channel = via, stories = d.story_count, message_id = %d.message_id, "{} sent", d.kind);
            return Ok(());
        }
        Sent::Dead(m) => (true, m, None),
        Sent::Retry(m, after) => (false, m, after),
    };
    ctx.metrics.record_digest(false, alert, at);
    let next = (at + retry_delay(attempts)).max(not_before.unwrap_or(0));
    let retry_after = not_before.filter(|t| *t > at);
    tracing::warn!(digest = id, kind = %d.kind, profile = %d.profile, channel = via, error = %msg, dead, "{} not sent; {}", d.kind, if dead { "permanent failure, not retried" } else { "will retry" });
    let line = match &d.channel {
        None => format!("{} {id} ({}): {msg}", d.kind, d.profile),
        Some(c) => format!("{} {id} ({}, channel {c}): {msg}", d.kind, d.profile),
    };
    if let Err(e) = ctx
        .store
        .call(move |s| s.mark_failed(id, &msg, next, dead, retry_after))
        .await
    {
        return Err(format!("{line}; {e}"));
    }
    Err(line)
}

//! Digests: deciding which profiles are due (schedules from `config`), claiming their stories
//! into rendered messages ([`render`], `page`, [`excerpt`], shared helpers in [`text`]) and
//! immediate alerts ([`alerts`], MIME helpers in [`mime`]), the primary-source sections
//! ([`regulatory`]) and their deadlines as iCalendar ([`calendar`]) through the store's outbox, and sending what is
//! pending through the [`crate::mailer`], marking each sent only after the transport accepted
//! it. Failures stay pending with exponential backoff; permanent rejections become dead
//! letters. Called by `app` (scheduled and `--digest-now`) and the `digest` commands.

pub mod alerts;
pub mod calendar;
pub mod excerpt;
pub mod mime;
mod page;
pub mod regulatory;
pub mod render;
pub mod text;

use crate::clock::Clock;
use crate::config::DigestProfile;
use crate::mailer::{MailError, Mailer};
use crate::model::Recipients;
use crate::store::StoreError;
use crate::store::actor::StoreHandle;
use crate::store::digests::ProfileFilter;
use serde::Serialize;
use std::sync::Arc;
use text::RenderContext;

/// What digests need besides the profiles.
#[derive(Clone)]
pub struct DigestContext {
    pub store: StoreHandle,
    pub mailer: Arc<Mailer>,
    pub clock: Arc<dyn Clock>,
    pub profiles: Vec<DigestProfile>,
    pub from: String,
    pub rule_pack_version: Option<String>,
    pub config_path: String,
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Names of the rules with `priority = "alert"`.
    pub alert_rules: Vec<String>,
    /// `[mail] unsubscribe`, for the List-Unsubscribe header.
    pub unsubscribe: Option<String>,
    /// `[feeds] silent_after` in seconds: silent feeds in the footer (None: not listed).
    pub silent_after_secs: Option<i64>,
    /// When set, no new message is started once sending has taken this long; the rest stay
    /// pending for the next run (the daemon's loop turn).
    pub send_budget: Option<std::time::Duration>,
}

impl DigestContext {
    /// The digest context a configuration asks for.
    pub fn new(
        config: &crate::config::Config,
        store: StoreHandle,
        mailer: Arc<Mailer>,
        clock: Arc<dyn Clock>,
        metrics: Arc<crate::metrics::Metrics>,
    ) -> DigestContext {
        DigestContext {
            store,
            mailer,
            clock,
            profiles: config.digests.clone(),
            from: config.mail.from.clone(),
            rule_pack_version: config.rule_pack_version.clone(),
            config_path: config.source.describe(),
            metrics,
            alert_rules: config
                .rules
                .rules()
                .iter()
                .filter(|r| r.priority == crate::rules::Priority::Alert)
                .map(|r| r.name.clone())
                .collect(),
            unsubscribe: config.mail.unsubscribe.clone(),
            silent_after_secs: config.silent_after_secs(),
            send_budget: None,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct DigestRun {
    pub created: usize,
    pub sent: usize,
    pub failed: usize,
    pub pending: i64,
    pub errors: Vec<String>,
    /// Some profile's alerts were held (quiet hours, hourly cap, error): check again later.
    pub alerts_held: bool,
}

pub fn filter_for(p: &DigestProfile) -> ProfileFilter {
    ProfileFilter {
        profile: p.name.clone(),
        rules: p.rules.clone(),
        tags: p.tags.clone(),
        min_score: p.min_score,
        kind: "digest",
    }
}

pub fn render_context(
    p: &DigestProfile,
    from: &str,
    version: Option<String>,
    config_path: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> RenderContext {
    let host = from
        .parse::<lettre::message::Mailbox>()
        .map(|m| m.email.domain().to_string())
        .unwrap_or_else(|_| "localhost".into());
    RenderContext {
        profile: p.name.clone(),
        from: from.to_string(),
        recipients: Recipients {
            to: p.to.clone(),
            cc: p.cc.clone(),
            bcc: p.bcc.clone(),
        },
        subject_template: p.subject.clone(),
        tz: p.schedule.tz,
        now,
        feed_problems: Vec::new(),
        rule_pack_version: version,
        config_path: config_path.to_string(),
        host,
        max_stories: p.max_stories,
        unsubscribe: None,
    }
}

/// Claims and renders a digest for `p` now. Returns the new digest ids (none when there is
/// nothing new and the profile does not send empty digests).
pub async fn create(ctx: &DigestContext, p: &DigestProfile) -> Result<Vec<i64>, StoreError> {
    let next_due = p
        .schedule
        .next_after(ctx.clock.now())
        .map(|d| d.timestamp());
    claim(ctx, p, filter_for(p), None, next_due, p.send_empty).await
}

/// Claims the stories `filter` selects for `p` into rendered messages (one transaction).
/// `subject` overrides the profile's template; `next_due` moves the digest schedule.
pub(crate) async fn claim(
    ctx: &DigestContext,
    p: &DigestProfile,
    filter: ProfileFilter,
    subject: Option<&str>,
    next_due: Option<i64>,
    send_empty: bool,
) -> Result<Vec<i64>, StoreError> {
    let now = ctx.clock.now();
    let mut cx = render_context(
        p,
        &ctx.from,
        ctx.rule_pack_version.clone(),
        &ctx.config_path,
        now,
    );
    cx.unsubscribe = ctx.unsubscribe.clone();
    if let Some(s) = subject {
        cx.subject_template = s.to_string();
    }
    let silent = ctx.silent_after_secs;
    ctx.store
        .call(move |s| {
            cx.feed_problems = s.feed_problems(now.timestamp(), silent)?;
            s.claim_digest(&filter, now.timestamp(), next_due, |items, sink| {
                if !items.is_empty() || send_empty {
                    render::render_each(items, &cx, sink);
                }
            })
        })
        .await
}

/// Creates digests for the profiles that are due (all of them when `force`), then sends
/// everything pending.
pub async fn run_due(ctx: &DigestContext, force: bool, check_alerts: bool) -> DigestRun {
    let mut run = DigestRun::default();
    let now = ctx.clock.now();
    for p in &ctx.profiles {
        // Alerts go out in the cycle after their matches are stored (the caller knows when
        // there are new matches or held alerts); a forced digest (`--digest-now`) carries
        // everything instead.
        if !force && check_alerts {
            match alerts::create(ctx, p).await {
                Ok(check) => {
                    if !check.ids.is_empty() {
                        tracing::info!(profile = %p.name, parts = check.ids.len(), "alert created");
                    }
                    run.created += check.ids.len();
                    run.alerts_held |= check.held;
                }
                Err(e) => {
                    run.alerts_held = true;
                    run.errors.push(format!("profile {} alerts: {e}", p.name))
                }
            }
        }
        let name = p.name.clone();
        let next = match ctx.store.call(move |s| s.profile_next_due(&name)).await {
            Ok(n) => n,
            Err(e) => {
                run.errors.push(e.to_string());
                continue;
            }
        };
        let due = force || next.is_some_and(|d| d <= now.timestamp());
        if !due {
            if next.is_none() {
                // First sight of this profile: its first digest comes at the next scheduled time.
                let (name, at) = (
                    p.name.clone(),
                    p.schedule.next_after(now).map(|d| d.timestamp()),
                );
                if let Err(e) = ctx.store.call(move |s| s.set_profile_due(&name, at)).await {
                    run.errors.push(e.to_string());
                }
            }
            continue;
        }
        match create(ctx, p).await {
            Ok(ids) => {
                if !ids.is_empty() {
                    tracing::info!(profile = %p.name, parts = ids.len(), "digest created");
                }
                run.created += ids.len();
            }
            Err(e) => {
                tracing::error!(profile = %p.name, error = %e, "cannot create digest");
                run.errors.push(format!("profile {}: {e}", p.name));
            }
        }
    }
    let (sent, failed, errors) = send_pending(ctx).await;
    run.sent = sent;
    run.failed = failed;
    run.errors.extend(errors);
    run.pending = ctx.store.call(|s| s.pending_count()).await.unwrap_or(-1);
    run
}

/// Retry delay after `attempts` failed sends: 1 min × 2^attempts, at most 6 h, ±20 %.
fn retry_delay(attempts: i64) -> i64 {
    let base = 60i64
        .saturating_mul(1i64 << attempts.clamp(0, 9))
        .min(6 * 3600);
    crate::scheduler::jitter(std::time::Duration::from_secs(base as u64), 0.2).as_secs() as i64
}

/// What happened to one pending digest.
enum Sent {
    /// Every remaining recipient has it (or refused it for good; some got it).
    Done,
    /// Nobody could be reached for good: a dead letter.
    Dead(String),
    /// Worth retrying later (recipients already served are not sent to again).
    Retry(String),
}

/// Sends one digest to its remaining recipients. When the server refuses one recipient for
/// good, the others are tried one by one, so a bad address never blocks the rest.
async fn deliver(ctx: &DigestContext, d: &crate::store::digests::PendingDigest) -> Sent {
    let remaining = d.remaining();
    if remaining.is_empty() {
        return Sent::Done;
    }
    let first = match ctx.mailer.send(&ctx.from, d, &remaining).await {
        Ok(()) => return Sent::Done,
        Err(MailError::Permanent(m)) if remaining.len() > 1 => m,
        Err(MailError::Transient(m)) => return Sent::Retry(m),
        Err(e) => return Sent::Dead(e.to_string()),
    };
    tracing::warn!(digest = d.id, error = %first, "a recipient was refused; delivering to each recipient separately");
    let (mut delivered, mut rejected, mut transient) = (0, Vec::new(), None);
    for r in remaining {
        let outcome = ctx
            .mailer
            .send(&ctx.from, d, std::slice::from_ref(&r))
            .await;
        let (id, who) = (d.id, r.clone());
        let record = match &outcome {
            Ok(()) => {
                delivered += 1;
                Some(None)
            }
            Err(MailError::Transient(m)) => {
                transient = Some(m.clone());
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
        (Some(m), _) => Sent::Retry(m),
        (None, 0) if d.done.is_empty() => Sent::Dead(rejected.join("; ")),
        _ => {
            if !rejected.is_empty() {
                tracing::warn!(digest = d.id, rejected = %rejected.join("; "), "digest delivered except to refused recipients (see `digest history`)");
            }
            Sent::Done
        }
    }
}

/// Sends every pending digest that is due; returns (sent, failed, errors).
pub async fn send_pending(ctx: &DigestContext) -> (usize, usize, Vec<String>) {
    let now = ctx.clock.now().timestamp();
    let pending = match ctx.store.call(move |s| s.pending_digests(now)).await {
        Ok(p) => p,
        Err(e) => return (0, 0, vec![e.to_string()]),
    };
    let (mut sent, mut failed, mut errors) = (0, 0, Vec::new());
    let started = tokio::time::Instant::now();
    for d in pending {
        if ctx.send_budget.is_some_and(|b| started.elapsed() >= b) {
            tracing::info!(
                digest = d.id,
                "sending took long (slow mail server?); the remaining digests go out next turn"
            );
            break;
        }
        let at = ctx.clock.now().timestamp();
        let (id, attempts) = (d.id, d.attempts);
        let (dead, msg) = match deliver(ctx, &d).await {
            Sent::Done => {
                if let Err(e) = ctx.store.call(move |s| s.mark_sent(id, at)).await {
                    // Sent but not recorded: the next run resends it with the same Message-ID.
                    tracing::error!(digest = id, error = %e, "digest sent but not marked; it may be sent again (same Message-ID)");
                    errors.push(e.to_string());
                }
                ctx.metrics.record_digest(true, at);
                tracing::info!(digest = id, profile = %d.profile, stories = d.story_count, message_id = %d.message_id, "digest sent");
                sent += 1;
                continue;
            }
            Sent::Dead(m) => (true, m),
            Sent::Retry(m) => (false, m),
        };
        failed += 1;
        ctx.metrics.record_digest(false, at);
        let next = at + retry_delay(attempts);
        tracing::warn!(digest = id, profile = %d.profile, error = %msg, dead, "digest not sent; {}", if dead { "permanent failure, not retried" } else { "will retry" });
        errors.push(format!("digest {id} ({}): {msg}", d.profile));
        if let Err(e) = ctx
            .store
            .call(move |s| s.mark_failed(id, &msg, next, dead))
            .await
        {
            errors.push(e.to_string());
        }
    }
    (sent, failed, errors)
}

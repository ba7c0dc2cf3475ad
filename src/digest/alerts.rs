//! Immediate alerts: stories matched by `priority = "alert"` rules are mailed within one poll
//! cycle, batched into one message per profile and cycle, under a per-profile hourly cap and
//! outside quiet hours — held stories stay pending and go out with the next alert or digest,
//! never dropped. Alerted stories count as delivered to the profile, so its next digest does
//! not repeat them (unless the profile sets `repeat_alerts`). Called by [`super::run_due`].

use super::{DigestContext, filter_for};
use crate::config::DigestProfile;
use crate::store::StoreError;

/// What one alert check did.
#[derive(Debug, Default)]
pub struct AlertCheck {
    /// New alert messages (sent by the caller with the other pending digests).
    pub ids: Vec<i64>,
    /// Quiet hours or the hourly cap held the check back: pending alerts may be waiting, so
    /// the caller must check again later even if no new match arrives.
    pub held: bool,
}

/// Creates the alert message(s) for `p` if there is anything to alert and nothing holds it.
pub async fn create(ctx: &DigestContext, p: &DigestProfile) -> Result<AlertCheck, StoreError> {
    if !p.alerts || ctx.alert_rules.is_empty() {
        return Ok(AlertCheck::default());
    }
    let held = AlertCheck {
        ids: Vec::new(),
        held: true,
    };
    let now = ctx.clock.now();
    if p.quiet_hours
        .is_some_and(|q| q.contains(now, p.schedule.tz))
    {
        return Ok(held);
    }
    let mut filter = filter_for(p);
    filter.kind = "alert";
    filter.rules = if p.rules.is_empty() {
        ctx.alert_rules.clone()
    } else {
        p.rules
            .iter()
            .filter(|r| ctx.alert_rules.contains(r))
            .cloned()
            .collect()
    };
    if filter.rules.is_empty() {
        return Ok(AlertCheck::default());
    }
    if p.repeat_alerts {
        // Deliveries are per profile name: a separate name keeps alerts out of the digest's way.
        filter.profile = format!("{}#alerts", p.name);
    }
    let (name, since, cap) = (
        filter.profile.clone(),
        now.timestamp() - 3600,
        i64::from(p.alerts_per_hour),
    );
    if ctx
        .store
        .call(move |s| s.alerts_since(&name, since))
        .await?
        >= cap
    {
        tracing::info!(profile = %p.name, cap, "alert rate cap reached; alerts held for the next window");
        return Ok(held);
    }
    let ids = super::claim(
        ctx,
        p,
        filter,
        Some("chipwatch alert ({profile}): {stories} new ({date})"),
        None,
        false,
    )
    .await?;
    Ok(AlertCheck { ids, held: false })
}

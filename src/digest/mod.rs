//! Digests: deciding which profiles are due (schedules from `config`), claiming their stories
//! and immediate alerts ([`alerts`]) through the store's outbox — candidates read on the store
//! thread, laid out by topic ([`layout`], [`excerpt`], helpers in [`text`]) and rendered off it
//! for every way out of the profile (mail: [`render`], `page`, MIME helpers in [`mime`]; chat
//! and webhooks: [`chat`]), then claimed with the parts in one transaction — and sending what
//! is pending (`outbox`) through [`crate::channel`], marking each part sent only after the
//! service accepted it. Failures stay pending with exponential backoff; permanent rejections
//! become dead letters. Primary sources get sections of their own ([`regulatory`]) and their
//! dates an iCalendar attachment ([`calendar`]). Called by `app` (scheduled and `--digest-now`) and the `digest` commands.

pub mod alerts;
pub mod calendar;
pub mod chat;
pub mod excerpt;
pub mod layout;
pub mod mime;
mod outbox;
mod page;
pub mod regulatory;
pub mod render;
pub mod text;

pub use outbox::send_pending;

use crate::channel::Channels;
use crate::clock::Clock;
use crate::config::DigestProfile;
use crate::config::channels::ChannelConfig;
use crate::model::{DigestItem, Recipients, RenderedPart};
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
    /// Mail and the `[[channel]]`s.
    pub channels: Arc<Channels>,
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
    /// Send every pending delivery now, ignoring the backoff schedule (`digest send`).
    pub send_now: bool,
    /// The `[[channel]]` settings profiles render for (kinds and names).
    pub channel_configs: Vec<ChannelConfig>,
    /// Topic titles and order from the rule pack.
    pub topics: crate::rules::Topics,
}

impl DigestContext {
    /// The digest context a configuration asks for.
    pub fn new(
        config: &crate::config::Config,
        store: StoreHandle,
        channels: Arc<Channels>,
        clock: Arc<dyn Clock>,
        metrics: Arc<crate::metrics::Metrics>,
    ) -> DigestContext {
        DigestContext {
            store,
            channels,
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
            send_now: false,
            channel_configs: config.channels.clone(),
            topics: config.rules.topics(),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct DigestRun {
    pub created: usize,
    pub sent: usize,
    /// Of `sent`, alerts.
    pub alerts_sent: usize,
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

/// Everything a digest of profile `p` shows besides its stories — built in one place for the
/// scheduled digests, alerts and `digest preview` alike.
pub struct RenderSettings {
    pub from: String,
    pub rule_pack_version: Option<String>,
    pub config_path: String,
    pub unsubscribe: Option<String>,
    pub topics: crate::rules::Topics,
}

pub fn render_context(
    p: &DigestProfile,
    s: RenderSettings,
    now: chrono::DateTime<chrono::Utc>,
    feed_problems: Vec<crate::model::FeedProblem>,
) -> RenderContext {
    let host = s
        .from
        .parse::<lettre::message::Mailbox>()
        .map(|m| m.email.domain().to_string())
        .unwrap_or_else(|_| "localhost".into());
    RenderContext {
        profile: p.name.clone(),
        from: s.from,
        recipients: Recipients {
            to: p.to.clone(),
            cc: p.cc.clone(),
            bcc: p.bcc.clone(),
        },
        subject_template: p.subject.clone(),
        tz: p.schedule.tz,
        now,
        feed_problems,
        rule_pack_version: s.rule_pack_version,
        config_path: s.config_path,
        host,
        max_stories: p.max_stories,
        unsubscribe: s.unsubscribe,
        explain: p.explain,
        topics: s.topics,
        alert: false,
    }
}

/// Renders `items` for every way out of profile `p`: mail to its recipients (if any) and each
/// of its channels. Every medium's parts together carry every story once.
pub fn render_all(
    items: &[DigestItem],
    cx: &RenderContext,
    p: &DigestProfile,
    channels: &[ChannelConfig],
) -> Vec<RenderedPart> {
    let mut parts = Vec::new();
    if !(p.to.is_empty() && p.cc.is_empty() && p.bcc.is_empty()) {
        parts.extend(render::render(items, cx));
    }
    for name in &p.channels {
        if let Some(c) = channels.iter().find(|c| c.name == *name) {
            parts.extend(chat::render(c.kind, &c.name, items, cx));
        }
    }
    parts
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

/// Claims the stories `filter` selects for `p` into rendered parts: the candidates are read
/// on the store thread, rendered here (a large digest never stalls the polls' commits), then
/// exactly the stories rendered are claimed together with the parts in one transaction.
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
    let silent = ctx.silent_after_secs;
    let f = filter.clone();
    let (items, problems) = ctx
        .store
        .call(move |s| {
            let problems = s.feed_problems(now.timestamp(), silent)?;
            Ok((s.digest_candidates(&f)?, problems))
        })
        .await?;
    let mut cx = render_context(p, ctx.settings(), now, problems);
    if let Some(s) = subject {
        cx.subject_template = s.to_string();
    }
    cx.alert = filter.kind == "alert";
    let stories: Vec<crate::model::StoryId> = items.iter().map(|i| i.story_id).collect();
    let parts = if !items.is_empty() || send_empty {
        // Rendering is CPU work: off the runtime's workers as well as off the store thread.
        let (profile, channels) = (p.clone(), ctx.channel_configs.clone());
        tokio::task::spawn_blocking(move || render_all(&items, &cx, &profile, &channels))
            .await
            .map_err(|_| StoreError::Render)?
    } else {
        Vec::new()
    };
    ctx.store
        .call(move |s| s.commit_claim(&filter, now.timestamp(), next_due, &stories, &parts))
        .await
}

/// The render settings a configuration gives (for `digest preview`).
pub fn settings(config: &crate::config::Config) -> RenderSettings {
    RenderSettings {
        from: config.mail.from.clone(),
        rule_pack_version: config.rule_pack_version.clone(),
        config_path: config.source.describe(),
        unsubscribe: config.mail.unsubscribe.clone(),
        topics: config.rules.topics(),
    }
}

impl DigestContext {
    fn settings(&self) -> RenderSettings {
        RenderSettings {
            from: self.from.clone(),
            rule_pack_version: self.rule_pack_version.clone(),
            config_path: self.config_path.clone(),
            unsubscribe: self.unsubscribe.clone(),
            topics: self.topics.clone(),
        }
    }
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
    let report = outbox::send_pending(ctx).await;
    run.sent = report.sent;
    run.alerts_sent = report.alerts_sent;
    run.failed = report.failed;
    run.errors.extend(report.errors);
    run.pending = ctx.store.call(|s| s.pending_count()).await.unwrap_or(-1);
    run
}

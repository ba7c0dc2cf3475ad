//! A claimed digest rendered for a chat or webhook channel: the same topic sections and story
//! views as mail (`layout`), drawn for each service's format — Slack blocks with mrkdwn
//! ([`slack`]), Matrix HTML `formatted_body`, Telegram HTML parse mode and ntfy markdown
//! ([`markup`]), webhook JSON with the structured stories ([`webhook`]) — and split to each
//! service's documented size limits so that every story is in exactly one part. Each part gets
//! a stable idempotency key. Pure; called by `digest::render_all`.

pub mod markup;
pub mod slack;
pub mod webhook;

use super::layout::{Section, StoryView, ordered, sections, story_view, topic_counts};
use super::render::{claimed, part_key, split, subject};
use super::text::RenderContext;
use crate::config::channels::ChannelKind;
use crate::model::{DigestItem, RenderedPart};

/// Where a part sits in its digest.
pub struct PartInfo<'a> {
    /// "chipwatch daily: 12 stories (2026-11-28) (1/2)".
    pub heading: &'a str,
    pub part: usize,
    pub parts: usize,
    pub total: usize,
}

/// (size budget per part as `measure` counts it, most stories per part).
fn limits(kind: ChannelKind) -> (usize, usize) {
    match kind {
        // Slack: at most 50 blocks (heading + a topic header and a section per story) and
        // 40,000 characters of text per message.
        ChannelKind::Slack => (slack::TEXT_BUDGET, slack::MAX_STORIES),
        // Matrix: events are at most 65,536 bytes; body and formatted_body both count.
        ChannelKind::Matrix => (28_000, 100),
        // Telegram: 4,096 characters per message after entity parsing.
        ChannelKind::Telegram => (3_400, 30),
        // ntfy: messages over 4,096 bytes become attachments.
        ChannelKind::Ntfy => (3_400, 30),
        ChannelKind::Webhook => (200_000, 500),
    }
}

/// How much of a part's budget one story takes.
fn measure(kind: ChannelKind, v: &StoryView) -> usize {
    match kind {
        ChannelKind::Slack => slack::story_chars(v) + v.topic.chars().count(),
        ChannelKind::Matrix => {
            markup::matrix_story_html(v).len() + markup::plain_story(v).len() + v.topic.len() * 2
        }
        ChannelKind::Telegram => markup::telegram_story(v).chars().count() + v.topic.len(),
        ChannelKind::Ntfy => markup::ntfy_story(v).len() + v.topic.len(),
        ChannelKind::Webhook => webhook::story_json(v).to_string().len(),
    }
}

fn body(kind: ChannelKind, cx: &RenderContext, info: &PartInfo, secs: &[Section]) -> Vec<u8> {
    let v = match kind {
        ChannelKind::Slack => slack::message(info, secs),
        ChannelKind::Matrix => markup::matrix(info, secs),
        ChannelKind::Telegram => markup::telegram(info, secs),
        ChannelKind::Ntfy => markup::ntfy(info, secs),
        ChannelKind::Webhook => webhook::payload(cx, info, secs),
    };
    serde_json::to_vec(&v).unwrap_or_default()
}

/// Renders `items` for channel `name` of `kind`: one part or more, each story in one part.
pub fn render(
    kind: ChannelKind,
    name: &str,
    items: &[DigestItem],
    cx: &RenderContext,
) -> Vec<RenderedPart> {
    let ordered = ordered(items, cx);
    let total = ordered.len();
    let shown = cx.max_stories.unwrap_or(usize::MAX).min(total);
    let topics = topic_counts(&ordered, cx).len();
    let (budget, max) = limits(kind);
    let bounds = split(
        &ordered[..shown],
        |i| measure(kind, &story_view(i, cx)),
        budget,
        max,
    );
    let n = bounds.len();
    let mut out = Vec::with_capacity(n);
    for (k, range) in bounds.into_iter().enumerate() {
        let stories = &ordered[range];
        let claimed = claimed(stories, &ordered[shown..], k + 1 == n);
        let label = if n > 1 {
            format!(" ({}/{n})", k + 1)
        } else {
            String::new()
        };
        let heading = subject(cx, total, topics) + &label;
        let info = PartInfo {
            heading: &heading,
            part: k + 1,
            parts: n,
            total,
        };
        let message = body(kind, cx, &info, &sections(stories, cx));
        out.push(RenderedPart {
            message_id: part_key(cx, &claimed, k, n, Some(name)),
            story_ids: claimed,
            subject: heading,
            recipients: Default::default(),
            message,
            channel: Some(name.to_string()),
        });
    }
    out
}

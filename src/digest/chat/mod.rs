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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Recipients, StoredHit};
    use chrono::TimeZone;

    fn cx() -> RenderContext {
        RenderContext {
            profile: "daily".into(),
            from: "cw@example.org".into(),
            recipients: Recipients::default(),
            subject_template: "chipwatch {profile}: {stories} stories ({date})".into(),
            tz: chrono_tz::Asia::Shanghai,
            now: chrono::Utc
                .timestamp_opt(1_796_000_000, 0)
                .single()
                .unwrap_or_default(),
            feed_problems: vec![],
            rule_pack_version: None,
            config_path: "c.toml".into(),
            host: "example.org".into(),
            max_stories: None,
            unsubscribe: None,
            explain: true,
            topics: Default::default(),
            alert: false,
        }
    }

    /// Stories at their worst: long titles and excerpts, many outlets with long links.
    fn items(n: i64) -> Vec<DigestItem> {
        (0..n)
            .map(|i| {
                let summary = format!("{} Entity List {}", "word ".repeat(200), "中".repeat(300));
                let start = summary.find("Entity List").unwrap_or(0);
                DigestItem {
                    story_id: crate::model::StoryId(i),
                    rule: format!("rule-{}", i % 7),
                    rules: vec![format!("rule-{}", i % 7)],
                    score: (i % 5) as f64,
                    hits: vec![StoredHit {
                        term: "Entity List".into(),
                        field: "summary".into(),
                        start,
                        end: start + 11,
                    }],
                    title: format!("Story {i} <b>&</b> {}", "long title ".repeat(40)),
                    link: Some(format!("https://news.example/{i}?{}", "q".repeat(400))),
                    feed_name: "Wire".into(),
                    feed_tags: vec![],
                    published: Some(1_795_000_000 + i),
                    summary,
                    content: String::new(),
                    meta: Vec::new(),
                    also: (0..30)
                        .map(|k| {
                            (
                                format!("Outlet {k}"),
                                Some(format!("https://o{k}.example/{i}/{}", "p".repeat(300))),
                            )
                        })
                        .collect(),
                }
            })
            .collect()
    }

    fn every_story_once(parts: &[RenderedPart], n: i64) {
        let mut ids: Vec<i64> = parts
            .iter()
            .flat_map(|p| p.story_ids.iter().map(|s| s.0))
            .collect();
        ids.sort();
        assert_eq!(ids, (0..n).collect::<Vec<_>>());
        let keys: std::collections::HashSet<&String> =
            parts.iter().map(|p| &p.message_id).collect();
        assert_eq!(keys.len(), parts.len(), "one idempotency key per part");
    }

    #[test]
    fn slack_parts_stay_within_slacks_limits() {
        let parts = render(ChannelKind::Slack, "desk", &items(120), &cx());
        assert!(parts.len() >= 5);
        every_story_once(&parts, 120);
        for p in &parts {
            let v: serde_json::Value = serde_json::from_slice(&p.message).unwrap_or_default();
            let blocks = v["blocks"].as_array().cloned().unwrap_or_default();
            assert!(!blocks.is_empty() && blocks.len() <= 50, "{}", blocks.len());
            let mut chars = v["text"].as_str().map_or(0, |t| t.chars().count());
            for b in &blocks {
                let t = b["text"]["text"]
                    .as_str()
                    .unwrap_or_default()
                    .chars()
                    .count();
                assert!(t <= if b["type"] == "header" { 150 } else { 3000 });
                chars += t;
            }
            assert!(chars <= 40_000, "{chars}");
            for id in &p.story_ids {
                assert!(
                    String::from_utf8_lossy(&p.message).contains(&format!("news.example/{id}?"))
                );
            }
        }
    }

    #[test]
    fn telegram_ntfy_matrix_and_webhook_parts_stay_within_limits() {
        let all = items(40);
        for (kind, limit) in [
            (ChannelKind::Telegram, 4096),
            (ChannelKind::Matrix, 65_536),
            (ChannelKind::Webhook, 1 << 20),
        ] {
            let parts = render(kind, "c", &all, &cx());
            every_story_once(&parts, 40);
            for p in &parts {
                let v: serde_json::Value = serde_json::from_slice(&p.message).unwrap_or_default();
                let size = match kind {
                    ChannelKind::Telegram => v["text"].as_str().unwrap_or_default().chars().count(),
                    _ => p.message.len(),
                };
                assert!(size <= limit, "{kind:?}: {size}");
            }
        }
        let parts = render(ChannelKind::Ntfy, "c", &all, &cx());
        every_story_once(&parts, 40);
    }
}

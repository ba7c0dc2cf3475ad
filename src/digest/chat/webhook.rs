//! Webhook JSON: the structured stories of a digest part (title, link, outlet, published,
//! topic, rules, terms, score, also_reported_by), with the part's position, so a receiver can
//! file them without parsing prose. Signed at send time (`channel::request`). Pure.

use super::PartInfo;
use crate::digest::layout::{Section, StoryView};
use crate::digest::text::RenderContext;
use chrono::TimeZone;
use serde_json::{Value, json};

pub fn story_json(v: &StoryView) -> Value {
    let i = v.item;
    let mut terms: Vec<&str> = Vec::new();
    for h in &i.hits {
        if !terms.contains(&h.term.as_str()) {
            terms.push(&h.term);
        }
    }
    let published = i
        .published
        .and_then(|t| chrono::Utc.timestamp_opt(t, 0).single())
        .map(|d| d.to_rfc3339());
    let also: Vec<Value> = v
        .also
        .iter()
        .map(|(n, l)| json!({ "outlet": n, "link": l }))
        .collect();
    json!({
        "id": i.story_id,
        "title": v.title,
        "link": v.link,
        "outlet": v.outlet,
        "published": published,
        "topic": v.topic,
        "rules": i.rules,
        "terms": terms,
        "why": v.why,
        "score": i.score,
        "excerpt": v.excerpt.text,
        "also_reported_by": also,
    })
}

pub fn payload(cx: &RenderContext, info: &PartInfo, secs: &[Section]) -> Value {
    let stories: Vec<Value> = secs
        .iter()
        .flat_map(|s| s.stories.iter().map(story_json))
        .collect();
    json!({
        "type": if cx.alert { "alert" } else { "digest" },
        "profile": cx.profile,
        "subject": info.heading,
        "generated_at": cx.now.to_rfc3339(),
        "part": info.part,
        "parts": info.parts,
        "total_stories": info.total,
        "stories": stories,
    })
}

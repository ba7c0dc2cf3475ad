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
    // Every query term that hit, and the distinctive ones that decided (the "why").
    let mut matched: Vec<&str> = Vec::new();
    for h in &i.hits {
        if !matched.contains(&h.term.as_str()) {
            matched.push(&h.term);
        }
    }
    let terms: Vec<&str> = v.why.split(" · ").filter(|t| !t.is_empty()).collect();
    let (excerpt, highlights) = plain_excerpt(&v.excerpt.text);
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
        "matched_terms": matched,
        "why": v.why,
        "score": i.score,
        "excerpt": excerpt,
        "highlights": highlights,
        "also_reported_by": also,
    })
}

/// The excerpt as plain text (the text part's «…» highlight marks removed) and the highlighted
/// passages as character offsets into it.
fn plain_excerpt(marked: &str) -> (String, Vec<Value>) {
    let (mut out, mut spans, mut start) = (String::new(), Vec::new(), None);
    let mut n = 0usize;
    for c in marked.chars() {
        match c {
            '«' => start = Some(n),
            '»' => {
                if let Some(s) = start.take() {
                    spans.push(json!({ "start": s, "end": n }));
                }
            }
            c => {
                out.push(c);
                n += 1;
            }
        }
    }
    (out, spans)
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

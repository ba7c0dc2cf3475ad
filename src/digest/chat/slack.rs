//! Slack message JSON (also accepted by Mattermost and Rocket.Chat incoming webhooks): a
//! header, a header block per topic and one mrkdwn section per story, with a plain `text`
//! fallback for notifications. Within Slack's documented limits: at most 50 blocks and 40,000
//! characters of text per message, 3,000 per section, 150 per header. Pure.

use super::PartInfo;
use crate::digest::layout::{Section, StoryView};
use crate::digest::text::one_line;
use serde_json::{Value, json};

/// Stories per message: a heading, and per story at most a topic header and a section.
pub const MAX_STORIES: usize = 24;
/// Characters of text per message, with room under Slack's 40,000 for headers and fallback.
pub const TEXT_BUDGET: usize = 36_000;
/// Slack's limit on a section's text.
const SECTION_MAX: usize = 3_000;
/// Other outlets named per story.
const MAX_ALSO: usize = 8;

/// mrkdwn escaping: only `&`, `<` and `>` are special.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `<url|label>`; `|` and `>` cannot appear inside the URL part.
fn link(url: &str, label: &str) -> String {
    let u = url
        .replace('|', "%7C")
        .replace('>', "%3E")
        .replace('<', "%3C");
    format!("<{u}|{}>", esc(label).replace('|', "¦"))
}

/// The excerpt with its highlights in bold.
fn excerpt(v: &StoryView) -> String {
    esc(&v.excerpt.text).replace(['«', '»'], "*")
}

/// One story's mrkdwn, with at most `also` other outlets and maybe without the excerpt.
fn story_with(v: &StoryView, excerpt_shown: bool, also: usize) -> String {
    let mut s = match &v.link {
        Some(u) => format!("*{}*", link(u, &v.title)),
        None => format!("*{}*", esc(&v.title)),
    };
    let mut meta = format!("{} · {}", v.outlet, v.when);
    if let Some(l) = v.lang {
        meta.push_str(" · ");
        meta.push_str(l);
    }
    s.push_str(&format!("\n{}", esc(&meta)));
    if excerpt_shown && !v.excerpt.text.is_empty() {
        s.push_str(&format!("\n{}", excerpt(v)));
    }
    s.push_str(&format!("\n_Why: {}_", esc(&v.why)));
    if let Some(d) = &v.detail {
        s.push_str(&format!("\n{}", esc(d)));
    }
    if !v.also.is_empty() {
        let names: Vec<String> = v
            .also
            .iter()
            .take(also)
            .map(|(n, l)| match l {
                Some(u) if u.len() <= 500 => link(u, n),
                _ => esc(n),
            })
            .collect();
        let more = v.also.len().saturating_sub(also);
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        s.push_str(&format!("\nAlso reported by: {}{more}", names.join(" · ")));
    }
    s
}

/// One story's mrkdwn, within a section's 3,000 characters: long free text (excerpt, other
/// outlets) gives way first; the story's own link stays.
pub fn story(v: &StoryView) -> String {
    for (excerpt_shown, also) in [(true, MAX_ALSO), (false, 3), (false, 0)] {
        let s = story_with(v, excerpt_shown, also);
        if s.chars().count() <= SECTION_MAX {
            return s;
        }
    }
    story_with(v, false, 0).chars().take(SECTION_MAX).collect()
}

/// Characters one story adds to a message.
pub fn story_chars(v: &StoryView) -> usize {
    story(v).chars().count()
}

fn header(text: &str) -> Value {
    json!({ "type": "header", "text": { "type": "plain_text", "text": one_line(text, 148), "emoji": false } })
}

/// The message for one part.
pub fn message(info: &PartInfo, secs: &[Section]) -> Value {
    let mut blocks = vec![header(info.heading)];
    for s in secs {
        blocks.push(header(&s.title));
        for v in &s.stories {
            blocks
                .push(json!({ "type": "section", "text": { "type": "mrkdwn", "text": story(v) } }));
        }
    }
    json!({
        "text": one_line(info.heading, 300),
        "blocks": blocks,
        "unfurl_links": false,
        "unfurl_media": false,
    })
}

//! What the digest's renderers share: the sending-side context, a rendered story block, the
//! part-size budget and the text helpers (HTML escaping, one-line cuts, times, anchors). A leaf
//! of `digest`: `render`, `page` and `excerpt` use it; it uses none of them.

use crate::model::{FeedProblem, Recipients};
use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Gmail clips HTML parts above ~102 KB; leave room for headers and the footer.
pub(super) const PART_BUDGET: usize = 80_000;
/// Everything about the sending side that a digest shows.
#[derive(Debug, Clone)]
pub struct RenderContext {
    pub profile: String,
    pub from: String,
    pub recipients: Recipients,
    pub subject_template: String,
    pub tz: Tz,
    pub now: DateTime<Utc>,
    /// Feeds with problems (failing, gone, silent) for the footer, most urgent first.
    pub feed_problems: Vec<FeedProblem>,
    pub rule_pack_version: Option<String>,
    pub config_path: String,
    /// Domain for Message-IDs.
    pub host: String,
    pub max_stories: Option<usize>,
    /// `List-Unsubscribe` target (`[mail] unsubscribe`, a mailto: or https: URL), if configured.
    pub unsubscribe: Option<String>,
    /// Full "why" detail (rules, fields, score) under every story (`explain = true`, preview).
    pub explain: bool,
    /// Topic titles and order, context terms (from the rule pack).
    pub topics: crate::rules::Topics,
    /// An alert, not a scheduled digest.
    pub alert: bool,
}

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c if c.is_control() => o.push(' '),
            c => o.push(c),
        }
    }
    o
}

/// One line, bounded length: CR/LF and controls become spaces.
pub fn one_line(s: &str, max: usize) -> String {
    let flat: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let t = flat.split_whitespace().collect::<Vec<_>>().join(" ");
    if t.chars().count() <= max {
        t
    } else {
        let cut: String = t.chars().take(max).collect();
        format!("{cut}…")
    }
}

/// "16 Nov, 09:00 CST": the profile's zone, in a human form.
/// Only http(s) links are ever put in an href (escaped for the attribute).
pub(super) fn safe_href(link: &Option<String>) -> Option<String> {
    link.as_ref()
        .filter(|l| l.starts_with("http://") || l.starts_with("https://"))
        .map(|l| esc(l))
}

pub(super) fn fmt_time(ts: Option<i64>, tz: &Tz) -> String {
    match ts.and_then(|t| Utc.timestamp_opt(t, 0).single()) {
        Some(d) => zoned(d, tz),
        None => "undated".into(),
    }
}

/// "16 Nov, 09:00 CST" (zones without an abbreviation show their offset: "+04").
pub(super) fn zoned(d: DateTime<Utc>, tz: &Tz) -> String {
    d.with_timezone(tz).format("%-d %b, %H:%M %Z").to_string()
}

/// One story, rendered for both parts; `rule` is the topic it is filed under.
pub(super) struct Block {
    pub(super) rule: String,
    pub(super) html: String,
    pub(super) text: String,
}

pub(super) fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}
/// Greedy wrap for the text part: breaks at spaces, and between any two wide (CJK) characters.
/// Punctuation a line may not start with (the usual CJK line-breaking rule).
const CLOSING: &str = "，。、；：！？）」』】〉》”’,.;:!?)]}»";

pub(super) fn wrap(s: &str, columns: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    let mut cur_w = 0;
    for word in s.split_whitespace() {
        let ww: usize = word.chars().map(crate::rules::display_width).sum();
        if cur_w > 0 && cur_w + 1 + ww <= columns {
            cur.push(' ');
            cur.push_str(word);
            cur_w += 1 + ww;
            continue;
        }
        if cur_w > 0 && ww <= columns {
            lines.push(std::mem::take(&mut cur));
            cur.push_str(word);
            cur_w = ww;
            continue;
        }
        // A word longer than a line (typically CJK text without spaces): split by width.
        if cur_w > 0 {
            cur.push(' ');
            cur_w += 1;
        }
        for c in word.chars() {
            let w = crate::rules::display_width(c);
            // No line starts with closing punctuation (，。、」…): it stays on the line before.
            if cur_w + w > columns && cur_w > 0 && !CLOSING.contains(c) {
                lines.push(std::mem::take(&mut cur));
                cur_w = 0;
            }
            cur.push(c);
            cur_w += w;
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

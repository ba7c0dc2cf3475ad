//! Rendering a digest as mail: topic sections (the rule pack's titles and order) with a table
//! of contents and counts, each story with linked title, outlet · local time · language, an
//! excerpt with its distinctive terms highlighted, a short "why" (full detail with `explain`)
//! and "also reported by" (every outlet and link once); HTML (inline styles only) + plain text
//! as multipart/alternative. Feed text is always escaped. Large digests are split into parts
//! that stay under Gmail's clipping size. Pure: same inputs, same bytes (snapshot-tested).

use super::layout::{StoryView, ordered, story_view, topic_counts};
use super::page::{Page, build_message, page_html, page_text};
pub use super::text::RenderContext;
use super::text::{Block, PART_BUDGET, esc, one_line, slug, wrap};
use crate::model::{DigestItem, RenderedPart, StoryId};
use std::collections::BTreeMap;
use std::fmt::Write;

const LINK: &str = "color:#0b57d0;text-decoration:none";
const META: &str = "font-size:12px;color:#5f6368";

/// "Outlet · 16 Nov, 09:00 CST · Chinese".
fn meta(v: &StoryView) -> String {
    let mut m = format!("{} · {}", v.outlet, v.when);
    if let Some(l) = v.lang {
        m.push_str(" · ");
        m.push_str(l);
    }
    m
}

fn story_html(v: &StoryView) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<div id=\"s{}\" style=\"padding:14px 0\">",
        v.item.story_id
    );
    let title_style = "font-size:17px;line-height:1.35;font-weight:600";
    match &v.link {
        Some(u) => {
            let _ = write!(
                h,
                "<a href=\"{}\" style=\"{title_style};{LINK}\">{}</a>",
                esc(u),
                esc(&v.title)
            );
        }
        None => {
            let _ = write!(h, "<span style=\"{title_style}\">{}</span>", esc(&v.title));
        }
    }
    let _ = write!(
        h,
        "<div style=\"{META};margin:4px 0 6px\">{}</div>",
        esc(&meta(v))
    );
    if !v.excerpt.text.is_empty() {
        let _ = write!(
            h,
            "<div style=\"font-size:14px;line-height:1.5;color:#202124\">{}</div>",
            v.excerpt.html
        );
    }
    let _ = write!(
        h,
        "<div style=\"{META};margin-top:6px\">Why: {}</div>",
        esc(&v.why)
    );
    if let Some(d) = &v.detail {
        let _ = write!(
            h,
            "<div style=\"font-size:11px;color:#80868b;margin-top:2px\">{}</div>",
            esc(d)
        );
    }
    if !v.also.is_empty() {
        let links: Vec<String> = v
            .also
            .iter()
            .map(|(n, l)| match l {
                Some(u) => format!(
                    "<a href=\"{}\" style=\"color:#0b57d0\">{}</a>",
                    esc(u),
                    esc(n)
                ),
                None => esc(n),
            })
            .collect();
        let _ = write!(
            h,
            "<div style=\"{META};margin-top:4px\">Also reported by: {}</div>",
            links.join(" &middot; ")
        );
    }
    h.push_str("</div>");
    h
}

/// A highlight is never split across lines: its spaces are held together while wrapping.
const HOLD: char = '\u{E000}';

fn hold_highlights(s: &str) -> String {
    let mut inside = false;
    s.chars()
        .map(|c| {
            match c {
                '«' => inside = true,
                '»' => inside = false,
                ' ' if inside => return HOLD,
                _ => {}
            }
            c
        })
        .collect()
}

fn story_text(v: &StoryView) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "* {}", v.title);
    let _ = writeln!(t, "  {}", meta(v));
    if let Some(l) = &v.link {
        let _ = writeln!(t, "  {}", one_line(l, 2000));
    }
    if !v.excerpt.text.is_empty() {
        for line in wrap(&hold_highlights(&v.excerpt.text), 74) {
            let _ = writeln!(t, "  {}", line.replace(HOLD, " "));
        }
    }
    let _ = writeln!(t, "  Why: {}", v.why);
    if let Some(d) = &v.detail {
        let _ = writeln!(t, "  ({d})");
    }
    if !v.also.is_empty() {
        let _ = writeln!(t, "  Also reported by:");
        for (n, l) in &v.also {
            let link = l
                .as_ref()
                .map(|l| format!(" <{}>", one_line(l, 2000)))
                .unwrap_or_default();
            let _ = writeln!(t, "    - {n}{link}");
        }
    }
    t.push('\n');
    t
}

fn story_block(i: &DigestItem, cx: &RenderContext) -> Block {
    let v = story_view(i, cx);
    Block {
        rule: v.topic.clone(),
        html: story_html(&v),
        text: story_text(&v),
    }
}

/// Renders the digest for `items` into one or more messages.
pub fn render(items: &[DigestItem], cx: &RenderContext) -> Vec<RenderedPart> {
    let mut out = Vec::new();
    render_each(items, cx, &mut |p| out.push(p));
    out
}

/// Renders the digest part by part, handing each finished message to `sink`: a first pass
/// measures each story's HTML to plan the parts, a second renders one part at a time.
pub fn render_each(items: &[DigestItem], cx: &RenderContext, sink: &mut dyn FnMut(RenderedPart)) {
    // Primary-source stories (Federal Register documents, screening-list changes) open the
    // first message in sections of their own, with the calendar attachment; the other
    // stories go into the topics.
    let (lead, news) = super::regulatory::lead(items);
    let ordered = ordered(news, cx);
    let lead_sections = lead.as_ref().map_or(&[][..], |l| l.sections.as_slice());
    let total = ordered.len() + lead.as_ref().map_or(0, |l| l.story_ids.len());
    let shown = cx.max_stories.unwrap_or(usize::MAX).min(ordered.len());
    let topics = topic_counts(&ordered, cx).len() + lead_sections.len();
    let mut more: BTreeMap<String, usize> = BTreeMap::new();
    for i in &ordered[shown..] {
        *more.entry(super::layout::topic(i, cx)).or_default() += 1;
    }
    let bounds = split_after(
        &ordered[..shown],
        |i| story_block(i, cx).html.len(),
        PART_BUDGET,
        usize::MAX,
        lead.as_ref().map_or(0, |l| l.html.len()),
    );
    let n = bounds.len();
    let none = BTreeMap::new();
    for (k, range) in bounds.into_iter().enumerate() {
        let last = k + 1 == n;
        let stories = &ordered[range];
        let blocks: Vec<Block> = stories.iter().map(|i| story_block(i, cx)).collect();
        let lead_here = lead.as_ref().filter(|_| k == 0);
        let claimed: Vec<StoryId> = lead_here
            .iter()
            .flat_map(|l| l.story_ids.iter().copied())
            .chain(claimed(stories, &ordered[shown..], last))
            .collect();
        let mut toc = lead_here.map_or_else(Vec::new, |l| l.sections.clone());
        toc.extend(topic_counts(stories, cx));
        let part_label = if n > 1 {
            format!(" ({}/{n})", k + 1)
        } else {
            String::new()
        };
        let subject = subject(cx, total, topics) + &part_label;
        let page = Page {
            blocks: &blocks,
            toc,
            total,
            topics,
            part: &part_label,
            more: if last { &more } else { &none },
            lead: lead_here,
        };
        let (html, text) = (page_html(cx, &page), page_text(cx, &page));
        let message_id = part_key(cx, &claimed, k, n, None);
        let calendar = lead_here
            .filter(|l| !l.deadlines.is_empty())
            .map(|l| super::calendar::calendar(&l.deadlines, cx.now));
        let message = build_message(cx, &subject, &message_id, text, html, calendar);
        sink(RenderedPart {
            story_ids: claimed,
            subject,
            message_id,
            recipients: cx.recipients.clone(),
            message,
            channel: None,
        });
    }
}

/// The stories a part claims: its own, and in the last part those `max_stories` left out.
pub(super) fn claimed(
    stories: &[&DigestItem],
    left_out: &[&DigestItem],
    last: bool,
) -> Vec<StoryId> {
    let tail = if last { left_out } else { &[] };
    stories
        .iter()
        .chain(tail.iter())
        .map(|i| i.story_id)
        .collect()
}

/// Splits stories into parts of at most `budget` (by `measure`) and `max` stories each; a
/// story larger than the budget gets a part of its own. Always at least one (maybe empty) part.
pub(super) fn split(
    stories: &[&DigestItem],
    measure: impl Fn(&DigestItem) -> usize,
    budget: usize,
    max: usize,
) -> Vec<std::ops::Range<usize>> {
    split_after(stories, measure, budget, max, 0)
}

/// [`split`] with `used` of the first part's budget already taken (by sections before the
/// stories).
pub(super) fn split_after(
    stories: &[&DigestItem],
    measure: impl Fn(&DigestItem) -> usize,
    budget: usize,
    max: usize,
    used: usize,
) -> Vec<std::ops::Range<usize>> {
    let mut bounds = Vec::new();
    let (mut start, mut size) = (0, used);
    for (k, i) in stories.iter().enumerate() {
        let len = measure(i);
        if (size + len > budget || k - start >= max) && k > start {
            bounds.push(start..k);
            start = k;
            size = 0;
        }
        size += len;
    }
    bounds.push(start..stories.len());
    bounds
}

/// A part's stable id: the mail Message-ID, or (with a channel) the idempotency key that
/// every retry of the part reuses.
pub(super) fn part_key(
    cx: &RenderContext,
    claimed: &[StoryId],
    k: usize,
    n: usize,
    channel: Option<&str>,
) -> String {
    let first = claimed.first().map_or(0, |s| s.0);
    // An alert and a digest of the same story created in the same second differ too.
    let p = slug(&cx.profile) + if cx.alert { ".alert" } else { "" };
    let t = cx.now.timestamp();
    match channel {
        None => format!("<chipwatch.{p}.{t}.{first}.{}of{n}@{}>", k + 1, cx.host),
        Some(c) => format!("chipwatch.{p}.{}.{t}.{first}.{}of{n}", slug(c), k + 1),
    }
}

/// The subject (or chat heading) from the profile's template.
pub(super) fn subject(cx: &RenderContext, stories: usize, topics: usize) -> String {
    let date = cx.now.with_timezone(&cx.tz).format("%Y-%m-%d").to_string();
    // "{stories} stories" (the default template's words) reads "1 story" for one story.
    let s = cx
        .subject_template
        .replace(
            "{stories} stories",
            &crate::words::count(stories, "story", "stories"),
        )
        .replace("{profile}", &cx.profile)
        .replace("{stories}", &stories.to_string())
        .replace("{rules}", &topics.to_string())
        .replace("{topics}", &topics.to_string())
        .replace("{date}", &date);
    one_line(&s, 200)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_latin_at_spaces_and_cjk_anywhere() {
        assert_eq!(wrap("aa bb cc", 5), vec!["aa bb", "cc"]);
        // Closing punctuation stays with the text before it.
        let lines = wrap("美国商务部宣布，将多家企业列入实体清单。", 10);
        assert!(
            lines.iter().all(|l| !l.starts_with(['，', '。'])),
            "{lines:?}"
        );
        let zh = wrap("美国商务部工业与安全局宣布将多家中国企业列入实体清单", 20);
        assert!(
            zh.iter()
                .all(|l| l.chars().map(crate::rules::display_width).sum::<usize>() <= 20),
            "{zh:?}"
        );
        assert_eq!(
            zh.concat(),
            "美国商务部工业与安全局宣布将多家中国企业列入实体清单"
        );
        assert_eq!(one_line("a\r\nBcc: x@y", 100), "a Bcc: x@y");
        // A highlight is never split across lines of the text part.
        let lines: Vec<String> = wrap(&hold_highlights("aaaa bbbb «export controls» cc"), 20)
            .into_iter()
            .map(|l| l.replace(HOLD, " "))
            .collect();
        assert!(
            lines.iter().any(|l| l.contains("«export controls»")),
            "{lines:?}"
        );
        assert_eq!(one_line(&"x".repeat(500), 10).chars().count(), 11);
        assert_eq!(esc("<b>\"&'"), "&lt;b&gt;&quot;&amp;&#39;");
    }
}

//! Rendering a digest: stories grouped by rule, sorted by score, each with linked title,
//! source, date, an excerpt with the hits highlighted, a one-line "why" and "also reported
//! by" links; HTML (inline styles only) + plain text as multipart/alternative. Feed text is
//! always escaped. Large digests are split into parts that stay under Gmail's clipping size.
//! Pure: same inputs, same bytes (snapshot-tested).

use super::excerpt::{excerpt, why_line};
use super::page::{Page, build_message, page_html, page_text};
pub use super::text::RenderContext;
use super::text::{Block, PART_BUDGET, esc, fmt_time, one_line, safe_href, slug};
use crate::model::{DigestItem, RenderedPart};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Titles longer than this are cut (a 10 KB title must not break the layout).
const MAX_TITLE: usize = 300;

/// Groups stories by rule, best score first inside each group; groups by their best story.
fn grouped(items: &[DigestItem]) -> Vec<(String, Vec<&DigestItem>)> {
    let mut g: BTreeMap<&str, Vec<&DigestItem>> = BTreeMap::new();
    for i in items {
        g.entry(i.rule.as_str()).or_default().push(i);
    }
    let mut v: Vec<(String, Vec<&DigestItem>)> = g
        .into_iter()
        .map(|(k, mut s)| {
            s.sort_by(|a, b| {
                b.score
                    .total_cmp(&a.score)
                    .then(b.published.cmp(&a.published))
                    .then(a.story_id.cmp(&b.story_id))
            });
            (k.to_string(), s)
        })
        .collect();
    v.sort_by(|a, b| {
        let best = |x: &Vec<&DigestItem>| x.first().map(|i| i.score).unwrap_or(0.0);
        best(&b.1).total_cmp(&best(&a.1)).then(a.0.cmp(&b.0))
    });
    v
}

fn story_block(i: &DigestItem, cx: &RenderContext) -> Block {
    let title = one_line(
        if i.title.trim().is_empty() {
            "(untitled)"
        } else {
            &i.title
        },
        MAX_TITLE,
    );
    let href = safe_href(&i.link);
    let when = fmt_time(i.published, &cx.tz);
    let ex = excerpt(i, 300);
    let why = why_line(i);
    let mut h = String::new();
    let _ = write!(
        h,
        "<div id=\"s{}\" style=\"padding:14px 0;border-top:1px solid #e3e6ea\">",
        i.story_id
    );
    match &href {
        Some(u) => {
            let _ = write!(
                h,
                "<a href=\"{u}\" style=\"font-size:17px;line-height:1.35;font-weight:600;color:#0b57d0;text-decoration:none\">{}</a>",
                esc(&title)
            );
        }
        None => {
            let _ = write!(
                h,
                "<span style=\"font-size:17px;line-height:1.35;font-weight:600\">{}</span>",
                esc(&title)
            );
        }
    }
    let _ = write!(
        h,
        "<div style=\"font-size:12px;color:#5f6368;margin:4px 0 6px\">{} &middot; {} &middot; score {}</div>",
        esc(&one_line(&i.feed_name, 80)),
        esc(&when),
        fmt_score(i.score)
    );
    if !ex.text.is_empty() {
        let _ = write!(
            h,
            "<div style=\"font-size:14px;line-height:1.5;color:#202124\">{}</div>",
            ex.html
        );
    }
    let _ = write!(
        h,
        "<div style=\"font-size:12px;color:#5f6368;margin-top:6px\">Why: {}</div>",
        esc(&why)
    );
    if !i.also.is_empty() {
        let links: Vec<String> = i
            .also
            .iter()
            .map(|(n, l)| match safe_href(l) {
                Some(u) => format!(
                    "<a href=\"{u}\" style=\"color:#0b57d0\">{}</a>",
                    esc(&one_line(n, 60))
                ),
                None => esc(&one_line(n, 60)),
            })
            .collect();
        let _ = write!(
            h,
            "<div style=\"font-size:12px;color:#5f6368;margin-top:4px\">Also reported by: {}</div>",
            links.join(" &middot; ")
        );
    }
    h.push_str("</div>");

    let mut t = String::new();
    let _ = writeln!(t, "* {title}");
    let _ = writeln!(
        t,
        "  {} · {} · score {}",
        one_line(&i.feed_name, 80),
        when,
        fmt_score(i.score)
    );
    if let Some(l) = &i.link {
        let _ = writeln!(t, "  {}", one_line(l, 2000));
    }
    if !ex.text.is_empty() {
        for line in wrap(&ex.text, 74) {
            let _ = writeln!(t, "  {line}");
        }
    }
    let _ = writeln!(t, "  Why: {why}");
    if !i.also.is_empty() {
        let _ = writeln!(t, "  Also reported by:");
        for (n, l) in &i.also {
            let _ = writeln!(
                t,
                "    - {}{}",
                one_line(n, 60),
                l.as_ref()
                    .map(|l| format!(" <{}>", one_line(l, 2000)))
                    .unwrap_or_default()
            );
        }
    }
    t.push('\n');
    let toc = format!(
        "<li style=\"margin:2px 0\"><a href=\"#s{}\" style=\"color:#0b57d0;text-decoration:none\">{}</a></li>",
        i.story_id,
        esc(&one_line(&title, 120))
    );
    Block {
        story_id: i.story_id,
        rule: i.rule.clone(),
        html: h,
        text: t,
        toc,
    }
}

fn fmt_score(s: f64) -> String {
    if s.fract() == 0.0 {
        format!("{s:.0}")
    } else {
        format!("{s:.1}")
    }
}

/// Greedy wrap for the text part: breaks at spaces, and between any two wide (CJK) characters.
fn wrap(s: &str, columns: usize) -> Vec<String> {
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
            if cur_w + w > columns && cur_w > 0 {
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

/// Renders the digest for `items` into one or more messages.
pub fn render(items: &[DigestItem], cx: &RenderContext) -> Vec<RenderedPart> {
    let mut out = Vec::new();
    render_each(items, cx, &mut |p| out.push(p));
    out
}

/// Renders the digest part by part, handing each finished message to `sink`, so a digest of
/// tens of thousands of stories never sits in memory at once: a first pass measures each
/// story's HTML to plan the parts, a second renders one part at a time.
pub fn render_each(items: &[DigestItem], cx: &RenderContext, sink: &mut dyn FnMut(RenderedPart)) {
    // Hook (issue 13): primary-source stories (Federal Register documents, screening-list
    // changes) open the first message in their own sections, with the calendar attachment;
    // only the other stories go into the rule groups.
    let (lead, news) = super::regulatory::lead(items, cx);
    let news: Vec<DigestItem> = news.into_iter().cloned().collect();
    let all = items.len();
    let items = news.as_slice();
    let groups = grouped(items);
    let ordered: Vec<&DigestItem> = groups
        .iter()
        .flat_map(|(_, stories)| stories.iter().copied())
        .collect();
    let shown = cx.max_stories.unwrap_or(usize::MAX).min(ordered.len());
    let total = all;
    let mut more: BTreeMap<String, usize> = BTreeMap::new();
    for i in &ordered[shown..] {
        *more.entry(i.rule.clone()).or_default() += 1;
    }
    // Plan: split into parts by HTML size.
    let mut bounds: Vec<std::ops::Range<usize>> = Vec::new();
    // The first part also holds the primary-source sections.
    let (mut start, mut size) = (0, lead.as_ref().map_or(0, |l| l.html.len()));
    for (k, i) in ordered[..shown].iter().enumerate() {
        let len = story_block(i, cx).html.len();
        if size + len > PART_BUDGET && k > start {
            bounds.push(start..k);
            start = k;
            size = 0;
        }
        size += len;
    }
    bounds.push(start..shown);
    let n = bounds.len();
    let rules_count = groups.len();
    let none = BTreeMap::new();
    for (k, range) in bounds.into_iter().enumerate() {
        let last = k + 1 == n;
        let blocks: Vec<Block> = ordered[range].iter().map(|i| story_block(i, cx)).collect();
        // The last part also claims the stories left out by max_stories.
        let tail = if last {
            &ordered[shown..]
        } else {
            &ordered[..0]
        };
        let lead_here = lead.as_ref().filter(|_| k == 0);
        let claimed: Vec<i64> = lead_here
            .iter()
            .flat_map(|l| l.story_ids.iter().copied())
            .chain(blocks.iter().map(|b| b.story_id))
            .chain(tail.iter().map(|i| i.story_id))
            .collect();
        let part_label = if n > 1 {
            format!(" ({}/{n})", k + 1)
        } else {
            String::new()
        };
        let subject = one_line(&subject(cx, total, rules_count), 200) + &part_label;
        let more = if last { &more } else { &none };
        let page = Page {
            blocks: &blocks,
            total,
            rules: rules_count,
            part: &part_label,
            more,
            lead: lead_here,
        };
        let (html, text) = (page_html(cx, &page), page_text(cx, &page));
        let first = claimed.first().copied().unwrap_or(0);
        let message_id = format!(
            "<chipwatch.{}.{}.{}.{}of{}@{}>",
            slug(&cx.profile),
            cx.now.timestamp(),
            first,
            k + 1,
            n,
            cx.host
        );
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
        });
    }
}

fn subject(cx: &RenderContext, stories: usize, rules: usize) -> String {
    let date = cx.now.with_timezone(&cx.tz).format("%Y-%m-%d").to_string();
    cx.subject_template
        .replace("{profile}", &cx.profile)
        .replace("{stories}", &stories.to_string())
        .replace("{rules}", &rules.to_string())
        .replace("{date}", &date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_latin_at_spaces_and_cjk_anywhere() {
        assert_eq!(wrap("aa bb cc", 5), vec!["aa bb", "cc"]);
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
        assert_eq!(one_line(&"x".repeat(500), 10).chars().count(), 11);
        assert_eq!(esc("<b>\"&'"), "&lt;b&gt;&quot;&amp;&#39;");
    }
}

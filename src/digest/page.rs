//! A digest message's page: header, table of contents (topics with counts), topic sections, footer (feed health:
//! failing, gone and silent feeds; rule-pack version, how to change the subscription) in HTML
//! with inline styles and in plain text, and the multipart/alternative message with its headers
//! (Message-ID, List-Id, Auto-Submitted). Pure; called by [`super::render`].

use super::text::{Block, PART_BUDGET, RenderContext, esc, fmt_time, one_line, slug};
use crate::model::{FeedProblem, FeedProblemKind};
use chrono_tz::Tz;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use std::collections::BTreeMap;
use std::fmt::Write;

/// What one message of a digest shows: its story blocks, its topics with their counts (the
/// table of contents), the counts for its header, its part label ("" or " (2/3)") and, in the
/// last part only, the stories `max_stories` left out, by topic.
pub(super) struct Page<'a> {
    pub blocks: &'a [Block],
    pub toc: Vec<(String, usize)>,
    pub total: usize,
    pub topics: usize,
    pub part: &'a str,
    pub more: &'a BTreeMap<String, usize>,
    /// The primary-source sections (first part only), see [`super::regulatory`].
    pub lead: Option<&'a super::regulatory::Lead>,
}

impl Page<'_> {
    /// "3 stories in 1 topic".
    fn counts(&self) -> String {
        format!(
            "{} {} in {} {}",
            self.total,
            if self.total == 1 { "story" } else { "stories" },
            self.topics,
            if self.topics == 1 { "topic" } else { "topics" }
        )
    }

    /// "…and 12 more (7 Entity List, 5 Chip curbs) not shown because of max_stories." with
    /// each topic passed through `name` (HTML escaping, or none); None when none were.
    fn more_line(&self, name: impl Fn(&str) -> String) -> Option<String> {
        if self.more.is_empty() {
            return None;
        }
        let n: usize = self.more.values().sum();
        let by: Vec<String> = self
            .more
            .iter()
            .map(|(r, c)| format!("{c} {}", name(r)))
            .collect();
        Some(format!(
            "…and {n} more ({}) not shown because of max_stories.",
            by.join(", ")
        ))
    }
}

fn header_html(cx: &RenderContext, page: &Page) -> String {
    let date = cx
        .now
        .with_timezone(&cx.tz)
        .format("%A, %e %B %Y")
        .to_string();
    format!(
        "<div style=\"padding:20px 24px 12px;border-bottom:3px solid {}\"><div style=\"font-size:12px;letter-spacing:.08em;text-transform:uppercase;color:#5f6368\">chipwatch {}&middot; {}</div><div style=\"font-size:22px;font-weight:700;margin-top:4px\">{}{}</div><div style=\"font-size:13px;color:#5f6368;margin-top:2px\">{}</div></div>",
        if cx.alert { "#b3261e" } else { "#0b57d0" },
        if cx.alert { "alert " } else { "" },
        esc(&cx.profile),
        page.counts(),
        esc(page.part),
        esc(date.trim())
    )
}

pub(super) fn page_html(cx: &RenderContext, page: &Page) -> String {
    let mut h = String::with_capacity(PART_BUDGET + 8_000);
    h.push_str("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><meta name=\"color-scheme\" content=\"light dark\"><title>chipwatch digest</title></head>");
    h.push_str("<body style=\"margin:0;padding:0;background:#f1f3f4\"><table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" style=\"background:#f1f3f4\"><tr><td align=\"center\" style=\"padding:16px 8px\">");
    h.push_str("<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" style=\"max-width:680px;background:#ffffff;color:#202124;border-radius:8px;font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,'PingFang SC','Microsoft YaHei',sans-serif\"><tr><td>");
    h.push_str(&header_html(cx, page));
    h.push_str("<div style=\"padding:4px 24px 8px\">");
    if page.toc.len() > 1 {
        let items: Vec<String> = page
            .toc
            .iter()
            .map(|(t, n)| {
                format!(
                    "<a href=\"#t-{}\" style=\"color:#0b57d0;text-decoration:none\">{}</a>&nbsp;({n})",
                    slug(t),
                    esc(t)
                )
            })
            .collect();
        let _ = write!(
            h,
            "<div style=\"padding:12px 0 4px;font-size:13px;line-height:1.6;color:#5f6368\"><span style=\"font-weight:600\">In this {}:</span> {}</div>",
            if cx.alert { "alert" } else { "digest" },
            items.join(" &middot; ")
        );
    }
    // The primary-source sections (regulatory actions, screening-list changes) come first.
    if let Some(l) = page.lead {
        h.push_str(&l.html);
    }
    let mut current = "";
    for b in page.blocks {
        if b.rule != current {
            current = &b.rule;
            let _ = write!(
                h,
                "<h2 id=\"t-{}\" style=\"margin:24px 0 0;padding-bottom:6px;border-bottom:2px solid #d2e3fc;font-size:16px;font-weight:700;color:#0b57d0\">{}</h2>",
                slug(current),
                esc(current)
            );
        } else {
            // Stories of one topic are separated by a thin rule.
            h.push_str("<div style=\"border-top:1px solid #e3e6ea\"></div>");
        }
        h.push_str(&b.html);
    }
    if let Some(line) = page.more_line(esc) {
        let _ = write!(h, "<p style=\"font-size:13px;color:#5f6368\">{line}</p>");
    }
    h.push_str("</div>");
    h.push_str(&footer_html(cx));
    h.push_str("</td></tr></table></td></tr></table></body></html>");
    h
}

/// Feed problems listed in a footer; the rest are counted.
const MAX_PROBLEMS: usize = 30;

/// "HTTP 503 since …", "gone (410): … since …", "silent since … (usually posts every ~6 h)":
/// plain text, one line.
fn problem_text(p: &FeedProblem, tz: &Tz) -> String {
    let since = fmt_time(p.since, tz);
    match &p.kind {
        FeedProblemKind::Failing { error } => format!("{} since {since}", one_line(error, 200)),
        FeedProblemKind::Gone { error } => {
            format!(
                "{} since {since}",
                one_line(&format!("gone (410): {error}"), 200)
            )
        }
        FeedProblemKind::Unparsed { problem } => {
            format!("{} since {since}", one_line(problem, 200))
        }
        FeedProblemKind::Silent {
            usual_secs: Some(s),
        } => format!("silent since {since} (usually posts every {})", about(*s)),
        FeedProblemKind::Silent { usual_secs: None } => {
            format!("silent since {since} (usual posting rate unknown)")
        }
    }
}

/// A gap between posts, roughly: "~20 min", "~6 h", "~3 days".
fn about(secs: i64) -> String {
    let secs = secs.max(0);
    if secs < 3600 {
        format!("~{} min", ((secs + 30) / 60).max(1))
    } else if secs < 48 * 3600 {
        format!("~{} h", (secs + 1800) / 3600)
    } else {
        format!("~{} days", (secs + 43_200) / 86_400)
    }
}

pub(super) fn footer_html(cx: &RenderContext) -> String {
    let mut f = String::from(
        "<div style=\"padding:14px 24px 20px;border-top:1px solid #e3e6ea;font-size:12px;line-height:1.5;color:#5f6368\">",
    );
    if !cx.feed_problems.is_empty() {
        f.push_str("<div style=\"font-weight:600;color:#b3261e\">Feeds with problems</div><ul style=\"margin:4px 0 10px;padding-left:18px\">");
        for p in cx.feed_problems.iter().take(MAX_PROBLEMS) {
            let _ = write!(
                f,
                "<li>{} ({}) — {}</li>",
                esc(&one_line(&p.name, 80)),
                esc(&one_line(&crate::redact::url(&p.url), 200)),
                esc(&problem_text(p, &cx.tz))
            );
        }
        if cx.feed_problems.len() > MAX_PROBLEMS {
            let _ = write!(
                f,
                "<li>…and {} more (see <code>chipwatch feeds status</code>)</li>",
                cx.feed_problems.len() - MAX_PROBLEMS
            );
        }
        f.push_str("</ul>");
    }
    let _ = write!(
        f,
        "Sent by chipwatch {} &middot; rule pack {} &middot; profile “{}”.<br>To change what you receive, edit {} and reload the service.",
        env!("CARGO_PKG_VERSION"),
        esc(cx.rule_pack_version.as_deref().unwrap_or("custom")),
        esc(&cx.profile),
        esc(&cx.config_path)
    );
    f.push_str("</div>");
    f
}

pub(super) fn page_text(cx: &RenderContext, page: &Page) -> String {
    let mut t = String::new();
    let date = super::text::zoned(cx.now, &cx.tz);
    let kind = if cx.alert {
        "chipwatch alert"
    } else {
        "chipwatch"
    };
    let _ = writeln!(t, "{kind} · {} · {}{}", cx.profile, date, page.part);
    let _ = writeln!(t, "{}\n", page.counts());
    if page.toc.len() > 1 {
        for (topic, n) in &page.toc {
            let _ = writeln!(t, "  {topic} ({n})");
        }
        t.push('\n');
    }
    if let Some(l) = page.lead {
        t.push_str(&l.text);
    }
    let mut current = "";
    for b in page.blocks {
        if b.rule != current {
            current = &b.rule;
            let _ = writeln!(t, "== {current} ==\n");
        }
        t.push_str(&b.text);
    }
    if let Some(line) = page.more_line(str::to_string) {
        let _ = writeln!(t, "{line}\n");
    }
    t.push_str("-- \n");
    if !cx.feed_problems.is_empty() {
        t.push_str("Feeds with problems:\n");
        for p in cx.feed_problems.iter().take(MAX_PROBLEMS) {
            let _ = writeln!(
                t,
                "  - {} ({}): {}",
                one_line(&p.name, 80),
                one_line(&crate::redact::url(&p.url), 200),
                problem_text(p, &cx.tz)
            );
        }
        if cx.feed_problems.len() > MAX_PROBLEMS {
            let _ = writeln!(
                t,
                "  - …and {} more (see `chipwatch feeds status`)",
                cx.feed_problems.len() - MAX_PROBLEMS
            );
        }
    }
    let _ = writeln!(
        t,
        "Sent by chipwatch {} · rule pack {} · profile \"{}\".\nTo change what you receive, edit {} and reload the service.",
        env!("CARGO_PKG_VERSION"),
        cx.rule_pack_version.as_deref().unwrap_or("custom"),
        cx.profile,
        cx.config_path
    );
    t
}

/// A header lettre has no type for.
fn raw(name: &'static str, value: String) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
}

/// The addresses of a list that parse (all of them: the config validated them).
fn mailboxes(list: &[String]) -> impl Iterator<Item = Mailbox> + '_ {
    list.iter().filter_map(|a| a.parse::<Mailbox>().ok())
}

pub(super) fn build_message(
    cx: &RenderContext,
    subject: &str,
    message_id: &str,
    text: String,
    html: String,
    calendar: Option<String>,
) -> Vec<u8> {
    let profile = slug(&cx.profile);
    let mut b = lettre::Message::builder()
        .subject(subject)
        .message_id(Some(message_id.to_string()))
        .date(std::time::SystemTime::from(cx.now))
        .raw_header(raw("Auto-Submitted", "auto-generated".into()))
        .raw_header(raw(
            "List-Id",
            format!("chipwatch {profile} <{profile}.chipwatch.{}>", cx.host),
        ))
        .raw_header(raw("X-Chipwatch-Profile", profile.clone()));
    if let Some(u) = &cx.unsubscribe {
        b = b.raw_header(raw("List-Unsubscribe", format!("<{}>", one_line(u, 500))));
    }
    if let Ok(from) = cx.from.parse::<Mailbox>() {
        b = b.from(from);
    }
    let r = &cx.recipients;
    for a in mailboxes(&r.to) {
        b = b.to(a);
    }
    for a in mailboxes(&r.cc) {
        b = b.cc(a);
    }
    // Bcc only appears in the header when there is nobody else to address the message to.
    if r.to.is_empty() && r.cc.is_empty() {
        for a in mailboxes(&r.bcc) {
            b = b.bcc(a);
        }
    }
    let body = MultiPart::alternative_plain_html(text, html);
    // Deadlines ride along as a text/calendar attachment (issue 13).
    let built = match calendar {
        Some(ics) => {
            let kind = lettre::message::header::ContentType::parse(
                "text/calendar; charset=utf-8; method=PUBLISH",
            )
            .unwrap_or(lettre::message::header::ContentType::TEXT_PLAIN);
            b.multipart(MultiPart::mixed().multipart(body).singlepart(
                lettre::message::Attachment::new("chipwatch-deadlines.ics".into()).body(ics, kind),
            ))
        }
        None => b.multipart(body),
    };
    match built {
        Ok(m) => m.formatted(),
        Err(e) => {
            // Addresses were validated with the config; this only reports a programming error.
            tracing::error!(error = %e, "cannot build digest message");
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_read_roughly() {
        assert_eq!(about(0), "~1 min");
        assert_eq!(about(20 * 60), "~20 min");
        assert_eq!(about(3600), "~1 h");
        assert_eq!(about(6 * 3600 + 1200), "~6 h");
        assert_eq!(about(47 * 3600), "~47 h");
        assert_eq!(about(7 * 86_400), "~7 days");
    }

    #[test]
    fn problems_read_as_one_line() {
        let p = |kind| FeedProblem {
            name: "n".into(),
            url: "u".into(),
            since: Some(1_795_000_000),
            kind,
        };
        let tz = chrono_tz::UTC;
        assert_eq!(
            problem_text(
                &p(FeedProblemKind::Failing {
                    error: "HTTP\n503".into()
                }),
                &tz
            ),
            "HTTP 503 since 18 Nov, 11:06 UTC"
        );
        assert_eq!(
            problem_text(
                &p(FeedProblemKind::Gone {
                    error: "HTTP 410".into()
                }),
                &tz
            ),
            "gone (410): HTTP 410 since 18 Nov, 11:06 UTC"
        );
        assert_eq!(
            problem_text(
                &p(FeedProblemKind::Silent {
                    usual_secs: Some(6 * 3600)
                }),
                &tz
            ),
            "silent since 18 Nov, 11:06 UTC (usually posts every ~6 h)"
        );
        assert_eq!(
            problem_text(&p(FeedProblemKind::Silent { usual_secs: None }), &tz),
            "silent since 18 Nov, 11:06 UTC (usual posting rate unknown)"
        );
    }
}

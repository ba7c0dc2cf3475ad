//! Matrix (`m.text` with an HTML `formatted_body` and a plain `body`), Telegram (HTML parse
//! mode: only `b`, `i`, `a` tags) and ntfy (markdown) messages of a digest part: a heading,
//! topic titles and per story the linked title, outlet · time, excerpt (highlights in bold),
//! "why" and the other outlets. Feed text is escaped for each format. Pure.

use super::PartInfo;
use crate::digest::layout::{Section, StoryView};
use crate::digest::text::esc;
use serde_json::{Value, json};

fn meta(v: &StoryView) -> String {
    let mut m = format!("{} · {}", v.outlet, v.when);
    if let Some(l) = v.lang {
        m.push_str(" · ");
        m.push_str(l);
    }
    m
}

/// Escaped excerpt with highlights as `<b>`.
fn html_excerpt(v: &StoryView) -> String {
    esc(&v.excerpt.text)
        .replace('«', "<b>")
        .replace('»', "</b>")
}

/// The first of these that fits in `max` characters: the full story, then without the
/// excerpt and with 3 other outlets, then with none (the story's own link always stays).
fn fit(max: usize, draw: impl Fn(bool, usize) -> String) -> String {
    for (excerpt_shown, also) in [(true, usize::MAX), (false, 3), (false, 0)] {
        let s = draw(excerpt_shown, also);
        if s.chars().count() <= max {
            return s;
        }
    }
    draw(false, 0)
}

/// Characters one story may take in a Telegram or ntfy message (limit 4,096).
const SHORT_STORY: usize = 3_000;

fn html_also(v: &StoryView, max: usize) -> String {
    let names: Vec<String> = v
        .also
        .iter()
        .take(max)
        .map(|(n, l)| match l {
            Some(u) => format!("<a href=\"{}\">{}</a>", esc(u), esc(n)),
            None => esc(n),
        })
        .collect();
    names.join(" · ")
}

/// One story in the HTML both Matrix and Telegram read (`br` only where Matrix is the reader),
/// maybe without its excerpt, with at most `also` other outlets.
fn html_story(v: &StoryView, br: &str, excerpt_shown: bool, also: usize) -> String {
    let mut s = match &v.link {
        Some(u) => format!("<b><a href=\"{}\">{}</a></b>", esc(u), esc(&v.title)),
        None => format!("<b>{}</b>", esc(&v.title)),
    };
    s.push_str(&format!("{br}<i>{}</i>", esc(&meta(v))));
    if excerpt_shown && !v.excerpt.text.is_empty() {
        s.push_str(&format!("{br}{}", html_excerpt(v)));
    }
    s.push_str(&format!("{br}<i>Why: {}</i>", esc(&v.why)));
    if let Some(d) = &v.detail {
        s.push_str(&format!("{br}{}", esc(d)));
    }
    if also > 0 && !v.also.is_empty() {
        s.push_str(&format!("{br}Also reported by: {}", html_also(v, also)));
    }
    s
}

pub fn matrix_story_html(v: &StoryView) -> String {
    format!("<p>{}</p>", html_story(v, "<br>", true, usize::MAX))
}

/// One story as plain text (Matrix `body`).
pub fn plain_story(v: &StoryView) -> String {
    let mut s = v.title.clone();
    if let Some(u) = &v.link {
        s.push_str(&format!("\n{u}"));
    }
    s.push_str(&format!("\n{}", meta(v)));
    if !v.excerpt.text.is_empty() {
        s.push_str(&format!("\n{}", v.excerpt.text));
    }
    s.push_str(&format!("\nWhy: {}", v.why));
    for (n, l) in &v.also {
        s.push_str(&format!(
            "\n  also: {n}{}",
            l.as_ref().map(|l| format!(" {l}")).unwrap_or_default()
        ));
    }
    s
}

pub fn matrix(info: &PartInfo, secs: &[Section]) -> Value {
    let mut html = format!("<h3>{}</h3>", esc(info.heading));
    let mut body = format!("{}\n", info.heading);
    for sec in secs {
        html.push_str(&format!("<h4>{}</h4>", esc(&sec.title)));
        body.push_str(&format!("\n== {} ==\n", sec.title));
        for v in &sec.stories {
            html.push_str(&matrix_story_html(v));
            body.push_str(&format!("\n{}\n", plain_story(v)));
        }
    }
    json!({
        "msgtype": "m.text",
        "body": body,
        "format": "org.matrix.custom.html",
        "formatted_body": html,
    })
}

/// Telegram's HTML has no `br`: lines are newlines.
pub fn telegram_story(v: &StoryView) -> String {
    fit(SHORT_STORY, |e, a| html_story(v, "\n", e, a))
}

pub fn telegram(info: &PartInfo, secs: &[Section]) -> Value {
    let mut t = format!("<b>{}</b>\n", esc(info.heading));
    for sec in secs {
        t.push_str(&format!("\n<b>— {} —</b>\n", esc(&sec.title)));
        for v in &sec.stories {
            t.push_str(&format!("\n{}\n", telegram_story(v)));
        }
    }
    json!({
        "text": t,
        "parse_mode": "HTML",
        "disable_web_page_preview": true,
    })
}

/// Markdown escaping of feed text (the characters that start emphasis, links or code).
fn md(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | '*' | '_' | '[' | ']' | '`' | '#' | '<' | '>') {
            o.push('\\');
        }
        o.push(c);
    }
    o
}

pub fn ntfy_story(v: &StoryView) -> String {
    fit(SHORT_STORY, |e, a| ntfy_story_with(v, e, a))
}

fn ntfy_story_with(v: &StoryView, excerpt_shown: bool, also: usize) -> String {
    let mut s = match &v.link {
        Some(u) => format!(
            "**[{}]({})**",
            md(&v.title),
            u.replace(')', "%29").replace(' ', "%20")
        ),
        None => format!("**{}**", md(&v.title)),
    };
    s.push_str(&format!("  \n_{}_", md(&meta(v))));
    if excerpt_shown && !v.excerpt.text.is_empty() {
        s.push_str(&format!(
            "  \n{}",
            md(&v.excerpt.text).replace(['«', '»'], "**")
        ));
    }
    s.push_str(&format!("  \n_Why: {}_", md(&v.why)));
    if also > 0 && !v.also.is_empty() {
        let names: Vec<String> = v
            .also
            .iter()
            .take(also)
            .map(|(n, l)| match l {
                Some(u) => format!("[{}]({})", md(n), u.replace(')', "%29").replace(' ', "%20")),
                None => md(n),
            })
            .collect();
        s.push_str(&format!("  \nAlso reported by: {}", names.join(" · ")));
    }
    s
}

pub fn ntfy(info: &PartInfo, secs: &[Section]) -> Value {
    let mut m = String::new();
    for sec in secs {
        m.push_str(&format!("### {}\n\n", md(&sec.title)));
        for v in &sec.stories {
            m.push_str(&format!("{}\n\n", ntfy_story(v)));
        }
    }
    json!({
        "title": info.heading,
        "message": m,
        "markdown": true,
    })
}

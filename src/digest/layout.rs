//! What a digest shows, before any medium: stories filed under their topic (the rule pack's
//! human titles and order; alerts first), best score first inside a topic, and per story the
//! view every renderer (mail HTML and text, Slack, Matrix, Telegram, ntfy, webhook JSON) draws
//! from — cut title, safe link, outlet, local time, language, highlighted excerpt, short and
//! full "why", and "also reported by" once per outlet and link. Pure; used by `render` and
//! `chat`. Sections a later source kind puts first (regulatory actions) come in through the
//! topic order (`topics = [...]` in the pack), not through this code.

use super::excerpt::{Excerpt, excerpt, short_why, why_line};
use super::text::{RenderContext, fmt_time, one_line};
use crate::model::DigestItem;

/// Titles longer than this are cut (a 10 KB title must not break the layout).
const MAX_TITLE: usize = 300;

/// One story as every medium shows it.
pub struct StoryView<'a> {
    pub item: &'a DigestItem,
    pub topic: String,
    pub title: String,
    /// http(s) only; None: shown unlinked.
    pub link: Option<String>,
    pub outlet: String,
    /// "16 Nov, 09:00 CST" in the profile's zone, or "undated".
    pub when: String,
    /// A language label when the story is not in the profile's (English).
    pub lang: Option<&'static str>,
    pub excerpt: Excerpt,
    /// "Entity List · BIS · chips".
    pub why: String,
    /// Rules, terms with fields, score: shown when the profile sets `explain`.
    pub detail: Option<String>,
    /// Other outlets: (names, link) — every outlet once, every link once.
    pub also: Vec<(String, Option<String>)>,
}

/// A topic section.
pub struct Section<'a> {
    pub title: String,
    pub stories: Vec<StoryView<'a>>,
}

/// A label for text written mostly in a script other than Latin.
fn language(text: &str) -> Option<&'static str> {
    let (mut han, mut kana, mut hangul, mut letters) = (0, 0, 0, 0);
    for c in text.chars().filter(|c| c.is_alphabetic()) {
        letters += 1;
        match c as u32 {
            0x3040..=0x30FF => kana += 1,
            0xAC00..=0xD7AF | 0x1100..=0x11FF => hangul += 1,
            0x4E00..=0x9FFF | 0x3400..=0x4DBF => han += 1,
            _ => {}
        }
    }
    if letters == 0 || (han + kana + hangul) * 3 < letters {
        return None;
    }
    Some(if hangul >= han && hangul >= kana {
        "Korean"
    } else if kana > 0 {
        "Japanese"
    } else {
        "Chinese"
    })
}

pub fn http_link(link: &Option<String>) -> Option<String> {
    link.as_ref()
        .filter(|l| l.starts_with("http://") || l.starts_with("https://"))
        .cloned()
}

/// The view of one story.
pub fn story_view<'a>(i: &'a DigestItem, cx: &RenderContext) -> StoryView<'a> {
    let title = if i.title.trim().is_empty() {
        "(untitled)"
    } else {
        &i.title
    };
    StoryView {
        item: i,
        topic: topic(i, cx),
        title: one_line(title, MAX_TITLE),
        link: http_link(&i.link),
        outlet: one_line(&i.feed_name, 80),
        when: fmt_time(i.published, &cx.tz),
        lang: language(&i.title),
        excerpt: excerpt(i, 300, &cx.topics),
        why: short_why(i, &cx.topics),
        detail: cx.explain.then(|| why_line(i)),
        also: i
            .also
            .iter()
            .map(|(n, l)| (one_line(n, 60), http_link(l)))
            .collect(),
    }
}

/// The topic section a story goes to (the first among its rules' topics).
pub fn topic(i: &DigestItem, cx: &RenderContext) -> String {
    cx.topics.of_story(&i.rule, &i.rules)
}

/// Orders stories: by topic rank, then score, newest, id.
pub fn ordered<'a>(
    items: impl IntoIterator<Item = &'a DigestItem>,
    cx: &RenderContext,
) -> Vec<&'a DigestItem> {
    let mut v: Vec<(usize, String, &DigestItem)> = items
        .into_iter()
        .map(|i| {
            let t = topic(i, cx);
            (cx.topics.rank(&t), t, i)
        })
        .collect();
    v.sort_by(|(ra, ta, a), (rb, tb, b)| {
        ra.cmp(rb)
            .then_with(|| ta.cmp(tb))
            .then(b.score.total_cmp(&a.score))
            .then(b.published.cmp(&a.published))
            .then(a.story_id.cmp(&b.story_id))
    });
    v.into_iter().map(|(_, _, i)| i).collect()
}

/// Groups consecutive (already ordered) stories into topic sections.
pub fn sections<'a>(stories: &[&'a DigestItem], cx: &RenderContext) -> Vec<Section<'a>> {
    let mut out: Vec<Section<'a>> = Vec::new();
    for i in stories {
        let v = story_view(i, cx);
        match out.last_mut() {
            Some(s) if s.title == v.topic => s.stories.push(v),
            _ => out.push(Section {
                title: v.topic.clone(),
                stories: vec![v],
            }),
        }
    }
    out
}

/// Stories per topic, in section order: the table of contents.
pub fn topic_counts(stories: &[&DigestItem], cx: &RenderContext) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = Vec::new();
    for i in stories {
        let t = topic(i, cx);
        match out.last_mut() {
            Some((name, n)) if *name == t => *n += 1,
            _ => out.push((t, 1)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn languages_by_script() {
        assert_eq!(
            super::language("中国宣布对镓锗实施出口管制"),
            Some("Chinese")
        );
        assert_eq!(
            super::language("美 상무부, 엔비디아 H200 수출 허용"),
            Some("Korean")
        );
        assert_eq!(
            super::language("米商務省がエンティティリストに追加"),
            Some("Japanese")
        );
        assert_eq!(
            super::language("BIS adds 14 firms to the Entity List"),
            None
        );
    }
}
